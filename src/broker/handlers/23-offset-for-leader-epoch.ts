/**
 * OffsetForLeaderEpoch v0-v4 (KIP-101, KIP-279, KIP-320): where leader epoch E ends in this
 * leader's log — the start of the next higher epoch it knows, or its log end for the latest —
 * with the largest epoch at or below E that it has. Followers ask it before they truncate;
 * consumers ask it after a leader change to check that their position is still in the log.
 * Only the leader answers (NOT_LEADER_OR_FOLLOWER elsewhere); current_leader_epoch (v2+) other
 * than ours gets FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH. An epoch older than all the log
 * knows gets epoch -1 and offset -1.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, clusterAllowed, topicAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 23,
  minVersion: 0,
  maxVersion: 4,
  handle(req, ctx) {
    const b = ctx.broker;
    // A replica (replica_id >= 0) needs CLUSTER_ACTION; a consumer DESCRIBE on each topic.
    const replica = ctx.apiVersion >= 3 && req.replicaId >= 0;
    const clusterDenied = replica && !clusterAllowed(ctx, AclOperation.CLUSTER_ACTION);
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          if (clusterDenied) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
          if (!replica && !topicAllowed(ctx, AclOperation.DESCRIBE, t.topic)) return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
          const unknown = !b.topics.get(t.topic);
          const lead = unknown ? null : b.replicas.leader(t.topic, p.partition, p.currentLeaderEpoch);
          if (!lead || !lead.ok) {
            return { errorCode: lead ? lead.errorCode : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
          }
          const end = lead.log.endOffsetForEpoch(p.leaderEpoch);
          return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: end.leaderEpoch, endOffset: BigInt(end.endOffset) };
        }),
      })),
    };
  },
});

/**
 * ElectLeaders v0-v2 (kafka-leader-election.sh): preferred (0) or unclean (1) leader elections,
 * decided by the controller (../cluster/leader-elections.ts), forwarded to it from any broker.
 * A null partition list means every partition; partitions whose election was not needed are then
 * left out of the answer. v0 has no election type (preferred) and no top-level error code. A
 * single node leads every partition as their only replica: nothing to elect (ELECTION_NOT_NEEDED).
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { ElectLeadersResponse } from '../../protocol/messages/43-elect-leaders.js';
import { ApiKey } from '../../protocol/messages/index.js';
import { atController } from './controller-requests.js';
import { AclOperation, clusterAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 43,
  minVersion: 0,
  maxVersion: 2,
  handle(req, ctx) {
    const failed = (errorCode: number, message: string): ElectLeadersResponse => ({
      throttleTimeMs: 0,
      errorCode: ctx.apiVersion >= 1 ? errorCode : ErrorCode.NONE,
      replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({
        topic: t.topic,
        partitionResult: t.partitions.map((p) => ({ partitionId: p, errorCode, errorMessage: message })),
      })),
    });
    if (!clusterAllowed(ctx, AclOperation.ALTER)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    return atController(ctx, ApiKey.ElectLeaders, req, async (c) => {
      const type = ctx.apiVersion >= 1 ? req.electionType : 0;
      const partitions = req.topicPartitions === null ? null : req.topicPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
      const r = await c.electLeaders(type, partitions);
      if (r.errorCode !== ErrorCode.NONE) return failed(r.errorCode, 'This broker is no longer the controller.');
      const byTopic = new Map<string, ElectLeadersResponse['replicaElectionResults'][number]>();
      for (const o of r.results) {
        let t = byTopic.get(o.topic);
        if (!t) byTopic.set(o.topic, (t = { topic: o.topic, partitionResult: [] }));
        t.partitionResult.push({ partitionId: o.partition, errorCode: o.errorCode, errorMessage: o.errorMessage });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: [...byTopic.values()] };
    }, failed, () => ({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({
        topic: t.topic,
        partitionResult: t.partitions.map((p) => {
          const topic = ctx.broker.topics.get(t.topic);
          if (!topic) return { partitionId: p, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such topic as ${t.topic}` };
          if (p < 0 || p >= topic.partitions) return { partitionId: p, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such partition as ${t.topic}-${p}` };
          return { partitionId: p, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition.' };
        }),
      })),
    }));
  },
});

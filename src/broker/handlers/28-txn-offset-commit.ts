/**
 * TxnOffsetCommit v0-v5: a transactional producer commits a consumer group's offsets inside its
 * transaction (sendOffsetsToTransaction). The offsets are written to the group's
 * __consumer_offsets partition in a transactional batch of the producer (id, epoch) and stay
 * pending: the group sees them only once the transaction coordinator's COMMIT marker reaches that
 * partition (an ABORT drops them); meanwhile OffsetFetch with require_stable answers
 * UNSTABLE_OFFSET_COMMIT for those partitions.
 *
 * v0-v2 carry no member: the commit is accepted whatever the group's state (Kafka does not hold
 * old transactional producers to a generation). v2 adds the leader epoch. v3 (flexible) adds
 * generation id, member id and group instance id, checked as Kafka checks them: a classic
 * group's member and generation (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, ILLEGAL_GENERATION; a
 * rebalance in progress does not refuse it); a KIP-848 consumer group's member and member epoch,
 * where a stale epoch is ILLEGAL_GENERATION (Kafka turns STALE_MEMBER_EPOCH into it for
 * transactional commits); a group that does not exist with a generation is ILLEGAL_GENERATION,
 * with -1 a simple group is made. v4 allows TRANSACTION_ABORTABLE (KIP-890), v5 means transaction
 * version 2, where the commit also adds the offsets partition to the transaction: both are the
 * transaction coordinator's check, run before the write through the group coordinator's
 * `verifyTransaction` seam (default: no check). A producer epoch older than the one
 * __consumer_offsets' log knows is refused with INVALID_PRODUCER_EPOCH.
 *
 * Per partition: UNKNOWN_TOPIC_OR_PARTITION for a topic or partition that does not exist,
 * OFFSET_METADATA_TOO_LARGE beyond offset.metadata.max.bytes. An empty group id is INVALID_GROUP_ID;
 * COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE as for OffsetCommit,
 * except that v0-v1 get COORDINATOR_NOT_AVAILABLE for a partition still loading (clients before 2.0
 * did not know the loading error). Answered once the records are in __consumer_offsets.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { TxnOffsetCommitResponseTopic } from '../../protocol/messages/28-txn-offset-commit.js';
import type { TxnOffsetCommitRequestData } from '../coordinator/group-coordinator.js';
import { AclOperation, groupAllowed, topicAllowed, txnIdAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 28,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    const v = ctx.apiVersion;
    // WRITE on the transactional id, READ on the group (every partition fails), READ on each topic.
    const whole = !txnIdAllowed(ctx, AclOperation.WRITE, req.transactionalId)
      ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      : !groupAllowed(ctx, AclOperation.READ, req.groupId)
        ? ErrorCode.GROUP_AUTHORIZATION_FAILED
        : ErrorCode.NONE;
    if (whole !== ErrorCode.NONE) {
      return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: whole })) })) };
    }
    const deniedTopics = new Set(req.topics.filter((t) => !topicAllowed(ctx, AclOperation.READ, t.name)).map((t) => t.name));
    // Partitions of unknown topics (or beyond a topic's count) are answered here; the rest go to the coordinator.
    const exists = (name: string, partition: number): boolean => {
      const count = ctx.broker.topics.get(name)?.partitions;
      return count !== undefined && partition >= 0 && partition < count;
    };
    const known: TxnOffsetCommitRequestData['topics'] = [];
    for (const t of req.topics) {
      if (deniedTopics.has(t.name)) continue;
      const valid = t.partitions.filter((p) => exists(t.name, p.partitionIndex));
      if (valid.length === 0) continue;
      known.push({
        name: t.name,
        partitions: valid.map((p) => ({ partitionIndex: p.partitionIndex, committedOffset: p.committedOffset, committedLeaderEpoch: v >= 2 ? p.committedLeaderEpoch : -1, committedMetadata: p.committedMetadata })),
      });
    }
    const results =
      known.length === 0
        ? []
        : await ctx.broker.groups.txnOffsetCommit({
            transactionalId: req.transactionalId,
            groupId: req.groupId,
            producerId: req.producerId,
            producerEpoch: req.producerEpoch,
            generationId: v >= 3 ? req.generationId : -1,
            memberId: v >= 3 ? req.memberId : '',
            groupInstanceId: v >= 3 ? req.groupInstanceId : null,
            topics: known,
            apiVersion: v,
          });
    // The coordinator answers the known partitions in their order; every partition keeps its place.
    let next = 0;
    const topics = req.topics.map((t): TxnOffsetCommitResponseTopic => {
      if (deniedTopics.has(t.name)) return { name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) };
      const r = t.partitions.some((p) => exists(t.name, p.partitionIndex)) ? results[next++] : undefined;
      let i = 0;
      return {
        name: t.name,
        partitions: t.partitions.map((p) => {
          const errorCode = exists(t.name, p.partitionIndex) ? (r?.partitions[i++]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR) : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          return { partitionIndex: p.partitionIndex, errorCode: v < 2 && errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? ErrorCode.COORDINATOR_NOT_AVAILABLE : errorCode };
        }),
      };
    });
    return { throttleTimeMs: 0, topics };
  },
});

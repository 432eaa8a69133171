/**
 * OffsetCommit v0-v10. Members of a managed group commit with their generation and member id
 * (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS, FENCED_INSTANCE_ID otherwise);
 * generation -1 with an empty member id is a standalone consumer's commit, accepted while the
 * group has no members (the group is created for it). v1 may carry a commit timestamp; v2-v4 a
 * retention time (kept as the offset's expiry, as Kafka does); v5+ neither: offsets expire by
 * offsets.retention.minutes once the group is empty (KIP-211). Metadata longer than
 * offset.metadata.max.bytes gets OFFSET_METADATA_TOO_LARGE, an unknown topic or partition
 * UNKNOWN_TOPIC_OR_PARTITION. Members of a KIP-848 consumer group commit with v9+ and their member
 * epoch as the generation (STALE_MEMBER_EPOCH otherwise). v10 names topics by topic id (KIP-848),
 * and so does its answer: an id no topic has gets UNKNOWN_TOPIC_ID for its partitions (offsets are
 * still kept by topic name, as Kafka keeps them). Answered once the records are in __consumer_offsets.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { OffsetCommitResponseTopic } from '../../protocol/messages/08-offset-commit.js';
import { ZERO_UUID } from '../../protocol/primitives/index.js';
import { AclOperation, groupAllowed, topicAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 8,
  minVersion: 0,
  maxVersion: 10,
  async handle(req, ctx) {
    const v = ctx.apiVersion;
    const byId = v >= 10;
    // Kafka: READ on the group (else every partition fails with GROUP_AUTHORIZATION_FAILED), then
    // READ on each topic (TOPIC_AUTHORIZATION_FAILED for its partitions).
    if (!groupAllowed(ctx, AclOperation.READ, req.groupId)) {
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED })) })),
      };
    }
    // v10 names topics by id: resolve them; an unknown id fails its partitions with UNKNOWN_TOPIC_ID.
    const resolved = req.topics.map((t) => (byId ? (ctx.broker.topics.getById(t.topicId)?.name ?? null) : t.name));
    const denied = resolved.map((name) => name !== null && !topicAllowed(ctx, AclOperation.READ, name));
    const known = req.topics.flatMap((t, i) => (resolved[i] === null || denied[i] ? [] : [{ t, name: resolved[i]! }]));
    const results =
      known.length === 0
        ? []
        : await ctx.broker.groups.commitOffsets({
            groupId: req.groupId,
            generationId: v >= 1 ? req.generationIdOrMemberEpoch : -1,
            memberId: v >= 1 ? req.memberId : '',
            groupInstanceId: v >= 7 ? req.groupInstanceId : null,
            retentionTimeMs: v >= 2 && v <= 4 ? Number(req.retentionTimeMs) : -1,
            topics: known.map(({ t, name }) => ({
              name,
              partitions: t.partitions.map((p) => ({ ...p, commitTimestamp: v === 1 ? p.commitTimestamp : -1n })),
            })),
            apiVersion: v,
          });
    let next = 0;
    const topics = req.topics.map((t, i): OffsetCommitResponseTopic => {
      if (resolved[i] === null) {
        return { name: '', topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_ID })) };
      }
      if (denied[i]) {
        return { name: resolved[i]!, topicId: byId ? t.topicId : ZERO_UUID, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) };
      }
      const r = results[next++]!;
      return { name: r.name, topicId: byId ? t.topicId : ZERO_UUID, partitions: r.partitions };
    });
    return { throttleTimeMs: 0, topics };
  },
});

/**
 * OffsetDelete v0 (KIP-496): removes a group's committed offsets for some partitions.
 * GROUP_ID_NOT_FOUND for an unknown group; NON_EMPTY_GROUP for an active group that does not use
 * the consumer protocol; GROUP_SUBSCRIBED_TO_TOPIC per partition while an active consumer group
 * subscribes to the topic; UNKNOWN_TOPIC_OR_PARTITION for a partition that does not exist.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, groupAllowed, topicAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 47,
  minVersion: 0,
  maxVersion: 0,
  async handle(req, ctx) {
    // DELETE on the group (top-level GROUP_AUTHORIZATION_FAILED), READ on each topic.
    if (!groupAllowed(ctx, AclOperation.DELETE, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
    const ok = req.topics.filter((t) => topicAllowed(ctx, AclOperation.READ, t.name));
    const r = ok.length > 0 ? await ctx.broker.groups.deleteOffsets(req.groupId, ok) : { errorCode: ErrorCode.NONE, topics: [] };
    const denied = req.topics
      .filter((t) => !ok.includes(t))
      .map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) }));
    return { errorCode: r.errorCode, throttleTimeMs: 0, topics: r.errorCode === ErrorCode.NONE ? [...r.topics, ...denied] : r.topics };
  },
});

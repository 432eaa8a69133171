/**
 * OffsetDelete v0 (KIP-496): removes a group's committed offsets for some partitions.
 * GROUP_ID_NOT_FOUND for an unknown group; NON_EMPTY_GROUP for an active group that does not use
 * the consumer protocol; GROUP_SUBSCRIBED_TO_TOPIC per partition while an active consumer group
 * subscribes to the topic; UNKNOWN_TOPIC_OR_PARTITION for a partition that does not exist.
 */
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 47,
  minVersion: 0,
  maxVersion: 0,
  async handle(req, ctx) {
    const r = await ctx.broker.groups.deleteOffsets(req.groupId, req.topics);
    return { errorCode: r.errorCode, throttleTimeMs: 0, topics: r.topics };
  },
});

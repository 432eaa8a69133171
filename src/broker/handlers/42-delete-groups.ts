/**
 * DeleteGroups v0-v2: an Empty group's offsets and metadata get tombstones in __consumer_offsets
 * and the group is gone. GROUP_ID_NOT_FOUND for an unknown group, NON_EMPTY_GROUP while it has
 * members.
 */
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 42,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    return { throttleTimeMs: 0, results: await ctx.broker.groups.deleteGroups(req.groupsNames) };
  },
});

/**
 * DeleteGroups v0-v2: an Empty group's offsets and metadata get tombstones in __consumer_offsets
 * and the group is gone. GROUP_ID_NOT_FOUND for an unknown group, NON_EMPTY_GROUP while it has
 * members.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, groupAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 42,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    // DELETE on each group, else GROUP_AUTHORIZATION_FAILED for it.
    const allowedIds = req.groupsNames.filter((g) => groupAllowed(ctx, AclOperation.DELETE, g));
    const done = allowedIds.length > 0 ? await ctx.broker.groups.deleteGroups(allowedIds) : [];
    const denied = req.groupsNames.filter((g) => !allowedIds.includes(g)).map((groupId) => ({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }));
    return { throttleTimeMs: 0, results: [...denied, ...done] };
  },
});

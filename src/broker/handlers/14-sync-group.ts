/**
 * SyncGroup v0-v5: the leader hands in every member's assignment, everyone gets theirs. The
 * response waits until the leader's assignment is stored in __consumer_offsets. v3+ carries
 * group.instance.id, v5+ the protocol type and name (checked against the group's:
 * INCONSISTENT_GROUP_PROTOCOL).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, groupAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 14,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    const v = ctx.apiVersion;
    if (!groupAllowed(ctx, AclOperation.READ, req.groupId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    }
    const r = await ctx.broker.groups.syncGroup({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: v >= 3 ? req.groupInstanceId : null,
      protocolType: v >= 5 ? req.protocolType : null,
      protocolName: v >= 5 ? req.protocolName : null,
      assignments: req.assignments,
    });
    return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
  },
});

/**
 * LeaveGroup v0-v5: the member leaves and the group rebalances at once (no session wait). v0-v2
 * name one member; v3+ a batch of members, each by member id or group.instance.id (KIP-345), with
 * a per-member error; v5 adds a reason. For v0-v2 a member's error becomes the top-level error.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, groupAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 13,
  minVersion: 0,
  maxVersion: 5,
  handle(req, ctx) {
    const batched = ctx.apiVersion >= 3;
    if (!groupAllowed(ctx, AclOperation.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] };
    const members = batched ? req.members : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
    const r = ctx.broker.groups.leaveGroup(req.groupId, members);
    if (!batched) {
      const memberError = r.members[0]?.errorCode ?? ErrorCode.NONE;
      return { throttleTimeMs: 0, errorCode: r.errorCode !== ErrorCode.NONE ? r.errorCode : memberError, members: [] };
    }
    return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
  },
});

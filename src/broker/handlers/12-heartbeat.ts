/**
 * Heartbeat v0-v4: keeps a member's session alive. REBALANCE_IN_PROGRESS tells it to rejoin;
 * ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID (v3+ static members) as in Kafka.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, groupAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 12,
  minVersion: 0,
  maxVersion: 4,
  handle(req, ctx) {
    if (!groupAllowed(ctx, AclOperation.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const errorCode = ctx.broker.groups.heartbeat({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: ctx.apiVersion >= 3 ? req.groupInstanceId : null,
    });
    return { throttleTimeMs: 0, errorCode };
  },
});

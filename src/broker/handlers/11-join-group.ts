/**
 * JoinGroup v0-v9 (classic group protocol). v0 has no rebalance timeout: the session timeout
 * bounds the join phase. v4+: a member without id gets MEMBER_ID_REQUIRED and its id, and must
 * join again with it (KIP-394). v5+: group.instance.id (KIP-345 static membership). v7+ returns the
 * protocol type. v8 adds the reason; v9 may tell a static leader rejoining a stable group to skip
 * the assignment. The response waits for the join phase to end (connection stays muted, as in
 * Kafka). Behaviour: src/broker/coordinator/group-coordinator.ts.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, groupAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 11,
  minVersion: 0,
  maxVersion: 9,
  async handle(req, ctx) {
    const v = ctx.apiVersion;
    if (!groupAllowed(ctx, AclOperation.READ, req.groupId)) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
        generationId: -1,
        protocolType: null,
        protocolName: v >= 7 ? null : '',
        leader: '',
        skipAssignment: false,
        memberId: req.memberId,
        members: [],
      };
    }
    const r = await ctx.broker.groups.joinGroup({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: v >= 5 ? req.groupInstanceId : null,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: v >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      clientId: ctx.clientId ?? '',
      clientHost: `/${ctx.conn.remoteAddress}`,
      requireKnownMemberId: v >= 4,
      supportsSkipAssignment: v >= 9,
      reason: req.reason,
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      generationId: r.generationId,
      protocolType: r.protocolType,
      // Before v7 the protocol name is not nullable.
      protocolName: v >= 7 ? r.protocolName : (r.protocolName ?? ''),
      leader: r.leader,
      skipAssignment: r.skipAssignment,
      memberId: r.memberId,
      members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
    };
  },
});

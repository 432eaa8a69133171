/**
 * ConsumerGroupDescribe v0-v1 (KIP-848): for each group id, the consumer group's state (Empty,
 * Assigning, Reconciling, Stable), group and assignment epochs, the assignor in use, and every
 * member with its epoch, subscription, current and target assignment (topic ids and names).
 * A classic group or an unknown id gets GROUP_ID_NOT_FOUND (the admin client then falls back to
 * DescribeGroups for classic groups). The authorized operations, when asked for, only for a
 * group found (../authorization.ts), as in Kafka. v1 adds each member's MemberType (KIP-1099):
 * always 1 (consumer), as a group here has no classic members.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AclResourceType, AUTHORIZED_OPERATIONS_OMITTED } from '../authorization.js';
import { authorizedOperationsFor } from './common.js';
import { AclOperation, groupAllowed } from './auth.js';
import { defineHandler } from './handler.js';

/** v1's MemberType (KIP-1099): -1 unknown, 0 classic, 1 consumer. */
const CONSUMER_MEMBER = 1;

export default defineHandler({
  apiKey: 69,
  minVersion: 0,
  maxVersion: 1,
  handle(req, ctx) {
    const withOps = req.includeAuthorizedOperations;
    const ops = (groupId: string, errorCode: number): number =>
      withOps && errorCode === ErrorCode.NONE ? authorizedOperationsFor(ctx, AclResourceType.GROUP, groupId) : AUTHORIZED_OPERATIONS_OMITTED;
    return {
      throttleTimeMs: 0,
      groups: req.groupIds.map((id) => {
        if (!groupAllowed(ctx, AclOperation.DESCRIBE, id)) {
          return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupId: id, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
        }
        const g = ctx.broker.groups.describeConsumerGroup(id);
        // Every member of a consumer group here speaks the consumer protocol (no mixed groups).
        return { ...g, members: g.members.map((m) => ({ ...m, memberType: CONSUMER_MEMBER })), authorizedOperations: ops(id, g.errorCode) };
      }),
    };
  },
});

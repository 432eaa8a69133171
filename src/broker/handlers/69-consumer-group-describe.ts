/**
 * ConsumerGroupDescribe v0 (KIP-848): for each group id, the consumer group's state (Empty,
 * Assigning, Reconciling, Stable), group and assignment epochs, the assignor in use, and every
 * member with its epoch, subscription, current and target assignment (topic ids and names).
 * A classic group or an unknown id gets GROUP_ID_NOT_FOUND (the admin client then falls back to
 * DescribeGroups for classic groups). The authorized operations, when asked for, only for a
 * group found (../authorization.ts), as in Kafka.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AclResourceType, AUTHORIZED_OPERATIONS_OMITTED } from '../authorization.js';
import { authorizedOperationsFor } from './common.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 69,
  minVersion: 0,
  maxVersion: 0,
  handle(req, ctx) {
    const withOps = req.includeAuthorizedOperations;
    const ops = (groupId: string, errorCode: number): number =>
      withOps && errorCode === ErrorCode.NONE ? authorizedOperationsFor(ctx, AclResourceType.GROUP, groupId) : AUTHORIZED_OPERATIONS_OMITTED;
    return {
      throttleTimeMs: 0,
      groups: req.groupIds.map((id) => {
        const g = ctx.broker.groups.describeConsumerGroup(id);
        return { ...g, authorizedOperations: ops(id, g.errorCode) };
      }),
    };
  },
});

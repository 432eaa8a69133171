/**
 * DescribeGroups v0-v5: state, protocol type, and members (client id, host, and — when the group
 * is Stable — the chosen protocol, each member's metadata and assignment). An unknown group is
 * described as Dead with no error, as Kafka does up to v5. v3+ may ask for the authorized
 * operations (../authorization.ts): a group described without error gets them, as in Kafka.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AclResourceType, AUTHORIZED_OPERATIONS_OMITTED } from '../authorization.js';
import { authorizedOperationsFor } from './common.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 15,
  minVersion: 0,
  maxVersion: 5,
  handle(req, ctx) {
    const withOps = ctx.apiVersion >= 3 && req.includeAuthorizedOperations;
    const ops = (groupId: string, errorCode: number): number =>
      withOps && errorCode === ErrorCode.NONE ? authorizedOperationsFor(ctx, AclResourceType.GROUP, groupId) : AUTHORIZED_OPERATIONS_OMITTED;
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((id) => {
        const g = ctx.broker.groups.describeGroup(id);
        return { ...g, authorizedOperations: ops(id, g.errorCode) };
      }),
    };
  },
});

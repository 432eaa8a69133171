/**
 * DescribeGroups v0-v6: state, protocol type, and members (client id, host, and — when the group
 * is Stable — the chosen protocol, each member's metadata and assignment). An unknown group is
 * described as Dead with no error up to v5, as Kafka does; v6 (KIP-1043) answers it with
 * GROUP_ID_NOT_FOUND and Kafka's message ("Group <id> not found."), still in state Dead. v3+ may ask
 * for the authorized operations (../authorization.ts): a group described without error gets them,
 * as in Kafka.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AclResourceType, AUTHORIZED_OPERATIONS_OMITTED } from '../authorization.js';
import { authorizedOperationsFor } from './common.js';
import { AclOperation, groupAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 15,
  minVersion: 0,
  maxVersion: 6,
  handle(req, ctx) {
    const withOps = ctx.apiVersion >= 3 && req.includeAuthorizedOperations;
    const ops = (groupId: string, errorCode: number): number =>
      withOps && errorCode === ErrorCode.NONE ? authorizedOperationsFor(ctx, AclResourceType.GROUP, groupId) : AUTHORIZED_OPERATIONS_OMITTED;
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((id) => {
        if (!groupAllowed(ctx, AclOperation.DESCRIBE, id)) {
          return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupId: id, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
        }
        const g = ctx.broker.groups.describeGroup(id);
        if (ctx.apiVersion >= 6 && g.errorCode === ErrorCode.NONE && g.groupState === 'Dead') {
          return { ...g, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${id} not found.`, authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
        }
        return { ...g, errorMessage: null, authorizedOperations: ops(id, g.errorCode) };
      }),
    };
  },
});

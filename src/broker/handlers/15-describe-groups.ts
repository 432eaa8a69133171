/**
 * DescribeGroups v0-v6: state, protocol type, and members (client id, host, and — when the group
 * is Stable — the chosen protocol, each member's metadata and assignment). An unknown group is
 * described as Dead with no error up to v5, as Kafka does; v6 (KIP-1043) answers it with
 * GROUP_ID_NOT_FOUND and Kafka's message ("Group <id> not found."), still in state Dead. v3+ may ask
 * for the authorized operations: without ACLs every group operation (READ, DELETE, DESCRIBE) is
 * allowed.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';

/** Bits of AclOperation READ (3), DELETE (6), DESCRIBE (8). */
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
const NOT_REQUESTED = -2147483648;

export default defineHandler({
  apiKey: 15,
  minVersion: 0,
  maxVersion: 6,
  handle(req, ctx) {
    const ops = ctx.apiVersion >= 3 && req.includeAuthorizedOperations ? GROUP_OPERATIONS : NOT_REQUESTED;
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((id) => {
        const g = ctx.broker.groups.describeGroup(id);
        if (ctx.apiVersion >= 6 && g.errorCode === ErrorCode.NONE && g.groupState === 'Dead') {
          return { ...g, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${id} not found.`, authorizedOperations: ops };
        }
        return { ...g, errorMessage: null, authorizedOperations: ops };
      }),
    };
  },
});

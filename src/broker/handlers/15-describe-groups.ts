/**
 * DescribeGroups v0-v5: state, protocol type, and members (client id, host, and — when the group
 * is Stable — the chosen protocol, each member's metadata and assignment). An unknown group is
 * described as Dead with no error, as Kafka does up to v5. v3+ may ask for the authorized
 * operations: without ACLs every group operation (READ, DELETE, DESCRIBE) is allowed.
 */
import { defineHandler } from './handler.js';

/** Bits of AclOperation READ (3), DELETE (6), DESCRIBE (8). */
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
const NOT_REQUESTED = -2147483648;

export default defineHandler({
  apiKey: 15,
  minVersion: 0,
  maxVersion: 5,
  handle(req, ctx) {
    const ops = ctx.apiVersion >= 3 && req.includeAuthorizedOperations ? GROUP_OPERATIONS : NOT_REQUESTED;
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((id) => ({ ...ctx.broker.groups.describeGroup(id), errorMessage: null, authorizedOperations: ops })),
    };
  },
});

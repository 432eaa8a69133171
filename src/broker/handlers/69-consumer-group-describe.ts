/**
 * ConsumerGroupDescribe v0-v1 (KIP-848): for each group id, the consumer group's state (Empty,
 * Assigning, Reconciling, Stable), group and assignment epochs, the assignor in use, and every
 * member with its epoch, subscription, current and target assignment (topic ids and names).
 * A classic group or an unknown id gets GROUP_ID_NOT_FOUND (the admin client then falls back to
 * DescribeGroups for classic groups). Without ACLs every group operation is authorized. v1 adds each
 * member's MemberType (KIP-1099): always 1 (consumer), as a group here has no classic members.
 */
import { defineHandler } from './handler.js';

/** Bits of AclOperation READ (3), DELETE (6), DESCRIBE (8). */
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
const NOT_REQUESTED = -2147483648;
/** v1's MemberType (KIP-1099): -1 unknown, 0 classic, 1 consumer. */
const CONSUMER_MEMBER = 1;

export default defineHandler({
  apiKey: 69,
  minVersion: 0,
  maxVersion: 1,
  handle(req, ctx) {
    const ops = req.includeAuthorizedOperations ? GROUP_OPERATIONS : NOT_REQUESTED;
    return {
      throttleTimeMs: 0,
      groups: req.groupIds.map((id) => {
        const g = ctx.broker.groups.describeConsumerGroup(id);
        // Every member of a consumer group here speaks the consumer protocol (no mixed groups).
        return { ...g, members: g.members.map((m) => ({ ...m, memberType: CONSUMER_MEMBER })), authorizedOperations: ops };
      }),
    };
  },
});

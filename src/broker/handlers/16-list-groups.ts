/**
 * ListGroups v0-v5: every group this coordinator knows. v4+ filters by state (case-insensitive,
 * KIP-518), v5+ by type (KIP-848): "classic" (JoinGroup) or "consumer" (ConsumerGroupHeartbeat;
 * states Empty, Assigning, Reconciling, Stable).
 */
import { AclOperation, clusterAllowed, groupAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 16,
  minVersion: 0,
  maxVersion: 5,
  handle(req, ctx) {
    const v = ctx.apiVersion;
    const r = ctx.broker.groups.listGroups(v >= 4 ? req.statesFilter : [], v >= 5 ? req.typesFilter : []);
    // Cluster DESCRIBE lists every group; otherwise only those the principal may DESCRIBE.
    const groups = clusterAllowed(ctx, AclOperation.DESCRIBE) ? r.groups : r.groups.filter((g) => groupAllowed(ctx, AclOperation.DESCRIBE, g.groupId));
    return { throttleTimeMs: 0, errorCode: r.errorCode, groups };
  },
});

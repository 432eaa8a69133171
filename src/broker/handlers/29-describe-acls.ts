/**
 * DescribeAcls v1-v3. Needs cluster DESCRIBE. Without an authorizer: SECURITY_DISABLED. The
 * matching ACLs are grouped by resource pattern, as Kafka answers.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { invalidFilter, type AclFilter } from '../acl/acl.js';
import { AclOperation, clusterAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 29,
  minVersion: 1,
  maxVersion: 3,
  handle(req, ctx) {
    const fail = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] });
    if (!clusterAllowed(ctx, AclOperation.DESCRIBE)) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const acls = ctx.broker.acls.authorizer;
    if (acls === null) return fail(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    const f: AclFilter = {
      resourceType: req.resourceTypeFilter,
      resourceName: req.resourceNameFilter,
      patternType: req.patternTypeFilter,
      principal: req.principalFilter,
      host: req.hostFilter,
      operation: req.operation,
      permission: req.permissionType,
    };
    const why = invalidFilter(f);
    if (why !== null) return fail(ErrorCode.INVALID_REQUEST, why);
    const groups = new Map<string, { resourceType: number; resourceName: string; patternType: number; acls: Array<{ principal: string; host: string; operation: number; permissionType: number }> }>();
    for (const b of acls.matching(f)) {
      const key = JSON.stringify([b.resourceType, b.resourceName, b.patternType]);
      let g = groups.get(key);
      if (!g) {
        g = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] };
        groups.set(key, g);
      }
      g.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permission });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: [...groups.values()] };
  },
});

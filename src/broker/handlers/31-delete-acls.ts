/**
 * DeleteAcls v1-v3. Needs cluster ALTER. Each filter removes the ACLs it matches and lists them;
 * without an authorizer each filter fails with SECURITY_DISABLED, an unusable filter (UNKNOWN
 * fields) with INVALID_REQUEST. The removal persists before the answer.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { invalidFilter, type AclBinding, type AclFilter } from '../acl/acl.js';
import { AclOperation, clusterAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 31,
  minVersion: 1,
  maxVersion: 3,
  async handle(req, ctx) {
    const all = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
    if (!clusterAllowed(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    if (ctx.broker.authorizer === null) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    const filters: Array<AclFilter | string> = req.filters.map((x) => {
      const f: AclFilter = {
        resourceType: x.resourceTypeFilter,
        resourceName: x.resourceNameFilter,
        patternType: x.patternTypeFilter,
        principal: x.principalFilter,
        host: x.hostFilter,
        operation: x.operation,
        permission: x.permissionType,
      };
      return invalidFilter(f) ?? f;
    });
    let deleted: AclBinding[][];
    try {
      deleted = await ctx.broker.acls.delete(filters.filter((f): f is AclFilter => typeof f !== 'string'));
    } catch (err) {
      return all(ErrorCode.UNKNOWN_SERVER_ERROR, `Failed to store the ACLs: ${(err as Error).message}`);
    }
    let i = 0;
    return {
      throttleTimeMs: 0,
      filterResults: filters.map((f) => {
        if (typeof f === 'string') return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: f, matchingAcls: [] };
        const list = deleted[i++]!;
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          matchingAcls: list.map((b) => ({
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            resourceType: b.resourceType,
            resourceName: b.resourceName,
            patternType: b.patternType,
            principal: b.principal,
            host: b.host,
            operation: b.operation,
            permissionType: b.permission,
          })),
        };
      }),
    };
  },
});

/**
 * CreateAcls v1-v3 (the versions of Kafka 4.3.1's spec). Needs cluster ALTER. Without an
 * authorizer every creation fails with SECURITY_DISABLED; an invalid binding (unknown type,
 * operation, permission or pattern type, empty name, a CLUSTER resource not named kafka-cluster,
 * a principal without a type) fails alone with INVALID_REQUEST. ACLs persist before the answer.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { invalidBinding, type AclBinding } from '../acl/acl.js';
import { AclOperation, clusterAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 30,
  minVersion: 1,
  maxVersion: 3,
  async handle(req, ctx) {
    const all = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) });
    if (!clusterAllowed(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    if (ctx.broker.authorizer === null) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    const results: Array<{ errorCode: number; errorMessage: string | null }> = [];
    const valid: AclBinding[] = [];
    for (const c of req.creations) {
      const b: AclBinding = {
        resourceType: c.resourceType,
        resourceName: c.resourceName,
        patternType: c.resourcePatternType,
        principal: c.principal,
        host: c.host,
        operation: c.operation,
        permission: c.permissionType,
      };
      const why = invalidBinding(b);
      if (why !== null) results.push({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: why });
      else {
        valid.push(b);
        results.push({ errorCode: ErrorCode.NONE, errorMessage: null });
      }
    }
    try {
      await ctx.broker.acls.create(valid);
    } catch (err) {
      const msg = `Failed to store the ACLs: ${(err as Error).message}`;
      return { throttleTimeMs: 0, results: results.map((r) => (r.errorCode === ErrorCode.NONE ? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: msg } : r)) };
    }
    return { throttleTimeMs: 0, results };
  },
});

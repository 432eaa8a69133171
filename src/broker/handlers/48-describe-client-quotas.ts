/**
 * DescribeClientQuotas v0-1: the quotas of the entities a filter matches. Each component names an
 * entity type (user, client-id, ip) and a match: EXACT (0) with a name, DEFAULT (1) the type's
 * default entity, SPECIFIED (2) any entity of the type; `strict` also excludes entities with
 * other types. No components: every entity (strict: none). Needs DESCRIBE_CONFIGS on the
 * cluster. Errors as Kafka's (the whole request, no entries): INVALID_REQUEST for an empty type,
 * a type given twice, a match string that does not fit the match type, an unknown match type, or
 * ip with user/client-id; UNSUPPORTED_VERSION for an unknown entity type.
 */
import { ErrorCode, errorInfo } from '../../protocol/errors.js';
import { CLIENT_ID, IP, USER } from '../quota/entity.js';
import { javaHash, javaHashMapOrder } from '../../util/java-hash-map.js';
import { AclOperation, clusterAllowed } from './auth.js';
import { defineHandler } from './handler.js';

const MATCH_EXACT = 0;
const MATCH_DEFAULT = 1;
const MATCH_SPECIFIED = 2;

class FilterError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export default defineHandler({
  apiKey: 48,
  minVersion: 0,
  maxVersion: 1,
  handle(req, ctx) {
    const fail = (code: number, message: string) => ({ throttleTimeMs: 0, errorCode: code, errorMessage: message, entries: null });
    if (!clusterAllowed(ctx, AclOperation.DESCRIBE_CONFIGS)) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorInfo(ErrorCode.CLUSTER_AUTHORIZATION_FAILED).message);
    const exact = new Map<string, string | null>();
    const specified = new Set<string>();
    try {
      for (const c of req.components) {
        const t = c.entityType;
        if (t === '') throw new FilterError(ErrorCode.INVALID_REQUEST, 'Invalid empty entity type.');
        if (exact.has(t) || specified.has(t)) throw new FilterError(ErrorCode.INVALID_REQUEST, `Entity type ${t} cannot appear more than once in the filter.`);
        if (t !== IP && t !== USER && t !== CLIENT_ID) throw new FilterError(ErrorCode.UNSUPPORTED_VERSION, `Unsupported entity type ${t}`);
        if (c.matchType === MATCH_EXACT) {
          if (c.match === null) throw new FilterError(ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_EXACT, but set match string to null.');
          exact.set(t, c.match);
        } else if (c.matchType === MATCH_DEFAULT) {
          if (c.match !== null) throw new FilterError(ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_DEFAULT, but also specified a match string.');
          exact.set(t, null);
        } else if (c.matchType === MATCH_SPECIFIED) {
          if (c.match !== null) throw new FilterError(ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.');
          specified.add(t);
        } else {
          throw new FilterError(ErrorCode.INVALID_REQUEST, `Unknown match type ${c.matchType}`);
        }
      }
      const hasIp = exact.has(IP) || specified.has(IP);
      const hasOther = exact.has(USER) || specified.has(USER) || exact.has(CLIENT_ID) || specified.has(CLIENT_ID);
      if (hasIp && hasOther) {
        throw new FilterError(ErrorCode.INVALID_REQUEST, 'Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.');
      }
    } catch (err) {
      if (err instanceof FilterError) return fail(err.code, err.message);
      throw err;
    }
    const entries = ctx.broker.quotas.clientQuotas.matching(exact, specified, req.strict).map((m) => ({
      entity: Object.keys(m.entity).map((entityType) => ({ entityType, entityName: m.entity[entityType]! })),
      // In the order of Kafka's image (a HashMap of 16 buckets), which tools print ties in.
      values: javaHashMapOrder([...m.values], ([key]) => javaHash(key), 16).map(([key, value]) => ({ key, value })),
    }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries };
  },
});

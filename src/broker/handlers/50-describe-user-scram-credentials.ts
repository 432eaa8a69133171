/**
 * DescribeUserScramCredentials v0: the mechanisms and iterations of users' SCRAM credentials
 * (never salts or keys). No users named (null or empty): every user that has one.
 */
import { ErrorCode, errorInfo } from '../../protocol/errors.js';
import type { ScramMechanism } from '../../protocol/sasl/scram-math.js';
import { AclOperation, clusterAllowed } from './auth.js';
import { defineHandler } from './handler.js';

const MECHANISM_CODE: Record<ScramMechanism, number> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };

export default defineHandler({
  apiKey: 50,
  minVersion: 0,
  maxVersion: 0,
  handle(req, ctx) {
    if (!clusterAllowed(ctx, AclOperation.DESCRIBE)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: errorInfo(ErrorCode.CLUSTER_AUTHORIZATION_FAILED).message, results: [] };
    }
    const store = ctx.broker.scram;
    const names = req.users && req.users.length > 0 ? req.users.map((u) => u.name) : store.users();
    const seen = new Map<string, number>();
    for (const n of names) seen.set(n, (seen.get(n) ?? 0) + 1);
    const done = new Set<string>();
    const results = [];
    for (const user of names) {
      if (done.has(user)) continue;
      done.add(user);
      if (seen.get(user)! > 1) {
        results.push({ user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] });
        continue;
      }
      const infos = store.describe(user);
      if (infos.length === 0) {
        results.push({ user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] });
        continue;
      }
      results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos.map((i) => ({ mechanism: MECHANISM_CODE[i.mechanism], iterations: i.iterations })) });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
});

/**
 * AlterUserScramCredentials v0: adds, replaces and deletes users' SCRAM credentials. The client
 * sends the salt and the salted password; the broker keeps salt, StoredKey, ServerKey and
 * iterations. Checks as Kafka's: a user named twice for one mechanism, an unknown mechanism,
 * iterations outside 4096..16384, deleting what does not exist. One result per user: a user
 * with any bad alteration gets its error and none of its alterations is applied.
 */
import { ErrorCode, errorInfo } from '../../protocol/errors.js';
import { credentialFromSalted, hashLength, MAX_ITERATIONS, MIN_ITERATIONS, type ScramCredential, type ScramMechanism } from '../../protocol/sasl/scram-math.js';
import { AclOperation, clusterAllowed } from './auth.js';
import { defineHandler } from './handler.js';

const MECHANISMS: Record<number, ScramMechanism> = { 1: 'SCRAM-SHA-256', 2: 'SCRAM-SHA-512' };

export default defineHandler({
  apiKey: 51,
  minVersion: 0,
  maxVersion: 0,
  async handle(req, ctx) {
    if (!clusterAllowed(ctx, AclOperation.ALTER)) {
      // Kafka: every user of the request gets CLUSTER_AUTHORIZATION_FAILED, nothing changes.
      const users = [...new Set([...req.deletions, ...req.upsertions].map((a) => a.name))];
      return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: errorInfo(ErrorCode.CLUSTER_AUTHORIZATION_FAILED).message })) };
    }
    const store = ctx.broker.scram;
    const errors = new Map<string, { errorCode: number; errorMessage: string }>();
    const order: string[] = [];
    const fail = (user: string, errorCode: number, errorMessage: string): void => {
      if (!errors.has(user)) errors.set(user, { errorCode, errorMessage });
    };
    const counts = new Map<string, number>();
    for (const a of [...req.deletions, ...req.upsertions]) {
      if (!order.includes(a.name)) order.push(a.name);
      const key = `${a.name}\u0000${a.mechanism}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const deletions: Array<{ user: string; mechanism: ScramMechanism }> = [];
    const upsertions: Array<{ user: string; mechanism: ScramMechanism; credential: ScramCredential }> = [];
    for (const d of req.deletions) {
      const m = MECHANISMS[d.mechanism];
      if (d.name === '') fail(d.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
      else if (counts.get(`${d.name}\u0000${d.mechanism}`)! > 1) fail(d.name, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
      else if (!m) fail(d.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
      else if (!store.has(d.name, m)) fail(d.name, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
      else deletions.push({ user: d.name, mechanism: m });
    }
    for (const u of req.upsertions) {
      const m = MECHANISMS[u.mechanism];
      if (u.name === '') fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
      else if (counts.get(`${u.name}\u0000${u.mechanism}`)! > 1) fail(u.name, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
      else if (!m) fail(u.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
      else if (u.iterations < MIN_ITERATIONS) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too few iterations');
      else if (u.iterations > MAX_ITERATIONS) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too many iterations');
      else if (u.salt.length === 0) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salt must not be empty');
      else if (u.saltedPassword.length !== hashLength(m)) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, `The salted password of ${m} must be ${hashLength(m)} bytes`);
      else upsertions.push({ user: u.name, mechanism: m, credential: credentialFromSalted(m, Buffer.from(u.salt), Buffer.from(u.saltedPassword), u.iterations) });
    }
    await store.apply(
      deletions.filter((d) => !errors.has(d.user)),
      upsertions.filter((u) => !errors.has(u.user)),
    );
    return {
      throttleTimeMs: 0,
      results: order.map((user) => ({ user, errorCode: errors.get(user)?.errorCode ?? ErrorCode.NONE, errorMessage: errors.get(user)?.errorMessage ?? null })),
    };
  },
});

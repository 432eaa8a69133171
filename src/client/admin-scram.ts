/**
 * Users' SCRAM credentials through the admin API (DescribeUserScramCredentials and
 * AlterUserScramCredentials): the password is salted and hashed here, only salt, iterations and
 * the salted password go to the broker, as Kafka's Admin does.
 */
import { randomBytes } from 'node:crypto';
import { ApiKey } from '../protocol/messages/index.js';
import { ErrorCode } from '../protocol/errors.js';
import { saltedPassword, type ScramMechanism } from '../protocol/sasl/scram-math.js';
import type { Connection } from './connection.js';

export const SCRAM_MECHANISM_CODES: Record<ScramMechanism, number> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };
const MECHANISM_NAMES: Record<number, ScramMechanism> = { 1: 'SCRAM-SHA-256', 2: 'SCRAM-SHA-512' };

export type ScramAlteration =
  | { user: string; mechanism: ScramMechanism; iterations?: number; password: string }
  | { user: string; mechanism: ScramMechanism; delete: true };

export interface UserScramCredentials {
  user: string;
  credentials: Array<{ mechanism: ScramMechanism | 'UNKNOWN'; iterations: number }>;
}

/** Per-user outcome: errorCode 0, or the broker's error and message. */
export type UserOutcome = { resource: string; errorCode: number; errorMessage: string | null };

export async function describeUserScram(conn: Connection, users: readonly string[] | null): Promise<{ described: UserScramCredentials[]; outcomes: UserOutcome[] }> {
  const res = await conn.send(ApiKey.DescribeUserScramCredentials, { users: users === null ? null : users.map((name) => ({ name })) });
  if (res.errorCode !== ErrorCode.NONE) return { described: [], outcomes: [{ resource: '', errorCode: res.errorCode, errorMessage: res.errorMessage }] };
  return {
    described: res.results
      .filter((r) => r.errorCode === ErrorCode.NONE)
      .map((r) => ({ user: r.user, credentials: r.credentialInfos.map((c) => ({ mechanism: MECHANISM_NAMES[c.mechanism] ?? 'UNKNOWN', iterations: c.iterations })) })),
    outcomes: res.results.map((r) => ({ resource: r.user, errorCode: r.errorCode, errorMessage: r.errorMessage })),
  };
}

export async function alterUserScram(conn: Connection, alterations: readonly ScramAlteration[]): Promise<UserOutcome[]> {
  const deletions = [];
  const upsertions = [];
  for (const a of alterations) {
    const mechanism = SCRAM_MECHANISM_CODES[a.mechanism];
    if ('delete' in a) deletions.push({ name: a.user, mechanism });
    else {
      const iterations = a.iterations ?? 4096;
      const salt = randomBytes(32);
      // Iterations outside the broker's range are sent as they are (the broker refuses them, with its message).
      const salted = iterations >= 1 && iterations <= 1_000_000 ? saltedPassword(a.mechanism, a.password, salt, iterations) : Buffer.alloc(0);
      upsertions.push({ name: a.user, mechanism, iterations, salt, saltedPassword: salted });
    }
  }
  const res = await conn.send(ApiKey.AlterUserScramCredentials, { deletions, upsertions });
  return res.results.map((r) => ({ resource: r.user, errorCode: r.errorCode, errorMessage: r.errorMessage }));
}

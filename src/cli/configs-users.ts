/**
 * kafka-configs --entity-type users: SCRAM credentials (quotas of users: configs-quotas.ts, which
 * sends SCRAM alterations here and prints these lines after the users' quota lines).
 *   --alter --entity-name U --add-config 'SCRAM-SHA-256=[iterations=8192,password=p],SCRAM-SHA-512=[password=p]'
 *   --alter --entity-name U --delete-config SCRAM-SHA-512
 *   --describe [--entity-name U]
 * Output as Kafka's ConfigCommand prints it for SCRAM credentials.
 */
import type { Admin } from '../client/admin.js';
import { AdminError } from '../client/admin.js';
import type { ScramAlteration } from '../client/admin-scram.js';
import type { CommandIO } from './common.js';
import { UsageError } from './common.js';

const MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
type Mechanism = (typeof MECHANISMS)[number];
const isMechanism = (s: string): s is Mechanism => (MECHANISMS as readonly string[]).includes(s);

/** The SCRAM alterations of --add-config pairs (values without their brackets) and --delete-config keys. */
export function userAlterations(user: string, adds: ReadonlyArray<[string, string]>, deletes: readonly string[]): ScramAlteration[] {
  const out: ScramAlteration[] = [];
  for (const [key, value] of adds) {
    if (!isMechanism(key)) throw new UsageError(`Invalid config(s): ${key}`);
    const fields = new Map<string, string>();
    for (const part of value.split(',')) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new UsageError(`Invalid credential property ${part.trim()} for ${key}: expected iterations=N and password=P`);
      fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const password = fields.get('password');
    if (password === undefined) throw new UsageError(`You must supply 'password' to add '${key}'`);
    const iterations = fields.has('iterations') ? Number(fields.get('iterations')) : 4096;
    if (!Number.isInteger(iterations)) throw new UsageError(`Invalid iterations ${fields.get('iterations')} for ${key}`);
    out.push({ user, mechanism: key, iterations, password });
  }
  for (const key of deletes) {
    if (!isMechanism(key)) throw new UsageError(`Invalid config(s): ${key}`);
    out.push({ user, mechanism: key, delete: true });
  }
  return out;
}

export async function alterUser(admin: Admin, user: string, adds: ReadonlyArray<[string, string]>, deletes: readonly string[], io: CommandIO): Promise<void> {
  await admin.alterUserScramCredentials(userAlterations(user, adds, deletes));
  io.out(`Completed updating config for user ${user}.\n`);
}

export async function describeUsers(admin: Admin, user: string | null, io: CommandIO): Promise<void> {
  let described;
  try {
    described = await admin.describeUserScramCredentials(user === null ? undefined : [user]);
  } catch (err) {
    if (!(err instanceof AdminError) || user === null) throw err;
    const f = err.failures[0]!;
    // Kafka's DescribeUserScramCredentialsResult.users() leaves out users that have none.
    if (f.error.errorName === 'RESOURCE_NOT_FOUND') return;
    io.out(`Error retrieving SCRAM credential configs for user-principal '${user}': ${f.error.errorName}: ${f.error.message}\n`);
    return;
  }
  for (const d of described) {
    io.out(`SCRAM credential configs for user-principal '${d.user}' are ${d.credentials.map((c) => `${c.mechanism}=iterations=${c.iterations}`).join(', ')}\n`);
  }
}

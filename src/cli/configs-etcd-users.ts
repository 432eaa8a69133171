/**
 * kafka-configs --zookeeper <etcd> --entity-type users: SCRAM credentials written straight into
 * the cluster's etcd, as Kafka 2.x's
 * `kafka-configs.sh --zookeeper` wrote them to ZooKeeper. This is how the brokers' own
 * inter-broker SCRAM user is created before any broker runs (with SCRAM on the inter-broker
 * listener, brokers cannot replicate until it exists); running brokers apply it from their watch.
 * The password is salted and hashed here; only salt, StoredKey, ServerKey and iterations are stored.
 *
 * The tools may not import the broker, so the layout is restated here (as etcd-brokers.ts does
 * for registrations): `scram/<mechanism>/<user>` holding
 * `{"version":1,"salt","stored_key","server_key" (base64),"iterations"}`, as
 * src/broker/cluster/security-keys.ts reads it; test/cluster/inter-broker-security.test.ts has
 * brokers log in with a credential written here.
 */
import { newCredential, MAX_ITERATIONS, MIN_ITERATIONS, SCRAM_MECHANISMS, type ScramMechanism } from '../protocol/sasl/scram-math.js';
import { parseConnectString } from '../util/connect-string.js';
import type { ScramAlteration } from '../client/admin-scram.js';
import type { CommandIO } from './common.js';

const SCRAM_PREFIX = 'scram/';
const scramKey = (user: string, mechanism: ScramMechanism): string => `${SCRAM_PREFIX}${mechanism}/${user}`;

function encodeCredential(mechanism: ScramMechanism, password: string, iterations: number): string {
  const c = newCredential(mechanism, password, iterations);
  return JSON.stringify({ version: 1, salt: c.salt.toString('base64'), stored_key: c.storedKey.toString('base64'), server_key: c.serverKey.toString('base64'), iterations: c.iterations });
}

/** A stored credential's mechanism, user and iterations; null for anything else. */
function decodeEntry(key: string, value: string): { user: string; mechanism: ScramMechanism; iterations: number } | null {
  const rest = key.slice(SCRAM_PREFIX.length);
  const slash = rest.indexOf('/');
  const mechanism = SCRAM_MECHANISMS.find((m) => m === rest.slice(0, slash));
  const user = rest.slice(slash + 1);
  if (slash < 0 || !mechanism || user === '') return null;
  try {
    const v = JSON.parse(value) as { iterations?: unknown } | null;
    return v && typeof v.iterations === 'number' && Number.isInteger(v.iterations) ? { user, mechanism, iterations: v.iterations } : null;
  } catch {
    return null;
  }
}

async function withEtcd<T>(connect: string, fn: (ns: import('etcd3').Namespace) => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const spec = parseConnectString(connect);
  const { Etcd3 } = await import('etcd3');
  const client = new Etcd3({ hosts: spec.endpoints, dialTimeout: timeoutMs });
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`etcd at ${connect} did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    return await Promise.race([fn(client.namespace(spec.prefix)), deadline]);
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

/** Applies the alterations in one etcd transaction; a deletion of a credential that is not there is an error, as from a broker. */
export async function alterUserInEtcd(connect: string, user: string, alterations: readonly ScramAlteration[], io: CommandIO): Promise<void> {
  for (const a of alterations) {
    if ('delete' in a) continue;
    const iterations = a.iterations ?? 4096;
    if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) throw new Error(`Invalid iterations ${iterations} for ${a.mechanism}: between ${MIN_ITERATIONS} and ${MAX_ITERATIONS}`);
  }
  await withEtcd(connect, async (ns) => {
    for (const a of alterations) {
      if (!('delete' in a)) continue;
      if ((await ns.get(scramKey(user, a.mechanism)).string()) === null) throw new Error(`RESOURCE_NOT_FOUND: Attempt to delete a user credential that does not exist (${a.mechanism} of ${user})`);
    }
    const ops = alterations.map((a) =>
      'delete' in a ? ns.delete().key(scramKey(user, a.mechanism)) : ns.put(scramKey(user, a.mechanism)).value(encodeCredential(a.mechanism, a.password, a.iterations ?? 4096)),
    );
    await ns.if(scramKey(user, alterations[0]!.mechanism), 'Version', '>', -1).then(...ops).commit();
  });
  io.out(`Completed updating config for user ${user}.\n`);
}

export async function describeUsersInEtcd(connect: string, user: string | null, io: CommandIO): Promise<void> {
  const kvs = await withEtcd(connect, (ns) => ns.getAll().prefix(SCRAM_PREFIX).strings());
  const byUser = new Map<string, string[]>();
  for (const [key, value] of Object.entries(kvs)) {
    const e = decodeEntry(key, value);
    if (!e || (user !== null && e.user !== user)) continue;
    const list = byUser.get(e.user) ?? [];
    list.push(`${e.mechanism}=iterations=${e.iterations}`);
    byUser.set(e.user, list);
  }
  for (const u of [...byUser.keys()].sort()) io.out(`SCRAM credential configs for user-principal '${u}' are ${byUser.get(u)!.sort().join(', ')}\n`);
}

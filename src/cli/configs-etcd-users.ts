/**
 * kafka-configs --zookeeper <etcd> --entity-type users: SCRAM credentials written straight into
 * the cluster's etcd (the keys of src/broker/cluster/security-keys.ts), as Kafka 2.x's
 * `kafka-configs.sh --zookeeper` wrote them to ZooKeeper. This is how the brokers' own
 * inter-broker SCRAM user is created before any broker runs (with SCRAM on the inter-broker
 * listener, brokers cannot replicate until it exists); running brokers apply it from their watch.
 * The password is salted and hashed here; only salt, StoredKey, ServerKey and iterations are stored.
 */
import { newCredential, MAX_ITERATIONS, MIN_ITERATIONS } from '../protocol/sasl/scram-math.js';
import { storedCredential } from '../broker/security/scram-store.js';
import { decodeScram, encodeScram, parseScramKey, scramKey, SCRAM_PREFIX } from '../broker/cluster/security-keys.js';
import { parseConnectString } from '../util/connect-string.js';
import type { ScramAlteration } from '../client/admin-scram.js';
import type { CommandIO } from './common.js';

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
      'delete' in a ? ns.delete().key(scramKey(user, a.mechanism)) : ns.put(scramKey(user, a.mechanism)).value(encodeScram(storedCredential(newCredential(a.mechanism, a.password, a.iterations ?? 4096)))),
    );
    await ns.if(scramKey(user, alterations[0]!.mechanism), 'Version', '>', -1).then(...ops).commit();
  });
  io.out(`Completed updating config for user ${user}.\n`);
}

export async function describeUsersInEtcd(connect: string, user: string | null, io: CommandIO): Promise<void> {
  const kvs = await withEtcd(connect, (ns) => ns.getAll().prefix(SCRAM_PREFIX).strings());
  const byUser = new Map<string, string[]>();
  for (const [key, value] of Object.entries(kvs)) {
    const k = parseScramKey(key);
    const c = decodeScram(value);
    if (!k || !c || (user !== null && k.user !== user)) continue;
    const list = byUser.get(k.user) ?? [];
    list.push(`${k.mechanism}=iterations=${c.iterations}`);
    byUser.set(k.user, list);
  }
  for (const u of [...byUser.keys()].sort()) io.out(`SCRAM credential configs for user-principal '${u}' are ${byUser.get(u)!.sort().join(', ')}\n`);
}

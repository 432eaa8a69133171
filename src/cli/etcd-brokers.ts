/**
 * The live brokers of a Tributary cluster, read from its coordination service (etcd) under the
 * connect string's chroot: the keys `brokers/ids/<id>`, whose JSON values carry "host" and "port"
 * (the layout of src/broker/cluster/view.ts). This is what lets the tools take the ZooKeeper-era
 * `--zookeeper host:port[/chroot]` and still talk to brokers as with --bootstrap-server.
 */
import { parseConnectString } from '../util/connect-string.js';

export interface RegisteredBroker {
  id: number;
  host: string;
  port: number;
}

const BROKER_KEY = /^brokers\/ids\/(\d+)$/;

/** A broker key's value as a registration; null when it is not one (a foreign or damaged value). */
export function decodeRegisteredBroker(id: number, value: string): RegisteredBroker | null {
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object') return null;
  const { host, port } = v as { host?: unknown; port?: unknown };
  if (typeof host !== 'string' || host === '' || typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { id, host, port };
}

/**
 * Reads the registered brokers, sorted by id, from the etcd the connect string names. Rejects with
 * a RangeError for a malformed connect string, and with an Error when etcd does not answer within
 * `timeoutMs`.
 */
export async function brokersFromEtcd(connect: string, timeoutMs = 10_000): Promise<RegisteredBroker[]> {
  const spec = parseConnectString(connect);
  // Loaded on demand: only --zookeeper needs the gRPC client.
  const { Etcd3 } = await import('etcd3');
  const client = new Etcd3({ hosts: spec.endpoints, dialTimeout: timeoutMs });
  let timer: NodeJS.Timeout | undefined;
  try {
    const read = client.namespace(spec.prefix).getAll().prefix('brokers/ids/').exec();
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`etcd at ${connect} did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const res = await Promise.race([read, deadline]);
    const out: RegisteredBroker[] = [];
    for (const kv of res.kvs) {
      const m = BROKER_KEY.exec(kv.key.toString());
      if (!m) continue;
      const b = decodeRegisteredBroker(Number(m[1]), kv.value.toString());
      if (b) out.push(b);
    }
    return out.sort((a, b) => a.id - b.id);
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

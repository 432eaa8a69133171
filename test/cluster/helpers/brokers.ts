// In-process brokers of one cluster on a real etcd, each with its own port and data dir, for the
// replication tests: `start(id)`, `stop(id)` (a clean close: its session ends at once) and
// `eventually(check)` (polls a condition with a deadline; the tests never sleep to synchronise).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Broker, type BrokerOptions } from '../../../src/broker/broker.js';

export interface TestCluster {
  readonly connect: string;
  readonly brokers: Map<number, Broker>;
  start(id: number): Promise<Broker>;
  stop(id: number): Promise<void>;
  bootstrap(id?: number): string;
  close(): Promise<void>;
}

/** `extra`: configs every broker gets (over the defaults below), or a function giving each broker's. */
export async function startCluster(etcdAddress: string, ids: readonly number[], extra: BrokerOptions | ((id: number) => BrokerOptions) = {}): Promise<TestCluster> {
  const root = mkdtempSync(join(tmpdir(), 'tributary-cluster-'));
  const chroot = `/c${Math.floor(Math.random() * 1e9)}`;
  const connect = `${etcdAddress}${chroot}`;
  const brokers = new Map<number, Broker>();
  const ports = new Map<number, number>();
  const level = process.env.TRIBUTARY_TEST_LOG ?? 'silent';
  const cluster: TestCluster = {
    connect,
    brokers,
    async start(id) {
      const b = await Broker.start(
        {
          'broker.id': id,
          listeners: `PLAINTEXT://127.0.0.1:${ports.get(id) ?? 0}`,
          'log.dirs': join(root, `broker-${id}`),
          'etcd.connect': connect,
          'zookeeper.session.timeout.ms': 3000,
          'offsets.topic.replication.factor': Math.min(3, ids.length),
          'offsets.topic.num.partitions': 3,
          'replica.fetch.wait.max.ms': 100,
          'replica.fetch.backoff.ms': 50,
          'group.initial.rebalance.delay.ms': 0,
          'controlled.shutdown.retry.backoff.ms': 200,
          ...(typeof extra === 'function' ? extra(id) : extra),
        },
        { logger: pino({ level, base: { broker: id } }, pino.destination(2)) },
      );
      ports.set(id, b.port);
      brokers.set(id, b);
      return b;
    },
    async stop(id) {
      const b = brokers.get(id);
      brokers.delete(id);
      await b?.close();
    },
    bootstrap(id) {
      const b = id === undefined ? [...brokers.values()][0] : brokers.get(id);
      if (!b) throw new Error(`no broker ${id ?? ''} running`);
      return b.bootstrap;
    },
    async close() {
      for (const id of [...brokers.keys()]) await cluster.stop(id);
      rmSync(root, { recursive: true, force: true });
    },
  };
  for (const id of ids) await cluster.start(id);
  return cluster;
}

/** Resolves once `check` returns a value other than undefined/false; rejects with `what` after the deadline. */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

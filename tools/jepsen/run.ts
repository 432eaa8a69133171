/**
 * One run: start the cluster, create the topic, start readers and writers, let the nemesis loose
 * for the workload's duration, heal, let outstanding writes settle, read every partition to its
 * end, check. The cluster is stopped whatever happens.
 */
import { join } from 'node:path';
import { anomalies, stats } from './checker.js';
import type { ClusterDriver } from './cluster.js';
import { createTopic } from './cluster-info.js';
import { Reader } from './consumers.js';
import { ErrorLog } from './errors.js';
import { finalRead } from './final-read.js';
import type { History } from './history.js';
import { injectFaults } from './inject.js';
import { Nemesis, seededRandom, type Fault } from './nemesis.js';
import type { Partitioner } from './partition.js';
import { ProducerLoad } from './producers.js';
import type { RunResult } from './report.js';

export interface RunOptions {
  run: number;
  seed: number;
  seconds: number;
  partitions: number;
  producers: number;
  rate: number;
  faults: readonly Fault[];
  unsafe: boolean;
  injectFaults: boolean;
  groupReader: boolean;
  partitioner?: Partitioner;
  log: (line: string) => void;
}

export async function runOnce(cluster: ClusterDriver, o: RunOptions): Promise<RunResult> {
  const errors = new ErrorLog();
  const topic = `jepsen-${o.run}`;
  const notes: string[] = [];
  const empty: History = { topic, partitions: o.partitions, startMs: 0, endMs: 0, writes: [], reads: [], finalReads: [], finalReadComplete: false, nemesis: [], clientErrors: {} };
  const base = { run: o.run, broker: cluster.kind, seed: o.seed, notes };
  const t0 = Date.now();
  try {
    await cluster.start();
  } catch (err) {
    const r = { ...base, startupMs: Date.now() - t0, history: empty, anomalies: anomalies(empty), stats: stats(empty), failure: `the cluster did not start: ${(err as Error).message}` };
    await cluster.stop().catch(() => undefined);
    return r;
  }
  const startupMs = Date.now() - t0;
  o.log(`cluster ready after ${(startupMs / 1000).toFixed(1)} s (${cluster.bootstrap()}), data in ${cluster.dir}`);
  try {
    const bootstrap = cluster.bootstrap();
    await createTopic(bootstrap, topic, o.partitions, 3, cluster.topicConfigs(o.unsafe));
    notes.push(`topic configs: ${JSON.stringify(cluster.topicConfigs(o.unsafe))}; producers ${o.unsafe ? 'acks=1, not idempotent (--unsafe)' : 'acks=-1, idempotent'}`);
    const random = seededRandom(o.seed);
    const load = new ProducerLoad({ bootstrap, topic, partitions: o.partitions, producers: o.producers, ratePerSecond: o.rate, window: 50, unsafe: o.unsafe }, errors);
    await load.connect();
    const readers = [new Reader({ bootstrap, topic, partitions: o.partitions, mode: 'assign', name: 'assign-reader', pollTimeoutMs: 30_000 }, errors)];
    if (o.groupReader) readers.push(new Reader({ bootstrap, topic, partitions: o.partitions, mode: 'group', name: 'group-reader', groupId: `jepsen-${o.run}-${o.seed}`, pollTimeoutMs: 30_000 }, errors));
    for (const r of readers) r.start();
    const nemesis = new Nemesis(cluster, { topic, partitions: o.partitions, faults: o.faults, quietMs: [2_000, 5_000], downMs: [4_000, 9_000], random, ...(o.partitioner ? { partitioner: o.partitioner } : {}) });

    const startMs = Date.now();
    const endMs = startMs + o.seconds * 1000;
    o.log(`workload for ${o.seconds} s: ${o.producers} producers at ${o.rate} writes/s, faults ${o.faults.join(', ') || 'none'}`);
    await Promise.all([load.run(endMs), nemesis.run(endMs - 3_000)]);
    o.log(`healing (${load.outstanding} writes outstanding)`);
    await nemesis.heal();
    await load.settle(30_000);
    load.freeze();
    if (load.outstanding > 0) notes.push(`${load.outstanding} writes still had no answer 30 s after the workload ended and the cluster healed (left indeterminate)`);
    await Promise.all(readers.map((r) => r.stop(5_000)));
    await load.close(5_000);
    o.log('final read');
    const fin = await finalRead(bootstrap, topic, (n) => cluster.address(n), 60_000, errors);
    if (fin.problem) notes.push(`final read: ${fin.problem}`);
    let history: History = {
      topic,
      partitions: o.partitions,
      startMs,
      endMs,
      writes: load.writes,
      reads: readers.flatMap((r) => r.reads),
      finalReads: fin.reads,
      finalReadComplete: fin.complete,
      nemesis: nemesis.events,
      clientErrors: errors.counts,
    };
    if (o.injectFaults) {
      const inj = injectFaults(history);
      history = inj.history;
      notes.push(...inj.injected.map((x) => `injected (--inject-faults): ${x}`));
    }
    return { ...base, startupMs, history, anomalies: anomalies(history), stats: stats(history) };
  } catch (err) {
    return { ...base, startupMs, history: empty, anomalies: anomalies(empty), stats: stats(empty), failure: `the run failed: ${(err as Error).stack ?? String(err)}` };
  } finally {
    await o.partitioner?.healAll().catch((err: Error) => o.log(`healing the network failed: ${err.message}`));
    o.log('stopping the cluster');
    await cluster.stop().catch((err: Error) => o.log(`stop failed: ${err.message}`));
  }
}

export function historyFile(dir: string): string {
  return join(dir, 'history.json');
}

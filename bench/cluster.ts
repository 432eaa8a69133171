/**
 * The cluster comparison (scripts/bench-compare.sh --cluster): three Tributary brokers on one
 * etcd against three Apache Kafka KRaft nodes (combined mode), both on this machine, one after the
 * other, started by the Jepsen drivers (tools/jepsen). For each:
 *
 * - produce 100 B and 1 KB records with Kafka's ProducerPerformance, acks=all, to a topic with
 *   three partitions, replication factor 3, min.insync.replicas=2: records/s, MB/s, p99; the
 *   topic's size is checked against the count afterwards;
 * - time to recover: kill -9 the leader of a one-partition topic (RF 3, min.insync.replicas=2),
 *   then send one-record acks=-1 produces to whichever node the survivors name as leader until
 *   one is acknowledged; the time from the kill to that acknowledgement, repeated (the killed
 *   node is restarted and the ISR full again before the next).
 *
 * Every child has a deadline; the whole run is also under a hard timeout in the script.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { Connection } from '../src/client/connection.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { ApiKey } from '../src/protocol/messages/index.js';
import { encodeRecordBatchSync } from '../src/protocol/records/index.js';
import { ZERO_UUID } from '../src/protocol/primitives/index.js';
import { signal, type ClusterDriver } from '../tools/jepsen/cluster.js';
import { createTopic, endOffsets, topicState } from '../tools/jepsen/cluster-info.js';
import { KafkaCluster } from '../tools/jepsen/kafka-cluster.js';
import { runCommand } from '../tools/jepsen/proc.js';
import { TributaryCluster } from '../tools/jepsen/tributary-cluster.js';
import { here, isEntryPoint, median, parseFlags } from './lib.js';

const root = resolve(here, '../..');

const FLAGS = {
  cluster: true,
  quick: false,
  kafkaLibs: '',
  brokers: 'kafka,tributary',
  records100: 0,
  records1k: 0,
  recoveries: 0,
  sessionTimeoutMs: 6000,
  resultsDir: join(root, 'bench/results'),
};

type Flags = typeof FLAGS;

/** The cluster running now, for the exit handler. */
let active: ClusterDriver | null = null;

interface Figure {
  recordsPerSec?: number;
  mbPerSec?: number;
  avgMs?: number;
  p99Ms?: number;
  /** Recovery: each try, ms. */
  samples?: number[];
  verified?: boolean;
  error?: string;
}

const PERF_LINE = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th/;

const say = (s: string): void => void process.stderr.write(`[bench-cluster ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

async function producerPerf(f: Flags, c: ClusterDriver, topic: string, records: number, size: number): Promise<Figure> {
  const r = await runCommand(
    'java',
    ['-Xmx512M', '-cp', `${f.kafkaLibs}/*`, 'org.apache.kafka.tools.ProducerPerformance', '--bootstrap-server', c.bootstrap(), '--topic', topic, '--num-records', String(records), '--record-size', String(size), '--throughput', '-1', '--command-property', 'acks=all', 'linger.ms=5', 'batch.size=65536', 'compression.type=none'],
    f.quick ? 120_000 : 300_000,
  );
  const lines = r.output.split('\n').filter((l) => PERF_LINE.test(l));
  const m = PERF_LINE.exec(lines[lines.length - 1] ?? '');
  if (r.code !== 0 || !m || Number(m[1]) !== records) return { error: r.timedOut ? 'ProducerPerformance timed out' : `ProducerPerformance exit ${r.code}: ${r.output.trim().split('\n').slice(-3).join(' | ').slice(0, 300)}` };
  const held = [...(await endOffsets(c.bootstrap(), topic, (n) => c.address(n))).values()].reduce((a, b) => a + b, 0);
  return { recordsPerSec: Number(m[2]), mbPerSec: Number(m[3]), avgMs: Number(m[4]), p99Ms: Number(m[8]), verified: held === records, ...(held === records ? {} : { error: `topic holds ${held} records, ${records} were acknowledged` }) };
}

/** One acks=-1 produce of one record to `node`, with short timeouts; true when acknowledged. */
async function produceOnce(c: ClusterDriver, node: number, topic: string): Promise<boolean> {
  let conn: Connection | undefined;
  try {
    conn = await Connection.connect(c.address(node), { clientId: 'bench-recovery', connectTimeoutMs: 1_000, requestTimeoutMs: 3_000 });
    const res = await conn.send(
      ApiKey.Produce,
      { transactionalId: null, acks: -1, timeoutMs: 2_000, topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: 0, records: encodeRecordBatchSync({ records: [{ value: Buffer.from('probe') }] }) }] }] },
      { version: 12 },
    );
    return res.responses[0]?.partitionResponses[0]?.errorCode === ErrorCode.NONE;
  } catch {
    return false;
  } finally {
    conn?.destroy();
  }
}

async function recovery(c: ClusterDriver, topic: string, tries: number): Promise<Figure> {
  const samples: number[] = [];
  for (let i = 0; i < tries; i++) {
    const before = await topicState(c.bootstrap(), topic);
    const leader = before.leaders.get(0) ?? -1;
    if (leader < 0 || !(await produceOnce(c, leader, topic))) return { samples, error: `try ${i + 1}: no working leader before the kill` };
    // The clock starts at the SIGKILL itself (the driver's kill also waits for the exit).
    const pid = c.pid(leader);
    const t0 = performance.now();
    if (pid !== null) signal(pid, 'SIGKILL');
    await c.kill(leader);
    const survivors = c.nodeIds.filter((n) => n !== leader).map((n) => c.address(n)).join(',');
    let done = false;
    while (!done) {
      if (performance.now() - t0 > 60_000) return { samples, error: `try ${i + 1}: no acknowledged produce within 60 s of killing node ${leader}` };
      const s = await topicState(survivors, topic).catch(() => null);
      const now = s?.leaders.get(0) ?? -1;
      if (now >= 0 && now !== leader) done = await produceOnce(c, now, topic);
      if (!done) await new Promise((r) => setTimeout(r, 20));
    }
    samples.push(performance.now() - t0);
    say(`  recovery ${i + 1}/${tries}: node ${leader} killed, acks=-1 produce acknowledged after ${samples[i]!.toFixed(0)} ms`);
    await c.restart(leader);
    await createTopic(c.bootstrap(), topic, 1, 3, {}, 120_000); // exists: waits for the full ISR again
  }
  return { samples, avgMs: samples.reduce((a, b) => a + b, 0) / samples.length, p99Ms: Math.max(...samples) };
}

async function runKind(f: Flags, kind: 'kafka' | 'tributary', base: string): Promise<Record<string, Figure>> {
  const dir = join(base, kind);
  const opts = { root, dir, sessionTimeoutMs: f.sessionTimeoutMs, readyTimeoutMs: 90_000 };
  const c: ClusterDriver = kind === 'kafka' ? new KafkaCluster(opts) : new TributaryCluster(opts);
  active = c;
  const out: Record<string, Figure> = {};
  const n100 = f.records100 || (f.quick ? 200_000 : 1_000_000);
  const n1k = f.records1k || (f.quick ? 50_000 : 200_000);
  const tries = f.recoveries || (f.quick ? 2 : 5);
  const t = performance.now();
  try {
    await c.start();
    say(`${kind}: cluster ready after ${((performance.now() - t) / 1000).toFixed(1)} s (${c.bootstrap()})`);
    const cfg = { 'min.insync.replicas': '2' };
    for (const topic of ['p100', 'p1k']) await createTopic(c.bootstrap(), topic, 3, 3, cfg);
    await createTopic(c.bootstrap(), 'recovery', 1, 3, cfg);
    out.produce100 = await producerPerf(f, c, 'p100', n100, 100);
    say(`${kind}: produce 100 B: ${JSON.stringify(out.produce100)}`);
    out.produce1k = await producerPerf(f, c, 'p1k', n1k, 1024);
    say(`${kind}: produce 1 KB: ${JSON.stringify(out.produce1k)}`);
    out.recovery = await recovery(c, 'recovery', tries);
    say(`${kind}: recovery: ${JSON.stringify(out.recovery)}`);
  } catch (err) {
    out.aborted = { error: (err as Error).message.split('\n')[0]!.slice(0, 400) };
    say(`${kind}: FAILED: ${(err as Error).message}`);
  } finally {
    await c.stop().catch(() => c.killAllSync());
    active = null;
  }
  return out;
}

function cell(fig: Figure | undefined, key: keyof Figure): string {
  if (!fig) return 'n/a';
  if (fig.error) return `**${fig.error}**`;
  const v = fig[key];
  return typeof v === 'number' ? (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1)) : 'n/a';
}

/** Exit code: 0 when every broker's cluster ran every workload, 1 otherwise (the table says why). */
async function main(argv: readonly string[]): Promise<number> {
  const f = parseFlags(argv, FLAGS);
  if (!f.kafkaLibs) throw new Error('--kafka-libs is required (scripts/bench-compare.sh passes it)');
  const base = mkdtempSync(join('/tmp', 'tributary-bench-cluster-'));
  const kinds = f.brokers.split(',').map((s) => s.trim()) as Array<'kafka' | 'tributary'>;
  const res: Record<string, Record<string, Figure>> = {};
  process.on('exit', () => active?.killAllSync());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      active?.killAllSync();
      process.exit(130);
    });
  }
  for (const k of kinds) {
    say(`${k}: starting three nodes`);
    res[k] = await runKind(f, k, base);
  }
  rmSync(base, { recursive: true, force: true });
  const rows: Array<[string, string, string, keyof Figure]> = [
    ['produce100', '100 B x 3 partitions, RF 3, acks=all (ProducerPerformance)', 'records/s', 'recordsPerSec'],
    ['produce100', '100 B x 3 partitions, RF 3, acks=all (ProducerPerformance)', 'p99 ms', 'p99Ms'],
    ['produce1k', '1 KB x 3 partitions, RF 3, acks=all (ProducerPerformance)', 'records/s', 'recordsPerSec'],
    ['produce1k', '1 KB x 3 partitions, RF 3, acks=all (ProducerPerformance)', 'MB/s', 'mbPerSec'],
    ['produce1k', '1 KB x 3 partitions, RF 3, acks=all (ProducerPerformance)', 'p99 ms', 'p99Ms'],
    ['recovery', 'kill -9 of the leader to the first acks=-1 ack on the new one', 'mean ms', 'avgMs'],
    ['recovery', 'kill -9 of the leader to the first acks=-1 ack on the new one', 'max ms', 'p99Ms'],
  ];
  const lines = [
    `Cluster comparison, ${new Date().toISOString()}: three nodes each on ${cpus().length} cores, session timeout ${f.sessionTimeoutMs} ms (etcd lease / broker.session.timeout.ms), min.insync.replicas=2`,
    '',
    '| workload | figure | Tributary | Apache Kafka |',
    '| --- | --- | ---: | ---: |',
    ...rows.map(([key, label, unit, field]) => `| ${label} | ${unit} | ${cell(res.tributary?.[key] ?? res.tributary?.aborted, field)} | ${cell(res.kafka?.[key] ?? res.kafka?.aborted, field)} |`),
  ];
  for (const k of kinds) {
    const r = res[k]?.recovery;
    if (r?.samples?.length) lines.push(`${k} recovery samples (ms): ${r.samples.map((x) => x.toFixed(0)).join(', ')}; median ${median(r.samples).toFixed(0)}`);
  }
  console.log(lines.join('\n'));
  mkdirSync(f.resultsDir, { recursive: true });
  const file = join(f.resultsDir, `cluster-${new Date().toISOString().replace(/[:.]/g, '-')}${f.quick ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify({ settings: f, results: res }, null, 1) + '\n');
  say(`figures written to ${file}`);
  return kinds.some((k) => Object.values(res[k] ?? {}).some((fig) => fig.error)) ? 1 : 0;
}

if (isEntryPoint(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(`bench cluster failed: ${err.stack ?? err.message}`);
      process.exit(1);
    },
  );
}

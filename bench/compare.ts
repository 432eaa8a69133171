/**
 * Side by side with Apache Kafka (issue 4): starts the reference Apache Kafka broker and
 * Tributary, one at a time, on loopback, with the same settings, and drives both with the same
 * load generators: Kafka's own ProducerPerformance, ConsumerPerformance and EndToEndLatency
 * (java -cp, from the kafka-tools jar) and our Node producer/consumer (bench/lib.ts).
 *
 *   scripts/bench-compare.sh [--quick] [--repeats 3] [--tmpfs] [--profile <dir>] [--workloads all|security] ...
 *   node dist/bench/compare.js --kafka-libs .cache/kafka/4.3.1/libs [flags]
 *
 * Each repeat starts each broker fresh (alternating which goes first), warms it up, then runs
 * the workloads; the table shows medians over repeats. Every child process has a deadline, and
 * the whole run stops scheduling repeats once the next would overrun --budget-s. Counts are
 * verified (ListOffsets on every produced topic, and our consumer reading workload 1 back);
 * a failed or unverified figure is printed as such, never turned into a ratio.
 *
 * Both brokers also listen on SASL_SSL (SCRAM-SHA-512, the same certificates, bench/secure.ts):
 * workload 1 is produced again and consumed again over it. `--workloads security` runs only
 * those and their PLAINTEXT references (warm-up, workload 1, its consume).
 *
 * This file holds the workloads and main(); the flags, settings and child processes are in
 * compare-common.ts, starting and stopping the brokers in compare-brokers.ts, the figures, the
 * table and the machine description in compare-report.ts.
 */
import { rmSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '../src/client/connection.js';
import { ApiKey, apis } from '../src/protocol/messages/index.js';
import { ctpLoop, kafkajsCtpClient } from './txn-loop.js';
import { createScramUser, SCRAM_MECHANISM, SCRAM_PASSWORD, SCRAM_USER } from './secure.js';
import { consume, endToEndLatency, ensureTopic, isEntryPoint, produce, recordsInTopic, type ProcStats, type TopicInfo } from './lib.js';
import {
  base,
  BUDGET_S,
  certs,
  cleanup,
  configure,
  elapsedS,
  flags,
  javaTool,
  N1,
  N2,
  NCTP,
  NE2E,
  NTXN,
  NWARM,
  NX,
  quick,
  REPEATS,
  say,
  TOOL_TIMEOUT_MS,
  type RunResult,
} from './compare-common.js';
import { firstSecureLogin, startKafka, startTributary, type Kind, type RunningBroker } from './compare-brokers.js';
import { cpuBusy, describe, machine, table, type Figure, type Results } from './compare-report.js';

// ---------------------------------------------------------------------------------------------
// Workloads

const PERF_LINE =
  /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/;

/** Where a Java tool connects: the PLAINTEXT listener, or SASL_SSL with the client properties file. */
function endpoint(b: RunningBroker, secure: boolean): string[] {
  return secure ? ['--bootstrap-server', b.saslSslBootstrap, '--command-config', certs.clientProps] : ['--bootstrap-server', b.bootstrap];
}

async function producerPerf(b: RunningBroker, topic: string, records: number, size: number, props: string[], toolArgs: string[] = [], secure = false): Promise<Figure> {
  const before = b.stats();
  const r = await javaTool('org.apache.kafka.tools.ProducerPerformance', [
    ...endpoint(b, secure),
    '--topic',
    topic,
    '--num-records',
    String(records),
    '--record-size',
    String(size),
    '--throughput',
    '-1',
    ...toolArgs,
    '--command-property',
    ...props,
  ]);
  const after = b.stats();
  const lines = r.stdout.split('\n').filter((l) => PERF_LINE.test(l));
  const m = PERF_LINE.exec(lines[lines.length - 1] ?? '');
  if (r.code !== 0 || !m || Number(m[1]) !== records) {
    return toolFailed('ProducerPerformance', r);
  }
  return {
    records: Number(m[1]),
    recordsPerSec: Number(m[2]),
    mbPerSec: Number(m[3]),
    avgMs: Number(m[4]),
    p50Ms: Number(m[6]),
    p99Ms: Number(m[8]),
    p999Ms: Number(m[9]),
    brokerCpuS: cpuS(before, after),
  };
}

function cpuS(a: ProcStats | null, b: ProcStats | null): number | undefined {
  return a && b ? (b.cpuMs - a.cpuMs) / 1000 : undefined;
}

function lastLines(s: string, n = 3): string {
  return s.trim().split('\n').slice(-n).join(' | ').slice(0, 400);
}

/** The figure of a Java tool that failed or printed no figures. */
function toolFailed(tool: string, r: RunResult): Figure {
  return { error: r.timedOut ? `timed out after ${TOOL_TIMEOUT_MS / 1000} s` : `${tool} exit ${r.code}: ${lastLines(r.stderr || r.stdout)}` };
}

/** An error figure when the broker does not advertise all of these APIs, else null. */
function unadvertised(conn: Connection, keys: readonly number[]): Figure | null {
  const missing = keys.filter((k) => !conn.apiVersions?.has(k)).map((k) => apis.get(k)?.name ?? String(k));
  return missing.length > 0 ? { error: `unsupported: the broker does not advertise ${missing.join(', ')}` } : null;
}

/** The classic group protocol, as ConsumerPerformance uses it by default. */
const GROUP_APIS = [ApiKey.FindCoordinator, ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.Heartbeat, ApiKey.OffsetFetch, ApiKey.OffsetCommit];

async function consumerPerf(b: RunningBroker, conn: Connection, topic: string, records: number, secure = false): Promise<Figure> {
  const unsupported = unadvertised(conn, GROUP_APIS);
  if (unsupported) return unsupported;
  const before = b.stats();
  const r = await javaTool('org.apache.kafka.tools.ConsumerPerformance', [
    ...endpoint(b, secure),
    '--topic',
    topic,
    '--num-records',
    String(records),
    '--timeout',
    '20000',
    '--group',
    `perf-${Date.now()}`,
    '--command-property',
    'group.protocol=classic',
  ]);
  const after = b.stats();
  const lines = r.stdout.trim().split('\n');
  const h = lines.findIndex((l) => l.startsWith('start.time'));
  const v = h >= 0 ? lines[h + 1]?.split(',').map((x) => x.trim()) : undefined;
  if (r.code !== 0 || !v || v.length < 10) {
    return toolFailed('ConsumerPerformance', r);
  }
  const consumed = Number(v[4]);
  // start.time, end.time, MB, MB.sec, nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  return {
    records: consumed,
    recordsPerSec: Number(v[5]),
    mbPerSec: Number(v[3]),
    brokerCpuS: cpuS(before, after),
    verified: consumed === records,
    ...(consumed === records ? {} : { error: `consumed ${consumed} of ${records}` }),
  };
}

async function endToEnd(b: RunningBroker, conn: Connection, topic: string, records: number): Promise<Figure> {
  // EndToEndLatency assigns its partition but commits offsets (commitSync), so it needs the group coordinator.
  const unsupported = unadvertised(conn, [ApiKey.FindCoordinator, ApiKey.OffsetCommit]);
  if (unsupported) return unsupported;
  const before = b.stats();
  const r = await javaTool('org.apache.kafka.tools.EndToEndLatency', [
    '--bootstrap-server',
    b.bootstrap,
    '--topic',
    topic,
    '--num-records',
    String(records),
    '--producer-acks',
    '1',
    '--record-size',
    '100',
  ]);
  const after = b.stats();
  const avg = /Avg latency: ([\d.]+) ms/.exec(r.stdout);
  const pct = /Percentiles: 50th = (\d+), 99th = (\d+), 99\.9th = (\d+)/.exec(r.stdout);
  if (r.code !== 0 || !avg || !pct) {
    return toolFailed('EndToEndLatency', r);
  }
  return { records, avgMs: Number(avg[1]), p50Ms: Number(pct[1]), p99Ms: Number(pct[2]), p999Ms: Number(pct[3]), brokerCpuS: cpuS(before, after) };
}

/** Our Node client's connection to the PLAINTEXT listener, or to SASL_SSL as the SCRAM user. */
function nodeConnect(b: RunningBroker, clientId: string, secure: boolean): Promise<Connection> {
  return secure
    ? Connection.connect(b.saslSslBootstrap, {
        clientId,
        requestTimeoutMs: 60_000,
        ssl: { ca: readFileSync(certs.caCrt, 'utf8') },
        sasl: { mechanism: SCRAM_MECHANISM, username: SCRAM_USER, password: SCRAM_PASSWORD },
      })
    : Connection.connect(b.bootstrap, { clientId, requestTimeoutMs: 60_000 });
}

/** Workload 1 read back by the Node consumer (bench/lib.ts: one fetch in flight, batch headers walked, CRCs checked). */
async function nodeConsume(b: RunningBroker, topic: TopicInfo, secure: boolean): Promise<Figure> {
  const before = b.stats();
  const cconn = await nodeConnect(b, 'bench-node-consumer', secure);
  try {
    const c = await consume(cconn, { topic, fromOffset: 0, records: N1, partitionMaxBytes: 1_048_576, maxBytes: 52_428_800, decode: false, idleTimeoutMs: 15_000, recordSize: 100 });
    return { records: c.records, recordsPerSec: c.recordsPerSec, mbPerSec: c.mbPerSec, brokerCpuS: cpuS(before, b.stats()), verified: c.records === N1 };
  } finally {
    await cconn.close();
  }
}

/** N1 x 100 B, acks=1, 64 KB batches, 5 requests in flight, by the Node producer (bench/lib.ts); the count verified by ListOffsets. */
async function nodeProduce(b: RunningBroker, conn: Connection, topic: TopicInfo, secure: boolean): Promise<Figure> {
  const before = b.stats();
  const pconn = await nodeConnect(b, 'bench-node-producer', secure);
  try {
    const p = await produce(pconn, { topic: topic.name, partitions: 1, records: N1, recordSize: 100, batchBytes: 65_536, acks: 1, compression: 'none', inFlight: 5 });
    const held = await recordsInTopic(conn, topic.name, 1);
    return {
      records: p.records,
      recordsPerSec: p.recordsPerSec,
      mbPerSec: p.mbPerSec,
      avgMs: p.latency.avg,
      p50Ms: Number(p.latency.p50.toFixed(1)),
      p99Ms: Number(p.latency.p99.toFixed(1)),
      brokerCpuS: cpuS(before, b.stats()),
      verified: held === N1,
    };
  } finally {
    await pconn.close();
  }
}

async function guarded(name: string, f: () => Promise<Figure>): Promise<Figure> {
  try {
    const fig = await f();
    say(`  ${name}: ${fig.error ? 'FAILED ' + fig.error : describe(fig)}`);
    return fig;
  } catch (err) {
    say(`  ${name}: FAILED ${(err as Error).message}`);
    return { error: (err as Error).message.split('\n')[0]!.slice(0, 300) };
  }
}

async function runBroker(kind: Kind, rep: number): Promise<Results> {
  const dir = join(base, `${kind}-${rep}`);
  mkdirSync(dir, { recursive: true });
  const res: Results = {};
  say(`${kind} (repeat ${rep + 1}/${REPEATS}): starting`);
  let b: RunningBroker;
  try {
    b = kind === 'kafka' ? await startKafka(dir) : await startTributary(dir, flags.profile ? join(flags.profile, `rep${rep}`) : '');
  } catch (err) {
    say(`${kind}: FAILED to start: ${(err as Error).message}`);
    return { startup: { error: `could not start: ${(err as Error).message.split('\n')[0]}` } };
  }
  res.startup = { avgMs: b.startupMs };
  say(`${kind}: pid ${b.pid} on ${b.bootstrap}, first produce acknowledged ${b.startupMs.toFixed(0)} ms after spawn`);
  const conn = await Connection.connect(b.bootstrap, { clientId: 'bench-admin', requestTimeoutMs: 60_000 });
  try {
    const topics = {
      warm: await ensureTopic(conn, 'warmup', 1),
      p1: await ensureTopic(conn, 'p100-acks1', 1),
      pAll: await ensureTopic(conn, 'p100-acksall', 1),
      pLz4: await ensureTopic(conn, 'p100-lz4', 1),
      p1k: await ensureTopic(conn, 'p1k-8p-lz4', 8),
      e2e: await ensureTopic(conn, 'e2e', 1),
      nodeE2e: await ensureTopic(conn, 'node-e2e', 1),
      node: await ensureTopic(conn, 'node-p100', 1),
      txn: await ensureTopic(conn, 'txn-p100', 1),
      ctpIn: await ensureTopic(conn, 'ctp-in', 1),
      ctpOut: await ensureTopic(conn, 'ctp-out', 1),
      pSasl: await ensureTopic(conn, 'p100-sasl-ssl', 1),
      nodeSasl: await ensureTopic(conn, 'node-p100-sasl-ssl', 1),
    };
    const common = ['linger.ms=5', 'batch.size=65536'];
    const secureReady = await guarded('SCRAM user and a SASL_SSL login', async () => {
      await createScramUser(b.bootstrap);
      return { avgMs: await firstSecureLogin(b) };
    });
    await guarded('warm-up', () => producerPerf(b, topics.warm.name, NWARM, 100, ['acks=1', ...common]));
    await guarded('warm-up over SASL_SSL', () => secureReady.error ? Promise.resolve(secureReady) : producerPerf(b, topics.warm.name, NWARM, 100, ['acks=1', ...common], [], true));
    res.produce100 = await guarded('produce 100 B acks=1', () => producerPerf(b, topics.p1.name, N1, 100, ['acks=1', ...common, 'compression.type=none']));
    const afterW1 = b.stats();
    res.rssW1 = afterW1 ? { mbPerSec: afterW1.peakRss / (1024 * 1024) } : { error: 'no /proc reading' };
    res.produce100Sasl = await guarded('produce 100 B acks=1 over SASL_SSL', () =>
      secureReady.error ? Promise.resolve(secureReady) : producerPerf(b, topics.pSasl.name, N1, 100, ['acks=1', ...common, 'compression.type=none'], [], true),
    );
    if (!res.produce100Sasl.error) {
      const held = await recordsInTopic(conn, topics.pSasl.name, 1);
      res.produce100Sasl.verified = held === N1;
      if (held !== N1) res.produce100Sasl.error = `topic holds ${held} records, ${N1} were acknowledged`;
    }
    if (flags.workloads === 'security') {
      const fig = res.produce100!;
      const held = await recordsInTopic(conn, topics.p1.name, 1);
      fig.verified = held === N1;
      if (!fig.error && held !== N1) fig.error = `topic holds ${held} records, ${N1} were acknowledged`;
      res.consume = await guarded('consume (ConsumerPerformance)', () => consumerPerf(b, conn, topics.p1.name, N1));
      res.consumeSasl = await guarded('consume over SASL_SSL (ConsumerPerformance)', () =>
        secureReady.error ? Promise.resolve(secureReady) : consumerPerf(b, conn, topics.p1.name, N1, true),
      );
      res.nodeConsume = await guarded('consume (Node client)', () => nodeConsume(b, topics.p1, false));
      res.nodeConsumeSasl = await guarded('consume over SASL_SSL (Node client)', () => (secureReady.error ? Promise.resolve(secureReady) : nodeConsume(b, topics.p1, true)));
      res.nodeProduce = await guarded('produce 100 B acks=1 (Node client)', () => nodeProduce(b, conn, topics.node, false));
      res.nodeProduceSasl = await guarded('produce 100 B acks=1 over SASL_SSL (Node client)', () =>
        secureReady.error ? Promise.resolve(secureReady) : nodeProduce(b, conn, topics.nodeSasl, true),
      );
      return res;
    }
    res.produce100all = await guarded('produce 100 B acks=all', () => producerPerf(b, topics.pAll.name, NX, 100, ['acks=all', ...common, 'compression.type=none']));
    res.produce100lz4 = await guarded('produce 100 B acks=1 lz4', () => producerPerf(b, topics.pLz4.name, NX, 100, ['acks=1', ...common, 'compression.type=lz4']));
    res.produce1k = await guarded('produce 1 KB x 8 partitions acks=all lz4', () =>
      producerPerf(b, topics.p1k.name, N2, 1024, ['acks=all', ...common, 'compression.type=lz4']),
    );
    // Verify what every producer claimed: the topics hold exactly the records sent.
    for (const [key, topic, expected] of [
      ['produce100', topics.p1, N1],
      ['produce100all', topics.pAll, NX],
      ['produce100lz4', topics.pLz4, NX],
      ['produce1k', topics.p1k, N2],
    ] as const) {
      const fig = res[key]!;
      if (fig.error) continue;
      const held = await recordsInTopic(conn, topic.name, topic.partitions);
      fig.verified = held === expected;
      if (!fig.verified) fig.error = `topic holds ${held} records, ${expected} were acknowledged`;
    }
    res.consume = await guarded('consume (ConsumerPerformance)', () => consumerPerf(b, conn, topics.p1.name, N1));
    res.consumeSasl = await guarded('consume over SASL_SSL (ConsumerPerformance)', () =>
      secureReady.error ? Promise.resolve(secureReady) : consumerPerf(b, conn, topics.p1.name, N1, true),
    );
    res.nodeConsumeSasl = await guarded('consume over SASL_SSL (Node client)', () => (secureReady.error ? Promise.resolve(secureReady) : nodeConsume(b, topics.p1, true)));
    res.nodeConsume = await guarded('consume (Node client)', () => nodeConsume(b, topics.p1, false));
    res.nodeProduce = await guarded('produce 100 B acks=1 (Node client)', () => nodeProduce(b, conn, topics.node, false));
    res.nodeProduceSasl = await guarded('produce 100 B acks=1 over SASL_SSL (Node client)', () =>
      secureReady.error ? Promise.resolve(secureReady) : nodeProduce(b, conn, topics.nodeSasl, true),
    );
    res.e2e = await guarded('end-to-end latency (EndToEndLatency)', () => endToEnd(b, conn, topics.e2e.name, NE2E));
    res.nodeE2e = await guarded('end-to-end latency (Node client)', async () => {
      const pc = await Connection.connect(b.bootstrap, { clientId: 'bench-e2e-producer' });
      const cc = await Connection.connect(b.bootstrap, { clientId: 'bench-e2e-consumer' });
      try {
        const before = b.stats();
        const e = await endToEndLatency(pc, cc, topics.nodeE2e, NE2E, 100);
        return { ...e, brokerCpuS: cpuS(before, b.stats()) };
      } finally {
        pc.destroy();
        cc.destroy();
      }
    });
    // Transactions. ProducerPerformance commits every --transaction-duration-ms; its latencies are
    // per record, so commit latency comes from the Node loop, which times every commit call. The
    // topics' offsets include the markers, so these counts are the tools' own.
    const unsupportedTxn = unadvertised(conn, [ApiKey.InitProducerId, ApiKey.AddPartitionsToTxn, ApiKey.AddOffsetsToTxn, ApiKey.EndTxn, ApiKey.TxnOffsetCommit]);
    res.txnProduce = await guarded(`produce 100 B, transactional (${flags.transactionDurationMs} ms transactions)`, async () =>
      unsupportedTxn ??
      producerPerf(b, topics.txn.name, NTXN, 100, ['acks=all', ...common, 'compression.type=none'], [
        '--transactional-id',
        `bench-txn-${rep}`,
        '--transaction-duration-ms',
        String(flags.transactionDurationMs),
      ]),
    );
    res.nodeCtp = await guarded('consume-transform-produce (KafkaJS transactions)', async () => {
      if (unsupportedTxn) return unsupportedTxn;
      const pconn = await Connection.connect(b.bootstrap, { clientId: 'bench-ctp-input', requestTimeoutMs: 60_000 });
      try {
        // 16 KB batches: a fetched batch, and so a transaction, holds about 150 records.
        await produce(pconn, { topic: topics.ctpIn.name, partitions: 1, records: NCTP, recordSize: 100, batchBytes: 16_384, acks: -1, compression: 'none', inFlight: 5 });
      } finally {
        await pconn.close();
      }
      const before = b.stats();
      const o = { bootstrap: b.bootstrap, input: topics.ctpIn.name, output: topics.ctpOut.name, group: `bench-ctp-${rep}`, transactionalId: `bench-ctp-${rep}`, records: NCTP, timeoutMs: TOOL_TIMEOUT_MS };
      const r = await ctpLoop(kafkajsCtpClient(o), o);
      return { records: r.records, recordsPerSec: r.recordsPerSec, p50Ms: Number(r.commitP50Ms.toFixed(1)), p99Ms: Number(r.commitP99Ms.toFixed(1)), recordsPerTxn: r.records / r.transactions, brokerCpuS: cpuS(before, b.stats()) };
    });
  } catch (err) {
    say(`${kind}: run aborted: ${(err as Error).message}`);
    res.aborted = { error: (err as Error).message.split('\n')[0]!.slice(0, 300) };
  } finally {
    const end = b.stats();
    if (end) {
      res.rssEnd = { mbPerSec: end.peakRss / (1024 * 1024) };
      res.cpuTotal = { brokerCpuS: end.cpuMs / 1000 };
    }
    conn.destroy();
    await b.stop();
    if (!flags.keepData) rmSync(dir, { recursive: true, force: true });
  }
  say(`${kind}: stopped; peak RSS ${res.rssEnd?.mbPerSec?.toFixed(0) ?? '?'} MB, broker CPU ${res.cpuTotal?.brokerCpuS?.toFixed(1) ?? '?'} s`);
  return res;
}

// ---------------------------------------------------------------------------------------------
// Main loop

async function main(): Promise<void> {
  const busy = await cpuBusy(1000);
  const m = machine();
  m.otherLoad = `${(busy * 100).toFixed(0)}% of all CPUs busy in the second before the run`;
  say(`machine: ${JSON.stringify(m)}`);
  const kinds = flags.brokers.split(',').map((s) => s.trim()) as Kind[];
  const all: Record<Kind, Results[]> = { kafka: [], tributary: [] };
  const pairTimes: number[] = [];
  for (let rep = 0; rep < REPEATS; rep++) {
    // A repeat runs every broker once, so the medians always cover the same number of runs each.
    const est = pairTimes.length > 0 ? Math.max(...pairTimes) : 0;
    if (rep > 0 && elapsedS() + est > BUDGET_S) {
      say(`stopping after ${rep} repeat(s): another (~${est.toFixed(0)} s) would overrun the ${BUDGET_S} s budget`);
      break;
    }
    const s = performance.now();
    const order = rep % 2 === 0 ? kinds : [...kinds].reverse();
    for (const k of order) all[k].push(await runBroker(k, rep));
    pairTimes.push((performance.now() - s) / 1000);
  }
  rmSync(base, { recursive: true, force: true });

  const { text, ratios } = table(m, all);
  console.log(text);

  mkdirSync(flags.resultsDir, { recursive: true });
  const file = join(flags.resultsDir, `${String(m.date).replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      { machine: m, settings: { quick, workloads: flags.workloads, N1, NX, N2, NE2E, NTXN, NCTP, transactionDurationMs: flags.transactionDurationMs, NWARM, REPEATS, kafkaHeap: flags.kafkaHeap, toolHeap: flags.toolHeap, tmpfs: flags.tmpfs }, runs: all, ratios },
      null,
      1,
    ) + '\n',
  );
  say(`figures written to ${file}; total ${elapsedS().toFixed(0)} s`);
}

if (isEntryPoint(import.meta.url)) {
  configure(process.argv.slice(2));
  main().catch((err) => {
    console.error(`bench-compare failed: ${(err as Error).stack ?? err}`);
    cleanup();
    process.exit(1);
  });
}
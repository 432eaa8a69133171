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
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Connection } from '../src/client/connection.js';
import { randomKafkaUuid } from '../src/storage/meta-properties.js';
import { ApiKey, apis } from '../src/protocol/messages/index.js';
import { ctpLoop, kafkajsCtpClient } from './txn-loop.js';
import { createScramUser, makeCerts, saslSslBrokerConfig, SCRAM_MECHANISM, SCRAM_PASSWORD, SCRAM_USER, type BenchCerts } from './secure.js';
import { consume, endToEndLatency, ensureTopic, isEntryPoint, median, parseFlags, procStats, produce, recordsInTopic, here, type ProcStats, type TopicInfo } from './lib.js';

const root = resolve(here, '../..');

const FLAGS = {
  quick: false,
  repeats: 0,
  records: 0,
  recordsExtra: 0,
  records1k: 0,
  e2eRecords: 0,
  txnRecords: 0,
  ctpRecords: 0,
  transactionDurationMs: 100,
  warmupRecords: 0,
  kafkaLibs: '',
  kafkaHeap: '-Xmx1G -Xms1G',
  toolHeap: '-Xmx512M',
  tmpfs: false,
  dataDir: '',
  profile: '',
  brokers: 'kafka,tributary',
  budgetS: 0,
  resultsDir: join(root, 'bench/results'),
  keepData: false,
  /** all, or security: only the SASL_SSL workloads and their PLAINTEXT references. */
  workloads: 'all',
};

// The run's settings: set by configure() from the command line, when this file is the entry point
// (importing it runs nothing).
let flags: typeof FLAGS;
let quick: boolean;
// Workload 1 (and the consume that reads it back): 5M records, as the issue asks ("5M records or
// 60 s": at the 150-250k records/s either broker reaches here, 5M takes 20-35 s, inside the 60 s).
let N1: number;
// The extra 100 B variants (acks=all, lz4) are not in the list; 1M each keeps the run short.
let NX: number;
let N2: number;
let NE2E: number;
/** The transactional workloads: ProducerPerformance's records, and the Node loop's. */
let NTXN: number;
let NCTP: number;
let NWARM: number;
let REPEATS: number;
let TOOL_TIMEOUT_MS: number;
let BUDGET_S: number;
let kafkaVersion: string;
/** The Kafka jars as a java -cp. */
let cp: string;
/** The run's scratch directory (brokers' data, the tools' log4j config). */
let base: string;
let toolLog4j: string;
/** The SASL_SSL listener's certificates and client settings, shared by both brokers. */
let certs: BenchCerts;
let t0 = performance.now();
const elapsedS = (): number => (performance.now() - t0) / 1000;
const say = (s: string): void => {
  process.stderr.write(`[${elapsedS().toFixed(0).padStart(4)} s] ${s}\n`);
};

function configure(argv: readonly string[]): void {
  t0 = performance.now();
  flags = parseFlags(argv, FLAGS);
  quick = flags.quick;
  N1 = flags.records || (quick ? 200_000 : 5_000_000);
  NX = flags.recordsExtra || (quick ? 200_000 : 1_000_000);
  N2 = flags.records1k || (quick ? 20_000 : 200_000);
  NE2E = flags.e2eRecords || (quick ? 1_000 : 10_000);
  NTXN = flags.txnRecords || (quick ? 100_000 : 1_000_000);
  NCTP = flags.ctpRecords || (quick ? 20_000 : 200_000);
  NWARM = flags.warmupRecords || (quick ? 50_000 : 200_000);
  REPEATS = flags.repeats || (quick ? 1 : 3);
  TOOL_TIMEOUT_MS = quick ? 90_000 : 300_000;
  BUDGET_S = flags.budgetS || (quick ? 540 : 2400);
  if (!flags.kafkaLibs || !existsSync(flags.kafkaLibs)) {
    console.error('--kafka-libs <dir of Kafka jars> is required (scripts/bench-compare.sh passes it)');
    process.exit(2);
  }
  kafkaVersion = /kafka_2\.13-(.+)\.jar/.exec(spawnSync('ls', [flags.kafkaLibs]).stdout.toString())?.[1] ?? '?';
  cp = `${flags.kafkaLibs}/*`;
  base = mkdtempSync(join(flags.tmpfs ? '/dev/shm' : flags.dataDir || tmpdir(), 'tributary-compare-'));
  if (flags.workloads !== 'all' && flags.workloads !== 'security') {
    console.error(`--workloads: all or security, not '${flags.workloads}'`);
    process.exit(2);
  }
  toolLog4j = join(base, 'tools-log4j2.properties');
  certs = makeCerts(join(base, 'certs'));
  writeFileSync(
    toolLog4j,
    [
      'status = warn',
      'appender.err.type = Console',
      'appender.err.name = STDERR',
      'appender.err.target = SYSTEM_ERR',
      'appender.err.layout.type = PatternLayout',
      'appender.err.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = WARN',
      'rootLogger.appenderRef.err.ref = STDERR',
      '',
    ].join('\n'),
  );
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      cleanup();
      process.exit(130);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

const children = new Set<ChildProcess>();
function cleanup(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Runs a command to completion, SIGKILLed after timeoutMs. */
function run(cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const start = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolvePromise({ code, stdout, stderr, ms: performance.now() - start, timedOut });
    });
  });
}

function javaTool(cls: string, args: string[]): Promise<RunResult> {
  return run('java', [...flags.toolHeap.split(' ').filter(Boolean), `-Dlog4j2.configurationFile=${toolLog4j}`, '-cp', cp, cls, ...args], TOOL_TIMEOUT_MS);
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolvePromise(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Brokers

type Kind = 'kafka' | 'tributary';

interface RunningBroker {
  kind: Kind;
  pid: number;
  bootstrap: string;
  /** The SASL_SSL listener (SCRAM-SHA-512). */
  saslSslBootstrap: string;
  dir: string;
  /** ms from spawning the broker process to the first acknowledged produce. */
  startupMs: number;
  stats(): ProcStats | null;
  stop(): Promise<void>;
}

function spawnBroker(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

async function stopChild(child: ChildProcess, graceMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Polls until a 1-record produce with acks=1 is acknowledged; returns the ms since `spawnedAt`. */
async function firstAck(bootstrap: string, child: ChildProcess, spawnedAt: number, logFile: string): Promise<number> {
  const deadline = performance.now() + 90_000;
  let lastErr = '';
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`broker exited during startup (${child.exitCode ?? child.signalCode}); log: ${logFile}\n${tail(logFile)}`);
    }
    if (performance.now() > deadline) throw new Error(`no acknowledged produce after 90 s (${lastErr}); log: ${logFile}`);
    let conn: Connection | undefined;
    try {
      conn = await Connection.connect(bootstrap, { clientId: 'bench-probe', connectTimeoutMs: 2_000, requestTimeoutMs: 5_000 });
      const topic = await ensureTopic(conn, 'startup-probe', 1);
      await produce(conn, { topic: topic.name, partitions: 1, records: 1, recordSize: 10, batchBytes: 1024, acks: 1, compression: 'none', inFlight: 1 });
      return performance.now() - spawnedAt;
    } catch (err) {
      lastErr = (err as Error).message;
      await sleep(20);
    } finally {
      conn?.destroy();
    }
  }
}

/** Polls until a SASL_SSL login as the SCRAM user answers Metadata (Kafka applies the credential through its metadata log); the ms it took. */
async function firstSecureLogin(b: RunningBroker): Promise<number> {
  const t = performance.now();
  const deadline = t + 30_000;
  for (;;) {
    let conn: Connection | undefined;
    try {
      conn = await Connection.connect(b.saslSslBootstrap, {
        clientId: 'bench-login-probe',
        connectTimeoutMs: 5_000,
        requestTimeoutMs: 5_000,
        ssl: { ca: readFileSync(certs.caCrt, 'utf8') },
        sasl: { mechanism: SCRAM_MECHANISM, username: SCRAM_USER, password: SCRAM_PASSWORD },
      });
      await conn.send(ApiKey.Metadata, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      return performance.now() - t;
    } catch (err) {
      if (performance.now() > deadline) throw new Error(`no SASL_SSL login within 30 s: ${(err as Error).message}`);
      await sleep(100);
    } finally {
      conn?.destroy();
    }
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function startKafka(dir: string): Promise<RunningBroker> {
  const port = await freePort();
  const cport = await freePort();
  const sport = await freePort();
  mkdirSync(join(dir, 'data'), { recursive: true });
  const props = join(dir, 'server.properties');
  // The settings scripts/kafka-ref.sh uses (the interop reference), Kafka's defaults otherwise:
  // log.segment.bytes 1 GiB, no flush policy (the page cache decides), 3 network and 8 I/O threads.
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${cport}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${cport},SASL_SSL://127.0.0.1:${sport}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port},SASL_SSL://127.0.0.1:${sport}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
      ...saslSslBrokerConfig(certs),
      `log.dirs=${join(dir, 'data')}`,
      'num.partitions=1',
      'default.replication.factor=1',
      'auto.create.topics.enable=true',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  const log4j = join(dir, 'log4j2.properties');
  writeFileSync(
    log4j,
    [
      'status = warn',
      'appender.file.type = File',
      'appender.file.name = FILE',
      `appender.file.fileName = ${join(dir, 'server.log')}`,
      'appender.file.layout.type = PatternLayout',
      'appender.file.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = INFO',
      'rootLogger.appenderRef.file.ref = FILE',
      '',
    ].join('\n'),
  );
  // kafka-server-start.sh's JVM flags (KAFKA_HEAP_OPTS and KAFKA_JVM_PERFORMANCE_OPTS defaults).
  const jvm = [
    ...flags.kafkaHeap.split(' ').filter(Boolean),
    '-server',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:MaxInlineLevel=15',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4j}`,
    `-Dkafka.logs.dir=${dir}`,
  ];
  // Never starting with '-', which the storage tool would take for an option.
  const clusterId = randomKafkaUuid();
  const fmt = await run('java', [...jvm, '-cp', cp, 'kafka.tools.StorageTool', 'format', '--ignore-formatted', '-t', clusterId, '-c', props], 60_000);
  if (fmt.code !== 0) throw new Error(`kafka-storage format failed: ${fmt.stdout}${fmt.stderr}`);
  const logFile = join(dir, 'kafka.out');
  const spawnedAt = performance.now();
  const child = spawnBroker('java', [...jvm, '-cp', cp, 'kafka.Kafka', props], logFile);
  const bootstrap = `127.0.0.1:${port}`;
  const startupMs = await firstAck(bootstrap, child, spawnedAt, logFile);
  return { kind: 'kafka', pid: child.pid!, bootstrap, saslSslBootstrap: `127.0.0.1:${sport}`, dir, startupMs, stats: () => procStats(child.pid!), stop: () => stopChild(child) };
}

async function startTributary(dir: string, profileDir: string): Promise<RunningBroker> {
  const port = await freePort();
  const sport = await freePort();
  const listeners = `PLAINTEXT://127.0.0.1:${port},SASL_SSL://127.0.0.1:${sport}`;
  mkdirSync(join(dir, 'data'), { recursive: true });
  const logFile = join(dir, 'tributary.out');
  const nodeFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const args = [
    ...nodeFlags,
    join(root, 'dist/tributary.mjs'),
    'server-start',
    join(root, 'config/server.properties'),
    '--override',
    `listeners=${listeners}`,
    '--override',
    `advertised.listeners=${listeners}`,
    '--override',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
    '--override',
    `log.dirs=${join(dir, 'data')}`,
    ...saslSslBrokerConfig(certs).flatMap((kv) => ['--override', kv]),
  ];
  const spawnedAt = performance.now();
  const child = spawnBroker(process.execPath, args, logFile, { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' });
  const bootstrap = `127.0.0.1:${port}`;
  const startupMs = await firstAck(bootstrap, child, spawnedAt, logFile);
  return { kind: 'tributary', pid: child.pid!, bootstrap, saslSslBootstrap: `127.0.0.1:${sport}`, dir, startupMs, stats: () => procStats(child.pid!), stop: () => stopChild(child) };
}

// ---------------------------------------------------------------------------------------------
// Workloads

interface Figure {
  recordsPerSec?: number;
  mbPerSec?: number;
  avgMs?: number;
  p50Ms?: number;
  p99Ms?: number;
  p999Ms?: number;
  brokerCpuS?: number;
  /** Records per transaction (the transactional loop). */
  recordsPerTxn?: number;
  records?: number;
  verified?: boolean;
  /** Why there is no figure. */
  error?: string;
}

type Results = Record<string, Figure>;

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

function describe(f: Figure): string {
  const parts: string[] = [];
  if (f.recordsPerSec !== undefined) parts.push(`${f.recordsPerSec.toFixed(0)} rec/s`);
  if (f.mbPerSec !== undefined) parts.push(`${f.mbPerSec.toFixed(1)} MB/s`);
  if (f.avgMs !== undefined) parts.push(`avg ${f.avgMs.toFixed(1)} ms`);
  if (f.p50Ms !== undefined) parts.push(`p50 ${f.p50Ms} p99 ${f.p99Ms} p99.9 ${f.p999Ms ?? '-'} ms`);
  if (f.recordsPerTxn !== undefined) parts.push(`${f.recordsPerTxn.toFixed(0)} records per transaction`);
  if (f.brokerCpuS !== undefined) parts.push(`broker CPU ${f.brokerCpuS.toFixed(2)} s`);
  if (f.verified !== undefined) parts.push(f.verified ? 'count verified' : 'COUNT MISMATCH');
  return parts.join(', ');
}

/** One broker, one repeat: start, warm up, all workloads, stop. */
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
// Machine, main loop, report

function machine(): Record<string, string | number> {
  const memInfo = readFileSync('/proc/meminfo', 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(memInfo)?.[1] ?? 0);
  const governor = existsSync('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor')
    ? readFileSync('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor', 'utf8').trim()
    : 'not exposed (no cpufreq in this VM)';
  const java = spawnSync('java', ['-version']).stderr.toString().split('\n')[0] ?? '?';
  const commit = spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD']).stdout.toString().trim();
  const dirty = spawnSync('git', ['-C', root, 'status', '--porcelain', 'src']).stdout.toString().trim() !== '';
  const df = spawnSync('df', ['-hT', base]).stdout.toString().split('\n')[1]?.split(/\s+/) ?? [];
  return {
    date: new Date().toISOString(),
    commit: commit + (dirty ? ' (src/ has uncommitted changes)' : ''),
    cpu: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
    nproc: cpus().length,
    memTotalMB: Math.round(totalmem() / 1048576),
    memAvailableMB: Math.round(kb('MemAvailable') / 1024),
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    governor,
    node: process.version,
    java,
    kafka: kafkaVersion,
    dataDir: `${base} (${df[1] ?? '?'})`,
  };
}

/** Busy share of all CPUs over `ms`, from /proc/stat: other load on the machine before we start. */
async function cpuBusy(ms: number): Promise<number> {
  const read = (): number[] => readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const a = read();
  await sleep(ms);
  const b = read();
  const d = b.map((x, i) => x - a[i]!);
  const total = d.reduce((s, x) => s + x, 0);
  const idle = d[3]! + d[4]!;
  return total > 0 ? 1 - idle / total : 0;
}

type Field = [keyof Figure, string, 'higher' | 'lower'];
const RECORDS_S: Field = ['recordsPerSec', 'records/s', 'higher'];
const MB_S: Field = ['mbPerSec', 'MB/s', 'higher'];
const P99: Field = ['p99Ms', 'p99 ms', 'lower'];
const CPU: Field = ['brokerCpuS', 'broker CPU s', 'lower'];
const PRODUCE: Field[] = [RECORDS_S, MB_S, ['avgMs', 'avg latency ms', 'lower'], P99, CPU];
const CONSUME: Field[] = [RECORDS_S, MB_S, CPU];
const LATENCY: Field[] = [['avgMs', 'avg ms', 'lower'], ['p50Ms', 'p50 ms', 'lower'], P99, ['p999Ms', 'p99.9 ms', 'lower']];

/** The table's rows (labels name the record counts configure() chose). */
function rows(): Array<{ key: string; label: string; fields: Field[] }> {
  return [
    { key: 'startup', label: 'startup: spawn to first acked produce', fields: [['avgMs', 'ms', 'lower']] },
    {
      key: 'produce100',
      label: `1. produce ${N1 / 1e6}M x 100 B, 1 partition, acks=1 (ProducerPerformance)`,
      fields: [...PRODUCE.slice(0, 3), ['p50Ms', 'p50 ms', 'lower'], ...PRODUCE.slice(3)],
    },
    { key: 'rssW1', label: 'peak RSS (VmHWM) after warm-up + workload 1', fields: [['mbPerSec', 'MB', 'lower']] },
    {
      key: 'produce100Sasl',
      label: `1s. workload 1 over SASL_SSL (SCRAM-SHA-512, TLS, ProducerPerformance)`,
      fields: [...PRODUCE.slice(0, 3), ['p50Ms', 'p50 ms', 'lower'], ...PRODUCE.slice(3)],
    },
    { key: 'produce100all', label: `produce ${NX / 1e6}M x 100 B, 1 partition, acks=all`, fields: PRODUCE },
    { key: 'produce100lz4', label: `produce ${NX / 1e6}M x 100 B, 1 partition, acks=1, lz4`, fields: PRODUCE },
    { key: 'produce1k', label: `2. produce ${N2 / 1e3}k x 1 KB, 8 partitions, acks=all, lz4`, fields: PRODUCE },
    { key: 'consume', label: '3. consume workload 1 (ConsumerPerformance, group)', fields: CONSUME },
    { key: 'consumeSasl', label: '3s. consume workload 1 over SASL_SSL (ConsumerPerformance, group)', fields: CONSUME },
    { key: 'nodeConsume', label: '3b. consume workload 1 (Node client, 1 fetch in flight)', fields: CONSUME },
    { key: 'nodeConsumeSasl', label: '3bs. consume workload 1 over SASL_SSL (Node client, 1 fetch in flight)', fields: CONSUME },
    {
      key: 'nodeProduce',
      label: `1b. produce ${N1 / 1e6}M x 100 B acks=1 (Node client, 64 KB batches, 5 in flight)`,
      fields: [RECORDS_S, MB_S, ['p50Ms', 'p50 request ms', 'lower'], ['p99Ms', 'p99 request ms', 'lower'], CPU],
    },
    {
      key: 'nodeProduceSasl',
      label: `1bs. over SASL_SSL: produce ${N1 / 1e6}M x 100 B acks=1 (Node client, 64 KB batches, 5 in flight)`,
      fields: [RECORDS_S, MB_S, ['p50Ms', 'p50 request ms', 'lower'], ['p99Ms', 'p99 request ms', 'lower'], CPU],
    },
    { key: 'e2e', label: `4. end-to-end latency, ${NE2E} x 100 B (EndToEndLatency)`, fields: LATENCY },
    { key: 'nodeE2e', label: `4b. end-to-end latency, ${NE2E} x 100 B (Node client: produce acks=1, long-poll fetch)`, fields: LATENCY },
    {
      key: 'txnProduce',
      label: `6. produce ${NTXN / 1e3}k x 100 B, 1 partition, transactional, a commit every ${flags.transactionDurationMs} ms (ProducerPerformance)`,
      fields: [RECORDS_S, MB_S, ['avgMs', 'avg latency ms', 'lower'], P99, CPU],
    },
    {
      key: 'nodeCtp',
      label: `6b. consume-transform-produce ${NCTP / 1e3}k x 100 B, a transaction per fetched batch with its offsets (KafkaJS)`,
      fields: [RECORDS_S, ['p50Ms', 'commit p50 ms', 'lower'], ['p99Ms', 'commit p99 ms', 'lower'], ['recordsPerTxn', 'records per transaction', 'higher'], CPU],
    },
    { key: 'rssEnd', label: '5. peak RSS (VmHWM) over the whole run', fields: [['mbPerSec', 'MB', 'lower']] },
    { key: 'cpuTotal', label: 'broker CPU time over the whole run', fields: [['brokerCpuS', 's', 'lower']] },
  ];
}

/** The median of a field over repeats; null (with the errors) when any repeat failed. */
function agg(runs: Results[], key: string, field: keyof Figure): { value: number | null; n: number; error?: string } {
  const figs = runs.map((r) => r[key]).filter((f): f is Figure => f !== undefined);
  const errors = figs.filter((f) => f.error).map((f) => f.error!);
  if (figs.length === 0) return { value: null, n: 0, error: 'not run' };
  if (errors.length > 0) return { value: null, n: figs.length, error: [...new Set(errors)].join('; ') };
  const xs = figs.map((f) => f[field]).filter((x): x is number => typeof x === 'number');
  if (xs.length === 0) return { value: null, n: 0, error: 'no figure' };
  return { value: median(xs), n: xs.length };
}

function fmt(x: number | null): string {
  if (x === null) return 'n/a';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

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

  const out: string[] = [];
  out.push(`Tributary vs Apache Kafka ${kafkaVersion}, ${m.date}, commit ${m.commit}`);
  out.push(
    `Machine: ${m.cpu}, ${m.memTotalMB} MB RAM (${m.memAvailableMB} MB available), load average ${m.loadavg}, ${m.otherLoad}; CPU frequency scaling: ${m.governor}.`,
  );
  out.push(
    `Both brokers and the load generator share these ${m.nproc} cores; the brokers run one at a time. Data on ${m.dataDir}. ` +
      `Median of ${Math.min(all.kafka.length || Infinity, all.tributary.length || Infinity)} repeat(s). Ratio = Tributary / Kafka ` +
      `(throughput: higher is better for Tributary; latency, RSS, CPU, startup: lower is better).`,
  );
  out.push('');
  out.push('| workload | figure | Tributary | Apache Kafka | ratio T/K |');
  out.push('| --- | --- | ---: | ---: | ---: |');
  const ratios: Record<string, number | null> = {};
  for (const row of rows()) {
    // --workloads security: leave out the rows it did not run
    if (![...all.tributary, ...all.kafka].some((r) => r[row.key] !== undefined)) continue;
    for (const [field, unit] of row.fields) {
      const t = agg(all.tributary, row.key, field);
      const k = agg(all.kafka, row.key, field);
      const ratio = t.value !== null && k.value !== null && k.value !== 0 ? t.value / k.value : null;
      ratios[`${row.key}.${field}`] = ratio;
      const cell = (a: { value: number | null; error?: string }): string => (a.value !== null ? fmt(a.value) : `**${a.error ?? 'n/a'}**`);
      out.push(`| ${row.label} | ${unit} | ${cell(t)} | ${cell(k)} | ${ratio === null ? 'n/a' : ratio.toFixed(2)} |`);
    }
  }
  const r = (k: string): string => (ratios[k] == null ? 'n/a' : ratios[k]!.toFixed(2));
  out.push('');
  out.push(
    `ratio produce-100B=${r('produce100.recordsPerSec')} produce-1KB=${r('produce1k.recordsPerSec')} consume=${r('consume.recordsPerSec')} ` +
      `e2e-p99=${r('e2e.p99Ms')} rss=${r('rssW1.mbPerSec')} startup=${r('startup.avgMs')} consume-node=${r('nodeConsume.recordsPerSec')} e2e-p99-node=${r('nodeE2e.p99Ms')} ` +
      `txn-produce=${r('txnProduce.recordsPerSec')} ctp=${r('nodeCtp.recordsPerSec')} ctp-commit-p99=${r('nodeCtp.p99Ms')} ` +
      `produce-sasl-ssl=${r('produce100Sasl.recordsPerSec')} consume-sasl-ssl=${r('consumeSasl.recordsPerSec')} ` +
      `produce-node-sasl-ssl=${r('nodeProduceSasl.recordsPerSec')} consume-node-sasl-ssl=${r('nodeConsumeSasl.recordsPerSec')}`,
  );
  console.log(out.join('\n'));

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

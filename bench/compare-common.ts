/**
 * What every part of the side-by-side benchmark (compare.ts) shares: the command-line flags and
 * the run's settings derived from them (record counts, timeouts, the Kafka classpath, the scratch
 * directory, the SASL_SSL certificates), set once by configure(); the progress log (say); and the
 * child processes, run to completion under a deadline (run, javaTool) and all SIGKILLed on exit.
 * The settings are exported `let`s, assigned only here: importers see them once configure() ran.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeCerts, type BenchCerts } from './secure.js';
import { parseFlags, here } from './lib.js';

export const root = resolve(here, '../..');

export const FLAGS = {
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

// The run's settings: set by configure() from the command line when compare.ts is the entry point
// (importing these files runs nothing). Other modules read them as live bindings, after configure().
export let flags: typeof FLAGS;
export let quick: boolean;
// Workload 1 (and the consume that reads it back): 5M records, as the issue asks ("5M records or
// 60 s": at the 150-250k records/s either broker reaches here, 5M takes 20-35 s, inside the 60 s).
export let N1: number;
// The extra 100 B variants (acks=all, lz4) are not in the list; 1M each keeps the run short.
export let NX: number;
export let N2: number;
export let NE2E: number;
/** The transactional workloads: ProducerPerformance's records, and the Node loop's. */
export let NTXN: number;
export let NCTP: number;
export let NWARM: number;
export let REPEATS: number;
export let TOOL_TIMEOUT_MS: number;
export let BUDGET_S: number;
export let kafkaVersion: string;
/** The Kafka jars as a java -cp. */
export let cp: string;
/** The run's scratch directory (brokers' data, the tools' log4j config). */
export let base: string;
export let toolLog4j: string;
/** The SASL_SSL listener's certificates and client settings, shared by both brokers. */
export let certs: BenchCerts;
let t0 = performance.now();
export const elapsedS = (): number => (performance.now() - t0) / 1000;
export const say = (s: string): void => {
  process.stderr.write(`[${elapsedS().toFixed(0).padStart(4)} s] ${s}\n`);
};

export function configure(argv: readonly string[]): void {
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

export const children = new Set<ChildProcess>();
export function cleanup(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Runs a command to completion, SIGKILLed after timeoutMs. */
export function run(cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
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

export function javaTool(cls: string, args: string[]): Promise<RunResult> {
  return run('java', [...flags.toolHeap.split(' ').filter(Boolean), `-Dlog4j2.configurationFile=${toolLog4j}`, '-cp', cp, cls, ...args], TOOL_TIMEOUT_MS);
}

export function freePort(): Promise<number> {
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

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The Jepsen-style queue test of a three-broker cluster (Tributary on etcd, or Apache Kafka KRaft
 * as the reference). scripts/jepsen.sh runs it (under the machine's heavy-work lock):
 *
 *   scripts/jepsen.sh --broker tributary|kafka --short|--long [--runs N] [--seconds S] [flags]
 *
 * --short: one run of 40 s of workload (about 60-90 s with startup), for CI. --long: 10 runs of
 * 5 minutes. Other flags: --partitions 3 --producers 2 --rate 300 (writes/s) --seed N
 * --faults kill-leader,kill-controller,pause,isolate (isolate needs the run's own network
 * namespace and iptables, else it is skipped and the report says why) --session-timeout-ms 6000
 * --no-group-reader --out DIR (default a fresh /tmp/jepsen-<broker>-*: each run's report.txt and
 * history.json, and the cluster's data and logs when the run failed) --keep-data, and two that
 * must make it fail: --unsafe (acks=1, no idempotence, min.insync.replicas=1, unclean leader
 * election) and --inject-faults (corrupts the recorded history). Exit 0: every run passed;
 * 1: an anomaly or an incomplete final read; 2: a run could not be carried out.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags } from '../../bench/lib.js';
import type { ClusterDriver } from './cluster.js';
import { KafkaCluster } from './kafka-cluster.js';
import { FAULTS, type Fault } from './nemesis.js';
import { passed, runReport, summary, type RunResult } from './report.js';
import { isolationUnavailable, Partitioner } from './partition.js';
import { historyFile, runOnce } from './run.js';
import { TributaryCluster } from './tributary-cluster.js';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');

const DEFAULTS = {
  broker: '',
  short: false,
  long: false,
  runs: 0,
  seconds: 0,
  partitions: 3,
  producers: 2,
  rate: 300,
  seed: 0,
  faults: FAULTS.join(','),
  groupReader: true,
  unsafe: false,
  injectFaults: false,
  sessionTimeoutMs: 6000,
  out: '',
  keepData: false,
};

function say(line: string): void {
  process.stderr.write(`[jepsen ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2).map((a) => (a === '--no-group-reader' ? '--group-reader=false' : a));
  const f = parseFlags(argv, DEFAULTS);
  if (f.broker !== 'tributary' && f.broker !== 'kafka') throw new Error('--broker tributary|kafka is required');
  const runs = f.runs || (f.long ? 10 : 1);
  const seconds = f.seconds || (f.long ? 300 : 40);
  let faults = f.faults === '' ? [] : (f.faults.split(',') as Fault[]);
  for (const x of faults) if (!(FAULTS as readonly string[]).includes(x)) throw new Error(`unknown fault ${x} (known: ${FAULTS.join(', ')})`);
  const notes: string[] = [];
  let partitioner: Partitioner | undefined;
  if (faults.includes('isolate')) {
    const why = await isolationUnavailable();
    if (why) {
      faults = faults.filter((x) => x !== 'isolate');
      notes.push(`isolate skipped: ${why}`);
    } else partitioner = new Partitioner();
  }
  for (const n of notes) say(n);
  const out = f.out || mkdtempSync(join(tmpdir(), `jepsen-${f.broker}-`));
  mkdirSync(out, { recursive: true });
  say(`${f.broker}: ${runs} run(s) of ${seconds} s; output in ${out}`);

  let current: ClusterDriver | null = null;
  const killAll = (): void => current?.killAllSync();
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }

  const results: RunResult[] = [];
  for (let run = 1; run <= runs; run++) {
    const seed = f.seed ? f.seed + run - 1 : Math.floor(Math.random() * 2 ** 31);
    const dir = join(out, `run-${run}`);
    mkdirSync(dir, { recursive: true });
    const opts = { root, dir: join(dir, 'cluster'), sessionTimeoutMs: f.sessionTimeoutMs, props: { 'replica.lag.time.max.ms': '10000' } };
    current = f.broker === 'kafka' ? new KafkaCluster(opts) : new TributaryCluster(opts);
    say(`run ${run}/${runs}, seed ${seed}: starting the cluster`);
    const r = await runOnce(current, {
      run,
      seed,
      seconds,
      partitions: f.partitions,
      producers: f.producers,
      rate: f.rate,
      faults,
      unsafe: f.unsafe,
      injectFaults: f.injectFaults,
      groupReader: f.groupReader,
      log: say,
      ...(partitioner ? { partitioner } : {}),
    });
    r.notes.unshift(...notes);
    partitioner?.cleanup();
    current = null;
    results.push(r);
    const text = runReport(r);
    console.log(text + '\n');
    writeFileSync(join(dir, 'report.txt'), text + '\n');
    writeFileSync(historyFile(dir), JSON.stringify(r.history) + '\n');
    if (!f.keepData && passed(r)) rmSync(join(dir, 'cluster'), { recursive: true, force: true });
  }
  const sum = summary(results);
  console.log(sum);
  writeFileSync(join(out, 'summary.txt'), sum + '\n');
  if (results.some((r) => r.failure)) return 2;
  return results.every(passed) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`jepsen: ${err.message}`);
    process.exit(2);
  },
);

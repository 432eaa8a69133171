/**
 * The exactly-once pipeline test (issue 9): an input topic, a consume-transform-produce pipeline
 * on the Java client's transactions (read_committed consumer in a group, transactional producer,
 * sendOffsetsToTransaction), an output topic; kill -9 of the pipeline process and of the broker in
 * a loop; then every input record must appear exactly once in the committed output.
 * scripts/eos.sh runs it (under the machine's heavy-work lock):
 *
 *   scripts/eos.sh --broker tributary|kafka --short|--long [flags]
 *
 * --short (CI): 40 s of input at 100 records/s, one pipeline, up to 6 kills (pipeline, broker,
 * both, in turn). --long: 300 s at 200/s, two pipelines in one group, up to 60 kills. Flags:
 * --seconds S --rate R --kills K --faults pipeline,broker,both --pipelines N --partitions 3
 * --max-poll-records 20 --transaction-timeout-ms 30000 (the pipelines'; longer than a Kafka restart,
 * see below) --seed N --drain-s 120 --out DIR (default a fresh /tmp/eos-<broker>-*:
 * report.txt, history.json, the processes' logs; the broker's data is kept when the run fails)
 * --keep-data. Exit 0: passed; 1: an anomaly (lost, duplicated, aborted read, torn transaction),
 * named in the report, or a read that did not complete; 2: the run could not be carried out.
 *
 * With a transaction timeout shorter than the broker's restart (--transaction-timeout-ms 10000 and
 * Apache Kafka, which takes about 15 s to restart here), Kafka 4.3.1 itself tears transactions:
 * its coordinator aborts the killed pipeline's transaction during startup, cannot find the output
 * partition's leader yet, skips the marker ("these partitions are likely deleted already and hence
 * can be skipped"), and the producer's next transaction commits the orphaned records with its own.
 * The checker reports that as a torn transaction and duplicates. The default keeps the timeout
 * longer, so that the restarted pipeline's InitProducerId does the abort.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags } from '../../bench/lib.js';
import { KafkaProcess, TributaryProcess, type EosBroker } from './broker.js';
import { checkJar } from './java.js';
import { eosPassed, eosReport } from './report.js';
import { EOS_FAULTS, runEos, type EosFault } from './run.js';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');

const DEFAULTS = {
  broker: '',
  short: false,
  long: false,
  seconds: 0,
  rate: 0,
  kills: -1,
  faults: EOS_FAULTS.join(','),
  pipelines: 0,
  partitions: 3,
  maxPollRecords: 20,
  transactionTimeoutMs: 30_000,
  seed: 0,
  drainS: 120,
  out: '',
  keepData: false,
};

function say(line: string): void {
  process.stderr.write(`[eos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function main(): Promise<number> {
  const f = parseFlags(process.argv.slice(2), DEFAULTS);
  if (f.broker !== 'tributary' && f.broker !== 'kafka') throw new Error('--broker tributary|kafka is required');
  const faults = f.faults === '' ? [] : (f.faults.split(',') as EosFault[]);
  for (const x of faults) if (!(EOS_FAULTS as readonly string[]).includes(x)) throw new Error(`unknown fault ${x} (known: ${EOS_FAULTS.join(', ')})`);
  checkJar(root);
  const out = f.out || mkdtempSync(join(tmpdir(), `eos-${f.broker}-`));
  mkdirSync(out, { recursive: true });
  const seed = f.seed || Math.floor(Math.random() * 2 ** 31);
  const brokerDir = join(out, 'broker');
  const broker: EosBroker = f.broker === 'kafka' ? new KafkaProcess(root, brokerDir) : new TributaryProcess(root, brokerDir);
  process.on('exit', () => broker.killAllSync());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      broker.killAllSync();
      process.exit(130);
    });
  }
  const opts = {
    root,
    dir: out,
    seed,
    seconds: f.seconds || (f.long ? 300 : 40),
    rate: f.rate || (f.long ? 200 : 100),
    kills: f.kills >= 0 ? f.kills : f.long ? 60 : 6,
    faults,
    pipelines: f.pipelines || (f.long ? 2 : 1),
    partitions: f.partitions,
    maxPollRecords: f.maxPollRecords,
    transactionTimeoutMs: f.transactionTimeoutMs,
    quietMs: [3_000, 6_000] as [number, number],
    drainMs: f.drainS * 1000,
    log: say,
  };
  say(`${f.broker}, seed ${seed}: ${opts.seconds} s, ${opts.rate} records/s, up to ${opts.kills} kills; output in ${out}`);
  const r = await runEos(broker, opts);
  const text = eosReport(r);
  console.log(text);
  writeFileSync(join(out, 'report.txt'), text + '\n');
  writeFileSync(join(out, 'history.json'), JSON.stringify(r.history) + '\n');
  const passed = eosPassed(r);
  if (passed && !f.keepData) rmSync(brokerDir, { recursive: true, force: true });
  if (r.failure) return 2;
  return passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`eos: ${err.message}`);
    process.exit(2);
  },
);

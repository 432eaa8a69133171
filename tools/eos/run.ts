/**
 * One run of the exactly-once pipeline test: start the broker, create the input and output topics,
 * start the input producer and the pipelines, kill -9 pipelines and the broker in a loop (each is
 * restarted), let the pipelines drain the input, stop them, read the input log, the committed
 * output (read_committed, the Java client) and the raw output log (read_uncommitted with markers),
 * and check. The broker is stopped whatever happens.
 */
import { join } from 'node:path';
import { Connection } from '../../src/client/connection.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ensureTopic } from '../../bench/lib.js';
import { seededRandom } from '../jepsen/nemesis.js';
import type { EosBroker } from './broker.js';
import { checkEos, eosStats, type EosAnomalies, type EosStats } from './checker.js';
import type { EosEvent, EosHistory, InputRecord, OutputRecord } from './history.js';
import { runEosTool, spawnEosTool } from './java.js';
import { Pipelines } from './pipelines.js';
import { readRawLog } from './raw-log.js';

export type EosFault = 'pipeline' | 'broker' | 'both';
export const EOS_FAULTS: readonly EosFault[] = ['pipeline', 'broker', 'both'];

export interface EosRunOptions {
  root: string;
  dir: string;
  seed: number;
  seconds: number;
  /** Input records a second. */
  rate: number;
  /** At most this many kills (each fault counts one). */
  kills: number;
  faults: readonly EosFault[];
  pipelines: number;
  partitions: number;
  maxPollRecords: number;
  /** The pipelines' transaction.timeout.ms. */
  transactionTimeoutMs: number;
  /** Pause between faults, ms: [min, max). */
  quietMs: [number, number];
  drainMs: number;
  log: (line: string) => void;
}

export interface EosRunResult {
  broker: string;
  seed: number;
  history: EosHistory;
  anomalies: EosAnomalies;
  stats: EosStats;
  notes: string[];
  pipelineErrors: Record<string, number>;
  /** Set when the run could not be carried out. */
  failure?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Each partition's high watermark (ListOffsets latest). */
async function inputEnds(bootstrap: string, topic: string, partitions: number): Promise<Map<number, number>> {
  const conn = await Connection.connect(bootstrap, { clientId: 'eos-driver', connectTimeoutMs: 3_000, requestTimeoutMs: 10_000 });
  try {
    const res = await conn.send(ApiKey.ListOffsets, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) }],
      timeoutMs: 10_000,
    });
    return new Map(res.topics[0]!.partitions.map((p) => [p.partitionIndex, Number(p.offset)]));
  } finally {
    conn.destroy();
  }
}

export async function runEos(broker: EosBroker, o: EosRunOptions): Promise<EosRunResult> {
  const inputTopic = 'eos-input';
  const outputTopic = 'eos-output';
  const notes: string[] = [];
  const events: EosEvent[] = [];
  const t0 = Date.now();
  const event = (e: Omit<EosEvent, 'atMs'>): void => {
    events.push({ atMs: Date.now(), ...e });
    o.log(`${e.op}: ${e.detail}`);
  };
  const history: EosHistory = {
    inputTopic,
    outputTopic,
    startMs: t0,
    endMs: t0,
    acked: [],
    inputFailed: 0,
    input: [],
    committed: [],
    raw: [],
    complete: { input: false, committed: false, raw: false },
    problems: [],
    ends: { committed: {}, raw: {} },
    pipelineCommits: 0,
    pipelineAborts: 0,
    events,
  };
  const result = (failure?: string): EosRunResult => ({
    broker: broker.kind,
    seed: o.seed,
    history,
    anomalies: checkEos(history),
    stats: eosStats(history),
    notes,
    pipelineErrors: Object.fromEntries(pipelines?.errors ?? []),
    ...(failure ? { failure } : {}),
  });
  let pipelines: Pipelines | null = null;
  let inputProc: ReturnType<typeof spawnEosTool> | null = null;
  try {
    const s0 = Date.now();
    await broker.start();
    o.log(`${broker.kind} ready after ${((Date.now() - s0) / 1000).toFixed(1)} s on ${broker.bootstrap()}, data in ${broker.dir}`);
    const conn = await Connection.connect(broker.bootstrap(), { clientId: 'eos-driver', requestTimeoutMs: 30_000 });
    try {
      await ensureTopic(conn, inputTopic, o.partitions);
      await ensureTopic(conn, outputTopic, o.partitions);
    } finally {
      conn.destroy();
    }
    const count = Math.round(o.rate * o.seconds);
    notes.push(`input: ${count} records at ${o.rate}/s over ${o.partitions} partitions; ${o.pipelines} pipeline process(es), max.poll.records ${o.maxPollRecords} (one transaction per poll), transaction.timeout.ms ${o.transactionTimeoutMs}`);
    pipelines = new Pipelines({
      root: o.root,
      dir: o.dir,
      bootstrap: () => broker.bootstrap(),
      input: inputTopic,
      output: outputTopic,
      group: 'eos-group',
      slots: o.pipelines,
      maxPollRecords: o.maxPollRecords,
      transactionTimeoutMs: o.transactionTimeoutMs,
      log: o.log,
      event,
    });
    pipelines.startAll();
    let inputDone = false;
    inputProc = spawnEosTool(
      o.root,
      ['input', '--bootstrap', broker.bootstrap(), '--topic', inputTopic, '--count', String(count), '--rate', String(o.rate)],
      join(o.dir, 'input.log'),
      (e) => {
        if (e.ev === 'ack') history.acked.push({ id: String(e.id), partition: Number(e.p), offset: Number(e.o) });
        else if (e.ev === 'err') history.inputFailed++;
        else if (e.ev === 'done') inputDone = true;
      },
    );
    history.startMs = Date.now();
    const endMs = history.startMs + o.seconds * 1000;
    const random = seededRandom(o.seed);
    const between = (r: [number, number]): number => r[0] + random() * (r[1] - r[0]);
    o.log(`workload for ${o.seconds} s, up to ${o.kills} kills (${o.faults.join(', ') || 'none'})`);
    for (let k = 0; k < o.kills && o.faults.length > 0; k++) {
      await sleep(between(o.quietMs));
      if (Date.now() >= endMs) break;
      const fault = o.faults[k % o.faults.length]!;
      if (fault === 'pipeline' || fault === 'both') {
        const slot = Math.floor(random() * o.pipelines);
        const { pid, midTransaction } = await pipelines.kill9(slot, 8_000);
        const when = midTransaction ? 'with a transaction open, half of it sent' : 'no open transaction seen within 8 s';
        event({ op: 'kill-pipeline', detail: `kill -9 of pipeline ${slot} (${pid === null ? 'it was not running' : `pid ${pid}, ${when}`})` });
      }
      if (fault === 'broker' || fault === 'both') {
        const pid = broker.pid();
        await broker.kill9();
        event({ op: 'kill-broker', detail: `kill -9 of the broker (pid ${pid ?? 'none'})` });
      }
      await sleep(between([500, 2_000]));
      if (fault === 'broker' || fault === 'both') {
        const s = Date.now();
        await broker.start();
        event({ op: 'restart-broker', detail: `the broker answers again after ${((Date.now() - s) / 1000).toFixed(1)} s` });
      }
      for (let slot = 0; slot < o.pipelines; slot++) if (!pipelines.running(slot)) pipelines.start(slot);
    }
    history.endMs = Date.now();
    // The input producer has a 120 s delivery timeout: it ends by then.
    const inputExit = await Promise.race([inputProc.exited, sleep(Math.max(0, endMs - Date.now()) + 150_000).then(() => 'still running')]);
    if (!inputDone) notes.push(`the input producer did not finish: ${inputExit}`);
    o.log(`input producer done: ${history.acked.length} acknowledged, ${history.inputFailed} failed; draining`);
    const ends = await inputEnds(broker.bootstrap(), inputTopic, o.partitions);
    const drainStart = Date.now();
    while (!pipelines.caughtUp(ends) && Date.now() - drainStart < o.drainMs) await sleep(200);
    if (!pipelines.caughtUp(ends)) {
      const behind = [...ends].map(([p, end]) => `${p}: ${pipelines!.committed.get(p) ?? 0} of ${end}`).join(', ');
      notes.push(`the pipelines did not commit the whole input within ${o.drainMs / 1000} s (${behind})`);
    } else o.log(`drained in ${((Date.now() - drainStart) / 1000).toFixed(1)} s`);
    await pipelines.stop(20_000);
    history.pipelineCommits = pipelines.commits;
    history.pipelineAborts = pipelines.aborts;

    o.log('reading the input log, the committed output and the raw output log');
    const inRead = await readRawLog(broker.bootstrap(), inputTopic, 60_000);
    history.input = inRead.records.map((r): InputRecord => ({ id: r.key ?? '', partition: r.partition, offset: r.offset }));
    history.complete.input = inRead.complete;
    if (inRead.problem) history.problems.push(inRead.problem);
    const dump = await runEosTool(o.root, ['dump', '--bootstrap', broker.bootstrap(), '--topic', outputTopic, '--isolation', 'read_committed', '--timeout-ms', '60000'], join(o.dir, 'dump.log'), 90_000);
    for (const e of dump.events) {
      if (e.ev === 'rec') {
        const r: OutputRecord = {
          partition: Number(e.p),
          offset: Number(e.o),
          key: (e.key as string | null) ?? null,
          input: (e.in as string | null) ?? null,
          txn: (e.txn as string | null) ?? null,
          txnSize: e.size === null || e.size === undefined ? null : Number(e.size),
        };
        history.committed.push(r);
      } else if (e.ev === 'end') history.ends.committed = e.ends as Record<string, number>;
      else if (e.ev === 'timeout') history.problems.push(`read_committed dump: ${String(e.detail)}`);
    }
    history.complete.committed = dump.code === 0 && dump.events.some((e) => e.ev === 'end');
    if (!history.complete.committed) history.problems.push(`read_committed dump exited ${dump.code} (log ${join(o.dir, 'dump.log')})`);
    const outRead = await readRawLog(broker.bootstrap(), outputTopic, 60_000);
    history.raw = outRead.records;
    history.complete.raw = outRead.complete;
    history.ends.raw = outRead.ends;
    if (outRead.problem) history.problems.push(outRead.problem);
    notes.push(`output markers in the raw log: ${outRead.markers.commit} COMMIT, ${outRead.markers.abort} ABORT; last stable offsets ${JSON.stringify(outRead.lso)}, high watermarks ${JSON.stringify(outRead.ends)}`);
    return result();
  } catch (err) {
    return result(`the run failed: ${(err as Error).stack ?? String(err)}`);
  } finally {
    inputProc?.child.kill('SIGKILL');
    pipelines?.killAllSync();
    o.log('stopping the broker');
    await broker.stop().catch((err: Error) => o.log(`stop failed: ${err.message}`));
  }
}

/**
 * The log cleaner (Kafka's LogCleaner and LogCleanerManager): log.cleaner.threads loops, each
 * taking the dirtiest compacted log (selection.ts), cleaning it in its worker thread
 * (clean-log.ts via pool.ts), swapping the result in (Log.replaceCleaned), and recording the new
 * first dirty offset in each log dir's cleaner-offset-checkpoint. With nothing to clean a loop
 * waits log.cleaner.backoff.ms. A corrupt segment marks its partition uncleanable (logged) until
 * the next restart; the others go on.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CLEANER_OFFSET_CHECKPOINT, readOffsetCheckpoint, writeOffsetCheckpoint } from '../checkpoint.js';
import type { Log } from '../log.js';
import type { ProducerLast } from './batch-filter.js';
import { CleaningAbortedError } from './clean-log.js';
import type { CleanJob, CleanResult, SegmentRef } from './job.js';
import { CleanerWorker, type RunningClean } from './pool.js';
import { measure, type LogToClean } from './selection.js';

/** Kafka's CleanerConfig (broker keys log.cleaner.*). */
export interface CleanerConfig {
  /** log.cleaner.enable (true). */
  enabled: boolean;
  /** log.cleaner.threads (1). */
  threads: number;
  /** log.cleaner.dedupe.buffer.size (128 MiB), shared by the threads. */
  dedupeBufferSize: number;
  /** log.cleaner.io.buffer.load.factor (0.9). */
  loadFactor: number;
  /** log.cleaner.io.buffer.size (512 KiB): read and write chunk size. */
  ioBufferSize: number;
  /** log.cleaner.backoff.ms (15000). */
  backoffMs: number;
}

export const DEFAULT_CLEANER_CONFIG: Readonly<CleanerConfig> = Object.freeze({
  enabled: true,
  threads: 1,
  dedupeBufferSize: 128 * 1024 * 1024,
  loadFactor: 0.9,
  ioBufferSize: 512 * 1024,
  backoffMs: 15000,
});

export interface CleanerLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface CleanerHost {
  logs(): Log[];
  logDirOf(log: Log): string | undefined;
  logDirs: readonly string[];
  now(): number;
  logger?: CleanerLogger;
  /** Run cleanings on the main thread (tests and the bench's comparison). Default false. */
  inline?: boolean;
}

/** What one cleaning did (for logs, tests and the bench). */
export interface CleaningReport {
  topic: string;
  partition: number;
  firstDirtyOffset: number;
  endOffset: number;
  swapped: boolean;
  stats: CleanResult['stats'];
  inThread: boolean;
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class LogCleaner {
  readonly config: CleanerConfig;
  private readonly checkpoints = new Map<string, Map<string, number>>();
  private readonly inProgress = new Set<string>();
  private readonly uncleanable = new Set<string>();
  /** Delete horizons of kept tombstones: the log is cleaned again once one passes. */
  private readonly horizons = new Map<string, number>();
  private readonly workers: CleanerWorker[] = [];
  private readonly running = new Set<RunningClean>();
  private readonly loops: Promise<void>[] = [];
  private wake: Array<() => void> = [];
  private stopped = false;
  private checkpointWrites: Promise<unknown> = Promise.resolve();
  /** Every cleaning done (bounded), newest last. */
  readonly reports: CleaningReport[] = [];

  constructor(
    private readonly host: CleanerHost,
    config: Partial<CleanerConfig> = {},
  ) {
    this.config = { ...DEFAULT_CLEANER_CONFIG, ...config };
  }

  /** Loads the checkpoints and, when enabled, starts the cleaner threads. */
  async start(): Promise<void> {
    for (const dir of this.host.logDirs) {
      const m = new Map<string, number>();
      try {
        for (const e of await readOffsetCheckpoint(join(dir, CLEANER_OFFSET_CHECKPOINT))) m.set(key(e.topic, e.partition), e.offset);
      } catch (e) {
        this.host.logger?.warn(`ignoring unreadable ${join(dir, CLEANER_OFFSET_CHECKPOINT)}: ${(e as Error).message}`);
      }
      this.checkpoints.set(dir, m);
    }
    if (!this.config.enabled) return;
    for (let i = 0; i < Math.max(0, this.config.threads); i++) {
      const w = new CleanerWorker(this.host.inline !== true);
      this.workers.push(w);
      this.loops.push(this.loop(w));
    }
  }

  /** The checkpointed first dirty offset of a log (undefined before its first cleaning). */
  checkpointOf(log: Log): number | undefined {
    const dir = this.host.logDirOf(log);
    return dir === undefined ? undefined : this.checkpoints.get(dir)?.get(key(log.topic, log.partition));
  }

  isUncleanable(log: Log): boolean {
    return this.uncleanable.has(key(log.topic, log.partition));
  }

  /** Wakes the threads now instead of after their backoff (tests, config changes). */
  kick(): void {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      t.unref();
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake.push(done);
    });
  }

  private async loop(worker: CleanerWorker): Promise<void> {
    while (!this.stopped) {
      let cleaned = false;
      try {
        cleaned = await this.cleanFilthiest(worker);
      } catch (e) {
        this.host.logger?.warn(`log cleaner: ${(e as Error).message}`);
      }
      if (!cleaned && !this.stopped) await this.sleep(this.config.backoffMs);
    }
  }

  /** Picks the dirtiest cleanable log (Kafka's grabFilthiestCompactedLog). */
  async grabFilthiest(): Promise<LogToClean | undefined> {
    const now = this.host.now();
    let best: LogToClean | undefined;
    for (const log of this.host.logs()) {
      const k = key(log.topic, log.partition);
      if (!log.config.compact || log.isClosed || this.inProgress.has(k) || this.uncleanable.has(k)) continue;
      const m = await measure(log, this.checkpointOf(log), now);
      if (m.resetCheckpoint) {
        this.host.logger?.warn(`log cleaner: resetting the first dirty offset of ${log.topic}-${log.partition} to ${m.firstDirtyOffset} (the checkpointed one is out of the log)`);
      }
      if (m.cleanBytes + m.cleanableBytes === 0) continue;
      const horizon = this.horizons.get(k);
      const horizonDue = horizon !== undefined && horizon <= now;
      const eligible = (m.needNow && m.cleanableBytes > 0) || m.ratio > log.config.minCleanableRatio || horizonDue;
      if (!eligible) continue;
      const score = horizonDue && m.ratio === 0 ? Number.MIN_VALUE : m.ratio;
      if (!best || score > best.ratio) best = { ...m, ratio: score };
    }
    if (best) this.inProgress.add(key(best.log.topic, best.log.partition));
    return best;
  }

  /** One round: the dirtiest log, cleaned and swapped in. False when none needed it. */
  async cleanFilthiest(worker: CleanerWorker | undefined = this.workers[0]): Promise<boolean> {
    const w = worker ?? new CleanerWorker(this.host.inline !== true);
    try {
      const ltc = await this.grabFilthiest();
      if (!ltc) return false;
      const k = key(ltc.log.topic, ltc.log.partition);
      try {
        await this.clean(ltc, w);
      } finally {
        this.inProgress.delete(k);
      }
      return true;
    } finally {
      if (!worker) await w.close();
    }
  }

  private async jobFor(ltc: LogToClean): Promise<{ job: CleanJob; generation: number }> {
    const log = ltc.log;
    const generation = log.generation;
    const segs = log.segments;
    const refs: SegmentRef[] = [];
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      const last = i === segs.length - 1;
      let mtimeMs = this.host.now();
      try {
        mtimeMs = (await stat(s.logPath)).mtimeMs;
      } catch {
        // a segment deleted meanwhile: the swap will see the generation change
      }
      refs.push({
        baseOffset: s.baseOffset,
        path: s.logPath,
        size: s.size,
        // The active segment grows meanwhile: no upper bound for its batches.
        nextOffset: last ? Number.MAX_SAFE_INTEGER : segs[i + 1]!.baseOffset,
        indexBytes: s.offsetIndex.sizeInBytes,
        timeIndexBytes: s.timeIndex.sizeInBytes,
        mtimeMs,
      });
    }
    const producers = new Map<bigint, ProducerLast>();
    for (const p of log.producers()) {
      const lastBatch = p.batches[p.batches.length - 1];
      producers.set(p.producerId, { lastDataOffset: lastBatch ? lastBatch.lastOffset : -1, producerEpoch: p.producerEpoch });
    }
    const cfg = log.config;
    const job: CleanJob = {
      dir: log.dir,
      name: `${log.topic}-${log.partition}`,
      segments: refs,
      firstDirtyOffset: ltc.firstDirtyOffset,
      firstUncleanableOffset: ltc.firstUncleanableOffset,
      now: this.host.now(),
      deleteRetentionMs: cfg.deleteRetentionMs,
      segmentBytes: cfg.segmentBytes,
      segmentIndexBytes: cfg.segmentIndexBytes,
      indexIntervalBytes: cfg.indexIntervalBytes,
      dedupeBufferSize: Math.floor(this.config.dedupeBufferSize / Math.max(1, this.config.threads)),
      loadFactor: this.config.loadFactor,
      ioBufferSize: Math.floor(this.config.ioBufferSize / 2),
      producers,
    };
    return { job, generation };
  }

  private async clean(ltc: LogToClean, worker: CleanerWorker): Promise<void> {
    const log = ltc.log;
    const k = key(log.topic, log.partition);
    const name = `${log.topic}-${log.partition}`;
    const { job, generation } = await this.jobFor(ltc);
    const run = worker.run(job);
    this.running.add(run);
    let result: CleanResult;
    try {
      result = await run.result;
    } catch (e) {
      const err = e as Error;
      if (err.name === 'CorruptSegmentError') {
        this.uncleanable.add(k);
        this.host.logger?.warn(`log cleaner: skipping ${name} until restart, a segment is corrupt: ${err.message}`);
        return;
      }
      if (e instanceof CleaningAbortedError || this.stopped) return;
      this.uncleanable.add(k);
      this.host.logger?.warn(`log cleaner: skipping ${name} until restart after an error: ${err.message}`);
      return;
    } finally {
      this.running.delete(run);
    }
    const swapped = await log.replaceCleaned(result.groups, generation);
    if (swapped) {
      await this.setCheckpoint(log, result.endOffset);
      if (result.nextHorizon !== undefined && result.nextHorizon > job.now) this.horizons.set(k, result.nextHorizon);
      else this.horizons.delete(k);
    }
    const s = result.stats;
    this.reports.push({ topic: log.topic, partition: log.partition, firstDirtyOffset: ltc.firstDirtyOffset, endOffset: result.endOffset, swapped, stats: s, inThread: worker.inThread });
    if (this.reports.length > 100) this.reports.shift();
    this.host.logger?.info(
      `log cleaner: ${name} [${ltc.firstDirtyOffset}, ${result.endOffset}) ${swapped ? 'cleaned' : 'changed meanwhile, dropped'}: ` +
        `${(s.bytesRead / 1048576).toFixed(1)} MB read, ${(s.bytesWritten / 1048576).toFixed(1)} MB written, ${s.recordsKept}/${s.recordsRead} records kept, ` +
        `${s.mapEntries} keys in the offset map (${((s.mapEntries / s.mapSlots) * 100).toFixed(1)}% of ${s.mapSlots} slots), ${s.elapsedMs.toFixed(0)} ms`,
    );
  }

  private async setCheckpoint(log: Log, offset: number): Promise<void> {
    const dir = this.host.logDirOf(log);
    if (dir === undefined) return;
    let m = this.checkpoints.get(dir);
    if (!m) this.checkpoints.set(dir, (m = new Map()));
    m.set(key(log.topic, log.partition), offset);
    await this.writeCheckpoint(dir);
  }

  /** Rewrites a dir's cleaner-offset-checkpoint with the logs it still has (serialized). */
  writeCheckpoint(dir: string): Promise<void> {
    const run = this.checkpointWrites.then(async () => {
      const m = this.checkpoints.get(dir) ?? new Map<string, number>();
      const live = new Set(this.host.logs().filter((l) => this.host.logDirOf(l) === dir).map((l) => key(l.topic, l.partition)));
      const entries = [];
      for (const [k, offset] of m) {
        if (!live.has(k)) {
          m.delete(k);
          continue;
        }
        const [topic, partition] = k.split('\u0000');
        entries.push({ topic: topic!, partition: Number(partition), offset });
      }
      await writeOffsetCheckpoint(join(dir, CLEANER_OFFSET_CHECKPOINT), entries);
    });
    this.checkpointWrites = run.catch(() => undefined);
    return run;
  }

  /** Stops the threads: a cleaning in progress is abandoned (its .cleaned files deleted). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const r of this.running) r.abort();
    this.kick();
    await Promise.allSettled(this.loops);
    for (const w of this.workers) await w.close();
    await this.checkpointWrites;
  }
}

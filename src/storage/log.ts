import { mkdir } from 'node:fs/promises';
import { resolveLogConfig, type LogConfig } from './config.js';
import { DelayedDeletes } from './delayed-deletes.js';
import { LogClosedError, OffsetOutOfRangeError, ProducerStateError } from './errors.js';
import { GroupFlusher } from './log-flush.js';
import { readLog, offsetForTimestamp } from './log-read.js';
import { loadSegments, rebuildProducerState, type LogRecoveryInfo } from './log-recovery.js';
import { byRetentionBytes, byRetentionMs, deletableLeadingSegments, type RetentionRule } from './log-retention.js';
import { analyzeAppend, assignOffset, writeAssignedHeaders } from './log-validator.js';
import type {
  AppendListener,
  AppendOptions,
  AppendResult,
  PartitionLog,
  ReadOptions,
  TimestampAndOffset,
} from './partition-log.js';
import { ProducerStateManager, type ProducerStateEntry } from './producer-state.js';
import type { Decompress } from './record-scan.js';
import { LogSegment, type AppendedBatch, type SegmentOptions } from './segment.js';

export type { LogRecoveryInfo } from './log-recovery.js';

export interface LogOpenOptions {
  topic: string;
  partition: number;
  config?: Partial<LogConfig>;
  /** From recovery-point-offset-checkpoint; segments from the one holding it are scanned. Default 0. */
  recoveryPoint?: number;
  /** From log-start-offset-checkpoint. Default: the first segment's base offset. */
  logStartOffset?: number;
  /** True when the log dir had a clean shutdown marker: skip the recovery scan. */
  hadCleanShutdown?: boolean;
  /** Injected clock (ms) for segment.ms and flush.ms. */
  now?: () => number;
  /** Codec hook for ListOffsets-by-timestamp inside compressed batches. */
  decompress?: Decompress;
}

type AppendOutcome = { result: AppendResult; flushTo?: number };

type Task =
  | { kind: 'append'; records: Buffer; opts: AppendOptions; resolve: (r: AppendOutcome) => void; reject: (e: unknown) => void }
  | { kind: 'op'; run: () => Promise<unknown>; resolve: (r: unknown) => void; reject: (e: unknown) => void };

/** An append prepared (checked, offsets assigned) and waiting for its group's write. */
interface Prepared {
  task: Extract<Task, { kind: 'append' }>;
  result: AppendResult;
  records?: Buffer;
  batches?: AppendedBatch[];
  nextOffset?: number;
}

/** At most this many bytes are coalesced into one write. */
const MAX_GROUP_BYTES = 8 * 1024 * 1024;

/**
 * One partition's log in `<log.dir>/<topic>-<partition>/` (Kafka's UnifiedLog, local part).
 * Appends go through a single writer queue; reads never wait on it.
 */
export class Log implements PartitionLog {
  readonly topic: string;
  readonly partition: number;
  private cfg: LogConfig;
  private readonly now: () => number;
  private readonly decompress: Decompress | undefined;
  /** Copy-on-write: replaced, never mutated, so readers keep a consistent view. */
  private segs: readonly LogSegment[] = [];
  private leo = 0;
  private lso = 0;
  private rp = 0;
  private lastFlushTime: number;
  private readonly psm: ProducerStateManager;
  /** The single writer queue: appends and log-mutating operations, in arrival order. */
  private readonly tasks: Task[] = [];
  private draining = false;
  private closed = false;
  private readonly listeners = new Set<AppendListener>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly flusher: GroupFlusher;
  private readonly deletes = new DelayedDeletes((p) => this.track(p));
  recoveryInfo: LogRecoveryInfo = { recoveredSegments: 0, truncatedBytes: 0, rebuiltIndexes: 0, deletedSegments: 0, producerStateFrom: 0 };

  private constructor(
    readonly dir: string,
    opts: LogOpenOptions,
  ) {
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.cfg = resolveLogConfig(opts.config);
    this.now = opts.now ?? Date.now;
    this.decompress = opts.decompress;
    this.psm = new ProducerStateManager(dir);
    this.lastFlushTime = this.now();
    this.flusher = new GroupFlusher({
      dir,
      segments: () => this.segs,
      logEndOffset: () => this.leo,
      recoveryPoint: () => this.rp,
      flushed: (upTo) => {
        if (upTo > this.rp) this.rp = upTo;
        this.lastFlushTime = this.now();
      },
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Properties

  get config(): Readonly<LogConfig> {
    return this.cfg;
  }
  get logStartOffset(): number {
    return this.lso;
  }
  get logEndOffset(): number {
    return this.leo;
  }
  get highWatermark(): number {
    return this.leo;
  }
  get lastStableOffset(): number {
    const fu = this.psm.firstUnstableOffset();
    return fu === undefined ? this.leo : Math.min(fu, this.leo);
  }
  get recoveryPoint(): number {
    return this.rp;
  }
  get size(): number {
    let n = 0;
    for (const s of this.segs) n += s.size;
    return n;
  }
  get numberOfSegments(): number {
    return this.segs.length;
  }
  /** The segments, oldest first (a snapshot; do not mutate). */
  get segments(): readonly LogSegment[] {
    return this.segs;
  }
  get activeSegment(): LogSegment {
    return this.segs[this.segs.length - 1]!;
  }
  get producerStateManager(): ProducerStateManager {
    return this.psm;
  }
  producers(): ProducerStateEntry[] {
    return [...this.psm.entries()];
  }

  private segOpts(): SegmentOptions {
    return { indexIntervalBytes: this.cfg.indexIntervalBytes, segmentIndexBytes: this.cfg.segmentIndexBytes, now: this.now };
  }

  updateConfig(overrides: Partial<LogConfig>): void {
    this.cfg = resolveLogConfig(this.cfg, overrides);
  }

  // ---------------------------------------------------------------------------------------------
  // Open and recovery

  static async open(dir: string, opts: LogOpenOptions): Promise<Log> {
    const log = new Log(dir, opts);
    await mkdir(dir, { recursive: true });
    await log.load(opts);
    return log;
  }

  private async load(opts: LogOpenOptions): Promise<void> {
    const info = this.recoveryInfo;
    const clean = opts.hadCleanShutdown === true;
    const recoveryPoint = opts.recoveryPoint ?? 0;
    const segs = await loadSegments(this.dir, { recoveryPoint, logStartOffset: opts.logStartOffset ?? 0, clean }, this.segOpts(), info);
    this.segs = segs;
    this.leo = segs[segs.length - 1]!.nextOffset;

    this.lso = Math.max(opts.logStartOffset ?? 0, segs[0]!.baseOffset);
    if (this.lso > this.leo) {
      // All data below the checkpointed log start offset is gone: start afresh there.
      await this.truncateFullyAndStartAt(this.lso);
    }
    this.rp = clean ? this.leo : Math.min(recoveryPoint, this.leo);
    await rebuildProducerState(this.psm, this.segs, this.lso, this.leo, info);
  }

  private async truncateFullyAndStartAt(offset: number): Promise<void> {
    for (const seg of this.segs) {
      const finish = await seg.markDeleted();
      await finish();
    }
    this.segs = [await LogSegment.create(this.dir, offset, this.segOpts())];
    this.leo = offset;
    this.lso = offset;
    this.psm.clear(offset);
    await this.psm.deleteSnapshotsBefore(Number.MAX_SAFE_INTEGER);
  }

  // ---------------------------------------------------------------------------------------------
  // The writer queue

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.tasks.push({ kind: 'op', run: op, resolve: resolve as (r: unknown) => void, reject });
      this.kick();
    });
  }

  append(records: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    return new Promise<AppendOutcome>((resolve, reject) => {
      this.tasks.push({ kind: 'append', records, opts, resolve, reject });
      this.kick();
    }).then(async (r) => {
      if (r.flushTo !== undefined) await this.flushUpTo(r.flushTo);
      return r.result;
    });
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = true;
    void this.drain();
  }

  /**
   * The writer: runs tasks one at a time; consecutive appends that queued up while the previous
   * write was in flight are checked and offset one after another and written with one writev.
   */
  private async drain(): Promise<void> {
    try {
      while (this.tasks.length > 0) {
        const t = this.tasks[0]!;
        if (t.kind === 'op') {
          this.tasks.shift();
          try {
            t.resolve(await t.run());
          } catch (e) {
            t.reject(e);
          }
          continue;
        }
        const group: Array<Extract<Task, { kind: 'append' }>> = [];
        let bytes = 0;
        while (this.tasks.length > 0 && this.tasks[0]!.kind === 'append' && (group.length === 0 || bytes < MAX_GROUP_BYTES)) {
          const a = this.tasks.shift() as Extract<Task, { kind: 'append' }>;
          bytes += a.records.length;
          group.push(a);
        }
        await this.appendGroup(group);
      }
    } finally {
      this.draining = false;
      if (this.tasks.length > 0) this.kick();
    }
  }

  private async appendGroup(group: Array<Extract<Task, { kind: 'append' }>>): Promise<void> {
    let stage = this.psm.beginAppend();
    let pending: Prepared[] = [];
    let pendingBytes = 0;
    let pendingFirstTs: bigint | undefined;
    let next = this.leo;

    const writePending = async (): Promise<void> => {
      const toWrite = pending;
      const st = stage;
      pending = [];
      pendingBytes = 0;
      pendingFirstTs = undefined;
      stage = this.psm.beginAppend();
      const bufs: Buffer[] = [];
      const batches: AppendedBatch[] = [];
      let end = this.leo;
      for (const p of toWrite) {
        if (p.records) {
          bufs.push(p.records);
          for (const b of p.batches!) batches.push(b);
          end = p.nextOffset!;
        }
      }
      try {
        if (bufs.length > 0) await this.activeSegment.append(bufs, batches);
      } catch (e) {
        for (const p of toWrite) p.task.reject(e);
        next = this.leo;
        return;
      }
      st.commit(end);
      const advanced = end > this.leo;
      this.leo = end;
      if (advanced) {
        for (const l of this.listeners) {
          try {
            l(end);
          } catch {
            // a listener's failure is its own
          }
        }
      }
      const flushTo = this.leo - this.rp >= this.cfg.flushMessages ? this.leo : undefined;
      for (const p of toWrite) p.task.resolve(flushTo !== undefined && p.records ? { result: p.result, flushTo } : { result: p.result });
    };

    for (const task of group) {
      try {
        if (this.closed) throw new LogClosedError(`log ${this.topic}-${this.partition}`);
        const { records, opts } = task;
        const batches = analyzeAppend(records, this.cfg.segmentBytes);
        const pa = stage.fork();
        const checkProducers = (opts.origin ?? 'client') === 'client';
        const firstOffset = next;
        let o = firstOffset;
        const stamp = opts.logAppendTime;
        let maxTimestamp = -1n;
        const appended: AppendedBatch[] = [];
        let dup: AppendResult | undefined;
        for (const b of batches) {
          if (checkProducers) {
            const c = pa.check(b.h);
            if (c.kind === 'duplicate') {
              dup = { baseOffset: c.firstOffset, lastOffset: c.lastOffset, logAppendTime: stamp ?? -1n, logStartOffset: this.lso, duplicate: true };
              break;
            }
            if (c.kind === 'error') {
              throw new ProducerStateError(c.message, c.code);
            }
          }
          o = assignOffset(b, o, stamp);
          pa.apply(b.h);
          if (b.h.maxTimestamp > maxTimestamp) maxTimestamp = b.h.maxTimestamp;
          appended.push({ lastOffset: o - 1, maxTimestamp: b.h.maxTimestamp, size: b.h.size });
        }
        if (dup) {
          // Answered once everything queued before it is written (its original may be in this group).
          pending.push({ task, result: dup });
          continue;
        }
        const lastOffset = o - 1;
        const rollParams = {
          segmentBytes: this.cfg.segmentBytes,
          segmentMs: this.cfg.segmentMs,
          appendBytes: records.length,
          maxTimestamp,
          lastOffset,
          now: this.now(),
          pendingBytes,
          pendingFirstTs,
        };
        if (this.activeSegment.shouldRoll(rollParams)) {
          if (pending.length > 0) await writePending();
          if (this.leo !== firstOffset) {
            // The earlier part of the group failed to write: this append must not leave a gap.
            throw new LogClosedError(`log ${this.topic}-${this.partition} (write failed)`);
          }
          rollParams.pendingBytes = 0;
          rollParams.pendingFirstTs = undefined;
          if (this.activeSegment.shouldRoll(rollParams)) await this.roll(firstOffset);
        }
        // All checks passed: rewrite the headers in place (base offset outside the CRC; LogAppendTime inside it).
        writeAssignedHeaders(records, batches, stamp);
        pa.mergeInto(stage);
        if (pendingFirstTs === undefined && pendingBytes === 0) pendingFirstTs = appended[0]!.maxTimestamp;
        pending.push({
          task,
          result: { baseOffset: firstOffset, lastOffset, logAppendTime: stamp ?? -1n, logStartOffset: this.lso, duplicate: false },
          records,
          batches: appended,
          nextOffset: o,
        });
        pendingBytes += records.length;
        next = o;
      } catch (e) {
        task.reject(e);
      }
    }
    if (pending.length > 0) await writePending();
  }

  /** Rolls a new active segment at `newBase` (inside the writer queue). */
  private async roll(newBase: number): Promise<void> {
    const old = this.activeSegment;
    if (old.baseOffset === newBase && old.size === 0) return;
    await old.onBecomeInactive();
    old.nextOffset = newBase;
    const seg = await LogSegment.create(this.dir, newBase, this.segOpts());
    this.segs = [...this.segs, seg];
    // Kafka snapshots producer state at every roll and flushes the old segment in the background.
    this.psm.mapEndOffset = newBase;
    await this.psm.takeSnapshot(false);
    this.track(this.flushUpTo(newBase));
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch(() => undefined);
    this.background.add(q);
    void q.finally(() => this.background.delete(q));
  }

  // ---------------------------------------------------------------------------------------------
  // Flushing

  /** fsyncs everything appended so far and advances the recovery point. */
  flush(): Promise<void> {
    return this.flushUpTo(this.leo);
  }

  /** Group commit (log-flush.ts). */
  private flushUpTo(offset: number): Promise<void> {
    return this.flusher.flushUpTo(offset);
  }

  /** flush.ms: called by the log manager's scheduler. */
  async maybeFlushByTime(): Promise<void> {
    if (this.closed || this.leo <= this.rp) return;
    if (this.now() - this.lastFlushTime >= this.cfg.flushMs) await this.flush();
  }

  /** segment.ms for an idle active segment is checked on the next append, as in Kafka. */

  // ---------------------------------------------------------------------------------------------
  // Reads

  read(fetchOffset: number, maxBytes: number, opts: ReadOptions = {}): Promise<Buffer> {
    return readLog(this, fetchOffset, maxBytes, opts);
  }

  offsetForTimestamp(ts: bigint): Promise<TimestampAndOffset | null> {
    return offsetForTimestamp(this, ts, this.decompress);
  }

  // ---------------------------------------------------------------------------------------------
  // Append notification

  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  waitForAppend(offset: number, signal?: AbortSignal): Promise<void> {
    if (this.leo > offset || this.closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        off();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const off = this.onAppend((leo) => {
        if (leo > offset) done();
      });
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // DeleteRecords

  deleteRecordsBefore(offset: number): Promise<number> {
    return this.enqueue(async () => {
      if (this.closed) throw new LogClosedError(`log ${this.topic}-${this.partition}`);
      const target = offset === -1 ? this.highWatermark : offset;
      if (target < 0 || target > this.highWatermark) throw new OffsetOutOfRangeError(target, this.lso, this.highWatermark);
      if (target <= this.lso) return this.lso;
      this.lso = target;
      this.psm.truncateHead(target);
      if (target === this.leo && this.activeSegment.size > 0) await this.roll(this.leo);
      await this.deleteSegmentsBelow(target);
      return this.lso;
    });
  }

  /** Deletes the segments whose every offset is below `offset` (never the active one); returns how many. */
  private async deleteSegmentsBelow(offset: number): Promise<number> {
    const segs = this.segs;
    let n = 0;
    while (n < segs.length - 1 && segs[n + 1]!.baseOffset <= offset) n++;
    if (n === 0) return 0;
    this.segs = segs.slice(n);
    for (const seg of segs.slice(0, n)) {
      const finish = await seg.markDeleted();
      this.deletes.schedule(finish, this.cfg.fileDeleteDelayMs);
    }
    await this.psm.deleteSnapshotsBefore(this.segs[0]!.baseOffset);
    return n;
  }

  // ---------------------------------------------------------------------------------------------
  // Retention

  /**
   * Kafka's retention for cleanup.policy=delete (UnifiedLog.deleteOldSegments), run by the
   * LogManager every log.retention.check.interval.ms: from the oldest segment on, deletes those
   * whose newest record is older than retention.ms, then those that keep the log above
   * retention.bytes, then those wholly below the log start offset (after DeleteRecords). Only
   * segments whose records are all below the high watermark go; when every segment qualifies, the
   * active one too, after rolling a new empty one at the log end. The log start offset moves to the
   * first remaining segment. Deleted files linger as *.deleted for file.delete.delay.ms. Returns
   * how many segments were deleted.
   */
  deleteOldSegments(): Promise<number> {
    return this.enqueue(async () => {
      if (this.closed) return 0;
      let deleted = 0;
      if (this.cfg.cleanupDelete && this.cfg.retentionMs >= 0) {
        const now = this.now();
        const times = await Promise.all(this.segs.map((s) => s.largestTimestamp()));
        deleted += await this.deleteLeading(byRetentionMs(times, now, this.cfg.retentionMs));
      }
      if (this.cfg.cleanupDelete && this.cfg.retentionBytes >= 0) {
        deleted += await this.deleteLeading(byRetentionBytes(this.size, this.cfg.retentionBytes));
      }
      deleted += await this.deleteSegmentsBelow(this.lso);
      return deleted;
    });
  }

  /** Deletes the longest run of oldest segments `doomed` accepts (inside the writer queue). */
  private async deleteLeading(doomed: RetentionRule): Promise<number> {
    const segs = this.segs;
    const n = deletableLeadingSegments(segs, this.leo, this.highWatermark, doomed);
    if (n === 0) return 0;
    if (n === segs.length) await this.roll(this.leo); // the log keeps an (empty) active segment
    const newStart = this.segs[n]!.baseOffset;
    if (newStart > this.lso) {
      this.lso = newStart;
      this.psm.truncateHead(newStart);
    }
    return this.deleteSegmentsBelow(newStart);
  }

  // ---------------------------------------------------------------------------------------------
  // Close

  /** Clean close: flush, producer snapshot at the log end, indexes trimmed and written. */
  close(): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed) return;
      await this.flush();
      await Promise.all([...this.background]);
      this.psm.mapEndOffset = this.leo;
      await this.psm.takeSnapshot(true);
      this.closed = true;
      for (const l of [...this.listeners]) l(this.leo);
      this.listeners.clear();
      for (const seg of this.segs) await seg.close();
      await this.deletes.runAll();
    });
  }

  /** Closes without flushing or snapshotting (for deletion). */
  async closeForDelete(): Promise<void> {
    await this.enqueue(async () => {
      if (this.closed) return;
      this.closed = true;
      for (const l of [...this.listeners]) l(this.leo);
      this.listeners.clear();
      await Promise.all([...this.background]);
      for (const seg of this.segs) await seg.close();
      await this.deletes.runAll();
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

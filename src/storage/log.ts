import { mkdir } from 'node:fs/promises';
import { resolveLogConfig, type LogConfig } from './config.js';
import { DelayedDeletes } from './delayed-deletes.js';
import { asStorageError, LogClosedError, OffsetOutOfRangeError } from './errors.js';
import { HighWatermark } from './high-watermark.js';
import type { EpochEndOffset, EpochEntry } from './leader-epoch-cache.js';
import { appendFollower, appendGroup, MAX_GROUP_BYTES, type AppendHost, type AppendOutcome, type AppendTask } from './log-append.js';
import { LogEpochs } from './log-epochs.js';
import { GroupFlusher } from './log-flush.js';
import { readLog, offsetForTimestamp } from './log-read.js';
import { loadSegments, rebuildProducerState, type LogRecoveryInfo } from './log-recovery.js';
import { byRetentionBytes, byRetentionMs, deletableLeadingSegments, type RetentionRule } from './log-retention.js';
import { cutSegments, planTruncation } from './log-truncate.js';
import { OffsetSignal } from './offset-signal.js';
import type {
  AppendListener,
  AppendOptions,
  AppendResult,
  HighWatermarkListener,
  PartitionLog,
  ReadOptions,
  TimestampAndOffset,
} from './partition-log.js';
import { ProducerStateManager, type ProducerStateEntry } from './producer-state.js';
import type { Decompress } from './record-scan.js';
import { LogSegment, type SegmentOptions } from './segment.js';
import { segmentIndexOf } from './segment-lookup.js';
import type { AbortedTxn } from './txn-index.js';
import type { CleanedGroup } from './cleaner/job.js';
import { discardCleaned, finishSwap, markSwap, retireTxnIndex } from './cleaner/swap.js';

export type { LogRecoveryInfo, RecoveryEvent } from './log-recovery.js';

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
  /**
   * True in a replicated cluster: the high watermark moves only by setHighWatermark. False (the
   * default, a single node): it follows the log end offset after every append.
   */
  replicated?: boolean;
  /** From replication-offset-checkpoint (replicated logs only). Default: the log start offset. */
  highWatermark?: number;
  /**
   * Called inside the writer queue after a truncation lowered the log's offsets (the log manager
   * checkpoints them at once, as Kafka's does, so a crash cannot resurrect the old ones).
   */
  afterTruncation?: () => Promise<void>;
}

/** Truncation targets come from other brokers' answers: refuse nonsense before touching anything. */
function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`invalid truncation offset ${offset}`);
}

type Task = AppendTask | { kind: 'op'; run: () => Promise<unknown>; resolve: (r: unknown) => void; reject: (e: unknown) => void };

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
  private readonly hw: HighWatermark;
  private epochs!: LogEpochs;
  private lastFlushTime: number;
  private readonly psm: ProducerStateManager;
  private readonly afterTruncation: (() => Promise<void>) | undefined;
  /** The single writer queue: appends and log-mutating operations, in arrival order. */
  private readonly tasks: Task[] = [];
  private draining = false;
  private closed = false;
  /** Bumped whenever segments leave or change other than by appends and rolls (cleaner swaps check it). */
  private gen = 0;
  private readonly appends = new OffsetSignal();
  /** The last stable offset, announced when it changes (read_committed long polls). */
  private readonly stable = new OffsetSignal();
  private stableSeen = -1;
  private readonly background = new Set<Promise<unknown>>();
  private readonly flusher: GroupFlusher;
  private readonly deletes = new DelayedDeletes((p) => this.track(p));
  /** What the writer (log-append.ts) drives. */
  private readonly host: AppendHost = {
    log: this,
    epochs: () => this.epochs,
    now: () => this.now(),
    roll: (newBase) => this.roll(newBase),
    advanceTo: (end) => this.advanceTo(end),
  };
  recoveryInfo: LogRecoveryInfo = { recoveredSegments: 0, truncatedBytes: 0, rebuiltIndexes: 0, deletedSegments: 0, producerStateFrom: 0, events: [] };

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
    this.hw = new HighWatermark(opts.replicated === true, 0);
    this.afterTruncation = opts.afterTruncation;
    // First listener: the LSO is announced before anyone hears of the high watermark that moved it.
    this.hw.signal.on(() => this.checkStable());
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
    return this.hw.value;
  }
  /** True when the high watermark moves only by setHighWatermark (a replicated cluster). */
  get replicated(): boolean {
    return this.hw.replicated;
  }
  /**
   * Kafka's lastStableOffset: the first offset of the earliest transaction that is open, or whose
   * marker is not below the high watermark yet (at least the log start offset); else, and never
   * above it, the high watermark.
   */
  get lastStableOffset(): number {
    const hw = this.hw.value;
    const fu = this.psm.firstUnstableOffset(hw);
    return fu === undefined ? hw : Math.min(Math.max(fu, this.lso), hw);
  }

  /** Announces the last stable offset when it changed. */
  private checkStable(): void {
    const s = this.lastStableOffset;
    if (s === this.stableSeen) return;
    this.stableSeen = s;
    this.stable.emit(s);
  }
  get latestEpoch(): number {
    return this.epochs.latestEpoch;
  }
  /** The leader epoch cache's entries, oldest first (what leader-epoch-checkpoint holds). */
  get leaderEpochs(): readonly EpochEntry[] {
    return this.epochs.entries;
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
  /** Changes when segments are deleted, truncated or replaced: a cleaning planned before does not apply. */
  get generation(): number {
    return this.gen;
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
    const loaded = await loadSegments(this.dir, { recoveryPoint, logStartOffset: opts.logStartOffset ?? 0, clean }, this.segOpts(), info);
    const segs = loaded.segments;
    this.segs = segs;
    this.leo = segs[segs.length - 1]!.nextOffset;

    this.lso = Math.max(opts.logStartOffset ?? 0, segs[0]!.baseOffset);
    if (this.lso > this.leo) {
      // All data below the checkpointed log start offset is gone: start afresh there.
      await this.resetTo(this.lso, true);
    }
    this.rp = clean ? this.leo : Math.min(recoveryPoint, this.leo);
    await rebuildProducerState(this.psm, this.segs, this.lso, this.leo, info, loaded.rebuildTxnFrom);
    this.epochs = await LogEpochs.load(this.dir, this.segs, this.lso, this.leo);
    const hw = this.hw.replicated ? Math.min(Math.max(opts.highWatermark ?? this.lso, this.lso), this.leo) : this.leo;
    this.hw.reset(hw);
    this.stableSeen = this.lastStableOffset;
  }

  /** Every segment goes and the log restarts empty at `offset` (segment and producer state only). */
  private async resetTo(offset: number, deleteNow: boolean): Promise<void> {
    this.gen++;
    const finishes: Array<() => Promise<void>> = [];
    for (const seg of this.segs) finishes.push(await seg.markDeleted());
    this.segs = [await LogSegment.create(this.dir, offset, this.segOpts())];
    for (const finish of finishes) {
      if (deleteNow) await finish();
      else this.deletes.schedule(finish, this.cfg.fileDeleteDelayMs);
    }
    this.leo = offset;
    this.lso = offset;
    this.rp = offset;
    this.flusher.invalidate();
    this.psm.clear(offset);
    await this.psm.deleteSnapshotsBefore(Number.MAX_SAFE_INTEGER);
  }

  private assertOpen(): void {
    if (this.closed) throw new LogClosedError(`log ${this.topic}-${this.partition}`);
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
      if (r.flushTo !== undefined) await this.flushForAck(r.flushTo);
      return r.result;
    });
  }

  /**
   * The flush an append's acknowledgement waits for (flush.messages): a failed fsync fails the
   * append with KAFKA_STORAGE_ERROR, as the records may not be durable.
   */
  private async flushForAck(offset: number): Promise<void> {
    try {
      await this.flushUpTo(offset);
    } catch (e) {
      throw asStorageError(e, this.topic, this.partition, this.dir);
    }
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
        const group: AppendTask[] = [];
        let bytes = 0;
        while (this.tasks.length > 0 && this.tasks[0]!.kind === 'append' && (group.length === 0 || bytes < MAX_GROUP_BYTES)) {
          const a = this.tasks.shift() as AppendTask;
          bytes += a.records.length;
          group.push(a);
        }
        await appendGroup(this.host, group);
      }
    } finally {
      this.draining = false;
      if (this.tasks.length > 0) this.kick();
    }
  }

  /** The log now ends at `end` (written): listeners hear of it, and of the high watermark following it. */
  private advanceTo(end: number): void {
    if (end <= this.leo) return;
    this.leo = end;
    this.hw.appended(end);
    this.appends.emit(end);
  }

  // ---------------------------------------------------------------------------------------------
  // Follower appends

  /** A follower's copy of its leader's batches, through the writer queue (log-append.ts). */
  appendAsFollower(records: Buffer): Promise<AppendResult> {
    return this.enqueue(() => appendFollower(this.host, records)).then(async (r) => {
      if (r.flushTo !== undefined) await this.flushForAck(r.flushTo);
      return r.result;
    });
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
    return this.appends.on(listener);
  }

  waitForAppend(offset: number, signal?: AbortSignal): Promise<void> {
    return this.appends.waitFor(offset, () => this.leo, signal);
  }

  // ---------------------------------------------------------------------------------------------
  // High watermark and leader epochs

  setHighWatermark(offset: number): void {
    if (!this.closed) this.hw.advance(offset, this.lso, this.leo);
  }

  onHighWatermark(listener: HighWatermarkListener): () => void {
    return this.hw.signal.on(listener);
  }

  waitForHighWatermark(offset: number, signal?: AbortSignal): Promise<void> {
    return this.hw.signal.waitFor(offset, () => this.hw.value, signal);
  }

  onLastStable(listener: HighWatermarkListener): () => void {
    return this.stable.on(listener);
  }

  /**
   * Kafka's collectAbortedTransactions for a read_committed fetch: the aborted transactions that
   * overlap [fetchOffset, upperBoundOffset), from the transaction indexes of the segment holding
   * fetchOffset and the later ones, until an entry's LSO reaches the upper bound.
   */
  abortedTransactions(fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
    const segs = this.segs;
    const out: AbortedTxn[] = [];
    if (upperBoundOffset <= fetchOffset) return out;
    for (let i = segmentIndexOf(segs, fetchOffset); i < segs.length; i++) {
      const r = segs[i]!.txnIndex.collect(fetchOffset, upperBoundOffset);
      for (const t of r.aborted) out.push(t);
      if (r.complete) break;
    }
    return out;
  }

  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.epochs.endOffsetFor(epoch, this.leo);
  }

  epochForOffset(offset: number): number {
    return this.epochs.epochAt(offset);
  }

  // ---------------------------------------------------------------------------------------------
  // Truncation (a follower dropping what its leader does not have; log-truncate.ts)

  truncateTo(offset: number): Promise<void> {
    return this.enqueue(async () => {
      this.assertOpen();
      checkOffset(offset);
      const plan = await planTruncation(this.segs, this.lso, this.leo, offset);
      if (plan.kind === 'none') return;
      if (plan.kind === 'restart') return this.restartAt(plan.offset);
      this.gen++;
      this.segs = await cutSegments(this.segs, plan, offset, (seg) => this.retire(seg));
      this.leo = plan.end;
      this.rp = Math.min(this.rp, plan.end);
      this.hw.truncated(plan.end);
      this.flusher.invalidate();
      // The recovery code rebuilds producer state: newest snapshot at or below the end (later ones deleted), then replay.
      await rebuildProducerState(this.psm, this.segs, this.lso, plan.end, { ...this.recoveryInfo, events: [] });
      await this.epochs.truncateFromEnd(plan.end);
      this.checkStable();
      await this.afterTruncation?.();
    });
  }

  truncateFullyAndStartAt(offset: number): Promise<void> {
    return this.enqueue(async () => {
      this.assertOpen();
      checkOffset(offset);
      await this.restartAt(offset);
    });
  }

  private async restartAt(offset: number): Promise<void> {
    await this.resetTo(offset, false);
    this.hw.reset(offset);
    this.checkStable();
    await this.epochs.clear();
    await this.afterTruncation?.();
  }

  /** A segment leaves the log: renamed to *.deleted now, removed after file.delete.delay.ms. */
  private async retire(seg: LogSegment): Promise<void> {
    const finish = await seg.markDeleted();
    this.deletes.schedule(finish, this.cfg.fileDeleteDelayMs);
  }

  // ---------------------------------------------------------------------------------------------
  // DeleteRecords

  deleteRecordsBefore(offset: number): Promise<number> {
    return this.enqueue(async () => {
      this.assertOpen();
      const target = offset === -1 ? this.highWatermark : offset;
      if (target < 0 || target > this.highWatermark) throw new OffsetOutOfRangeError(target, this.lso, this.highWatermark);
      if (target <= this.lso) return this.lso;
      await this.moveLogStart(target);
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
    this.gen++;
    this.segs = segs.slice(n);
    for (const seg of segs.slice(0, n)) await this.retire(seg);
    await this.psm.deleteSnapshotsBefore(this.segs[0]!.baseOffset);
    return n;
  }

  // ---------------------------------------------------------------------------------------------
  // Log cleaner (src/storage/cleaner/)

  /**
   * Swaps cleaned segments in (cleaner/swap.ts), inside the writer queue. Each group replaces the
   * consecutive segments it names, offsets unchanged. When the log changed since the cleaning was
   * planned (`generation`), or closed, nothing is swapped, the cleaned files are deleted, and the
   * answer is false.
   */
  replaceCleaned(groups: readonly CleanedGroup[], generation: number): Promise<boolean> {
    return this.enqueue(async () => {
      if (this.closed || generation !== this.gen || !this.holdsGroups(groups)) {
        await discardCleaned(groups);
        return false;
      }
      this.gen++;
      for (const g of groups) {
        const swapFiles = await markSwap(this.dir, g);
        const first = this.segs.findIndex((s) => s.baseOffset === g.replaces[0]);
        const old = this.segs.slice(first, first + g.replaces.length);
        for (const seg of old) {
          await this.retire(seg);
          await retireTxnIndex(this.dir, seg.baseOffset);
        }
        await finishSwap(this.dir, swapFiles);
        const { segment, indexesOk } = await LogSegment.open(this.dir, g.baseOffset, this.segOpts());
        if (!indexesOk) await segment.recover();
        const next = this.segs[first + g.replaces.length]!;
        segment.nextOffset = next.baseOffset;
        segment.firstBatchTimestamp = undefined;
        await segment.loadFirstBatchTimestamp();
        const segs = [...this.segs];
        segs.splice(first, g.replaces.length, segment);
        this.segs = segs;
      }
      this.flusher.invalidate();
      return true;
    });
  }

  /** Every group's segments are still in the log, consecutive, and none is the active one. */
  private holdsGroups(groups: readonly CleanedGroup[]): boolean {
    for (const g of groups) {
      const first = this.segs.findIndex((s) => s.baseOffset === g.replaces[0]);
      if (first < 0 || first + g.replaces.length >= this.segs.length) return false;
      for (let i = 0; i < g.replaces.length; i++) if (this.segs[first + i]!.baseOffset !== g.replaces[i]) return false;
    }
    return true;
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
    if (newStart > this.lso) await this.moveLogStart(newStart);
    return this.deleteSegmentsBelow(newStart);
  }

  /** The log start offset moves up (DeleteRecords, retention): producers and epochs wholly below it go. */
  private async moveLogStart(offset: number): Promise<void> {
    this.lso = offset;
    this.psm.truncateHead(offset);
    this.checkStable();
    await this.epochs.truncateFromStart(offset);
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
      this.endSignals();
      for (const seg of this.segs) await seg.close();
      await this.deletes.runAll();
    });
  }

  /** Waiters on appends and on the high watermark stop waiting: the log closed. */
  private endSignals(): void {
    this.appends.end(this.leo);
    this.hw.signal.end(this.hw.value);
    this.stable.end(this.stableSeen);
  }

  /** Closes without flushing or snapshotting (for deletion). */
  async closeForDelete(): Promise<void> {
    await this.enqueue(async () => {
      if (this.closed) return;
      this.closed = true;
      this.endSignals();
      await Promise.all([...this.background]);
      for (const seg of this.segs) await seg.close();
      await this.deletes.runAll();
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

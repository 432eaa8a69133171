import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveLogConfig, type LogConfig } from './config.js';
import { LogClosedError, OffsetOutOfRangeError, ProducerStateError } from './errors.js';
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
  fsyncDir,
  parseOffsetFileName,
} from './files.js';
import {
  EARLIEST_LOCAL_TIMESTAMP,
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
  type AppendListener,
  type AppendOptions,
  type AppendResult,
  type PartitionLog,
  type ReadOptions,
  type TimestampAndOffset,
} from './partition-log.js';
import { ProducerStateManager, type ProducerStateEntry } from './producer-state.js';
import { recordTimestamps, type Decompress } from './record-scan.js';
import { analyzeAppend, assignOffset, writeAssignedHeaders } from './log-validator.js';
import { LogSegment, type AppendedBatch, type SegmentOptions } from './segment.js';

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

/** What open() found and did, for logs and tests. */
export interface LogRecoveryInfo {
  recoveredSegments: number;
  truncatedBytes: number;
  rebuiltIndexes: number;
  deletedSegments: number;
  producerStateFrom: number;
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

const EMPTY = Buffer.alloc(0);

/** At most this many bytes are coalesced into one write. */
const MAX_GROUP_BYTES = 8 * 1024 * 1024;

function segmentIndexOf(segs: readonly LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segs[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

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
  private inflightFlush: { upTo: number; done: Promise<void> } | undefined;
  private nextFlush: { done: Promise<void> } | undefined;
  private readonly pendingDeletes = new Set<{ timer: NodeJS.Timeout; run: () => Promise<void> }>();
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
    const names = await readdir(this.dir);
    const bases: number[] = [];
    for (const name of names) {
      if (name.endsWith(DELETED_SUFFIX) || name.endsWith(CLEANED_SUFFIX) || name.endsWith(SWAP_SUFFIX) || name.endsWith('.tmp')) {
        await rm(join(this.dir, name), { force: true });
        continue;
      }
      const b = parseOffsetFileName(name, LOG_SUFFIX);
      if (b !== undefined) bases.push(b);
    }
    const baseSet = new Set(bases);
    for (const name of names) {
      // An index without its .log is a leftover (Kafka deletes those too).
      const b = parseOffsetFileName(name, INDEX_SUFFIX) ?? parseOffsetFileName(name, TIME_INDEX_SUFFIX);
      if (b !== undefined && !baseSet.has(b)) await rm(join(this.dir, name), { force: true });
    }
    bases.sort((a, b) => a - b);

    const segs: LogSegment[] = [];
    const indexesOk: boolean[] = [];
    for (const b of bases) {
      const { segment, indexesOk: ok } = await LogSegment.open(this.dir, b, this.segOpts());
      segs.push(segment);
      indexesOk.push(ok);
    }
    if (segs.length === 0) {
      const start = opts.logStartOffset ?? 0;
      segs.push(await LogSegment.create(this.dir, start, this.segOpts()));
      indexesOk.push(true);
    }

    const clean = opts.hadCleanShutdown === true;
    const recoveryPoint = opts.recoveryPoint ?? 0;
    const firstToRecover = clean ? segs.length : segmentIndexOf(segs, recoveryPoint);
    const recovered: boolean[] = segs.map(() => false);
    let cut = -1;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      if (i >= firstToRecover || !indexesOk[i]) {
        const truncated = await seg.recover();
        recovered[i] = true;
        if (i >= firstToRecover) info.recoveredSegments++;
        if (!indexesOk[i]) info.rebuiltIndexes++;
        info.truncatedBytes += truncated;
        if (truncated > 0 && i >= firstToRecover) {
          cut = i;
          break;
        }
      }
    }
    if (cut >= 0) {
      // Everything after a corrupt batch is unreliable: drop the later segments (Kafka does so).
      for (const seg of segs.splice(cut + 1)) {
        const finish = await seg.markDeleted();
        await finish();
        info.deletedSegments++;
      }
    }
    const last = segs[segs.length - 1]!;
    if (!recovered[segs.length - 1]) await last.loadTail();
    for (let i = 0; i < segs.length - 1; i++) segs[i]!.nextOffset = segs[i + 1]!.baseOffset;
    this.segs = segs;
    this.leo = last.nextOffset;

    this.lso = Math.max(opts.logStartOffset ?? 0, segs[0]!.baseOffset);
    if (this.lso > this.leo) {
      // All data below the checkpointed log start offset is gone: start afresh there.
      await this.truncateFullyAndStartAt(this.lso);
    }
    this.rp = clean ? this.leo : Math.min(recoveryPoint, this.leo);

    // Producer state: the newest snapshot at or below the log end, then replay headers after it.
    const from = await this.psm.loadLatestSnapshot(this.leo, this.lso);
    info.producerStateFrom = from;
    if (from < this.leo) {
      for (let i = segmentIndexOf(this.segs, from); i < this.segs.length; i++) {
        await this.segs[i]!.scanHeaders(from, (h) => this.psm.replay(h));
      }
      this.psm.mapEndOffset = this.leo;
      await this.psm.takeSnapshot(false);
    }
    this.psm.mapEndOffset = this.leo;
    this.psm.truncateHead(this.lso);
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

  /**
   * Group commit: one fsync pass covers every append that finished before it started; callers
   * arriving during a pass share the next one.
   */
  private flushUpTo(offset: number): Promise<void> {
    if (offset <= this.rp) return Promise.resolve();
    if (this.inflightFlush && this.inflightFlush.upTo >= offset) return this.inflightFlush.done;
    if (this.inflightFlush) {
      if (!this.nextFlush) {
        const after = this.inflightFlush.done.catch(() => undefined);
        const done = after.then(() => {
          this.nextFlush = undefined;
          return this.flushUpTo(this.leo);
        });
        this.nextFlush = { done };
      }
      return this.nextFlush.done;
    }
    const upTo = this.leo;
    const segs = this.segs;
    const from = segmentIndexOf(segs, this.rp);
    const done = (async () => {
      for (let i = from; i < segs.length; i++) await segs[i]!.flush();
      await fsyncDir(this.dir);
      if (upTo > this.rp) this.rp = upTo;
      this.lastFlushTime = this.now();
    })().finally(() => {
      this.inflightFlush = undefined;
    });
    this.inflightFlush = { upTo, done };
    return done;
  }

  /** flush.ms: called by the log manager's scheduler. */
  async maybeFlushByTime(): Promise<void> {
    if (this.closed || this.leo <= this.rp) return;
    if (this.now() - this.lastFlushTime >= this.cfg.flushMs) await this.flush();
  }

  /** segment.ms for an idle active segment is checked on the next append, as in Kafka. */

  // ---------------------------------------------------------------------------------------------
  // Reads

  async read(fetchOffset: number, maxBytes: number, opts: ReadOptions = {}): Promise<Buffer> {
    const segs = this.segs;
    const leo = this.leo;
    if (fetchOffset < this.lso || fetchOffset > leo) throw new OffsetOutOfRangeError(fetchOffset, this.lso, leo);
    const maxOffset = Math.min(opts.maxOffset ?? leo, leo);
    const minOne = opts.minOneMessage ?? true;
    if (fetchOffset >= maxOffset) return EMPTY;
    for (let i = segmentIndexOf(segs, fetchOffset); i < segs.length; i++) {
      const seg = segs[i]!;
      const segEnd = i < segs.length - 1 ? segs[i + 1]!.baseOffset : seg.nextOffset;
      let maxPosition = seg.size;
      if (maxOffset < segEnd) maxPosition = await seg.positionOf(maxOffset, maxPosition);
      try {
        const r = await seg.read(fetchOffset, maxBytes, maxPosition, minOne);
        if (r !== null) return r;
      } catch (e) {
        if (fetchOffset < this.lso) throw new OffsetOutOfRangeError(fetchOffset, this.lso, this.leo);
        throw e;
      }
    }
    return EMPTY;
  }

  async offsetForTimestamp(ts: bigint): Promise<TimestampAndOffset | null> {
    if (ts === LATEST_TIMESTAMP) return { offset: this.leo, timestamp: -1n };
    if (ts === EARLIEST_TIMESTAMP || ts === EARLIEST_LOCAL_TIMESTAMP) return { offset: this.lso, timestamp: -1n };
    const segs = this.segs;
    const lso = this.lso;
    if (ts === MAX_TIMESTAMP) {
      let best: LogSegment | undefined;
      for (const s of segs) if (!best || s.maxTimestampSoFar > best.maxTimestampSoFar) best = s;
      if (!best || best.maxTimestampSoFar < 0n) return null;
      const maxTs = best.maxTimestampSoFar;
      const found = await best.readBatchAt(best.offsetOfMaxTimestampSoFar);
      if (!found) return null;
      const recs = await recordTimestamps(found.bytes, this.decompress);
      const hit = recs?.find((r) => r.timestamp === maxTs);
      return { offset: hit ? hit.offset : found.header.baseOffset + found.header.lastOffsetDelta, timestamp: maxTs };
    }
    if (ts < 0n) return null;
    for (const s of segs) {
      if (s.maxTimestampSoFar < ts) continue;
      const found = await s.findBatchByTimestamp(ts, lso);
      if (!found) continue;
      const recs = await recordTimestamps(found.bytes, this.decompress);
      if (!recs) return { offset: Math.max(found.header.baseOffset, lso), timestamp: found.header.maxTimestamp };
      const hit = recs.find((r) => r.timestamp >= ts && r.offset >= lso);
      if (hit) return { offset: hit.offset, timestamp: hit.timestamp };
    }
    return null;
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
      this.scheduleDelete(finish);
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
        deleted += await this.deleteLeading((_s, i) => now - times[i]! > this.cfg.retentionMs);
      }
      if (this.cfg.cleanupDelete && this.cfg.retentionBytes >= 0) {
        let excess = this.size - this.cfg.retentionBytes;
        deleted += await this.deleteLeading((s) => {
          if (excess - s.size < 0) return false;
          excess -= s.size;
          return true;
        });
      }
      deleted += await this.deleteSegmentsBelow(this.lso);
      return deleted;
    });
  }

  /** Deletes the longest run of oldest segments `doomed` accepts (inside the writer queue). */
  private async deleteLeading(doomed: (s: LogSegment, i: number) => boolean): Promise<number> {
    const segs = this.segs;
    const hw = this.highWatermark;
    let n = 0;
    while (n < segs.length) {
      const s = segs[n]!;
      const last = n === segs.length - 1;
      const upper = last ? this.leo : segs[n + 1]!.baseOffset;
      if ((last && s.size === 0) || upper > hw || !doomed(s, n)) break;
      n++;
    }
    if (n === 0) return 0;
    if (n === segs.length) await this.roll(this.leo); // the log keeps an (empty) active segment
    const newStart = this.segs[n]!.baseOffset;
    if (newStart > this.lso) {
      this.lso = newStart;
      this.psm.truncateHead(newStart);
    }
    return this.deleteSegmentsBelow(newStart);
  }

  private scheduleDelete(run: () => Promise<void>): void {
    const entry = {
      run,
      timer: setTimeout(() => {
        this.pendingDeletes.delete(entry);
        this.track(run());
      }, this.cfg.fileDeleteDelayMs),
    };
    entry.timer.unref();
    this.pendingDeletes.add(entry);
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
      for (const d of [...this.pendingDeletes]) {
        clearTimeout(d.timer);
        this.pendingDeletes.delete(d);
        await d.run();
      }
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
      for (const d of [...this.pendingDeletes]) {
        clearTimeout(d.timer);
        this.pendingDeletes.delete(d);
        await d.run();
      }
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

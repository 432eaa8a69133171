import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, OFF, readBatchHeader, type BatchHeader } from '../protocol/records/batch-header.js';
import {
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  TIME_INDEX_SUFFIX,
  TXN_INDEX_SUFFIX,
  offsetFileName,
  readAt,
  writevAt,
  writevAtSync,
} from './files.js';
import { OffsetIndex, TimeIndex, type TimestampOffset } from './indexes.js';
import { hookedSync } from './io-hooks.js';
import { readBuffer, releaseReadBuffer } from './read-buffers.js';
import { scanForRecovery } from './segment-recovery.js';
import {
  findBatch,
  findBatchByTimestamp,
  nextOffsetAfterWholeBatches,
  scanHeaders,
  wholeBatchesLength,
  type BatchLocation,
} from './segment-scan.js';
import { SegmentTail } from './segment-tail.js';
import { TxnIndex } from './txn-index.js';
import type { EndTxnMarker } from '../protocol/records/control.js';

export { wholeBatchesLength, type BatchLocation } from './segment-scan.js';

const INT32_MAX = 0x7fffffff;
/** Read ends remembered per segment (offset -> position of the batch holding it). */
const POSITION_CACHE = 16;
const EMPTY = Buffer.alloc(0);
/**
 * Appends up to this size are written with a synchronous pwrite (a page-cache copy of a few
 * microseconds on the main thread beats a round trip through libuv's pool: 16 KB produce requests
 * +35% records/s, e2e p99 -25%); larger ones still go to the pool, where the copy overlaps.
 */
const SYNC_WRITE_MAX = 64 * 1024;

/** What the segment needs to know about each batch of an append (from the header, offsets assigned). */
export interface AppendedBatch {
  lastOffset: number;
  maxTimestamp: bigint;
  size: number;
}

export interface SegmentOptions {
  indexIntervalBytes: number;
  segmentIndexBytes: number;
  now: () => number;
}

/**
 * One segment: `<base>.log`, `<base>.index`, `<base>.timeindex`, and `<base>.txnindex` once it
 * holds an aborted transaction's marker (Kafka's LogSegment). `size` is the committed size: bytes
 * past it are never read.
 */
export class LogSegment {
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  /** Aborted transactions whose marker is in this segment (txn-index.ts). */
  readonly txnIndex: TxnIndex;
  /** Committed bytes in the .log. */
  size = 0;
  /** Next offset after the last batch; only tracked exactly for the active segment. */
  nextOffset: number;
  /** Largest batch maxTimestamp so far and the last offset of the batch carrying it. */
  maxTimestampSoFar = -1n;
  offsetOfMaxTimestampSoFar: number;
  /** Kafka's rollingBasedTimestamp: the first batch's maxTimestamp (undefined until known). */
  firstBatchTimestamp: bigint | undefined;
  /** Creation time (ms, the injected clock) used for segment.ms when batches carry no timestamp; reset when truncated empty. */
  created: number;
  private bytesSinceLastIndexEntry = 0;
  private refs = 0;
  private closed = false;
  private onIdle: (() => void) | undefined;
  private indexPersistThreshold = 64;
  /** The newest appends, in memory (segment-tail.ts): reads inside it need no pread. */
  private readonly tail = new SegmentTail();
  /**
   * Where recent disk reads ended: readEndOffset[i] is the first offset of the batch at file
   * position readEndPosition[i]. A consumer's next fetch asks for exactly that offset.
   */
  private readonly readEndOffset = new Float64Array(POSITION_CACHE).fill(-1);
  private readonly readEndPosition = new Float64Array(POSITION_CACHE);
  private readEndNext = 0;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private fh: FileHandle,
    private readonly opts: SegmentOptions,
  ) {
    this.offsetIndex = new OffsetIndex(join(dir, offsetFileName(baseOffset, INDEX_SUFFIX)), baseOffset, opts.segmentIndexBytes);
    this.timeIndex = new TimeIndex(join(dir, offsetFileName(baseOffset, TIME_INDEX_SUFFIX)), baseOffset, opts.segmentIndexBytes);
    this.txnIndex = new TxnIndex(join(dir, offsetFileName(baseOffset, TXN_INDEX_SUFFIX)), baseOffset);
    this.nextOffset = baseOffset;
    this.offsetOfMaxTimestampSoFar = baseOffset;
    this.created = opts.now();
  }

  /**
   * Kafka's LogSegment.largestTimestamp, what retention.ms is measured against: the newest record
   * timestamp, or the .log file's modification time when the segment holds none.
   */
  async largestTimestamp(): Promise<number> {
    if (this.maxTimestampSoFar >= 0n) return Number(this.maxTimestampSoFar);
    try {
      return (await stat(this.logPath)).mtimeMs;
    } catch {
      return this.created;
    }
  }

  get logPath(): string {
    return join(this.dir, offsetFileName(this.baseOffset, LOG_SUFFIX));
  }

  /** Creates fresh, empty files. */
  static async create(dir: string, baseOffset: number, opts: SegmentOptions): Promise<LogSegment> {
    const fh = await open(join(dir, offsetFileName(baseOffset, LOG_SUFFIX)), 'w+');
    const seg = new LogSegment(dir, baseOffset, fh, opts);
    seg.offsetIndex.reset();
    seg.timeIndex.reset();
    await seg.txnIndex.reset(); // a stale file of an earlier segment at this offset
    await seg.offsetIndex.persist();
    await seg.timeIndex.persist();
    return seg;
  }

  /**
   * Opens existing files. Loads the indexes; `indexesOk` is false when one is missing or fails the
   * sanity check (a transaction index: torn or corrupt), in which case the caller must `recover()`
   * the segment and rebuild its transaction index from producer state.
   */
  static async open(
    dir: string,
    baseOffset: number,
    opts: SegmentOptions,
  ): Promise<{ segment: LogSegment; indexesOk: boolean; indexProblems: Array<{ file: string; reason: string }> }> {
    const fh = await open(join(dir, offsetFileName(baseOffset, LOG_SUFFIX)), 'r+');
    const seg = new LogSegment(dir, baseOffset, fh, opts);
    seg.size = (await fh.stat()).size;
    const indexProblems: Array<{ file: string; reason: string }> = [];
    let okOffset = await seg.offsetIndex.load();
    if (!okOffset) indexProblems.push({ file: seg.offsetIndex.path, reason: seg.offsetIndex.loadProblem ?? 'unreadable' });
    else if (!seg.offsetIndex.validFor(Math.max(seg.size, 1))) {
      okOffset = false;
      indexProblems.push({ file: seg.offsetIndex.path, reason: `an entry points past the end of the .log (${seg.size} bytes)` });
    }
    let okTime = await seg.timeIndex.load();
    if (!okTime) indexProblems.push({ file: seg.timeIndex.path, reason: seg.timeIndex.loadProblem ?? 'unreadable' });
    else if (seg.timeIndex.lastEntry.offset < baseOffset) {
      okTime = false;
      indexProblems.push({ file: seg.timeIndex.path, reason: `its last offset is below the base offset ${baseOffset}` });
    }
    const okTxn = await seg.txnIndex.load();
    if (!okTxn) indexProblems.push({ file: seg.txnIndex.path, reason: 'a torn or corrupt aborted-transaction index' });
    const indexesOk = okOffset && okTime && okTxn;
    if (indexesOk) {
      const last = seg.timeIndex.lastEntry;
      seg.maxTimestampSoFar = last.timestamp;
      seg.offsetOfMaxTimestampSoFar = last.offset;
    }
    return { segment: seg, indexesOk, indexProblems };
  }

  // ---------------------------------------------------------------------------------------------
  // Append

  /** Kafka's canConvertToRelativeOffset. */
  canHoldOffset(offset: number): boolean {
    const rel = offset - this.baseOffset;
    return rel >= 0 && rel <= INT32_MAX;
  }

  /**
   * Kafka's LogSegment.shouldRoll (segment.jitter.ms ignored). `pendingBytes` / `pendingFirstTs`
   * describe appends grouped into the same write but not yet written.
   */
  shouldRoll(p: {
    segmentBytes: number;
    segmentMs: number;
    appendBytes: number;
    maxTimestamp: bigint;
    lastOffset: number;
    now: number;
    pendingBytes?: number;
    pendingFirstTs?: bigint | undefined;
  }): boolean {
    const size = this.size + (p.pendingBytes ?? 0);
    if (size === 0) return false;
    if (size > p.segmentBytes - p.appendBytes || this.offsetIndex.isFull || this.timeIndex.isFull || !this.canHoldOffset(p.lastOffset)) return true;
    const ts = this.firstBatchTimestamp ?? p.pendingFirstTs;
    // Millisecond timestamps are exact as numbers: no BigInt arithmetic per append.
    const waited = ts !== undefined && ts >= 0n ? Number(p.maxTimestamp) - Number(ts) : p.now - this.created;
    return waited > p.segmentMs;
  }

  /**
   * Appends already-offset-assigned batches with one positional write, then updates the indexes
   * per batch as Kafka 3.8+ does: an index entry (batch last offset -> batch position) whenever
   * more than index.interval.bytes were appended since the previous entry.
   */
  async append(buf: Buffer | Buffer[], batches: readonly AppendedBatch[]): Promise<void> {
    const start = this.size;
    const bufs = Array.isArray(buf) ? buf : [buf];
    let len = 0;
    for (const b of bufs) len += b.length;
    try {
      if (len <= SYNC_WRITE_MAX) writevAtSync(this.fh.fd, bufs, start);
      else await writevAt(this.fh, bufs, start);
    } catch (e) {
      await this.fh.truncate(start).catch(() => undefined);
      throw e;
    }
    this.indexBatches(start, batches);
    this.size = start + len;
    if (!this.offsetIndex.keepOpen && !this.closed) {
      // Appended to: the active segment, whose indexes are persisted often.
      this.offsetIndex.keepOpen = true;
      this.timeIndex.keepOpen = true;
    }
    this.tail.add(bufs, len, batches, start);
    if (this.offsetIndex.entries % this.indexPersistThreshold === 0 && this.offsetIndex.hasUnpersisted) {
      // Keep the on-disk index roughly current without a write per entry.
      void this.persistIndexes(false).catch(() => undefined);
    }
  }

  /** Bytes of the file currently readable from memory (tests). */
  get tailBytes(): number {
    return this.tail.bytes;
  }

  private indexBatches(start: number, batches: readonly AppendedBatch[]): void {
    let pos = start;
    for (const b of batches) {
      if (this.firstBatchTimestamp === undefined) this.firstBatchTimestamp = b.maxTimestamp;
      if (b.maxTimestamp > this.maxTimestampSoFar) {
        this.maxTimestampSoFar = b.maxTimestamp;
        this.offsetOfMaxTimestampSoFar = b.lastOffset;
      }
      if (this.bytesSinceLastIndexEntry > this.opts.indexIntervalBytes) {
        this.offsetIndex.append(b.lastOffset, pos);
        this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
        this.bytesSinceLastIndexEntry = 0;
      }
      pos += b.size;
      this.bytesSinceLastIndexEntry += b.size;
      this.nextOffset = b.lastOffset + 1;
    }
  }

  async persistIndexes(sync: boolean): Promise<void> {
    await this.offsetIndex.persist(sync);
    await this.timeIndex.persist(sync);
  }

  /** fsyncs the .log and writes + fsyncs the indexes. */
  async flush(): Promise<void> {
    if (this.closed) return;
    await hookedSync('log', this.logPath, () => this.fh.datasync());
    await this.persistIndexes(true);
    this.txnIndex.flush();
  }

  /** Kafka's onBecomeInactiveSegment: final time index entry, indexes written at their used size. */
  async onBecomeInactive(): Promise<void> {
    this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, true);
    await this.persistIndexes(false);
    await this.closeIndexFiles();
  }

  private async closeIndexFiles(): Promise<void> {
    await this.offsetIndex.closeFile();
    await this.timeIndex.closeFile();
    this.txnIndex.flush();
    this.txnIndex.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Lookup and read

  /**
   * Finds the first batch whose last offset >= `offset`, starting from the offset index's entry
   * and scanning batch headers forward. Null when the offset is past the segment's last batch.
   */
  translateOffset(offset: number, limit = this.size): Promise<BatchLocation | null> {
    return findBatch(this.fh, this.offsetIndex.lookup(offset).position, limit, offset);
  }

  /**
   * The position of the first batch whose last offset >= `offset` if the in-memory tail or the
   * read-end cache knows it without I/O: a position, `limit` when the offset is past the data
   * below `limit`, or -1 when unknown. When the tail has it, `this.tail.found` is set.
   */
  private knownPosition(offset: number, limit: number): number {
    const inTail = this.tail.locate(offset, limit);
    if (inTail >= 0) return inTail;
    for (let k = 0; k < POSITION_CACHE; k++) {
      if (this.readEndOffset[k] === offset) return Math.min(this.readEndPosition[k]!, limit);
    }
    return -1;
  }

  /**
   * Position of the first batch whose last offset >= `offset`, below `limit`; `limit` when there
   * is none (the tail and the read-end cache first, then the index and a scan).
   */
  async positionOf(offset: number, limit = this.size): Promise<number> {
    const known = this.knownPosition(offset, limit);
    if (known >= 0) return known;
    this.refs++;
    try {
      const loc = await this.translateOffset(offset, limit);
      return loc ? loc.position : limit;
    } finally {
      this.release();
    }
  }

  private rememberReadEnd(offset: number, position: number): void {
    this.readEndOffset[this.readEndNext] = offset;
    this.readEndPosition[this.readEndNext] = position;
    this.readEndNext = (this.readEndNext + 1) % POSITION_CACHE;
  }

  /**
   * Kafka's LogSegment.read: bytes of whole batches from the batch containing `startOffset`, at
   * most `maxSize` bytes (the first batch whole when `minOneMessage`), never past `maxPosition`.
   * Null when `startOffset` is past this segment's data.
   */
  async read(startOffset: number, maxSize: number, maxPosition: number, minOneMessage: boolean): Promise<Buffer | null> {
    const limit = Math.min(maxPosition, this.size);
    let pos = this.knownPosition(startOffset, limit);
    if (pos >= limit) return null;
    if (this.tail.found) return this.tail.read(maxSize, limit, minOneMessage);
    this.refs++;
    try {
      let firstSize = -1;
      if (pos < 0) {
        const loc = await this.translateOffset(startOffset, limit);
        if (!loc) return null;
        pos = loc.position;
        firstSize = loc.size;
      }
      const available = limit - pos;
      let data: Buffer;
      if (firstSize >= 0) {
        const want = minOneMessage ? Math.max(maxSize, firstSize) : maxSize;
        const len = Math.min(available, want);
        if (len < firstSize) return EMPTY;
        data = await readAt(this.fh, pos, len, readBuffer(len));
      } else {
        // Position from the read-end cache: the first batch's size is learnt from what is read.
        const len = Math.min(available, minOneMessage ? Math.max(maxSize, BATCH_HEADER_SIZE) : maxSize);
        if (len < BATCH_HEADER_SIZE) return EMPTY;
        data = await readAt(this.fh, pos, len, readBuffer(len));
        if (data.length < LOG_OVERHEAD) {
          releaseReadBuffer(data);
          return EMPTY;
        }
        firstSize = data.readInt32BE(OFF.batchLength) + LOG_OVERHEAD;
        if (firstSize > data.length) {
          releaseReadBuffer(data);
          if (!minOneMessage || firstSize > available || firstSize < BATCH_HEADER_SIZE) return EMPTY;
          data = await readAt(this.fh, pos, firstSize, readBuffer(firstSize));
        }
      }
      const n = wholeBatchesLength(data);
      if (n > 0) this.rememberReadEnd(nextOffsetAfterWholeBatches(), pos + n);
      if (n === 0) releaseReadBuffer(data);
      return n === data.length ? data : n === 0 ? EMPTY : data.subarray(0, n);
    } finally {
      this.release();
    }
  }

  /** Kafka's findOffsetByTimestamp, at batch level: the first batch (from startingOffset) with maxTimestamp >= ts. */
  async findBatchByTimestamp(ts: bigint, startingOffset: number): Promise<{ header: BatchHeader; bytes: Buffer } | null> {
    this.refs++;
    try {
      const entry: TimestampOffset = this.timeIndex.lookup(ts);
      const pos = this.offsetIndex.lookup(Math.max(entry.offset, startingOffset)).position;
      return await findBatchByTimestamp(this.fh, pos, this.size, ts, startingOffset);
    } finally {
      this.release();
    }
  }

  /** Reads the whole batch whose last offset >= offset (used for max-timestamp lookups). */
  async readBatchAt(offset: number): Promise<{ header: BatchHeader; bytes: Buffer } | null> {
    this.refs++;
    try {
      const loc = await this.translateOffset(offset);
      if (!loc) return null;
      const bytes = await readAt(this.fh, loc.position, loc.size);
      return { header: readBatchHeader(bytes, 0), bytes };
    } finally {
      this.release();
    }
  }

  /** Reads the first batch's maxTimestamp (Kafka's loadFirstBatchTimestamp). */
  async loadFirstBatchTimestamp(): Promise<void> {
    if (this.firstBatchTimestamp !== undefined || this.size < BATCH_HEADER_SIZE) return;
    const hb = await readAt(this.fh, 0, BATCH_HEADER_SIZE);
    if (hb.length === BATCH_HEADER_SIZE) this.firstBatchTimestamp = hb.readBigInt64BE(OFF.maxTimestamp);
  }

  /**
   * Walks batch headers from `fromOffset` to the end (no CRC check), calling `onBatch` for each.
   * Used after a clean load to find the active segment's next offset, and to rebuild producer state.
   */
  scanHeaders(fromOffset: number, onBatch: (h: BatchHeader, position: number, marker?: EndTxnMarker) => void): Promise<void> {
    return scanHeaders(this.fh, this.offsetIndex.lookup(fromOffset).position, this.size, fromOffset, onBatch);
  }

  /**
   * After a clean load: sets nextOffset and the segment.ms base from the tail of the .log (the
   * batch headers after the last offset index entry). Returns why the tail cannot be trusted (the
   * caller then recovers the segment), or undefined: the last index entry must name the batch at
   * its position, the headers must end exactly at the end of the file (a torn or garbled tail does
   * not), and no time index entry may lie past the last batch.
   */
  async loadTail(): Promise<string | undefined> {
    await this.loadFirstBatchTimestamp();
    let next = this.baseOffset;
    let maxTs = this.maxTimestampSoFar;
    let maxTsOff = this.offsetOfMaxTimestampSoFar;
    const entry = this.offsetIndex.lastEntry;
    let end = entry.position;
    let first = true;
    let problem: string | undefined;
    await scanHeaders(this.fh, entry.position, this.size, -1, (h, position) => {
      const last = h.baseOffset + h.lastOffsetDelta;
      if (first && this.offsetIndex.entries > 0 && last !== entry.offset) {
        problem ??= `the last .index entry (offset ${entry.offset}) points at a batch ending at ${last}`;
      }
      first = false;
      if (h.magic !== 2 || h.lastOffsetDelta < 0 || h.baseOffset < next || position + h.size > this.size) {
        problem ??= `an incomplete or invalid batch at position ${position}`;
        return;
      }
      if (problem !== undefined) return;
      end = position + h.size;
      next = last + 1;
      if (h.maxTimestamp > maxTs) {
        maxTs = h.maxTimestamp;
        maxTsOff = last;
      }
    });
    if (problem === undefined && end !== this.size) problem = `${this.size - end} bytes after the last whole batch`;
    if (problem === undefined && this.timeIndex.entries > 0 && this.timeIndex.lastEntry.offset >= Math.max(next, this.nextOffset) && this.size > 0) {
      problem = `the .timeindex names offset ${this.timeIndex.lastEntry.offset}, past the last batch`;
    }
    this.nextOffset = Math.max(next, this.nextOffset);
    this.maxTimestampSoFar = maxTs;
    this.offsetOfMaxTimestampSoFar = maxTsOff;
    // As Kafka: a reloaded segment counts bytes for the next index entry from zero.
    this.bytesSinceLastIndexEntry = 0;
    return problem;
  }

  // ---------------------------------------------------------------------------------------------
  // Recovery

  /**
   * Kafka's LogSegment.recover: validates every batch (header sanity, CRC, monotonic offsets that
   * fit the segment), rebuilds the offset and time indexes, and truncates the .log at the first
   * invalid batch. Returns the number of bytes truncated. `onBatch` sees each valid batch. The
   * transaction index is emptied: the log's recovery rebuilds it from producer state.
   */
  async recover(onBatch?: (h: BatchHeader) => void): Promise<number> {
    this.tail.drop();
    this.readEndOffset.fill(-1);
    this.offsetIndex.reset();
    this.timeIndex.reset();
    await this.txnIndex.reset();
    this.maxTimestampSoFar = -1n;
    this.offsetOfMaxTimestampSoFar = this.baseOffset;
    this.firstBatchTimestamp = undefined;
    const fileSize = (await this.fh.stat()).size;
    const r = await scanForRecovery(this.fh, {
      baseOffset: this.baseOffset,
      fileSize,
      indexIntervalBytes: this.opts.indexIntervalBytes,
      canHoldOffset: (offset) => this.canHoldOffset(offset),
      offsetIndex: this.offsetIndex,
      timeIndex: this.timeIndex,
      onBatch,
    });
    this.maxTimestampSoFar = r.maxTimestamp;
    this.offsetOfMaxTimestampSoFar = r.offsetOfMaxTimestamp;
    this.firstBatchTimestamp = r.firstBatchTimestamp;
    const truncated = fileSize - r.valid;
    if (truncated > 0) await this.fh.truncate(r.valid);
    this.size = r.valid;
    this.nextOffset = r.nextOffset;
    this.bytesSinceLastIndexEntry = r.valid - r.lastIndexEntry;
    await this.persistIndexes(false);
    return truncated;
  }

  /**
   * Kafka's LogSegment.truncateTo: removes the batch reaching `offset` (the one holding it, or
   * the first after it) and every later one, with their index entries, and returns the offset the
   * segment now ends at (that batch's base offset; `offset` itself when no batch reaches it).
   * The newest timestamp is recomputed from what is left: the time index's last entry, then the
   * batches after the last offset index entry. Inside the log's writer queue.
   */
  async truncateTo(offset: number): Promise<number> {
    const loc = await this.translateOffset(offset);
    if (!loc) {
      this.nextOffset = offset;
      return offset;
    }
    const end = loc.baseOffset;
    this.tail.drop();
    this.readEndOffset.fill(-1);
    // Index entries point at batch last offsets: those of the kept batches are all below `end`.
    this.offsetIndex.truncateToOffset(end);
    this.timeIndex.truncateToOffset(end);
    this.txnIndex.truncateTo(end);
    await this.fh.truncate(loc.position);
    this.size = loc.position;
    this.nextOffset = end;
    const lastTime = this.timeIndex.lastEntry;
    this.maxTimestampSoFar = lastTime.timestamp;
    this.offsetOfMaxTimestampSoFar = lastTime.offset;
    this.firstBatchTimestamp = undefined;
    if (this.size === 0) this.created = this.opts.now();
    await this.loadTail();
    await this.persistIndexes(false);
    return end;
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  release(): void {
    this.refs--;
    if (this.refs === 0 && this.onIdle) this.onIdle();
  }

  /** Waits until no read holds the file. */
  private idle(): Promise<void> {
    if (this.refs === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.onIdle = () => {
        this.onIdle = undefined;
        resolve();
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.onBecomeInactive();
    await this.idle();
    this.closed = true;
    this.tail.drop();
    this.txnIndex.close();
    await this.fh.close();
  }

  /**
   * Kafka's asynchronous delete: rename the files to `*.deleted` now, then close and remove them
   * after `delayMs` (reads in flight keep working on the open descriptor meanwhile).
   */
  async markDeleted(): Promise<() => Promise<void>> {
    const files = [this.logPath, this.offsetIndex.path, this.timeIndex.path];
    const renamed: string[] = [];
    for (const f of files) {
      try {
        await rename(f, f + DELETED_SUFFIX);
        renamed.push(f + DELETED_SUFFIX);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    const txnPath = this.txnIndex.path + DELETED_SUFFIX;
    if (await this.txnIndex.renameTo(txnPath)) renamed.push(txnPath);
    this.closed = true;
    this.tail.drop();
    return async () => {
      await this.idle();
      await this.closeIndexFiles().catch(() => undefined);
      await this.fh.close().catch(() => undefined);
      for (const f of renamed) await rm(f, { force: true });
    };
  }

  /** Exists for tests and tools: the .log file's size on disk. */
  async fileSize(): Promise<number> {
    return (await stat(this.logPath)).size;
  }
}

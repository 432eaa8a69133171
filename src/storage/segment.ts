import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  OFF,
  batchCrcValid,
  readBatchHeader,
  type BatchHeader,
} from '../protocol/records/batch-header.js';
import {
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  TIME_INDEX_SUFFIX,
  offsetFileName,
  readAt,
  writevAt,
} from './files.js';
import { OffsetIndex, TimeIndex, type TimestampOffset } from './indexes.js';

const INT32_MAX = 0x7fffffff;
const SCAN_CHUNK = 64 * 1024;
const RECOVER_CHUNK = 1024 * 1024;

/** What the segment needs to know about each batch of an append (from the header, offsets assigned). */
export interface AppendedBatch {
  lastOffset: number;
  maxTimestamp: bigint;
  size: number;
}

/** A batch located in the segment file. */
export interface BatchLocation {
  position: number;
  baseOffset: number;
  lastOffset: number;
  size: number;
}

export interface SegmentOptions {
  indexIntervalBytes: number;
  segmentIndexBytes: number;
  now: () => number;
}

/**
 * One segment: `<base>.log`, `<base>.index`, `<base>.timeindex` (Kafka's LogSegment).
 * `size` is the committed size: bytes past it are never read.
 */
export class LogSegment {
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  /** Committed bytes in the .log. */
  size = 0;
  /** Next offset after the last batch; only tracked exactly for the active segment. */
  nextOffset: number;
  /** Largest batch maxTimestamp so far and the last offset of the batch carrying it. */
  maxTimestampSoFar = -1n;
  offsetOfMaxTimestampSoFar: number;
  /** Kafka's rollingBasedTimestamp: the first batch's maxTimestamp (undefined until known). */
  firstBatchTimestamp: bigint | undefined;
  /** Creation time (ms, the injected clock) used for segment.ms when batches carry no timestamp. */
  readonly created: number;
  private bytesSinceLastIndexEntry = 0;
  private refs = 0;
  private closed = false;
  private onIdle: (() => void) | undefined;
  private indexPersistThreshold = 64;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private fh: FileHandle,
    private readonly opts: SegmentOptions,
  ) {
    this.offsetIndex = new OffsetIndex(join(dir, offsetFileName(baseOffset, INDEX_SUFFIX)), baseOffset, opts.segmentIndexBytes);
    this.timeIndex = new TimeIndex(join(dir, offsetFileName(baseOffset, TIME_INDEX_SUFFIX)), baseOffset, opts.segmentIndexBytes);
    this.nextOffset = baseOffset;
    this.offsetOfMaxTimestampSoFar = baseOffset;
    this.created = opts.now();
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
    await seg.offsetIndex.persist();
    await seg.timeIndex.persist();
    return seg;
  }

  /**
   * Opens existing files. Loads the indexes; `indexesOk` is false when one is missing or fails the
   * sanity check, in which case the caller must `recover()` (rebuild) the segment.
   */
  static async open(dir: string, baseOffset: number, opts: SegmentOptions): Promise<{ segment: LogSegment; indexesOk: boolean }> {
    const fh = await open(join(dir, offsetFileName(baseOffset, LOG_SUFFIX)), 'r+');
    const seg = new LogSegment(dir, baseOffset, fh, opts);
    seg.size = (await fh.stat()).size;
    const okOffset = (await seg.offsetIndex.load()) && seg.offsetIndex.validFor(Math.max(seg.size, 1));
    const okTime = await seg.timeIndex.load();
    const indexesOk = okOffset && okTime && seg.timeIndex.lastEntry.offset >= baseOffset;
    if (indexesOk) {
      const last = seg.timeIndex.lastEntry;
      seg.maxTimestampSoFar = last.timestamp;
      seg.offsetOfMaxTimestampSoFar = last.offset;
    }
    return { segment: seg, indexesOk };
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
    const ts = this.firstBatchTimestamp ?? p.pendingFirstTs;
    const waited = ts !== undefined && ts >= 0n ? Number(p.maxTimestamp - ts) : p.now - this.created;
    return (
      size > p.segmentBytes - p.appendBytes ||
      waited > p.segmentMs ||
      this.offsetIndex.isFull ||
      this.timeIndex.isFull ||
      !this.canHoldOffset(p.lastOffset)
    );
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
      await writevAt(this.fh, bufs, start);
    } catch (e) {
      await this.fh.truncate(start).catch(() => undefined);
      throw e;
    }
    this.indexBatches(start, batches);
    this.size = start + len;
    if (this.offsetIndex.entries % this.indexPersistThreshold === 0 && this.offsetIndex.hasUnpersisted) {
      // Keep the on-disk index roughly current without a write per entry.
      void this.persistIndexes(false).catch(() => undefined);
    }
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
    await this.fh.datasync();
    await this.persistIndexes(true);
  }

  /** Kafka's onBecomeInactiveSegment: final time index entry, indexes written at their used size. */
  async onBecomeInactive(): Promise<void> {
    this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, true);
    await this.persistIndexes(false);
  }

  // ---------------------------------------------------------------------------------------------
  // Lookup and read

  /**
   * Finds the first batch whose last offset >= `offset`, starting from the offset index's entry
   * and scanning batch headers forward. Null when the offset is past the segment's last batch.
   */
  async translateOffset(offset: number, limit = this.size): Promise<BatchLocation | null> {
    let pos = this.offsetIndex.lookup(offset).position;
    const head = Buffer.allocUnsafe(SCAN_CHUNK);
    while (pos + LOG_OVERHEAD <= limit) {
      const len = Math.min(SCAN_CHUNK, limit - pos);
      const chunk = await readAt(this.fh, pos, len, head.subarray(0, len));
      let at = 0;
      while (at + OFF.lastOffsetDelta + 4 <= chunk.length) {
        const baseOffset = Number(chunk.readBigInt64BE(at));
        const size = chunk.readInt32BE(at + OFF.batchLength) + LOG_OVERHEAD;
        const lastOffset = baseOffset + chunk.readInt32BE(at + OFF.lastOffsetDelta);
        if (size < BATCH_HEADER_SIZE) return null; // corrupt; recovery would have cut it
        if (lastOffset >= offset) return { position: pos + at, baseOffset, lastOffset, size };
        at += size;
      }
      if (at === 0) return null;
      pos += at;
    }
    return null;
  }

  /**
   * Kafka's LogSegment.read: bytes of whole batches from the batch containing `startOffset`, at
   * most `maxSize` bytes (the first batch whole when `minOneMessage`), never past `maxPosition`.
   * Null when `startOffset` is past this segment's data.
   */
  async read(startOffset: number, maxSize: number, maxPosition: number, minOneMessage: boolean): Promise<Buffer | null> {
    this.refs++;
    try {
      const limit = Math.min(maxPosition, this.size);
      const loc = await this.translateOffset(startOffset, limit);
      if (!loc) return null;
      const available = limit - loc.position;
      const want = minOneMessage ? Math.max(maxSize, loc.size) : maxSize;
      const len = Math.min(available, want);
      if (len < loc.size) return Buffer.alloc(0);
      const data = await readAt(this.fh, loc.position, len);
      return data.subarray(0, wholeBatchesLength(data));
    } finally {
      this.release();
    }
  }

  /** Kafka's findOffsetByTimestamp, at batch level: the first batch (from startingOffset) with maxTimestamp >= ts. */
  async findBatchByTimestamp(ts: bigint, startingOffset: number): Promise<{ header: BatchHeader; bytes: Buffer } | null> {
    this.refs++;
    try {
      const entry: TimestampOffset = this.timeIndex.lookup(ts);
      let pos = this.offsetIndex.lookup(Math.max(entry.offset, startingOffset)).position;
      const limit = this.size;
      while (pos + BATCH_HEADER_SIZE <= limit) {
        const hb = await readAt(this.fh, pos, BATCH_HEADER_SIZE);
        if (hb.length < BATCH_HEADER_SIZE) return null;
        const h = readBatchHeader(hb, 0);
        if (h.size < BATCH_HEADER_SIZE || pos + h.size > limit) return null;
        if (h.maxTimestamp >= ts && h.baseOffset + h.lastOffsetDelta >= startingOffset) {
          return { header: h, bytes: await readAt(this.fh, pos, h.size) };
        }
        pos += h.size;
      }
      return null;
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
  async scanHeaders(fromOffset: number, onBatch: (h: BatchHeader, position: number) => void): Promise<void> {
    let pos = this.offsetIndex.lookup(fromOffset).position;
    const limit = this.size;
    while (pos + BATCH_HEADER_SIZE <= limit) {
      const len = Math.min(RECOVER_CHUNK, limit - pos);
      const chunk = await readAt(this.fh, pos, len);
      let at = 0;
      while (at + BATCH_HEADER_SIZE <= chunk.length) {
        const h = readBatchHeader(chunk, at);
        if (h.size < BATCH_HEADER_SIZE) return;
        if (h.baseOffset + h.lastOffsetDelta >= fromOffset) onBatch(h, pos + at);
        at += h.size;
      }
      if (at === 0) return;
      pos += at;
    }
  }

  /** After a clean load: sets nextOffset and the segment.ms base from the tail of the .log. */
  async loadTail(): Promise<void> {
    await this.loadFirstBatchTimestamp();
    let next = this.baseOffset;
    let maxTs = this.maxTimestampSoFar;
    let maxTsOff = this.offsetOfMaxTimestampSoFar;
    await this.scanHeaders(this.offsetIndex.lastEntry.offset, (h) => {
      const last = h.baseOffset + h.lastOffsetDelta;
      next = last + 1;
      if (h.maxTimestamp > maxTs) {
        maxTs = h.maxTimestamp;
        maxTsOff = last;
      }
    });
    this.nextOffset = Math.max(next, this.nextOffset);
    this.maxTimestampSoFar = maxTs;
    this.offsetOfMaxTimestampSoFar = maxTsOff;
    // As Kafka: a reloaded segment counts bytes for the next index entry from zero.
    this.bytesSinceLastIndexEntry = 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Recovery

  /**
   * Kafka's LogSegment.recover: validates every batch (header sanity, CRC, monotonic offsets that
   * fit the segment), rebuilds both indexes, and truncates the .log at the first invalid batch.
   * Returns the number of bytes truncated. `onBatch` sees each valid batch (producer state).
   */
  async recover(onBatch?: (h: BatchHeader) => void): Promise<number> {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.maxTimestampSoFar = -1n;
    this.offsetOfMaxTimestampSoFar = this.baseOffset;
    this.firstBatchTimestamp = undefined;
    const fileSize = (await this.fh.stat()).size;
    let valid = 0;
    let lastIndexEntry = 0;
    let expectNext = this.baseOffset;
    let chunkStart = 0;
    let chunk: Buffer = Buffer.alloc(0);
    scan: while (valid + BATCH_HEADER_SIZE <= fileSize) {
      if (valid + BATCH_HEADER_SIZE > chunkStart + chunk.length) {
        chunkStart = valid;
        chunk = await readAt(this.fh, valid, Math.min(RECOVER_CHUNK, fileSize - valid));
      }
      let at = valid - chunkStart;
      const h = readBatchHeader(chunk, at);
      if (h.size < BATCH_HEADER_SIZE || valid + h.size > fileSize) break;
      let batchBuf: Buffer = chunk;
      if (at + h.size > chunk.length) {
        if (h.size > RECOVER_CHUNK) {
          batchBuf = await readAt(this.fh, valid, h.size);
          at = 0;
        } else {
          chunkStart = valid;
          chunk = await readAt(this.fh, valid, Math.min(RECOVER_CHUNK, fileSize - valid));
          batchBuf = chunk;
          at = 0;
        }
        if (batchBuf.length - at < h.size) break;
      }
      const last = h.baseOffset + h.lastOffsetDelta;
      if (
        h.magic !== 2 ||
        h.lastOffsetDelta < 0 ||
        h.baseOffset < expectNext ||
        !this.canHoldOffset(last) ||
        !batchCrcValid(batchBuf, at, h.size)
      ) {
        break scan;
      }
      if (this.firstBatchTimestamp === undefined) this.firstBatchTimestamp = h.maxTimestamp;
      if (h.maxTimestamp > this.maxTimestampSoFar) {
        this.maxTimestampSoFar = h.maxTimestamp;
        this.offsetOfMaxTimestampSoFar = last;
      }
      if (valid - lastIndexEntry > this.opts.indexIntervalBytes) {
        this.offsetIndex.append(last, valid);
        this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
        lastIndexEntry = valid;
      }
      valid += h.size;
      expectNext = last + 1;
      onBatch?.(h);
    }
    const truncated = fileSize - valid;
    if (truncated > 0) await this.fh.truncate(valid);
    this.size = valid;
    this.nextOffset = expectNext;
    this.bytesSinceLastIndexEntry = valid - lastIndexEntry;
    await this.persistIndexes(false);
    return truncated;
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
    this.closed = true;
    return async () => {
      await this.idle();
      await this.fh.close().catch(() => undefined);
      for (const f of renamed) await rm(f, { force: true });
    };
  }

  /** Exists for tests and tools: the .log file's size on disk. */
  async fileSize(): Promise<number> {
    return (await stat(this.logPath)).size;
  }
}

/** Length of the prefix of `data` made of whole batches (headers only, no decoding). */
export function wholeBatchesLength(data: Buffer): number {
  let at = 0;
  while (at + LOG_OVERHEAD <= data.length) {
    const size = data.readInt32BE(at + OFF.batchLength) + LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE || at + size > data.length) break;
    at += size;
  }
  return at;
}

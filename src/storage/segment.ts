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
  writevAtSync,
} from './files.js';
import { OffsetIndex, TimeIndex, type TimestampOffset } from './indexes.js';
import { tailRing, type TailRef } from './tail-cache.js';
import { readBuffer, releaseReadBuffer } from './read-buffers.js';

const INT32_MAX = 0x7fffffff;
const SCAN_CHUNK = 64 * 1024;
const RECOVER_CHUNK = 1024 * 1024;
/** Read ends remembered per segment (offset -> position of the batch holding it). */
const POSITION_CACHE = 16;
const EMPTY = Buffer.alloc(0);
/**
 * Appends up to this size are written with a synchronous pwrite (a page-cache copy of a few
 * microseconds on the main thread beats a round trip through libuv's pool: 16 KB produce requests
 * +35% records/s, e2e p99 -25%); larger ones still go to the pool, where the copy overlaps.
 */
const SYNC_WRITE_MAX = 64 * 1024;

/** Scratch buffers for translateOffset's header scan (reused, so a lookup allocates nothing). */
const scanBuffers: Buffer[] = [];
function takeScanBuffer(): Buffer {
  return scanBuffers.pop() ?? Buffer.allocUnsafeSlow(SCAN_CHUNK);
}
function giveScanBuffer(b: Buffer): void {
  if (scanBuffers.length < 8) scanBuffers.push(b);
}

/** A batch's base offset as a number (offsets stay below 2^53). */
function baseOffsetAt(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4);
}

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
  /**
   * The newest appends, in the process-wide ring (see tail-cache.ts): contiguous in the file and
   * ending at `size`, from `tail[tailHead]` on (older refs may have been overwritten: pruned from
   * the head). Reads inside it need no pread.
   */
  private tail: TailRef[] = [];
  private tailHead = 0;
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
    this.addToTail(bufs, len, batches, start);
    if (this.offsetIndex.entries % this.indexPersistThreshold === 0 && this.offsetIndex.hasUnpersisted) {
      // Keep the on-disk index roughly current without a write per entry.
      void this.persistIndexes(false).catch(() => undefined);
    }
  }

  /** Copies the append into the tail ring (or forgets the tail when it is too large to keep). */
  private addToTail(bufs: Buffer[], len: number, batches: readonly AppendedBatch[], start: number): void {
    const ringStart = batches.length > 0 && bufs[0]!.length >= BATCH_HEADER_SIZE ? tailRing.put(bufs, len) : -1;
    if (ringStart < 0) {
      // The tail must stay contiguous up to `size`.
      this.dropTail();
      return;
    }
    this.pruneTail();
    this.tail.push({ position: start, baseOffset: baseOffsetAt(bufs[0]!, 0), endOffset: batches[batches.length - 1]!.lastOffset + 1, ringStart, length: len });
  }

  /** Forgets the refs the ring has overwritten since (always the oldest ones). */
  private pruneTail(): void {
    const t = this.tail;
    let h = this.tailHead;
    while (h < t.length && !tailRing.valid(t[h]!.ringStart)) h++;
    if (h === t.length) {
      if (t.length > 0) this.tail = [];
      this.tailHead = 0;
    } else if (h > 64 && h * 2 > t.length) {
      this.tail = t.slice(h);
      this.tailHead = 0;
    } else {
      this.tailHead = h;
    }
  }

  private dropTail(): void {
    this.tail = [];
    this.tailHead = 0;
  }

  /** Bytes of the file currently readable from memory (tests). */
  get tailBytes(): number {
    this.pruneTail();
    let n = 0;
    for (let i = this.tailHead; i < this.tail.length; i++) n += this.tail[i]!.length;
    return n;
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
    await this.closeIndexFiles();
  }

  private async closeIndexFiles(): Promise<void> {
    await this.offsetIndex.closeFile();
    await this.timeIndex.closeFile();
  }

  // ---------------------------------------------------------------------------------------------
  // Lookup and read

  /**
   * Finds the first batch whose last offset >= `offset`, starting from the offset index's entry
   * and scanning batch headers forward. Null when the offset is past the segment's last batch.
   */
  async translateOffset(offset: number, limit = this.size): Promise<BatchLocation | null> {
    let pos = this.offsetIndex.lookup(offset).position;
    const head = takeScanBuffer();
    try {
      while (pos + LOG_OVERHEAD <= limit) {
        const len = Math.min(SCAN_CHUNK, limit - pos);
        const chunk = await readAt(this.fh, pos, len, head.subarray(0, len));
        let at = 0;
        while (at + OFF.lastOffsetDelta + 4 <= chunk.length) {
          const baseOffset = baseOffsetAt(chunk, at);
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
    } finally {
      giveScanBuffer(head);
    }
  }

  /**
   * The position of the first batch whose last offset >= `offset` if the in-memory tail or the
   * read-end cache knows it without I/O: a position, `limit` when the offset is past the data
   * below `limit`, or -1 when unknown. Sets `tailChunk`/`tailAt` when found in the tail.
   */
  private knownPosition(offset: number, limit: number): number {
    this.tailChunk = -1;
    this.pruneTail();
    const t = this.tail;
    const h = this.tailHead;
    if (h < t.length && offset >= t[h]!.baseOffset) {
      let lo = h;
      let hi = t.length - 1;
      let i = h;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if (t[mid]!.baseOffset <= offset) {
          i = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      const c = t[i]!;
      if (offset < c.endOffset) {
        const ring = tailRing.bytes;
        const phys = tailRing.at(c.ringStart);
        let at = 0;
        while (at + BATCH_HEADER_SIZE <= c.length) {
          if (baseOffsetAt(ring, phys + at) + ring.readInt32BE(phys + at + OFF.lastOffsetDelta) >= offset) {
            const pos = c.position + at;
            if (pos >= limit) return limit;
            this.tailChunk = i;
            this.tailAt = at;
            return pos;
          }
          at += ring.readInt32BE(phys + at + OFF.batchLength) + LOG_OVERHEAD;
        }
      } else if (i === t.length - 1) {
        // Past the last batch appended (the tail ends at `size`).
        return limit;
      }
    }
    for (let k = 0; k < POSITION_CACHE; k++) {
      if (this.readEndOffset[k] === offset) return Math.min(this.readEndPosition[k]!, limit);
    }
    return -1;
  }
  private tailChunk = -1;
  private tailAt = 0;

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

  /** Serves a read from the tail refs, starting at ref `ci`, byte `at` (copied out of the ring). */
  private readTail(ci: number, at: number, maxSize: number, limit: number, minOne: boolean): Buffer {
    const t = this.tail;
    const ring = tailRing.bytes;
    const first = t[ci]!;
    const firstPhys = tailRing.at(first.ringStart);
    const firstSize = ring.readInt32BE(firstPhys + at + OFF.batchLength) + LOG_OVERHEAD;
    const pos = first.position + at;
    const want = minOne ? Math.max(maxSize, firstSize) : maxSize;
    const len = Math.min(limit - pos, want);
    if (len < firstSize) return EMPTY;
    // Whole batches up to `len` (ref ends are batch ends): count, then copy.
    let total = 0;
    let i = ci;
    let from = at;
    let lastRef = ci;
    let lastEnd = at;
    while (i < t.length && total < len) {
      const c = t[i]!;
      const phys = tailRing.at(c.ringStart);
      let n = 0;
      if (c.length - from <= len - total) n = c.length - from;
      else {
        while (from + n + LOG_OVERHEAD <= c.length) {
          const size = ring.readInt32BE(phys + from + n + OFF.batchLength) + LOG_OVERHEAD;
          if (total + n + size > len) break;
          n += size;
        }
      }
      if (n === 0) break;
      total += n;
      lastRef = i;
      lastEnd = from + n;
      if (from + n < c.length) break;
      i++;
      from = 0;
    }
    const out = readBuffer(total);
    let o = 0;
    for (let k = ci; k <= lastRef; k++) {
      const c = t[k]!;
      const phys = tailRing.at(c.ringStart);
      const s0 = k === ci ? at : 0;
      const e0 = k === lastRef ? lastEnd : c.length;
      o += ring.copy(out, o, phys + s0, phys + e0);
    }
    return out;
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
    if (this.tailChunk >= 0) return this.readTail(this.tailChunk, this.tailAt, maxSize, limit, minOneMessage);
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
      if (n > 0) this.rememberReadEnd(lastNextOffset, pos + n);
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
    this.dropTail();
    this.readEndOffset.fill(-1);
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
    this.dropTail();
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
    this.dropTail();
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

/** The offset after the last whole batch seen by the latest wholeBatchesLength call. */
let lastNextOffset = -1;

/** Length of the prefix of `data` made of whole batches (headers only, no decoding). */
export function wholeBatchesLength(data: Buffer): number {
  let at = 0;
  let next = -1;
  while (at + LOG_OVERHEAD <= data.length) {
    const size = data.readInt32BE(at + OFF.batchLength) + LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE || at + size > data.length) break;
    next = baseOffsetAt(data, at) + data.readInt32BE(at + OFF.lastOffsetDelta) + 1;
    at += size;
  }
  lastNextOffset = next;
  return at;
}

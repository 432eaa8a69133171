import { writeSync } from 'node:fs';
import { open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { hookedSync, writeFault } from './io-hooks.js';

/**
 * Kafka's sparse segment indexes, kept in memory as the exact bytes of the file and written to disk
 * append-only (pending entries go out on flush, roll, close, or when enough accumulate). The file on
 * disk therefore always has exactly the used size, as Kafka's index has after it is trimmed.
 *
 *   .index      8-byte entries: relativeOffset int32 | position int32
 *   .timeindex 12-byte entries: timestamp int64 | relativeOffset int32
 */
abstract class SparseIndex {
  protected buf: Buffer;
  protected count = 0;
  /** Entries already written to the file. */
  private persisted = 0;
  readonly maxEntries: number;

  constructor(
    readonly path: string,
    readonly baseOffset: number,
    maxIndexBytes: number,
    protected readonly entrySize: number,
  ) {
    this.maxEntries = Math.max(1, Math.floor(maxIndexBytes / entrySize));
    this.buf = Buffer.allocUnsafe(entrySize * 64);
  }

  get entries(): number {
    return this.count;
  }
  get sizeInBytes(): number {
    return this.count * this.entrySize;
  }
  /** The bytes of the index as Kafka stores them. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.count * this.entrySize);
  }
  get hasUnpersisted(): boolean {
    return this.persisted < this.count;
  }

  protected slot(): number {
    const need = (this.count + 1) * this.entrySize;
    if (need > this.buf.length) {
      const nb = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(nb, 0, 0, this.count * this.entrySize);
      this.buf = nb;
    }
    return this.count++ * this.entrySize;
  }

  /** Why the latest load() refused the file (for the log line saying it is rebuilt). */
  loadProblem: string | undefined;

  /** Loads the file's bytes. Returns false (and says why in loadProblem) when the file is missing or fails the sanity check. */
  async load(): Promise<boolean> {
    this.loadProblem = undefined;
    let data: Buffer;
    try {
      data = await readFile(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.loadProblem = 'missing';
      return false;
    }
    if (data.length % this.entrySize !== 0) {
      this.loadProblem = `size ${data.length} is not a multiple of ${this.entrySize} (a torn write)`;
      return false;
    }
    const n = data.length / this.entrySize;
    if (n > this.maxEntries) {
      this.loadProblem = `${n} entries, more than the ${this.maxEntries} it can hold`;
      return false;
    }
    this.buf = Buffer.allocUnsafe(Math.max(data.length, this.entrySize * 64));
    data.copy(this.buf);
    this.count = n;
    this.persisted = n;
    if (this.sane()) return true;
    this.loadProblem = 'entries out of order (garbled)';
    return false;
  }

  /** Entries must be non-decreasing; subclasses check their own columns. */
  protected abstract sane(): boolean;

  /** Bumped by reset/truncation so an in-flight persist does not mark stale bytes as written. */
  private generation = 0;

  reset(): void {
    this.count = 0;
    this.persisted = -1; // forces a rewrite from scratch on the next persist
    this.generation++;
  }

  /** Drops entries from index `n` on (used by truncation). */
  truncateEntries(n: number): void {
    if (n < this.count) {
      this.count = n;
      if (this.persisted > n) this.persisted = -1;
      this.generation++;
    }
  }

  private persistChain: Promise<void> = Promise.resolve();
  /** The file, kept open between persists while `keepOpen` (the active segment's indexes). */
  private fh: FileHandle | undefined;
  /**
   * Keep the file open between persists: the active segment persists every few dozen entries,
   * and an open + close per persist cost ~5% of the broker's produce CPU with 16 KB batches.
   */
  keepOpen = false;

  /** Writes pending entries (or the whole index after a reset/truncation); fsyncs when `sync`. Serialized. */
  persist(sync = false): Promise<void> {
    const run = this.persistChain.then(() => this.persistNow(sync));
    this.persistChain = run.catch(() => undefined);
    return run;
  }

  /** Stops keeping the file open (after the persists already queued). */
  closeFile(): Promise<void> {
    this.keepOpen = false;
    const run = this.persistChain.then(async () => {
      const fh = this.fh;
      this.fh = undefined;
      await fh?.close();
    });
    this.persistChain = run.catch(() => undefined);
    return run;
  }

  private async persistNow(sync: boolean): Promise<void> {
    if (this.persisted === this.count && !sync) return;
    const gen = this.generation;
    const upTo = this.count;
    const rewrite = this.persisted < 0;
    const from = rewrite ? 0 : this.persisted * this.entrySize;
    const to = upTo * this.entrySize;
    let fh = this.fh;
    if (fh && rewrite) await fh.truncate(0);
    else if (!fh) fh = await open(this.path, rewrite ? 'w' : 'r+');
    try {
      // A few hundred bytes at most between persists: a synchronous page-cache write.
      if (to > from) {
        const fault = writeFault('index', to - from, this.path);
        const end = fault ? from + Math.min(fault.writeFirst ?? 0, to - from) : to;
        let done = 0;
        while (done < end - from) done += writeSync(fh.fd, this.buf, from + done, end - from - done, from + done);
        if (fault) throw fault.error;
      }
      if (sync) {
        const h = fh;
        await hookedSync('index', this.path, () => h.datasync());
      }
    } finally {
      if (this.keepOpen && !this.fh) this.fh = fh;
      else if (!this.keepOpen) {
        this.fh = undefined;
        await fh.close();
      }
    }
    if (gen === this.generation) this.persisted = upTo;
  }

  async delete(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

export interface OffsetPosition {
  offset: number;
  position: number;
}

export class OffsetIndex extends SparseIndex {
  static readonly ENTRY_SIZE = 8;
  constructor(path: string, baseOffset: number, maxIndexBytes: number) {
    super(path, baseOffset, maxIndexBytes, 8);
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  relativeOffset(i: number): number {
    return this.buf.readInt32BE(i * 8);
  }
  position(i: number): number {
    return this.buf.readInt32BE(i * 8 + 4);
  }
  get lastEntry(): OffsetPosition {
    if (this.count === 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + this.relativeOffset(this.count - 1), position: this.position(this.count - 1) };
  }

  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    if (this.isFull) return; // the log rolls on a full index; grouped writes may overshoot by a batch
    if (this.count > 0 && rel <= this.relativeOffset(this.count - 1)) return;
    const at = this.slot();
    this.buf.writeInt32BE(rel, at);
    this.buf.writeInt32BE(position, at + 4);
  }

  /** The entry with the largest offset <= target, or (baseOffset, 0). */
  lookup(target: number): OffsetPosition {
    const rel = target - this.baseOffset;
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.relativeOffset(mid) <= rel) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + this.relativeOffset(found), position: this.position(found) };
  }

  /** Drops entries whose offset >= `offset` (truncation). */
  truncateToOffset(offset: number): void {
    const rel = offset - this.baseOffset;
    let n = this.count;
    while (n > 0 && this.relativeOffset(n - 1) >= rel) n--;
    this.truncateEntries(n);
  }

  /** Checks entries are increasing and every position is inside a log of `logSize` bytes. */
  validFor(logSize: number): boolean {
    for (let i = 0; i < this.count; i++) if (this.position(i) >= logSize) return false;
    return true;
  }

  protected sane(): boolean {
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < this.count; i++) {
      const r = this.relativeOffset(i);
      const p = this.position(i);
      if (r < 0 || r <= prevRel || p < 0 || p <= prevPos) return false;
      prevRel = r;
      prevPos = p;
    }
    return true;
  }
}

export interface TimestampOffset {
  timestamp: bigint;
  offset: number;
}

export class TimeIndex extends SparseIndex {
  static readonly ENTRY_SIZE = 12;
  constructor(path: string, baseOffset: number, maxIndexBytes: number) {
    super(path, baseOffset, maxIndexBytes, 12);
  }

  /** Kafka keeps one slot free for the entry written when the segment becomes inactive. */
  get isFull(): boolean {
    return this.count >= this.maxEntries - 1;
  }

  timestamp(i: number): bigint {
    return this.buf.readBigInt64BE(i * 12);
  }
  relativeOffset(i: number): number {
    return this.buf.readInt32BE(i * 12 + 8);
  }
  /** The last entry, or (-1, baseOffset) when empty (Kafka's NO_TIMESTAMP). */
  get lastEntry(): TimestampOffset {
    if (this.count === 0) return { timestamp: -1n, offset: this.baseOffset };
    return { timestamp: this.timestamp(this.count - 1), offset: this.baseOffset + this.relativeOffset(this.count - 1) };
  }

  /** Appends when the timestamp grows (Kafka's maybeAppend). */
  maybeAppend(timestamp: bigint, offset: number, skipFullCheck = false): void {
    if (!skipFullCheck && this.isFull) return;
    if (this.count > 0 && this.count >= this.maxEntries) return;
    const last = this.lastEntry;
    if (this.count > 0 && offset < last.offset) return;
    if (timestamp > last.timestamp) {
      const at = this.slot();
      this.buf.writeBigInt64BE(timestamp, at);
      this.buf.writeInt32BE(offset - this.baseOffset, at + 8);
    }
  }

  /** The entry with the largest timestamp <= target, or (-1, baseOffset). */
  lookup(target: bigint): TimestampOffset {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamp(mid) <= target) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return { timestamp: -1n, offset: this.baseOffset };
    return { timestamp: this.timestamp(found), offset: this.baseOffset + this.relativeOffset(found) };
  }

  truncateToOffset(offset: number): void {
    const rel = offset - this.baseOffset;
    let n = this.count;
    while (n > 0 && this.relativeOffset(n - 1) >= rel) n--;
    this.truncateEntries(n);
  }

  protected sane(): boolean {
    let prevTs = -1n;
    let prevRel = -1;
    for (let i = 0; i < this.count; i++) {
      const t = this.timestamp(i);
      const r = this.relativeOffset(i);
      if (t < prevTs || r < prevRel || r < 0) return false;
      prevTs = t;
      prevRel = r;
    }
    return true;
  }
}

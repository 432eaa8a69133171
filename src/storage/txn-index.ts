/**
 * A segment's transaction index, `<base>.txnindex` (Kafka's TransactionIndex): one entry per
 * aborted transaction whose ABORT marker lies in the segment, in marker order. Kafka's format, 34
 * bytes per entry, big-endian:
 *
 *   version int16 (0) | producerId int64 | firstOffset int64 | lastOffset int64 | lastStableOffset int64
 *
 * lastOffset is the marker's offset, firstOffset the transaction's first offset on the partition
 * (possibly in an earlier segment), lastStableOffset the LSO the log had once the marker was written
 * (the first offset of another producer's open transaction, else the marker's offset + 1): a search
 * for aborted transactions below an upper bound may stop at the first entry whose LSO reaches it.
 *
 * The file exists only once a segment has an aborted transaction, as Kafka creates it. Entries are
 * few: they are held in memory (loaded when the segment opens) and appended to the file with a
 * synchronous positional write, as small appends to the .log are.
 */
import { closeSync, constants, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';

export const ABORTED_TXN_SIZE = 34;
export const ABORTED_TXN_VERSION = 0;

/** One aborted transaction (Kafka's AbortedTxn). */
export interface AbortedTxn {
  producerId: bigint;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

export function encodeAbortedTxns(txns: readonly AbortedTxn[]): Buffer {
  const buf = Buffer.alloc(txns.length * ABORTED_TXN_SIZE);
  let at = 0;
  for (const t of txns) {
    buf.writeInt16BE(ABORTED_TXN_VERSION, at);
    buf.writeBigInt64BE(t.producerId, at + 2);
    buf.writeBigInt64BE(BigInt(t.firstOffset), at + 10);
    buf.writeBigInt64BE(BigInt(t.lastOffset), at + 18);
    buf.writeBigInt64BE(BigInt(t.lastStableOffset), at + 26);
    at += ABORTED_TXN_SIZE;
  }
  return buf;
}

export class TxnIndexCorruptError extends Error {}

export interface DecodedTxnIndex {
  entries: AbortedTxn[];
  /** Bytes after the last whole entry (a write torn by a crash). */
  tornBytes: number;
}

function offsetAt(buf: Buffer, at: number, what: string): number {
  const v = buf.readBigInt64BE(at);
  if (v < -1n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TxnIndexCorruptError(`${what} ${v} at byte ${at} is out of range`);
  return Number(v);
}

/**
 * Decodes a whole .txnindex file. A partial entry at the end is reported as `tornBytes`, not
 * decoded. Throws TxnIndexCorruptError for an unknown version, an offset out of range, entries
 * whose last offsets do not increase, or one ending below the segment's base offset.
 */
export function decodeTxnIndex(buf: Buffer, baseOffset = 0): DecodedTxnIndex {
  const entries: AbortedTxn[] = [];
  const whole = buf.length - (buf.length % ABORTED_TXN_SIZE);
  let prev = -1;
  for (let at = 0; at < whole; at += ABORTED_TXN_SIZE) {
    const version = buf.readInt16BE(at);
    if (version !== ABORTED_TXN_VERSION) throw new TxnIndexCorruptError(`unexpected aborted transaction version ${version} at byte ${at}`);
    const t: AbortedTxn = {
      producerId: buf.readBigInt64BE(at + 2),
      firstOffset: offsetAt(buf, at + 10, 'first offset'),
      lastOffset: offsetAt(buf, at + 18, 'last offset'),
      lastStableOffset: offsetAt(buf, at + 26, 'last stable offset'),
    };
    if (t.lastOffset < baseOffset) throw new TxnIndexCorruptError(`last offset ${t.lastOffset} of the entry at byte ${at} is below the segment's base offset ${baseOffset}`);
    if (t.lastOffset <= prev) throw new TxnIndexCorruptError(`last offset ${t.lastOffset} of the entry at byte ${at} does not follow ${prev}`);
    if (t.firstOffset > t.lastOffset) throw new TxnIndexCorruptError(`first offset ${t.firstOffset} of the entry at byte ${at} is above its last offset ${t.lastOffset}`);
    prev = t.lastOffset;
    entries.push(t);
  }
  return { entries, tornBytes: buf.length - whole };
}

/** Kafka's TxnIndexSearchResult: the matches, and whether later segments need not be searched. */
export interface TxnSearch {
  aborted: AbortedTxn[];
  complete: boolean;
}

export class TxnIndex {
  private list: AbortedTxn[] = [];
  private fd: number | undefined;
  private dirty = false;

  constructor(
    public path: string,
    readonly baseOffset: number,
  ) {}

  get entries(): readonly AbortedTxn[] {
    return this.list;
  }

  /**
   * Reads the file if there is one. False when it cannot be trusted (a torn tail, a corrupt
   * entry): the segment must be recovered, which rebuilds it.
   */
  async load(): Promise<boolean> {
    let buf: Buffer;
    try {
      buf = await readFile(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw e;
    }
    try {
      const d = decodeTxnIndex(buf, this.baseOffset);
      this.list = d.entries;
      return d.tornBytes === 0;
    } catch (e) {
      if (e instanceof TxnIndexCorruptError) return false;
      throw e;
    }
  }

  private handle(): number {
    if (this.fd === undefined) {
      this.fd = openSync(this.path, constants.O_RDWR | constants.O_CREAT, 0o644);
      ftruncateSync(this.fd, this.list.length * ABORTED_TXN_SIZE);
    }
    return this.fd;
  }

  /** Appends entries (last offsets increasing, after the existing ones). */
  append(txns: readonly AbortedTxn[]): void {
    if (txns.length === 0) return;
    let prev = this.list.length > 0 ? this.list[this.list.length - 1]!.lastOffset : -1;
    for (const t of txns) {
      if (t.lastOffset <= prev) throw new RangeError(`aborted transaction at ${t.lastOffset} does not follow ${prev} in ${this.path}`);
      prev = t.lastOffset;
    }
    const buf = encodeAbortedTxns(txns);
    const fd = this.handle();
    let done = 0;
    const pos = this.list.length * ABORTED_TXN_SIZE;
    while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, pos + done);
    for (const t of txns) this.list.push(t);
    this.dirty = true;
  }

  /** Drops the entries whose marker is at or after `offset` (Kafka's truncateTo). */
  truncateTo(offset: number): void {
    let n = this.list.length;
    while (n > 0 && this.list[n - 1]!.lastOffset >= offset) n--;
    if (n === this.list.length && this.fd === undefined) return;
    this.list.length = n;
    ftruncateSync(this.handle(), n * ABORTED_TXN_SIZE);
    this.dirty = true;
  }

  /** Removes every entry (recovery rebuilds them). The file stays only if it existed. */
  async reset(): Promise<void> {
    this.list = [];
    this.close();
    await rm(this.path, { force: true });
  }

  /**
   * Kafka's collectAbortedTxns: the transactions overlapping [fetchOffset, upperBoundOffset), and
   * whether the search is complete (an entry's LSO reached the upper bound: no later segment
   * can hold a transaction that started below it).
   */
  collect(fetchOffset: number, upperBoundOffset: number): TxnSearch {
    const aborted: AbortedTxn[] = [];
    for (const t of this.list) {
      if (t.lastOffset >= fetchOffset && t.firstOffset < upperBoundOffset) aborted.push(t);
      if (t.lastStableOffset >= upperBoundOffset) return { aborted, complete: true };
    }
    return { aborted, complete: false };
  }

  flush(): void {
    if (this.fd !== undefined && this.dirty) {
      fsyncSync(this.fd);
      this.dirty = false;
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    closeSync(fd);
  }

  /** Renames the file (if any) to `to`; the index then lives there. */
  async renameTo(to: string): Promise<boolean> {
    this.close();
    const from = this.path;
    this.path = to;
    try {
      await rename(from, to);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }
}

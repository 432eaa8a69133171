import { open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '../protocol/primitives/crc32c.js';
import { isControl, isTransactional, type BatchHeader } from '../protocol/records/batch-header.js';
import { ErrorCode } from '../protocol/errors.js';
import { SNAPSHOT_SUFFIX, offsetFileName, parseOffsetFileName, fsyncDir, writeWhole } from './files.js';
import { hookedSync } from './io-hooks.js';

/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN. */
export const NUM_BATCHES_TO_RETAIN = 5;
const INT32_MAX = 0x7fffffff;

/** One of the last batches a producer wrote (Kafka's BatchMetadata). */
export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  timestamp: bigint;
}

/** Per-producer state (Kafka's ProducerStateEntry). */
export interface ProducerStateEntry {
  producerId: bigint;
  producerEpoch: number;
  /** Oldest first, at most NUM_BATCHES_TO_RETAIN. */
  batches: BatchMetadata[];
  coordinatorEpoch: number;
  /** First offset of the open transaction, or -1 (the transactions seam). */
  currentTxnFirstOffset: number;
  lastTimestamp: bigint;
}

export type ProducerCheck =
  | { kind: 'ok' }
  | { kind: 'duplicate'; firstOffset: number; lastOffset: number; timestamp: bigint }
  | { kind: 'error'; code: ErrorCode; message: string };

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from Int32.MAX to 0. */
export function incrementSequence(seq: number, increment: number): number {
  if (seq > INT32_MAX - increment) return increment - (INT32_MAX - seq) - 1;
  return seq + increment;
}
export function decrementSequence(seq: number, decrement: number): number {
  if (seq < decrement) return INT32_MAX - (decrement - seq) + 1;
  return seq - decrement;
}
function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

function cloneEntry(e: ProducerStateEntry): ProducerStateEntry {
  return { ...e, batches: e.batches.slice() };
}

/**
 * Kafka's ProducerSnapshot file (`<offset>.snapshot`), as ProducerStateManager writes it:
 *
 *   version int16 (= 1) | crc uint32 (CRC32C of everything after it) | entries: int32 count, then
 *   per producer: producerId int64 | epoch int16 | lastSequence int32 | lastOffset int64 |
 *   offsetDelta int32 | timestamp int64 | coordinatorEpoch int32 | currentTxnFirstOffset int64
 *
 * As in Kafka only the last batch of each producer is stored, so after a restart from a snapshot
 * only that batch (plus any replayed from the log after the snapshot) is recognised as a duplicate.
 */
export const PRODUCER_SNAPSHOT_VERSION = 1;
const SNAPSHOT_ENTRY_SIZE = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;

export function encodeProducerSnapshot(entries: Iterable<ProducerStateEntry>): Buffer {
  const list = [...entries];
  const buf = Buffer.alloc(2 + 4 + 4 + list.length * SNAPSHOT_ENTRY_SIZE);
  buf.writeInt16BE(PRODUCER_SNAPSHOT_VERSION, 0);
  buf.writeInt32BE(list.length, 6);
  let at = 10;
  for (const e of list) {
    const last = e.batches[e.batches.length - 1];
    buf.writeBigInt64BE(e.producerId, at);
    buf.writeInt16BE(e.producerEpoch, at + 8);
    buf.writeInt32BE(last ? last.lastSeq : -1, at + 10);
    buf.writeBigInt64BE(BigInt(last ? last.lastOffset : -1), at + 14);
    buf.writeInt32BE(last ? last.lastOffset - last.firstOffset : 0, at + 22);
    buf.writeBigInt64BE(last ? last.timestamp : e.lastTimestamp, at + 26);
    buf.writeInt32BE(e.coordinatorEpoch, at + 34);
    buf.writeBigInt64BE(BigInt(e.currentTxnFirstOffset), at + 38);
    at += SNAPSHOT_ENTRY_SIZE;
  }
  buf.writeUInt32BE(crc32c(buf.subarray(6)), 2);
  return buf;
}

export function decodeProducerSnapshot(buf: Buffer): ProducerStateEntry[] {
  if (buf.length < 10) throw new Error('producer snapshot too short');
  const version = buf.readInt16BE(0);
  if (version !== PRODUCER_SNAPSHOT_VERSION) throw new Error(`unsupported producer snapshot version ${version}`);
  if (buf.readUInt32BE(2) !== crc32c(buf.subarray(6))) throw new Error('producer snapshot CRC mismatch');
  const n = buf.readInt32BE(6);
  if (n < 0 || 10 + n * SNAPSHOT_ENTRY_SIZE !== buf.length) throw new Error('producer snapshot size mismatch');
  const out: ProducerStateEntry[] = [];
  let at = 10;
  for (let i = 0; i < n; i++) {
    const producerId = buf.readBigInt64BE(at);
    const producerEpoch = buf.readInt16BE(at + 8);
    const lastSeq = buf.readInt32BE(at + 10);
    const lastOffset = Number(buf.readBigInt64BE(at + 14));
    const offsetDelta = buf.readInt32BE(at + 22);
    const timestamp = buf.readBigInt64BE(at + 26);
    const coordinatorEpoch = buf.readInt32BE(at + 34);
    const currentTxnFirstOffset = Number(buf.readBigInt64BE(at + 38));
    const batches: BatchMetadata[] =
      lastOffset >= 0 && lastSeq >= 0
        ? [{ firstSeq: decrementSequence(lastSeq, offsetDelta), lastSeq, firstOffset: lastOffset - offsetDelta, lastOffset, timestamp }]
        : [];
    out.push({ producerId, producerEpoch, batches, coordinatorEpoch, currentTxnFirstOffset, lastTimestamp: timestamp });
    at += SNAPSHOT_ENTRY_SIZE;
  }
  return out;
}

/**
 * A staged set of producer updates for one append: batches are checked against the committed
 * state plus the earlier batches of the same append, and committed only after the write succeeds.
 */
export class ProducerAppend {
  /** Created on the first idempotent batch: appends without producer ids allocate no Map. */
  private staged: Map<bigint, ProducerStateEntry> | undefined;
  constructor(
    private readonly psm: ProducerStateManager,
    private readonly parent?: ProducerAppend,
  ) {}

  private entry(pid: bigint): ProducerStateEntry | undefined {
    return this.staged?.get(pid) ?? (this.parent ? this.parent.entry(pid) : this.psm.lastEntry(pid));
  }

  /** A nested stage whose updates reach this one only through mergeIntoParent(). */
  fork(): ProducerAppend {
    return new ProducerAppend(this.psm, this);
  }

  /** Moves this stage's updates into `target` (normally the parent). */
  mergeInto(target: ProducerAppend): void {
    if (!this.staged) return;
    const into = (target.staged ??= new Map());
    for (const [k, v] of this.staged) into.set(k, v);
  }

  /** Kafka's analyzeAndValidateProducerState for one client batch (offsets not yet assigned). */
  check(h: BatchHeader): ProducerCheck {
    if (h.producerId < 0n) return { kind: 'ok' };
    return checkAgainst(this.entry(h.producerId), h);
  }

  /** Records a batch whose offsets are assigned (h.baseOffset is final). */
  apply(h: BatchHeader): void {
    if (h.producerId < 0n) return;
    const cur = this.entry(h.producerId);
    const e = cur ? cloneEntry(cur) : newEntry(h.producerId);
    applyBatch(e, h);
    (this.staged ??= new Map()).set(h.producerId, e);
  }

  commit(endOffset: number): void {
    if (this.staged) for (const e of this.staged.values()) this.psm.putEntry(e);
    this.psm.mapEndOffset = Math.max(this.psm.mapEndOffset, endOffset);
  }
}

function newEntry(producerId: bigint): ProducerStateEntry {
  return { producerId, producerEpoch: -1, batches: [], coordinatorEpoch: -1, currentTxnFirstOffset: -1, lastTimestamp: -1n };
}

function checkAgainst(e: ProducerStateEntry | undefined, h: BatchHeader): ProducerCheck {
  const lastSeq = incrementSequence(h.baseSequence, h.lastOffsetDelta);
  if (!e || e.producerEpoch < 0) return { kind: 'ok' }; // unknown producer: any sequence (KIP-360)
  // Duplicate of one of the retained batches (same epoch, same sequence range).
  if (h.producerEpoch === e.producerEpoch) {
    for (const b of e.batches) {
      if (b.firstSeq === h.baseSequence && b.lastSeq === lastSeq) {
        return { kind: 'duplicate', firstOffset: b.firstOffset, lastOffset: b.lastOffset, timestamp: b.timestamp };
      }
    }
  }
  // Kafka returns INVALID_PRODUCER_EPOCH (not PRODUCER_FENCED) to produce requests since 2.7.
  if (h.producerEpoch < e.producerEpoch) {
    return {
      kind: 'error',
      code: ErrorCode.INVALID_PRODUCER_EPOCH,
      message: `epoch ${h.producerEpoch} is older than the current epoch ${e.producerEpoch} of producer ${h.producerId}`,
    };
  }
  if (h.producerEpoch !== e.producerEpoch) {
    if (h.baseSequence !== 0) {
      return {
        kind: 'error',
        code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `new epoch ${h.producerEpoch} of producer ${h.producerId} must start at sequence 0, got ${h.baseSequence}`,
      };
    }
    return { kind: 'ok' };
  }
  const last = e.batches[e.batches.length - 1];
  const currentLastSeq = last ? last.lastSeq : -1;
  if (!inSequence(currentLastSeq, h.baseSequence)) {
    return {
      kind: 'error',
      code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
      message: `out of order sequence for producer ${h.producerId}: ${h.baseSequence} (incoming), ${currentLastSeq} (current last)`,
    };
  }
  return { kind: 'ok' };
}

function applyBatch(e: ProducerStateEntry, h: BatchHeader): void {
  const firstOffset = h.baseOffset;
  const lastOffset = h.baseOffset + h.lastOffsetDelta;
  if (h.producerEpoch !== e.producerEpoch) {
    e.producerEpoch = h.producerEpoch;
    e.batches = [];
  }
  if (isControl(h.attributes)) {
    // End transaction marker: the transaction is over (commit or abort needs the record; seam).
    e.currentTxnFirstOffset = -1;
    e.lastTimestamp = h.maxTimestamp;
    return;
  }
  if (isTransactional(h.attributes) && e.currentTxnFirstOffset < 0) e.currentTxnFirstOffset = firstOffset;
  e.batches.push({
    firstSeq: h.baseSequence,
    lastSeq: incrementSequence(h.baseSequence, h.lastOffsetDelta),
    firstOffset,
    lastOffset,
    timestamp: h.maxTimestamp,
  });
  if (e.batches.length > NUM_BATCHES_TO_RETAIN) e.batches.shift();
  e.lastTimestamp = h.maxTimestamp;
}

/**
 * Kafka's ProducerStateManager for one partition: idempotent-producer sequence state, persisted in
 * `<offset>.snapshot` files in the partition directory.
 */
export class ProducerStateManager {
  private readonly producers = new Map<bigint, ProducerStateEntry>();
  /** The log offset up to which the state reflects the log (exclusive). */
  mapEndOffset = 0;

  constructor(readonly dir: string) {}

  get size(): number {
    return this.producers.size;
  }
  lastEntry(producerId: bigint): ProducerStateEntry | undefined {
    return this.producers.get(producerId);
  }
  entries(): IterableIterator<ProducerStateEntry> {
    return this.producers.values();
  }
  putEntry(e: ProducerStateEntry): void {
    this.producers.set(e.producerId, e);
  }

  /** Checks one batch against the committed state (no staging). */
  checkBatch(h: BatchHeader): ProducerCheck {
    if (h.producerId < 0n) return { kind: 'ok' };
    return checkAgainst(this.producers.get(h.producerId), h);
  }

  beginAppend(): ProducerAppend {
    return new ProducerAppend(this);
  }

  /** Replays a batch read from the log (recovery, rebuild). No checks, as Kafka's replication origin. */
  replay(h: BatchHeader): void {
    const end = h.baseOffset + h.lastOffsetDelta + 1;
    if (h.producerId >= 0n) {
      const cur = this.producers.get(h.producerId);
      const e = cur ?? newEntry(h.producerId);
      applyBatch(e, h);
      this.producers.set(h.producerId, e);
    }
    if (end > this.mapEndOffset) this.mapEndOffset = end;
  }

  /** The first offset of the earliest open transaction (LSO seam); undefined when none. */
  firstUnstableOffset(): number | undefined {
    let min: number | undefined;
    for (const e of this.producers.values()) {
      if (e.currentTxnFirstOffset >= 0 && (min === undefined || e.currentTxnFirstOffset < min)) min = e.currentTxnFirstOffset;
    }
    return min;
  }

  /** Forgets producers whose last data is below the log start offset (DeleteRecords / retention). */
  truncateHead(logStartOffset: number): void {
    for (const [pid, e] of this.producers) {
      const last = e.batches[e.batches.length - 1];
      if (e.currentTxnFirstOffset < 0 && (!last || last.lastOffset < logStartOffset)) this.producers.delete(pid);
    }
    if (this.mapEndOffset < logStartOffset) this.mapEndOffset = logStartOffset;
  }

  clear(offset: number): void {
    this.producers.clear();
    this.mapEndOffset = offset;
  }

  // ---------------------------------------------------------------------------------------------
  // Snapshots

  async snapshotOffsets(): Promise<number[]> {
    const out: number[] = [];
    for (const name of await readdir(this.dir)) {
      const off = parseOffsetFileName(name, SNAPSHOT_SUFFIX);
      if (off !== undefined) out.push(off);
    }
    return out.sort((a, b) => a - b);
  }

  /** Writes `<mapEndOffset>.snapshot` (Kafka's takeSnapshot). */
  async takeSnapshot(sync = true): Promise<number> {
    const offset = this.mapEndOffset;
    const path = join(this.dir, offsetFileName(offset, SNAPSHOT_SUFFIX));
    const fh = await open(path, 'w');
    try {
      await writeWhole(fh, encodeProducerSnapshot(this.producers.values()), 'snapshot', path);
      if (sync) await hookedSync('snapshot', path, () => fh.sync());
    } catch (e) {
      // A snapshot cut short (a full disk) must not be left for the next start to trip over.
      await fh.close().catch(() => undefined);
      await rm(path, { force: true }).catch(() => undefined);
      throw e;
    }
    await fh.close();
    if (sync) await fsyncDir(this.dir);
    return offset;
  }

  /**
   * Loads the newest valid snapshot at or below `maxOffset`; snapshots above it are deleted (they
   * describe truncated data), corrupt ones too. Returns the offset the state reflects (replay the
   * log from there), or `fallback` when no snapshot was usable.
   */
  async loadLatestSnapshot(maxOffset: number, fallback: number, onCorrupt?: (file: string, reason: string) => void): Promise<number> {
    this.producers.clear();
    const offsets = await this.snapshotOffsets();
    for (let i = offsets.length - 1; i >= 0; i--) {
      const off = offsets[i]!;
      const path = join(this.dir, offsetFileName(off, SNAPSHOT_SUFFIX));
      if (off > maxOffset) {
        await rm(path, { force: true });
        continue;
      }
      try {
        const entries = decodeProducerSnapshot(await readFile(path));
        for (const e of entries) this.producers.set(e.producerId, e);
        this.mapEndOffset = off;
        return off;
      } catch (e) {
        await rm(path, { force: true });
        onCorrupt?.(path, (e as Error).message);
      }
    }
    this.mapEndOffset = fallback;
    return fallback;
  }

  /** Deletes snapshots below `offset` (keeps the state files for retained segments only). */
  async deleteSnapshotsBefore(offset: number): Promise<void> {
    for (const off of await this.snapshotOffsets()) {
      if (off < offset) await rm(join(this.dir, offsetFileName(off, SNAPSHOT_SUFFIX)), { force: true });
    }
  }
}

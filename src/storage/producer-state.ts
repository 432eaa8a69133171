import { open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '../protocol/primitives/crc32c.js';
import { isControl, isTransactional, type BatchHeader } from '../protocol/records/batch-header.js';
import { ErrorCode } from '../protocol/errors.js';
import { SNAPSHOT_SUFFIX, offsetFileName, parseOffsetFileName, fsyncDir, writeWhole } from './files.js';
import { hookedSync } from './io-hooks.js';
import type { AbortedTxn } from './txn-index.js';

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

/** What a control batch says (its EndTxnMarker); undefined when it could not be read. */
export interface TxnMarker {
  commit: boolean;
  coordinatorEpoch: number;
}

/** A transaction whose marker was just appended (Kafka's CompletedTxn). */
export interface CompletedTxn {
  producerId: bigint;
  firstOffset: number;
  /** The marker's offset. */
  lastOffset: number;
  aborted: boolean;
}

/** What an append did to transactions, in log order: applied to the manager when it commits. */
type TxnEvent = { kind: 'start'; producerId: bigint; firstOffset: number } | { kind: 'end'; txn: CompletedTxn };

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

const NO_ABORTS: readonly AbortedTxn[] = Object.freeze([]);

/**
 * A staged set of producer updates for one append: batches are checked against the committed
 * state plus the earlier batches of the same append, and committed only after the write succeeds.
 */
export class ProducerAppend {
  /** Created on the first idempotent batch: appends without producer ids allocate no Map. */
  private staged: Map<bigint, ProducerStateEntry> | undefined;
  /** Transactions started and ended by this stage, in log order. */
  private events: TxnEvent[] | undefined;
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
    if (this.events) (target.events ??= []).push(...this.events);
    if (!this.staged) return;
    const into = (target.staged ??= new Map());
    for (const [k, v] of this.staged) into.set(k, v);
  }

  /** Kafka's analyzeAndValidateProducerState for one client batch (offsets not yet assigned). */
  check(h: BatchHeader): ProducerCheck {
    if (h.producerId < 0n) return { kind: 'ok' };
    return checkAgainst(this.entry(h.producerId), h);
  }

  /**
   * Kafka's checks of a marker the transaction coordinator appends (ProducerAppendInfo's
   * appendEndTxnMarker): a marker of an older producer epoch than the log knows is refused with
   * INVALID_PRODUCER_EPOCH, and one from an older coordinator epoch than the last marker's with
   * TRANSACTION_COORDINATOR_FENCED (a coordinator that lost its partition, still writing).
   */
  checkMarker(h: BatchHeader, marker: TxnMarker | undefined): ProducerCheck {
    if (h.producerId < 0n) return { kind: 'ok' };
    const e = this.entry(h.producerId);
    if (!e) return { kind: 'ok' };
    if (h.producerEpoch < e.producerEpoch) {
      return { kind: 'error', code: ErrorCode.INVALID_PRODUCER_EPOCH, message: `marker epoch ${h.producerEpoch} of producer ${h.producerId} is older than the last seen epoch ${e.producerEpoch}` };
    }
    if (marker && e.coordinatorEpoch > marker.coordinatorEpoch) {
      return {
        kind: 'error',
        code: ErrorCode.TRANSACTION_COORDINATOR_FENCED,
        message: `invalid coordinator epoch for producer ${h.producerId}: ${marker.coordinatorEpoch} (zombie), ${e.coordinatorEpoch} (current)`,
      };
    }
    return { kind: 'ok' };
  }

  /**
   * Records a batch whose offsets are assigned (h.baseOffset is final); `marker` is what a
   * control batch says.
   */
  apply(h: BatchHeader, marker?: TxnMarker): void {
    if (h.producerId < 0n) return;
    const cur = this.entry(h.producerId);
    const e = cur ? cloneEntry(cur) : newEntry(h.producerId);
    const ev = applyBatch(e, h, marker);
    if (ev) (this.events ??= []).push(ev);
    (this.staged ??= new Map()).set(h.producerId, e);
  }

  /**
   * The append is written: its producer states and transaction changes take effect. Returns the
   * aborted transactions it completed, for the active segment's transaction index.
   */
  commit(endOffset: number): readonly AbortedTxn[] {
    if (this.staged) for (const e of this.staged.values()) this.psm.putEntry(e);
    this.psm.mapEndOffset = Math.max(this.psm.mapEndOffset, endOffset);
    if (!this.events) return NO_ABORTS; // the common case: no transaction started or ended
    const aborted: AbortedTxn[] = [];
    for (const ev of this.events) {
      const a = this.psm.applyTxnEvent(ev);
      if (a) aborted.push(a);
    }
    return aborted;
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

/**
 * Kafka's ProducerAppendInfo.append for one batch: the entry follows it; returns the transaction
 * it started or ended. A marker ends the producer's open transaction (Kafka emits a CompletedTxn
 * only when one was open: an empty transaction's marker changes nothing else). A marker whose
 * record could not be read (undefined) counts as an abort: the safe side for read_committed.
 */
function applyBatch(e: ProducerStateEntry, h: BatchHeader, marker?: TxnMarker): TxnEvent | undefined {
  const firstOffset = h.baseOffset;
  const lastOffset = h.baseOffset + h.lastOffsetDelta;
  if (h.producerEpoch !== e.producerEpoch) {
    e.producerEpoch = h.producerEpoch;
    e.batches = [];
  }
  if (isControl(h.attributes)) {
    let ev: TxnEvent | undefined;
    if (e.currentTxnFirstOffset >= 0) {
      ev = { kind: 'end', txn: { producerId: e.producerId, firstOffset: e.currentTxnFirstOffset, lastOffset: firstOffset, aborted: marker ? !marker.commit : true } };
    }
    e.currentTxnFirstOffset = -1;
    if (marker) e.coordinatorEpoch = marker.coordinatorEpoch;
    e.lastTimestamp = h.maxTimestamp;
    return ev;
  }
  let ev: TxnEvent | undefined;
  if (isTransactional(h.attributes) && e.currentTxnFirstOffset < 0) {
    e.currentTxnFirstOffset = firstOffset;
    ev = { kind: 'start', producerId: e.producerId, firstOffset };
  }
  e.batches.push({
    firstSeq: h.baseSequence,
    lastSeq: incrementSequence(h.baseSequence, h.lastOffsetDelta),
    firstOffset,
    lastOffset,
    timestamp: h.maxTimestamp,
  });
  if (e.batches.length > NUM_BATCHES_TO_RETAIN) e.batches.shift();
  e.lastTimestamp = h.maxTimestamp;
  return ev;
}

/**
 * Kafka's ProducerStateManager for one partition: idempotent-producer sequence state, persisted in
 * `<offset>.snapshot` files in the partition directory, and the transactions that hold the last
 * stable offset back. As in Kafka there are two kinds: ongoing ones (no marker yet; they are the
 * producers' currentTxnFirstOffset, so the snapshot carries them), and completed ones whose marker
 * is not below the high watermark yet ("unreplicated": a reader must not pass their first offset
 * before the marker is committed). Both are keyed by first offset.
 */
export class ProducerStateManager {
  private readonly producers = new Map<bigint, ProducerStateEntry>();
  /** Ongoing transactions: first offset -> producer id. */
  private readonly ongoing = new Map<number, bigint>();
  /** Completed transactions whose marker may not be replicated yet: first offset -> marker offset. */
  private readonly unreplicated = new Map<number, number>();
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

  /**
   * Replays a batch read from the log (recovery, rebuild). No checks, as Kafka's replication
   * origin. Returns the aborted transaction its marker completed, with the LSO of that moment.
   */
  replay(h: BatchHeader, marker?: TxnMarker): AbortedTxn | undefined {
    const end = h.baseOffset + h.lastOffsetDelta + 1;
    let aborted: AbortedTxn | undefined;
    if (h.producerId >= 0n) {
      const cur = this.producers.get(h.producerId);
      const e = cur ?? newEntry(h.producerId);
      const ev = applyBatch(e, h, marker);
      this.producers.set(h.producerId, e);
      if (ev) aborted = this.applyTxnEvent(ev);
    }
    if (end > this.mapEndOffset) this.mapEndOffset = end;
    return aborted;
  }

  /**
   * A transaction starts, or its marker was appended (Kafka's update + completeTxn): an ended one
   * moves from ongoing to unreplicated. For an abort, returns its transaction index entry, whose
   * LSO is Kafka's lastStableOffset(completedTxn): the first offset of the earliest transaction
   * still open of another producer, else the offset after the marker.
   */
  applyTxnEvent(ev: TxnEvent): AbortedTxn | undefined {
    if (ev.kind === 'start') {
      this.ongoing.set(ev.firstOffset, ev.producerId);
      return undefined;
    }
    const t = ev.txn;
    let lso = t.lastOffset + 1;
    for (const [first, pid] of this.ongoing) if (pid !== t.producerId && first < lso) lso = first;
    this.ongoing.delete(t.firstOffset);
    this.unreplicated.set(t.firstOffset, t.lastOffset);
    return t.aborted ? { producerId: t.producerId, firstOffset: t.firstOffset, lastOffset: t.lastOffset, lastStableOffset: lso } : undefined;
  }

  /**
   * Kafka's firstUnstableOffset: the first offset of the earliest transaction that is ongoing, or
   * completed with its marker at or above `highWatermark` (those below it are forgotten: Kafka's
   * onHighWatermarkUpdated). Undefined when there is none.
   */
  firstUnstableOffset(highWatermark: number): number | undefined {
    let min: number | undefined;
    for (const [first, last] of this.unreplicated) {
      if (last < highWatermark) this.unreplicated.delete(first);
      else if (min === undefined || first < min) min = first;
    }
    for (const first of this.ongoing.keys()) if (min === undefined || first < min) min = first;
    return min;
  }

  /** Kafka's firstUndecidedOffset: the first offset of the earliest ongoing transaction. */
  firstUndecidedOffset(): number | undefined {
    let min: number | undefined;
    for (const first of this.ongoing.keys()) if (min === undefined || first < min) min = first;
    return min;
  }

  /** Ongoing transactions, by first offset (tests, tools). */
  ongoingTransactions(): Array<{ producerId: bigint; firstOffset: number }> {
    return [...this.ongoing].map(([firstOffset, producerId]) => ({ producerId, firstOffset })).sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /**
   * The log start offset moved up (DeleteRecords / retention): producers whose last data batch is
   * below it go (not those with an open transaction, nor those whose latest act was a marker: a
   * marker of a new epoch leaves no batch, and forgetting the producer would forget its epoch,
   * which fences its zombies), and completed transactions whose marker is.
   */
  truncateHead(logStartOffset: number): void {
    for (const [pid, e] of this.producers) {
      const last = e.batches[e.batches.length - 1];
      if (e.currentTxnFirstOffset < 0 && last && last.lastOffset < logStartOffset) this.producers.delete(pid);
    }
    for (const [first, last] of this.unreplicated) if (last < logStartOffset) this.unreplicated.delete(first);
    if (this.mapEndOffset < logStartOffset) this.mapEndOffset = logStartOffset;
  }

  clear(offset: number): void {
    this.producers.clear();
    this.ongoing.clear();
    this.unreplicated.clear();
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
    this.clear(fallback);
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
        for (const e of entries) {
          this.producers.set(e.producerId, e);
          if (e.currentTxnFirstOffset >= 0) this.ongoing.set(e.currentTxnFirstOffset, e.producerId);
        }
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

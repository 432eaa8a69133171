/**
 * One batch through the cleaner (Kafka's cleaner record filter and MemoryRecords.filterTo, for
 * magic 2): which records stay, and the batch they stay in. Offsets never change: a rebuilt batch
 * keeps its base offset, last offset delta, producer id, epoch and base sequence. A batch that
 * keeps tombstones (or a marker whose transaction is empty) gets a delete horizon of now +
 * delete.retention.ms in its base timestamp (KIP-534); past it, they go.
 */
import {
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  OFF,
  compressionOf,
  computeBatchCrc,
  isControl,
  isLogAppendTime,
  type BatchHeader,
} from '../../protocol/records/batch-header.js';
import { MAGIC_V2 } from '../../protocol/records/batch.js';
import { compressSync, decompressSync } from '../../protocol/records/compression.js';
import { RecordReader, sizeOfRecordBody, sizeOfVarint, writeRecord, type Record } from '../../protocol/records/record.js';
import { controlTypeOf, type ReadBatch } from './batch-io.js';
import type { OffsetMap } from './offset-map.js';
import type { CleanedTransactionMetadata } from './txn-metadata.js';

/** The last batch an active producer wrote (what its idempotence state needs kept). */
export interface ProducerLast {
  /** Last offset of its last data batch, or -1 when its last entry is a marker. */
  lastDataOffset: number;
  producerEpoch: number;
}

export interface FilterContext {
  map: OffsetMap;
  now: number;
  deleteRetentionMs: number;
  txn: CleanedTransactionMetadata;
  producers: ReadonlyMap<bigint, ProducerLast>;
  /** The cleaning round's upper bound: the batch ending right below it stays, even empty. */
  upperBound: number;
}

export interface FilterOutcome {
  /** The batch to write, or null when it goes. */
  bytes: Buffer | null;
  recordsRead: number;
  recordsKept: number;
  /** The written batch's delete horizon when it keeps tombstones or a marker. */
  horizon: number | undefined;
}

interface RawRecord {
  record: Record;
  /** The encoded record (length prefix included), to copy unchanged. */
  raw: Buffer;
}

function decodeRecords(b: ReadBatch): RawRecord[] {
  const h = b.header;
  let body = b.bytes.subarray(BATCH_HEADER_SIZE);
  const codec = compressionOf(h.attributes);
  if (codec !== 0) body = decompressSync(codec, body);
  const r = new RecordReader(body, 0, body.length);
  const out: RawRecord[] = [];
  for (let i = 0; i < h.recordCount && r.pos < body.length; i++) {
    const start = r.pos;
    const record = r.readRecord();
    out.push({ record, raw: body.subarray(start, r.pos) });
  }
  return out;
}

function horizonOf(h: BatchHeader): number | undefined {
  return (h.attributes & ATTR_DELETE_HORIZON) !== 0 ? Number(h.baseTimestamp) : undefined;
}

/** An empty batch keeping only the header's offsets and producer fields (Kafka's writeEmptyHeader). */
function emptyBatch(h: BatchHeader): Buffer {
  const buf = Buffer.alloc(BATCH_HEADER_SIZE);
  buf.writeBigInt64BE(BigInt(h.baseOffset), OFF.baseOffset);
  buf.writeInt32BE(BATCH_HEADER_SIZE - LOG_OVERHEAD, OFF.batchLength);
  buf.writeInt32BE(h.partitionLeaderEpoch, OFF.partitionLeaderEpoch);
  buf.writeInt8(MAGIC_V2, OFF.magic);
  buf.writeInt16BE(h.attributes & (ATTR_TIMESTAMP_TYPE | ATTR_TRANSACTIONAL | ATTR_CONTROL), OFF.attributes);
  buf.writeInt32BE(h.lastOffsetDelta, OFF.lastOffsetDelta);
  buf.writeBigInt64BE(h.maxTimestamp, OFF.baseTimestamp);
  buf.writeBigInt64BE(h.maxTimestamp, OFF.maxTimestamp);
  buf.writeBigInt64BE(h.producerId, OFF.producerId);
  buf.writeInt16BE(h.producerEpoch, OFF.producerEpoch);
  buf.writeInt32BE(h.baseSequence, OFF.baseSequence);
  buf.writeInt32BE(0, OFF.recordCount);
  buf.writeUint32BE(computeBatchCrc(buf, 0, BATCH_HEADER_SIZE), OFF.crc);
  return buf;
}

/** The batch rebuilt with `kept` records, offsets and producer fields unchanged. */
function rebuild(h: BatchHeader, kept: RawRecord[], horizon: number | undefined): Buffer {
  const oldBase = h.baseTimestamp;
  const reTime = horizon !== undefined && horizon !== horizonOf(h);
  const newBase = reTime ? BigInt(horizon) : oldBase;
  let maxTs = -1n;
  const parts: Buffer[] = [];
  let total = 0;
  for (const k of kept) {
    const ts = oldBase + BigInt(k.record.timestampDelta);
    if (ts > maxTs) maxTs = ts;
    let raw = k.raw;
    if (reTime) {
      const r: Record = { ...k.record, timestampDelta: Number(ts - newBase) };
      const body = sizeOfRecordBody(r);
      raw = Buffer.allocUnsafe(sizeOfVarint(body) + body);
      writeRecord(raw, 0, r, body);
    }
    parts.push(raw);
    total += raw.length;
  }
  if (isLogAppendTime(h.attributes)) maxTs = h.maxTimestamp;
  const codec = compressionOf(h.attributes);
  const plain = Buffer.concat(parts, total);
  const payload = codec === 0 ? plain : compressSync(codec, plain);
  const size = BATCH_HEADER_SIZE + payload.length;
  const buf = Buffer.allocUnsafe(size);
  buf.writeBigInt64BE(BigInt(h.baseOffset), OFF.baseOffset);
  buf.writeInt32BE(size - LOG_OVERHEAD, OFF.batchLength);
  buf.writeInt32BE(h.partitionLeaderEpoch, OFF.partitionLeaderEpoch);
  buf.writeInt8(MAGIC_V2, OFF.magic);
  let attrs = h.attributes & ~ATTR_DELETE_HORIZON;
  if (horizon !== undefined) attrs |= ATTR_DELETE_HORIZON;
  buf.writeInt16BE(attrs, OFF.attributes);
  buf.writeInt32BE(h.lastOffsetDelta, OFF.lastOffsetDelta);
  buf.writeBigInt64BE(newBase, OFF.baseTimestamp);
  buf.writeBigInt64BE(maxTs, OFF.maxTimestamp);
  buf.writeBigInt64BE(h.producerId, OFF.producerId);
  buf.writeInt16BE(h.producerEpoch, OFF.producerEpoch);
  buf.writeInt32BE(h.baseSequence, OFF.baseSequence);
  buf.writeInt32BE(kept.length, OFF.recordCount);
  payload.copy(buf, BATCH_HEADER_SIZE);
  buf.writeUint32BE(computeBatchCrc(buf, 0, size), OFF.crc);
  return buf;
}

function isLastOfProducer(h: BatchHeader, control: boolean, producers: ReadonlyMap<bigint, ProducerLast>): boolean {
  if (h.producerId < 0n) return false;
  const p = producers.get(h.producerId);
  if (!p) return false;
  if (p.lastDataOffset >= 0) return h.baseOffset + h.lastOffsetDelta === p.lastDataOffset;
  return control && h.producerEpoch === p.producerEpoch;
}

export function filterBatch(b: ReadBatch, ctx: FilterContext): FilterOutcome {
  const h = b.header;
  const control = isControl(h.attributes);
  const canDiscard = control ? ctx.txn.onControlBatchRead(h, controlTypeOf(b)) : ctx.txn.onBatchRead(h);
  const horizon = horizonOf(h);
  const discardRecords = control ? canDiscard && horizon !== undefined && horizon <= ctx.now : canDiscard;
  const retainEmpty = isLastOfProducer(h, control, ctx.producers) || h.baseOffset + h.lastOffsetDelta + 1 === ctx.upperBound;
  const markerForEmptyTxn = canDiscard && control;
  const read = h.recordCount;
  if (discardRecords && !retainEmpty) return { bytes: null, recordsRead: read, recordsKept: 0, horizon: undefined };

  let records: RawRecord[] = [];
  let kept: RawRecord[] = [];
  let tombstones = false;
  if (!discardRecords) {
    records = decodeRecords(b);
    if (control) kept = records;
    else {
      const retainDeletes = horizon === undefined || ctx.now < horizon;
      const latest = ctx.map.latestOffset;
      for (const r of records) {
        const offset = h.baseOffset + r.record.offsetDelta;
        let keep: boolean;
        if (offset > latest) keep = true;
        else if (r.record.key === null) keep = false;
        else keep = offset >= ctx.map.get(r.record.key) && (r.record.value !== null || retainDeletes);
        if (keep) {
          kept.push(r);
          if (r.record.value === null) tombstones = true;
        }
      }
    }
  }
  if (kept.length === 0) {
    return { bytes: retainEmpty ? emptyBatch(h) : null, recordsRead: read, recordsKept: 0, horizon: undefined };
  }
  const needHorizon = (tombstones || markerForEmptyTxn) && horizon === undefined;
  const newHorizon = needHorizon ? ctx.now + ctx.deleteRetentionMs : horizon;
  const keepsDeletes = tombstones || markerForEmptyTxn;
  if (kept.length === records.length && !needHorizon) {
    return { bytes: b.bytes, recordsRead: read, recordsKept: kept.length, horizon: keepsDeletes ? newHorizon : undefined };
  }
  return { bytes: rebuild(h, kept, newHorizon), recordsRead: read, recordsKept: kept.length, horizon: keepsDeletes ? newHorizon : undefined };
}

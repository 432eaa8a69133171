// Builds uncompressed RecordBatch v2 buffers by hand for the storage tests (correct CRC32C).
import {
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  OFF,
  computeBatchCrc,
} from '../../../src/protocol/records/batch-header.js';

function zigzagVarint(n: number, out: number[]): void {
  let v = BigInt.asUintN(64, (BigInt(n) << 1n) ^ (BigInt(n) >> 63n));
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

export interface TestRecord {
  key?: Buffer | null;
  value: Buffer | null;
  /** Timestamp of the record (CreateTime). Default: the batch's baseTimestamp. */
  timestamp?: bigint;
}

export interface BatchSpec {
  records: TestRecord[];
  baseOffset?: number;
  baseTimestamp?: bigint;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  attributes?: number;
  partitionLeaderEpoch?: number;
}

export function buildBatch(spec: BatchSpec): Buffer {
  const baseTs = spec.baseTimestamp ?? 1_700_000_000_000n;
  const recs: Buffer[] = [];
  let maxTs = -1n;
  spec.records.forEach((r, i) => {
    const ts = r.timestamp ?? baseTs;
    if (ts > maxTs) maxTs = ts;
    const body: number[] = [0];
    zigzagVarint(Number(ts - baseTs), body);
    zigzagVarint(i, body);
    const key = r.key ?? null;
    const parts: Buffer[] = [];
    const pre: number[] = [];
    if (key === null) zigzagVarint(-1, pre);
    else zigzagVarint(key.length, pre);
    parts.push(Buffer.from(body), Buffer.from(pre));
    if (key) parts.push(key);
    const vl: number[] = [];
    zigzagVarint(r.value === null ? -1 : r.value.length, vl);
    parts.push(Buffer.from(vl));
    if (r.value) parts.push(r.value);
    parts.push(Buffer.from([0])); // no headers
    const rec = Buffer.concat(parts);
    const len: number[] = [];
    zigzagVarint(rec.length, len);
    recs.push(Buffer.from(len), rec);
  });
  const records = Buffer.concat(recs);
  const size = BATCH_HEADER_SIZE + records.length;
  const b = Buffer.alloc(size);
  b.writeBigInt64BE(BigInt(spec.baseOffset ?? 0), OFF.baseOffset);
  b.writeInt32BE(size - LOG_OVERHEAD, OFF.batchLength);
  b.writeInt32BE(spec.partitionLeaderEpoch ?? 0, OFF.partitionLeaderEpoch);
  b.writeInt8(2, OFF.magic);
  b.writeInt16BE(spec.attributes ?? 0, OFF.attributes);
  b.writeInt32BE(spec.records.length - 1, OFF.lastOffsetDelta);
  b.writeBigInt64BE(baseTs, OFF.baseTimestamp);
  b.writeBigInt64BE(spec.records.length ? maxTs : -1n, OFF.maxTimestamp);
  b.writeBigInt64BE(spec.producerId ?? -1n, OFF.producerId);
  b.writeInt16BE(spec.producerEpoch ?? -1, OFF.producerEpoch);
  b.writeInt32BE(spec.baseSequence ?? -1, OFF.baseSequence);
  b.writeInt32BE(spec.records.length, OFF.recordCount);
  records.copy(b, BATCH_HEADER_SIZE);
  b.writeUInt32BE(computeBatchCrc(b, 0, size), OFF.crc);
  return b;
}

/** A batch of `count` records whose values pad the batch to roughly `approxBytes`. */
export function sizedBatch(count: number, approxBytes: number, extra: Partial<BatchSpec> = {}): Buffer {
  const per = Math.max(0, Math.floor((approxBytes - BATCH_HEADER_SIZE) / Math.max(1, count)) - 8);
  const records: TestRecord[] = [];
  for (let i = 0; i < count; i++) records.push({ value: Buffer.alloc(per, 0x61 + (i % 26)) });
  return buildBatch({ records, ...extra });
}

export function valueBatch(values: string[], extra: Partial<BatchSpec> = {}): Buffer {
  return buildBatch({ records: values.map((v) => ({ value: Buffer.from(v) })), ...extra });
}

/** Walks a buffer of batches: [baseOffset, lastOffset, size] per batch. */
export function batchOffsets(buf: Buffer): Array<{ baseOffset: number; lastOffset: number; size: number }> {
  const out = [];
  let at = 0;
  while (at + BATCH_HEADER_SIZE <= buf.length) {
    const baseOffset = Number(buf.readBigInt64BE(at));
    const size = buf.readInt32BE(at + OFF.batchLength) + LOG_OVERHEAD;
    const lastOffset = baseOffset + buf.readInt32BE(at + OFF.lastOffsetDelta);
    out.push({ baseOffset, lastOffset, size });
    at += size;
  }
  return out;
}

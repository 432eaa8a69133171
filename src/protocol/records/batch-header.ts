import { crc32c } from "../primitives/crc32c.js";

/**
 * The fixed 61-byte header of a RecordBatch (magic 2), read and patched in place. The broker's hot
 * path works on this header only: it never decodes the records behind it.
 *
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 | crc uint32 |
 *   attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 |
 *   producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32 | records...
 *
 * batchLength counts the bytes after the batchLength field; the CRC32C covers attributes to the end.
 */
export const BATCH_HEADER_SIZE = 61;
/** baseOffset (8) + batchLength (4): the part of the header not counted in batchLength. */
export const LOG_OVERHEAD = 12;

export const OFF = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
} as const;

export const enum Compression {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE = 0x08; // 0 = CreateTime, 1 = LogAppendTime
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;
export const ATTR_DELETE_HORIZON = 0x40;

export const NO_PRODUCER_ID = -1n;
export const NO_SEQUENCE = -1;

/** A parsed batch header. Offsets are JS numbers (exact up to 2^53); ids stay bigint. */
export interface BatchHeader {
  baseOffset: number;
  /** Bytes of the whole batch, header included (batchLength + LOG_OVERHEAD). */
  size: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export function readBatchHeader(buf: Buffer, at = 0): BatchHeader {
  return {
    baseOffset: Number(buf.readBigInt64BE(at + OFF.baseOffset)),
    size: buf.readInt32BE(at + OFF.batchLength) + LOG_OVERHEAD,
    partitionLeaderEpoch: buf.readInt32BE(at + OFF.partitionLeaderEpoch),
    magic: buf.readInt8(at + OFF.magic),
    crc: buf.readUint32BE(at + OFF.crc),
    attributes: buf.readInt16BE(at + OFF.attributes),
    lastOffsetDelta: buf.readInt32BE(at + OFF.lastOffsetDelta),
    baseTimestamp: buf.readBigInt64BE(at + OFF.baseTimestamp),
    maxTimestamp: buf.readBigInt64BE(at + OFF.maxTimestamp),
    producerId: buf.readBigInt64BE(at + OFF.producerId),
    producerEpoch: buf.readInt16BE(at + OFF.producerEpoch),
    baseSequence: buf.readInt32BE(at + OFF.baseSequence),
    recordCount: buf.readInt32BE(at + OFF.recordCount),
  };
}

export function lastOffsetOf(h: BatchHeader): number {
  return h.baseOffset + h.lastOffsetDelta;
}
export function compressionOf(attributes: number): Compression {
  return (attributes & ATTR_COMPRESSION_MASK) as Compression;
}
export function isTransactional(attributes: number): boolean {
  return (attributes & ATTR_TRANSACTIONAL) !== 0;
}
export function isControl(attributes: number): boolean {
  return (attributes & ATTR_CONTROL) !== 0;
}
export function isLogAppendTime(attributes: number): boolean {
  return (attributes & ATTR_TIMESTAMP_TYPE) !== 0;
}

/** The CRC32C the batch should carry: over attributes to the end of the batch. */
export function computeBatchCrc(buf: Buffer, at: number, size: number): number {
  return crc32c(buf.subarray(at + OFF.attributes, at + size));
}

/** True when the stored CRC matches the bytes. `size` is the whole batch (header included). */
export function batchCrcValid(buf: Buffer, at: number, size: number): boolean {
  return buf.readUint32BE(at + OFF.crc) === computeBatchCrc(buf, at, size);
}

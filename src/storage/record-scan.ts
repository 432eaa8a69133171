import { Reader } from '../protocol/primitives/reader.js';
import { decompress as recordsDecompress } from '../protocol/records/compression.js';
import {
  BATCH_HEADER_SIZE,
  compressionOf,
  isLogAppendTime,
  readBatchHeader,
} from '../protocol/records/batch-header.js';

/**
 * Decompresses a batch's records section. Defaults to the codecs of src/protocol/records; a
 * hook may replace it (a hook returning null-ish data is not allowed).
 */
export type Decompress = (compression: number, data: Buffer) => Buffer | Promise<Buffer>;

export interface RecordTimestamp {
  offset: number;
  timestamp: bigint;
}

/**
 * The (offset, timestamp) of each record in one batch: only ListOffsets by timestamp needs this,
 * never produce or fetch. Returns null when the batch cannot be decompressed (searched at batch
 * granularity then).
 */
export async function recordTimestamps(
  batch: Buffer,
  decompress: Decompress = (codec, data) => recordsDecompress(codec as Parameters<typeof recordsDecompress>[0], data),
): Promise<RecordTimestamp[] | null> {
  const h = readBatchHeader(batch, 0);
  const out: RecordTimestamp[] = [];
  if (isLogAppendTime(h.attributes)) {
    // Every record of a LogAppendTime batch carries the batch's maxTimestamp.
    for (let i = 0; i <= h.lastOffsetDelta; i++) out.push({ offset: h.baseOffset + i, timestamp: h.maxTimestamp });
    return out;
  }
  const codec = compressionOf(h.attributes);
  let data = batch.subarray(BATCH_HEADER_SIZE, h.size);
  try {
    if (codec !== 0) data = await decompress(codec, data);
    const r = new Reader(data);
    for (let i = 0; i < h.recordCount && r.remaining > 0; i++) {
      const len = r.readVarint();
      const end = r.pos + len;
      r.readInt8(); // attributes
      const tsDelta = r.readVarlong();
      const offDelta = r.readVarint();
      out.push({ offset: h.baseOffset + offDelta, timestamp: h.baseTimestamp + tsDelta });
      r.pos = end;
    }
  } catch {
    return null;
  }
  return out;
}

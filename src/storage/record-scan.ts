import { Reader } from '../protocol/primitives/reader.js';
import {
  BATCH_HEADER_SIZE,
  compressionOf,
  isLogAppendTime,
  readBatchHeader,
} from '../protocol/records/batch-header.js';

/**
 * Decompresses a batch's records section. Supplied by the broker (the codecs live in
 * src/protocol/records); without it, compressed batches are searched at batch granularity.
 */
export type Decompress = (compression: number, data: Buffer) => Buffer | Promise<Buffer>;

export interface RecordTimestamp {
  offset: number;
  timestamp: bigint;
}

/**
 * The (offset, timestamp) of each record in one batch: only ListOffsets by timestamp needs this,
 * never produce or fetch. Returns null when the batch is compressed and no codec was given.
 */
export async function recordTimestamps(batch: Buffer, decompress?: Decompress): Promise<RecordTimestamp[] | null> {
  const h = readBatchHeader(batch, 0);
  const out: RecordTimestamp[] = [];
  if (isLogAppendTime(h.attributes)) {
    // Every record of a LogAppendTime batch carries the batch's maxTimestamp.
    for (let i = 0; i <= h.lastOffsetDelta; i++) out.push({ offset: h.baseOffset + i, timestamp: h.maxTimestamp });
    return out;
  }
  const codec = compressionOf(h.attributes);
  let data = batch.subarray(BATCH_HEADER_SIZE, h.size);
  if (codec !== 0) {
    if (!decompress) return null;
    data = await decompress(codec, data);
  }
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
  return out;
}

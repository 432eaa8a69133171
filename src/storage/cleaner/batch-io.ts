/**
 * Reading a segment's .log file batch by batch for the cleaner (sequential chunks of
 * log.cleaner.io.buffer.size, grown for a larger batch), with each batch checked: a header that
 * does not fit or a CRC that does not match is a corrupt segment.
 */
import { open } from 'node:fs/promises';
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, OFF, batchCrcValid, isControl, readBatchHeader, type BatchHeader } from '../../protocol/records/batch-header.js';
import { readAt } from '../files.js';

export class CorruptSegmentError extends Error {
  constructor(
    readonly path: string,
    readonly position: number,
    reason: string,
  ) {
    super(`corrupt segment ${path} at position ${position}: ${reason}`);
    this.name = 'CorruptSegmentError';
  }
}

export interface ReadBatch {
  header: BatchHeader;
  /** The whole batch (a view into a chunk: copy to keep it). */
  bytes: Buffer;
  position: number;
}

/** Where a segment's batches must lie: offsets in [baseOffset, nextOffset). */
export interface SegmentBounds {
  baseOffset: number;
  nextOffset: number;
}

/**
 * The batches of `path` below byte `size`, in order. A batch whose offsets fall outside the
 * segment's bounds, or go backwards, is corruption too.
 */
export async function* readBatches(path: string, size: number, ioBufferSize: number, bounds: SegmentBounds, checkCrc = true): AsyncGenerator<ReadBatch> {
  let prevLast = bounds.baseOffset - 1;
  const fh = await open(path, 'r');
  try {
    let pos = 0;
    let chunkSize = Math.max(ioBufferSize, BATCH_HEADER_SIZE);
    while (pos < size) {
      const want = Math.min(chunkSize, size - pos);
      const chunk = await readAt(fh, pos, want);
      let at = 0;
      while (at + LOG_OVERHEAD <= chunk.length) {
        const len = chunk.readInt32BE(at + OFF.batchLength) + LOG_OVERHEAD;
        if (len < BATCH_HEADER_SIZE || pos + at + len > size) throw new CorruptSegmentError(path, pos + at, `batch length ${len}`);
        if (at + len > chunk.length) break;
        const header = readBatchHeader(chunk, at);
        if (header.magic !== 2) throw new CorruptSegmentError(path, pos + at, `magic ${header.magic}`);
        if (checkCrc && !batchCrcValid(chunk, at, len)) throw new CorruptSegmentError(path, pos + at, 'CRC mismatch');
        const last = header.baseOffset + header.lastOffsetDelta;
        if (header.baseOffset <= prevLast || header.lastOffsetDelta < 0 || last >= bounds.nextOffset || header.recordCount < 0) {
          throw new CorruptSegmentError(path, pos + at, `batch offsets ${header.baseOffset}..${last} out of order or outside [${bounds.baseOffset}, ${bounds.nextOffset})`);
        }
        prevLast = last;
        yield { header, bytes: chunk.subarray(at, at + len), position: pos + at };
        at += len;
      }
      if (at === 0) {
        if (chunk.length < want) throw new CorruptSegmentError(path, pos, 'short read');
        // A batch larger than the buffer: read it whole next time.
        chunkSize = Math.max(chunkSize * 2, chunk.readInt32BE(OFF.batchLength) + LOG_OVERHEAD);
        continue;
      }
      pos += at;
    }
  } finally {
    await fh.close();
  }
}

/** The control record type of a control batch (0 ABORT, 1 COMMIT), or undefined when it has none. */
export function controlTypeOf(b: ReadBatch): number | undefined {
  if (!isControl(b.header.attributes) || b.header.recordCount < 1) return undefined;
  // Control batches are never compressed: the first record's key is right after the header.
  // record: length varint | attributes int8 | timestampDelta varint | offsetDelta varint | keyLength varint | key
  let p = BATCH_HEADER_SIZE;
  const buf = b.bytes;
  const skipVarint = (): number => {
    let u = 0;
    let mul = 1;
    for (let i = 0; i < 10 && p < buf.length; i++) {
      const x = buf[p++]!;
      u += (x & 0x7f) * mul;
      if ((x & 0x80) === 0) return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      mul *= 128;
    }
    return -1;
  };
  skipVarint();
  p++;
  skipVarint();
  skipVarint();
  const keyLen = skipVarint();
  if (keyLen < 4 || p + 4 > buf.length) return undefined;
  return buf.readInt16BE(p + 2);
}

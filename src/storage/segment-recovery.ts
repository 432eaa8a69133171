/**
 * Kafka's LogSegment.recover, the scan: validates every batch of a .log file (header sanity, CRC,
 * offsets increasing and fitting the segment) and rebuilds the offset and time indexes on the way,
 * stopping at the first invalid batch. The segment truncates the file there.
 */
import type { FileHandle } from 'node:fs/promises';
import { BATCH_HEADER_SIZE, batchCrcValid, readBatchHeader, type BatchHeader } from '../protocol/records/batch-header.js';
import { readAt } from './files.js';
import type { OffsetIndex, TimeIndex } from './indexes.js';
import { RECOVER_CHUNK } from './segment-scan.js';

export interface RecoveryScanOptions {
  baseOffset: number;
  fileSize: number;
  indexIntervalBytes: number;
  /** Kafka's canConvertToRelativeOffset for this segment. */
  canHoldOffset: (offset: number) => boolean;
  /** Reset indexes the scan appends to. */
  offsetIndex: OffsetIndex;
  timeIndex: TimeIndex;
  /** Sees each valid batch (producer state). */
  onBatch?: ((h: BatchHeader) => void) | undefined;
}

export interface RecoveryScan {
  /** Bytes of valid batches from the start of the file. */
  valid: number;
  /** The offset after the last valid batch. */
  nextOffset: number;
  /** Position of the last index entry (0 if none). */
  lastIndexEntry: number;
  maxTimestamp: bigint;
  offsetOfMaxTimestamp: number;
  firstBatchTimestamp: bigint | undefined;
}

export async function scanForRecovery(fh: FileHandle, o: RecoveryScanOptions): Promise<RecoveryScan> {
  const fileSize = o.fileSize;
  let maxTimestamp = -1n;
  let offsetOfMaxTimestamp = o.baseOffset;
  let firstBatchTimestamp: bigint | undefined;
  let valid = 0;
  let lastIndexEntry = 0;
  let expectNext = o.baseOffset;
  let chunkStart = 0;
  let chunk: Buffer = Buffer.alloc(0);
  scan: while (valid + BATCH_HEADER_SIZE <= fileSize) {
    if (valid + BATCH_HEADER_SIZE > chunkStart + chunk.length) {
      chunkStart = valid;
      chunk = await readAt(fh, valid, Math.min(RECOVER_CHUNK, fileSize - valid));
    }
    let at = valid - chunkStart;
    const h = readBatchHeader(chunk, at);
    if (h.size < BATCH_HEADER_SIZE || valid + h.size > fileSize) break;
    let batchBuf: Buffer = chunk;
    if (at + h.size > chunk.length) {
      if (h.size > RECOVER_CHUNK) {
        batchBuf = await readAt(fh, valid, h.size);
        at = 0;
      } else {
        chunkStart = valid;
        chunk = await readAt(fh, valid, Math.min(RECOVER_CHUNK, fileSize - valid));
        batchBuf = chunk;
        at = 0;
      }
      if (batchBuf.length - at < h.size) break;
    }
    const last = h.baseOffset + h.lastOffsetDelta;
    if (h.magic !== 2 || h.lastOffsetDelta < 0 || h.baseOffset < expectNext || !o.canHoldOffset(last) || !batchCrcValid(batchBuf, at, h.size)) {
      break scan;
    }
    if (firstBatchTimestamp === undefined) firstBatchTimestamp = h.maxTimestamp;
    if (h.maxTimestamp > maxTimestamp) {
      maxTimestamp = h.maxTimestamp;
      offsetOfMaxTimestamp = last;
    }
    if (valid - lastIndexEntry > o.indexIntervalBytes) {
      o.offsetIndex.append(last, valid);
      o.timeIndex.maybeAppend(maxTimestamp, offsetOfMaxTimestamp);
      lastIndexEntry = valid;
    }
    valid += h.size;
    expectNext = last + 1;
    o.onBatch?.(h);
  }
  return { valid, nextOffset: expectNext, lastIndexEntry, maxTimestamp, offsetOfMaxTimestamp, firstBatchTimestamp };
}

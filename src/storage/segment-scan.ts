/**
 * Walking the batch headers of a segment's .log file (or of bytes read from it) without decoding
 * any record: finding the batch that holds an offset or a timestamp, replaying headers, and
 * measuring the whole batches of a read.
 */
import type { FileHandle } from 'node:fs/promises';
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, OFF, isControl, readBatchHeader, type BatchHeader } from '../protocol/records/batch-header.js';
import { readEndTxnMarker, type EndTxnMarker } from '../protocol/records/control.js';
import { readAt } from './files.js';

const SCAN_CHUNK = 64 * 1024;
/** Chunk size of the sequential header walks (scanHeaders, recovery). */
export const RECOVER_CHUNK = 1024 * 1024;

/** A batch located in the segment file. */
export interface BatchLocation {
  position: number;
  baseOffset: number;
  lastOffset: number;
  size: number;
}

/** Scratch buffers for findBatch's header scan (reused, so a lookup allocates nothing). */
const scanBuffers: Buffer[] = [];
function takeScanBuffer(): Buffer {
  return scanBuffers.pop() ?? Buffer.allocUnsafeSlow(SCAN_CHUNK);
}
function giveScanBuffer(b: Buffer): void {
  if (scanBuffers.length < 8) scanBuffers.push(b);
}

/** A batch's base offset as a number (offsets stay below 2^53). */
export function baseOffsetAt(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4);
}

/**
 * The first batch whose last offset >= `offset`, scanning headers forward from file position
 * `pos` (a batch start) below `limit`. Null when there is none, or at a corrupt length.
 */
export async function findBatch(fh: FileHandle, pos: number, limit: number, offset: number): Promise<BatchLocation | null> {
  const head = takeScanBuffer();
  try {
    while (pos + LOG_OVERHEAD <= limit) {
      const len = Math.min(SCAN_CHUNK, limit - pos);
      const chunk = await readAt(fh, pos, len, head.subarray(0, len));
      let at = 0;
      while (at + OFF.lastOffsetDelta + 4 <= chunk.length) {
        const baseOffset = baseOffsetAt(chunk, at);
        const size = chunk.readInt32BE(at + OFF.batchLength) + LOG_OVERHEAD;
        const lastOffset = baseOffset + chunk.readInt32BE(at + OFF.lastOffsetDelta);
        if (size < BATCH_HEADER_SIZE) return null; // corrupt; recovery would have cut it
        if (lastOffset >= offset) return { position: pos + at, baseOffset, lastOffset, size };
        at += size;
      }
      if (at === 0) return null;
      pos += at;
    }
    return null;
  } finally {
    giveScanBuffer(head);
  }
}

/**
 * The first batch from file position `pos` (below `limit`) with maxTimestamp >= ts and a last
 * offset >= startingOffset, with its bytes (Kafka's findOffsetByTimestamp, at batch level).
 */
export async function findBatchByTimestamp(
  fh: FileHandle,
  pos: number,
  limit: number,
  ts: bigint,
  startingOffset: number,
): Promise<{ header: BatchHeader; bytes: Buffer } | null> {
  while (pos + BATCH_HEADER_SIZE <= limit) {
    const hb = await readAt(fh, pos, BATCH_HEADER_SIZE);
    if (hb.length < BATCH_HEADER_SIZE) return null;
    const h = readBatchHeader(hb, 0);
    if (h.size < BATCH_HEADER_SIZE || pos + h.size > limit) return null;
    if (h.maxTimestamp >= ts && h.baseOffset + h.lastOffsetDelta >= startingOffset) {
      return { header: h, bytes: await readAt(fh, pos, h.size) };
    }
    pos += h.size;
  }
  return null;
}

/**
 * Walks batch headers from file position `pos` to `limit` (no CRC check), calling `onBatch` for
 * each whose last offset >= fromOffset; a control batch comes with its transaction marker (read
 * from its record), undefined when it has none that can be read.
 */
export async function scanHeaders(
  fh: FileHandle,
  pos: number,
  limit: number,
  fromOffset: number,
  onBatch: (h: BatchHeader, position: number, marker?: EndTxnMarker) => void,
): Promise<void> {
  while (pos + BATCH_HEADER_SIZE <= limit) {
    const len = Math.min(RECOVER_CHUNK, limit - pos);
    const chunk = await readAt(fh, pos, len);
    let at = 0;
    while (at + BATCH_HEADER_SIZE <= chunk.length) {
      const h = readBatchHeader(chunk, at);
      if (h.size < BATCH_HEADER_SIZE) return;
      if (h.baseOffset + h.lastOffsetDelta >= fromOffset) {
        if (isControl(h.attributes) && pos + at + h.size <= limit) {
          const bytes = at + h.size <= chunk.length ? chunk : await readAt(fh, pos + at, h.size);
          onBatch(h, pos + at, readEndTxnMarker(bytes, bytes === chunk ? at : 0));
        } else {
          onBatch(h, pos + at);
        }
      }
      at += h.size;
    }
    if (at === 0) return;
    pos += at;
  }
}

/** The offset after the last whole batch seen by the latest wholeBatchesLength call. */
let lastNextOffset = -1;

/** Length of the prefix of `data` made of whole batches (headers only, no decoding). */
export function wholeBatchesLength(data: Buffer): number {
  let at = 0;
  let next = -1;
  while (at + LOG_OVERHEAD <= data.length) {
    const size = data.readInt32BE(at + OFF.batchLength) + LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE || at + size > data.length) break;
    next = baseOffsetAt(data, at) + data.readInt32BE(at + OFF.lastOffsetDelta) + 1;
    at += size;
  }
  lastNextOffset = next;
  return at;
}

/** The offset after the whole batches the latest wholeBatchesLength call measured (-1: none). */
export function nextOffsetAfterWholeBatches(): number {
  return lastNextOffset;
}

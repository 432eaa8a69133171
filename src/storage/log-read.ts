/**
 * Reads of a partition's log: Fetch (bytes of whole batches from an offset) and ListOffsets (the
 * offset for a timestamp). They never wait on the writer queue: they work on the segment list as
 * it is when they start (the log replaces it, never mutates it).
 */
import { OffsetOutOfRangeError } from './errors.js';
import {
  EARLIEST_LOCAL_TIMESTAMP,
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
  type ReadOptions,
  type TimestampAndOffset,
} from './partition-log.js';
import { recordTimestamps, type Decompress } from './record-scan.js';
import type { LogSegment } from './segment.js';
import { segmentIndexOf } from './segment-lookup.js';

/** What a read needs of the log; the values are read live (the log may change during an await). */
export interface LogView {
  readonly segments: readonly LogSegment[];
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
}

const EMPTY = Buffer.alloc(0);

/** PartitionLog.read: raw bytes of whole batches from the batch holding fetchOffset. */
export async function readLog(log: LogView, fetchOffset: number, maxBytes: number, opts: ReadOptions = {}): Promise<Buffer> {
  const segs = log.segments;
  const leo = log.logEndOffset;
  if (fetchOffset < log.logStartOffset || fetchOffset > leo) throw new OffsetOutOfRangeError(fetchOffset, log.logStartOffset, leo);
  const maxOffset = Math.min(opts.maxOffset ?? log.highWatermark, leo);
  const minOne = opts.minOneMessage ?? true;
  if (fetchOffset >= maxOffset) return EMPTY;
  for (let i = segmentIndexOf(segs, fetchOffset); i < segs.length; i++) {
    const seg = segs[i]!;
    const segEnd = i < segs.length - 1 ? segs[i + 1]!.baseOffset : seg.nextOffset;
    let maxPosition = seg.size;
    if (maxOffset < segEnd) maxPosition = await seg.positionOf(maxOffset, maxPosition);
    try {
      const r = await seg.read(fetchOffset, maxBytes, maxPosition, minOne);
      if (r !== null) return r;
    } catch (e) {
      // The segment went away under the read: retention or DeleteRecords moved the start past it.
      if (fetchOffset < log.logStartOffset) throw new OffsetOutOfRangeError(fetchOffset, log.logStartOffset, log.logEndOffset);
      throw e;
    }
  }
  return EMPTY;
}

/** PartitionLog.offsetForTimestamp (ListOffsets), including KIP-734's MAX_TIMESTAMP. */
export async function offsetForTimestamp(log: LogView, ts: bigint, decompress: Decompress | undefined): Promise<TimestampAndOffset | null> {
  if (ts === LATEST_TIMESTAMP) return { offset: log.logEndOffset, timestamp: -1n };
  if (ts === EARLIEST_TIMESTAMP || ts === EARLIEST_LOCAL_TIMESTAMP) return { offset: log.logStartOffset, timestamp: -1n };
  const segs = log.segments;
  const lso = log.logStartOffset;
  if (ts === MAX_TIMESTAMP) {
    let best: LogSegment | undefined;
    for (const s of segs) if (!best || s.maxTimestampSoFar > best.maxTimestampSoFar) best = s;
    if (!best || best.maxTimestampSoFar < 0n) return null;
    const maxTs = best.maxTimestampSoFar;
    const found = await best.readBatchAt(best.offsetOfMaxTimestampSoFar);
    if (!found) return null;
    const recs = await recordTimestamps(found.bytes, decompress);
    const hit = recs?.find((r) => r.timestamp === maxTs);
    return { offset: hit ? hit.offset : found.header.baseOffset + found.header.lastOffsetDelta, timestamp: maxTs };
  }
  if (ts < 0n) return null;
  for (const s of segs) {
    if (s.maxTimestampSoFar < ts) continue;
    const found = await s.findBatchByTimestamp(ts, lso);
    if (!found) continue;
    const recs = await recordTimestamps(found.bytes, decompress);
    if (!recs) return { offset: Math.max(found.header.baseOffset, lso), timestamp: found.header.maxTimestamp };
    const hit = recs.find((r) => r.timestamp >= ts && r.offset >= lso);
    if (hit) return { offset: hit.offset, timestamp: hit.timestamp };
  }
  return null;
}

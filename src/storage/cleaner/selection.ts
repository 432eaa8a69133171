/**
 * Which log the cleaner takes next (Kafka's LogCleanerManager.grabFilthiestCompactedLog): for each
 * compacted log, the dirty section runs from the checkpointed offset to the first uncleanable one
 * (the active segment, the last stable offset, min.compaction.lag.ms); the log is cleanable when
 * the dirty bytes' share exceeds min.cleanable.dirty.ratio, or a dirty record is older than
 * max.compaction.lag.ms, or (Tributary's addition) a kept tombstone's delete horizon has passed.
 */
import type { Log } from '../log.js';

export interface LogToClean {
  log: Log;
  firstDirtyOffset: number;
  firstUncleanableOffset: number;
  cleanBytes: number;
  cleanableBytes: number;
  ratio: number;
  needNow: boolean;
  /** The checkpointed offset was out of the log's range and was reset. */
  resetCheckpoint: boolean;
}

/** Kafka's cleanableOffsets. */
export async function cleanableOffsets(log: Log, checkpointed: number | undefined, now: number): Promise<{ firstDirty: number; firstUncleanable: number; reset: boolean }> {
  const lso = log.logStartOffset;
  let firstDirty = checkpointed ?? lso;
  let reset = false;
  if (firstDirty < lso || firstDirty > log.logEndOffset) {
    reset = checkpointed !== undefined;
    firstDirty = lso;
  }
  const segs = log.segments;
  const active = segs[segs.length - 1]!;
  let firstUncleanable = Math.min(log.lastStableOffset, active.baseOffset);
  const lag = Math.max(log.config.minCompactionLagMs, 0);
  if (lag > 0) {
    for (let i = 0; i < segs.length - 1; i++) {
      const s = segs[i]!;
      if (segs[i + 1]!.baseOffset <= firstDirty) continue;
      if ((await s.largestTimestamp()) > now - lag) {
        firstUncleanable = Math.min(firstUncleanable, s.baseOffset);
        break;
      }
    }
  }
  return { firstDirty, firstUncleanable: Math.max(firstDirty, firstUncleanable), reset };
}

/** Kafka's maxCompactionDelay > 0: the earliest dirty batch is older than max.compaction.lag.ms. */
async function needsCompactionNow(log: Log, firstDirty: number, now: number): Promise<boolean> {
  const lag = log.config.maxCompactionLagMs;
  if (lag >= Number.MAX_SAFE_INTEGER) return false;
  const segs = log.segments;
  for (let i = 0; i < segs.length - 1; i++) {
    const s = segs[i]!;
    if (segs[i + 1]!.baseOffset <= firstDirty) continue;
    await s.loadFirstBatchTimestamp();
    const ts = s.firstBatchTimestamp;
    if (ts !== undefined && ts > 0n && Number(ts) < now - Math.max(lag, 0)) return true;
  }
  return false;
}

export async function measure(log: Log, checkpointed: number | undefined, now: number): Promise<LogToClean> {
  const { firstDirty, firstUncleanable, reset } = await cleanableOffsets(log, checkpointed, now);
  const segs = log.segments;
  // Kafka's calculateCleanableBytes: up to the segment holding the first uncleanable offset.
  let uncleanableSeg = segs.length - 1;
  for (let i = 0; i < segs.length - 1; i++) {
    if (segs[i + 1]!.baseOffset > firstUncleanable) {
      uncleanableSeg = i;
      break;
    }
  }
  const uncleanableBase = segs[uncleanableSeg]!.baseOffset;
  let cleanBytes = 0;
  let cleanableBytes = 0;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (s.baseOffset < firstDirty) cleanBytes += s.size;
    if (i < uncleanableSeg && s.baseOffset >= Math.min(firstDirty, uncleanableBase) && s.baseOffset < uncleanableBase) cleanableBytes += s.size;
    else if (i < uncleanableSeg && s.baseOffset < firstDirty && segs[i + 1]!.baseOffset > firstDirty) {
      // The segment holding the first dirty offset counts as dirty (Kafka's logSegments(from, to)).
      cleanableBytes += s.size;
    }
  }
  const total = cleanBytes + cleanableBytes;
  return {
    log,
    firstDirtyOffset: firstDirty,
    firstUncleanableOffset: firstUncleanable,
    cleanBytes,
    cleanableBytes,
    ratio: total === 0 ? 0 : cleanableBytes / total,
    needNow: await needsCompactionNow(log, firstDirty, now),
    resetCheckpoint: reset,
  };
}

/**
 * Cutting a log back (Kafka's UnifiedLog.truncateTo / LocalLog.truncateTo), the segment part: a
 * follower drops what its new leader does not have before it fetches again. Truncation works on
 * whole batches: when the target falls inside a batch, that whole batch goes, so the log may end
 * below the target. Log.truncateTo runs it in the writer queue and then fixes the rest of the
 * log's state (end offsets, producer state, leader epochs).
 */
import type { LogSegment } from './segment.js';
import { segmentIndexOf } from './segment-lookup.js';

export type TruncationPlan =
  /** The log already ends at or below the target. */
  | { kind: 'none' }
  /** Nothing the log keeps would be readable: restart it empty at `offset`. */
  | { kind: 'restart'; offset: number }
  /** Keep segments[0..segment], cut that one so the log ends at `end` (<= the target). */
  | { kind: 'cut'; segment: number; end: number };

/**
 * What truncateTo(offset) does to a log. Below the log start offset it restarts there (Kafka's
 * truncateFullyAndStartAt); at or above it, the log keeps every batch wholly below the target. If
 * that left it ending below its start (the batch holding the log start offset, which
 * DeleteRecords may have put inside a batch, would go), the log restarts empty at its start.
 */
export async function planTruncation(segs: readonly LogSegment[], logStartOffset: number, logEndOffset: number, offset: number): Promise<TruncationPlan> {
  if (offset >= logEndOffset) return { kind: 'none' };
  if (offset < logStartOffset) return { kind: 'restart', offset };
  const segment = segmentIndexOf(segs, offset);
  const loc = await segs[segment]!.translateOffset(offset);
  const end = loc ? loc.baseOffset : offset;
  if (end < logStartOffset) return { kind: 'restart', offset: logStartOffset };
  return { kind: 'cut', segment, end };
}

/**
 * Applies a 'cut' plan: the later segments are handed to `retire` (renamed now, removed later),
 * the segment holding the target is truncated with its indexes and becomes the active one.
 * Returns the remaining segments.
 */
export async function cutSegments(
  segs: readonly LogSegment[],
  plan: Extract<TruncationPlan, { kind: 'cut' }>,
  offset: number,
  retire: (seg: LogSegment) => Promise<void>,
): Promise<LogSegment[]> {
  const kept = segs.slice(0, plan.segment + 1);
  for (const seg of segs.slice(plan.segment + 1)) await retire(seg);
  const end = await kept[kept.length - 1]!.truncateTo(offset);
  if (end !== plan.end) throw new Error(`truncation of segment ${kept[kept.length - 1]!.baseOffset} ended at ${end}, planned ${plan.end}`);
  return kept;
}

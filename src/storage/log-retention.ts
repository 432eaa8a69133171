/**
 * Which segments Kafka's retention (cleanup.policy=delete, UnifiedLog.deleteOldSegments) lets go:
 * the longest run of oldest segments a rule condemns, as long as all their records are below the
 * high watermark. Log.deleteOldSegments applies the rules in Kafka's order and deletes.
 */
import type { LogSegment } from './segment.js';

/** Condemns the i-th segment of the current list. */
export type RetentionRule = (s: LogSegment, i: number) => boolean;

/**
 * How many of the oldest segments may go under `doomed`: stops at the first one it spares, at one
 * holding offsets at or above the high watermark, and at an empty active segment.
 */
export function deletableLeadingSegments(segs: readonly LogSegment[], logEndOffset: number, highWatermark: number, doomed: RetentionRule): number {
  let n = 0;
  while (n < segs.length) {
    const s = segs[n]!;
    const last = n === segs.length - 1;
    const upper = last ? logEndOffset : segs[n + 1]!.baseOffset;
    if ((last && s.size === 0) || upper > highWatermark || !doomed(s, n)) break;
    n++;
  }
  return n;
}

/** retention.ms: a segment whose newest record (LogSegment.largestTimestamp) is older than it. */
export function byRetentionMs(largestTimestamps: readonly number[], now: number, retentionMs: number): RetentionRule {
  return (_s, i) => now - largestTimestamps[i]! > retentionMs;
}

/** retention.bytes: the oldest segments, as long as the log stays at or above it without them. */
export function byRetentionBytes(logSize: number, retentionBytes: number): RetentionRule {
  let excess = logSize - retentionBytes;
  return (s) => {
    if (excess - s.size < 0) return false;
    excess -= s.size;
    return true;
  };
}

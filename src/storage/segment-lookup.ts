import type { LogSegment } from './segment.js';

/** The index of the segment holding `offset`: the last one whose base offset is <= it (0 if none). */
export function segmentIndexOf(segs: readonly LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segs[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

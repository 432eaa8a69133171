/**
 * What the main thread hands the cleaner's worker, and what comes back: plain data (structured
 * clone), no open files or objects shared.
 */
import type { ProducerLast } from './batch-filter.js';

export interface SegmentRef {
  baseOffset: number;
  /** The .log file. */
  path: string;
  /** Committed bytes (nothing past them is read). */
  size: number;
  /** The next segment's base offset (unbounded for the last, active one). */
  nextOffset: number;
  /** Entries in its offset and time indexes (for grouping, as Kafka). */
  indexBytes: number;
  timeIndexBytes: number;
  /** The .log file's modification time (kept on the cleaned segment). */
  mtimeMs: number;
}

export interface CleanJob {
  dir: string;
  name: string;
  /** Every segment of the log, active one last (markers are looked for up to the end). */
  segments: SegmentRef[];
  firstDirtyOffset: number;
  /** First offset that may not be cleaned (active segment, last stable offset, min.compaction.lag.ms). */
  firstUncleanableOffset: number;
  now: number;
  deleteRetentionMs: number;
  segmentBytes: number;
  segmentIndexBytes: number;
  indexIntervalBytes: number;
  dedupeBufferSize: number;
  loadFactor: number;
  ioBufferSize: number;
  producers: Map<bigint, ProducerLast>;
}

export interface CleanedGroup {
  /** Base offsets of the segments it replaces, oldest first (the first is its own base). */
  replaces: number[];
  baseOffset: number;
  /** The .log.cleaned file and its indexes (.index.cleaned, .timeindex.cleaned, maybe .txnindex.cleaned). */
  files: string[];
}

export interface CleanStats {
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsKept: number;
  mapEntries: number;
  mapSlots: number;
  mapMemoryBytes: number;
  elapsedMs: number;
  mapElapsedMs: number;
}

export interface CleanResult {
  /** The new first dirty offset (what cleaner-offset-checkpoint records). */
  endOffset: number;
  groups: CleanedGroup[];
  stats: CleanStats;
  /** The earliest delete horizon of a kept tombstone or marker: cleaning again after it drops them. */
  nextHorizon: number | undefined;
}

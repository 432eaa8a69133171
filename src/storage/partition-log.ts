import type { LogConfig } from './config.js';
import type { ProducerStateEntry } from './producer-state.js';

/** ListOffsets special timestamps. */
export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;
export const MAX_TIMESTAMP = -3n;
export const EARLIEST_LOCAL_TIMESTAMP = -4n;

/** Who appends: a producer (checked), a replica fetcher or a coordinator (taken as they are). */
export type AppendOrigin = 'client' | 'replication' | 'coordinator';

export interface AppendOptions {
  /**
   * LogAppendTime to stamp on every batch (timestamp-type attribute bit + maxTimestamp, CRC
   * recomputed). Leave undefined for CreateTime topics.
   */
  logAppendTime?: bigint;
  /**
   * 'client' (default): idempotent-producer checks apply. 'replication' / 'coordinator': the
   * batches are taken as they are (no duplicate or sequence checks).
   */
  origin?: AppendOrigin;
}

export interface AppendResult {
  /** First offset assigned (for a duplicate: the original batch's first offset). */
  baseOffset: number;
  lastOffset: number;
  /** The LogAppendTime stamped, or -1n for CreateTime. */
  logAppendTime: bigint;
  logStartOffset: number;
  /** True when the batch duplicated one already in the log: nothing was appended. */
  duplicate: boolean;
}

export interface ReadOptions {
  /** Exclusive upper bound: the high watermark (default) or the last stable offset. */
  maxOffset?: number;
  /** Return the first batch whole even when larger than maxBytes (Kafka semantics; default true). */
  minOneMessage?: boolean;
}

export interface TimestampAndOffset {
  offset: number;
  /** -1n for EARLIEST/LATEST answers. */
  timestamp: bigint;
}

/** Notified after every append with the new log end offset. */
export type AppendListener = (logEndOffset: number) => void;

/**
 * The storage contract for one partition (DESIGN habit 6). `Log` implements it on disk; any other
 * engine must pass test/unit/storage-contract.test.ts.
 */
export interface PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  readonly logStartOffset: number;
  /** The next offset to be assigned. */
  readonly logEndOffset: number;
  /** On a single node: the log end offset. */
  readonly highWatermark: number;
  /** First offset of the earliest open transaction, else the high watermark. */
  readonly lastStableOffset: number;
  /** Everything below it is fsynced. */
  readonly recoveryPoint: number;
  /** Bytes in all segments. */
  readonly size: number;
  readonly numberOfSegments: number;
  readonly config: Readonly<LogConfig>;

  /**
   * Appends one or more complete, CRC-valid v2 batches (as the produce validator hands them over),
   * through the partition's single writer queue: assigns offsets by rewriting each base offset in
   * place, checks idempotent-producer sequences (duplicate -> the original offsets, nothing
   * appended), rolls segments, applies the flush policy. Rejects with a StorageError carrying the
   * Kafka error code.
   */
  append(records: Buffer, opts?: AppendOptions): Promise<AppendResult>;
  /**
   * Raw bytes of whole batches from the batch containing fetchOffset, at most maxBytes (the first
   * batch whole when minOneMessage), below opts.maxOffset. May stop at a segment end. Empty when
   * fetchOffset is the log end offset. OffsetOutOfRangeError outside [logStartOffset, logEndOffset].
   */
  read(fetchOffset: number, maxBytes: number, opts?: ReadOptions): Promise<Buffer>;
  /**
   * ListOffsets: ts >= 0 -> earliest offset whose timestamp >= ts; -1 latest; -2 earliest;
   * -3 the record with the largest timestamp (KIP-734); -4 earliest local. Null when none.
   */
  offsetForTimestamp(ts: bigint): Promise<TimestampAndOffset | null>;
  /** DeleteRecords: advances the log start offset (-1 = high watermark); returns the new one. */
  deleteRecordsBefore(offset: number): Promise<number>;
  /** fsyncs everything appended so far and advances the recovery point. */
  flush(): Promise<void>;
  /** Subscribes to appends; returns the unsubscribe function. */
  onAppend(listener: AppendListener): () => void;
  /** Resolves once logEndOffset > offset (or immediately), or when the signal aborts. */
  waitForAppend(offset: number, signal?: AbortSignal): Promise<void>;
  /** Idempotent-producer state (DescribeProducers, tests). */
  producers(): ProducerStateEntry[];
  updateConfig(overrides: Partial<LogConfig>): void;
  close(): Promise<void>;
}

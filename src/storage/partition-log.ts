import type { LogConfig } from './config.js';
import type { EpochEndOffset } from './leader-epoch-cache.js';
import type { ProducerStateEntry } from './producer-state.js';
import type { AbortedTxn } from './txn-index.js';

/** ListOffsets special timestamps. */
export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;
export const MAX_TIMESTAMP = -3n;
export const EARLIEST_LOCAL_TIMESTAMP = -4n;

/** Who appends on the leader: a producer (checked) or a coordinator (taken as it is). Followers use appendAsFollower. */
export type AppendOrigin = 'client' | 'coordinator';

export interface AppendOptions {
  /**
   * LogAppendTime to stamp on every batch (timestamp-type attribute bit + maxTimestamp, CRC
   * recomputed). Leave undefined for CreateTime topics.
   */
  logAppendTime?: bigint;
  /**
   * 'client' (default): idempotent-producer checks apply. 'coordinator': the batches are taken as
   * they are (no duplicate or sequence checks).
   */
  origin?: AppendOrigin;
  /**
   * The leader's epoch: stamped into every batch's partitionLeaderEpoch (outside the CRC) and
   * recorded in the leader epoch cache from the append's first offset. Undefined: the batches'
   * field is left as it is and the cache is not touched.
   */
  leaderEpoch?: number;
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

/** Notified when the high watermark moves forward, with its new value. */
export type HighWatermarkListener = (highWatermark: number) => void;

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
  /**
   * Offsets below it are committed (consumers see them). Not replicated: the log end offset.
   * Replicated: moved by setHighWatermark only; lowered only by truncation.
   */
  readonly highWatermark: number;
  /**
   * First offset of the earliest transaction that is open or whose marker is not below the high
   * watermark yet (at least the log start offset), else the high watermark; never above it.
   */
  readonly lastStableOffset: number;
  /** The latest leader epoch in the leader epoch cache, -1 when none. */
  readonly latestEpoch: number;
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
   * A follower's append: whole v2 batches as its leader wrote and assigned them, copied unchanged
   * (offsets, timestamps, partitionLeaderEpoch, producer fields), through the writer queue. The
   * first batch must start at the log end offset and each next one right after its predecessor
   * (else OffsetMismatchError); every batch must be CRC-valid (else CorruptRecordError); either
   * way nothing is appended. A partial trailing batch (as a Fetch response may end with) is left
   * out. Producer state and the leader epoch cache follow the batches without the idempotence
   * checks. Segments roll, the flush policy applies and append listeners hear of it as for
   * append(). No batches: nothing happens (baseOffset = the log end, lastOffset = baseOffset - 1).
   */
  appendAsFollower(records: Buffer): Promise<AppendResult>;
  /**
   * Raw bytes of whole batches from the batch containing fetchOffset, at most maxBytes (the first
   * batch whole when minOneMessage), below opts.maxOffset (default: the high watermark; a
   * follower's fetch passes the log end offset). May stop at a segment end. Empty when
   * fetchOffset is the log end offset. OffsetOutOfRangeError outside [logStartOffset, logEndOffset].
   */
  read(fetchOffset: number, maxBytes: number, opts?: ReadOptions): Promise<Buffer>;
  /**
   * ListOffsets: ts >= 0 -> earliest offset whose timestamp >= ts; -1 latest; -2 earliest;
   * -3 the record with the largest timestamp (KIP-734); -4 earliest local. Null when none.
   */
  offsetForTimestamp(ts: bigint): Promise<TimestampAndOffset | null>;
  /** DeleteRecords: advances the log start offset, never past the high watermark (-1 = the high watermark); returns the new one. */
  deleteRecordsBefore(offset: number): Promise<number>;
  /**
   * Cuts the log back so it ends at or below `offset`, through the writer queue; nothing when it
   * already ends there. Every batch reaching `offset` goes (one holding it entirely: the log may
   * end below `offset`); the log end offset, recovery point and high watermark come down to the
   * new end, producer state and leader epochs are rebuilt for it. Below the log start offset the
   * log restarts empty at `offset` (truncateFullyAndStartAt); at the log start offset it is left
   * empty there. Append listeners are not told.
   */
  truncateTo(offset: number): Promise<void>;
  /**
   * Throws everything away and restarts the log empty at `offset` (log start = log end = high
   * watermark = offset; no leader epochs), through the writer queue: for a follower whose leader
   * starts past the follower's end.
   */
  truncateFullyAndStartAt(offset: number): Promise<void>;
  /** fsyncs everything appended so far and advances the recovery point. */
  flush(): Promise<void>;
  /** Subscribes to appends; returns the unsubscribe function. */
  onAppend(listener: AppendListener): () => void;
  /** Resolves once logEndOffset > offset (or immediately), or when the signal aborts or the log closes. */
  waitForAppend(offset: number, signal?: AbortSignal): Promise<void>;
  /**
   * Replicated: raises the high watermark to `offset`, clamped to [logStartOffset, logEndOffset];
   * a lower value is ignored. Not replicated the high watermark already is the log end: nothing
   * changes.
   */
  setHighWatermark(offset: number): void;
  /** Subscribes to high watermark advances (on every append when not replicated); returns the unsubscribe function. */
  onHighWatermark(listener: HighWatermarkListener): () => void;
  /** Resolves once highWatermark > offset (or immediately), or when the signal aborts or the log closes. */
  waitForHighWatermark(offset: number, signal?: AbortSignal): Promise<void>;
  /** Subscribes to changes of the last stable offset (read_committed long polls); returns the unsubscribe function. */
  onLastStable(listener: HighWatermarkListener): () => void;
  /**
   * The aborted transactions overlapping [fetchOffset, upperBoundOffset), from the transaction
   * indexes (Kafka's collectAbortedTransactions): what a read_committed Fetch answers with.
   */
  abortedTransactions(fetchOffset: number, upperBoundOffset: number): AbortedTxn[];
  /**
   * OffsetsForLeaderEpoch: the largest epoch <= `epoch` this log knows and where it ends (the
   * start of the next epoch, or the log end offset for the latest); -1, -1 when unknown.
   */
  endOffsetForEpoch(epoch: number): EpochEndOffset;
  /** The leader epoch whose leader wrote `offset` (ListOffsets' leader_epoch), -1 when unknown. */
  epochForOffset(offset: number): number;
  /** Idempotent-producer state (DescribeProducers, tests). */
  producers(): ProducerStateEntry[];
  updateConfig(overrides: Partial<LogConfig>): void;
  close(): Promise<void>;
}

/**
 * What a run records: every write a producer attempted and how it ended, every record a consumer
 * saw (in poll order), and the final read of every partition to its end. Plain data, so the
 * checker is a pure function of it and a history can be written to disk and checked again.
 */

/**
 * How a write ended. `ok`: acknowledged, at `partition`/`offset`. `info`: indeterminate (an error,
 * a timeout, or no answer by the end): it may or may not be in the log, so its absence is no loss
 * and its presence no anomaly.
 */
export type WriteOutcome = 'ok' | 'info';

export interface WriteOp {
  /** Unique across the run. */
  value: string;
  producer: string;
  /** The partition it was sent to. */
  partition: number;
  startMs: number;
  /** When the answer came; null when none came by the end of the run. */
  endMs: number | null;
  outcome: WriteOutcome;
  /** The acknowledged offset (outcome ok). */
  offset?: number;
  error?: string;
}

/** One record as a consumer saw it. */
export interface ReadOp {
  consumer: string;
  /**
   * Bumped whenever the consumer's positions may legitimately go back: it was created again at
   * positions it chose, it sought, or a group rebalance assigned it partitions. Offsets must rise
   * within one (consumer, session, partition).
   */
  session: number;
  partition: number;
  offset: number;
  value: string;
  atMs: number;
}

/** Something the nemesis did, for the report's timeline. */
export interface NemesisEvent {
  atMs: number;
  /** kill-leader, kill-controller, pause, resume, restart, isolate, heal, ... */
  op: string;
  node: number | null;
  detail: string;
}

export interface History {
  topic: string;
  partitions: number;
  /** The workload's window (producers write in it). */
  startMs: number;
  endMs: number;
  writes: WriteOp[];
  /** What the consumers saw during the run. */
  reads: ReadOp[];
  /** The final read, after healing: every partition from its start to its end. */
  finalReads: ReadOp[];
  /** Whether the final read reached every partition's end offset. */
  finalReadComplete: boolean;
  nemesis: NemesisEvent[];
  /** Errors the clients reported (counts by message), for the report. */
  clientErrors: Record<string, number>;
}

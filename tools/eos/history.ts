/**
 * What an exactly-once pipeline run records, as plain data so the checker is a pure function of it
 * and a history can be written to disk and checked again:
 * - the input producer's acknowledgements, and the input log as read at the end (its truth: an
 *   input record is identified by its position "partition:offset");
 * - the committed output as a read_committed consumer (the Java client) returns it;
 * - the raw output log: every data record read with read_uncommitted, with the fate the
 *   transaction markers give it;
 * - what the driver did (kills, restarts) for the report's timeline.
 */

/** An input record: its id (the record key, "in-n") at its position. */
export interface InputRecord {
  id: string;
  partition: number;
  offset: number;
}

/** An output record as a consumer returned it. The headers name its input and its transaction. */
export interface OutputRecord {
  partition: number;
  offset: number;
  /** The key: the input's id. */
  key: string | null;
  /** Header `in`: the input position "partition:offset" it was made from. */
  input: string | null;
  /** Header `txn`: "transactionalId@instance/n", the pipeline's transaction. */
  txn: string | null;
  /** Header `txn-size`: how many records that transaction wrote, over all partitions. */
  txnSize: number | null;
}

/**
 * What the markers say of a data record in the raw log. `committed`/`aborted`: a COMMIT/ABORT
 * marker of its producer follows it; `open`: a transactional record with no marker after it (yet);
 * `plain`: not transactional.
 */
export type Fate = 'committed' | 'aborted' | 'open' | 'plain';

export interface RawRecord extends OutputRecord {
  producerId: string;
  producerEpoch: number;
  fate: Fate;
}

/** Something the driver did, or saw, for the timeline. */
export interface EosEvent {
  atMs: number;
  /** kill-pipeline, kill-broker, restart-broker, pipeline-exit, ... */
  op: string;
  detail: string;
}

export interface EosHistory {
  inputTopic: string;
  outputTopic: string;
  startMs: number;
  endMs: number;
  /** Input records the input producer had acknowledged. */
  acked: InputRecord[];
  /** Input records whose send failed for good (they may or may not be in the log). */
  inputFailed: number;
  /** The input log, every partition to its end. */
  input: InputRecord[];
  /** The committed output (read_committed), every partition to its last stable offset. */
  committed: OutputRecord[];
  /** The raw output log (read_uncommitted), every partition to its high watermark. */
  raw: RawRecord[];
  /** Whether each read reached its end, and why not. */
  complete: { input: boolean; committed: boolean; raw: boolean };
  problems: string[];
  /** Per output partition: the end read_committed saw (the LSO) and the raw end (the HW). */
  ends: { committed: Record<string, number>; raw: Record<string, number> };
  /** Transactions the pipeline processes reported committed / aborted. */
  pipelineCommits: number;
  pipelineAborts: number;
  events: EosEvent[];
}

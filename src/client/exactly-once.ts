/**
 * Consume-transform-produce, exactly once: the loop a Node user would otherwise write by hand
 * around a read_committed group consumer and a transactional producer.
 *
 * Each poll batch is one transaction: the user's `transform` turns every input record into zero or
 * more output records, they are sent, the input positions (the offset after each partition's last
 * record) go into the same transaction with sendOffsetsToTransaction(groupMetadata()), and it
 * commits. So an input record's outputs and its committed offset become visible together, or not
 * at all.
 *
 * - Rebalances: the consumer gives partitions up only inside poll() (the eager protocol), and the
 *   loop never polls with a transaction open, so a partition is revoked only once the transaction
 *   that read it committed or aborted. The next owner reads the group's committed offsets with
 *   requireStable (KIP-447): offsets still in an open transaction make it wait for the end.
 * - A member that missed a rebalance is fenced by the group (TxnOffsetCommit answers
 *   ILLEGAL_GENERATION or UNKNOWN_MEMBER_ID): an abortable error. So are a record that could not be
 *   written and TRANSACTION_ABORTABLE. Then the transaction is aborted and the batch's partitions
 *   are sought back to where the batch began, which is the offset the last committed transaction
 *   left (the next poll rejoins the group if it has to, and reads them again).
 * - An error of `transform` aborts the same way, then stops the loop with that error.
 * - Fatal errors (ProducerFencedError: another instance took the transactional id over; a
 *   TransactionFatalError) stop the loop with the error; the producer cannot go on.
 */
import type { Consumer, ConsumerRecord } from './consumer.js';
import { IllegalStateError, TransactionFatalError } from './errors.js';
import type { OutgoingRecord, Producer } from './producer.js';

/** An output record: the topic it goes to, and the producer's record fields. */
export interface OutputRecord extends OutgoingRecord {
  topic: string;
}

export interface ExactlyOnceOptions {
  /** A consumer with groupId, isolationLevel 'read_committed' and autoCommit false (the helper subscribes it). */
  consumer: Consumer;
  /** A producer with transactionalId; initTransactions() is called if it was not yet. */
  producer: Producer;
  inputTopics: readonly string[];
  /** An input record's outputs (none, one or several; may be async). */
  transform: (record: ConsumerRecord) => OutputRecord | readonly OutputRecord[] | null | Promise<OutputRecord | readonly OutputRecord[] | null>;
  /** Stops the loop after the transaction under way. */
  signal?: AbortSignal;
  /** After each committed transaction. */
  onCommit?: (batch: { records: number; outputs: number }) => void;
  /** After each aborted transaction, with the error that aborted it. */
  onAbort?: (err: unknown) => void;
  /** Aborted transactions in a row before the loop gives up with the last error. Default 10. */
  maxConsecutiveAborts?: number;
}

export interface ExactlyOnceSummary {
  transactions: number;
  records: number;
  outputs: number;
  aborts: number;
}

/** The user's transform failed: the transaction was aborted, the loop stopped. `cause` is the user's error. */
export class TransformError extends Error {
  override readonly name = 'TransformError';
  constructor(
    readonly record: ConsumerRecord,
    options: { cause: unknown },
  ) {
    super(`transform failed on ${record.topic}-${record.partition} offset ${record.offset}: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`, options);
  }
}

/** Runs the loop until `signal` aborts (resolves with what it did) or a fatal error (rejects). */
export async function runExactlyOnce(opts: ExactlyOnceOptions): Promise<ExactlyOnceSummary> {
  const { consumer, producer } = opts;
  if (consumer.isolationLevel !== 'read_committed') throw new IllegalStateError('runExactlyOnce needs a consumer with isolationLevel read_committed');
  if (consumer.autoCommitEnabled) throw new IllegalStateError('runExactlyOnce needs a consumer with autoCommit false (offsets are committed in the transactions)');
  if (producer.transactionState === null) throw new IllegalStateError('runExactlyOnce needs a producer with a transactionalId');
  if (producer.transactionState === 'uninitialized') await producer.initTransactions();
  consumer.subscribe(opts.inputTopics);
  const maxAborts = opts.maxConsecutiveAborts ?? 10;
  const summary: ExactlyOnceSummary = { transactions: 0, records: 0, outputs: 0, aborts: 0 };
  let abortsInRow = 0;
  while (!opts.signal?.aborted) {
    const records = await consumer.poll();
    if (records.length === 0) continue;
    // Where each partition's part of the batch begins and ends.
    const first = new Map<string, ConsumerRecord>();
    const next = new Map<string, { topic: string; partition: number; offset: bigint }>();
    for (const r of records) {
      const k = `${r.topic}\u0000${r.partition}`;
      if (!first.has(k)) first.set(k, r);
      next.set(k, { topic: r.topic, partition: r.partition, offset: r.offset + 1n });
    }
    producer.beginTransaction();
    let outputs = 0;
    try {
      const sends: Array<Promise<unknown>> = [];
      for (const r of records) {
        let out;
        try {
          out = await opts.transform(r);
        } catch (err) {
          throw new TransformError(r, { cause: err });
        }
        const list: readonly OutputRecord[] = out === null ? [] : Array.isArray(out) ? (out as readonly OutputRecord[]) : [out as OutputRecord];
        // Each send settles to its error or null, so none is left unhandled when a later transform throws.
        for (const { topic, ...rec } of list) sends.push(producer.send(topic, rec).then(() => null, (e: unknown) => e ?? new Error('send failed')));
        outputs += list.length;
      }
      const failed = (await Promise.all(sends)).find((e) => e !== null);
      if (failed !== undefined) throw failed;
      await producer.sendOffsetsToTransaction([...next.values()], consumer.groupMetadata());
      await producer.commitTransaction();
    } catch (err) {
      if (err instanceof TransactionFatalError) throw err;
      await producer.abortTransaction(); // a fatal error here (fenced meanwhile) ends the loop
      summary.aborts++;
      abortsInRow++;
      for (const r of first.values()) {
        if (consumer.position(r.topic, r.partition) !== undefined) await consumer.seek(r.topic, r.partition, r.offset);
      }
      opts.onAbort?.(err);
      if (err instanceof TransformError || abortsInRow >= maxAborts) throw err;
      continue;
    }
    abortsInRow = 0;
    summary.transactions++;
    summary.records += records.length;
    summary.outputs += outputs;
    opts.onCommit?.({ records: records.length, outputs });
  }
  return summary;
}

/**
 * Marker delivery (Kafka's TransactionMarkerChannelManager and its completion handler): once a
 * PrepareCommit/PrepareAbort record is stored, a COMMIT/ABORT marker goes to every partition of
 * the transaction; each partition written leaves the transaction's in-memory partition set (so
 * DescribeTransactions shows those still waiting). Partitions that failed with a retriable error
 * (no leader yet, not enough replicas, a timeout) are tried again after a pause until every one is
 * written; then CompleteCommit/CompleteAbort is stored. INVALID_PRODUCER_EPOCH or
 * TRANSACTION_COORDINATOR_FENCED means a newer producer or coordinator owns the partition: the
 * delivery stops, as Kafka's does. The delivery also stops when the shard is unloaded (the next
 * coordinator resumes it from the Prepare record).
 *
 * How a marker reaches a partition is the MarkerWriter's business (txn-marker-writer.ts: locally,
 * through the group coordinator for __consumer_offsets, or WriteTxnMarkers to the leader).
 */
import { ErrorCode, errorInfo } from '../../protocol/errors.js';
import type { Clock } from './clock.js';
import type { Logger } from '../logger.js';
import { tpKey, type TopicPartition, type TxnMetadata } from './txn-metadata.js';
import type { TxnShard } from './txn-shard.js';

export interface TxnMarker {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  commit: boolean;
  /** The transaction version of the transaction (WriteTxnMarkers v2's TransactionVersion). */
  transactionVersion: number;
}

export interface MarkerWriter {
  /** Writes the marker to each partition; the error of each (NONE when written). Never rejects. */
  write(marker: TxnMarker, partitions: readonly TopicPartition[]): Promise<Array<{ tp: TopicPartition; errorCode: number }>>;
}

/** Errors after which the partition counts as done (the producer could not have written there). */
const SKIPPED: ReadonlySet<number> = new Set([ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, ErrorCode.UNSUPPORTED_VERSION]);
/** Errors after which the whole delivery stops. */
const FENCED: ReadonlySet<number> = new Set([ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.TRANSACTION_COORDINATOR_FENCED]);

export interface MarkerDeliveryOptions {
  writer: MarkerWriter;
  clock: Clock;
  log: Logger | undefined;
  retryBackoffMs: number;
  /** Stores the Complete record; resolves to the error code (NONE once stored). */
  complete(shard: TxnShard, transactionalId: string, marker: TxnMarker): Promise<number>;
}

export class MarkerDelivery {
  /** Deliveries running, by shard partition and transactional id. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly opts: MarkerDeliveryOptions) {}

  get size(): number {
    return this.running.size;
  }

  /** Resolves once every delivery running now has ended (tests). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  /** Starts writing the markers of `m` (in PrepareCommit/PrepareAbort); a second start of the same is ignored. */
  start(shard: TxnShard, m: TxnMetadata): void {
    const key = `${shard.ctx.partition}\u0000${m.transactionalId}`;
    if (this.running.has(key)) return;
    const marker: TxnMarker = {
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      coordinatorEpoch: shard.coordinatorEpoch,
      commit: m.state === 'PrepareCommit',
      transactionVersion: m.clientTransactionVersion,
    };
    const run = this.deliver(shard, m.transactionalId, marker).catch((err: unknown) => {
      this.opts.log?.error({ err, transactionalId: m.transactionalId }, 'transaction marker delivery failed');
    });
    this.running.set(key, run);
    void run.finally(() => {
      if (this.running.get(key) === run) this.running.delete(key);
    });
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => this.opts.clock.setTimeout(resolve, this.opts.retryBackoffMs));
  }

  /** The transaction as the delivery started it, or undefined once it is not (moved on, unloaded). */
  private current(shard: TxnShard, id: string, marker: TxnMarker): TxnMetadata | undefined {
    if (!shard.active) return undefined;
    const m = shard.txns.get(id);
    if (!m || (m.state !== 'PrepareCommit' && m.state !== 'PrepareAbort')) return undefined;
    if (m.producerId !== marker.producerId || m.producerEpoch !== marker.producerEpoch) return undefined;
    return m;
  }

  private async deliver(shard: TxnShard, id: string, marker: TxnMarker): Promise<void> {
    for (;;) {
      const m = this.current(shard, id, marker);
      if (!m) return;
      if (m.partitions.length === 0) break;
      const results = await this.opts.writer.write(marker, m.partitions);
      const now = this.current(shard, id, marker);
      if (!now) return;
      const done = new Set<string>();
      for (const { tp, errorCode } of results) {
        if (errorCode === ErrorCode.NONE || SKIPPED.has(errorCode)) {
          done.add(tpKey(tp));
        } else if (FENCED.has(errorCode)) {
          this.opts.log?.info({ transactionalId: id, topic: tp.topic, partition: tp.partition, error: errorInfo(errorCode).name }, 'transaction marker refused; no more markers are sent for this transaction');
          return;
        }
      }
      now.partitions = now.partitions.filter((tp) => !done.has(tpKey(tp)));
      if (now.partitions.length === 0) break;
      const failed = results.filter((r) => !done.has(tpKey(r.tp))).map((r) => `${r.tp.topic}-${r.tp.partition}: ${errorInfo(r.errorCode).name}`);
      this.opts.log?.debug({ transactionalId: id, failed }, 'transaction markers to retry');
      await this.sleep();
    }
    // Every marker is written: store CompleteCommit/CompleteAbort (retrying while the coordinator cannot write).
    for (;;) {
      if (!this.current(shard, id, marker)) return;
      const code = await this.opts.complete(shard, id, marker);
      if (code === ErrorCode.NONE || code === ErrorCode.NOT_COORDINATOR) return;
      await this.sleep();
    }
  }
}

/**
 * One partition of __transaction_state as the transaction coordinator holds it (Kafka's
 * TransactionStateManager, per partition): the metadata of every transactional id that hashes to
 * the partition, the coordinator epoch (the partition's leader epoch when it was loaded), and
 * `replay`, the one function from a stored record to that state (after each write and while
 * loading). Once loaded, transactions caught between PrepareCommit/PrepareAbort and their markers
 * resume delivery, and the two scans start: timed-out transactions are aborted, idle ids expire.
 */
import { decodeTransactionLogKey, decodeTransactionLogValue } from '../../protocol/transaction-log.js';
import type { CoordinatorShard, ShardContext } from './runtime.js';
import type { StoredRecord } from './storage.js';
import type { TxnCoordinatorConfig } from './txn-config.js';
import { fromLogValue, type TxnMetadata } from './txn-metadata.js';

/** What a shard needs of its coordinator. */
export interface TxnShardEnv {
  cfg: TxnCoordinatorConfig;
  /** The coordinator epoch of a partition being loaded (its leader epoch; 0 on a single node). */
  coordinatorEpoch(partition: number): number;
  /** A loaded transaction in PrepareCommit/PrepareAbort: write its markers, then complete it. */
  resumeMarkers(shard: TxnShard, m: TxnMetadata): void;
  /** The scans' writes (they live in the coordinator, beside the other operations). */
  abortTimedOut(shard: TxnShard): void;
  expireIds(shard: TxnShard): void;
}

const ABORT_TIMER = 'transaction-abort';
const EXPIRE_TIMER = 'transactional-id-expiration';

export class TxnShard implements CoordinatorShard {
  readonly txns = new Map<string, TxnMetadata>();
  readonly coordinatorEpoch: number;
  /** False once the partition has been unloaded: marker deliveries of this shard stop. */
  active = true;
  unreadable = 0;

  constructor(
    readonly ctx: ShardContext,
    readonly env: TxnShardEnv,
  ) {
    this.coordinatorEpoch = env.coordinatorEpoch(ctx.partition);
  }

  replay(record: StoredRecord): void {
    try {
      const key = decodeTransactionLogKey(record.key);
      if (key.type !== 'transaction') return;
      if (record.value === null) {
        this.txns.delete(key.transactionalId);
        return;
      }
      const m = fromLogValue(key.transactionalId, decodeTransactionLogValue(record.value).value);
      this.txns.set(key.transactionalId, m);
    } catch {
      this.unreadable++;
    }
  }

  onLoaded(): void {
    if (this.unreadable > 0) this.ctx.log?.warn({ partition: this.ctx.partition, bad: this.unreadable }, 'skipped unreadable records in __transaction_state');
    for (const m of this.txns.values()) {
      if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort') this.env.resumeMarkers(this, m);
    }
    this.scheduleAbortScan();
    this.scheduleExpireScan();
  }

  onUnloaded(): void {
    this.active = false;
  }

  private scheduleAbortScan(): void {
    this.ctx.schedule(ABORT_TIMER, this.env.cfg.abortTimedOutTransactionsIntervalMs, ABORT_TIMER, () => {
      this.scheduleAbortScan();
      this.env.abortTimedOut(this);
      return { records: [], response: undefined };
    });
  }

  private scheduleExpireScan(): void {
    this.ctx.schedule(EXPIRE_TIMER, this.env.cfg.removeExpiredTransactionalIdsIntervalMs, EXPIRE_TIMER, () => {
      this.scheduleExpireScan();
      this.env.expireIds(this);
      return { records: [], response: undefined };
    });
  }

  /** Transactions open longer than their timeout (Kafka's timedOutTransactions). */
  timedOut(now: number): TxnMetadata[] {
    return [...this.txns.values()].filter((m) => m.state === 'Ongoing' && m.txnStartTimestamp + m.txnTimeoutMs < now);
  }
}

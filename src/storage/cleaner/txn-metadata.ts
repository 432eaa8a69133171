/**
 * What the cleaner knows of transactions while it walks a log in offset order (the rules of
 * Kafka's CleanedTransactionMetadata): which data batches belong to aborted transactions (they
 * go), and when a transaction marker may go (once no batch of its transaction is left).
 */
import { CONTROL_ABORT, CONTROL_COMMIT } from '../../protocol/records/batch.js';
import { isTransactional, type BatchHeader } from '../../protocol/records/batch-header.js';

/** An aborted transaction (what a .txnindex entry holds). */
export interface AbortedTxn {
  producerId: bigint;
  firstOffset: number;
  /** The offset of its abort marker. */
  lastOffset: number;
  /** The last stable offset when it was aborted (what Kafka's .txnindex entry carries). */
  lastStableOffset: number;
}

/**
 * Finds the aborted transactions of a log from its batches, in offset order: a producer's
 * transaction runs from its first transactional data batch after its previous marker to its next
 * marker. Fed by the cleaner's first pass; works whether or not a .txnindex exists.
 */
export class AbortedTxnCollector {
  private readonly open = new Map<bigint, number>();
  readonly aborted: AbortedTxn[] = [];

  onBatch(h: BatchHeader, controlType: number | undefined): void {
    if (!isTransactional(h.attributes) || h.producerId < 0n) return;
    if (controlType === undefined) {
      if (!this.open.has(h.producerId)) this.open.set(h.producerId, h.baseOffset);
      return;
    }
    const first = this.open.get(h.producerId);
    this.open.delete(h.producerId);
    if (controlType === CONTROL_ABORT && first !== undefined) {
      this.aborted.push({ producerId: h.producerId, firstOffset: first, lastOffset: h.baseOffset + h.lastOffsetDelta, lastStableOffset: first });
    }
  }
}

interface OngoingAborted {
  txn: AbortedTxn;
  /** Set once a batch of the transaction was seen in this pass (it is being removed now). */
  observed: boolean;
}

export class CleanedTransactionMetadata {
  private readonly pending: AbortedTxn[];
  private next = 0;
  private readonly ongoingCommitted = new Set<bigint>();
  private readonly ongoingAborted = new Map<bigint, OngoingAborted>();
  /** Aborted transactions whose markers stay in the segment being written (its .txnindex). */
  retainedAborted: AbortedTxn[] = [];

  constructor(aborted: readonly AbortedTxn[]) {
    this.pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  }

  private consumeUpTo(offset: number): void {
    while (this.next < this.pending.length && this.pending[this.next]!.firstOffset <= offset) {
      const txn = this.pending[this.next++]!;
      this.ongoingAborted.set(txn.producerId, { txn, observed: false });
    }
  }

  /** A data batch: true when it belongs to an aborted transaction (its records go). */
  onBatchRead(h: BatchHeader): boolean {
    const last = h.baseOffset + h.lastOffsetDelta;
    this.consumeUpTo(last);
    if (!isTransactional(h.attributes)) return false;
    const ab = this.ongoingAborted.get(h.producerId);
    if (ab) {
      ab.observed = true;
      return true;
    }
    this.ongoingCommitted.add(h.producerId);
    return false;
  }

  /** A control batch: true when its marker may go (no batch of its transaction was left to read). */
  onControlBatchRead(h: BatchHeader, controlType: number | undefined): boolean {
    this.consumeUpTo(h.baseOffset + h.lastOffsetDelta);
    if (controlType === CONTROL_ABORT) {
      const ab = this.ongoingAborted.get(h.producerId);
      this.ongoingAborted.delete(h.producerId);
      if (ab && ab.observed) {
        this.retainedAborted.push(ab.txn);
        return false;
      }
      return true;
    }
    if (controlType === CONTROL_COMMIT) return !this.ongoingCommitted.delete(h.producerId);
    return false;
  }
}

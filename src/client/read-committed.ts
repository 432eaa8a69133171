/**
 * What a read_committed consumer keeps of a fetched partition, as Kafka's consumer decides it
 * (CompletedFetch): the Fetch response lists the aborted transactions that overlap the returned
 * range, each as (producer id, first offset). Going through the batches in offset order,
 *  - every aborted transaction whose first offset is at or below the batch's last offset becomes
 *    "open and aborted" for its producer;
 *  - a control batch with an ABORT marker of such a producer closes it (the marker ends the
 *    transaction; the producer's later batches belong to a later transaction);
 *  - a transactional data batch of a producer with an open aborted transaction is dropped.
 * Control batches themselves are never records.
 */
import { CONTROL_ABORT, isControl, isTransactional, parseControlRecordKey, type BatchHeader } from '../protocol/records/index.js';

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

export class AbortedTransactionFilter {
  /** Sorted by first offset, consumed from the front. */
  private readonly pending: AbortedTransaction[];
  private readonly aborted = new Set<bigint>();

  constructor(abortedTransactions: readonly AbortedTransaction[] | null) {
    this.pending = [...(abortedTransactions ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  }

  /**
   * Whether the records of this batch are to be returned (call for every batch, in offset order;
   * control batches return false). `firstKey` is the key of the batch's first record, which for a
   * control batch says ABORT or COMMIT.
   */
  keep(h: BatchHeader, firstKey: Buffer | null): boolean {
    const last = BigInt(h.baseOffset) + BigInt(h.lastOffsetDelta);
    if (h.producerId >= 0n) {
      while (this.pending.length > 0 && this.pending[0]!.firstOffset <= last) this.aborted.add(this.pending.shift()!.producerId);
    }
    if (isControl(h.attributes)) {
      if (firstKey !== null && isAbortMarker(firstKey)) this.aborted.delete(h.producerId);
      return false;
    }
    return !(isTransactional(h.attributes) && this.aborted.has(h.producerId));
  }
}

function isAbortMarker(key: Buffer): boolean {
  try {
    return parseControlRecordKey(key).type === CONTROL_ABORT;
  } catch {
    return false; // not a transaction marker
  }
}

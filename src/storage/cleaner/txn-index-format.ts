/**
 * Kafka's .txnindex entries (TransactionIndex / AbortedTxn), 34 bytes each:
 *   version int16 (0) | producerId int64 | firstOffset int64 | lastOffset int64 | lastStableOffset int64
 */
import type { AbortedTxn } from './txn-metadata.js';

export const TXN_INDEX_ENTRY_SIZE = 34;

export function encodeTxnIndex(entries: readonly AbortedTxn[]): Buffer {
  const buf = Buffer.alloc(entries.length * TXN_INDEX_ENTRY_SIZE);
  entries.forEach((e, i) => {
    const at = i * TXN_INDEX_ENTRY_SIZE;
    buf.writeInt16BE(0, at);
    buf.writeBigInt64BE(e.producerId, at + 2);
    buf.writeBigInt64BE(BigInt(e.firstOffset), at + 10);
    buf.writeBigInt64BE(BigInt(e.lastOffset), at + 18);
    buf.writeBigInt64BE(BigInt(e.lastStableOffset), at + 26);
  });
  return buf;
}

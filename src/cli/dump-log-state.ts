/**
 * The `.snapshot` (producer state) and `.txnindex` (aborted transactions) parts of kafka-dump-log.
 * A snapshot is read with the broker's own decoder (src/storage/producer-state.ts); a transaction
 * index is a sequence of 34-byte entries: version int16, producerId int64, firstOffset int64,
 * lastOffset int64, lastStableOffset int64.
 */
import { readFile } from 'node:fs/promises';
import { decodeProducerSnapshot } from '../storage/producer-state.js';

export async function dumpProducerSnapshot(file: string, out: (l: string) => void, err: (l: string) => void): Promise<void> {
  let entries;
  try {
    entries = decodeProducerSnapshot(await readFile(file));
  } catch (e) {
    err(`Snapshot ${file} is corrupt: ${(e as Error).message}`);
    return;
  }
  for (const e of entries) {
    const txn = e.currentTxnFirstOffset >= 0 ? `OptionalLong[${e.currentTxnFirstOffset}]` : 'OptionalLong.empty';
    let line =
      `producerId: ${e.producerId} producerEpoch: ${e.producerEpoch} coordinatorEpoch: ${e.coordinatorEpoch} ` +
      `currentTxnFirstOffset: ${txn} lastTimestamp: ${e.lastTimestamp} `;
    const b = e.batches[0];
    if (b) {
      line +=
        `firstSequence: ${b.firstSeq} lastSequence: ${b.lastSeq} lastOffset: ${b.lastOffset} ` +
        `offsetDelta: ${b.lastOffset - b.firstOffset} timestamp: ${b.timestamp}`;
    }
    out(line.trimEnd());
  }
}

const TXN_ENTRY_SIZE = 34;

export async function dumpTxnIndex(file: string, out: (l: string) => void): Promise<void> {
  const buf = await readFile(file);
  for (let at = 0; at + TXN_ENTRY_SIZE <= buf.length; at += TXN_ENTRY_SIZE) {
    out(
      `version: ${buf.readInt16BE(at)} producerId: ${buf.readBigInt64BE(at + 2)} firstOffset: ${buf.readBigInt64BE(at + 10)} ` +
        `lastOffset: ${buf.readBigInt64BE(at + 18)} lastStableOffset: ${buf.readBigInt64BE(at + 26)}`,
    );
  }
}

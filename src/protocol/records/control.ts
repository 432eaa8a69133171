/**
 * Transaction markers (Kafka's EndTransactionMarker): a control batch of one record, written by the
 * partition leader when the transaction coordinator ends a transaction. The batch carries the
 * producer's id and epoch, the transactional and control attributes, and no sequence.
 *
 *   key   version int16 (0) | type int16 (0 ABORT, 1 COMMIT)
 *   value version int16 (0) | coordinatorEpoch int32
 */
import { decodeRecordBatchSync, encodeRecordBatchSync, parseControlRecordKey, CONTROL_ABORT, CONTROL_COMMIT } from './batch.js';
import { CorruptRecordError } from './errors.js';

export interface EndTxnMarker {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  commit: boolean;
}

const CURRENT_VERSION = 0;

export function encodeEndTxnMarker(m: EndTxnMarker, now = Date.now()): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(CURRENT_VERSION, 0);
  key.writeInt16BE(m.commit ? CONTROL_COMMIT : CONTROL_ABORT, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(CURRENT_VERSION, 0);
  value.writeInt32BE(m.coordinatorEpoch, 2);
  return encodeRecordBatchSync({
    records: [{ key, value }],
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    baseSequence: -1,
    transactional: true,
    control: true,
    now,
  });
}

/** The marker of a control record (commit or abort, and the coordinator epoch); throws on a malformed one. */
export function decodeEndTxnMarker(key: Buffer | null, value: Buffer | null, producerId: bigint, producerEpoch: number): EndTxnMarker {
  const k = parseControlRecordKey(key);
  if (k.type !== CONTROL_ABORT && k.type !== CONTROL_COMMIT) throw new CorruptRecordError(`control record type ${k.type} is not a transaction marker`, 0);
  if (value === null || value.length < 6) throw new CorruptRecordError('transaction marker value shorter than 6 bytes', 0);
  return { producerId, producerEpoch, coordinatorEpoch: value.readInt32BE(2), commit: k.type === CONTROL_COMMIT };
}

/**
 * The marker of the control batch at `at` in `buf` (its first record), undefined when the batch
 * holds no readable transaction marker. No CRC check: the caller's bytes are already checked.
 */
export function readEndTxnMarker(buf: Buffer, at: number): EndTxnMarker | undefined {
  try {
    const b = decodeRecordBatchSync(buf, at, { verifyCrc: false });
    const r = b.records[0];
    return r ? decodeEndTxnMarker(r.key, r.value, b.header.producerId, b.header.producerEpoch) : undefined;
  } catch {
    return undefined;
  }
}

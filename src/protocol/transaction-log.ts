/**
 * Keys and values of the records in `__transaction_state`, in Kafka's formats (each starts with an
 * int16 schema version), so Kafka's tools read our log and we read theirs:
 *
 *   TransactionLogKey   v0: transactionalId string
 *   TransactionLogValue v0: producerId int64, producerEpoch int16, transactionTimeoutMs int32,
 *                           transactionStatus int8, transactionPartitions [topic string,
 *                           partitionIds [int32]]? (null in Empty), transactionLastUpdateTimestampMs
 *                           int64, transactionStartTimestampMs int64
 *                       v1: as v0, flexible (compact strings and arrays, tagged fields), with tagged
 *                           previousProducerId int64 (tag 0), nextProducerId int64 (tag 1),
 *                           clientTransactionVersion int16 (tag 2), nextProducerEpoch int16 (tag 3);
 *                           each written only when it differs from its default (-1, -1, 0, -1).
 *
 * Kafka writes v1 when the finalized transaction.version is 1 or more (v0 below), and always
 * the previous/next producer ids in v1. A null value is a tombstone (an expired transactional id).
 */
import { Reader, Writer } from './primitives/index.js';

export const TRANSACTION_LOG_KEY_VERSION = 0;

export interface TransactionLogPartitions {
  topic: string;
  partitionIds: number[];
}

export interface TransactionLogValue {
  producerId: bigint;
  /** v1 tag 0; -1 when absent. */
  previousProducerId: bigint;
  /** v1 tag 1; -1 when absent. */
  nextProducerId: bigint;
  producerEpoch: number;
  /** v1 tag 3; -1 when absent. */
  nextProducerEpoch: number;
  transactionTimeoutMs: number;
  transactionStatus: number;
  /** null: no partitions (Kafka writes null for Empty). */
  transactionPartitions: TransactionLogPartitions[] | null;
  transactionLastUpdateTimestampMs: bigint;
  transactionStartTimestampMs: bigint;
  /** v1 tag 2; 0 when absent. */
  clientTransactionVersion: number;
}

export type TransactionLogKey = { type: 'transaction'; transactionalId: string } | { type: 'unknown'; version: number };

export function encodeTransactionLogKey(transactionalId: string): Buffer {
  return new Writer(32).writeInt16(TRANSACTION_LOG_KEY_VERSION).writeString(transactionalId).toBuffer();
}

export function decodeTransactionLogKey(buf: Buffer): TransactionLogKey {
  const r = new Reader(buf);
  const version = r.readInt16();
  if (version !== TRANSACTION_LOG_KEY_VERSION) return { type: 'unknown', version };
  return { type: 'transaction', transactionalId: r.readString() };
}

export function encodeTransactionLogValue(v: TransactionLogValue, version: 0 | 1): Buffer {
  const w = new Writer(128).writeInt16(version);
  const flex = version >= 1;
  w.writeInt64(v.producerId).writeInt16(v.producerEpoch).writeInt32(v.transactionTimeoutMs).writeInt8(v.transactionStatus);
  const writePartitions = (w2: Writer, p: TransactionLogPartitions): void => {
    if (flex) {
      w2.writeCompactString(p.topic).writeCompactArray(p.partitionIds, (w3, id) => w3.writeInt32(id)).writeTaggedFields();
    } else {
      w2.writeString(p.topic).writeArray(p.partitionIds, (w3, id) => w3.writeInt32(id));
    }
  };
  if (flex) w.writeCompactNullableArray(v.transactionPartitions, writePartitions);
  else w.writeNullableArray(v.transactionPartitions, writePartitions);
  w.writeInt64(v.transactionLastUpdateTimestampMs).writeInt64(v.transactionStartTimestampMs);
  if (flex) {
    const tags: Array<[number, (w: Writer) => void]> = [];
    if (v.previousProducerId !== -1n) tags.push([0, (t) => t.writeInt64(v.previousProducerId)]);
    if (v.nextProducerId !== -1n) tags.push([1, (t) => t.writeInt64(v.nextProducerId)]);
    if (v.clientTransactionVersion !== 0) tags.push([2, (t) => t.writeInt16(v.clientTransactionVersion)]);
    if (v.nextProducerEpoch !== -1) tags.push([3, (t) => t.writeInt16(v.nextProducerEpoch)]);
    w.writeTaggedFields(tags);
  }
  return w.toBuffer();
}

/** Decodes a value of either version; throws (Reader's error) on a malformed or unknown one. */
export function decodeTransactionLogValue(buf: Buffer): { version: number; value: TransactionLogValue } {
  const r = new Reader(buf);
  const version = r.readInt16();
  if (version < 0 || version > 1) r.fail(`Unknown version ${version} from the transaction log message value`);
  const flex = version >= 1;
  const producerId = r.readInt64();
  const producerEpoch = r.readInt16();
  const transactionTimeoutMs = r.readInt32();
  const transactionStatus = r.readInt8();
  const readPartition = (r2: Reader): TransactionLogPartitions => {
    const topic = flex ? r2.readCompactString() : r2.readString();
    const partitionIds = flex ? r2.readCompactArray((r3) => r3.readInt32(), 4) : r2.readArray((r3) => r3.readInt32(), 4);
    if (flex) r2.readTaggedFields();
    return { topic, partitionIds };
  };
  const transactionPartitions = flex ? r.readCompactNullableArray(readPartition, 2) : r.readNullableArray(readPartition, 6);
  const transactionLastUpdateTimestampMs = r.readInt64();
  const transactionStartTimestampMs = r.readInt64();
  const value: TransactionLogValue = {
    producerId,
    previousProducerId: -1n,
    nextProducerId: -1n,
    producerEpoch,
    nextProducerEpoch: -1,
    transactionTimeoutMs,
    transactionStatus,
    transactionPartitions,
    transactionLastUpdateTimestampMs,
    transactionStartTimestampMs,
    clientTransactionVersion: 0,
  };
  if (flex) {
    r.readTaggedFields((tag, sub) => {
      if (tag === 0) value.previousProducerId = sub.readInt64();
      else if (tag === 1) value.nextProducerId = sub.readInt64();
      else if (tag === 2) value.clientTransactionVersion = sub.readInt16();
      else if (tag === 3) value.nextProducerEpoch = sub.readInt16();
      else return false;
      return true;
    });
  }
  return { version, value };
}

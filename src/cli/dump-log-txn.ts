/**
 * --transaction-log-decoder: `__transaction_state` records as Kafka's DumpLogSegments prints them.
 * Kafka's schemas (TransactionLogKey, TransactionLogValue):
 *
 *   key   v0: transactionalId string
 *   value v0: producerId int64, producerEpoch int16, transactionTimeoutMs int32,
 *             transactionStatus int8, transactionPartitions [topic string, partitionIds [int32]]?
 *             transactionLastUpdateTimestampMs int64, transactionStartTimestampMs int64
 *         v1: as v0, flexible (compact strings and arrays), with tagged fields
 *             previousProducerId int64 (tag 0), nextProducerId int64 (tag 1),
 *             clientTransactionVersion int16 (tag 2), nextProducerEpoch int16 (tag 3), printed
 *             only when not their default.
 * The schema (encode and decode) is protocol/transaction-log.ts, shared with the coordinator.
 */
import { decodeTransactionLogKey, decodeTransactionLogValue } from '../protocol/transaction-log.js';
import type { BatchRecord } from '../protocol/records/index.js';
import { toJson, type JsonValue } from './dump-log-json.js';
import type { ParsedRecord } from './dump-log-records.js';

function valueJson(buf: Buffer): JsonValue {
  const { version, value: v } = decodeTransactionLogValue(buf);
  const d: { [k: string]: JsonValue } = { producerId: v.producerId };
  if (v.previousProducerId !== -1n) d.previousProducerId = v.previousProducerId;
  if (v.nextProducerId !== -1n) d.nextProducerId = v.nextProducerId;
  d.producerEpoch = v.producerEpoch;
  if (v.nextProducerEpoch !== -1) d.nextProducerEpoch = v.nextProducerEpoch;
  Object.assign(d, {
    transactionTimeoutMs: v.transactionTimeoutMs,
    transactionStatus: v.transactionStatus,
    transactionPartitions: v.transactionPartitions === null ? null : v.transactionPartitions.map((p) => ({ topic: p.topic, partitionIds: p.partitionIds })),
    transactionLastUpdateTimestampMs: v.transactionLastUpdateTimestampMs,
    transactionStartTimestampMs: v.transactionStartTimestampMs,
  });
  if (v.clientTransactionVersion !== 0) d.clientTransactionVersion = v.clientTransactionVersion;
  return { version: String(version), data: d };
}

export function parseTransactionRecord(record: BatchRecord): ParsedRecord {
  if (record.key === null) {
    throw new Error(`Failed to decode message at offset ${record.offset} using the transaction log decoder (message had a missing key)`);
  }
  try {
    const k = decodeTransactionLogKey(record.key);
    if (k.type === 'unknown') return { key: `Unknown record type ${k.version} at offset ${record.offset}, skipping.` };
    const key = toJson({ type: '0', data: { transactionalId: k.transactionalId } });
    return { key, payload: record.value === null ? '<DELETE>' : toJson(valueJson(record.value)) };
  } catch (e) {
    return { key: `Error at offset ${record.offset}, skipping. ${(e as Error).message}` };
  }
}

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
 *             clientTransactionVersion int16 (tag 2), printed only when not their default.
 */
import { Reader } from '../protocol/primitives/index.js';
import type { BatchRecord } from '../protocol/records/index.js';
import { toJson, type JsonValue } from './dump-log-json.js';
import type { ParsedRecord } from './dump-log-records.js';

function valueJson(buf: Buffer): JsonValue {
  const r = new Reader(buf);
  const version = r.readInt16();
  if (version < 0 || version > 1) r.fail(`Unknown version ${version} from the transaction log message value`);
  const flex = version >= 1;
  const producerId = r.readInt64();
  const producerEpoch = r.readInt16();
  const transactionTimeoutMs = r.readInt32();
  const transactionStatus = r.readInt8();
  const readPartitions = (): JsonValue => {
    const n = flex ? r.readUVarint() - 1 : r.readInt32();
    if (n < 0) return null;
    const out: JsonValue[] = [];
    for (let i = 0; i < n; i++) {
      const topic = flex ? r.readCompactString() : r.readString();
      const m = flex ? r.readUVarint() - 1 : r.readInt32();
      const ids: number[] = [];
      for (let j = 0; j < m; j++) ids.push(r.readInt32());
      if (flex) r.readTaggedFields();
      out.push({ topic, partitionIds: ids });
    }
    return out;
  };
  const transactionPartitions = readPartitions();
  const transactionLastUpdateTimestampMs = r.readInt64();
  const transactionStartTimestampMs = r.readInt64();
  let previousProducerId = -1n;
  let nextProducerId = -1n;
  let clientTransactionVersion = 0;
  if (flex) {
    r.readTaggedFields((tag, sub) => {
      if (tag === 0) previousProducerId = sub.readInt64();
      else if (tag === 1) nextProducerId = sub.readInt64();
      else if (tag === 2) clientTransactionVersion = sub.readInt16();
      else return false;
      return true;
    });
  }
  const d: { [k: string]: JsonValue } = { producerId };
  if (previousProducerId !== -1n) d.previousProducerId = previousProducerId;
  if (nextProducerId !== -1n) d.nextProducerId = nextProducerId;
  Object.assign(d, { producerEpoch, transactionTimeoutMs, transactionStatus, transactionPartitions, transactionLastUpdateTimestampMs, transactionStartTimestampMs });
  if (clientTransactionVersion !== 0) d.clientTransactionVersion = clientTransactionVersion;
  return { version: String(version), data: d };
}

export function parseTransactionRecord(record: BatchRecord): ParsedRecord {
  if (record.key === null) {
    throw new Error(`Failed to decode message at offset ${record.offset} using the transaction log decoder (message had a missing key)`);
  }
  try {
    const r = new Reader(record.key);
    const version = r.readInt16();
    if (version !== 0) return { key: `Unknown record type ${version} at offset ${record.offset}, skipping.` };
    const key = toJson({ type: '0', data: { transactionalId: r.readString() } });
    return { key, payload: record.value === null ? '<DELETE>' : toJson(valueJson(record.value)) };
  } catch (e) {
    return { key: `Error at offset ${record.offset}, skipping. ${(e as Error).message}` };
  }
}

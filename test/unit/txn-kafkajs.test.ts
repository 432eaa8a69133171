// KafkaJS 2.2.4's transactional producer against the embedded broker (transaction version 0:
// InitProducerId, AddPartitionsToTxn, EndTxn): a committed and an aborted transaction leave their
// records followed by a COMMIT and an ABORT marker; a second producer of the same id fences the
// first, whose commit then fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { decodeRecordSetSync, ATTR_CONTROL, parseControlRecordKey } from '../../src/protocol/records/index.js';
import { connect, fetchRequest, startBroker } from './helpers/broker-client.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'kjs-txn';

test('KafkaJS: commit, abort and fencing of a transactional producer', { timeout: 60_000 }, async () => {
  const tb = await startBroker({ 'num.partitions': 1 });
  const kafka = new Kafka({ clientId: 'kjs-txn', brokers: [tb.broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50 } });
  const admin = kafka.admin();
  const producer = kafka.producer({ transactionalId: 'kjs-tx', maxInFlightRequests: 1, idempotent: true });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
    await producer.connect();
    const t1 = await producer.transaction();
    await t1.send({ topic: TOPIC, messages: [{ value: 'c1' }, { value: 'c2' }] });
    await t1.commit();
    const t2 = await producer.transaction();
    await t2.send({ topic: TOPIC, messages: [{ value: 'a1' }] });
    await t2.abort();
    await tb.broker.txns.markersIdle();

    const conn = await connect(tb);
    try {
      const res = await conn.send(ApiKey.Fetch, fetchRequest({ topic: TOPIC, offset: 0 }), { version: 11 });
      const seen: string[] = [];
      for (const b of decodeRecordSetSync(res.responses[0]!.partitions[0]!.records!)) {
        if (b.header.attributes & ATTR_CONTROL) seen.push(parseControlRecordKey(b.records[0]!.key).type === 1 ? 'COMMIT' : 'ABORT');
        else for (const r of b.records) seen.push(r.value!.toString());
      }
      assert.deepEqual(seen, ['c1', 'c2', 'COMMIT', 'a1', 'ABORT']);
    } finally {
      conn.close();
    }

    // A second producer of the id fences the first.
    const t3 = await producer.transaction();
    await t3.send({ topic: TOPIC, messages: [{ value: 'zombie' }] });
    const other = kafka.producer({ transactionalId: 'kjs-tx', maxInFlightRequests: 1, idempotent: true });
    await other.connect();
    try {
      // KafkaJS initializes the transactional id on its first transaction: that fences the first producer.
      const t4 = await other.transaction();
      await assert.rejects(t3.commit(), (err: Error) => /epoch/i.test(`${err.name} ${err.message}`));
      await t4.send({ topic: TOPIC, messages: [{ value: 'next' }] });
      await t4.commit();
    } finally {
      await other.disconnect();
    }
    assert.equal(tb.broker.txns.describe('kjs-tx').transactionState, 'CompleteCommit');
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect();
    await tb.close();
  }
});

// KafkaJS 2.2.4's sendOffsets inside a transaction against the embedded broker (transaction
// version 0: AddOffsetsToTxn, then TxnOffsetCommit): the group's offsets change only when the
// transaction commits (the transaction coordinator's marker reaches the group coordinator), an
// aborted transaction's offsets never show, and OffsetFetch require_stable answers
// UNSTABLE_OFFSET_COMMIT while a transaction is open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { connect, startBroker } from './helpers/broker-client.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'kjs-offsets';

test('KafkaJS: offsets sent in a transaction show only once it commits', { timeout: 60_000 }, async () => {
  const tb = await startBroker({ 'num.partitions': 1, 'offsets.topic.num.partitions': 3, 'transaction.state.log.num.partitions': 3 });
  const kafka = new Kafka({ clientId: 'kjs-offsets', brokers: [tb.broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50 } });
  const admin = kafka.admin();
  const producer = kafka.producer({ transactionalId: 'kjs-offsets-tx', maxInFlightRequests: 1, idempotent: true });
  const conn = await connect(tb);
  const fetchStable = async (): Promise<bigint | 'unstable'> => {
    const f = await conn.send(ApiKey.OffsetFetch, { groupId: 'kjs-group', topics: [{ name: TOPIC, partitionIndexes: [0] }], groups: [], requireStable: true }, { version: 7 });
    const p = f.topics[0]!.partitions[0]!;
    return p.errorCode === ErrorCode.UNSTABLE_OFFSET_COMMIT ? 'unstable' : p.committedOffset;
  };
  const committed = async (): Promise<string> => (await admin.fetchOffsets({ groupId: 'kjs-group', topics: [TOPIC] }))[0]!.partitions[0]!.offset;
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
    await producer.connect();

    const t1 = await producer.transaction();
    await t1.send({ topic: TOPIC, messages: [{ value: 'a' }] });
    await t1.sendOffsets({ consumerGroupId: 'kjs-group', topics: [{ topic: TOPIC, partitions: [{ partition: 0, offset: '42' }] }] });
    assert.equal(await fetchStable(), 'unstable', 'pending while the transaction is open');
    assert.equal(await committed(), '-1');
    await t1.commit();
    await tb.broker.txns.markersIdle();
    assert.equal(await fetchStable(), 42n);
    assert.equal(await committed(), '42');

    const t2 = await producer.transaction();
    await t2.sendOffsets({ consumerGroupId: 'kjs-group', topics: [{ topic: TOPIC, partitions: [{ partition: 0, offset: '99' }] }] });
    await t2.abort();
    await tb.broker.txns.markersIdle();
    assert.equal(await fetchStable(), 42n, 'the aborted offsets never show');
  } finally {
    conn.close();
    await producer.disconnect();
    await admin.disconnect();
    await tb.close();
  }
});

// KafkaJS 2.2.4 consumers against transactions on the embedded broker: a read_committed consumer
// (KafkaJS's default) gets the committed records only, never an aborted one, one of the open
// transaction or a control record, and the open transaction's records once it commits; a
// read_uncommitted consumer gets every data record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startBroker } from './helpers/broker-client.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'kjs-rc';

/** Collects values until `until` holds, with a deadline (no sleeps). */
async function consume(kafka: InstanceType<typeof Kafka>, groupId: string, readUncommitted: boolean, until: (seen: string[]) => boolean): Promise<string[]> {
  const consumer = kafka.consumer({ groupId, readUncommitted, maxWaitTimeInMs: 100 });
  const seen: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out with ${JSON.stringify(seen)}`)), 20_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString());
          if (until(seen)) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

test('KafkaJS read_committed and read_uncommitted consumers', { timeout: 90_000 }, async () => {
  const tb = await startBroker({ 'num.partitions': 1, 'group.initial.rebalance.delay.ms': 0 });
  const kafka = new Kafka({ clientId: 'kjs-rc', brokers: [tb.broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50 } });
  const admin = kafka.admin();
  const producer = kafka.producer({ transactionalId: 'kjs-rc-tx', maxInFlightRequests: 1, idempotent: true });
  const other = kafka.producer({ transactionalId: 'kjs-rc-open', maxInFlightRequests: 1, idempotent: true });
  const plain = kafka.producer();
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
    await producer.connect();
    await other.connect();
    await plain.connect();
    const t1 = await producer.transaction();
    await t1.send({ topic: TOPIC, messages: [{ value: 'c1' }, { value: 'c2' }] });
    await t1.commit();
    const t2 = await producer.transaction();
    await t2.send({ topic: TOPIC, messages: [{ value: 'a1' }, { value: 'a2' }] });
    await t2.abort();
    const t3 = await producer.transaction();
    await t3.send({ topic: TOPIC, messages: [{ value: 'c3' }] });
    await t3.commit();
    await plain.send({ topic: TOPIC, messages: [{ value: 'p1' }] });
    const open = await other.transaction();
    await open.send({ topic: TOPIC, messages: [{ value: 'o1' }] });
    await plain.send({ topic: TOPIC, messages: [{ value: 'p2' }] }); // behind the open transaction
    await tb.broker.txns.markersIdle();

    const all = await consume(kafka, 'g-uncommitted', true, (s) => s.length >= 8);
    assert.deepEqual(all, ['c1', 'c2', 'a1', 'a2', 'c3', 'p1', 'o1', 'p2']);

    // read_committed stops at the open transaction: c1 c2 c3 p1, then, once it commits, o1 p2.
    const committed = kafka.consumer({ groupId: 'g-committed', maxWaitTimeInMs: 100 });
    const seen: string[] = [];
    await committed.connect();
    try {
      await committed.subscribe({ topic: TOPIC, fromBeginning: true });
      let wake: (() => void) | undefined;
      const reached = (n: number): Promise<void> =>
        new Promise<void>((resolve, reject) => {
          if (seen.length >= n) return resolve();
          const timer = setTimeout(() => reject(new Error(`timed out with ${JSON.stringify(seen)}`)), 20_000);
          wake = () => {
            if (seen.length >= n) {
              clearTimeout(timer);
              resolve();
            }
          };
        });
      void committed.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString());
          wake?.();
        },
      });
      await reached(4);
      assert.deepEqual(seen, ['c1', 'c2', 'c3', 'p1']);
      await open.commit();
      await reached(6);
      assert.deepEqual(seen, ['c1', 'c2', 'c3', 'p1', 'o1', 'p2']);
    } finally {
      await committed.disconnect();
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
    await other.disconnect().catch(() => undefined);
    await plain.disconnect().catch(() => undefined);
    await admin.disconnect();
    await tb.close();
  }
});

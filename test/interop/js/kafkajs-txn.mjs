// KafkaJS 2.2.4 transactions against the broker: a transactional producer (idempotent,
// maxInFlightRequests 1) writes a committed, an aborted and a committed transaction to one
// partition, the aborted one also carrying sendOffsets for a group; a second committed transaction
// carries the group's offsets. Group consumers read the topic back: with readUncommitted false they
// get the committed records only, with readUncommitted true every data record (markers never).
// The group's offset shows at the commit, never from the aborted transaction.
//
// Usage: node kafkajs-txn.mjs <bootstrap> <topic>
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { DEADLINE_MS, run } from './spec.mjs';

const { Kafka, logLevel } = kafkajs;
const require = createRequire(import.meta.url);
const KAFKAJS_VERSION = require('kafkajs/package.json').version;

const [bootstrap, topic] = process.argv.slice(2);
if (!bootstrap || !topic) {
  console.error('usage: kafkajs-txn.mjs <bootstrap host:port> <topic>');
  process.exit(2);
}
const kafka = new Kafka({
  clientId: 'interop-kafkajs-txn',
  brokers: [bootstrap],
  logLevel: logLevel.NOTHING,
  retry: { retries: 8, initialRetryTime: 200 },
});
const suffix = randomUUID().slice(0, 8);

async function until(what, fn) {
  const end = Date.now() + DEADLINE_MS;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new assert.AssertionError({ message: `timed out after ${DEADLINE_MS} ms waiting for ${what}` });
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function groupOffset(admin, groupId) {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const p = t.partitions.find((x) => x.partition === 0);
  return p ? Number(p.offset) : -1;
}

/** Reads the topic with a group consumer until the record `last` shows; returns [[offset, value]]. */
async function readUntil(readUncommitted, last) {
  const consumer = kafka.consumer({ groupId: `interop-kafkajs-txn-read-${readUncommitted}-${suffix}`, readUncommitted, maxWaitTimeInMs: 200 });
  await consumer.connect();
  const got = [];
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { got.push([Number(message.offset), message.value.toString()]); } });
    await until(`${last} (readUncommitted ${readUncommitted}; read ${JSON.stringify(got)})`, () => got.some(([, v]) => v === last));
  } finally {
    await consumer.disconnect();
  }
  return got;
}

async function send(txn, values) {
  const res = await txn.send({ topic, messages: values.map((value, i) => ({ key: `k-${i}`, value, partition: 0 })) });
  return res.map((r) => Number(r.baseOffset));
}

run(`kafkajs ${KAFKAJS_VERSION}`, async () => {
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ transactionalId: `interop-kafkajs-txn-${suffix}`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const groupId = `interop-kafkajs-txn-group-${suffix}`;
  try {
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true }), true);

    let txn = await producer.transaction();
    assert.deepEqual(await send(txn, ['c1-0', 'c1-1', 'c1-2']), [0]); // offsets 0-2, COMMIT at 3
    await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: '3' }] }] });
    assert.equal(await groupOffset(admin, groupId), -1, "the group's offset with the transaction open");
    await txn.commit();
    await until("the group's offset 3 after the commit", async () => (await groupOffset(admin, groupId)) === 3);

    txn = await producer.transaction();
    assert.deepEqual(await send(txn, ['ab-0', 'ab-1', 'ab-2']), [4]); // 4-6, ABORT at 7
    await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: '7' }] }] });
    await txn.abort();

    txn = await producer.transaction();
    assert.deepEqual(await send(txn, ['c2-0', 'c2-1']), [8]); // 8-9, COMMIT at 10
    await txn.commit();
    assert.equal(await groupOffset(admin, groupId), 3, "the group's offset after the aborted transaction");

    const committed = [[0, 'c1-0'], [1, 'c1-1'], [2, 'c1-2'], [8, 'c2-0'], [9, 'c2-1']];
    assert.deepEqual(await readUntil(false, 'c2-1'), committed, 'readUncommitted: false');
    const all = [...committed.slice(0, 3), [4, 'ab-0'], [5, 'ab-1'], [6, 'ab-2'], ...committed.slice(3)];
    assert.deepEqual(await readUntil(true, 'c2-1'), all, 'readUncommitted: true');
    await until('the log end offset 11 (past the last COMMIT)', async () => {
      const [p] = await admin.fetchTopicOffsets(topic);
      return Number(p.high) === 11;
    });
    return `topic=${topic} read_committed=${committed.length} read_uncommitted=${all.length}`;
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
});

// KafkaJS 2.2.4, @platformatic/kafka and Tributary's own client library over the secured listeners
// (security interop, issue 11). For each listener: the admin client creates a 2-partition topic and
// describes it, the producer sends 20 records (acks=all) to both partitions, a consumer in a group
// (subscribe) reads them all and commits, and the admin client reads the committed offsets back.
//   node secure-clients.mjs <kafkajs|platformatic|tributary> <topic prefix> <listeners JSON>
// The JSON is a list of {name, bootstrap, protocol: SSL|SASL_PLAINTEXT|SASL_SSL, mechanism,
// username, password, ca, cert, key} (ca/cert/key are PEM file paths). Prints "OK <name> ..." per
// listener and exits non-zero at the first mismatch.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const N = 20;
const DEADLINE_MS = 30_000;
const [client, prefix, json] = process.argv.slice(2);
const listeners = JSON.parse(json);
const values = Array.from({ length: N }, (_v, i) => `secret-${i}`);

/** node:tls options from the listener's PEM files. */
function tlsOptions(l) {
  if (l.protocol !== 'SSL' && l.protocol !== 'SASL_SSL') return undefined;
  const o = { ca: [readFileSync(l.ca, 'utf8')] };
  if (l.cert) Object.assign(o, { cert: readFileSync(l.cert, 'utf8'), key: readFileSync(l.key, 'utf8') });
  return o;
}

const sasl = (l, lower) =>
  l.protocol.startsWith('SASL_') ? { mechanism: lower ? l.mechanism.toLowerCase() : l.mechanism, username: l.username, password: l.password } : undefined;

/** Kafka answers CreateTopics before every broker's metadata has the topic: describe until it shows. */
async function describedPartitions(describe) {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const n = await describe().catch(() => 0);
    if (n > 0 || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, 100)); // poll interval
  }
}

function until(what, done) {
  const deadline = Date.now() + DEADLINE_MS;
  return async (step) => {
    while (!done()) {
      assert.ok(Date.now() < deadline, `${what}: timed out`);
      await step();
    }
  };
}

const clients = {
  async kafkajs(l, topic, group) {
    const { Kafka, logLevel } = (await import('kafkajs')).default;
    const kafka = new Kafka({ clientId: 'interop-kafkajs-secure', brokers: [l.bootstrap], ssl: tlsOptions(l), sasl: sasl(l, true), logLevel: logLevel.NOTHING, retry: { retries: 8 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      assert.equal(md.topics[0].partitions.length, 2, 'partitions described');
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: values.map((value, i) => ({ partition: i % 2, key: `k${i}`, value })) });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const got = new Set();
      const next = new Map();
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          got.add(message.value.toString());
          next.set(partition, Number(message.offset) + 1);
        },
      });
      await until('kafkajs group read', () => got.size === N)(() => new Promise((r) => setTimeout(r, 50))); // poll the handler's progress
      await consumer.commitOffsets([...next].map(([partition, offset]) => ({ topic, partition, offset: String(offset) })));
      await consumer.disconnect();
      assert.deepEqual([...got].sort(), [...values].sort());
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      assert.deepEqual(committed.partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '10'], [1, '10']]);
    } finally {
      await admin.disconnect();
    }
  },

  async platformatic(l, topic, group) {
    const { Admin, Consumer, Producer, MessagesStreamModes, ProduceAcks, stringSerializers, stringDeserializers } = await import('@platformatic/kafka');
    const common = { clientId: 'interop-platformatic-secure', bootstrapBrokers: [l.bootstrap], connectTimeout: 10_000, timeout: 15_000, retries: 5, retryDelay: 200 };
    const tls = tlsOptions(l);
    if (tls) common.tls = tls;
    const s = sasl(l, false);
    if (s) common.sasl = s;
    const admin = new Admin(common);
    try {
      await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
      const n = await describedPartitions(async () => (await admin.metadata({ topics: [topic] })).topics.get(topic)?.partitions.length ?? 0);
      assert.equal(n, 2, 'partitions described');
      const producer = new Producer({ ...common, serializers: stringSerializers });
      await producer.send({ acks: ProduceAcks.ALL, messages: values.map((value, i) => ({ topic, partition: i % 2, key: `k${i}`, value })) });
      await producer.close();
      const consumer = new Consumer({ ...common, groupId: group, deserializers: stringDeserializers, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTime: 200 });
      const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
      const got = new Set();
      const timer = setTimeout(() => stream.destroy(new Error('platformatic group read: timed out')), DEADLINE_MS);
      for await (const m of stream) {
        got.add(m.value);
        await m.commit();
        if (got.size === N) break;
      }
      clearTimeout(timer);
      await stream.close();
      await consumer.close();
      assert.deepEqual([...got].sort(), [...values].sort());
      const [g] = await admin.listConsumerGroupOffsets({ groups: [group] });
      const t = g.topics.find((x) => x.name === topic);
      assert.deepEqual(t.partitions.map((p) => [p.partitionIndex, p.committedOffset]).sort(), [[0, 10n], [1, 10n]]);
    } finally {
      await admin.close();
    }
  },

  async tributary(l, topic, group) {
    const { Admin, Consumer, Producer } = await import('../../../dist/src/index.js');
    const common = { bootstrap: l.bootstrap, requestTimeoutMs: 30_000 };
    const tls = tlsOptions(l);
    if (tls) common.ssl = tls;
    const s = sasl(l, false);
    if (s) common.sasl = s;
    const admin = await Admin.connect(common);
    try {
      await admin.createTopics([{ name: topic, partitions: 2, replicationFactor: 1 }]);
      const n = await describedPartitions(async () => (await admin.describeTopics([topic]))[0].partitions.length);
      assert.equal(n, 2, 'partitions described');
      const producer = await Producer.connect({ ...common, acks: -1 });
      await producer.send(topic, values.map((value, i) => ({ partition: i % 2, key: `k${i}`, value })));
      await producer.close();
      const consumer = await Consumer.connect({ ...common, groupId: group, autoOffsetReset: 'earliest', autoCommit: false, maxWaitMs: 200 });
      consumer.subscribe([topic]);
      const got = new Set();
      await until('tributary group read', () => got.size === N)(async () => {
        for (const r of await consumer.poll()) got.add(r.value.toString());
      });
      await consumer.commit();
      await consumer.close();
      assert.deepEqual([...got].sort(), [...values].sort());
      const committed = await admin.listConsumerGroupOffsets(group);
      assert.deepEqual(committed.filter((c) => c.topic === topic).map((c) => [c.partition, c.offset]).sort(), [[0, 10n], [1, 10n]]);
    } finally {
      await admin.close();
    }
  },
};

assert.ok(client in clients, `unknown client ${client}`);
for (const l of listeners) {
  const t = performance.now();
  const topic = `${prefix}-${l.name.toLowerCase()}`;
  try {
    await clients[client](l, topic, `g-${topic}`);
  } catch (err) {
    console.error(`MISMATCH ${l.name}: ${err.stack ?? err}`);
    process.exit(1);
  }
  console.log(`OK ${l.name} ${client} ${l.protocol} ${l.mechanism ?? '-'} (${(performance.now() - t).toFixed(0)} ms)`);
}
process.exit(0);

// Tributary's own client library (dist/src/client) against the broker under test, Tributary or
// Apache Kafka: Admin (create, describe, add partitions, describe and alter configs, delete, the
// per-topic failures a Kafka user meets), Producer (Java-compatible key partitioning) and Consumer
// (assign mode). Exits non-zero at the first mismatch; prints OK.
//   node client.mjs <bootstrap> <topic prefix>
import assert from 'node:assert/strict';
import { Admin, AdminError, Consumer, Producer, partitionForKey } from '../../../dist/src/index.js';

const [bootstrap, prefix] = process.argv.slice(2);
const admin = await Admin.connect({ bootstrap, requestTimeoutMs: 60_000 });
const a = `${prefix}-a`;
const b = `${prefix}-b`;
try {
  const cluster = await admin.describeCluster();
  assert.ok(cluster.clusterId.length > 0 && cluster.brokers.length === 1, JSON.stringify(cluster));

  await admin.createTopics([
    { name: a, partitions: 3, replicationFactor: 1, configs: { 'retention.ms': '3600000' } },
    { name: b, partitions: 1, replicationFactor: 1 },
  ]);
  const topics = await admin.listTopics();
  assert.ok(topics.includes(a) && topics.includes(b), topics.join(' '));
  assert.ok(!topics.includes('__consumer_offsets'), 'internal topics are listed only when asked');

  const [da] = await admin.describeTopics([a]);
  assert.equal(da.partitions.length, 3);
  for (const p of da.partitions) assert.deepEqual([p.replicas, p.isr], [[p.leader], [p.leader]]);

  await admin.createPartitions([{ topic: a, count: 4 }]);
  // Kafka applies new partitions through its controller: wait until metadata shows them.
  for (let i = 0; ; i++) {
    const [d] = await admin.describeTopics([a]);
    if (d.partitions.length === 4) break;
    assert.ok(i < 100, `still ${d.partitions.length} partitions`);
    await new Promise((r) => setTimeout(r, 50)); // poll interval
  }

  // Tributary's producer on the same topic: keys partitioned as the Java client does, offsets dense.
  const producer = await Producer.connect({ bootstrap, compression: 'lz4', requestTimeoutMs: 60_000 });
  const records = Array.from({ length: 40 }, (_v, i) => ({ key: `key-${i % 7}`, value: `value-${i}` }));
  const meta = await producer.send(a, records);
  await producer.close();
  const next = new Map();
  meta.forEach((m, i) => {
    assert.equal(m.partition, partitionForKey(Buffer.from(records[i].key), 4), `record ${i}`);
    assert.equal(m.offset, next.get(m.partition) ?? 0n, `record ${i} offset`);
    next.set(m.partition, m.offset + 1n);
  });

  // ... and read back with Tributary's consumer (assign mode), every partition from the beginning.
  const consumer = await Consumer.connect({ bootstrap, maxWaitMs: 200, requestTimeoutMs: 60_000 });
  await consumer.assign((await consumer.partitionsFor(a)).map((partition) => ({ topic: a, partition, start: 'earliest' })));
  const got = [];
  for (let i = 0; got.length < records.length; i++) {
    assert.ok(i < 100, `read ${got.length} of ${records.length}`);
    got.push(...(await consumer.poll()));
  }
  await consumer.close();
  assert.deepEqual(got.map((r) => r.value.toString()).sort(), records.map((r) => r.value).sort());
  for (const r of got) assert.equal(r.partition, partitionForKey(r.key, 4));

  const topic = { type: 'topic', name: a };
  const [c1] = await admin.describeConfigs([topic], { keys: ['retention.ms', 'cleanup.policy'] });
  const v1 = Object.fromEntries(c1.entries.map((e) => [e.name, [e.value, e.source]]));
  assert.deepEqual(v1['retention.ms'], ['3600000', 'DYNAMIC_TOPIC_CONFIG']);
  assert.equal(v1['cleanup.policy'][0], 'delete');

  await admin.incrementalAlterConfigs(topic, [{ name: 'retention.ms', op: 'delete' }, { name: 'max.message.bytes', value: '64000' }]);
  const [c2] = await admin.describeConfigs([topic], { keys: ['retention.ms', 'max.message.bytes'] });
  const v2 = Object.fromEntries(c2.entries.map((e) => [e.name, [e.value, e.source]]));
  assert.deepEqual(v2['max.message.bytes'], ['64000', 'DYNAMIC_TOPIC_CONFIG']);
  assert.notEqual(v2['retention.ms'][1], 'DYNAMIC_TOPIC_CONFIG', 'the override is gone');

  const failed = await admin.createTopics([{ name: a, partitions: 1, replicationFactor: 1 }]).then(() => null, (e) => e);
  assert.ok(failed instanceof AdminError, String(failed));
  assert.equal(failed.failures[0].error.errorName, 'TOPIC_ALREADY_EXISTS');
  const missing = await admin.describeTopics([`${prefix}-missing`]).then(() => null, (e) => e);
  assert.ok(missing instanceof AdminError && missing.failures[0].error.errorName === 'UNKNOWN_TOPIC_OR_PARTITION', String(missing));

  await admin.deleteTopics([a, b]);
  for (let i = 0; ; i++) {
    const left = (await admin.listTopics()).filter((t) => t === a || t === b);
    if (left.length === 0) break;
    assert.ok(i < 100, `still listed: ${left.join(' ')}`);
    await new Promise((r) => setTimeout(r, 50)); // poll interval
  }
  console.log('OK');
} finally {
  await admin.close();
}

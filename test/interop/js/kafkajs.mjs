// KafkaJS 2.2.4 against the broker: CreateTopics (admin), produce keyed records with headers and
// timestamps in one compressed batch, fetch them back from offset 0 and from offset FROM, and list
// offsets (earliest, latest, by timestamp) through the admin client.
//
// KafkaJS has only a group consumer; consumer groups are out of scope here, so the records are read
// with KafkaJS's own Fetch request and record-batch decoder (its Cluster and Broker objects, the
// code path its consumer uses), without a group.
// KafkaJS ships gzip only; snappy, lz4 and zstd codecs are plugged in from the native libraries
// this project already depends on (what kafkajs-snappy, kafkajs-lz4 and @kafkajs/zstd do).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import snappy from 'snappy';
import * as lz4 from 'lz4-napi';
import * as zstd from 'zstd-napi';
import kafkajs from 'kafkajs';
import { COUNT, FROM, DEADLINE_MS, key, value, headers, parseArgs, checkRecords, run } from './spec.mjs';

const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = kafkajs;
const require = createRequire(import.meta.url);
const KAFKAJS_VERSION = require('kafkajs/package.json').version;

const XERIAL = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
function unsnappy(buf) {
  if (buf.length >= 16 && buf.subarray(0, 8).equals(XERIAL)) { // xerial framing (Java client)
    const parts = [];
    for (let pos = 16; pos < buf.length;) {
      const len = buf.readInt32BE(pos);
      parts.push(snappy.uncompressSync(buf.subarray(pos + 4, pos + 4 + len)));
      pos += 4 + len;
    }
    return Buffer.concat(parts);
  }
  return snappy.uncompressSync(buf);
}
CompressionCodecs[CompressionTypes.Snappy] = () => ({
  compress: async (encoder) => snappy.compressSync(encoder.buffer),
  decompress: async (buffer) => unsnappy(buffer),
});
CompressionCodecs[CompressionTypes.LZ4] = () => ({
  compress: async (encoder) => lz4.compressFrameSync(encoder.buffer),
  decompress: async (buffer) => lz4.decompressFrameSync(buffer),
});
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  compress: async (encoder) => zstd.compress(encoder.buffer),
  decompress: async (buffer) => zstd.decompress(buffer),
});
const CODECS = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

const { bootstrap, topic, codec, base } = parseArgs();
assert.ok(codec in CODECS, `unknown codec ${codec}`);

const kafka = new Kafka({
  clientId: 'interop-kafkajs',
  brokers: [bootstrap],
  connectionTimeout: 10_000,
  requestTimeout: 15_000,
  retry: { retries: 5, maxRetryTime: 5_000 },
  logLevel: logLevel.NOTHING,
});

async function fetchFrom(cluster, leader, offset, want) {
  const got = [];
  const deadline = Date.now() + DEADLINE_MS;
  let next = BigInt(offset);
  while (got.length < want && Date.now() < deadline) {
    const res = await leader.fetch({
      replicaId: -1, isolationLevel: 1, maxWaitTime: 200, minBytes: 1, maxBytes: 1 << 20,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset: String(next), maxBytes: 1 << 20 }] }],
    });
    const p = res.responses[0].partitions[0];
    assert.equal(p.errorCode, 0, `fetch error code at offset ${next}`);
    for (const m of p.messages) {
      if (BigInt(m.offset) < next) continue; // a compressed batch comes whole, as in KafkaJS's consumer
      got.push({
        offset: m.offset, key: m.key, value: m.value, timestamp: m.timestamp,
        headers: Object.entries(m.headers ?? {}).map(([k, v]) => [k, v]),
      });
      next = BigInt(m.offset) + 1n;
    }
  }
  return got;
}

run(`kafkajs ${KAFKAJS_VERSION}`, async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true, timeout: 15_000,
    });
    assert.equal(created, true, 'createTopics created the topic');
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    assert.equal(md.topics[0].partitions.length, 1, 'partition count');

    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
    await producer.connect();
    try {
      const messages = [];
      for (let i = 0; i < COUNT; i++) {
        // KafkaJS 2.x takes header values as Buffer or string, one value per name (an object)
        messages.push({
          partition: 0, key: key(i), value: value(codec, i), timestamp: String(base + i * 1000),
          headers: Object.fromEntries(headers(codec, i)),
        });
      }
      const meta = await producer.send({ topic, acks: -1, timeout: 15_000, compression: CODECS[codec], messages });
      assert.equal(meta.length, 1, 'one partition acknowledged');
      assert.equal(meta[0].errorCode, 0, 'produce error code');
      assert.equal(meta[0].baseOffset, '0', 'produce base offset');
    } finally {
      await producer.disconnect();
    }

    const cluster = kafka[Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster')]({
      metadataMaxAge: 300_000, allowAutoTopicCreation: false,
    });
    await cluster.connect();
    try {
      await cluster.addTargetTopic(topic);
      const [leaderId] = Object.keys(cluster.findLeaderForPartitions(topic, [0]));
      const leader = await cluster.findBroker({ nodeId: leaderId });
      checkRecords('from beginning', await fetchFrom(cluster, leader, 0, COUNT), codec, base, 0);
      checkRecords(`from offset ${FROM}`, await fetchFrom(cluster, leader, FROM, COUNT - FROM), codec, base, FROM);
    } finally {
      await cluster.disconnect();
    }

    const offs = await admin.fetchTopicOffsets(topic);
    assert.deepEqual(offs.map((o) => [o.partition, o.low, o.high, o.offset]), [[0, '0', String(COUNT), String(COUNT)]],
      'fetchTopicOffsets [partition, low, high, offset]');
    const byTs = await admin.fetchTopicOffsetsByTimestamp(topic, base + 3000 - 500);
    assert.deepEqual(byTs.map((o) => [o.partition, o.offset]), [[0, '3']], 'fetchTopicOffsetsByTimestamp');
    const early = await admin.fetchTopicOffsetsByTimestamp(topic, 0);
    assert.deepEqual(early.map((o) => [o.partition, o.offset]), [[0, '0']], 'fetchTopicOffsetsByTimestamp(0)');
    await admin.deleteTopics({ topics: [topic], timeout: 15_000 });
  } finally {
    await admin.disconnect();
  }
  return `codec=${codec} topic=${topic}`;
});

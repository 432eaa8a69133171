// @platformatic/kafka against the broker: CreateTopics (Admin), produce keyed records with headers
// and timestamps in one compressed batch, fetch them back from offset 0 and from offset FROM, and
// list offsets (earliest, latest, by timestamp) through Admin and Consumer.
//
// The library's streaming consumer always joins a consumer group; groups are out of scope here, so
// the records are read with Consumer.fetch() (its public single-Fetch call, what the stream uses
// inside) on a group id that is never joined.
// The library takes zstd from node:zlib, which Node 20 lacks; on such a Node the zstd codec is
// plugged in from zstd-napi (a dependency of this project) through its exported codec table.
import assert from 'node:assert/strict';
import * as zstd from 'zstd-napi';
import { readFileSync } from 'node:fs';
import { Admin, Consumer, Producer, compressionsAlgorithms } from '@platformatic/kafka';
import { COUNT, FROM, DEADLINE_MS, key, value, headers, parseArgs, checkRecords, run } from './spec.mjs';


if (!compressionsAlgorithms.zstd.available) {
  Object.assign(compressionsAlgorithms.zstd, {
    compressSync: (data) => zstd.compress(Buffer.isBuffer(data) ? data : data.buffer),
    decompressSync: (data) => zstd.decompress(Buffer.isBuffer(data) ? data : data.buffer),
    available: true,
  });
}

// the package's exports map hides package.json; read it beside the resolved entry point
const VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.resolve('@platformatic/kafka')), 'utf8')).version;

const { bootstrap, topic, codec, base } = parseArgs();
const common = {
  clientId: 'interop-platformatic',
  bootstrapBrokers: [bootstrap],
  connectTimeout: 10_000,
  timeout: 15_000,
  retries: 5,
  retryDelay: 200,
};

async function fetchFrom(consumer, offset, want) {
  const md = await consumer.metadata({ topics: [topic] });
  const t = md.topics.get(topic);
  assert.ok(t, 'topic in metadata');
  const { leader, leaderEpoch } = t.partitions[0];
  const got = [];
  const deadline = Date.now() + DEADLINE_MS;
  let next = BigInt(offset);
  while (got.length < want && Date.now() < deadline) {
    const res = await consumer.fetch({
      node: leader, maxWaitTime: 200, minBytes: 1, maxBytes: 1 << 20,
      topics: [{
        topicId: t.id, topic,
        partitions: [{ partition: 0, fetchOffset: next, partitionMaxBytes: 1 << 20, currentLeaderEpoch: leaderEpoch, lastFetchedEpoch: -1 }],
      }],
    });
    const p = res.responses[0].partitions[0];
    assert.equal(p.errorCode, 0, `fetch error code at offset ${next}`);
    for (const batch of p.records ?? []) {
      for (const r of batch.records) {
        const off = batch.firstOffset + BigInt(r.offsetDelta);
        if (off < next) continue;
        got.push({
          offset: off, key: r.key, value: r.value, timestamp: batch.firstTimestamp + r.timestampDelta,
          headers: r.headers.map(([k, v]) => [Buffer.from(k).toString(), v]),
        });
      }
      next = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
    }
  }
  return got;
}

run(`@platformatic/kafka ${VERSION}`, async () => {
  const admin = new Admin(common);
  const producer = new Producer({ ...common, acks: -1, compression: codec });
  const consumer = new Consumer({ ...common, groupId: `interop-unused-${topic}` });
  try {
    const created = await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
    assert.equal(created.length, 1, 'createTopics result');
    assert.equal(created[0].name, topic, 'created topic name');

    const messages = [];
    for (let i = 0; i < COUNT; i++) {
      messages.push({
        topic, partition: 0, key: Buffer.from(key(i)), value: Buffer.from(value(codec, i)),
        timestamp: BigInt(base + i * 1000), headers: new Map(headers(codec, i).map(([k, v]) => [Buffer.from(k), v])),
      });
    }
    const res = await producer.send({ messages });
    assert.deepEqual(res.offsets?.map((o) => [o.topic, o.partition, Number(o.offset)]), [[topic, 0, 0]], 'produce result offsets');

    checkRecords('from beginning', await fetchFrom(consumer, 0, COUNT), codec, base, 0);
    checkRecords(`from offset ${FROM}`, await fetchFrom(consumer, FROM, COUNT - FROM), codec, base, FROM);

    const q = async (ts) => {
      const r = await admin.listOffsets({ topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: ts }] }] });
      assert.equal(r.length, 1, 'listOffsets topics');
      const p = r[0].partitions[0];
      return [Number(p.offset), Number(p.timestamp)];
    };
    assert.deepEqual((await q(-2n))[0], 0, 'admin listOffsets earliest');
    assert.deepEqual((await q(-1n))[0], COUNT, 'admin listOffsets latest');
    assert.deepEqual(await q(BigInt(base + 3000 - 500)), [3, base + 3000], 'admin listOffsets by timestamp [offset, ts]');
    assert.deepEqual(await q(-3n), [COUNT - 1, base + (COUNT - 1) * 1000], 'admin listOffsets max timestamp [offset, ts]');

    const latest = await consumer.listOffsets({ topics: [topic] });
    assert.deepEqual(latest.get(topic)?.map(Number), [COUNT], 'consumer listOffsets (latest)');
    const byTs = await consumer.listOffsets({ topics: [topic], timestamp: BigInt(base + 7000) });
    assert.deepEqual(byTs.get(topic)?.map(Number), [7], 'consumer listOffsets by timestamp');

    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await Promise.allSettled([producer.close(), consumer.close(true), admin.close()]);
  }
  return `codec=${codec} topic=${topic}`;
});

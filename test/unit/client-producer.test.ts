// The producer (src/client/producer.ts) against the embedded broker: the Java client's key
// partitioning (murmur2, checked against KafkaJS's port of it), batching, offsets in order, every
// codec, acks=0, and errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Admin, Connection, Producer, RequestTimeoutError, ResponseTooLargeError, murmur2, partitionForKey, type CompressionName } from '../../src/client/index.js';
import { BrokerPool } from '../../src/client/brokers.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { decodeRecordSetSync } from '../../src/protocol/records/index.js';
import { connect, fetchRequest, startBroker, topicId, type TestBroker } from './helpers/broker-client.js';

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number;

test('murmur2 is the Java client\'s (as KafkaJS ports it) for 2000 random keys of 0-40 bytes', () => {
  for (let i = 0; i < 2000; i++) {
    const key = randomBytes(i % 41);
    assert.equal(murmur2(key), kafkajsMurmur2(key) | 0, key.toString('hex'));
  }
  assert.equal(partitionForKey(Buffer.from('order-42'), 6), ((kafkajsMurmur2(Buffer.from('order-42')) | 0) & 0x7fffffff) % 6);
});

describe('Producer', () => {
  let tb: TestBroker;
  let bootstrap: string;
  before(async () => {
    tb = await startBroker();
    bootstrap = `127.0.0.1:${tb.broker.port}`;
    const admin = await Admin.connect({ bootstrap });
    await admin.createTopics([{ name: 'prod', partitions: 4 }, ...(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const).map((c) => ({ name: `prod-${c}`, partitions: 1 }))]);
    await admin.close();
  });
  after(async () => {
    await tb.close();
  });

  async function readAll(topic: string, partition: number): Promise<Array<{ offset: number; key: string | null; value: string | null }>> {
    const c = await connect(tb);
    try {
      const res = await c.send(ApiKey.Fetch, fetchRequest({ topic, topicId: await topicId(c, topic), partition, offset: 0, partitionMaxBytes: 10 << 20 }));
      const recs = decodeRecordSetSync(res.responses[0]!.partitions[0]!.records ?? Buffer.alloc(0)).flatMap((b) => b.records);
      return recs.map((r) => ({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null }));
    } finally {
      c.destroy();
    }
  }

  test('keyed records go where the Java client puts them, in order, with dense offsets', async () => {
    const p = await Producer.connect({ bootstrap, lingerMs: 2 });
    const records = Array.from({ length: 200 }, (_v, i) => ({ key: `k${i % 17}`, value: `v${i}` }));
    const meta = await p.send('prod', records);
    await p.close();
    for (const [i, m] of meta.entries()) assert.equal(m.partition, partitionForKey(Buffer.from(records[i]!.key), 4), `record ${i}`);
    for (let part = 0; part < 4; part++) {
      const mine = meta.map((m, i) => ({ m, i })).filter(({ m }) => m.partition === part);
      assert.deepEqual(mine.map(({ m }) => m.offset), mine.map((_x, j) => BigInt(j)), `partition ${part} offsets`);
      const stored = await readAll('prod', part);
      assert.deepEqual(stored.map((r) => r.value), mine.map(({ i }) => `v${i}`));
    }
  });

  test('unkeyed records stick to one partition per batch; explicit partitions are honoured', async () => {
    const p = await Producer.connect({ bootstrap, lingerMs: 50, batchSize: 1 << 20 });
    const meta = await p.send('prod', Array.from({ length: 20 }, (_v, i) => ({ value: `u${i}` })));
    assert.equal(new Set(meta.map((m) => m.partition)).size, 1, 'one batch, one partition');
    const [pinned] = await p.send('prod', { value: 'pinned', partition: 3 });
    assert.equal(pinned!.partition, 3);
    await assert.rejects(p.send('prod', { value: 'x', partition: 9 }), /no partition 9/);
    await p.close();
  });

  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as CompressionName[]) {
    test(`compression ${codec}`, async () => {
      const p = await Producer.connect({ bootstrap, compression: codec });
      const values = Array.from({ length: 300 }, (_v, i) => `${codec}-${i}-`.repeat(5));
      const meta = await p.send(`prod-${codec}`, values.map((value) => ({ value, headers: [{ key: 'h', value: codec }] })));
      await p.close();
      assert.deepEqual(meta.map((m) => m.offset), values.map((_v, i) => BigInt(i)));
      assert.deepEqual((await readAll(`prod-${codec}`, 0)).map((r) => r.value), values);
    });
  }

  test('acks=0 resolves with offset -1; records still arrive', async () => {
    const admin = await Admin.connect({ bootstrap });
    await admin.createTopics([{ name: 'prod-acks0', partitions: 1 }]);
    await admin.close();
    const p = await Producer.connect({ bootstrap, acks: 0 });
    const meta = await p.send('prod-acks0', [{ value: 'a' }, { value: 'b' }]);
    assert.deepEqual(meta.map((m) => m.offset), [-1n, -1n]);
    await p.close();
    // acks=0 has no answer to wait for: poll until the broker has appended.
    for (let i = 0; (await readAll('prod-acks0', 0)).length < 2; i++) {
      assert.ok(i < 200, 'records never arrived');
      await new Promise((r) => setTimeout(r, 10)); // poll interval
    }
    assert.deepEqual((await readAll('prod-acks0', 0)).map((r) => r.value), ['a', 'b']);
  });

  test('a burst far larger than a batch goes out in batches of at most batchSize', async () => {
    const p = await Producer.connect({ bootstrap, batchSize: 16_384, lingerMs: 50 });
    const meta = await p.send('prod', Array.from({ length: 3000 }, (_v, i) => ({ value: Buffer.alloc(1000, i % 256), partition: 2 })));
    await p.close();
    assert.equal(meta.length, 3000, '3 MB at once: more than max.message.bytes in one batch, fine in many');
    const stored = await readAll('prod', 2);
    assert.ok(stored.length >= 3000);
  });

  test('errors: a record too large gets MESSAGE_TOO_LARGE; a missing topic (no auto-create) UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const p = await Producer.connect({ bootstrap, retries: 1, retryBackoffMs: 10 });
    await assert.rejects(p.send('prod', { key: 'big', value: Buffer.alloc(2 * 1024 * 1024) }), (e: unknown) => (e as { errorName?: string }).errorName === 'MESSAGE_TOO_LARGE');
    await assert.rejects(p.send('prod-missing', { value: 'hello' }), (e: unknown) => (e as { errorName?: string }).errorName === 'UNKNOWN_TOPIC_OR_PARTITION');
    const [m] = await p.send('prod', { key: 'after', value: 'the errors' });
    assert.ok(m!.offset >= 0n, 'the producer still works');
    await p.close();
    await assert.rejects(p.send('prod', { value: 'late' }), /closed/);
  });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test('Producer: a broker restart between sends is retried on new connections', async () => {
  const port = await freePort();
  const tb = await startBroker({ listeners: `PLAINTEXT://127.0.0.1:${port}`, 'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}` });
  try {
    const bootstrap = `127.0.0.1:${tb.broker.port}`;
    const admin = await Admin.connect({ bootstrap });
    await admin.createTopics([{ name: 'restart', partitions: 1 }]);
    await admin.close();
    const p = await Producer.connect({ bootstrap, retries: 20, retryBackoffMs: 50 });
    const [a] = await p.send('restart', { value: 'before' });
    await tb.restart(); // same port and data: the producer's connections are gone
    const [b] = await p.send('restart', { value: 'after' });
    assert.deepEqual([a!.offset, b!.offset], [0n, 1n]);
    await p.close();
  } finally {
    await tb.close();
  }
});

test('Producer: idempotent by default with acks=-1; a retry after a lost acknowledgement is not written twice', async () => {
  const tb = await startBroker();
  const realSend = Connection.prototype.send;
  try {
    const bootstrap = `127.0.0.1:${tb.broker.port}`;
    const admin = await Admin.connect({ bootstrap });
    await admin.createTopics([{ name: 'idem', partitions: 1 }, { name: 'plain', partitions: 1 }]);
    await admin.close();
    // The first Produce of each topic reaches the broker, but its answer is "lost".
    const lost = new Set<string>();
    Connection.prototype.send = function (this: Connection, apiKey: number, request: unknown, options?: unknown) {
      const p = (realSend as (this: Connection, k: number, r: unknown, o?: unknown) => Promise<unknown>).call(this, apiKey, request, options);
      const topic = apiKey === ApiKey.Produce ? (request as { topicData: Array<{ name: string }> }).topicData[0]!.name : '';
      if (!topic || lost.has(topic)) return p;
      lost.add(topic);
      return p.then(() => {
        throw new RequestTimeoutError('the answer was lost (test)');
      });
    } as typeof Connection.prototype.send;

    const p = await Producer.connect({ bootstrap, retryBackoffMs: 10 });
    const meta = await p.send('idem', [{ value: 'a' }, { value: 'b' }]);
    const more = await p.send('idem', [{ value: 'c' }]);
    await p.close();
    assert.deepEqual([...meta, ...more].map((m) => m.offset), [0n, 1n, 2n], 'the retried batch got its original offsets');

    const q = await Producer.connect({ bootstrap, retryBackoffMs: 10, acks: 1 });
    await q.send('plain', [{ value: 'a' }]);
    await q.close();
    Connection.prototype.send = realSend;

    const c = await connect(tb);
    const read = async (topic: string) => {
      const res = await c.send(ApiKey.Fetch, fetchRequest({ topic, topicId: await topicId(c, topic), offset: 0 }));
      return decodeRecordSetSync(res.responses[0]!.partitions[0]!.records ?? Buffer.alloc(0));
    };
    const idem = await read('idem');
    assert.deepEqual(idem.flatMap((b) => b.records.map((r) => r.value!.toString())), ['a', 'b', 'c'], 'each record once');
    assert.ok(idem.every((b) => b.header.producerId >= 0n), 'batches carry the producer id');
    assert.deepEqual(idem.map((b) => b.header.baseSequence), [0, 2]);
    assert.deepEqual((await read('plain')).flatMap((b) => b.records.map((r) => r.value!.toString())), ['a', 'a'], 'without idempotence the retry duplicates (why it is the default)');
    c.destroy();
    await assert.rejects(Producer.connect({ bootstrap, acks: 1, idempotent: true }), RangeError);
  } finally {
    Connection.prototype.send = realSend;
    await tb.close();
  }
});

test('Producer: a batch numbered before the producer id was given up is numbered afresh under the new id', async () => {
  // Partition 0's batch fails for good (a new producer id, sequences from 0) while partition 1's
  // next batch, numbered under the old id (sequence 1), waits for its connection. It must go out
  // with the new id from sequence 0, not the new id with the old id's sequence 1.
  const tb = await startBroker();
  const realConnection = BrokerPool.prototype.connection;
  const realSend = Connection.prototype.send;
  try {
    const bootstrap = `127.0.0.1:${tb.broker.port}`;
    const admin = await Admin.connect({ bootstrap });
    await admin.createTopics([{ name: 'renumber', partitions: 2 }]);
    await admin.close();
    const p = await Producer.connect({ bootstrap, lingerMs: 1, retries: 0 });
    await p.send('renumber', { value: 'x', partition: 1 }); // sequence 0 of partition 1

    let holdNext = false;
    BrokerPool.prototype.connection = async function (this: BrokerPool, nodeId: number) {
      if (holdNext) {
        holdNext = false;
        await new Promise((r) => setTimeout(r, 150));
      }
      return realConnection.call(this, nodeId);
    };
    Connection.prototype.send = function (this: Connection, apiKey: number, request: unknown, options?: unknown) {
      const parts = apiKey === ApiKey.Produce ? (request as { topicData: Array<{ partitionData: Array<{ index: number }> }> }).topicData[0]!.partitionData : [];
      if (parts.some((x) => x.index === 0)) {
        return new Promise((_, reject) => setTimeout(() => reject(new ResponseTooLargeError('refused for good (test)')), 50));
      }
      return (realSend as (this: Connection, k: number, r: unknown, o?: unknown) => Promise<unknown>).call(this, apiKey, request, options);
    } as typeof Connection.prototype.send;

    const a = p.send('renumber', { value: 'a', partition: 0 });
    await new Promise((r) => setTimeout(r, 10)); // a's request is out; y is numbered, then waits
    holdNext = true;
    const y = p.send('renumber', { value: 'y', partition: 1 });
    await assert.rejects(a, ResponseTooLargeError);
    const [my] = await y;
    assert.equal(my!.offset, 1n);
    BrokerPool.prototype.connection = realConnection;
    Connection.prototype.send = realSend;
    await p.close();

    const c = await connect(tb);
    const res = await c.send(ApiKey.Fetch, fetchRequest({ topic: 'renumber', topicId: await topicId(c, 'renumber'), partition: 1, offset: 0 }));
    const batches = decodeRecordSetSync(res.responses[0]!.partitions[0]!.records ?? Buffer.alloc(0));
    c.destroy();
    assert.deepEqual(batches.map((b) => b.records.map((r) => r.value!.toString())), [['x'], ['y']]);
    assert.notEqual(batches[1]!.header.producerId, batches[0]!.header.producerId, 'y went out under the new producer id');
    assert.equal(batches[1]!.header.baseSequence, 0, "y is the new producer id's first batch on partition 1");
  } finally {
    BrokerPool.prototype.connection = realConnection;
    Connection.prototype.send = realSend;
    await tb.close();
  }
});

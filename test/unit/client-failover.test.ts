// The client's side of failover (src/client/brokers.ts): several bootstrap servers, and metadata
// that moves on to another broker when the one it asked is dead or silent, so a producer or
// consumer whose bootstrap broker died still finds the partitions' leaders. Two standalone
// embedded brokers play the cluster: each is node 1 of its own, so "the leader moved" shows as
// node 1 answering at the other broker's address. And a group member whose coordinator or
// partition leader cannot be reached for a while keeps polling (nothing) and then reads on.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { Admin, Connection, ConnectionClosedError, ConnectionError, Consumer, Producer } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { BrokerPool, parseBootstrap } from '../../src/client/brokers.js';
import { startBroker, type TestBroker } from './helpers/broker-client.js';

/** A port that accepts TCP connections and never answers (a SIGSTOPped broker, as a client sees it). */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => void sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** A loopback port nobody listens on. */
async function deadPort(): Promise<number> {
  const s = await silentServer();
  await s.close();
  return s.port;
}

async function until<T>(f: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('parseBootstrap: one or several host:port, comma-separated, spaces allowed', () => {
  assert.deepEqual(parseBootstrap('a:1'), [{ host: 'a', port: 1 }]);
  assert.deepEqual(parseBootstrap('a:1, [::1]:2,b:3'), [
    { host: 'a', port: 1 },
    { host: '::1', port: 2 },
    { host: 'b', port: 3 },
  ]);
  for (const bad of ['', 'a:1,', 'a:1,b', ',a:1']) assert.throws(() => parseBootstrap(bad), RangeError, bad);
});

describe('failover of the metadata connection', () => {
  let b1: TestBroker;
  let b2: TestBroker;
  before(async () => {
    b1 = await startBroker();
    b2 = await startBroker();
    for (const b of [b1, b2]) {
      const admin = await Admin.connect({ bootstrap: `127.0.0.1:${b.broker.port}` });
      await admin.createTopics([{ name: 'fo', partitions: 1 }]);
      await admin.close();
    }
  });
  after(async () => {
    await b1?.close().catch(() => undefined);
    await b2?.close();
  });

  test('connect skips bootstrap servers that refuse or never answer', async () => {
    const silent = await silentServer();
    try {
      const pool = await BrokerPool.connect(`127.0.0.1:${await deadPort()},127.0.0.1:${silent.port},127.0.0.1:${b2.broker.port}`, { connectTimeoutMs: 300 });
      const md = await pool.metadata(['fo']);
      assert.deepEqual(md.brokers.map((b) => b.port), [b2.broker.port]);
      await pool.close();
      await assert.rejects(BrokerPool.connect(`127.0.0.1:${await deadPort()}`, { connectTimeoutMs: 300 }));
    } finally {
      await silent.close();
    }
  });

  test('metadata moves on to the next broker when the one it asked times out', async () => {
    // The pool's metadata connection is to b2; a silent broker is in the list too. Metadata that
    // times out on one connection is asked again of the next candidate.
    const silent = await silentServer();
    try {
      const pool = await BrokerPool.connect(`127.0.0.1:${b2.broker.port},127.0.0.1:${silent.port}`, { connectTimeoutMs: 300, requestTimeoutMs: 300 });
      (await pool.bootstrapConnection()).destroy(); // next: the silent one, then b2 again
      const md = await pool.metadata(['fo']);
      assert.deepEqual(md.brokers.map((b) => b.port), [b2.broker.port]);
      await pool.close();
    } finally {
      await silent.close();
    }
  });

  test('a producer and a consumer whose bootstrap broker died carry on with the broker the metadata names', async () => {
    const bootstrap = `127.0.0.1:${b1.broker.port},127.0.0.1:${b2.broker.port}`;
    const producer = await Producer.connect({ bootstrap, acks: 1, retries: 50, retryBackoffMs: 20, connectTimeoutMs: 500 });
    const consumer = await Consumer.connect({ bootstrap, connectTimeoutMs: 500, maxWaitMs: 50 });
    await consumer.assign([{ topic: 'fo', partition: 0, start: 'earliest' }]);
    const [first] = await producer.send('fo', { value: 'on b1' });
    assert.equal(first!.offset, 0n);
    const seen = await until(async () => {
      const r = await consumer.poll();
      return r.length > 0 ? r.map((x) => x.value!.toString()) : undefined;
    }, 10_000, 'the record on b1');
    assert.deepEqual(seen, ['on b1']);

    await b1.close(); // kill: node 1 now answers only at b2's address

    const sent = await producer.send('fo', [{ value: 'on b2, offset 0' }, { value: 'on b2, offset 1' }]);
    assert.deepEqual(sent.map((m) => m.offset), [0n, 1n], "b2's log was empty");
    // The consumer's position (1) is inside b2's log: it reads on from there once it has found b2.
    const after = await until(async () => {
      const r = await consumer.poll();
      return r.length > 0 ? r.map((x) => x.value!.toString()) : undefined;
    }, 15_000, 'a record from b2');
    assert.deepEqual(after, ['on b2, offset 1']);
    await producer.close();
    await consumer.close();
  });
});

test('a group consumer whose coordinator and leader are unreachable for a while polls nothing, then joins and reads (poll does not throw)', async () => {
  const tb = await startBroker({ 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 1000 });
  const realOpen = BrokerPool.prototype.open;
  const realSend = Connection.prototype.send;
  try {
    const bootstrap = `127.0.0.1:${tb.broker.port}`;
    const admin = await Admin.connect({ bootstrap });
    await admin.createTopics([{ name: 'gfo', partitions: 2 }]);
    await admin.close();
    const producer = await Producer.connect({ bootstrap });
    await producer.send('gfo', [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }, { value: 'c', partition: 0 }]);
    await producer.close();

    // FindCoordinator names a broker that refuses connections (twice); the first ListOffsets of
    // the assignment meets a connection that drops: the coordinator died, the leader moved.
    let refusals = 2;
    BrokerPool.prototype.open = function (this: BrokerPool, host: string, port: number) {
      if (refusals-- > 0) return Promise.reject(new ConnectionError(`cannot connect to ${host}:${port}: refused (test)`));
      return realOpen.call(this, host, port);
    };
    let drops = 1;
    Connection.prototype.send = function (this: Connection, apiKey: number, request: unknown, options?: unknown) {
      if (apiKey === ApiKey.ListOffsets && drops-- > 0) return Promise.reject(new ConnectionClosedError('connection dropped (test)'));
      return (realSend as (this: Connection, k: number, r: unknown, o?: unknown) => Promise<unknown>).call(this, apiKey, request, options);
    } as typeof Connection.prototype.send;

    const assigned: number[] = [];
    const c = await Consumer.connect({
      bootstrap,
      groupId: 'gfo-group',
      autoOffsetReset: 'earliest',
      maxWaitMs: 50,
      group: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 100 },
      onAssigned: (p) => void assigned.push(p.length),
    });
    c.subscribe(['gfo']);
    const values: string[] = [];
    let emptyPolls = 0;
    await until(async () => {
      const r = await c.poll();
      if (r.length === 0) emptyPolls++;
      values.push(...r.map((x) => x.value!.toString()));
      return values.length >= 3 ? true : undefined;
    }, 15_000, 'the three records');
    assert.deepEqual(values.sort(), ['a', 'b', 'c']);
    assert.deepEqual(assigned, [2], 'assigned once, after the failures');
    assert.ok(refusals < 0 && drops < 0, 'the failures happened');
    assert.ok(emptyPolls >= 2, 'the polls during the failures returned nothing');
    await c.close();
  } finally {
    BrokerPool.prototype.open = realOpen;
    Connection.prototype.send = realSend;
    await tb.close();
  }
});

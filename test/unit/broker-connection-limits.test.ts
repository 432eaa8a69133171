// Connection limits on a running broker, with real sockets: max.connections.per.ip and its
// overrides (a new connection over the limit is closed), max.connections and the per-listener
// limit (the new connection waits unanswered until a slot frees), the inter-broker listener's
// protection (the least recently used connection of another listener is closed), dynamic updates
// through IncrementalAlterConfigs, and max.connection.creation.rate (Kafka's sampled rate).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { Writer } from '../../src/protocol/primitives/index.js';
import { ApiKey, apiCodecs, encodeRequestHeader, requestHeaderVersion } from '../../src/protocol/messages/index.js';
import { FrameDecoder } from '../../src/protocol/framing.js';
import { RateSensor, parseIpOverrides, normaliseAddress } from '../../src/broker/network/connection-quotas.js';
import { connect, deadline, startBroker, type TestBroker } from './helpers/broker-client.js';

function apiVersionsFrame(correlationId: number): Buffer {
  const w = new Writer();
  w.writeInt32(0);
  encodeRequestHeader(w, { requestApiKey: ApiKey.ApiVersions, requestApiVersion: 3, correlationId, clientId: 'limits-test' }, requestHeaderVersion(ApiKey.ApiVersions, 3));
  apiCodecs[ApiKey.ApiVersions].encodeRequest(w, { clientSoftwareName: 'limits-test', clientSoftwareVersion: '1' }, 3);
  const b = Buffer.from(w.toBuffer());
  b.writeInt32BE(b.length - 4, 0);
  return b;
}

interface Client {
  s: Socket;
  /** Resolves with true once ApiVersions is answered, false if the broker closed the socket first. */
  answered: Promise<boolean>;
  closed: Promise<void>;
  isClosed(): boolean;
  /** Response frames received so far. */
  frames(): number;
}

/** A raw connection that sends ApiVersions at once (from `localAddress` when given). */
async function client(port: number, localAddress?: string): Promise<Client> {
  const s = await new Promise<Socket>((resolve, reject) => {
    const sock = netConnect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) }, () => resolve(sock));
    sock.once('error', reject);
  });
  s.on('error', () => undefined);
  let isClosed = false;
  const closed = new Promise<void>((resolve) =>
    s.once('close', () => {
      isClosed = true;
      resolve();
    }),
  );
  let frames = 0;
  const answered = new Promise<boolean>((resolve) => {
    const dec = new FrameDecoder({
      maxFrameBytes: 1 << 20,
      onFrame: () => {
        frames += 1;
        resolve(true);
      },
      onBadSize: () => resolve(false),
    });
    s.on('data', (d: Buffer) => dec.push(d));
    void closed.then(() => resolve(false));
  });
  s.write(apiVersionsFrame(1));
  return { s, answered, closed, isClosed: () => isClosed, frames: () => frames };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

async function alterBroker(tb: TestBroker, configs: Array<{ name: string; value: string | null }>): Promise<number> {
  const c = await connect(tb);
  try {
    const r = await c.send(ApiKey.IncrementalAlterConfigs, {
      resources: [{ resourceType: 4, resourceName: '', configs: configs.map((x) => ({ name: x.name, configOperation: x.value === null ? 1 : 0, value: x.value })) }],
      validateOnly: false,
    });
    return r.responses[0]!.errorCode;
  } finally {
    c.close();
  }
}

const portOf = (tb: TestBroker, name: string): number => tb.broker.listeners.find((l) => l.name === name)!.port;

describe('connection limits', () => {
  test('max.connections.per.ip: the connection over the limit is closed; an override raises it for one address', async () => {
    const tb = await startBroker({ 'max.connections.per.ip': 2, 'max.connections.per.ip.overrides': '127.0.0.2:4' });
    try {
      const a = [await client(tb.broker.port), await client(tb.broker.port)];
      for (const c of a) assert.equal(await deadline(c.answered, 5000, 'answer'), true);
      const third = await client(tb.broker.port);
      assert.equal(await deadline(third.answered, 5000, 'close'), false, 'the third connection from 127.0.0.1 is closed');
      // The override: 127.0.0.2 may hold 4.
      const b: Client[] = [];
      for (let i = 0; i < 4; i++) b.push(await client(tb.broker.port, '127.0.0.2'));
      for (const c of b) assert.equal(await deadline(c.answered, 5000, 'answer'), true);
      const fifth = await client(tb.broker.port, '127.0.0.2');
      assert.equal(await deadline(fifth.answered, 5000, 'close'), false, 'the fifth from 127.0.0.2 is closed');
      // A closed connection frees its slot.
      a[0]!.s.destroy();
      await until(() => tb.broker.connectionCounts!.total === 5, 'the close to be counted');
      const again = await client(tb.broker.port);
      assert.equal(await deadline(again.answered, 5000, 'answer'), true);
      for (const c of [...a, ...b, again]) c.s.destroy();
    } finally {
      await tb.close();
    }
  });

  test('max.connections.per.ip.overrides is dynamic (IncrementalAlterConfigs on the cluster default)', async () => {
    const tb = await startBroker({ 'max.connections.per.ip': 3 });
    try {
      assert.equal(await alterBroker(tb, [{ name: 'max.connections.per.ip', value: '1' }, { name: 'max.connections.per.ip.overrides', value: '127.0.0.3:2' }]), 0);
      await until(() => tb.broker.connectionCounts!.total === 0, 'the admin connection to close');
      const first = await client(tb.broker.port);
      assert.equal(await deadline(first.answered, 5000, 'answer'), true);
      const second = await client(tb.broker.port);
      assert.equal(await deadline(second.answered, 5000, 'close'), false);
      const o = [await client(tb.broker.port, '127.0.0.3'), await client(tb.broker.port, '127.0.0.3')];
      for (const c of o) assert.equal(await deadline(c.answered, 5000, 'answer'), true);
      for (const c of [first, ...o]) c.s.destroy();
    } finally {
      await tb.close();
    }
  });

  test('max.connections: the new connection waits unanswered until a slot frees, or the limit is raised dynamically', async () => {
    const tb = await startBroker({ 'max.connections': 3 });
    try {
      // The admin connection of alterBroker needs one slot: 2 clients + admin = 3.
      const a = [await client(tb.broker.port), await client(tb.broker.port)];
      for (const c of a) assert.equal(await deadline(c.answered, 5000, 'answer'), true);
      const admin = await connect(tb);
      const waiting = await client(tb.broker.port);
      await until(() => tb.broker.connectionCounts!.waiting['PLAINTEXT'] === 1, 'the fourth connection to wait');
      assert.equal(tb.broker.connectionCounts!.total, 3);
      assert.equal(waiting.isClosed(), false, 'not refused: it waits as in the accept backlog');
      // Raise the limit: the waiting connection is let through.
      const r = await admin.send(ApiKey.IncrementalAlterConfigs, { resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'max.connections', configOperation: 0, value: '4' }] }], validateOnly: false });
      assert.equal(r.responses[0]!.errorCode, 0);
      assert.equal(await deadline(waiting.answered, 5000, 'answer after the raise'), true);
      // Full again: the next waits until one closes.
      const next = await client(tb.broker.port);
      await until(() => tb.broker.connectionCounts!.waiting['PLAINTEXT'] === 1, 'the fifth connection to wait');
      a[0]!.s.destroy();
      assert.equal(await deadline(next.answered, 5000, 'answer after a close'), true);
      // Lowered below the count: the least recently used connections are closed.
      a[1]!.s.write(apiVersionsFrame(2)); // a[1] is used now; `waiting` and `next` stay idle
      await until(() => a[1]!.frames() === 2, 'a[1] answered again');
      const r2 = await admin.send(ApiKey.IncrementalAlterConfigs, { resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'max.connections', configOperation: 0, value: '2' }] }], validateOnly: false });
      assert.equal(r2.responses[0]!.errorCode, 0);
      await until(() => tb.broker.connectionCounts!.total === 2, 'excess connections closed');
      await deadline(waiting.closed, 5000, 'the least recently used closed');
      await deadline(next.closed, 5000, 'the next least recently used closed');
      assert.equal(a[1]!.isClosed(), false);
      a[1]!.s.destroy();
      admin.close();
    } finally {
      await tb.close();
    }
  });

  test('per-listener max.connections; the inter-broker listener passes max.connections and the LRU connection of another listener closes', async () => {
    const tb = await startBroker({
      listeners: 'EXTERNAL://127.0.0.1:0,INTERNAL://127.0.0.1:0',
      'listener.security.protocol.map': 'EXTERNAL:PLAINTEXT,INTERNAL:PLAINTEXT',
      'inter.broker.listener.name': 'INTERNAL',
      'max.connections': 2,
      'listener.name.internal.max.connections': 5,
    });
    try {
      const ext = portOf(tb, 'EXTERNAL');
      const int = portOf(tb, 'INTERNAL');
      const e1 = await client(ext);
      assert.equal(await deadline(e1.answered, 5000, 'answer'), true);
      const e2 = await client(ext);
      assert.equal(await deadline(e2.answered, 5000, 'answer'), true);
      e2.s.write(apiVersionsFrame(2)); // e1 is now the least recently used
      await until(() => e2.frames() === 2, 'e2 answered again');
      const e3 = await client(ext);
      await until(() => tb.broker.connectionCounts!.waiting['EXTERNAL'] === 1, 'EXTERNAL to block');
      const i1 = await client(int);
      assert.equal(await deadline(i1.answered, 5000, 'the inter-broker listener answers'), true);
      await deadline(e1.closed, 5000, 'the least recently used EXTERNAL connection to be closed');
      assert.equal(e2.isClosed(), false);
      assert.equal(tb.broker.connectionCounts!.total, 2);
      assert.equal(e3.isClosed(), false, 'still waiting');
      for (const c of [e2, i1, e3]) c.s.destroy();
    } finally {
      await tb.close();
    }
  });

  test('listener.name.<l>.max.connections blocks only its listener', async () => {
    const tb = await startBroker({
      listeners: 'EXTERNAL://127.0.0.1:0,INTERNAL://127.0.0.1:0',
      'listener.security.protocol.map': 'EXTERNAL:PLAINTEXT,INTERNAL:PLAINTEXT',
      'inter.broker.listener.name': 'INTERNAL',
      'listener.name.external.max.connections': 1,
    });
    try {
      const e1 = await client(portOf(tb, 'EXTERNAL'));
      assert.equal(await deadline(e1.answered, 5000, 'answer'), true);
      const e2 = await client(portOf(tb, 'EXTERNAL'));
      await until(() => tb.broker.connectionCounts!.waiting['EXTERNAL'] === 1, 'EXTERNAL to block');
      const i1 = await client(portOf(tb, 'INTERNAL'));
      assert.equal(await deadline(i1.answered, 5000, 'INTERNAL answers'), true);
      e1.s.destroy();
      assert.equal(await deadline(e2.answered, 5000, 'answer after the close'), true);
      for (const c of [e2, i1]) c.s.destroy();
    } finally {
      await tb.close();
    }
  });

  test('max.connection.creation.rate: connections above the rate wait (Kafka sampled rate, 2 windows of 1 s)', async () => {
    const tb = await startBroker({ 'max.connection.creation.rate': 5, 'quota.window.num': 2, 'quota.window.size.seconds': 1 });
    try {
      const start = Date.now();
      const cs: Client[] = [];
      for (let i = 0; i < 10; i++) cs.push(await client(tb.broker.port));
      for (const c of cs) assert.equal(await deadline(c.answered, 10_000, 'answer'), true);
      const took = Date.now() - start;
      // 5 pass at once; each further one waits (rate - 5) / 5 of the measured window (>= 1 s): >= 200 ms each for 5.
      assert.ok(took >= 800, `10 connections at 5/s took ${took} ms`);
      for (const c of cs) c.s.destroy();
    } finally {
      await tb.close();
    }
  });
});

test('RateSensor: Kafka Rate over samples; throttle time (rate - limit) / limit of the window, capped at one window', () => {
  const r = new RateSensor(
    () => 1000,
    () => 11,
  );
  // 11 samples: the window counts at least 10 s, so 20 connections at t=0 are a rate of 2/s.
  for (let i = 0; i < 20; i++) assert.equal(r.record(0, 2), 0);
  assert.equal(r.record(0, 2), 500); // 21 / 10 s = 2.1: (0.1 / 2) * 10 s
  for (let i = 0; i < 50; i++) r.record(0, 2);
  assert.equal(r.record(0, 2), 1000, 'capped at quota.window.size.seconds');
  assert.equal(new RateSensor(() => 1000, () => 11).record(0, 2147483647), 0);
  const zero = new RateSensor(() => 1000, () => 2);
  assert.equal(zero.record(0, 0), 1000, 'a limit of 0 holds every connection one window');
});

test('max.connections.per.ip.overrides parsing; IPv4-mapped addresses compare as IPv4', () => {
  assert.deepEqual([...parseIpOverrides('127.0.0.1:5, hostA:10,[::1]:3,')], [
    ['127.0.0.1', 5],
    ['hostA', 10],
    ['::1', 3],
  ]);
  assert.equal(normaliseAddress('::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(normaliseAddress('::1'), '::1');
});

test('max.connections.per.ip=0 needs overrides, at startup and dynamically (Kafka\'s requirement)', async () => {
  await assert.rejects(startBroker({ 'max.connections.per.ip': 0 }), /max.connections.per.ip can be set to zero only if max.connections.per.ip.overrides property is set/);
  const tb = await startBroker({});
  try {
    const c = await connect(tb);
    const set = async (configs: Array<{ name: string; value: string }>) =>
      (await c.send(ApiKey.IncrementalAlterConfigs, { resources: [{ resourceType: 4, resourceName: '', configs: configs.map((x) => ({ name: x.name, configOperation: 0, value: x.value })) }], validateOnly: false })).responses[0]!;
    const refused = await set([{ name: 'max.connections.per.ip', value: '0' }]);
    assert.equal(refused.errorCode, 42);
    assert.match(refused.errorMessage ?? '', /^requirement failed: max.connections.per.ip can be set to zero only if/);
    assert.equal((await set([{ name: 'max.connections.per.ip', value: '0' }, { name: 'max.connections.per.ip.overrides', value: '127.0.0.1:5' }])).errorCode, 0);
    c.close();
    // 127.0.0.2 has no override: every connection from it is closed.
    const other = await client(tb.broker.port, '127.0.0.2');
    assert.equal(await deadline(other.answered, 5000, 'close'), false);
  } finally {
    await tb.close();
  }
});

test('the per-IP connection creation rate (connection_creation_rate on an ip entity): over it, the connection is closed unanswered after the delay', async () => {
  const values: Record<string, string> = {
    'max.connections': '2147483647',
    'max.connections.per.ip': '2147483647',
    'max.connection.creation.rate': '2147483647',
    'quota.window.num': '2',
    'quota.window.size.seconds': '1',
    'socket.listen.backlog.size': '50',
  };
  const config = { get: (k: string) => values[k] ?? null, isSet: (k: string) => k in values, int: (k: string) => Number(values[k] ?? '2147483647') };
  const { ConnectionQuotas } = await import('../../src/broker/network/connection-quotas.js');
  const { createLogger } = await import('../../src/broker/logger.js');
  const quotas = new ConnectionQuotas({ config, interBrokerListener: null, log: createLogger('silent') });
  quotas.addListener('L');
  const { createServer } = await import('node:net');
  const serverSide = new Set<Socket>();
  const server = createServer({ pauseOnConnect: true }, (raw) => {
    serverSide.add(raw);
    raw.on('error', () => undefined);
    quotas.accept('L', raw, () => {
      raw.resume();
      raw.write('hi');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  /** Resolves with 'hi' when admitted, or 'closed' (and how long it took) when the limiter closed it. */
  const attempt = (localAddress: string): Promise<{ got: string; ms: number; s: Socket }> =>
    new Promise((resolve, reject) => {
      const start = Date.now();
      const s = netConnect({ host: '127.0.0.1', port, localAddress });
      s.on('error', reject);
      s.once('data', (d) => resolve({ got: d.toString(), ms: Date.now() - start, s }));
      s.once('close', () => resolve({ got: 'closed', ms: Date.now() - start, s }));
    });
  try {
    quotas.updateIpConnectionRateQuota('127.0.0.2', 2);
    const r = [await attempt('127.0.0.2'), await attempt('127.0.0.2'), await attempt('127.0.0.2')];
    assert.deepEqual(r.map((x) => x.got), ['hi', 'hi', 'closed']);
    // (3 - 2) / 2 of the 1 s window: closed after about 500 ms, not at once (RateSensor's test checks the arithmetic).
    assert.ok(r[2]!.ms >= 200, `closed after ${r[2]!.ms} ms`);
    // Other addresses have no quota; then a default for every address without its own.
    const others = [await attempt('127.0.0.3'), await attempt('127.0.0.3'), await attempt('127.0.0.3')];
    assert.deepEqual(others.map((x) => x.got), ['hi', 'hi', 'hi']);
    quotas.updateIpConnectionRateQuota(null, 1);
    const d = [await attempt('127.0.0.4'), await attempt('127.0.0.4')];
    assert.deepEqual(d.map((x) => x.got), ['hi', 'closed']);
    quotas.updateIpConnectionRateQuota('127.0.0.2', null);
    quotas.updateIpConnectionRateQuota(null, null);
    const last = await attempt('127.0.0.2');
    assert.equal(last.got, 'hi');
    for (const x of [...r, ...others, ...d, last]) x.s.destroy();
  } finally {
    quotas.close();
    for (const raw of serverSide) raw.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('AlterClientQuotas connection_creation_rate on an ip entity throttles that address until it is removed', async () => {
  const tb = await startBroker({ 'quota.window.num': 2, 'quota.window.size.seconds': 1 });
  const alter = async (rate: number | null): Promise<void> => {
    const c = await connect(tb);
    try {
      const r = await c.send(ApiKey.AlterClientQuotas, {
        entries: [{ entity: [{ entityType: 'ip', entityName: '127.0.0.2' }], ops: [{ key: 'connection_creation_rate', value: rate ?? 0, remove: rate === null }] }],
        validateOnly: false,
      });
      assert.equal(r.entries[0]!.errorCode, 0, r.entries[0]!.errorMessage ?? '');
    } finally {
      c.close();
    }
  };
  try {
    await alter(2);
    const conns = [await client(tb.broker.port, '127.0.0.2'), await client(tb.broker.port, '127.0.0.2'), await client(tb.broker.port, '127.0.0.2')];
    const answered = await Promise.all(conns.map((c) => deadline(c.answered, 5000, 'answer or close')));
    assert.deepEqual(answered, [true, true, false], 'the third connection within the second is closed');
    // Another address has no quota.
    const other = await client(tb.broker.port, '127.0.0.3');
    assert.equal(await deadline(other.answered, 5000, 'answer'), true);
    await alter(null);
    const after = [await client(tb.broker.port, '127.0.0.2'), await client(tb.broker.port, '127.0.0.2'), await client(tb.broker.port, '127.0.0.2')];
    assert.deepEqual(await Promise.all(after.map((c) => deadline(c.answered, 5000, 'answer'))), [true, true, true], 'removed: no throttle');
    for (const c of [...conns, other, ...after]) c.s.destroy();
  } finally {
    await tb.close();
  }
});

// Issue 2, "Bad input": each case gets a clear error (an error code in the response, or the
// connection closed with a logged reason) and the broker keeps serving everyone else. After every
// case a second, healthy connection produces and fetches.
import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { Connection, type ApiKeyNumber } from '../../src/client/index.js';
import { Reader, Writer } from '../../src/protocol/primitives/index.js';
import {
  ApiKey,
  apiCodecs,
  decodeApiVersionsResponse,
  decodeResponseHeader,
  encodeRequestHeader,
  requestHeaderVersion,
} from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { OFF } from '../../src/protocol/records/index.js';
import { FrameDecoder } from '../../src/protocol/framing.js';
import {
  batch,
  capturingLogger,
  connect,
  createTopic,
  deadline,
  fetchRequest,
  latestOffset,
  produceRequest,
  startBroker,
  topicId,
  ZERO_UUID,
  type TestBroker,
} from './helpers/broker-client.js';

const MAX_REQUEST = 1024 * 1024;

// Any unhandled rejection or uncaught exception in this process (the broker is embedded) fails.
const unexpected: unknown[] = [];
const onUnexpected = (err: unknown): void => void unexpected.push(err);
process.on('unhandledRejection', onUnexpected);
process.on('uncaughtException', onUnexpected);

/** A request frame (length prefix included) with a real header and the given body bytes. */
function rawFrame(apiKey: number, apiVersion: number, correlationId: number, body: Buffer): Buffer {
  const w = new Writer();
  w.writeInt32(0);
  encodeRequestHeader(w, { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId: 'bad-input' }, requestHeaderVersion(apiKey, apiVersion));
  w.writeRaw(body);
  const b = w.toBuffer();
  b.writeInt32BE(b.length - 4, 0);
  return Buffer.from(b);
}

/** A well-formed request frame, encoded by the generated codec. */
function encodedFrame<K extends ApiKeyNumber>(apiKey: K, version: number, correlationId: number, request: Parameters<(typeof apiCodecs)[K]['encodeRequest']>[1]): Buffer {
  const w = new Writer();
  (apiCodecs[apiKey].encodeRequest as (w: Writer, m: unknown, v: number) => void)(w, request, version);
  return rawFrame(apiKey, version, correlationId, w.toBuffer());
}

/** Deterministic pseudo-random bytes (xorshift32). */
function noise(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/** Calls onFrame for every length-prefixed frame in a byte stream fed chunk by chunk. */
function frameCounter(onFrame: () => void): (chunk: Buffer) => void {
  const frames = new FrameDecoder({ maxFrameBytes: 0x7fffffff, onFrame: () => onFrame(), onBadSize: (size) => assert.fail(`response frame of ${size} bytes`) });
  return (chunk) => frames.push(chunk);
}

/** A plain socket, to send bytes no client would. */
function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves with the bytes received once the broker closes the socket. */
function closedByBroker(s: Socket, what: string, ms = 5000): Promise<Buffer> {
  const got: Buffer[] = [];
  s.on('data', (d: Buffer) => got.push(d));
  return deadline(
    new Promise<Buffer>((resolve) => {
      if (s.destroyed) resolve(Buffer.concat(got));
      s.once('close', () => resolve(Buffer.concat(got)));
    }),
    ms,
    `the broker to close the connection after ${what}`,
  );
}

describe('bad input: each case gets a clear error and the broker keeps serving others', () => {
  let tb: TestBroker;
  let lines: Array<Record<string, unknown>>;
  let healthy: Connection;
  let healthyId: string;
  let healthyEnd = 0n;

  before(async () => {
    const cap = capturingLogger('debug');
    lines = cap.lines;
    tb = await startBroker({ 'socket.request.max.bytes': MAX_REQUEST, 'message.max.bytes': MAX_REQUEST / 2 }, { logger: cap.logger });
    healthy = await connect(tb);
    await createTopic(healthy, 'healthy');
    await createTopic(healthy, 'small', 1, { 'max.message.bytes': '1000' });
    healthyId = await topicId(healthy, 'healthy');
  });

  after(async () => {
    await healthy.close();
    await tb.close();
    process.off('unhandledRejection', onUnexpected);
    process.off('uncaughtException', onUnexpected);
  });

  /** The healthy connection still produces and fetches, and nothing escaped as unhandled. */
  afterEach(async () => {
    const res = await healthy.send(ApiKey.Produce, produceRequest('healthy', 0, batch(['still-here'])), { version: 12 });
    const p = res.responses[0]!.partitionResponses[0]!;
    assert.equal(p.errorCode, 0);
    assert.equal(p.baseOffset, healthyEnd);
    const f = await healthy.send(ApiKey.Fetch, fetchRequest({ topic: 'healthy', topicId: healthyId, offset: healthyEnd }));
    assert.ok(f.responses[0]!.partitions[0]!.records!.length > 0);
    healthyEnd++;
    assert.deepEqual(unexpected, [], 'no unhandled rejection or uncaught exception');
  });

  /** The broker logged that it closed a connection, for a reason matching `re`. */
  function assertClosedLogged(re: RegExp): void {
    const reasons = lines.filter((l) => l.msg === 'closing connection').map((l) => String(l.reason));
    assert.ok(reasons.some((r) => re.test(r)), `expected a 'closing connection' log matching ${re}, got ${JSON.stringify(reasons)}`);
  }

  test('a garbage frame (random bytes with a valid length prefix) closes that connection', async () => {
    for (const seed of [1, 2, 3]) {
      const s = await rawSocket(tb.broker.port);
      const body = noise(64, seed);
      body.writeInt16BE(-1 - seed, 0); // the random "API key" lands on a negative number
      const frame = Buffer.concat([Buffer.from([0, 0, 0, 64]), body]);
      s.write(frame);
      const got = await closedByBroker(s, 'a garbage frame');
      assert.equal(got.length, 0, 'no answer to garbage');
    }
    assertClosedLogged(/unsupported API key -2/);
    // A real header (Metadata v12) followed by random bytes: the body cannot be decoded.
    const s = await rawSocket(tb.broker.port);
    s.write(rawFrame(ApiKey.Metadata, 12, 1, noise(40, 7)));
    assert.equal((await closedByBroker(s, 'a garbage body')).length, 0);
    assertClosedLogged(/malformed Metadata v12 request/);
  });

  test('a frame larger than socket.request.max.bytes is refused from its length header alone', async () => {
    const s = await rawSocket(tb.broker.port);
    const head = Buffer.alloc(4);
    head.writeInt32BE(MAX_REQUEST + 1, 0);
    s.write(head); // only the header: the broker must not wait to buffer the announced megabyte
    assert.equal((await closedByBroker(s, 'an oversized length')).length, 0);
    assertClosedLogged(/socket\.request\.max\.bytes/);
    // A negative length is refused the same way.
    const s2 = await rawSocket(tb.broker.port);
    s2.write(Buffer.from([0xff, 0xff, 0xff, 0xf0]));
    await closedByBroker(s2, 'a negative length');
  });

  test('an unknown API key closes the connection', async () => {
    const c = await connect(tb);
    const id = c.nextCorrelationId();
    const settled = c.sendRaw(rawFrame(999, 0, id, Buffer.alloc(0)), { correlationId: id }).then(
      () => null,
      (e: unknown) => e,
    );
    await deadline(c.closed, 5000, 'close after API key 999');
    assert.equal(((await settled) as { code?: string }).code, 'TRIBUTARY_CONNECTION_CLOSED');
    assertClosedLogged(/unsupported API key 999/);
  });

  test('an unknown version of a known API (Metadata v99) closes the connection', async () => {
    const s = await rawSocket(tb.broker.port);
    s.write(rawFrame(ApiKey.Metadata, 99, 5, Buffer.alloc(8)));
    assert.equal((await closedByBroker(s, 'Metadata v99')).length, 0);
    assertClosedLogged(/unsupported version 99 of Metadata/);
    // Produce v0-v2 need the legacy message format: not served either.
    const s2 = await rawSocket(tb.broker.port);
    s2.write(rawFrame(ApiKey.Produce, 2, 6, Buffer.alloc(8)));
    await closedByBroker(s2, 'Produce v2');
  });

  test('ApiVersions v99 is answered in v0 format with UNSUPPORTED_VERSION and the supported ranges (KIP-511)', async () => {
    const c = await connect(tb);
    try {
      const id = c.nextCorrelationId();
      // A future version's body is unknowable; the broker must not try to parse it.
      const frame = (await c.sendRaw(rawFrame(ApiKey.ApiVersions, 99, id, noise(13, 5)), { correlationId: id }))!;
      const r = new Reader(frame);
      assert.equal(decodeResponseHeader(r, 0).correlationId, id);
      const res = decodeApiVersionsResponse(r, 0);
      assert.equal(r.remaining, 0, 'exactly a v0 body');
      assert.equal(res.errorCode, ErrorCode.UNSUPPORTED_VERSION);
      const av = res.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions);
      assert.deepEqual({ ...av }, { apiKey: 18, minVersion: 0, maxVersion: 4 });
      assert.ok(res.apiKeys.some((k) => k.apiKey === ApiKey.Produce));
      // The connection stays open so the client can retry at a version both know.
      const again = await c.send(ApiKey.ApiVersions, { clientSoftwareName: 't', clientSoftwareVersion: '1' }, { version: 3 });
      assert.equal(again.errorCode, 0);
    } finally {
      await c.close();
    }
  });

  test('a corrupt CRC in a produce batch gets CORRUPT_MESSAGE and nothing is appended', async () => {
    const c = await connect(tb);
    try {
      const before = await latestOffset(c, 'healthy');
      const good = batch(['a', 'b', 'c']);
      const flippedRecord = Buffer.from(good);
      flippedRecord[flippedRecord.length - 2]! ^= 0xff; // a record byte: the stored CRC no longer matches
      const flippedCrc = Buffer.from(good);
      flippedCrc[OFF.crc]! ^= 0x01;
      for (const bad of [flippedRecord, flippedCrc]) {
        const res = await c.send(ApiKey.Produce, produceRequest('healthy', 0, bad), { version: 12 });
        const p = res.responses[0]!.partitionResponses[0]!;
        assert.equal(p.errorCode, ErrorCode.CORRUPT_MESSAGE, `got ${p.errorCode}: ${p.errorMessage}`);
        assert.equal(p.baseOffset, -1n);
      }
      assert.equal(await latestOffset(c, 'healthy'), before, 'nothing appended');
      assert.equal(c.isClosed, false, 'a partition error, not a closed connection');
    } finally {
      await c.close();
    }
  });

  test('a batch bigger than max.message.bytes gets MESSAGE_TOO_LARGE', async () => {
    const c = await connect(tb);
    try {
      const big = batch([{ value: Buffer.alloc(2000, 0x61) }]);
      const res = await c.send(ApiKey.Produce, produceRequest('small', 0, big), { version: 12 });
      assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.MESSAGE_TOO_LARGE);
      assert.equal(await latestOffset(c, 'small'), 0n);
      // Just under the limit is fine.
      const ok = await c.send(ApiKey.Produce, produceRequest('small', 0, batch([{ value: Buffer.alloc(500, 0x61) }])), { version: 12 });
      assert.equal(ok.responses[0]!.partitionResponses[0]!.errorCode, 0);
    } finally {
      await c.close();
    }
  });

  test('invalid topic names get INVALID_TOPIC_EXCEPTION in CreateTopics and Metadata', async () => {
    const c = await connect(tb);
    try {
      const names = ['bad/name', '..', '.', 'x'.repeat(250), 'sp ace', 'ü'];
      const res = await c.send(ApiKey.CreateTopics, {
        topics: names.map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })),
        timeoutMs: 5000,
        validateOnly: false,
      });
      for (const t of res.topics) assert.equal(t.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, `${t.name.slice(0, 20)}: ${t.errorCode}`);
      const md = await c.send(ApiKey.Metadata, {
        topics: names.map((name) => ({ topicId: ZERO_UUID, name })),
        allowAutoTopicCreation: true,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      for (const t of md.topics) assert.equal(t.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, `${String(t.name).slice(0, 20)}: ${t.errorCode}`);
      const all = await c.send(ApiKey.Metadata, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      assert.deepEqual(all.topics.map((t) => t.name).sort(), ['healthy', 'small']);
    } finally {
      await c.close();
    }
  });

  test('an unknown topic with auto.create.topics.enable=false: UNKNOWN_TOPIC_OR_PARTITION, nothing created', async () => {
    const c = await connect(tb);
    try {
      const md = await c.send(ApiKey.Metadata, {
        topics: [{ topicId: ZERO_UUID, name: 'nope' }],
        allowAutoTopicCreation: true,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      assert.equal(md.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      // Metadata v0 always allows auto-creation on the client side; the broker config still wins.
      const md0 = await c.send(ApiKey.Metadata, { topics: [{ topicId: ZERO_UUID, name: 'nope' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, { version: 0 });
      assert.equal(md0.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const pr = await c.send(ApiKey.Produce, produceRequest('nope', 0, batch(['x'])), { version: 12 });
      assert.equal(pr.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const f12 = await c.send(ApiKey.Fetch, fetchRequest({ topic: 'nope', offset: 0 }), { version: 12 });
      assert.equal(f12.responses[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const f13 = await c.send(ApiKey.Fetch, fetchRequest({ topic: '', topicId: '11111111-2222-3333-4444-555555555555', offset: 0 }), { version: 13 });
      assert.equal(f13.responses[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
      // A partition that does not exist in a topic that does.
      const pr2 = await c.send(ApiKey.Produce, produceRequest('healthy', 7, batch(['x'])), { version: 12 });
      assert.equal(pr2.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const all = await c.send(ApiKey.Metadata, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      assert.ok(!all.topics.some((t) => t.name === 'nope'), 'no topic created');
    } finally {
      await c.close();
    }
  });

  test('a client disconnecting mid-frame leaves the broker unaffected', async () => {
    const s = await rawSocket(tb.broker.port);
    const frame = encodedFrame(ApiKey.Produce, 9, 1, produceRequest('healthy', 0, batch(['half'])));
    await new Promise<void>((r) => s.write(frame.subarray(0, frame.length >>> 1), () => r()));
    s.destroy();
    const s2 = await rawSocket(tb.broker.port);
    await new Promise<void>((r) => s2.write(frame.subarray(0, 2), () => r())); // not even a whole length
    s2.destroy();
    assert.equal(await latestOffset(healthy, 'healthy'), healthyEnd, 'the half produce was not appended');
  });

  test('a client disconnecting during a fetch long poll leaves the broker unaffected', async () => {
    const c = await connect(tb);
    const end = await latestOffset(c, 'healthy');
    const pending = c.send(ApiKey.Fetch, fetchRequest({ topic: 'healthy', topicId: healthyId, offset: end, maxWaitMs: 30_000 })).then(
      () => null,
      (e: unknown) => e,
    );
    // Another connection's request round trip: the long poll has been read and parked by now.
    await latestOffset(healthy, 'healthy');
    c.destroy();
    assert.ok(((await pending) as Error).name === 'ConnectionClosedError');
    // An append wakes the abandoned long poll; its answer has nowhere to go.
    const res = await healthy.send(ApiKey.Produce, produceRequest('healthy', 0, batch(['wake'])), { version: 12 });
    assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
    healthyEnd++;
    // A short long poll on the healthy connection: by its end the woken fetch has long finished.
    const t = await healthy.send(ApiKey.Fetch, fetchRequest({ topic: 'healthy', topicId: healthyId, offset: 0, minBytes: 1 << 30, maxWaitMs: 100 }));
    assert.equal(t.responses[0]!.partitions[0]!.errorCode, 0);
  });

  test('a truncated body (valid header, body cut short) closes the connection', async () => {
    const full = encodedFrame(ApiKey.Produce, 9, 3, produceRequest('healthy', 0, batch(['truncated'])));
    const cut = Buffer.from(full.subarray(0, full.length - 20));
    cut.writeInt32BE(cut.length - 4, 0); // a consistent frame whose body ends early
    const s = await rawSocket(tb.broker.port);
    s.write(cut);
    assert.equal((await closedByBroker(s, 'a truncated body')).length, 0);
    assertClosedLogged(/malformed Produce v9 request/);
    assert.equal(await latestOffset(healthy, 'healthy'), healthyEnd, 'nothing appended');
  });

  test('a client that pipelines fetches and never reads the answers does not make the broker buffer them all', async () => {
    // 8 batches of 100 kB: each fetch answer is about 800 kB.
    await createTopic(healthy, 'slow-reader');
    const slowId = await topicId(healthy, 'slow-reader');
    for (let i = 0; i < 8; i++) {
      const r = await healthy.send(ApiKey.Produce, produceRequest('slow-reader', 0, batch([{ value: Buffer.alloc(100_000, i) }])), { version: 12 });
      assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, 0);
    }
    const frame = encodedFrame(ApiKey.Fetch, 12, 1, fetchRequest({ topic: 'slow-reader', offset: 0, partitionMaxBytes: 4 << 20 }));
    const n = 250; // ~200 MB of answers if the broker buffered them all
    const s = await rawSocket(tb.broker.port);
    s.pause(); // do not read (until the end)
    const base = process.memoryUsage().arrayBuffers;
    let peak = 0;
    s.write(Buffer.concat(Array.from({ length: n }, () => frame)));
    // Give the broker plenty of turns: 200 fetch round trips on the healthy connection.
    for (let i = 0; i < 200; i++) {
      await healthy.send(ApiKey.Fetch, fetchRequest({ topic: 'slow-reader', topicId: slowId, offset: 0, partitionMaxBytes: 1000 }));
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
    }
    // Now read: every answer still arrives.
    let frames = 0;
    let bytes = 0;
    const done = new Promise<void>((resolve) => {
      const counter = frameCounter(() => {
        if (++frames === n) resolve();
      });
      s.on('data', (d: Buffer) => {
        bytes += d.length;
        counter(d);
      });
    });
    s.resume();
    await deadline(done, 30_000, 'all answers to the slow reader');
    s.destroy();
    assert.ok(bytes > n * 800_000, `all ${n} answers arrived (${bytes} bytes)`);
    if (process.env.SHOW_PEAK) console.log(`peak ${(peak / 1e6).toFixed(0)} MB`);
    assert.ok(peak < 80 * 1024 * 1024, `the broker buffered at most ~80 MB for a client that does not read (peak ${(peak / 1e6).toFixed(0)} MB)`);
  });

  test('hostile lengths inside a valid frame (INT32_MAX counts) close the connection without a big allocation', async () => {
    const rssBefore = process.memoryUsage().rss;
    const cases: Array<[string, Buffer]> = [];
    // Metadata v4 (non-flexible): topics array of INT32_MAX entries, then nothing.
    cases.push(['Metadata v4 array', rawFrame(ApiKey.Metadata, 4, 1, Buffer.from([0x7f, 0xff, 0xff, 0xff, 0]))]);
    // Metadata v12 (flexible): compact array length as a huge uvarint.
    cases.push(['Metadata v12 compact array', rawFrame(ApiKey.Metadata, 12, 2, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x07, 0, 0, 0]))]);
    // Produce v3: topic name string length INT16_MAX.
    {
      const w = new Writer();
      w.writeNullableString(null).writeInt16(1).writeInt32(1000).writeInt32(1).writeInt16(0x7fff);
      cases.push(['Produce v3 string', rawFrame(ApiKey.Produce, 3, 3, w.toBuffer())]);
    }
    // Produce v7: records bytes of INT32_MAX.
    {
      const w = new Writer();
      w.writeNullableString(null).writeInt16(1).writeInt32(1000).writeInt32(1).writeString('healthy').writeInt32(1).writeInt32(0).writeInt32(0x7fffffff);
      cases.push(['Produce v7 records', rawFrame(ApiKey.Produce, 7, 4, w.toBuffer())]);
    }
    // Fetch v11: partitions array of INT32_MAX.
    {
      const w = new Writer();
      w.writeInt32(-1).writeInt32(0).writeInt32(1).writeInt32(1000).writeInt8(0).writeInt32(0).writeInt32(-1).writeInt32(1).writeString('healthy').writeInt32(0x7fffffff);
      cases.push(['Fetch v11 partitions', rawFrame(ApiKey.Fetch, 11, 5, w.toBuffer())]);
    }
    // A negative (non-null) array count where null is not allowed: CreateTopics v0 topics = -2.
    cases.push(['CreateTopics v0 negative', rawFrame(ApiKey.CreateTopics, 0, 6, Buffer.from([0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 0]))]);
    for (const [what, frame] of cases) {
      const s = await rawSocket(tb.broker.port);
      s.write(frame);
      assert.equal((await closedByBroker(s, what)).length, 0, what);
    }
    assertClosedLogged(/malformed Fetch v11 request/);
    assert.ok(process.memoryUsage().rss - rssBefore < 256 * 1024 * 1024, 'no huge allocation');
  });
});

// The client Connection against an embedded broker (negotiation, pipelining, timeouts, close)
// and against a scripted fake broker (KIP-511 fallback, frames split and coalesced arbitrarily).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import {
  Connection,
  ConnectionClosedError,
  ConnectionError,
  ConnectionTimeoutError,
  KafkaProtocolError,
  ProtocolError,
  RequestAbortedError,
  RequestTimeoutError,
  ResponseTooLargeError,
  clientMaxVersion,
  parseHostPort,
} from '../../src/client/index.js';
import { Reader, Writer, ZERO_UUID } from '../../src/protocol/primitives/index.js';
import { FrameDecoder } from '../../src/protocol/framing.js';
import {
  ApiKey,
  apiCodecs,
  decodeRequestHeader,
  encodeApiVersionsResponse,
  encodeResponseHeader,
  requestHeaderVersion,
  type ApiVersionsResponse,
} from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { batch, connect, createTopic, deadline, fetchRequest, latestOffset, produceRequest, startBroker, topicId, type TestBroker } from './helpers/broker-client.js';

const metadataAll = { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };

test('parseHostPort: host:port, bracketed or bare IPv6; anything else is a RangeError', () => {
  assert.deepEqual(parseHostPort('localhost:9092'), { host: 'localhost', port: 9092 });
  assert.deepEqual(parseHostPort('[::1]:9092'), { host: '::1', port: 9092 });
  assert.deepEqual(parseHostPort('::1:9092'), { host: '::1', port: 9092 });
  for (const bad of ['localhost', ':9092', 'localhost:', 'localhost:0', 'localhost:65536', 'localhost: 9092', 'localhost:9092x']) {
    assert.throws(() => parseHostPort(bad), RangeError, bad);
  }
});

describe('Connection against the embedded broker', () => {
  let tb: TestBroker;
  let id: string;
  before(async () => {
    tb = await startBroker();
    const c = await connect(tb);
    await createTopic(c, 'conn-t');
    id = await topicId(c, 'conn-t');
    await c.close();
  });
  after(async () => {
    await tb.close();
  });

  test('negotiates versions with ApiVersions and picks min(ours, broker max) per request', async () => {
    const c = await connect(tb);
    try {
      const versions = c.apiVersions;
      assert.ok(versions);
      const brokerMeta = versions.get(ApiKey.Metadata);
      assert.ok(brokerMeta, 'broker advertises Metadata');
      assert.equal(c.versionFor(ApiKey.Metadata), Math.min(clientMaxVersion(ApiKey.Metadata), brokerMeta.maxVersion));
      for (const [key, range] of versions) {
        if (!apiCodecs[key as keyof typeof apiCodecs]) continue;
        const v = c.versionFor(key);
        assert.ok(v <= range.maxVersion && v >= range.minVersion, `API ${key}: v${v} in ${range.minVersion}-${range.maxVersion}`);
      }
      // An API the broker does not serve: a typed UNSUPPORTED_VERSION error, no request sent.
      assert.ok(!versions.has(ApiKey.DescribeDelegationToken));
      await assert.rejects(
        c.send(ApiKey.DescribeDelegationToken, {} as never),
        (e: unknown) => e instanceof KafkaProtocolError && e.code === ErrorCode.UNSUPPORTED_VERSION && e.errorName === 'UNSUPPORTED_VERSION',
      );
      const md = await c.send(ApiKey.Metadata, metadataAll);
      assert.ok(md.brokers.length === 1);
      assert.ok(md.topics.some((t) => t.name === 'conn-t'));
      // An explicit version is used as given.
      const md0 = await c.send(ApiKey.Metadata, { ...metadataAll, topics: [], allowAutoTopicCreation: true }, { version: 0 });
      assert.ok(md0.topics.some((t) => t.name === 'conn-t'), 'Metadata v0 with no topics lists all of them');
    } finally {
      await c.close();
    }
  });

  test('without negotiation, uses our maximum and still works where the broker agrees', async () => {
    const c = await connect(tb, { negotiateVersions: false });
    try {
      assert.equal(c.apiVersions, null);
      assert.equal(c.versionFor(ApiKey.ApiVersions), clientMaxVersion(ApiKey.ApiVersions));
      const res = await c.send(ApiKey.ApiVersions, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }, { version: 3 });
      assert.equal(res.errorCode, 0);
    } finally {
      await c.close();
    }
  });

  test('pipelines 1000 requests on one connection, each matched to its own response', async () => {
    const c = await connect(tb);
    try {
      const n = 1000;
      const promises: Array<Promise<unknown>> = [];
      for (let i = 0; i < n; i++) {
        // Alternate APIs so a mismatched correlation would decode the wrong type and fail.
        if (i % 2 === 0) promises.push(c.send(ApiKey.Metadata, { ...metadataAll, topics: [{ topicId: ZERO_UUID, name: 'conn-t' }] }));
        else promises.push(c.send(ApiKey.ListOffsets, { replicaId: -1, isolationLevel: 0, timeoutMs: 0, topics: [{ name: 'conn-t', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] }));
      }
      assert.equal(c.inFlight, n, 'all requests are in flight before any answer is read');
      const results = await Promise.all(promises);
      results.forEach((r, i) => {
        if (i % 2 === 0) assert.equal((r as { topics: Array<{ name: string }> }).topics[0]!.name, 'conn-t');
        else assert.equal((r as { topics: Array<{ partitions: Array<{ errorCode: number }> }> }).topics[0]!.partitions[0]!.errorCode, 0);
      });
      assert.equal(c.inFlight, 0);
    } finally {
      await c.close();
    }
  });

  test('acks=0 produce expects no response; later requests still line up', async () => {
    const c = await connect(tb);
    try {
      const before = await latestOffset(c, 'conn-t');
      const r = await c.send(ApiKey.Produce, produceRequest('conn-t', 0, batch(['a', 'b']), 0), { version: 12 });
      assert.equal(r, undefined);
      assert.equal(c.inFlight, 0);
      // The broker handles a connection's requests in order, so this sees the produce.
      assert.equal(await latestOffset(c, 'conn-t'), before + 2n);
    } finally {
      await c.close();
    }
  });

  test('a request timeout rejects that request only; the late answer is dropped and the connection stays usable', async () => {
    const c = await connect(tb);
    try {
      const end = await latestOffset(c, 'conn-t');
      const t0 = Date.now();
      await assert.rejects(
        c.send(ApiKey.Fetch, fetchRequest({ topic: 'conn-t', topicId: id, offset: end, maxWaitMs: 400 }), { timeoutMs: 100 }),
        (e: unknown) => e instanceof RequestTimeoutError && e.code === 'TRIBUTARY_REQUEST_TIMEOUT' && e.retriable && e.errorName === 'REQUEST_TIMED_OUT',
      );
      assert.ok(Date.now() - t0 < 400, 'rejected at the request timeout, not at the long poll end');
      // Answered after the fetch (one connection is served in order): the late fetch answer came
      // first and was dropped without disturbing this one.
      const md = await c.send(ApiKey.Metadata, metadataAll);
      assert.ok(md.topics.length >= 1);
      assert.equal(c.isClosed, false);
    } finally {
      await c.close();
    }
  });

  test('an AbortSignal rejects the request with RequestAbortedError', async () => {
    const c = await connect(tb);
    try {
      const end = await latestOffset(c, 'conn-t');
      const ac = new AbortController();
      const p = c.send(ApiKey.Fetch, fetchRequest({ topic: 'conn-t', topicId: id, offset: end, maxWaitMs: 200 }), { signal: ac.signal });
      ac.abort();
      await assert.rejects(p, (e: unknown) => e instanceof RequestAbortedError && e.code === 'TRIBUTARY_REQUEST_ABORTED' && !e.retriable);
      await assert.rejects(c.send(ApiKey.Metadata, metadataAll, { signal: ac.signal }), RequestAbortedError);
      assert.ok((await c.send(ApiKey.Metadata, metadataAll)).brokers.length === 1);
    } finally {
      await c.close();
    }
  });

  test('close() rejects pending requests with ConnectionClosedError and resolves promptly', async () => {
    const c = await connect(tb);
    const end = await latestOffset(c, 'conn-t');
    const pending = [0, 1, 2].map(() => c.send(ApiKey.Fetch, fetchRequest({ topic: 'conn-t', topicId: id, offset: end, maxWaitMs: 10_000 })));
    assert.equal(c.inFlight, 3);
    const outcomes = pending.map((p) => p.then(() => null, (e: unknown) => e));
    await deadline(c.close(), 5000, 'close()');
    for (const e of await Promise.all(outcomes)) {
      assert.ok(e instanceof ConnectionClosedError && e.code === 'TRIBUTARY_CONNECTION_CLOSED' && e.retriable, String(e));
    }
    assert.equal(c.isClosed, true);
    await assert.rejects(c.send(ApiKey.Metadata, metadataAll), ConnectionClosedError);
    await c.close(); // idempotent
  });

  test('destroy() rejects pending requests at once and resolves `closed`', async () => {
    const c = await connect(tb);
    const end = await latestOffset(c, 'conn-t');
    const p = c.send(ApiKey.Fetch, fetchRequest({ topic: 'conn-t', topicId: id, offset: end, maxWaitMs: 10_000 }));
    c.destroy();
    await assert.rejects(p, ConnectionClosedError);
    await deadline(c.closed, 5000, 'closed');
  });

  test('a garbage frame makes the broker close; a pending raw request rejects with ConnectionClosedError', async () => {
    const c = await connect(tb);
    const garbage = Buffer.alloc(4 + 10);
    garbage.writeInt32BE(10, 0);
    garbage.writeInt16BE(999, 4); // unknown API key
    const id = c.nextCorrelationId();
    garbage.writeInt32BE(id, 8);
    await assert.rejects(c.sendRaw(garbage, { correlationId: id }), ConnectionClosedError);
    await deadline(c.closed, 5000, 'closed');
  });

  test('a response larger than maxResponseBytes closes the connection with ResponseTooLargeError', async () => {
    const c = await connect(tb, { maxResponseBytes: 64, negotiateVersions: false });
    await assert.rejects(
      c.send(ApiKey.Metadata, metadataAll),
      (e: unknown) => e instanceof ResponseTooLargeError && e.code === 'TRIBUTARY_RESPONSE_TOO_LARGE',
    );
    await deadline(c.closed, 5000, 'closed');
    assert.equal(c.isClosed, true);
  });

  test('a refused connection is a ConnectionError', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    await assert.rejects(
      Connection.connect({ host: '127.0.0.1', port }),
      (e: unknown) => e instanceof ConnectionError && e.code === 'TRIBUTARY_CONNECTION_FAILED' && e.retriable,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// A scripted fake broker: parses request frames, answers through a callback.

interface FakeRequest {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  socket: Socket;
}

async function fakeBroker(onRequest: (req: FakeRequest) => void): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const frames = new FrameDecoder({
      maxFrameBytes: 1 << 20,
      onFrame: (frame) => {
        const apiKey = frame.readInt16BE(0);
        const apiVersion = frame.readInt16BE(2);
        const h = decodeRequestHeader(new Reader(frame), requestHeaderVersion(apiKey, apiVersion));
        onRequest({ apiKey, apiVersion, correlationId: h.correlationId, socket });
      },
      onBadSize: (size) => socket.destroy(new Error(`request frame of ${size} bytes`)),
    });
    socket.on('data', (chunk: Buffer) => frames.push(chunk));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function apiVersionsFrame(correlationId: number, version: number, res: Partial<ApiVersionsResponse>): Buffer {
  const w = new Writer();
  w.writeInt32(0);
  encodeResponseHeader(w, { correlationId }, 0);
  encodeApiVersionsResponse(
    w,
    {
      errorCode: 0,
      apiKeys: [],
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
      ...res,
    },
    version,
  );
  const b = w.toBuffer();
  b.writeInt32BE(b.length - 4, 0);
  return b;
}

describe('Connection against a scripted broker', () => {
  test('KIP-511: an UNSUPPORTED_VERSION answer in v0 format makes the client retry at the highest common version', async () => {
    const seen: number[] = [];
    const apiKeys = [
      { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 2 },
      { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 7 },
    ];
    const fake = await fakeBroker((req) => {
      seen.push(req.apiVersion);
      if (req.apiVersion > 2) req.socket.write(apiVersionsFrame(req.correlationId, 0, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys }));
      else req.socket.write(apiVersionsFrame(req.correlationId, req.apiVersion, { apiKeys }));
    });
    try {
      const c = await Connection.connect({ host: '127.0.0.1', port: fake.port });
      assert.deepEqual(seen, [4, 2]);
      assert.equal(c.versionFor(ApiKey.Metadata), 7);
      assert.throws(() => c.versionFor(ApiKey.Produce), KafkaProtocolError);
      await c.close();
    } finally {
      await fake.close();
    }
  });

  test('connect fails with ConnectionTimeoutError when ApiVersions is never answered', async () => {
    const fake = await fakeBroker(() => {});
    try {
      await assert.rejects(
        Connection.connect({ host: '127.0.0.1', port: fake.port, connectTimeoutMs: 150 }),
        (e: unknown) => e instanceof ConnectionTimeoutError && e.code === 'TRIBUTARY_CONNECTION_TIMEOUT',
      );
    } finally {
      await fake.close();
    }
  });

  test('responses split into tiny pieces, and many responses in one write, are all reassembled', async () => {
    const pending: FakeRequest[] = [];
    let flush: (() => void) | undefined;
    const n = 200;
    const fake = await fakeBroker((req) => {
      pending.push(req);
      if (pending.length === n) flush?.();
    });
    try {
      const c = await Connection.connect({ host: '127.0.0.1', port: fake.port, negotiateVersions: false });
      const apiKeys = Array.from({ length: 50 }, (_, i) => ({ apiKey: i, minVersion: 0, maxVersion: i }));
      for (const mode of ['bytewise', 'one-write'] as const) {
        pending.length = 0;
        const all = new Promise<void>((r) => (flush = r));
        const ps = Array.from({ length: n }, () => c.send(ApiKey.ApiVersions, { clientSoftwareName: 'a', clientSoftwareVersion: 'b' }, { version: 3 }));
        await deadline(all, 5000, 'requests at the fake broker');
        const socket = pending[0]!.socket;
        // Answer in reverse order: matching is by correlation id, not arrival order.
        const frames = pending.reverse().map((r, i) => apiVersionsFrame(r.correlationId, 3, { apiKeys: apiKeys.slice(0, (i % 50) + 1), throttleTimeMs: r.correlationId }));
        const bytes = Buffer.concat(frames);
        if (mode === 'one-write') socket.write(bytes);
        else for (let i = 0; i < bytes.length; i += 7) socket.write(bytes.subarray(i, i + 7));
        const results = await deadline(Promise.all(ps), 5000, `${mode} responses`);
        const ids = new Set(results.map((r) => r.throttleTimeMs));
        assert.equal(ids.size, n, `${mode}: each request got its own response`);
      }
      await c.close();
    } finally {
      await fake.close();
    }
  });

  test('an undecodable response rejects that request with ProtocolError; an unknown correlation id closes', async () => {
    let step = 0;
    const fake = await fakeBroker((req) => {
      step++;
      if (step === 1) {
        const b = Buffer.alloc(4 + 4 + 3);
        b.writeInt32BE(7, 0);
        b.writeInt32BE(req.correlationId, 4); // body truncated
        req.socket.write(b);
      } else {
        req.socket.write(apiVersionsFrame(req.correlationId + 1000, 3, {}));
      }
    });
    try {
      const c = await Connection.connect({ host: '127.0.0.1', port: fake.port, negotiateVersions: false });
      const req = { clientSoftwareName: 'a', clientSoftwareVersion: 'b' };
      await assert.rejects(c.send(ApiKey.ApiVersions, req, { version: 3 }), (e: unknown) => e instanceof ProtocolError && e.code === 'TRIBUTARY_PROTOCOL');
      await assert.rejects(c.send(ApiKey.ApiVersions, req, { version: 3 }), ProtocolError);
      await deadline(c.closed, 5000, 'closed');
    } finally {
      await fake.close();
    }
  });
});

// SASL on a broker: named listeners through listener.security.protocol.map, PLAIN users from the
// JAAS config, SCRAM users created with AlterUserScramCredentials (salted, surviving a restart),
// the pre-authentication rules (only ApiVersions and SASL; sasl.server.max.receive.size,
// CVE-2022-34917), the unframed exchange after SaslHandshake v0, failures (delayed, logged without
// the secret) and KIP-368 session expiry.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect as netConnect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Connection, type ApiKeyNumber } from '../../src/client/index.js';
import { KafkaProtocolError } from '../../src/protocol/kafka-error.js';
import { Writer } from '../../src/protocol/primitives/index.js';
import { ApiKey, apiCodecs, encodeRequestHeader, requestHeaderVersion } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { FrameDecoder } from '../../src/protocol/framing.js';
import { saltedPassword } from '../../src/protocol/sasl/scram-math.js';
import { capturingLogger, deadline, startBroker, type TestBroker } from './helpers/broker-client.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";';

function encodedFrame<K extends ApiKeyNumber>(apiKey: K, version: number, correlationId: number, request: Parameters<(typeof apiCodecs)[K]['encodeRequest']>[1]): Buffer {
  const w = new Writer();
  w.writeInt32(0);
  encodeRequestHeader(w, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'sasl-test' }, requestHeaderVersion(apiKey, version));
  (apiCodecs[apiKey].encodeRequest as (w: Writer, m: unknown, v: number) => void)(w, request, version);
  const b = Buffer.from(w.toBuffer());
  b.writeInt32BE(b.length - 4, 0);
  return b;
}

function sizePrefixed(token: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(token.length, 0);
  return Buffer.concat([len, token]);
}

/** A raw socket that collects response frames; `closed` resolves when the broker closes it. */
async function rawSocket(port: number): Promise<{ s: Socket; frames: Buffer[]; nextFrame(): Promise<Buffer>; closed: Promise<void> }> {
  const s = await new Promise<Socket>((resolve, reject) => {
    const sock = netConnect({ host: '127.0.0.1', port }, () => resolve(sock));
    sock.once('error', reject);
  });
  const frames: Buffer[] = [];
  const waiters: Array<(b: Buffer) => void> = [];
  const dec = new FrameDecoder({ maxFrameBytes: 1 << 24, onFrame: (f) => (waiters.length > 0 ? waiters.shift()!(Buffer.from(f)) : frames.push(Buffer.from(f))), onBadSize: () => assert.fail('bad frame') });
  s.on('data', (d: Buffer) => dec.push(d));
  s.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
  return {
    s,
    frames,
    nextFrame: () => deadline(new Promise<Buffer>((resolve) => (frames.length > 0 ? resolve(frames.shift()!) : waiters.push(resolve))), 5000, 'a response frame'),
    closed: deadline(closed, 5000, 'the broker to close the connection'),
  };
}

describe('SASL listeners', () => {
  let tb: TestBroker;
  let lines: Array<Record<string, unknown>>;
  let saslPort: number;
  let plainPort: number;
  const options = {
    listeners: 'CLIENT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
    'listener.security.protocol.map': 'CLIENT:SASL_PLAINTEXT,INTERNAL:PLAINTEXT',
    'inter.broker.listener.name': 'INTERNAL',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.client.plain.sasl.jaas.config': JAAS,
    'connection.failed.authentication.delay.ms': 50,
  };
  const ports = (): void => {
    saslPort = tb.broker.listeners.find((l) => l.name === 'CLIENT')!.port;
    plainPort = tb.broker.listeners.find((l) => l.name === 'INTERNAL')!.port;
  };

  before(async () => {
    const cap = capturingLogger('info');
    lines = cap.lines;
    tb = await startBroker(options, { logger: cap.logger });
    ports();
  });
  after(async () => {
    await tb.close();
  });

  test('PLAIN login with a JAAS user, then ordinary requests', async () => {
    const c = await Connection.connect({ host: '127.0.0.1', port: saslPort, sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } });
    const md = await c.send(ApiKey.Metadata, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    assert.equal(md!.brokers.length, 2 - 1);
    c.close();
  });

  test('a wrong password: SASL_AUTHENTICATION_FAILED after the delay, closed, logged without the secret', async () => {
    const start = Date.now();
    await assert.rejects(
      Connection.connect({ host: '127.0.0.1', port: saslPort, sasl: { mechanism: 'PLAIN', username: 'alice', password: 'guess-123' } }),
      (e: unknown) => e instanceof KafkaProtocolError && e.code === ErrorCode.SASL_AUTHENTICATION_FAILED && /Invalid username or password/.test(e.message),
    );
    assert.ok(Date.now() - start >= 50, 'connection.failed.authentication.delay.ms');
    const failed = lines.filter((l) => l.msg === 'SASL authentication failed');
    assert.ok(failed.length > 0);
    assert.ok(!JSON.stringify(lines).includes('guess-123'), 'the password is never logged');
  });

  test('an unknown mechanism: UNSUPPORTED_SASL_MECHANISM with the enabled ones', async () => {
    const r = await rawSocket(saslPort);
    r.s.write(encodedFrame(ApiKey.SaslHandshake, 1, 1, { mechanism: 'GSSAPI' }));
    const f = await r.nextFrame();
    const res = apiCodecs[ApiKey.SaslHandshake].decodeResponse(new (await import('../../src/protocol/primitives/index.js')).Reader(f.subarray(4)), 1);
    assert.equal(res.errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    assert.deepEqual(res.mechanisms, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
    await r.closed;
  });

  test('before the login only ApiVersions and SASL are answered: Metadata closes the connection', async () => {
    const r = await rawSocket(saslPort);
    r.s.write(encodedFrame(ApiKey.ApiVersions, 3, 1, { clientSoftwareName: 't', clientSoftwareVersion: '1' }));
    await r.nextFrame();
    r.s.write(encodedFrame(ApiKey.Metadata, 1, 2, { topics: null, allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }));
    await r.closed;
    assert.equal(r.frames.length, 0);
    assert.ok(lines.some((l) => l.msg === 'closing connection' && /before SASL authentication/.test(String(l.reason))));
  });

  test('a frame over sasl.server.max.receive.size before the login closes the connection unread (CVE-2022-34917)', async () => {
    const r = await rawSocket(saslPort);
    r.s.write(encodedFrame(ApiKey.SaslHandshake, 1, 1, { mechanism: 'PLAIN' }));
    await r.nextFrame();
    const size = Buffer.alloc(4);
    size.writeInt32BE(524288 + 1, 0);
    r.s.write(size); // only the size: the broker must refuse it without waiting for (or allocating) the body
    await r.closed;
    assert.ok(lines.some((l) => l.msg === 'closing connection' && /524288/.test(String(l.reason))), JSON.stringify(lines.filter((l) => l.msg === 'closing connection')));
  });

  test('the unframed exchange: SaslHandshake v0, then a raw PLAIN token, then requests', async () => {
    const r = await rawSocket(saslPort);
    r.s.write(encodedFrame(ApiKey.SaslHandshake, 0, 1, { mechanism: 'PLAIN' }));
    await r.nextFrame();
    r.s.write(sizePrefixed(Buffer.from('\u0000admin\u0000admin-secret')));
    const token = await r.nextFrame();
    assert.equal(token.length, 0, 'PLAIN answers with an empty token');
    r.s.write(encodedFrame(ApiKey.Metadata, 1, 3, { topics: null, allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }));
    const md = await r.nextFrame();
    assert.equal(md.readInt32BE(0), 3);
    r.s.destroy();
  });

  test('the unframed exchange with a bad password closes the connection', async () => {
    const r = await rawSocket(saslPort);
    r.s.write(encodedFrame(ApiKey.SaslHandshake, 0, 1, { mechanism: 'PLAIN' }));
    await r.nextFrame();
    r.s.write(sizePrefixed(Buffer.from('\u0000admin\u0000nope')));
    await r.closed;
  });

  test('SCRAM users: created salted with AlterUserScramCredentials, described, used, kept across a restart, deleted', async () => {
    const admin = await Connection.connect({ host: '127.0.0.1', port: saslPort, sasl: { mechanism: 'PLAIN', username: 'admin', password: 'admin-secret' } });
    const salt = randomBytes(16);
    const alter = await admin.send(ApiKey.AlterUserScramCredentials, {
      deletions: [{ name: 'nobody', mechanism: 1 }],
      upsertions: [
        { name: 'bob', mechanism: 2, iterations: 8192, salt, saltedPassword: saltedPassword('SCRAM-SHA-512', 'bob-secret', salt, 8192) },
        { name: 'carol', mechanism: 1, iterations: 1000, salt, saltedPassword: saltedPassword('SCRAM-SHA-256', 'x', salt, 1000) },
      ],
    });
    assert.deepEqual(
      alter.results.map((r) => [r.user, r.errorCode, r.errorMessage]),
      [
        ['nobody', ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist'],
        ['bob', ErrorCode.NONE, null],
        ['carol', ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too few iterations'],
      ],
    );
    const desc = await admin.send(ApiKey.DescribeUserScramCredentials, { users: null });
    assert.deepEqual(desc.results.map((r) => [r.user, r.errorCode, r.credentialInfos]), [['bob', 0, [{ mechanism: 2, iterations: 8192 }]]]);
    admin.close();

    const login = { host: '127.0.0.1', port: saslPort, sasl: { mechanism: 'SCRAM-SHA-512' as const, username: 'bob', password: 'bob-secret' } };
    (await Connection.connect(login)).close();
    await assert.rejects(Connection.connect({ ...login, sasl: { ...login.sasl, mechanism: 'SCRAM-SHA-256' } }), /Invalid user credentials/);
    await assert.rejects(Connection.connect({ ...login, sasl: { ...login.sasl, password: 'bob-secreT' } }), /invalid credentials with SASL mechanism SCRAM-SHA-512/);

    const meta = await readFile(join(tb.dir, 'tributary-metadata.json'), 'utf8');
    assert.ok(meta.includes('"bob"') && meta.includes('storedKey') && !meta.includes('bob-secret'));
    await tb.restart();
    ports();
    (await Connection.connect({ ...login, port: saslPort })).close();

    const admin2 = await Connection.connect({ host: '127.0.0.1', port: plainPort });
    const del = await admin2.send(ApiKey.AlterUserScramCredentials, { deletions: [{ name: 'bob', mechanism: 2 }], upsertions: [] });
    assert.equal(del.results[0]!.errorCode, ErrorCode.NONE);
    const gone = await admin2.send(ApiKey.DescribeUserScramCredentials, { users: [{ name: 'bob' }] });
    assert.equal(gone.results[0]!.errorCode, ErrorCode.RESOURCE_NOT_FOUND);
    admin2.close();
    await assert.rejects(Connection.connect({ ...login, port: saslPort }), /Invalid user credentials/);
  });

  test('the PLAINTEXT listener answers SaslHandshake with ILLEGAL_SASL_STATE', async () => {
    const c = await Connection.connect({ host: '127.0.0.1', port: plainPort });
    const r = await c.send(ApiKey.SaslHandshake, { mechanism: 'PLAIN' }, { version: 1 });
    assert.equal(r.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
    c.close();
  });
});

test('KIP-368: the login lasts connections.max.reauth.ms; a request after it closes the connection', async () => {
  const tb = await startBroker({
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
    'sasl.enabled.mechanisms': 'PLAIN',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
    'connections.max.reauth.ms': 300,
  });
  try {
    const r = await rawSocket(tb.broker.port);
    r.s.write(encodedFrame(ApiKey.SaslHandshake, 1, 1, { mechanism: 'PLAIN' }));
    await r.nextFrame();
    r.s.write(encodedFrame(ApiKey.SaslAuthenticate, 2, 2, { authBytes: Buffer.from('\u0000alice\u0000alice-secret') }));
    const f = await r.nextFrame();
    const { Reader } = await import('../../src/protocol/primitives/index.js');
    const rd = new Reader(f.subarray(4));
    rd.readUVarint(); // response header v1 tagged fields
    const res = apiCodecs[ApiKey.SaslAuthenticate].decodeResponse(rd, 2);
    const authenticatedAt = Date.now();
    assert.equal(res.errorCode, 0);
    assert.ok(res.sessionLifetimeMs > 0n && res.sessionLifetimeMs <= 300n, `session_lifetime_ms ${res.sessionLifetimeMs}`);
    // Wait until the session is certainly over (a time condition, not a synchronisation).
    await new Promise<void>((resolve) => {
      const check = (): void => void (Date.now() - authenticatedAt > 400 ? resolve() : setTimeout(check, 20));
      check();
    });
    r.s.write(encodedFrame(ApiKey.Metadata, 1, 3, { topics: null, allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }));
    await r.closed;
    assert.equal(r.frames.length, 0);
  } finally {
    await tb.close();
  }
});

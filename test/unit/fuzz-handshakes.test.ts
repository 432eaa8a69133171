// Fuzzing the SASL and TLS handshake paths of a running broker (fast-check, deterministic; set
// FUZZ_SEED to explore): SaslHandshake v0/v1 with every enabled mechanism (and odd ones), then
// SaslAuthenticate tokens (PLAIN messages, SCRAM client-first and client-final messages built from
// hostile pieces, random bytes) or, after v0, unframed tokens; random bytes before any handshake;
// random bytes, truncated and mutated ClientHellos on a TLS listener. After every case the broker
// must still answer ApiVersions on a fresh connection; at the end no connection is left over and
// the broker's peak RSS has grown by a bounded amount. The mechanisms alone get many more cases
// (only AuthenticationError may escape them).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, createServer, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { rmSync } from 'node:fs';
import fc from 'fast-check';
import { Connection } from '../../src/client/index.js';
import { Writer } from '../../src/protocol/primitives/index.js';
import { ApiKey, apiCodecs, encodeRequestHeader, requestHeaderVersion } from '../../src/protocol/messages/index.js';
import { FrameDecoder } from '../../src/protocol/framing.js';
import { ScramServer } from '../../src/broker/security/sasl/scram.js';
import { PlainServer } from '../../src/broker/security/sasl/plain.js';
import { AuthenticationError } from '../../src/broker/security/sasl/mechanism.js';
import { clientKey, hash, hmac, newCredential, saltedPassword, xor } from '../../src/protocol/sasl/scram-math.js';
import { Reader } from '../../src/protocol/primitives/index.js';
import { deadline, startBroker, type TestBroker } from './helpers/broker-client.js';
import { hasOpenssl, makePki, type TestPki } from './helpers/certs.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 0x5eed);
const MIB = 1024 * 1024;
const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";';
const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

function frame(apiKey: number, version: number, correlationId: number, body: (w: Writer) => void): Buffer {
  const w = new Writer();
  w.writeInt32(0);
  encodeRequestHeader(w, { requestApiKey: apiKey as ApiKey, requestApiVersion: version, correlationId, clientId: 'fuzz' }, requestHeaderVersion(apiKey as ApiKey, version));
  body(w);
  const b = Buffer.from(w.toBuffer());
  b.writeInt32BE(b.length - 4, 0);
  return b;
}
const handshake = (mechanism: string, version: number): Buffer => frame(ApiKey.SaslHandshake, version, 1, (w) => apiCodecs[ApiKey.SaslHandshake].encodeRequest(w, { mechanism }, version));
const authenticate = (token: Buffer, version: number, id: number): Buffer => frame(ApiKey.SaslAuthenticate, version, id, (w) => apiCodecs[ApiKey.SaslAuthenticate].encodeRequest(w, { authBytes: token }, version));
function sizePrefixed(token: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(token.length, 0);
  return Buffer.concat([len, token]);
}

// ---------------------------------------------------------------------------------------------
// Tokens

const SCRAM_PIECES = ['n,,', 'y,,', 'p=tls-unique,,', 'n,a=', 'n=', 'r=', 'c=', 'p=', 's=', 'i=', 'm=', 'e=', ',', '=', '=2C', '=3D', '=Z', 'alice', 'biws', 'eSws', 't=tokenauth=true', '\u0000', '\uffff', 'ü', 'A'.repeat(300)];
const piece = fc.oneof(fc.constantFrom(...SCRAM_PIECES), fc.string({ maxLength: 12 }), fc.base64String({ maxLength: 90 }));
const scramish = fc.array(piece, { maxLength: 12 }).map((ps) => Buffer.from(ps.join('')));
/** A well-formed client-first with random user, nonce and extensions. */
const clientFirst = fc
  .record({ gs2: fc.constantFrom('n,,', 'y,,', 'n,a=alice,', 'n,a=bob,'), user: fc.constantFrom('alice', 'admin', 'nobody', '=2Cx', ''), nonce: fc.string({ minLength: 0, maxLength: 40 }), ext: fc.constantFrom('', ',t=tokenauth=true', ',m=x', ',e=1') })
  .map((r) => Buffer.from(`${r.gs2}n=${r.user},r=${r.nonce}${r.ext}`));
/** A client-final: c=, r= (a guess at the nonce, which the server extends), p= of random length. */
const clientFinal = fc
  .record({ c: fc.constantFrom('biws', 'eSws', '', 'bixhPWFsaWNlLA=='), r: fc.string({ maxLength: 80 }), p: fc.uint8Array({ maxLength: 80 }), extra: fc.constantFrom('', ',x=1', ',p=') })
  .map((r) => Buffer.from(`c=${r.c},r=${r.r}${r.extra},p=${Buffer.from(r.p).toString('base64')}`));
const plainToken = fc
  .tuple(fc.constantFrom('', 'alice', 'admin', 'x'), fc.constantFrom('', 'alice', 'admin', '\u0000'), fc.string({ maxLength: 40 }), fc.nat(3))
  .map(([z, u, p, extraNuls]) => Buffer.from(`${z}\u0000${u}\u0000${p}${'\u0000'.repeat(extraNuls)}`));
const token = fc.oneof(clientFirst, clientFinal, plainToken, scramish, fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)));

// ---------------------------------------------------------------------------------------------
// Raw connections

/** Sends `bytes` on a fresh connection, waits for `expectFrames` answers or the close, then ends it; resolves once closed. */
async function exchange(port: number, bytes: Buffer[], expectFrames: number): Promise<number> {
  const s = await new Promise<Socket>((resolve, reject) => {
    const sock = netConnect({ host: '127.0.0.1', port }, () => resolve(sock));
    sock.once('error', reject);
  });
  s.on('error', () => undefined);
  let frames = 0;
  let wake: () => void = () => undefined;
  const dec = new FrameDecoder({
    maxFrameBytes: 1 << 20,
    onFrame: () => {
      frames += 1;
      if (frames >= expectFrames) wake();
    },
    onBadSize: () => wake(),
  });
  s.on('data', (d: Buffer) => dec.push(d));
  const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
  const answered = new Promise<void>((resolve) => {
    wake = resolve;
    if (expectFrames === 0) resolve();
  });
  for (const b of bytes) s.write(b);
  await deadline(Promise.race([answered, closed]), 10_000, 'the broker to answer or close');
  s.end();
  await deadline(closed, 10_000, 'the connection to close');
  return frames;
}

async function apiVersionsAnswered(port: number, ssl?: { ca: string }): Promise<void> {
  const c = await Connection.connect({ host: '127.0.0.1', port, ...(ssl ? { ssl } : {}) });
  const r = await c.send(ApiKey.ApiVersions, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' });
  assert.equal(r.errorCode, 0);
  c.close();
}

const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

async function untilNoConnections(tb: TestBroker): Promise<void> {
  const end = Date.now() + 10_000;
  while (tb.broker.connectionCounts!.total > 0) {
    if (Date.now() > end) assert.fail(`connections left over: ${JSON.stringify(tb.broker.connectionCounts)}`);
    await new Promise((r) => setImmediate(r));
  }
}

test('fuzz: SCRAM (first and final messages) and PLAIN mechanisms only fail as AuthenticationError', () => {
  const cred = newCredential('SCRAM-SHA-256', 'alice-secret', 4096);
  let runs = 0;
  fc.assert(
    fc.property(fc.constantFrom('PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'), clientFirst, fc.array(token, { maxLength: 3 }), fc.boolean(), (mech, first, rest, validFirst) => {
      runs += 1;
      const server = mech === 'PLAIN' ? new PlainServer(new Map([['alice', 'alice-secret']])) : new ScramServer(mech as 'SCRAM-SHA-256', (u) => (u === 'alice' ? cred : undefined));
      const tokens = validFirst ? [first, ...rest] : rest;
      for (const t of tokens) {
        try {
          const r = server.evaluate(t);
          assert.ok(r.response.length < 1024, 'a bounded answer');
          if (r.done) break;
        } catch (err) {
          assert.ok(err instanceof AuthenticationError, `unexpected ${String(err)}`);
          break;
        }
      }
    }),
    { seed: SEED, numRuns: 20_000 },
  );
  assert.equal(runs, 20_000);
});

describe('fuzz: handshakes on a running broker', () => {
  let tb: TestBroker;
  let pki: TestPki | null = null;
  let sasl: number;
  let ssl = 0;
  before(async () => {
    const tlsOptions: Record<string, string> = {};
    if (hasOpenssl()) {
      pki = makePki();
      Object.assign(tlsOptions, { 'listener.name.tls.ssl.keystore.type': 'PEM', 'listener.name.tls.ssl.keystore.location': pki.serverPem('fuzz-broker') });
    }
    tb = await startBroker({
      listeners: `CLIENT://127.0.0.1:0${pki ? ',TLS://127.0.0.1:0' : ''}`,
      'listener.security.protocol.map': 'CLIENT:SASL_PLAINTEXT,TLS:SSL',
      'inter.broker.listener.name': 'CLIENT',
      'sasl.enabled.mechanisms': MECHANISMS.join(','),
      'listener.name.client.plain.sasl.jaas.config': JAAS,
      'connection.failed.authentication.delay.ms': 0,
      ...tlsOptions,
    });
    sasl = tb.broker.listeners.find((l) => l.name === 'CLIENT')!.port;
    if (pki) ssl = tb.broker.listeners.find((l) => l.name === 'TLS')!.port;
  });
  after(async () => {
    await tb.close();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  test('SaslHandshake v0/v1 + SaslAuthenticate v0-v2 or unframed tokens, and raw bytes: the broker stays up and bounded', async (t) => {
    const peakBefore = peakRss();
    let runs = 0;
    let answered = 0;
    const caseArb = fc.oneof(
      // Framed: SaslHandshake v1, then SaslAuthenticate requests.
      fc.record({ kind: fc.constant('framed' as const), mech: fc.oneof(fc.constantFrom(...MECHANISMS), fc.string({ maxLength: 20 })), hv: fc.constantFrom(1), av: fc.constantFrom(0, 1, 2), tokens: fc.array(token, { minLength: 1, maxLength: 3 }) }),
      // Unframed: SaslHandshake v0, then size-prefixed tokens (sometimes a hostile size).
      fc.record({ kind: fc.constant('unframed' as const), mech: fc.constantFrom(...MECHANISMS), hv: fc.constant(0), av: fc.constant(0), tokens: fc.array(token, { minLength: 1, maxLength: 3 }) }),
      // No handshake: random bytes, or a size prefix that claims too much.
      fc.record({ kind: fc.constant('raw' as const), mech: fc.constant(''), hv: fc.constant(0), av: fc.constant(0), tokens: fc.array(fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), { minLength: 1, maxLength: 3 }) }),
    );
    await fc.assert(
      fc.asyncProperty(caseArb, fc.constantFrom(0x7fffffff, 524289, -1, 0), fc.boolean(), async (c, hostileSize, useHostile) => {
        runs += 1;
        let bytes: Buffer[];
        let expect: number;
        if (c.kind === 'framed') {
          bytes = [handshake(c.mech, c.hv), ...c.tokens.map((tk, i) => authenticate(tk, c.av, i + 2))];
          expect = 1 + c.tokens.length;
        } else if (c.kind === 'unframed') {
          bytes = [handshake(c.mech, 0), ...c.tokens.map(sizePrefixed)];
          if (useHostile) {
            const h = Buffer.alloc(4);
            h.writeInt32BE(hostileSize, 0);
            bytes.push(h);
          }
          expect = 1 + c.tokens.length;
        } else {
          bytes = c.tokens;
          expect = 0;
        }
        answered += await exchange(sasl, bytes, expect);
        await apiVersionsAnswered(sasl);
      }),
      { seed: SEED, numRuns: 1000 },
    );
    await untilNoConnections(tb);
    const grew = peakRss() - peakBefore;
    t.diagnostic(`${runs} SASL cases, ${answered} broker answers; peak RSS grew ${(grew / MIB).toFixed(1)} MiB`);
    assert.ok(grew < 200 * MIB, `peak RSS grew ${grew} bytes`);
  });

  test('CVE-2024-56128 over the wire: a client-final with a correct proof over a nonce that is not the server nonce is refused', async () => {
    const admin = await Connection.connect({ host: '127.0.0.1', port: sasl, sasl: { mechanism: 'PLAIN', username: 'admin', password: 'admin-secret' } });
    const salt = Buffer.from('fuzz-salt-0123456789');
    const salted = saltedPassword('SCRAM-SHA-256', 'bob-secret', salt, 4096);
    const up = await admin.send(ApiKey.AlterUserScramCredentials, { deletions: [], upsertions: [{ name: 'bob', mechanism: 1, iterations: 4096, salt, saltedPassword: salted }] });
    assert.equal(up.results[0]!.errorCode, 0);
    admin.close();
    const s = await new Promise<Socket>((resolve, reject) => {
      const sock = netConnect({ host: '127.0.0.1', port: sasl }, () => resolve(sock));
      sock.once('error', reject);
    });
    s.on('error', () => undefined);
    const frames: Buffer[] = [];
    const waiters: Array<(b: Buffer) => void> = [];
    const dec = new FrameDecoder({ maxFrameBytes: 1 << 20, onFrame: (f) => (waiters.length > 0 ? waiters.shift()!(Buffer.from(f)) : frames.push(Buffer.from(f))), onBadSize: () => assert.fail('bad frame') });
    s.on('data', (d: Buffer) => dec.push(d));
    const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
    const next = (): Promise<Buffer> => deadline(new Promise<Buffer>((resolve) => (frames.length > 0 ? resolve(frames.shift()!) : waiters.push(resolve))), 5000, 'an answer');
    const authResponse = (f: Buffer) => apiCodecs[ApiKey.SaslAuthenticate].decodeResponse(new Reader(f.subarray(4)), 1);
    s.write(handshake('SCRAM-SHA-256', 1));
    await next();
    const bare = 'n=bob,r=clientnonce';
    s.write(authenticate(Buffer.from(`n,,${bare}`), 1, 2));
    const serverFirst = authResponse(await next()).authBytes.toString();
    assert.match(serverFirst, /^r=clientnonce.+,s=/);
    // The forged final message: the client's own nonce only, with the proof a password holder computes for it.
    const withoutProof = 'c=biws,r=clientnonce';
    const authMessage = `${bare},${serverFirst},${withoutProof}`;
    const ck = clientKey('SCRAM-SHA-256', salted);
    const proof = xor(ck, hmac('SCRAM-SHA-256', hash('SCRAM-SHA-256', ck), authMessage));
    s.write(authenticate(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`), 1, 3));
    const final = authResponse(await next());
    assert.equal(final.errorCode, 58, 'SASL_AUTHENTICATION_FAILED');
    assert.match(final.errorMessage ?? '', /invalid credentials/);
    await deadline(closed, 5000, 'the broker to close the connection');
    // The same exchange with the server's nonce logs in: the refusal above is the nonce check.
    const ok = await Connection.connect({ host: '127.0.0.1', port: sasl, sasl: { mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'bob-secret' } });
    ok.close();
  });

  test('TLS: random bytes, truncated and mutated ClientHellos; the listener keeps serving', { skip: hasOpenssl() ? false : 'no openssl CLI' }, async (t) => {
    // A real ClientHello, as our client sends it, caught by a plain TCP server.
    const hello = await new Promise<Buffer>((resolve, reject) => {
      const srv = createServer((sock) => {
        sock.once('data', (d: Buffer) => {
          resolve(Buffer.from(d));
          sock.destroy();
          srv.close();
        });
      });
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        const port = typeof addr === 'object' && addr ? addr.port : 0;
        const c = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
        c.on('error', () => undefined);
      });
      srv.on('error', reject);
    });
    assert.equal(hello[0], 0x16, 'a TLS handshake record');
    const peakBefore = peakRss();
    let runs = 0;
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
      fc.nat(hello.length - 1).map((n) => hello.subarray(0, n)),
      fc.array(fc.tuple(fc.nat(hello.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }).map((flips) => {
        const b = Buffer.from(hello);
        for (const [at, v] of flips) b[at] = v;
        return b;
      }),
      // A record header that claims a huge handshake message, then little.
      fc.integer({ min: 0, max: 0xffff }).map((n) => Buffer.from([0x16, 0x03, 0x01, n >> 8, n & 0xff, 0x01, 0xff, 0xff, 0xff])),
    );
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        runs += 1;
        await exchange(ssl, [bytes], 0);
        await apiVersionsAnswered(ssl, { ca: pki!.caCert });
      }),
      { seed: SEED, numRuns: 500 },
    );
    await untilNoConnections(tb);
    const grew = peakRss() - peakBefore;
    t.diagnostic(`${runs} TLS cases (ClientHello ${hello.length} bytes); peak RSS grew ${(grew / MIB).toFixed(1)} MiB`);
    assert.ok(grew < 200 * MIB, `peak RSS grew ${grew} bytes`);
  });
});

// OAUTHBEARER on a broker: an unsecured listener (Kafka's default validator) and a JWKS listener
// (signed JWTs from a local file, Kafka's OAuthBearerValidatorCallbackHandler keys), reached by
// our client with a token provider; the RFC 7628 error exchange; the login's lifetime is the
// token's (KIP-368: re-authentication on the same connection, same principal, and the connection
// closed after expiry); startup refuses a JWKS URL that org.apache.kafka.sasl.oauthbearer.allowed.urls
// does not list.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '../../src/client/index.js';
import { unsecuredToken } from '../../src/client/oauthbearer.js';
import { encodeClientResponse } from '../../src/protocol/sasl/oauthbearer.js';
import { KafkaProtocolError } from '../../src/protocol/kafka-error.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ALLOWED_URLS } from '../../src/broker/security/oauth/allowed.js';
import { capturingLogger, startBroker, type TestBroker } from './helpers/broker-client.js';
import { claimsFor, jwks, signJwt, testKey } from './helpers/jwt.js';
import { hasOpenssl, makePki } from './helpers/certs.js';

const HANDLER = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler';
const LOGIN = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required';
const metadata = { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };

describe('OAUTHBEARER listeners', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-broker-'));
  const jwksPath = join(dir, 'jwks.json');
  const key = testKey('RS256', 'k1');
  const stranger = testKey('RS256', 'k1');
  let tb: TestBroker;
  let lines: Array<Record<string, unknown>>;
  const port = (name: string): number => tb.broker.listeners.find((l) => l.name === name)!.port;

  before(async () => {
    writeFileSync(jwksPath, jwks(key));
    const cap = capturingLogger('info');
    lines = cap.lines;
    tb = await startBroker(
      {
        listeners: 'UNSEC://127.0.0.1:0,SIGNED://127.0.0.1:0,INTERNAL://127.0.0.1:0',
        'listener.security.protocol.map': 'UNSEC:SASL_PLAINTEXT,SIGNED:SASL_PLAINTEXT,INTERNAL:PLAINTEXT',
        'inter.broker.listener.name': 'INTERNAL',
        'sasl.enabled.mechanisms': 'OAUTHBEARER',
        'listener.name.unsec.oauthbearer.sasl.jaas.config': `${LOGIN} unsecuredValidatorRequiredScope="kafka";`,
        'listener.name.signed.oauthbearer.sasl.jaas.config': `${LOGIN};`,
        'listener.name.signed.oauthbearer.sasl.server.callback.handler.class': HANDLER,
        'listener.name.signed.sasl.oauthbearer.jwks.endpoint.url': `file://${jwksPath}`,
        'sasl.oauthbearer.expected.audience': 'kafka',
        'sasl.oauthbearer.expected.issuer': 'https://issuer.test',
        'connection.failed.authentication.delay.ms': 20,
      },
      { logger: cap.logger, systemProperties: new Map([[ALLOWED_URLS, `file://${jwksPath}`]]) },
    );
  });
  after(async () => {
    await tb.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('unsecured: our client logs in with an unsecured token; the principal is the sub claim', async () => {
    const c = await Connection.connect({ host: '127.0.0.1', port: port('UNSEC'), sasl: { mechanism: 'OAUTHBEARER', token: () => unsecuredToken({ principal: 'alice', scope: ['kafka'] }), extensions: { traceId: 'abc' } } });
    const md = await c.send(ApiKey.Metadata, metadata);
    assert.equal(md.brokers.length, 1);
    c.close();
    assert.ok(lines.some((l) => l.msg === 'SASL authentication succeeded' && l.principal === 'User:alice' && l.mechanism === 'OAUTHBEARER'));
  });

  test('unsecured: a token without the required scope fails with Kafka\'s JSON error', async () => {
    await assert.rejects(
      Connection.connect({ host: '127.0.0.1', port: port('UNSEC'), sasl: { mechanism: 'OAUTHBEARER', token: () => unsecuredToken({ principal: 'alice' }) } }),
      (e: unknown) => e instanceof KafkaProtocolError && e.code === ErrorCode.SASL_AUTHENTICATION_FAILED && e.message.includes('{"status":"insufficient_scope","scope":"[kafka]"}'),
    );
    const failed = lines.filter((l) => l.msg === 'SASL authentication failed' && l.mechanism === 'OAUTHBEARER');
    assert.ok(failed.some((l) => /missing a required scope/.test(String(l.reason))), 'the log says why');
  });

  test('signed: a JWT from the JWKS key logs in; unsigned, forged, wrong audience or expired tokens do not', async () => {
    const now = Date.now();
    const c = await Connection.connect({ host: '127.0.0.1', port: port('SIGNED'), sasl: { mechanism: 'OAUTHBEARER', token: () => signJwt(key, claimsFor('svc-orders', now)) } });
    await c.send(ApiKey.Metadata, metadata);
    c.close();
    assert.ok(lines.some((l) => l.msg === 'SASL authentication succeeded' && l.principal === 'User:svc-orders'));
    for (const token of [
      unsecuredToken({ principal: 'svc-orders' }).value,
      signJwt(stranger, claimsFor('svc-orders', now)),
      signJwt(key, claimsFor('svc-orders', now, { aud: 'billing' })),
      signJwt(key, claimsFor('svc-orders', now, { exp: Math.floor(now / 1000) - 60 })),
      signJwt(key, claimsFor('svc-orders', now), { kid: 'k2' }),
    ]) {
      await assert.rejects(
        Connection.connect({ host: '127.0.0.1', port: port('SIGNED'), sasl: { mechanism: 'OAUTHBEARER', token: () => token } }),
        (e: unknown) => e instanceof KafkaProtocolError && e.code === ErrorCode.SASL_AUTHENTICATION_FAILED && e.message.includes('{"status":"invalid_token"}'),
      );
    }
  });

  test('KIP-368: the session lifetime is the token\'s; re-authentication keeps the principal', async () => {
    const c = await Connection.connect({ host: '127.0.0.1', port: port('UNSEC') });
    const login = async (sub: string, lifetimeSeconds: number): Promise<{ errorCode: number; errorMessage: string | null; sessionLifetimeMs: bigint }> => {
      const hs = await c.send(ApiKey.SaslHandshake, { mechanism: 'OAUTHBEARER' }, { version: 1 });
      assert.equal(hs.errorCode, ErrorCode.NONE);
      return c.send(ApiKey.SaslAuthenticate, { authBytes: encodeClientResponse(unsecuredToken({ principal: sub, lifetimeSeconds, scope: ['kafka'] }).value) }, { version: 2 });
    };
    const first = await login('alice', 600);
    assert.equal(first.errorCode, ErrorCode.NONE);
    assert.ok(first.sessionLifetimeMs > 595_000n && first.sessionLifetimeMs <= 600_000n, `session_lifetime_ms ${first.sessionLifetimeMs}`);
    await c.send(ApiKey.Metadata, metadata);
    // A new token on the same connection (the Java client does this before expiry).
    const again = await login('alice', 1200);
    assert.equal(again.errorCode, ErrorCode.NONE);
    assert.ok(again.sessionLifetimeMs > 1_195_000n);
    await c.send(ApiKey.Metadata, metadata);
    const other = await login('mallory', 600);
    assert.equal(other.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.match(other.errorMessage ?? '', /Cannot change principals during re-authentication from User:alice to User:mallory/);
    c.close();
  });

  test('KIP-368: once the token expires, the next request closes the connection', async () => {
    const c = await Connection.connect({ host: '127.0.0.1', port: port('UNSEC'), sasl: { mechanism: 'OAUTHBEARER', token: () => unsecuredToken({ principal: 'alice', lifetimeSeconds: 0.3, scope: ['kafka'] }) } });
    await c.send(ApiKey.Metadata, metadata);
    const end = Date.now() + 5000;
    let closed = false;
    while (!closed && Date.now() < end) {
      try {
        await c.send(ApiKey.Metadata, metadata, { timeoutMs: 2000 });
        await new Promise((r) => setTimeout(r, 50));
      } catch {
        closed = true;
      }
    }
    assert.ok(closed, 'the broker closed the connection after the token expired');
    assert.ok(lines.some((l) => l.msg === 'closing connection' && /SASL session expired/.test(String(l.reason))));
  });
});

describe('OAUTHBEARER startup checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-start-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const signed = (url: string): Record<string, string> => ({
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
    'sasl.enabled.mechanisms': 'OAUTHBEARER',
    'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class': HANDLER,
    'sasl.oauthbearer.jwks.endpoint.url': url,
  });

  test('a JWKS URL that allowed.urls does not list, a missing file or another scheme stop the broker', async () => {
    const path = join(dir, 'jwks.json');
    writeFileSync(path, jwks(testKey('ES256', 'e')));
    await assert.rejects(startBroker(signed(`file://${path}`), { systemProperties: new Map() }), /cannot be accessed due to restrictions.*org\.apache\.kafka\.sasl\.oauthbearer\.allowed\.urls/);
    const missing = `file://${dir}/none.json`;
    await assert.rejects(startBroker(signed(missing), { systemProperties: new Map([[ALLOWED_URLS, missing]]) }), /JWKS file/);
    await assert.rejects(startBroker(signed('ftp://idp/jwks'), { systemProperties: new Map([[ALLOWED_URLS, 'ftp://idp/jwks']]) }), /invalid protocol/);
    const ok = await startBroker(signed(`file://${path}`), { systemProperties: new Map([[ALLOWED_URLS, `x,file://${path}`]]) });
    await ok.close();
  });
});

describe('OAUTHBEARER with an HTTPS JWKS endpoint', { skip: hasOpenssl() ? false : 'the openssl CLI is not installed' }, () => {
  test('keys fetched over TLS (the CA from the JAAS options), a rotated key found after the early refresh', async () => {
    const pki = makePki();
    const a = testKey('ES256', 'a');
    const b = testKey('ES256', 'b');
    let body = jwks(a);
    let fetches = 0;
    const server = createHttpsServer({ key: pki.issue('jwks', '/CN=localhost', 'IP:127.0.0.1').key, cert: readFileSync(join(pki.dir, 'jwks.crt'), 'utf8') }, (_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `https://127.0.0.1:${(server.address() as { port: number }).port}/.well-known/jwks.json`;
    writeFileSync(join(pki.dir, 'ca.pem'), pki.caCert);
    let tb: TestBroker | null = null;
    try {
      const options = {
        listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
        'sasl.enabled.mechanisms': 'OAUTHBEARER',
        'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config': `${LOGIN} ssl.truststore.type="PEM" ssl.truststore.location="${join(pki.dir, 'ca.pem')}";`,
        'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class': HANDLER,
        'sasl.oauthbearer.jwks.endpoint.url': url,
        'sasl.oauthbearer.expected.audience': 'kafka',
        'sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms': 200,
      };
      const allowed = { systemProperties: new Map([[ALLOWED_URLS, url]]) };
      // Without the CA in the JAAS options the endpoint's certificate is not trusted: no start.
      await assert.rejects(startBroker({ ...options, 'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config': `${LOGIN};` }, allowed), /certificate/);
      tb = await startBroker(options, allowed);
      const login = (token: string): Promise<Connection> => Connection.connect({ host: '127.0.0.1', port: tb!.broker.port, sasl: { mechanism: 'OAUTHBEARER', token: () => token } });
      (await login(signJwt(a, claimsFor('alice', Date.now())))).close();
      body = jwks(a, b);
      const tokenB = signJwt(b, claimsFor('bob', Date.now()));
      await assert.rejects(login(tokenB), /invalid_token/);
      const end = Date.now() + 10_000;
      let c: Connection | null = null;
      while (c === null && Date.now() < end) {
        c = await login(tokenB).catch(() => null);
        if (c === null) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(c, 'the new key is used once the JWKS was fetched again');
      c.close();
      assert.ok(fetches >= 2);
    } finally {
      await tb?.close();
      server.close();
      rmSync(pki.dir, { recursive: true, force: true });
    }
  });
});

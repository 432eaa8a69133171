// PKCS12 trust stores (ssl.truststore.type=PKCS12): the broker's mTLS listener trusts the CA of a
// PKCS12 trust store written by OpenSSL 3 (PBES2/AES-256), older OpenSSL (3DES) and keytool; a
// wrong ssl.truststore.password, an RC2-encrypted store and JKS stores are ConfigErrors with a clear
// message. The reader (util/pkcs12.ts) is fuzzed: bad bytes are a Pkcs12Error, never a crash.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Connection } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ConfigError } from '../../src/broker/config/validate.js';
import { listenerTls } from '../../src/broker/network/tls-config.js';
import { pkcs12Certificates, Pkcs12Error } from '../../src/util/pkcs12.js';
import { startBroker } from './helpers/broker-client.js';
import { securityOptions } from '../../src/cli/security-props.js';
import { hasOpenssl, makePki, type TestPki } from './helpers/certs.js';

const skip = hasOpenssl() ? false : 'the openssl CLI is not installed';

function hasKeytool(): boolean {
  try {
    execFileSync('keytool', ['-help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A trust store with the test CA, written by `openssl pkcs12 -export -nokeys` with `extra` options. */
function opensslTrustStore(pki: TestPki, name: string, password: string, extra: string[] = []): string {
  const out = join(pki.dir, `${name}.p12`);
  execFileSync('openssl', ['pkcs12', '-export', '-nokeys', '-in', join(pki.dir, 'ca.crt'), '-out', out, '-passout', `pass:${password}`, ...extra], { stdio: 'pipe' });
  return out;
}

const PW = 'trust-pw';
const reader = (values: Record<string, string>) => ({ get: (k: string) => values[k] ?? null, isSet: (k: string) => k in values });

describe('PKCS12 trust stores', { skip }, () => {
  let pki: TestPki;
  let serverPem: string;
  before(() => {
    pki = makePki();
    serverPem = pki.serverPem('broker-p12');
  });
  after(() => {
    rmSync(pki.dir, { recursive: true, force: true });
  });

  test('an mTLS listener trusts the CA of a PKCS12 trust store; a certificate of another CA is refused', async () => {
    const store = opensslTrustStore(pki, 'trust-aes', 'trust-secret');
    const tb = await startBroker({
      listeners: 'SSL://127.0.0.1:0',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': serverPem,
      'ssl.truststore.type': 'PKCS12',
      'ssl.truststore.location': store,
      'ssl.truststore.password': 'trust-secret',
      'ssl.client.auth': 'required',
    });
    try {
      const alice = pki.issue('alice-p12', '/O=Acme/CN=alice');
      const c = await Connection.connect({ host: '127.0.0.1', port: tb.broker.port, ssl: { ca: pki.caCert, key: alice.key, cert: alice.cert } });
      const md = await c.send(ApiKey.Metadata, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      assert.equal(md!.brokers.length, 1);
      c.close();
      const stranger = makePki();
      try {
        const mallory = stranger.issue('mallory', '/CN=mallory');
        await assert.rejects(Connection.connect({ host: '127.0.0.1', port: tb.broker.port, ssl: { ca: pki.caCert, key: mallory.key, cert: mallory.cert }, connectTimeoutMs: 5000 }));
      } finally {
        rmSync(stranger.dir, { recursive: true, force: true });
      }
    } finally {
      await tb.close();
    }
  });

  test('stores from OpenSSL 3 (AES), 3DES and keytool give the CA; wrong password, RC2 and JKS are ConfigErrors', () => {
    const ca = pki.caCert.replace(/\s+/g, '');
    const stores = [opensslTrustStore(pki, 'trust-aes2', PW), opensslTrustStore(pki, 'trust-3des', PW, ['-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1'])];
    if (hasKeytool()) {
      const ks = join(pki.dir, 'trust-keytool.p12');
      execFileSync('keytool', ['-importcert', '-noprompt', '-alias', 'ca', '-file', join(pki.dir, 'ca.crt'), '-keystore', ks, '-storetype', 'PKCS12', '-storepass', PW], { stdio: 'pipe' });
      stores.push(ks);
    }
    const base = { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': serverPem, 'ssl.truststore.type': 'PKCS12', 'ssl.truststore.password': PW };
    for (const store of stores) {
      const tls = listenerTls(reader({ ...base, 'ssl.truststore.location': store }), 'SSL');
      assert.deepEqual((tls.context.ca as string[]).map((c) => c.replace(/\s+/g, '')), [ca], store);
      assert.throws(
        () => listenerTls(reader({ ...base, 'ssl.truststore.location': store, 'ssl.truststore.password': 'wrong' }), 'SSL'),
        (e: unknown) => e instanceof ConfigError && /password was incorrect/.test(e.message),
      );
    }
    const legacy = opensslTrustStore(pki, 'trust-rc2', PW, ['-legacy']);
    assert.throws(
      () => listenerTls(reader({ ...base, 'ssl.truststore.location': legacy }), 'SSL'),
      (e: unknown) => e instanceof ConfigError && /RC2/.test(e.message),
    );
    assert.throws(
      () => listenerTls(reader({ ...base, 'ssl.truststore.type': 'JKS', 'ssl.truststore.location': '/etc/kafka/truststore.jks' }), 'SSL'),
      (e: unknown) => e instanceof ConfigError && e.key === 'ssl.truststore.type' && /JKS is not supported .*keytool -importkeystore -srckeystore \/etc\/kafka\/truststore.jks -srcstoretype JKS/.test(e.message),
    );
    assert.throws(
      () => listenerTls(reader({ 'ssl.keystore.location': '/etc/kafka/keystore.jks' }), 'SSL'),
      (e: unknown) => e instanceof ConfigError && e.key === 'ssl.keystore.type' && /JKS is not supported/.test(e.message),
    );
  });

  test("the tools' --command-config takes a PKCS12 trust store too", async () => {
    const store = opensslTrustStore(pki, 'trust-cli', PW);
    const props = new Map([['security.protocol', 'SSL'], ['ssl.truststore.type', 'PKCS12'], ['ssl.truststore.location', store], ['ssl.truststore.password', PW]]);
    const o = await securityOptions(props);
    assert.deepEqual((o.ssl!.ca as string[]).map((c) => c.replace(/\s+/g, '')), [pki.caCert.replace(/\s+/g, '')]);
    await assert.rejects(securityOptions(new Map([...props, ['ssl.truststore.password', 'nope']])), /password was incorrect/);
    await assert.rejects(securityOptions(new Map([...props, ['ssl.truststore.type', 'JKS']])), /JKS is not supported/);
  });

  test('fuzz: truncated and mutated PKCS12 files are a Pkcs12Error (or a clean parse), never a crash', () => {
    // An encrypted store with its password, and a plain one (no MAC, no encryption: every mutation reaches the bag parser).
    for (const [good, password] of [
      [readFileSync(opensslTrustStore(pki, 'trust-fuzz', PW)), PW],
      [readFileSync(opensslTrustStore(pki, 'trust-fuzz-plain', PW, ['-certpbe', 'NONE', '-nomac'])), null],
    ] as const) {
      assert.equal(pkcs12Certificates(good, password).length, 1);
      fc.assert(
        fc.property(fc.nat(good.length - 1), fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.boolean(), (cut, flips, truncate) => {
          const b = Buffer.from(truncate ? good.subarray(0, cut) : good);
          if (!truncate) for (const [at, v] of flips) b[at] = v;
          try {
            pkcs12Certificates(b, password);
          } catch (e) {
            assert.ok(e instanceof Pkcs12Error, `${(e as Error).name}: ${(e as Error).message}`);
          }
        }),
        { numRuns: 1000 },
      );
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          pkcs12Certificates(Buffer.from(bytes), null);
        } catch (e) {
          assert.ok(e instanceof Pkcs12Error, `${(e as Error).name}: ${(e as Error).message}`);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

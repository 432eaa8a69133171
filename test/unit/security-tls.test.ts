// TLS listeners: PEM key store file, inline PEM with an encrypted key, PKCS12; mTLS with the
// principal from the certificate subject through ssl.principal.mapping.rules; our client's host
// name verification; SASL_SSL; certificates reloaded through IncrementalAlterConfigs.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { Connection } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { capturingLogger, startBroker } from './helpers/broker-client.js';
import { encryptedKey, hasOpenssl, makePki, pkcs12, type TestPki } from './helpers/certs.js';

const skip = hasOpenssl() ? false : 'the openssl CLI is not installed';

/** The CN of the certificate a TLS listener serves now. */
function servedCn(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const cn = s.getPeerCertificate().subject.CN;
      s.destroy();
      resolve(Array.isArray(cn) ? cn.join(',') : String(cn));
    });
    s.once('error', reject);
  });
}

describe('TLS listeners', { skip }, () => {
  let pki: TestPki;
  before(() => {
    pki = makePki();
  });
  after(() => {
    rmSync(pki.dir, { recursive: true, force: true });
  });

  test('SSL with mTLS: the principal comes from the certificate subject; no certificate, no connection', async () => {
    const cap = capturingLogger('debug');
    const tb = await startBroker(
      {
        listeners: 'SSL://127.0.0.1:0',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': pki.serverPem('broker1'),
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': `${pki.dir}/ca.crt`,
        'ssl.client.auth': 'required',
        'ssl.principal.mapping.rules': 'RULE:^CN=([^,]*),OU=eng,.*$/$1/L,DEFAULT',
      },
      { logger: cap.logger },
    );
    try {
      const alice = pki.issue('alice', '/C=GB/O=Acme/OU=eng/CN=Alice');
      const c = await Connection.connect({ host: '127.0.0.1', port: tb.broker.port, ssl: { ca: pki.caCert, key: alice.key, cert: alice.cert } });
      const md = await c.send(ApiKey.Metadata, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      assert.equal(md!.brokers.length, 1);
      c.close();
      const other = pki.issue('svc', '/O=Acme/CN=svc');
      (await Connection.connect({ host: '127.0.0.1', port: tb.broker.port, ssl: { ca: pki.caCert, key: other.key, cert: other.cert } })).close();
      const principals = cap.lines.filter((l) => l.msg === 'connection accepted').map((l) => l.principal);
      assert.deepEqual(principals, ['User:alice', 'User:CN=svc,O=Acme']);
      await assert.rejects(Connection.connect({ host: '127.0.0.1', port: tb.broker.port, ssl: { ca: pki.caCert }, connectTimeoutMs: 5000 }));
    } finally {
      await tb.close();
    }
  });

  test('our client verifies the broker: unknown CA and wrong host name are refused', async () => {
    const tb = await startBroker({ listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': pki.serverPem('broker2') });
    try {
      (await Connection.connect({ host: 'localhost', port: tb.broker.port, ssl: { ca: pki.caCert } })).close();
      (await Connection.connect({ host: '127.0.0.1', port: tb.broker.port, ssl: { ca: pki.caCert } })).close();
      await assert.rejects(Connection.connect({ host: '127.0.0.1', port: tb.broker.port, ssl: true }), /self.signed|unable to (get|verify)/i);
      await assert.rejects(Connection.connect({ host: '127.0.0.1', port: tb.broker.port, ssl: { ca: pki.caCert, servername: 'kafka.example.com' } }), /does not match|altnames/i);
    } finally {
      await tb.close();
    }
  });

  test('SASL_SSL with a PKCS12 key store, and inline PEM with an encrypted key; cipher suites and protocols', async () => {
    const s = pki.issue('broker3', '/CN=broker3', 'IP:127.0.0.1,DNS:localhost');
    const tb = await startBroker({
      listeners: 'SASL_SSL://127.0.0.1:0,INLINE://127.0.0.1:0',
      'listener.security.protocol.map': 'SASL_SSL:SASL_SSL,INLINE:SSL',
      'listener.name.sasl_ssl.ssl.keystore.type': 'PKCS12',
      'listener.name.sasl_ssl.ssl.keystore.location': pkcs12(pki, 'broker3', s.keyPath, s.certPath, 'p12-secret'),
      'listener.name.sasl_ssl.ssl.keystore.password': 'p12-secret',
      'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.sasl_ssl.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";',
      'listener.name.inline.ssl.keystore.type': 'PEM',
      'listener.name.inline.ssl.keystore.key': encryptedKey(s.keyPath, 'key-secret'),
      'listener.name.inline.ssl.key.password': 'key-secret',
      'listener.name.inline.ssl.keystore.certificate.chain': s.cert,
      'listener.name.inline.ssl.enabled.protocols': 'TLSv1.2',
      'listener.name.inline.ssl.cipher.suites': 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    });
    try {
      const [saslSsl, inline] = tb.broker.listeners;
      (await Connection.connect({ host: '127.0.0.1', port: saslSsl!.port, ssl: { ca: pki.caCert }, sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } })).close();
      await assert.rejects(Connection.connect({ host: '127.0.0.1', port: saslSsl!.port, ssl: { ca: pki.caCert }, sasl: { mechanism: 'PLAIN', username: 'alice', password: 'x' } }), /Invalid username or password/);
      const proto = await new Promise<{ protocol: string | null; cipher: string }>((resolve, reject) => {
        const sock = tlsConnect({ host: '127.0.0.1', port: inline!.port, ca: pki.caCert, servername: 'localhost' }, () => {
          resolve({ protocol: sock.getProtocol(), cipher: sock.getCipher().name });
          sock.destroy();
        });
        sock.once('error', reject);
      });
      assert.deepEqual(proto, { protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384' });
    } finally {
      await tb.close();
    }
  });

  test('certificates reload through IncrementalAlterConfigs on listener.name.<l>.ssl.keystore.location; a bad store is refused', async () => {
    const tb = await startBroker({
      listeners: 'SSL://127.0.0.1:0,PLAINTEXT://127.0.0.1:0',
      'listener.name.ssl.ssl.keystore.type': 'PEM',
      'listener.name.ssl.ssl.keystore.location': pki.serverPem('before'),
    });
    try {
      const [ssl, plain] = tb.broker.listeners;
      assert.equal(await servedCn(ssl!.port, pki.caCert), 'before');
      const admin = await Connection.connect({ host: '127.0.0.1', port: plain!.port });
      const alter = (value: string): Promise<number> =>
        admin
          .send(ApiKey.IncrementalAlterConfigs, { resources: [{ resourceType: 4, resourceName: String(tb.broker.config.nodeId), configs: [{ name: 'listener.name.ssl.ssl.keystore.location', configOperation: 0, value }] }], validateOnly: false })
          .then((r) => r!.responses[0]!.errorCode);
      assert.equal(await alter(`${pki.dir}/ca.crt`), 42, 'a file without a key: INVALID_REQUEST');
      assert.equal(await servedCn(ssl!.port, pki.caCert), 'before');
      assert.equal(await alter(pki.serverPem('after')), 0);
      assert.equal(await servedCn(ssl!.port, pki.caCert), 'after');
      admin.close();
    } finally {
      await tb.close();
    }
  });
});

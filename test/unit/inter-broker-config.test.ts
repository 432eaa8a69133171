// Which listener and which login a broker uses to reach its peers (broker/network/inter-broker.ts):
// inter.broker.listener.name or security.inter.broker.protocol (not both), the listener's TLS
// stores, sasl.mechanism.inter.broker.protocol and the listener's JAAS username/password, with
// clear errors for what is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConfig } from '../../src/broker/config/config.js';
import { parseListeners } from '../../src/broker/config/listeners.js';
import { interBrokerListenerName, interBrokerSecurity } from '../../src/broker/network/inter-broker.js';
import { hasOpenssl, makePki } from './helpers/certs.js';

const config = (entries: Record<string, string>): BrokerConfig => new BrokerConfig(Object.entries(entries));
const LISTENERS = parseListeners(['CLIENT://127.0.0.1:9092', 'INTERNAL://127.0.0.1:9093', 'SASL_PLAINTEXT://127.0.0.1:9094']);

test('the inter-broker listener: named, by protocol, or the first; both keys or an unknown name refused', () => {
  assert.equal(interBrokerListenerName(config({}), LISTENERS), 'CLIENT');
  assert.equal(interBrokerListenerName(config({ 'inter.broker.listener.name': 'internal' }), LISTENERS), 'INTERNAL');
  assert.equal(interBrokerListenerName(config({ 'security.inter.broker.protocol': 'SASL_PLAINTEXT' }), LISTENERS), 'SASL_PLAINTEXT');
  assert.throws(() => interBrokerListenerName(config({ 'inter.broker.listener.name': 'INTERNAL', 'security.inter.broker.protocol': 'SSL' }), LISTENERS), /Only one of inter.broker.listener.name and security.inter.broker.protocol/);
  assert.throws(() => interBrokerListenerName(config({ 'inter.broker.listener.name': 'REPLICATION' }), LISTENERS), /must be a listener name defined in advertised.listeners.*CLIENT,INTERNAL,SASL_PLAINTEXT/);
});

test("SASL: the mechanism and the listener's JAAS username/password are the broker's login", () => {
  const base = { 'listener.security.protocol.map': 'INTERNAL:SASL_PLAINTEXT' };
  const jaas = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="s3cret";';
  assert.deepEqual(interBrokerSecurity(config({ ...base, 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512', 'listener.name.internal.scram-sha-512.sasl.jaas.config': jaas }), 'INTERNAL'), {
    listener: 'INTERNAL',
    securityProtocol: 'SASL_PLAINTEXT',
    sasl: { mechanism: 'SCRAM-SHA-512', username: 'broker', password: 's3cret' },
  });
  assert.throws(() => interBrokerSecurity(config(base), 'INTERNAL'), /sasl.mechanism.inter.broker.protocol GSSAPI.*one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512/);
  assert.throws(() => interBrokerSecurity(config({ ...base, 'sasl.mechanism.inter.broker.protocol': 'PLAIN' }), 'INTERNAL'), /set listener.name.internal.plain.sasl.jaas.config/);
  assert.throws(
    () => interBrokerSecurity(config({ ...base, 'sasl.mechanism.inter.broker.protocol': 'PLAIN', 'listener.name.internal.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_broker="x";' }), 'INTERNAL'),
    /must set username and password/,
  );
  assert.deepEqual(interBrokerSecurity(config({}), 'PLAINTEXT'), { listener: 'PLAINTEXT', securityProtocol: 'PLAINTEXT' });
});

test("TLS: the listener's key and trust stores; host name verification unless the algorithm is empty", { skip: !hasOpenssl() && 'openssl is not installed' }, () => {
  const pki = makePki();
  const tls = { 'listener.security.protocol.map': 'INTERNAL:SSL', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': pki.serverPem('b1'), 'ssl.truststore.type': 'PEM', 'ssl.truststore.certificates': pki.caCert };
  const s = interBrokerSecurity(config(tls), 'INTERNAL');
  assert.equal(s.sasl, undefined);
  assert.match(String(s.ssl!.key), /PRIVATE KEY/);
  assert.match(String(s.ssl!.cert), /BEGIN CERTIFICATE/);
  assert.equal((s.ssl!.ca as string[]).length, 1);
  assert.equal(s.ssl!.checkServerIdentity, undefined);
  const off = interBrokerSecurity(config({ ...tls, 'listener.name.internal.ssl.endpoint.identification.algorithm': '' }), 'INTERNAL');
  assert.equal(off.ssl!.checkServerIdentity!('127.0.0.1', {} as never), undefined);
});

// The inter-broker connections present the inter-broker listener's certificate (mTLS between
// brokers), and after a dynamic reload of that listener's key store the next connection presents
// the new one. A TLS server that asks for client certificates records what each connection shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type TLSSocket } from 'node:tls';
import { PeerConnections } from '../../src/broker/network/peers.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { hasOpenssl, makePki } from './helpers/certs.js';

test('peer connections present the listener certificate, and the reloaded one after reloadTls', { skip: !hasOpenssl() && 'openssl is not installed' }, async () => {
  const pki = makePki();
  const server = pki.issue('peer', '/CN=peer/O=Tributary', 'IP:127.0.0.1');
  const first = pki.issue('broker-a', '/CN=broker-a/O=Tributary');
  const second = pki.issue('broker-b', '/CN=broker-b/O=Tributary');
  const seen: string[] = [];
  const tls = createServer({ key: server.key, cert: server.cert, ca: [pki.caCert], requestCert: true, rejectUnauthorized: true }, (s: TLSSocket) => {
    seen.push(s.getPeerX509Certificate()?.subject.split('\n').find((l) => l.startsWith('CN='))?.slice(3) ?? 'none');
    s.destroy();
  });
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
  const port = (tls.address() as { port: number }).port;
  const peers = new PeerConnections(1, () => ({ host: '127.0.0.1', port }), 2000, { ssl: { key: first.key, cert: first.cert, ca: [pki.caCert] } });
  try {
    await assert.rejects(peers.send(2, ApiKey.ApiVersions, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }));
    peers.reloadTls({ key: second.key, cert: second.cert, ca: [pki.caCert] });
    peers.forget(2);
    await assert.rejects(peers.send(2, ApiKey.ApiVersions, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }));
    assert.deepEqual(seen, ['broker-a', 'broker-b']);
  } finally {
    await peers.close();
    await new Promise<void>((r) => tls.close(() => r()));
  }
});

// The tools on secured listeners: --command-config with security.protocol, sasl.mechanism,
// sasl.jaas.config and ssl.truststore.*; kafka-configs --entity-type users for SCRAM credentials.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configsCommand } from '../../src/cli/configs.js';
import { topicsCommand } from '../../src/cli/topics.js';
import { securityOptions } from '../../src/cli/security-props.js';
import { Connection } from '../../src/client/index.js';
import { startBroker, type TestBroker } from './helpers/broker-client.js';
import { hasOpenssl, makePki, type TestPki } from './helpers/certs.js';

async function run(cmd: typeof configsCommand, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await cmd(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

describe('tools on a SASL_SSL listener', { skip: hasOpenssl() ? false : 'the openssl CLI is not installed' }, () => {
  let tb: TestBroker;
  let pki: TestPki;
  let dir: string;
  let admin: string;
  let B: string[];
  before(async () => {
    pki = makePki();
    dir = mkdtempSync(join(tmpdir(), 'tributary-cli-sec-'));
    tb = await startBroker({
      listeners: 'SASL_SSL://127.0.0.1:0',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': pki.serverPem('broker'),
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
      'listener.name.sasl_ssl.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret";',
    });
    admin = join(dir, 'admin.properties');
    writeFileSync(
      admin,
      [
        'security.protocol=SASL_SSL',
        'sasl.mechanism=PLAIN',
        'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret";',
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${pki.dir}/ca.crt`,
        '',
      ].join('\n'),
    );
    B = ['--bootstrap-server', `127.0.0.1:${tb.broker.port}`];
  });
  after(async () => {
    await tb.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(pki.dir, { recursive: true, force: true });
  });

  test('kafka-configs adds, describes and deletes SCRAM credentials; the user logs in with them', async () => {
    const add = await run(configsCommand, ...B, '--command-config', admin, '--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add-config', 'SCRAM-SHA-512=[iterations=8192,password=alice-secret]');
    assert.deepEqual(add, { code: 0, out: 'Completed updating config for user alice.\n', err: '' });
    const d = await run(configsCommand, ...B, '--command-config', admin, '--describe', '--entity-type', 'users', '--entity-name', 'alice');
    assert.equal(d.out, "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-512=iterations=8192\n");

    const alice = join(dir, 'alice.properties');
    writeFileSync(alice, `security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="alice-secret";\nssl.truststore.location=${pki.dir}/ca.crt\n`);
    const created = await run(topicsCommand, ...B, '--command-config', alice, '--create', '--topic', 'secure', '--partitions', '1');
    assert.equal(created.code, 0, created.err);

    const few = await run(configsCommand, ...B, '--command-config', admin, '--alter', '--entity-type', 'users', '--entity-name', 'bob', '--add-config', 'SCRAM-SHA-512=[iterations=100,password=x]');
    assert.equal(few.code, 1);
    assert.match(few.err, /UNACCEPTABLE_CREDENTIAL: Too few iterations/);

    const del = await run(configsCommand, ...B, '--command-config', admin, '--alter', '--entity-type', 'users', '--entity-name', 'alice', '--delete-config', 'SCRAM-SHA-512');
    assert.equal(del.code, 0, del.err);
    const gone = await run(configsCommand, ...B, '--command-config', admin, '--describe', '--entity-type', 'users', '--entity-name', 'alice');
    // As Kafka 4.3.1's tool: a user without credentials (RESOURCE_NOT_FOUND) prints nothing.
    assert.deepEqual([gone.code, gone.out, gone.err], [0, '', '']);
    const again = await run(topicsCommand, ...B, '--command-config', alice, '--list');
    assert.equal(again.code, 1);
  });

  test('security properties: a truststore that is not PEM, an unsupported mechanism and a JAAS config without a password are usage errors', async () => {
    await assert.rejects(securityOptions(new Map([['security.protocol', 'SSL'], ['ssl.truststore.type', 'JKS'], ['ssl.truststore.location', '/x']])), /not supported/);
    await assert.rejects(securityOptions(new Map([['security.protocol', 'SASL_PLAINTEXT'], ['sasl.mechanism', 'GSSAPI']])), /GSSAPI is not supported/);
    await assert.rejects(securityOptions(new Map([['security.protocol', 'SASL_PLAINTEXT'], ['sasl.mechanism', 'PLAIN'], ['sasl.jaas.config', 'X required username="a";']])), /username and password/);
    const o = await securityOptions(new Map([['security.protocol', 'SSL'], ['ssl.endpoint.identification.algorithm', '']]));
    assert.equal(typeof o.ssl?.checkServerIdentity, 'function');
    // Host name verification stays on by default: connecting by a name the certificate lacks fails.
    const ca = (await securityOptions(new Map([['security.protocol', 'SSL'], ['ssl.truststore.location', `${pki.dir}/ca.crt`]]))).ssl!;
    await assert.rejects(Connection.connect({ host: '127.0.0.1', port: tb.broker.port, ssl: { ...ca, servername: 'elsewhere.example' } }), /altnames|does not match/i);
  });
});

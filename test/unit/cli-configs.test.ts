// `tributary configs` (kafka-configs.sh) against the embedded broker: Kafka's flags, output
// (checked against Apache Kafka 4.3.1's ConfigCommand run on the same broker) and exit codes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { configsCommand, parseAddConfig } from '../../src/cli/configs.js';
import { topicsCommand } from '../../src/cli/topics.js';
import { startBroker, type TestBroker } from './helpers/broker-client.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await configsCommand(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('kafka-configs', () => {
  let tb: TestBroker;
  let B: string[];
  before(async () => {
    tb = await startBroker({ 'log.retention.hours': 168 });
    B = ['--bootstrap-server', `127.0.0.1:${tb.broker.port}`];
    const sink = { out: () => {}, err: () => {} };
    assert.equal(await topicsCommand([...B, '--create', '--topic', 'kc', '--config', 'retention.ms=5000'], sink), 0);
  });
  after(async () => {
    await tb.close();
  });

  test('--add-config syntax: commas split pairs except inside [ ]', () => {
    assert.deepEqual(parseAddConfig('k1=v1,k2=[a,b,c],k3=v3'), [
      ['k1', 'v1'],
      ['k2', 'a,b,c'],
      ['k3', 'v3'],
    ]);
    assert.throws(() => parseAddConfig('novalue'), /key=val/);
  });

  test('describe and alter a topic', async () => {
    assert.deepEqual(await run(...B, '--describe', '--entity-type', 'topics', '--entity-name', 'kc'), {
      code: 0,
      out:
        'Dynamic configs for topic kc are:\n' +
        '  retention.ms=5000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=5000, STATIC_BROKER_CONFIG:log.retention.hours=168, DEFAULT_CONFIG:log.retention.ms=604800000}\n',
      err: '',
    });
    assert.deepEqual(await run(...B, '--alter', '--topic', 'kc', '--add-config', 'cleanup.policy=[compact,delete],max.message.bytes=64000', '--delete-config', 'retention.ms'), {
      code: 0,
      out: 'Completed updating config for topic kc.\n',
      err: '',
    });
    const d = await run(...B, '--describe', '--topic', 'kc');
    assert.deepEqual(d.out.split('\n').map((l) => l.trim().split(' ')[0]), ['Dynamic', 'cleanup.policy=compact,delete', 'max.message.bytes=64000', '']);
    const all = await run(...B, '--describe', '--topic', 'kc', '--all');
    assert.match(all.out, /^All configs for topic kc are:\n/);
    assert.match(all.out, /\n {2}retention\.ms=604800000 sensitive=false synonyms=\{STATIC_BROKER_CONFIG:log\.retention\.hours=168, DEFAULT_CONFIG:log\.retention\.ms=604800000\}\n/);
    assert.deepEqual(await run(...B, '--describe', '--topic', 'nope'), { code: 0, out: "The topic 'nope' doesn't exist and doesn't have dynamic config.\n", err: '' });
  });

  test('broker values and cluster-wide defaults', async () => {
    assert.deepEqual(await run(...B, '--alter', '--broker-defaults', '--add-config', 'log.retention.ms=100000'), { code: 0, out: 'Completed updating default config for brokers in the cluster.\n', err: '' });
    assert.deepEqual(await run(...B, '--alter', '--entity-type', 'brokers', '--entity-name', '1', '--add-config', 'log.retention.ms=200000'), { code: 0, out: 'Completed updating config for broker 1.\n', err: '' });
    assert.equal(
      (await run(...B, '--describe', '--entity-type', 'brokers', '--entity-default')).out,
      'Default configs for brokers in the cluster are:\n  log.retention.ms=100000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=100000}\n',
    );
    assert.match(
      (await run(...B, '--describe', '--broker', '1')).out,
      /^Dynamic configs for broker 1 are:\n {2}log\.retention\.ms=200000 sensitive=false synonyms=\{DYNAMIC_BROKER_CONFIG:log\.retention\.ms=200000, DYNAMIC_DEFAULT_BROKER_CONFIG:log\.retention\.ms=100000\}\n$/,
    );
  });

  test("errors: Kafka's messages and exit codes", async () => {
    const bad = await run(...B, '--alter', '--topic', 'kc', '--add-config', 'retention.ms=abc');
    assert.equal(bad.code, 1);
    assert.equal(bad.out, '');
    assert.match(bad.err, /^Error while executing config command with args '--bootstrap-server \S+ --alter --topic kc --add-config retention.ms=abc'\nINVALID_CONFIG: .*retention\.ms/);
    assert.match((await run(...B, '--alter', '--topic', 'missing', '--add-config', 'retention.ms=1')).err, /UNKNOWN_TOPIC_OR_PARTITION/);
    assert.match((await run(...B, '--describe', '--alter', '--topic', 'kc')).err, /^Command must include exactly one action: --describe, --alter\n/);
    assert.match((await run(...B, '--alter', '--topic', 'kc')).err, /At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter/);
    assert.match((await run(...B, '--alter', '--entity-type', 'topics', '--add-config', 'a=b')).err, /An entity name must be specified with --alter of topics/);
    assert.match((await run(...B, '--describe', '--entity-type', 'client-metrics')).err, /Invalid entity type client-metrics/);
    assert.match((await run(...B, '--describe', '--entity-type', 'brokers', '--entity-name', 'x')).err, /must be a valid integer broker id/);
    assert.match((await run('--describe', '--topic', 'kc')).err, /--bootstrap-server/);
    assert.equal((await run(...B, '--alter', '--topic', 'kc', '--add-config', 'retention.ms=1', '--delete-config', 'retention.ms')).code, 1);
  });
});

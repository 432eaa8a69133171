// kafka-configs for client quotas (--entity-type users|clients|ips) against the embedded broker:
// the lines Apache Kafka 4.3.1's ConfigCommand prints for the same commands (captured from it, run
// against Kafka 4.3.1: entities and keys in its HashMap order, values as Java doubles), its refusals,
// and quota lines next to SCRAM lines on users. The Java formatting helpers are checked here too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { configsCommand } from '../../src/cli/configs.js';
import { javaDouble, javaHashMapOrder, javaHash, javaPropertiesOrder } from '../../src/cli/java-format.js';
import { startBroker, type TestBroker } from './helpers/broker-client.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await configsCommand(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

test("Java's Double.toString and HashMap order", () => {
  assert.deepEqual([1024, 12.5, 10485760, 1048576, 0.0001, 1e21, 5].map(javaDouble), ['1024.0', '12.5', '1.048576E7', '1048576.0', '1.0E-4', '1.0E21', '5.0']);
  // The order Kafka 4.3.1's tool printed these keys and users in.
  assert.deepEqual(javaHashMapOrder(['request_percentage', 'controller_mutation_rate', 'consumer_byte_rate', 'producer_byte_rate'], javaHash), [
    'producer_byte_rate',
    'consumer_byte_rate',
    'controller_mutation_rate',
    'request_percentage',
  ]);
  assert.deepEqual(javaPropertiesOrder(['foo', 'bar']), ['bar', 'foo']);
});

describe('kafka-configs client quotas', () => {
  let tb: TestBroker;
  let B: string[];
  before(async () => {
    tb = await startBroker();
    B = ['--bootstrap-server', `127.0.0.1:${tb.broker.port}`];
  });
  after(async () => tb.close());

  test('alter and describe users, clients, both and defaults with Kafka’s lines', async () => {
    const ok = async (...argv: string[]): Promise<string> => {
      const r = await run(...B, ...argv);
      assert.equal(r.code, 0, r.err);
      return r.out;
    };
    assert.equal(await ok('--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add-config', 'producer_byte_rate=1024,consumer_byte_rate=2048,request_percentage=12.5,controller_mutation_rate=10'), 'Completed updating config for user alice.\n');
    assert.equal(await ok('--alter', '--entity-type', 'clients', '--entity-default', '--add-config', 'producer_byte_rate=10485760'), 'Completed updating default config for clients in the cluster.\n');
    assert.equal(await ok('--alter', '--entity-type', 'users', '--entity-name', 'alice', '--entity-type', 'clients', '--entity-name', 'app', '--add-config', 'producer_byte_rate=1048576'), 'Completed updating config for user alice.\n');
    assert.equal(await ok('--alter', '--entity-type', 'clients', '--entity-name', 'app', '--entity-type', 'users', '--entity-default', '--add-config', 'consumer_byte_rate=5'), 'Completed updating config for client app.\n');
    for (const u of ['bob', 'carol', 'dave', 'erin', 'frank']) await ok('--alter', '--user', u, '--add-config', 'producer_byte_rate=100');
    assert.equal(await ok('--alter', '--user-defaults', '--add-config', 'request_percentage=200'), 'Completed updating default config for users in the cluster.\n');
    await ok('--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add-config', 'SCRAM-SHA-256=[iterations=8192,password=a]');

    assert.equal(
      await ok('--describe', '--entity-type', 'users'),
      [
        "Quota configs for user-principal 'erin' are producer_byte_rate=100.0",
        "Quota configs for user-principal 'alice' are producer_byte_rate=1024.0, consumer_byte_rate=2048.0, controller_mutation_rate=10.0, request_percentage=12.5",
        "Quota configs for user-principal 'bob' are producer_byte_rate=100.0",
        "Quota configs for user-principal 'frank' are producer_byte_rate=100.0",
        'Quota configs for the default user-principal are request_percentage=200.0',
        "Quota configs for user-principal 'dave' are producer_byte_rate=100.0",
        "Quota configs for user-principal 'carol' are producer_byte_rate=100.0",
        "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192",
        '',
      ].join('\n'),
    );
    assert.equal(await ok('--describe', '--entity-type', 'clients'), 'Quota configs for the default client-id are producer_byte_rate=1.048576E7\n');
    assert.equal(
      await ok('--describe', '--entity-type', 'users', '--entity-type', 'clients'),
      "Quota configs for the default user-principal, client-id 'app' are consumer_byte_rate=5.0\nQuota configs for user-principal 'alice', client-id 'app' are producer_byte_rate=1048576.0\n",
    );
    assert.equal(await ok('--describe', '--entity-type', 'users', '--entity-default'), 'Quota configs for the default user-principal are request_percentage=200.0\n');
    assert.equal(await ok('--describe', '--entity-type', 'users', '--entity-name', 'nobody'), '');
    assert.equal(
      await ok('--describe', '--entity-type', 'users', '--entity-name', 'alice'),
      "Quota configs for user-principal 'alice' are producer_byte_rate=1024.0, consumer_byte_rate=2048.0, controller_mutation_rate=10.0, request_percentage=12.5\nSCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192\n",
    );
    // Deleting keys; the entity goes when it has none left.
    assert.equal(await ok('--alter', '--client-defaults', '--delete-config', 'producer_byte_rate'), 'Completed updating default config for clients in the cluster.\n');
    assert.equal(await ok('--describe', '--entity-type', 'clients'), '');
  });

  test("refusals: Kafka's messages on stderr, exit 1", async () => {
    const cases: Array<[string[], string]> = [
      [['--alter', '--entity-type', 'clients', '--entity-name', 'none', '--delete-config', 'producer_byte_rate'], 'Invalid config(s): producer_byte_rate\n'],
      [['--alter', '--entity-type', 'clients', '--entity-name', 'app', '--add-config', 'foo=1,bar=2,zed=3'], "Only quota configs can be added for 'clients' using --bootstrap-server. Unexpected config names: Set(bar, foo, zed)\n"],
      [['--alter', '--entity-type', 'clients', '--entity-name', 'app', '--delete-config', 'foo,bar'], "Only quota configs can be deleted for 'clients' using --bootstrap-server. Unexpected config names: ArrayBuffer(foo, bar)\n"],
      [['--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add-config', 'producer_byte_rate=x'], 'Cannot parse quota configuration value for producer_byte_rate: x\n'],
      [['--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add-config', 'producer_byte_rate=1,SCRAM-SHA-256=[password=a]'], "Cannot alter both quota and SCRAM credential configs simultaneously for 'users' using --bootstrap-server.\n"],
      [['--alter', '--entity-type', 'users', '--entity-default', '--add-config', 'SCRAM-SHA-256=[password=a]'], 'The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials using --bootstrap-server.\n'],
      [['--alter', '--entity-type', 'users', '--entity-name', 'alice', '--entity-type', 'clients', '--add-config', 'producer_byte_rate=1'], 'An entity name must be specified for every entity type\n'],
      [['--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add-config', 'foo=1'], "Only quota and SCRAM credential configs can be added for 'users' using --bootstrap-server. Unexpected config names: Set(foo)\n"],
      [['--alter', '--entity-type', 'ips', '--entity-name', '1.2.3.4', '--add-config', 'foo=1,bar=2'], "Only connection quota configs can be added for 'ips' using --bootstrap-server. Unexpected config names: bar,foo\n"],
    ];
    for (const [argv, err] of cases) assert.deepEqual(await run(...B, ...argv), { code: 1, out: '', err }, argv.join(' '));
    // The broker's own refusal (INVALID_REQUEST) comes back as the call's error.
    const frac = await run(...B, '--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add-config', 'producer_byte_rate=1.5');
    assert.equal(frac.code, 1);
    assert.match(frac.err, /INVALID_REQUEST: producer_byte_rate cannot be a fractional value\./);
  });
});

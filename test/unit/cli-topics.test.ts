// `tributary topics` (kafka-topics.sh) against the embedded broker: Kafka's flags, messages,
// output format and exit codes (checked against Apache Kafka 4.3.1's TopicCommand run on the same
// broker: the same lines, configs in name order).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { topicsCommand } from '../../src/cli/topics.js';
import { startBroker, type TestBroker } from './helpers/broker-client.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await topicsCommand(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('kafka-topics', () => {
  let tb: TestBroker;
  let B: string[];
  before(async () => {
    tb = await startBroker({ 'num.partitions': 2, 'log.segment.bytes': 1073741824 });
    B = ['--bootstrap-server', `127.0.0.1:${tb.broker.port}`];
  });
  after(async () => {
    await tb.close();
  });

  test('create, list, describe, alter, delete', async () => {
    assert.deepEqual(await run(...B, '--create', '--topic', 'kt-one', '--partitions', '3', '--replication-factor', '1', '--config', 'retention.ms=1000000'), {
      code: 0,
      out: 'Created topic kt-one.\n',
      err: '',
    });
    assert.equal((await run(...B, '--create', '--topic', 'kt-two')).code, 0);
    assert.equal((await run(...B, '--list')).out, 'kt-one\nkt-two\n');
    assert.equal((await run(...B, '--list', '--topic', 'kt-t.*')).out, 'kt-two\n');

    const d = await run(...B, '--describe', '--topic', 'kt-one');
    const lines = d.out.split('\n');
    assert.match(lines[0]!, /^Topic: kt-one\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: (.*)$/);
    const configs = lines[0]!.split('Configs: ')[1]!.split(',');
    assert.ok(configs.includes('retention.ms=1000000'), configs.join(' '));
    assert.ok(configs.includes('segment.bytes=1073741824'), 'a broker setting (not a default) is shown, as Kafka does');
    assert.ok(!configs.some((c) => c.startsWith('min.insync.replicas=')), 'defaults are not');
    assert.deepEqual(lines.slice(1), [
      '\tTopic: kt-one\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: ',
      '\tTopic: kt-one\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: ',
      '\tTopic: kt-one\tPartition: 2\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: ',
      '',
    ]);
    const two = await run(...B, '--describe', '--topic', 'kt-two');
    assert.match(two.out, /PartitionCount: 2\t/, "the broker's num.partitions");

    assert.deepEqual(await run(...B, '--alter', '--topic', 'kt-one', '--partitions', '5'), { code: 0, out: '', err: '' });
    assert.match((await run(...B, '--describe', '--topic', 'kt-one')).out, /PartitionCount: 5\t/);
    // As Kafka: a topic "has overrides" when any config is not a default, a broker setting included
    // (this broker sets log.segment.bytes, so both topics show segment.bytes).
    assert.deepEqual((await run(...B, '--describe', '--topics-with-overrides')).out.split('\n').filter(Boolean).map((l) => l.split('\t')[0]), ['Topic: kt-one', 'Topic: kt-two']);
    assert.equal((await run(...B, '--describe', '--under-replicated-partitions')).out, '');

    assert.deepEqual(await run(...B, '--delete', '--topic', 'kt-.*'), { code: 0, out: '', err: '' });
    assert.equal((await run(...B, '--list')).out, '');
  });

  test("Kafka's errors and exit codes", async () => {
    assert.equal((await run(...B, '--create', '--topic', 'kt-dup')).code, 0);
    assert.deepEqual(await run(...B, '--create', '--topic', 'kt-dup'), { code: 1, out: "Error while executing topic command : Topic 'kt-dup' already exists.\n", err: '' });
    assert.deepEqual(await run(...B, '--create', '--topic', 'kt-dup', '--if-not-exists'), { code: 0, out: '', err: '' });
    assert.deepEqual(await run(...B, '--describe', '--topic', 'nope'), { code: 1, out: "Error while executing topic command : Topic 'nope' does not exist as expected\n", err: '' });
    assert.deepEqual(await run(...B, '--delete', '--topic', 'nope'), { code: 1, out: "Error while executing topic command : Topic 'nope' does not exist as expected\n", err: '' });
    assert.deepEqual(await run(...B, '--delete', '--topic', 'nope', '--if-exists'), { code: 0, out: '', err: '' });
    assert.deepEqual(await run(...B, '--alter', '--topic', 'kt-dup', '--partitions', '2'), { code: 1, out: 'Error while executing topic command : Topic already has 2 partitions.\n', err: '' });
    const dotted = await run(...B, '--create', '--topic', 'kt.dot_under');
    assert.equal(dotted.code, 0);
    assert.match(dotted.out, /^WARNING: Due to limitations in metric names, topics with a period \('\.'\) or underscore \('_'\) could collide\..*\nCreated topic kt\.dot_under\.\n$/);
    const bad = await run(...B, '--create', '--topic', 'bad name');
    assert.equal(bad.code, 1);
    assert.match(bad.out, /^Error while executing topic command : /);
  });

  test('usage errors print the usage and exit 1', async () => {
    const none = await run(...B);
    assert.equal(none.code, 1);
    assert.match(none.err, /^Command must include exactly one action: --list, --describe, --create, --alter or --delete\n/);
    assert.match(none.err, /--bootstrap-server/);
    assert.match((await run('--list')).err, /^--bootstrap-server must be specified\n/);
    assert.match((await run(...B, '--list', '--create')).err, /exactly one action/);
    assert.match((await run(...B, '--create')).err, /Missing required argument "\[topic\]"/);
    assert.match((await run(...B, '--alter', '--topic', 'x')).err, /Missing required argument "\[partitions\]"/);
    assert.match(
      (await run(...B, '--alter', '--topic', 'x', '--partitions', '2', '--config', 'a=b')).err,
      /^Option combination "\[\[config\], \[bootstrap-server\]\]" can't be used with option "\[alter\]" \(To alter topic configurations, the kafka-configs tool can be used\.\)\n/,
    );
    assert.match((await run(...B, '--create', '--topic', 'x', '--partitions', 'many')).err, /^Cannot parse argument 'many' of option partitions\n/);
    assert.match((await run(...B, '--create', '--topic', 'x', '--partitions', '2', '--replica-assignment', '1')).err, /^Option "\[replica-assignment\]" can't be used with option "\[partitions\]"\n/);
    assert.match((await run(...B, '--describe', '--under-replicated-partitions', '--topics-with-overrides')).err, /^Option "\[under-replicated-partitions\]" can't be used with option "\[topics-with-overrides\]"\n/);
    assert.match((await run(...B, '--zookeeper', 'localhost:2181', '--list')).err, /^Only one of --bootstrap-server or --zookeeper must be specified\n/);
    assert.equal((await run(...B, '--bogus')).code, 1);
    const help = await run('--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /--replication-factor/);
  });
});

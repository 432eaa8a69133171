// kafka-reassign-partitions against a scripted three-broker cluster (helpers/fake-cluster.ts):
// --generate, --execute (with a throttle), --verify (clearing throttles), --list, --cancel, Kafka's
// JSON formats, output lines, checks and exit codes; and the round-robin placement --generate
// proposes. test/interop/test_cluster_tools.py runs the tool against Apache Kafka 4.3.1.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reassignPartitionsCommand } from '../../src/cli/reassign-partitions.js';
import { placeReplicas } from '../../src/cli/replica-placement.js';
import { startFakeCluster, type FakeCluster } from './helpers/fake-cluster.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await reassignPartitionsCommand(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

test('placement: round robin from a start broker, followers shifted by one every n partitions', () => {
  assert.deepEqual(placeReplicas([3, 1, 2], 3, 2, { start: 2, shift: 0 }), [[3, 1], [1, 2], [2, 3]]);
  assert.deepEqual(placeReplicas([1, 2, 3], 1, 3, { start: 2, shift: 0 }), [[3, 1, 2]]);
  assert.deepEqual(placeReplicas([1, 2, 3], 6, 2, { start: 0, shift: 0 }), [[1, 2], [2, 3], [3, 1], [1, 3], [2, 1], [3, 2]]);
  for (let i = 0; i < 20; i++) {
    const p = placeReplicas([1, 2, 3, 4], 8, 3);
    assert.ok(p.every((r) => new Set(r).size === 3), 'no broker twice in a partition');
    const leaders = p.map((r) => r[0]);
    assert.deepEqual([1, 2, 3, 4].map((b) => leaders.filter((l) => l === b).length), [2, 2, 2, 2], 'leaders spread evenly');
  }
  assert.throws(() => placeReplicas([1], 1, 2), /The target replication factor of 2 cannot be reached because only 1 broker\(s\) are registered/);
});

describe('kafka-reassign-partitions', () => {
  let fc: FakeCluster;
  let B: string[];
  let dir: string;
  const file = (name: string, body: unknown): string => {
    const p = join(dir, name);
    writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body));
    return p;
  };
  before(async () => {
    fc = await startFakeCluster();
    B = ['--bootstrap-server', fc.bootstrap];
    dir = mkdtempSync(join(tmpdir(), 'tributary-reassign-'));
  });
  after(async () => {
    await fc.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    fc.state.topics.clear();
    fc.state.reassignments.clear();
    fc.state.brokerConfigs.clear();
    fc.state.holdReassignments = false;
    fc.addTopic('mv', [[2, 3], [3, 1]]);
  });

  test('--generate prints the current placement with its log dirs and a proposal on the brokers given', async () => {
    const topics = file('topics.json', { topics: [{ topic: 'mv' }], version: 1 });
    const res = await run(...B, '--generate', '--topics-to-move-json-file', topics, '--broker-list', '2,3');
    assert.equal(res.code, 0, res.out);
    const lines = res.out.split('\n');
    assert.deepEqual(lines.slice(0, 4), [
      'Current partition replica assignment',
      '{"version":1,"partitions":[{"topic":"mv","partition":0,"replicas":[2,3],"log_dirs":["/data/broker-2","/data/broker-3"]},{"topic":"mv","partition":1,"replicas":[3,1],"log_dirs":["/data/broker-3","/data/broker-1"]}]}',
      '',
      'Proposed partition reassignment configuration',
    ]);
    const proposed = JSON.parse(lines[4]!) as { version: number; partitions: Array<{ topic: string; partition: number; replicas: number[]; log_dirs: string[] }> };
    assert.equal(proposed.version, 1);
    assert.deepEqual(proposed.partitions.map((p) => [p.topic, p.partition, [...p.replicas].sort(), p.log_dirs]), [
      ['mv', 0, [2, 3], ['any', 'any']],
      ['mv', 1, [2, 3], ['any', 'any']],
    ]);
    assert.notEqual(proposed.partitions[0]!.replicas[0], proposed.partitions[1]!.replicas[0], 'leaders spread');
    assert.equal(lines[5], '');

    assert.deepEqual(await run(...B, '--generate', '--topics-to-move-json-file', topics, '--broker-list', '1,1'), { code: 1, out: 'Error: Broker list contains duplicate entries: [1]\n', err: '' });
    assert.deepEqual(await run(...B, '--generate', '--topics-to-move-json-file', file('zz.json', { topics: [{ topic: 'zz' }] }), '--broker-list', '1,2'), {
      code: 1,
      out: 'Error: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: Topic zz not found.\n',
      err: '',
    });
    assert.equal((await run(...B, '--generate', '--topics-to-move-json-file', topics, '--broker-list', '1,7')).out, 'Error: The target replication factor of 2 cannot be reached because only 1 broker(s) are registered or some brokers have all their log directories cordoned.\n');
  });

  test('--execute, --verify and --list: a completed round, and one held in progress with a throttle', async () => {
    const plan = file('plan.json', { version: 1, partitions: [{ topic: 'mv', partition: 0, replicas: [1, 2], log_dirs: ['any', 'any'] }, { topic: 'mv', partition: 1, replicas: [2, 3] }] });
    const current = '{"version":1,"partitions":[{"topic":"mv","partition":0,"replicas":[2,3],"log_dirs":["/data/broker-2","/data/broker-3"]},{"topic":"mv","partition":1,"replicas":[3,1],"log_dirs":["/data/broker-3","/data/broker-1"]}]}';
    assert.deepEqual(await run(...B, '--execute', '--reassignment-json-file', plan), {
      code: 0,
      out: `Current partition replica assignment\n\n${current}\n\nSave this to use as the --reassignment-json-file option during rollback\nSuccessfully started partition reassignments for mv-0,mv-1\n`,
      err: '',
    });
    assert.deepEqual(fc.state.topics.get('mv')!.partitions.map((p) => p.replicas), [[1, 2], [2, 3]]);
    assert.deepEqual(await run(...B, '--verify', '--reassignment-json-file', plan), {
      code: 0,
      out:
        'Status of partition reassignment:\nReassignment of partition mv-0 is completed.\nReassignment of partition mv-1 is completed.\n\n' +
        'Clearing broker-level throttles on brokers 1,2,3\nClearing topic-level throttles on topic mv\n',
      err: '',
    });

    fc.state.holdReassignments = true;
    const back = file('back.json', { version: 1, partitions: [{ topic: 'mv', partition: 0, replicas: [3, 1] }] });
    const exec = await run(...B, '--execute', '--reassignment-json-file', back, '--throttle', '1024');
    assert.equal(exec.code, 0, exec.out);
    assert.match(exec.out, /\nWarning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed\.\nThe inter-broker throttle limit was set to 1024 B\/s\nSuccessfully started partition reassignment for mv-0\n$/);
    const topicConfigs = fc.state.topics.get('mv')!.configs;
    assert.equal(topicConfigs.get('leader.replication.throttled.replicas'), '0:1,0:2');
    assert.equal(topicConfigs.get('follower.replication.throttled.replicas'), '0:3');
    assert.deepEqual([1, 2, 3].map((b) => fc.state.brokerConfigs.get(b)?.get('leader.replication.throttled.rate')), ['1024', '1024', '1024']);

    assert.deepEqual(await run(...B, '--list'), { code: 0, out: 'Current partition reassignments:\nmv-0: replicas: 3,1,2. adding: 3. removing: 2.\n', err: '' });
    assert.deepEqual(await run(...B, '--verify', '--reassignment-json-file', back), { code: 0, out: 'Status of partition reassignment:\nReassignment of partition mv-0 is still in progress.\n\n', err: '' });
    assert.equal(topicConfigs.get('follower.replication.throttled.replicas'), '0:3', 'throttles stay while it moves');
    assert.equal((await run(...B, '--execute', '--reassignment-json-file', back)).out, 'Cannot execute because there is an existing partition assignment.  Use --additional to override this and create a new partition assignment in addition to the existing one. The --additional flag can also be used to change the throttle by resubmitting the current reassignment.\n');

    assert.deepEqual(await run(...B, '--cancel', '--reassignment-json-file', back), {
      code: 0,
      out: 'Successfully cancelled partition reassignment for: mv-0\nNone of the specified partition moves are active.Clearing broker-level throttles on brokers 1,2,3\nClearing topic-level throttles on topic mv\n',
      err: '',
    });
    assert.equal(topicConfigs.has('follower.replication.throttled.replicas'), false);
    assert.equal(fc.state.brokerConfigs.get(1)!.has('leader.replication.throttled.rate'), false);
    assert.deepEqual(await run(...B, '--list'), { code: 0, out: 'No partition reassignments found.\n', err: '' });
    assert.deepEqual(await run(...B, '--verify', '--reassignment-json-file', back, '--preserve-throttles'), {
      code: 0,
      out: 'Status of partition reassignment:\nThere is no active reassignment of partition mv-0, but replica set is 1,2 rather than 3,1.\n\n',
      err: '',
    });
  });

  test("--execute refuses what Kafka's tool refuses", async () => {
    const fails = async (body: unknown, out: string) => assert.deepEqual(await run(...B, '--execute', '--reassignment-json-file', file('bad.json', body)), { code: 1, out: `${out}\n`, err: '' });
    await fails({ version: 1, partitions: [] }, 'Error: Partition reassignment list cannot be empty');
    await fails({ version: 2, partitions: [] }, 'Error: Not supported version field value 2');
    await fails({ version: 1, partitions: [{ topic: 'mv', partition: 0, replicas: [1, 1] }] }, 'Error: Partition replica lists may not contain duplicate entries: mv-0 contains multiple entries for 1');
    await fails({ version: 1, partitions: [{ topic: 'mv', partition: 0, replicas: [1] }, { topic: 'mv', partition: 0, replicas: [1] }] }, 'Error: Partition reassignment contains duplicate topic partitions: mv-0');
    await fails({ version: 1, partitions: [{ topic: 'mv', partition: 0, replicas: [1, 2], log_dirs: ['any'] }] }, 'Error: Size of replicas list [1, 2] is different from size of log dirs list [any] for partition mv-0');
    await fails({ version: 1, partitions: [{ topic: 'mv', partition: 0, replicas: [1, 9] }] }, 'Error: Unknown broker id 9');
    await fails({ version: 1, partitions: [{ topic: 'mv', partition: 9, replicas: [1] }] }, 'Error: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: Unable to find partition: mv-9');
    await fails({ version: 1, partitions: [{ topic: 'nope', partition: 0, replicas: [1] }] }, 'Error: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: Topic nope not found.');
    assert.deepEqual(fc.state.topics.get('mv')!.partitions.map((p) => p.replicas), [[2, 3], [3, 1]], 'nothing moved');
  });

  test('flag combinations as Kafka checks them (message and usage on stderr, exit 1)', async () => {
    const usage = async (args: string[], first: string) => {
      const res = await run(...args);
      assert.equal(res.code, 1);
      assert.equal(res.out, '');
      assert.equal(res.err.split('\n')[0], first);
      assert.match(res.err, /--reassignment-json-file/);
    };
    const plan = file('p.json', { version: 1, partitions: [] });
    await usage([...B], 'Command must include exactly one action: --generate, --execute, --verify, --cancel, --list');
    await usage([...B, '--list', '--verify'], 'Command must include exactly one action: --generate, --execute, --verify, --cancel, --list');
    await usage(['--list'], 'Please specify either --bootstrap-server or --bootstrap-controller');
    await usage([...B, '--generate', '--broker-list', '1'], 'Missing required argument "[topics-to-move-json-file]"');
    await usage([...B, '--execute'], 'Missing required argument "[reassignment-json-file]"');
    await usage([...B, '--verify', '--reassignment-json-file', plan, '--throttle', '5'], 'Option "[throttle]" can\'t be used with action "[verify]"');
    await usage([...B, '--list', '--additional'], 'Option "[additional]" can\'t be used with action "[list]"');
    await usage([...B, '--execute', '--reassignment-json-file', plan, '--throttle', 'fast'], "Cannot parse argument 'fast' of option throttle");
  });
});

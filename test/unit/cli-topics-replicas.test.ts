// kafka-topics against a scripted three-broker cluster (helpers/fake-cluster.ts): --create with
// --replication-factor and --replica-assignment, --alter with --replica-assignment, the partition
// lines Kafka 4 prints (leader none, ELR, a reassignment's adding/removing replicas) and the
// replication reports (--under-replicated-partitions, --under-min-isr-partitions,
// --at-min-isr-partitions, --unavailable-partitions). The same formats are checked against Apache
// Kafka 4.3.1 in test/interop/test_cluster_tools.py.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { topicsCommand } from '../../src/cli/topics.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { startFakeCluster, type FakeCluster } from './helpers/fake-cluster.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await topicsCommand(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

describe('kafka-topics on a cluster', () => {
  let fc: FakeCluster;
  let B: string[];
  before(async () => {
    fc = await startFakeCluster();
    B = ['--bootstrap-server', fc.bootstrap];
  });
  after(() => fc.close());
  beforeEach(() => {
    fc.state.topics.clear();
    fc.state.reassignments.clear();
    fc.state.holdReassignments = false;
    fc.state.withoutApis.clear();
    for (const b of fc.state.brokers) b.alive = true;
  });

  test('--create --replication-factor 3, then --describe prints leader, replicas, ISR and ELR per partition', async () => {
    assert.deepEqual(await run(...B, '--create', '--topic', 'rf3', '--partitions', '2', '--replication-factor', '3', '--config', 'min.insync.replicas=2'), { code: 0, out: 'Created topic rf3.\n', err: '' });
    const id = Buffer.from(fc.state.topics.get('rf3')!.topicId.replace(/-/g, ''), 'hex').toString('base64url');
    assert.deepEqual((await run(...B, '--describe', '--topic', 'rf3')).out.split('\n'), [
      `Topic: rf3\tTopicId: ${id}\tPartitionCount: 2\tReplicationFactor: 3\tConfigs: min.insync.replicas=2`,
      '\tTopic: rf3\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3\tElr: \tLastKnownElr: ',
      '\tTopic: rf3\tPartition: 1\tLeader: 2\tReplicas: 2,3,1\tIsr: 2,3,1\tElr: \tLastKnownElr: ',
      '',
    ]);
  });

  test('--replica-assignment places partitions on --create and --alter; malformed ones fail as in Kafka', async () => {
    assert.equal((await run(...B, '--create', '--topic', 'man', '--replica-assignment', '3:1, 1:2')).code, 0);
    assert.deepEqual(fc.state.topics.get('man')!.partitions.map((p) => p.replicas), [[3, 1], [1, 2]]);
    assert.deepEqual(await run(...B, '--alter', '--topic', 'man', '--partitions', '3', '--replica-assignment', '3:1,1:2,2:3'), { code: 0, out: '', err: '' });
    assert.deepEqual(fc.state.topics.get('man')!.partitions.map((p) => p.replicas), [[3, 1], [1, 2], [2, 3]]);

    const fails = async (assignment: string, message: string) =>
      assert.deepEqual(await run(...B, '--create', '--topic', 'bad', '--replica-assignment', assignment), { code: 1, out: `Error while executing topic command : ${message}\n`, err: '' });
    await fails('1:1', 'Partition replica lists may not contain duplicate entries: 1');
    await fails('1:2,3', 'Partition 1 has different replication factor: [3]');
    await fails('1:x', 'For input string: "x"');
    await fails('1:9', 'The manual partition assignment includes broker 9, but no such broker is registered.');
    assert.equal(fc.state.topics.has('bad'), false);
    assert.deepEqual(await run(...B, '--create', '--topic', 'bad', '--replication-factor', '0'), { code: 1, out: 'Error while executing topic command : The replication factor must be between 1 and 32767 inclusive\n', err: '' });
    assert.deepEqual(await run(...B, '--create', '--topic', 'bad', '--partitions', '0'), { code: 1, out: 'Error while executing topic command : The partitions must be greater than 0\n', err: '' });
  });

  test('an offline partition: Leader none, and the reports that pick it', async () => {
    const solo = fc.addTopic('solo', [[3]]);
    solo.partitions[0]!.isr = [];
    solo.partitions[0]!.elr = [3];
    solo.partitions[0]!.lastKnownElr = [3];
    const rt = fc.addTopic('rt', [[1, 2, 3], [2, 3, 1]], { 'min.insync.replicas': '2' });
    fc.state.brokers[2]!.alive = false; // broker 3
    rt.partitions[0]!.isr = [1, 2];
    rt.partitions[1]!.isr = [2, 1];
    fc.addTopic('whole', [[1, 2]]);

    const soloLine = '\tTopic: solo\tPartition: 0\tLeader: none\tReplicas: 3\tIsr: \tElr: 3\tLastKnownElr: 3\n';
    const rt0 = '\tTopic: rt\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2\tElr: \tLastKnownElr: \n';
    const rt1 = '\tTopic: rt\tPartition: 1\tLeader: 2\tReplicas: 2,3,1\tIsr: 2,1\tElr: \tLastKnownElr: \n';
    assert.match((await run(...B, '--describe', '--topic', 'solo')).out, new RegExp(`\n${soloLine.replace(/\t/g, '\\t')}$`));
    assert.deepEqual(await run(...B, '--describe', '--unavailable-partitions'), { code: 0, out: soloLine, err: '' });
    assert.deepEqual(await run(...B, '--describe', '--under-replicated-partitions'), { code: 0, out: rt0 + rt1 + soloLine, err: '' });
    assert.deepEqual(await run(...B, '--describe', '--under-min-isr-partitions'), { code: 0, out: soloLine, err: '' }, 'no leader counts as under min ISR');
    assert.deepEqual(await run(...B, '--describe', '--at-min-isr-partitions'), { code: 0, out: rt0 + rt1, err: '' });
    assert.deepEqual(await run(...B, '--describe', '--at-min-isr-partitions', '--unavailable-partitions', '--topic', 'rt|solo'), { code: 0, out: rt0 + rt1 + soloLine, err: '' }, 'several reports: their union');
    rt.partitions[1]!.isr = [2];
    assert.deepEqual(await run(...B, '--describe', '--under-min-isr-partitions', '--topic', 'rt'), { code: 0, out: rt1.replace('Isr: 2,1', 'Isr: 2'), err: '' });
  });

  test('a partition being reassigned shows the replicas it adds and removes, and its target replication factor', async () => {
    fc.state.holdReassignments = true;
    fc.addTopic('mv', [[1]]);
    const admin = await (await import('../../src/client/admin.js')).Admin.connect({ bootstrap: fc.bootstrap });
    try {
      await admin.alterPartitionReassignments([{ topic: 'mv', partition: 0, replicas: [2, 3] }]);
    } finally {
      await admin.close();
    }
    const lines = (await run(...B, '--describe', '--topic', 'mv')).out.split('\n');
    assert.match(lines[0]!, /\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: $/);
    assert.equal(lines[1], '\tTopic: mv\tPartition: 0\tLeader: 1\tReplicas: 2,3,1\tIsr: 1\tAdding Replicas: 2,3\tRemoving Replicas: 1\tElr: \tLastKnownElr: ');
    assert.equal((await run(...B, '--describe', '--under-replicated-partitions')).out, '', 'measured against the target replication factor, it is not under-replicated');
  });

  test('a broker without DescribeTopicPartitions: Elr and LastKnownElr read N/A', async () => {
    fc.state.withoutApis.add(ApiKey.DescribeTopicPartitions);
    fc.addTopic('old', [[2, 1]]);
    assert.equal((await run(...B, '--describe', '--topic', 'old')).out.split('\n')[1], '\tTopic: old\tPartition: 0\tLeader: 2\tReplicas: 2,1\tIsr: 2,1\tElr: N/A\tLastKnownElr: N/A');
  });

  test('--bootstrap-server lists are tried in turn', async () => {
    fc.addTopic('l', [[1]]);
    const res = await run('--bootstrap-server', `127.0.0.1:1,${fc.bootstrap}`, '--list');
    assert.deepEqual(res, { code: 0, out: 'l\n', err: '' });
  });
});

test("a topic's configs in the order Kafka's tool prints them (a Java HashMap's)", async () => {
  const { javaHashMapOrder, javaStringHash } = await import('../../src/cli/java-order.js');
  assert.equal(javaStringHash(''), 0);
  assert.equal(javaStringHash('a'), 97);
  assert.equal(javaStringHash('hello'), 99162322);
  assert.equal(javaStringHash('polygenelubricants'), -2147483648, 'overflow wraps as Java int');
  // As Kafka 4.3.1 printed them for a topic of ~36 config entries during a throttled reassignment.
  const names = ['follower.replication.throttled.replicas', 'leader.replication.throttled.replicas', 'min.insync.replicas'];
  assert.deepEqual(javaHashMapOrder(names, (n) => n, 36), ['leader.replication.throttled.replicas', 'min.insync.replicas', 'follower.replication.throttled.replicas']);
  assert.deepEqual(javaHashMapOrder(['retention.ms', 'min.insync.replicas'], (n) => n, 36), ['min.insync.replicas', 'retention.ms']);
});

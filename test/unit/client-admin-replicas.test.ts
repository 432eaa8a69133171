// The admin client's leader and replica calls (electLeaders, partition reassignments, replica log
// dirs, describeTopics with eligible leader replicas, manual assignments) against a scripted
// three-broker cluster (helpers/fake-cluster.ts), and manual assignments against the embedded
// broker, which serves CreateTopics but none of the replica APIs.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, AdminError } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { startFakeCluster, type FakeCluster } from './helpers/fake-cluster.js';
import { startBroker, type TestBroker } from './helpers/broker-client.js';

describe('Admin leaders and replicas (scripted cluster)', () => {
  let fc: FakeCluster;
  let admin: Admin;
  before(async () => {
    fc = await startFakeCluster();
    admin = await Admin.connect({ bootstrap: fc.bootstrap });
  });
  after(async () => {
    await admin.close();
    await fc.close();
  });
  beforeEach(() => {
    fc.state.topics.clear();
    fc.state.reassignments.clear();
    fc.state.holdReassignments = false;
    fc.state.controllerId = 1;
    fc.state.withoutApis.clear();
    for (const b of fc.state.brokers) b.alive = true;
  });

  test('describeTopics reports leader, epoch, replicas, ISR, ELR and offline replicas from DescribeTopicPartitions', async () => {
    const t = fc.addTopic('d', [[1, 2, 3], [2, 3, 1]]);
    t.partitions[1]!.leaderEpoch = 7;
    t.partitions[1]!.isr = [2];
    t.partitions[1]!.elr = [3];
    t.partitions[1]!.lastKnownElr = [1];
    fc.state.brokers[0]!.alive = false; // broker 1 down
    const [d] = await admin.describeTopics(['d']);
    assert.equal(d!.topicId, t.topicId);
    assert.deepEqual(d!.partitions, [
      { partition: 0, leader: -1, leaderEpoch: 0, replicas: [1, 2, 3], isr: [1, 2, 3], elr: [], lastKnownElr: [], offline: [1] },
      { partition: 1, leader: 2, leaderEpoch: 7, replicas: [2, 3, 1], isr: [2], elr: [3], lastKnownElr: [1], offline: [1] },
    ]);
    assert.ok(fc.state.requests.some(([, k]) => k === ApiKey.DescribeTopicPartitions));
  });

  test('describeTopics falls back to Metadata (ELR unknown: null) on a broker without DescribeTopicPartitions', async () => {
    fc.state.withoutApis.add(ApiKey.DescribeTopicPartitions);
    fc.addTopic('m', [[3, 1]]);
    const old = await Admin.connect({ bootstrap: fc.bootstrap });
    try {
      const [d] = await old.describeTopics(['m']);
      assert.deepEqual(d!.partitions, [{ partition: 0, leader: 3, leaderEpoch: 0, replicas: [3, 1], isr: [3, 1], elr: null, lastKnownElr: null, offline: [] }]);
      await assert.rejects(old.describeTopics(['missing']), (e: unknown) => e instanceof AdminError && e.failures[0]!.error.errorName === 'UNKNOWN_TOPIC_OR_PARTITION');
    } finally {
      await old.close();
    }
  });

  test('electLeaders PREFERRED moves leadership back to the first replica and tells which needed none', async () => {
    const t = fc.addTopic('e', [[1, 2], [2, 3], [3, 1]]);
    t.partitions[0]!.leader = 2;
    t.partitions[2]!.leader = 1;
    const named = await admin.electLeaders('PREFERRED', [{ topic: 'e', partition: 0 }, { topic: 'e', partition: 1 }, { topic: 'nope', partition: 0 }]);
    assert.deepEqual(
      named.map((r) => [r.topic, r.partition, r.error?.errorName ?? null]),
      [['e', 0, null], ['e', 1, 'ELECTION_NOT_NEEDED'], ['nope', 0, 'UNKNOWN_TOPIC_OR_PARTITION']],
    );
    assert.equal(named[2]!.error!.message, 'No such topic as nope', "the broker's message is kept");
    assert.equal(t.partitions[0]!.leader, 1);
    // null: every partition; the broker names only those it elected
    const all = await admin.electLeaders('PREFERRED', null);
    assert.deepEqual(all.map((r) => [r.topic, r.partition, r.error]), [['e', 2, null]]);
    assert.equal(t.partitions[2]!.leader, 3);
  });

  test('electLeaders UNCLEAN elects a live replica of a leaderless partition; the request goes to the controller', async () => {
    fc.state.controllerId = 2;
    const t = fc.addTopic('u', [[1, 3]]);
    t.partitions[0]!.isr = [1];
    fc.state.brokers[0]!.alive = false;
    const before = fc.state.requests.length;
    const res = await admin.electLeaders('UNCLEAN', [{ topic: 'u', partition: 0 }]);
    assert.deepEqual(res.map((r) => r.error), [null]);
    assert.equal(t.partitions[0]!.leader, 3);
    assert.deepEqual(fc.state.requests.slice(before).filter(([, k]) => k === ApiKey.ElectLeaders), [[2, ApiKey.ElectLeaders]]);
  });

  test('alter, list and cancel partition reassignments; per-partition failures reject with AdminError', async () => {
    fc.state.holdReassignments = true;
    const t = fc.addTopic('r', [[1], [2]]);
    await admin.alterPartitionReassignments([{ topic: 'r', partition: 0, replicas: [2, 3] }]);
    assert.deepEqual(await admin.listPartitionReassignments(), [{ topic: 'r', partition: 0, replicas: [2, 3, 1], addingReplicas: [2, 3], removingReplicas: [1] }]);
    assert.deepEqual(await admin.listPartitionReassignments([{ topic: 'r', partition: 1 }]), []);
    await admin.alterPartitionReassignments([{ topic: 'r', partition: 0, replicas: null }]);
    assert.deepEqual(await admin.listPartitionReassignments(), []);
    assert.deepEqual(t.partitions[0]!.replicas, [1], 'cancelled: the added replicas are gone');

    const err = await admin
      .alterPartitionReassignments([
        { topic: 'r', partition: 1, replicas: [1, 9] },
        { topic: 'r', partition: 0, replicas: [3] },
      ])
      .then(() => assert.fail('expected AdminError'), (e: unknown) => e);
    assert.ok(err instanceof AdminError);
    assert.deepEqual(err.failures.map((f) => [f.resource, f.error.errorName]), [['r-1', 'INVALID_REPLICA_ASSIGNMENT']]);
    assert.deepEqual(t.partitions[0]!.replicas, [3, 1], 'the valid move started');
  });

  test('describeReplicaLogDirs asks each broker holding a replica where it keeps it', async () => {
    fc.addTopic('l', [[1, 2]]);
    fc.addTopic('other', [[3]]);
    const dirs = await admin.describeReplicaLogDirs(['l']);
    assert.deepEqual(
      dirs.map((d) => [d.broker, d.topic, d.partition, d.logDir, d.isFuture]).sort(),
      [[1, 'l', 0, '/data/broker-1', false], [2, 'l', 0, '/data/broker-2', false]],
    );
  });

  test('createTopics and createPartitions place replicas as assigned', async () => {
    await admin.createTopics([{ name: 'a', assignments: [[3, 1], [1, 2]] }]);
    assert.deepEqual(fc.state.topics.get('a')!.partitions.map((p) => p.replicas), [[3, 1], [1, 2]]);
    await admin.createPartitions([{ topic: 'a', count: 3, assignments: [[2, 3]] }]);
    assert.deepEqual(fc.state.topics.get('a')!.partitions.map((p) => p.replicas), [[3, 1], [1, 2], [2, 3]]);
  });
});

test('a controller that died and is not fenced yet is passed over for the bootstrap broker', async () => {
  const fc = await startFakeCluster();
  const admin = await Admin.connect({ bootstrap: fc.bootstrap });
  try {
    fc.addTopic('c', [[1]]);
    fc.addTopic('d', [[3, 1]]);
    fc.state.holdReassignments = true;
    fc.state.controllerId = 3;
    await fc.silence(3);
    await admin.alterPartitionReassignments([{ topic: 'c', partition: 0, replicas: [2] }]);
    assert.deepEqual((await admin.listPartitionReassignments()).map((r) => r.replicas), [[2, 1]]);
    assert.deepEqual(
      fc.state.requests.filter(([, k]) => k === ApiKey.AlterPartitionReassignments || k === ApiKey.ListPartitionReassignments).map(([n]) => n),
      [1, 1],
      'sent to the bootstrap broker',
    );
    assert.deepEqual((await admin.describeReplicaLogDirs(['d'])).map((d) => d.broker), [1], 'the silent broker reports nothing');
  } finally {
    await admin.close();
    await fc.close();
  }
});

describe('Admin manual assignments (embedded broker)', () => {
  let tb: TestBroker;
  let admin: Admin;
  before(async () => {
    tb = await startBroker({ 'broker.id': 5 });
    admin = await Admin.connect({ bootstrap: `127.0.0.1:${tb.broker.port}` });
  });
  after(async () => {
    await admin.close();
    await tb.close();
  });

  test('a manual assignment on this broker creates the partitions it names; another broker id is refused', async () => {
    await admin.createTopics([{ name: 'man', assignments: [[5], [5]] }]);
    const [d] = await admin.describeTopics(['man']);
    assert.deepEqual(d!.partitions.map((p) => [p.partition, p.leader, p.replicas, p.elr]), [[0, 5, [5], []], [1, 5, [5], []]]);
    await assert.rejects(admin.createTopics([{ name: 'man2', assignments: [[7]] }]), (e: unknown) => e instanceof AdminError && e.failures[0]!.resource === 'man2');
  });

  test('a single node has nothing to reassign or elect', async () => {
    assert.deepEqual(await admin.listPartitionReassignments(), []);
    assert.deepEqual(await admin.electLeaders('PREFERRED', null), []);
  });
});

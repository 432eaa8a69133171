// Replication across three in-process brokers on a real etcd: a topic with replication factor 3
// gets a leader and ISR on every partition; acks=-1 writes reach every replica, with leader
// epochs stamped and the high watermark following the followers; the loss of a leader elects
// another from the ISR (epoch + 1) and the producer carries on there without losing an
// acknowledged record; the returning broker truncates, catches up and rejoins the ISR;
// min.insync.replicas refuses writes the ISR cannot take; committed offsets survive the loss of
// the group coordinator's broker; Metadata is the same from every broker.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Consumer, Producer, Connection, type ConsumerRecord } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { encodeRecordBatchSync } from '../../src/protocol/records/index.js';
import { startEtcd, type EtcdProcess } from './helpers/etcd.js';
import { startCluster, eventually, type TestCluster } from './helpers/brokers.js';

async function describePartition(admin: Admin, topic: string, partition: number) {
  const [t] = await admin.describeTopics([topic]);
  return t!.partitions.find((p) => p.partition === partition)!;
}

async function readAll(bootstrap: string, topic: string, partitions: number, expected: number): Promise<ConsumerRecord[]> {
  const c = await Consumer.connect({ bootstrap, autoOffsetReset: 'earliest', maxWaitMs: 200 });
  try {
    await c.assign(Array.from({ length: partitions }, (_, p) => ({ topic, partition: p, start: 'earliest' as const })));
    const out: ConsumerRecord[] = [];
    await eventually(async () => {
      out.push(...(await c.poll()));
      return out.length >= expected;
    }, `${expected} records of ${topic}`);
    return out;
  } finally {
    await c.close();
  }
}

describe('replication', () => {
  let etcd: EtcdProcess;
  let cluster: TestCluster;
  let admin: Admin;
  before(async () => {
    etcd = await startEtcd();
    cluster = await startCluster(etcd.address, [1, 2, 3], { 'replica.lag.time.max.ms': 2000 });
  });
  after(async () => {
    await admin?.close();
    await cluster?.close();
    await etcd?.stop();
  });

  test('an RF=3 topic is replicated to every broker with acks=-1', async () => {
    admin = await Admin.connect({ bootstrap: cluster.bootstrap(1) });
    await admin.createTopics([{ name: 'r3', partitions: 2, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
    const p0 = await eventually(async () => {
      const p = await describePartition(admin, 'r3', 0);
      return p.leader >= 0 && p.isr.length === 3 ? p : undefined;
    }, 'a leader and a full ISR');
    assert.equal(p0.replicas.length, 3);

    const producer = await Producer.connect({ bootstrap: cluster.bootstrap(2), acks: -1 });
    const acked = await producer.send('r3', Array.from({ length: 50 }, (_, i) => ({ partition: 0, value: Buffer.from(`v${i}`) })));
    await producer.close();
    assert.equal(acked.at(-1)!.offset, 49n);
    // acks=-1 answered: the HW passed the batch on the leader; every replica has all of it.
    for (const [id, b] of cluster.brokers) {
      const log = b.topics.partitionLog('r3', 0)!;
      assert.ok(log, `broker ${id} holds r3-0`);
      await eventually(() => log.logEndOffset === 50 && log.highWatermark === 50, `broker ${id}'s r3-0 at 50/50`);
      assert.equal(log.latestEpoch, p0.leaderEpoch, `broker ${id}'s batches carry the leader epoch`);
    }
    const records = await readAll(cluster.bootstrap(3), 'r3', 1, 50);
    assert.deepEqual(records.map((r) => r.value!.toString()), Array.from({ length: 50 }, (_, i) => `v${i}`));
  });

  test("the leader's loss elects another from the ISR; the producer carries on; the broker rejoins", async () => {
    const before = await describePartition(admin, 'r3', 0);
    const old = before.leader;
    const survivor = [1, 2, 3].find((id) => id !== old)!;
    await admin.close();
    admin = await Admin.connect({ bootstrap: cluster.bootstrap(survivor) });
    const producer = await Producer.connect({ bootstrap: cluster.bootstrap(survivor), acks: -1 });
    await cluster.stop(old);
    const after = await eventually(async () => {
      const p = await describePartition(admin, 'r3', 0);
      return p.leader >= 0 && p.leader !== old ? p : undefined;
    }, 'a new leader');
    assert.equal(after.leaderEpoch, before.leaderEpoch + 1);
    assert.ok(!after.isr.includes(old), 'the dead broker left the ISR');
    const acked = await producer.send('r3', Array.from({ length: 50 }, (_, i) => ({ partition: 0, value: Buffer.from(`w${i}`) })));
    assert.equal(acked[0]!.offset, 50n, 'no acknowledged record was lost or duplicated');
    await producer.close();

    await cluster.start(old);
    const rejoined = await eventually(async () => {
      const p = await describePartition(admin, 'r3', 0);
      return p.isr.includes(old) ? p : undefined;
    }, `broker ${old} back in the ISR`);
    assert.equal(rejoined.leader, after.leader);
    const log = cluster.brokers.get(old)!.topics.partitionLog('r3', 0)!;
    await eventually(() => log.logEndOffset === 100, 'the returning broker caught up');
    const records = await readAll(cluster.bootstrap(old), 'r3', 1, 100);
    assert.equal(new Set(records.map((r) => r.offset)).size, 100);
  });

  test('min.insync.replicas refuses acks=-1 writes the ISR cannot take', async () => {
    const p1 = await describePartition(admin, 'r3', 1);
    const followers = p1.replicas.filter((id) => id !== p1.leader);
    // The admin client talks to one broker: the one that stays.
    await admin.close();
    admin = await Admin.connect({ bootstrap: cluster.bootstrap(p1.leader) });
    await cluster.stop(followers[0]!);
    await cluster.stop(followers[1]!);
    await eventually(async () => (await describePartition(admin, 'r3', 1)).isr.length === 1, 'the ISR down to the leader');
    const b = cluster.brokers.get(p1.leader)!;
    const conn = await Connection.connect(b.bootstrap);
    try {
      const records = encodeRecordBatchSync({ records: [{ key: null, value: Buffer.from('x') }], now: Date.now() });
      const res = await conn.send(ApiKey.Produce, { transactionalId: null, acks: -1, timeoutMs: 2000, topicData: [{ name: 'r3', topicId: '00000000-0000-0000-0000-000000000000', partitionData: [{ index: 1, records }] }] }, { version: 12 });
      assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
      const one = await conn.send(ApiKey.Produce, { transactionalId: null, acks: 1, timeoutMs: 2000, topicData: [{ name: 'r3', topicId: '00000000-0000-0000-0000-000000000000', partitionData: [{ index: 1, records }] }] }, { version: 12 });
      assert.equal(one.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE, 'acks=1 is still taken');
    } finally {
      await conn.close();
    }
    await cluster.start(followers[0]!);
    await cluster.start(followers[1]!);
    await eventually(async () => (await describePartition(admin, 'r3', 1)).isr.length === 3, 'the ISR whole again');
  });

  test('committed offsets survive the loss of the group coordinator', async () => {
    await admin.createTopics([{ name: 'g', partitions: 1, replicationFactor: 3 }]);
    await eventually(async () => (await describePartition(admin, 'g', 0)).isr.length === 3, 'g replicated');
    const producer = await Producer.connect({ bootstrap: cluster.bootstrap(), acks: -1 });
    await producer.send('g', Array.from({ length: 10 }, (_, i) => ({ value: Buffer.from(`g${i}`) })));
    await producer.close();
    const c1 = await Consumer.connect({ bootstrap: cluster.bootstrap(), groupId: 'grp', autoOffsetReset: 'earliest', autoCommit: false, maxWaitMs: 200 });
    c1.subscribe(['g']);
    const seen: ConsumerRecord[] = [];
    await eventually(async () => {
      seen.push(...(await c1.poll()));
      return seen.length >= 10;
    }, 'the group reads g');
    await c1.commit();
    await c1.close();
    const coordinator = (await admin.findCoordinator('grp')).nodeId;
    const other = [...cluster.brokers.keys()].find((id) => id !== coordinator)!;
    await admin.close();
    admin = await Admin.connect({ bootstrap: cluster.bootstrap(other) });
    await cluster.stop(coordinator);
    const offsets = await eventually(async () => {
      const now = (await admin.findCoordinator('grp')).nodeId;
      if (now === coordinator) return undefined;
      return admin.listConsumerGroupOffsets('grp');
    }, 'a new coordinator with the offsets');
    assert.equal(offsets.find((o) => o.topic === 'g' && o.partition === 0)?.offset, 10n);
    await cluster.start(coordinator);
  });

  test('a preferred leader election gives partitions back to their first replica', async () => {
    // Earlier tests moved leaders around and restarted brokers; once every replica is back in
    // sync (a preferred replica out of the ISR cannot lead: PREFERRED_LEADER_NOT_AVAILABLE), ask.
    for (const p of [0, 1]) await eventually(async () => (await describePartition(admin, 'r3', p)).isr.length === 3, `r3-${p} fully in sync`);
    const conn = await Connection.connect(cluster.bootstrap(1));
    try {
      const res = await conn.send(ApiKey.ElectLeaders, { electionType: 0, topicPartitions: [{ topic: 'r3', partitions: [0, 1] }], timeoutMs: 10_000 });
      assert.equal(res.errorCode, ErrorCode.NONE);
      for (const r of res.replicaElectionResults[0]!.partitionResult) assert.ok(([ErrorCode.NONE, ErrorCode.ELECTION_NOT_NEEDED] as number[]).includes(r.errorCode), `partition ${r.partitionId}: ${r.errorCode}`);
    } finally {
      await conn.close();
    }
    for (const p of [0, 1]) {
      await eventually(async () => {
        const d = await describePartition(admin, 'r3', p);
        return d.leader === d.replicas[0];
      }, `r3-${p} led by its preferred replica`);
    }
  });

  test('a reassignment moves a partition to other brokers, data and leadership included', async () => {
    await admin.createTopics([{ name: 'mv', partitions: 1, replicationFactor: 2 }]);
    const before = await eventually(async () => {
      const d = await describePartition(admin, 'mv', 0);
      return d.isr.length === 2 ? d : undefined;
    }, 'mv replicated');
    const producer = await Producer.connect({ bootstrap: cluster.bootstrap(), acks: -1 });
    await producer.send('mv', Array.from({ length: 20 }, (_, i) => ({ value: Buffer.from(`m${i}`) })));
    await producer.close();
    const outsider = [1, 2, 3].find((b) => !before.replicas.includes(b))!;
    const target = [outsider, before.replicas[1]!];
    const conn = await Connection.connect(cluster.bootstrap(outsider));
    try {
      const res = await conn.send(ApiKey.AlterPartitionReassignments, { timeoutMs: 10_000, allowReplicationFactorChange: true, topics: [{ name: 'mv', partitions: [{ partitionIndex: 0, replicas: target }] }] });
      assert.equal(res.errorCode, ErrorCode.NONE);
      assert.equal(res.responses[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
      const after = await eventually(async () => {
        const d = await describePartition(admin, 'mv', 0);
        return d.replicas.join() === target.join() ? d : undefined;
      }, 'the reassignment to complete');
      assert.ok(target.includes(after.leader), 'a target replica leads');
      assert.deepEqual([...after.isr].sort(), [...target].sort());
      const listed = await conn.send(ApiKey.ListPartitionReassignments, { timeoutMs: 10_000, topics: null });
      assert.deepEqual(listed.topics, [], 'nothing left in progress');
    } finally {
      await conn.close();
    }
    const removed = before.replicas[0]!;
    await eventually(() => cluster.brokers.get(removed)!.topics.partitionLog('mv', 0) === undefined, `broker ${removed} dropped its copy`);
    await eventually(() => cluster.brokers.get(outsider)!.topics.partitionLog('mv', 0)?.logEndOffset === 20, `broker ${outsider} copied the data`);
    const records = await readAll(cluster.bootstrap(outsider), 'mv', 1, 20);
    assert.equal(records.length, 20);
  });

  test('every broker answers Metadata with the same cluster view', async () => {
    const views = [];
    for (const id of [1, 2, 3]) {
      const a = await Admin.connect({ bootstrap: cluster.bootstrap(id) });
      try {
        const c = await eventually(async () => {
          const d = await a.describeCluster();
          return d.brokers.length === 3 ? d : undefined;
        }, `broker ${id} sees three brokers`);
        const [t] = await a.describeTopics(['r3']);
        views.push({ brokers: c.brokers.map((b) => b.nodeId).sort(), controller: c.controllerId, partitions: t!.partitions.map((p) => [p.leader, p.replicas]) });
      } finally {
        await a.close();
      }
    }
    assert.deepEqual(views[1], views[0]);
    assert.deepEqual(views[2], views[0]);
  });
});

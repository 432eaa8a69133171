// The controller against a real etcd, with three brokers each running one: new partitions get a
// leader and ISR, a dead leader is replaced from the ISR with a higher leader epoch, dead
// followers leave the ISR, the controller's own death hands the job on with a higher controller
// epoch, losing every ISR member leaves the partition offline (no unclean election) until one
// comes back, unclean election when enabled, and topic deletion. Plus the pure decisions.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdClusterStore } from '../../src/broker/cluster/etcd-store.js';
import { Controller } from '../../src/broker/cluster/controller.js';
import { planPartitionStates } from '../../src/broker/cluster/elections.js';
import { parseConnectString } from '../../src/util/connect-string.js';
import { ClusterView, encodeAssignment, encodePartitionState, keys, type PartitionState } from '../../src/broker/cluster/view.js';
import { startEtcd, type EtcdProcess } from './helpers/etcd.js';
import { viewWaiter } from './helpers/watch.js';

const TOPIC_ID = '0b0e7c1a-0000-4000-8000-00000000000a';

interface Node {
  id: number;
  store: EtcdClusterStore;
  controller: Controller;
  until(pred: (v: ClusterView) => boolean): Promise<void>;
  stop(): Promise<void>;
}

async function startNode(connect: string, id: number, unclean = false, incarnation = ''): Promise<Node> {
  const w = viewWaiter();
  let controller: Controller | null = null;
  const store = await EtcdClusterStore.open(parseConnectString(connect), {
    sessionTimeoutMs: 3000,
    onChange: () => {
      controller?.changed();
      w.changed();
    },
  });
  controller = new Controller(store, { brokerId: id, unclean: () => unclean });
  try {
    await store.registerBroker({ id, host: '127.0.0.1', port: 9090 + id, rack: null }, incarnation);
  } catch (err) {
    await store.close();
    throw err;
  }
  controller.changed();
  const c = controller;
  return {
    id,
    store,
    controller: c,
    until: (pred) => w.until(() => store.view, pred, `broker ${id}'s view`),
    async stop() {
      await c.stop();
      await store.close();
    },
  };
}

const state = (v: ClusterView, p = 0): PartitionState | undefined => v.partition('t', p);

describe('controller', () => {
  let etcd: EtcdProcess;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd.stop();
  });

  test('the decisions: first state, clean election, ISR shrink, offline, unclean', () => {
    const v = new ClusterView();
    for (const b of [1, 2, 3]) v.apply(keys.broker(b), JSON.stringify({ host: 'h', port: b }), BigInt(b));
    v.apply(keys.topic('t'), encodeAssignment(TOPIC_ID, [[2, 1, 3]]));
    const plan = (unclean = false) => planPartitionStates(v, { controllerEpoch: 4, unclean: () => unclean });
    assert.deepEqual(plan().map((c) => c.next), [{ leader: 2, leaderEpoch: 0, isr: [2, 1, 3], controllerEpoch: 4, partitionEpoch: 0 }]);
    v.apply(keys.partitionState('t', 0), encodePartitionState({ leader: 2, leaderEpoch: 0, isr: [2, 1, 3], controllerEpoch: 4, partitionEpoch: 0 }));
    assert.deepEqual(plan(), [], 'nothing to do');
    v.apply(keys.broker(3), null);
    assert.deepEqual(plan()[0]!.next, { leader: 2, leaderEpoch: 0, isr: [2, 1], controllerEpoch: 4, partitionEpoch: 1 }, 'a dead follower leaves the ISR');
    v.apply(keys.broker(2), null);
    assert.deepEqual(plan()[0]!.next, { leader: 1, leaderEpoch: 1, isr: [1], controllerEpoch: 4, partitionEpoch: 1 }, 'the first live ISR member leads');
    v.apply(keys.partitionState('t', 0), encodePartitionState({ leader: 1, leaderEpoch: 1, isr: [1], controllerEpoch: 4, partitionEpoch: 1 }));
    v.apply(keys.broker(1), null);
    v.apply(keys.broker(3), JSON.stringify({ host: 'h', port: 3 }), 9n);
    assert.deepEqual(plan()[0]!.next, { leader: -1, leaderEpoch: 2, isr: [1], controllerEpoch: 4, partitionEpoch: 2 }, 'offline, ISR kept');
    assert.deepEqual(plan(true)[0]!.next, { leader: 3, leaderEpoch: 2, isr: [3], controllerEpoch: 4, partitionEpoch: 2 }, 'unclean: a live replica outside the ISR');
  });

  test('three brokers: elections on leader death, ISR shrink, controller failover, offline without unclean election, deletion', async () => {
    const connect = `${etcd.address}/c1`;
    const nodes = new Map<number, Node>();
    for (const id of [1, 2, 3]) nodes.set(id, await startNode(connect, id));
    const any = nodes.get(1)!;
    await any.until((v) => v.controller !== null);
    assert.equal(await any.store.createIfAbsent(keys.topic('t'), encodeAssignment(TOPIC_ID, [[1, 2, 3], [2, 3, 1]])), true);
    await any.until((v) => state(v, 0)?.leader === 1 && state(v, 1)?.leader === 2);
    assert.deepEqual(state(any.store.view, 0)!.isr, [1, 2, 3]);

    // The leader of partition 0 dies (its session ends): 2 leads with epoch 1, 1 leaves the ISR.
    const firstController = any.store.view.controller!;
    await nodes.get(1)!.stop();
    nodes.delete(1);
    const n2 = nodes.get(2)!;
    await n2.until((v) => state(v, 0)?.leader === 2 && state(v, 0)?.leaderEpoch === 1 && state(v, 1)?.isr.length === 2);
    assert.deepEqual(state(n2.store.view, 0)!.isr, [2, 3]);
    assert.deepEqual(state(n2.store.view, 1)!.isr, [2, 3], 'a dead follower leaves the ISR');
    assert.equal(state(n2.store.view, 1)!.leaderEpoch, 0, 'a leader that stays keeps its epoch');
    if (firstController === 1) assert.ok(n2.store.view.controllerEpoch >= 2, 'a new controller with a higher epoch');

    // Both ISR members die: no unclean election, the partition is offline with its ISR kept.
    await nodes.get(2)!.stop();
    nodes.delete(2);
    const n3 = nodes.get(3)!;
    await n3.until((v) => state(v, 0)?.leader === 3);
    await nodes.get(3)!.stop();
    nodes.delete(3);
    const n1 = await startNode(connect, 1);
    await n1.until((v) => state(v, 0)?.leader === -1);
    assert.deepEqual(state(n1.store.view, 0)!.isr, [3], 'offline, not truncated: the last ISR member is kept');
    // The ISR member comes back and leads again.
    const back = await startNode(connect, 3);
    await back.until((v) => state(v, 0)?.leader === 3 && state(v, 1)?.leader === 3);

    // Deletion: the controller removes the topic's keys.
    assert.equal(await back.store.createIfAbsent(keys.deleteTopic('t'), '{}'), true);
    await back.until((v) => !v.topics.has('t') && v.partitions.size === 0 && v.deleting.size === 0);
    await Promise.all([n1.stop(), back.stop()]);
  });

  test('a broker restarted before its session ended counts as failed once: its leadership moves, it rejoins as a follower', async () => {
    const connect = `${etcd.address}/c3`;
    const two = await startNode(connect, 2);
    await two.until((v) => v.controller === 2);
    const one = await startNode(connect, 1, false, 'dir-1');
    assert.equal(await two.store.createIfAbsent(keys.topic('t'), encodeAssignment(TOPIC_ID, [[1, 2]])), true);
    await two.until((v) => state(v)?.leader === 1 && state(v)!.isr.length === 2);
    const firstEpoch = two.store.view.brokers.get(1)!.epoch;
    // Broker 1 "crashes" (its store is dropped without revoking the lease) and starts again at
    // once: the same directory id replaces the registration, with a new epoch.
    await one.controller.stop();
    const again = await startNode(connect, 1, false, 'dir-1');
    await two.until((v) => (v.brokers.get(1)?.epoch ?? 0n) > firstEpoch && state(v)?.leader === 2);
    assert.equal(state(two.store.view)!.leaderEpoch, 1, 'a new leader epoch');
    assert.deepEqual(state(two.store.view)!.isr, [2], 'the restarted broker left the ISR (its leader will add it back)');
    await Promise.all([again.stop(), two.stop(), one.store.close()]);
  });

  test('a second live broker with the same id is refused', async () => {
    const connect = `${etcd.address}/c4`;
    const a = await startNode(connect, 1, false, 'dir-a');
    await assert.rejects(startNode(connect, 1, false, 'dir-b'), /NODE_EXISTS/);
    await a.stop();
  });

  test('unclean.leader.election.enable: a live replica outside the ISR takes over', async () => {
    const connect = `${etcd.address}/c2`;
    const a = await startNode(connect, 1, true);
    await a.until((v) => v.controller === 1);
    assert.equal(await a.store.createIfAbsent(keys.topic('t'), encodeAssignment(TOPIC_ID, [[2, 1]])), true);
    await a.until((v) => state(v)?.leader === 1 && state(v)!.isr.length === 1);
    // Broker 2 was never live: with unclean election off it could not lead; here 1 leads, and
    // when 2 joins it is not in the ISR (it has none of the data) until the leader says so.
    const b = await startNode(connect, 2, true);
    await b.until((v) => v.brokers.size === 2);
    assert.deepEqual(state(b.store.view)!.isr, [1]);
    await a.stop();
    await b.until((v) => state(v)?.leader === 2);
    assert.deepEqual(state(b.store.view)!.isr, [2]);
    await b.stop();
  });
});

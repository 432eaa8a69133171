// The cluster's coordination store against a real etcd: broker registration on a session lease
// (epochs, a duplicate id refused, gone with the session), the chroot, controller election with
// epoch fencing (a zombie controller writes nothing), fenced partition-state writes with revision
// checks, and every store's view following the same keys through its watch.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdClusterStore } from '../../src/broker/cluster/etcd-store.js';
import { parseConnectString } from '../../src/util/connect-string.js';
import { keys, encodeAssignment, encodePartitionState, type ClusterView } from '../../src/broker/cluster/view.js';
import { startEtcd, type EtcdProcess } from './helpers/etcd.js';
import { viewWaiter } from './helpers/watch.js';

/** A store whose changes can be awaited: `until(pred)` resolves once the view satisfies it. */
async function openStore(connect: string, sessionTimeoutMs = 5000): Promise<EtcdClusterStore & { until(pred: (v: ClusterView) => boolean): Promise<void> }> {
  const w = viewWaiter(10_000);
  const store = await EtcdClusterStore.open(parseConnectString(connect), { sessionTimeoutMs, onChange: w.changed });
  return Object.assign(store, { until: (pred: (v: ClusterView) => boolean) => w.until(() => store.view, pred) });
}

describe('etcd cluster store', () => {
  let etcd: EtcdProcess;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd.stop();
  });

  test('connect strings: hosts, chroot, and Kafka-style mistakes refused', () => {
    assert.deepEqual(parseConnectString('localhost:2181'), { endpoints: ['http://localhost:2181'], prefix: '' });
    assert.deepEqual(parseConnectString('a:1,b:2/kafka/prod'), { endpoints: ['http://a:1', 'http://b:2'], prefix: 'kafka/prod/' });
    assert.deepEqual(parseConnectString('[::1]:2379/'), { endpoints: ['http://[::1]:2379'], prefix: '' });
    assert.throws(() => parseConnectString('localhost'), /not host:port/);
    assert.throws(() => parseConnectString('h:99999'), /not host:port/);
    assert.throws(() => parseConnectString('h:1/a b'), /not a chroot/);
  });

  test('brokers register on their session: epochs grow, a live id is refused, the key goes with the session', async () => {
    const a = await openStore(`${etcd.address}/reg`);
    const b = await openStore(`${etcd.address}/reg`);
    const epoch1 = await a.registerBroker({ id: 1, host: 'h1', port: 9092, rack: null });
    const epoch2 = await b.registerBroker({ id: 2, host: 'h2', port: 9093, rack: 'r2' });
    assert.ok(epoch2 > epoch1);
    await b.until((v) => v.brokers.size === 2);
    assert.deepEqual(b.view.brokers.get(1), { id: 1, host: 'h1', port: 9092, rack: null, endpoints: [{ name: 'PLAINTEXT', host: 'h1', port: 9092 }], epoch: epoch1 });
    assert.equal(b.view.brokers.get(2)!.rack, 'r2');
    await assert.rejects(b.registerBroker({ id: 1, host: 'x', port: 1, rack: null }), /NODE_EXISTS/);
    await a.close();
    await b.until((v) => !v.brokers.has(1));
    // A restarted broker 1 gets a new, higher epoch.
    const a2 = await openStore(`${etcd.address}/reg`);
    const epoch1b = await a2.registerBroker({ id: 1, host: 'h1', port: 9092, rack: null });
    assert.ok(epoch1b > epoch2);
    await b.until((v) => v.brokers.get(1)?.epoch === epoch1b);
    // Another chroot is another cluster.
    const other = await openStore(`${etcd.address}/other`);
    assert.equal(other.view.brokers.size, 0);
    await Promise.all([a2.close(), b.close(), other.close()]);
  });

  test('a session that is not kept alive expires and takes the registration with it', async () => {
    const a = await openStore(`${etcd.address}/expiry`, 1000);
    const watcher = await openStore(`${etcd.address}/expiry`);
    let lost: Error | null = null;
    await a.registerBroker({ id: 7, host: 'h', port: 1, rack: null });
    await watcher.until((v) => v.brokers.has(7));
    // Freeze the session: the client stops its keepalives, as a paused or cut-off broker would.
    const internal = a as unknown as { lease: { release(): void; on(e: 'lost', f: (err: Error) => void): void } };
    internal.lease.on('lost', (err) => (lost = err));
    internal.lease.release();
    await watcher.until((v) => !v.brokers.has(7));
    assert.equal(lost, null, 'released, not lost: the broker itself stopped keeping it alive');
    await Promise.all([a.close(), watcher.close()]);
  });

  test('one controller at a time; a new election bumps the epoch and fences the old controller', async () => {
    const a = await openStore(`${etcd.address}/ctl`);
    const b = await openStore(`${etcd.address}/ctl`);
    assert.equal(await a.campaign(1), 1);
    assert.equal(await b.campaign(2), null, 'a controller exists');
    await b.until((v) => v.controller === 1 && v.controllerEpoch === 1);
    const st = keys.partitionState('t', 0);
    assert.equal(await a.controllerWrite(1, [{ put: st, value: encodePartitionState({ leader: 1, leaderEpoch: 0, isr: [1, 2], controllerEpoch: 1, partitionEpoch: 0 }) }], [{ key: st, modRevision: 0n }]), true);
    await b.until((v) => v.partition('t', 0)?.leader === 1);
    // Controller 1 goes (its session ends); broker 2 wins with epoch 2.
    await a.close();
    await b.until((v) => v.controller === null);
    assert.equal(await b.campaign(2), 2);
    await b.until((v) => v.controller === 2 && v.controllerEpoch === 2);
    // The old controller's epoch is fenced, whoever tries to write with it.
    const stale = encodePartitionState({ leader: 9, leaderEpoch: 9, isr: [9], controllerEpoch: 1, partitionEpoch: 9 });
    assert.equal(await b.controllerWrite(1, [{ put: st, value: stale }]), false);
    // A write with the current epoch but a stale revision of the state loses too (someone changed it).
    assert.equal(await b.controllerWrite(2, [{ put: st, value: stale }], [{ key: st, modRevision: 1n }]), false);
    const next = encodePartitionState({ leader: 2, leaderEpoch: 1, isr: [2], controllerEpoch: 2, partitionEpoch: 1 });
    assert.equal(await b.controllerWrite(2, [{ put: st, value: next }], [{ key: st, modRevision: b.revision(st) }]), true);
    await b.until((v) => v.partition('t', 0)?.leaderEpoch === 1);
    assert.deepEqual(b.view.partition('t', 0), { leader: 2, leaderEpoch: 1, isr: [2], controllerEpoch: 2, partitionEpoch: 1 });
    await b.resign();
    await b.until((v) => v.controller === null);
    await b.close();
  });

  test('topics: the first assignment wins; every store sees topics, states and configs; unreadable values are skipped', async () => {
    const a = await openStore(`${etcd.address}/topics`);
    const b = await openStore(`${etcd.address}/topics`);
    assert.equal(await a.clusterId(() => 'first-id'), 'first-id');
    assert.equal(await b.clusterId(() => 'second-id'), 'first-id', 'the cluster id is made once');
    assert.equal(await a.createIfAbsent(keys.topic('orders'), encodeAssignment('6f1e4a2e-0000-4000-8000-000000000001', [[1, 2, 3], [2, 3, 1]])), true);
    assert.equal(await b.createIfAbsent(keys.topic('orders'), encodeAssignment('6f1e4a2e-0000-4000-8000-000000000002', [[3]])), false);
    assert.equal(await a.createIfAbsent(keys.topicConfig('orders'), JSON.stringify({ version: 1, config: { 'min.insync.replicas': '2' } })), true);
    assert.equal(await a.createIfAbsent(keys.topic('broken'), '{"topic_id": 5}'), true);
    await b.until((v) => v.topics.has('orders') && v.topicConfigs.has('orders') && v.unreadable > 0);
    assert.deepEqual(b.view.topics.get('orders'), { name: 'orders', topicId: '6f1e4a2e-0000-4000-8000-000000000001', replicas: [[1, 2, 3], [2, 3, 1]] });
    assert.deepEqual(b.view.topicConfigs.get('orders'), { 'min.insync.replicas': '2' });
    assert.equal(b.view.topics.has('broken'), false);
    // A store opened later reads the same state.
    const c = await openStore(`${etcd.address}/topics`);
    assert.deepEqual(c.view.topics, b.view.topics);
    assert.equal(c.view.clusterId, 'first-id');
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  test('producer id blocks: brokers claiming at once get disjoint blocks', async () => {
    const a = await openStore(`${etcd.address}/pids`);
    const b = await openStore(`${etcd.address}/pids`);
    const blocks = await Promise.all([...Array.from({ length: 15 }, () => a.claimProducerIdBlock(1, 1000)), ...Array.from({ length: 15 }, () => b.claimProducerIdBlock(2, 1000))]);
    const sorted = blocks.sort((x, y) => x.start - y.start);
    assert.equal(sorted[0]!.start, 0);
    for (let i = 1; i < sorted.length; i++) assert.equal(sorted[i]!.start, sorted[i - 1]!.end, 'contiguous, no overlap');
    assert.equal(sorted.at(-1)!.end, 30_000);
    await Promise.all([a.close(), b.close()]);
  });
});

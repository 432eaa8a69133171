// Transactions on three in-process brokers over a real etcd: __transaction_state replicated
// (RF 3), its coordinator found with FindCoordinator; leaders of other brokers verify the
// transactional produce with the coordinator (AddPartitionsToTxn v4 through the peers) and take
// its markers (WriteTxnMarkers); when the coordinator's broker stops mid-transaction, the new
// leader of its partition loads the open transaction, and a new producer of the id fences it: the
// abort reaches every partition, and every replica indexes the aborted transaction alike.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Connection } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { encodeRecordBatchSync, decodeRecordSetSync, ATTR_CONTROL, parseControlRecordKey } from '../../src/protocol/records/index.js';
import { ZERO_UUID } from '../../src/protocol/primitives/index.js';
import { startEtcd, type EtcdProcess } from './helpers/etcd.js';
import { startCluster, eventually, type TestCluster } from './helpers/brokers.js';

const TOPIC = 'tx-out';
const RETRY: ReadonlySet<number> = new Set([ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE]);

describe('transactions in a cluster', () => {
  let etcd: EtcdProcess;
  let cluster: TestCluster;
  let admin: Admin;
  const conns = new Map<number, Connection>();

  before(async () => {
    etcd = await startEtcd();
    cluster = await startCluster(etcd.address, [1, 2, 3], {
      'transaction.state.log.replication.factor': 3,
      'transaction.state.log.num.partitions': 3,
      'transaction.state.log.min.isr': 2,
      'replica.lag.time.max.ms': 2000,
    });
  });
  after(async () => {
    for (const c of conns.values()) c.close();
    await admin?.close();
    await cluster?.close();
    await etcd?.stop();
  });

  async function conn(id: number): Promise<Connection> {
    let c = conns.get(id);
    if (!c) {
      const b = cluster.brokers.get(id)!;
      c = await Connection.connect({ host: '127.0.0.1', port: b.port });
      conns.set(id, c);
    }
    return c;
  }

  async function coordinatorOf(txnId: string, via: number): Promise<number> {
    return eventually(async () => {
      const r = await (await conn(via)).send(ApiKey.FindCoordinator, { key: '', keyType: 1, coordinatorKeys: [txnId] }, { version: 4 });
      const c = r.coordinators[0]!;
      return c.errorCode === ErrorCode.NONE && cluster.brokers.has(c.nodeId) ? c.nodeId : undefined;
    }, `the coordinator of ${txnId}`);
  }

  async function leaders(): Promise<number[]> {
    return eventually(async () => {
      const [t] = await admin.describeTopics([TOPIC]);
      const ls = t!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.leader);
      return ls.every((l) => cluster.brokers.has(l)) ? ls : undefined;
    }, 'a live leader for every partition');
  }

  async function initPid(txnId: string): Promise<{ producerId: bigint; producerEpoch: number; coordinator: number }> {
    return eventually(async () => {
      const coordinator = await coordinatorOf(txnId, [...cluster.brokers.keys()][0]!);
      const r = await (await conn(coordinator)).send(ApiKey.InitProducerId, { transactionalId: txnId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false }, { version: 4 });
      if (RETRY.has(r.errorCode)) return undefined;
      assert.equal(r.errorCode, ErrorCode.NONE);
      return { producerId: r.producerId, producerEpoch: r.producerEpoch, coordinator };
    }, `InitProducerId of ${txnId}`);
  }

  async function produce(leader: number, partition: number, txnId: string, p: { producerId: bigint; producerEpoch: number }, value: string, seq: number): Promise<number> {
    const records = encodeRecordBatchSync({ records: [{ value }], producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: seq, transactional: true });
    const r = await (await conn(leader)).send(
      ApiKey.Produce,
      { transactionalId: txnId, acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, topicId: ZERO_UUID, partitionData: [{ index: partition, records }] }] },
      { version: 9 },
    );
    return r.responses[0]!.partitionResponses[0]!.errorCode;
  }

  async function logOf(leader: number, partition: number): Promise<string[]> {
    const res = await (await conn(leader)).send(
      ApiKey.Fetch,
      {
        clusterId: null,
        replicaId: -1,
        replicaState: { replicaId: -1, replicaEpoch: -1n },
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: TOPIC, topicId: ZERO_UUID, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO_UUID, highWatermark: 0x7fffffffffffffffn }] }],
        forgottenTopicsData: [],
        rackId: '',
      },
      { version: 11 },
    );
    const buf = res.responses[0]!.partitions[0]!.records;
    const out: string[] = [];
    for (const b of buf ? decodeRecordSetSync(buf) : []) {
      if (b.header.attributes & ATTR_CONTROL) out.push(parseControlRecordKey(b.records[0]!.key).type === 1 ? 'COMMIT' : 'ABORT');
      else for (const r of b.records) out.push(r.value!.toString());
    }
    return out;
  }

  test('commit across three leaders, then a coordinator failover aborts the open transaction everywhere', { timeout: 120_000 }, async () => {
    admin = await Admin.connect({ bootstrap: cluster.bootstrap(1) });
    await admin.createTopics([{ name: TOPIC, partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
    const ls = await leaders();

    const a = await initPid('tx-a');
    const add = await (await conn(a.coordinator)).send(
      ApiKey.AddPartitionsToTxn,
      { transactions: [], v3AndBelowTransactionalId: 'tx-a', v3AndBelowProducerId: a.producerId, v3AndBelowProducerEpoch: a.producerEpoch, v3AndBelowTopics: [{ name: TOPIC, partitions: [0, 1, 2] }] },
      { version: 3 },
    );
    assert.deepEqual(add.resultsByTopicV3AndBelow[0]!.resultsByPartition.map((p) => p.partitionErrorCode), [0, 0, 0]);
    for (let p = 0; p < 3; p++) assert.equal(await produce(ls[p]!, p, 'tx-a', a, `a${p}`, 0), ErrorCode.NONE, `produce to partition ${p}`);
    const end = await (await conn(a.coordinator)).send(ApiKey.EndTxn, { transactionalId: 'tx-a', producerId: a.producerId, producerEpoch: a.producerEpoch, committed: true }, { version: 3 });
    assert.equal(end.errorCode, ErrorCode.NONE);
    for (let p = 0; p < 3; p++) await eventually(async () => (await logOf(ls[p]!, p)).join() === `a${p},COMMIT`, `the COMMIT marker on partition ${p}`);

    // A zombie batch to a partition not added is refused by its leader after asking the coordinator.
    const add2 = await (await conn(a.coordinator)).send(
      ApiKey.AddPartitionsToTxn,
      { transactions: [], v3AndBelowTransactionalId: 'tx-a', v3AndBelowProducerId: a.producerId, v3AndBelowProducerEpoch: a.producerEpoch, v3AndBelowTopics: [{ name: TOPIC, partitions: [0, 1] }] },
      { version: 3 },
    );
    assert.deepEqual(add2.resultsByTopicV3AndBelow[0]!.resultsByPartition.map((p) => p.partitionErrorCode), [0, 0]);
    assert.equal(await produce(ls[2]!, 2, 'tx-a', a, 'zombie', 1), ErrorCode.INVALID_TXN_STATE);
    for (const p of [0, 1]) assert.equal(await produce(ls[p]!, p, 'tx-a', a, `b${p}`, 1), ErrorCode.NONE);

    // The coordinator's broker stops with the transaction open; its partition's new leader loads it.
    await cluster.stop(a.coordinator);
    conns.get(a.coordinator)?.close();
    conns.delete(a.coordinator);
    await admin.close();
    admin = await Admin.connect({ bootstrap: cluster.bootstrap() });
    const fresh = await initPid('tx-a');
    assert.notEqual(fresh.coordinator, a.coordinator);
    assert.ok(fresh.producerEpoch > a.producerEpoch);
    const ls2 = await leaders();
    for (const p of [0, 1]) await eventually(async () => (await logOf(ls2[p]!, p)).join() === `a${p},COMMIT,b${p},ABORT`, `the ABORT marker on partition ${p}`);
    const d = await (await conn(fresh.coordinator)).send(ApiKey.DescribeTransactions, { transactionalIds: ['tx-a'] });
    assert.equal(d.transactionStates[0]!.transactionState, 'Empty');

    // Every live replica, followers included, indexes the aborted transaction at the same place,
    // and once the marker is replicated the LSO is the high watermark again.
    for (const p of [0, 1]) {
      await eventually(async () => {
        const views = [...cluster.brokers.values()].map((b) => {
          const log = b.topics.partitionLog(TOPIC, p);
          return log ? JSON.stringify([log.abortedTransactions(0, log.logEndOffset), log.highWatermark, log.lastStableOffset], (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) : undefined;
        });
        const expected = JSON.stringify([[{ producerId: String(a.producerId), firstOffset: 2, lastOffset: 3, lastStableOffset: 4 }], 4, 4]);
        return views.length === 2 && views.every((v) => v === expected) ? true : undefined;
      }, `the aborted transaction indexed on every replica of partition ${p}`);
    }
  });
});

// Transactions on the embedded broker with raw protocol requests: FindCoordinator for a
// transactional id, InitProducerId, AddPartitionsToTxn (v3 and the brokers' v4+ batch with
// verifyOnly), a transactional produce, EndTxn and the COMMIT/ABORT markers in the partition's
// log, KIP-890 verification on produce (v9 refused when the partition was not added, v12 adds it),
// WriteTxnMarkers, DescribeTransactions, ListTransactions, AddOffsetsToTxn, and an open
// transaction surviving a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { decodeRecordSetSync, ATTR_CONTROL, parseControlRecordKey } from '../../src/protocol/records/index.js';
import type { Connection } from '../../src/client/index.js';
import { batch, connect, createTopic, fetchRequest, produceRequest, startBroker, type TestBroker } from './helpers/broker-client.js';

const TOPIC = 'txn-out';

async function init(conn: Connection, id: string, version = 4): Promise<{ producerId: bigint; producerEpoch: number }> {
  for (;;) {
    const r = await conn.send(ApiKey.InitProducerId, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false }, { version });
    if (r.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS) continue;
    assert.equal(r.errorCode, ErrorCode.NONE);
    return { producerId: r.producerId, producerEpoch: r.producerEpoch };
  }
}

function addPartitionsV3(id: string, p: { producerId: bigint; producerEpoch: number }, topics: Array<{ name: string; partitions: number[] }>) {
  return { transactions: [], v3AndBelowTransactionalId: id, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: topics };
}

function txnBatch(p: { producerId: bigint; producerEpoch: number }, values: string[], baseSequence = 0): Buffer {
  return batch(values, { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence, transactional: true });
}

/** Every batch of the partition: data records as strings, markers as 'COMMIT'/'ABORT'. */
async function logOf(conn: Connection, partition = 0): Promise<string[]> {
  const res = await conn.send(ApiKey.Fetch, fetchRequest({ topic: TOPIC, partition, offset: 0 }), { version: 11 });
  const buf = res.responses[0]!.partitions[0]!.records;
  if (!buf) return [];
  const out: string[] = [];
  for (const b of decodeRecordSetSync(buf)) {
    if (b.header.attributes & ATTR_CONTROL) out.push(parseControlRecordKey(b.records[0]!.key).type === 1 ? 'COMMIT' : 'ABORT');
    else for (const r of b.records) out.push(r.value!.toString());
  }
  return out;
}

async function settled(tb: TestBroker): Promise<void> {
  await tb.broker.txns.markersIdle();
}

test('transactions with raw requests: commit, abort, markers, verification, describe/list, restart', { timeout: 60_000 }, async () => {
  const tb = await startBroker({ 'num.partitions': 2, 'transaction.state.log.num.partitions': 5 });
  const conn = await connect(tb);
  try {
    await createTopic(conn, TOPIC, 2);

    // FindCoordinator key type 1: this broker, the transaction state topic made on first use.
    const fc = await conn.send(ApiKey.FindCoordinator, { key: '', keyType: 1, coordinatorKeys: ['tx-a'] }, { version: 4 });
    assert.equal(fc.coordinators[0]!.errorCode, ErrorCode.NONE);
    assert.equal(fc.coordinators[0]!.port, tb.broker.port);
    assert.equal(tb.broker.topics.get('__transaction_state')?.partitions, 5);

    // Commit: add partition 0, produce, end; the COMMIT marker follows the records.
    const a = await init(conn, 'tx-a');
    const bad = await conn.send(ApiKey.AddPartitionsToTxn, addPartitionsV3('tx-a', a, [{ name: TOPIC, partitions: [0] }, { name: 'missing', partitions: [0] }]), { version: 3 });
    assert.deepEqual(
      bad.resultsByTopicV3AndBelow.map((t) => [t.name, t.resultsByPartition[0]!.partitionErrorCode]),
      [
        [TOPIC, ErrorCode.OPERATION_NOT_ATTEMPTED],
        ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    );
    const add = await conn.send(ApiKey.AddPartitionsToTxn, addPartitionsV3('tx-a', a, [{ name: TOPIC, partitions: [0] }]), { version: 3 });
    assert.equal(add.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);
    // Only the first batch of the transaction on the partition asks the coordinator.
    const txns = tb.broker.txns;
    const verify = txns.verifyPartitions.bind(txns);
    let asked = 0;
    txns.verifyPartitions = (...args) => {
      asked++;
      return verify(...args);
    };
    const prod = await conn.send(ApiKey.Produce, { ...produceRequest(TOPIC, 0, txnBatch(a, ['c1']), -1), transactionalId: 'tx-a' }, { version: 9 });
    assert.equal(prod.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
    const prod2 = await conn.send(ApiKey.Produce, { ...produceRequest(TOPIC, 0, txnBatch(a, ['c2'], 1), -1), transactionalId: 'tx-a' }, { version: 9 });
    assert.equal(prod2.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
    assert.equal(asked, 1);
    const described = await conn.send(ApiKey.DescribeTransactions, { transactionalIds: ['tx-a', 'nope'] });
    assert.equal(described.transactionStates[0]!.transactionState, 'Ongoing');
    assert.deepEqual(described.transactionStates[0]!.topics, [{ topic: TOPIC, partitions: [0] }]);
    assert.equal(described.transactionStates[1]!.errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    const end = await conn.send(ApiKey.EndTxn, { transactionalId: 'tx-a', producerId: a.producerId, producerEpoch: a.producerEpoch, committed: true }, { version: 3 });
    assert.equal(end.errorCode, ErrorCode.NONE);
    await settled(tb);
    assert.deepEqual(await logOf(conn), ['c1', 'c2', 'COMMIT']);

    // KIP-890 part 1: a transactional batch to a partition not in the transaction is refused.
    const add2 = await conn.send(ApiKey.AddPartitionsToTxn, addPartitionsV3('tx-a', a, [{ name: TOPIC, partitions: [0] }]), { version: 3 });
    assert.equal(add2.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);
    const refused = await conn.send(ApiKey.Produce, { ...produceRequest(TOPIC, 1, txnBatch(a, ['zombie']), -1), transactionalId: 'tx-a' }, { version: 9 });
    const rp = refused.responses[0]!.partitionResponses[0]!;
    assert.equal(rp.errorCode, ErrorCode.INVALID_TXN_STATE);
    assert.equal(rp.errorMessage, 'Partition was not added to the transaction');
    // Abort: the ABORT marker follows the aborted records.
    await conn.send(ApiKey.Produce, { ...produceRequest(TOPIC, 0, txnBatch(a, ['x1'], 2), -1), transactionalId: 'tx-a' }, { version: 9 });
    assert.equal(asked, 3, 'the zombie and the first batch of the next transaction asked too');
    const abort = await conn.send(ApiKey.EndTxn, { transactionalId: 'tx-a', producerId: a.producerId, producerEpoch: a.producerEpoch, committed: false }, { version: 3 });
    assert.equal(abort.errorCode, ErrorCode.NONE);
    await settled(tb);
    assert.deepEqual(await logOf(conn), ['c1', 'c2', 'COMMIT', 'x1', 'ABORT']);
    assert.deepEqual(await logOf(conn, 1), []);

    // Transaction version 2 (Produce v12, EndTxn v5): the produce adds the partition itself, the end bumps the epoch.
    const b = await init(conn, 'tx-b', 5);
    const p12 = await conn.send(ApiKey.Produce, { ...produceRequest(TOPIC, 1, txnBatch(b, ['v2']), -1), transactionalId: 'tx-b' }, { version: 12 });
    assert.equal(p12.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
    assert.deepEqual(tb.broker.txns.transaction('tx-b')!.partitions, [{ topic: TOPIC, partition: 1 }]);
    const end5 = await conn.send(ApiKey.EndTxn, { transactionalId: 'tx-b', producerId: b.producerId, producerEpoch: b.producerEpoch, committed: true }, { version: 5 });
    assert.deepEqual([end5.errorCode, end5.producerId, end5.producerEpoch], [ErrorCode.NONE, b.producerId, b.producerEpoch + 1]);
    await settled(tb);
    assert.deepEqual(await logOf(conn, 1), ['v2', 'COMMIT']);

    // The brokers' AddPartitionsToTxn v4: a batch of transactions, verifyOnly.
    const v4 = await conn.send(
      ApiKey.AddPartitionsToTxn,
      {
        transactions: [
          { transactionalId: 'tx-b', producerId: b.producerId, producerEpoch: b.producerEpoch + 1, verifyOnly: true, topics: [{ name: TOPIC, partitions: [1] }] },
          { transactionalId: 'tx-c', producerId: 5n, producerEpoch: 0, verifyOnly: true, topics: [{ name: TOPIC, partitions: [0] }] },
        ],
        v3AndBelowTransactionalId: '',
        v3AndBelowProducerId: 0n,
        v3AndBelowProducerEpoch: 0,
        v3AndBelowTopics: [],
      },
      { version: 4 },
    );
    assert.deepEqual(
      v4.resultsByTransaction.map((r) => [r.transactionalId, r.topicResults[0]!.resultsByPartition[0]!.partitionErrorCode]),
      [
        ['tx-b', ErrorCode.TRANSACTION_ABORTABLE],
        ['tx-c', ErrorCode.INVALID_PRODUCER_ID_MAPPING],
      ],
    );

    // WriteTxnMarkers from another coordinator: the marker is appended.
    const wtm = await conn.send(
      ApiKey.WriteTxnMarkers,
      { markers: [{ producerId: 77n, producerEpoch: 0, transactionResult: false, topics: [{ name: TOPIC, partitionIndexes: [1] }, { name: 'missing', partitionIndexes: [0] }], coordinatorEpoch: 0, transactionVersion: 0 }] },
      { version: 1 },
    );
    assert.deepEqual(
      wtm.markers[0]!.topics.map((t) => [t.name, t.partitions[0]!.errorCode]),
      [
        [TOPIC, ErrorCode.NONE],
        ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    );
    assert.deepEqual(await logOf(conn, 1), ['v2', 'COMMIT', 'ABORT']);

    // AddOffsetsToTxn adds the group's __consumer_offsets partition.
    const c = await init(conn, 'tx-c');
    const ao = await conn.send(ApiKey.AddOffsetsToTxn, { transactionalId: 'tx-c', producerId: c.producerId, producerEpoch: c.producerEpoch, groupId: 'g1' });
    assert.equal(ao.errorCode, ErrorCode.NONE);
    assert.deepEqual(tb.broker.txns.transaction('tx-c')!.partitions, [{ topic: '__consumer_offsets', partition: tb.broker.groups.partitionFor('g1') }]);
    const ao0 = await conn.send(ApiKey.AddOffsetsToTxn, { transactionalId: 'tx-c', producerId: c.producerId, producerEpoch: 9, groupId: 'g1' }, { version: 1 });
    assert.equal(ao0.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);

    // KIP-360 over the wire: a stale epoch is PRODUCER_FENCED from v4, INVALID_PRODUCER_EPOCH below; a producer id without an epoch is INVALID_REQUEST.
    const stale = { transactionalId: 'tx-a', transactionTimeoutMs: 60_000, producerId: a.producerId, producerEpoch: 99, enable2Pc: false, keepPreparedTxn: false };
    assert.equal((await conn.send(ApiKey.InitProducerId, stale, { version: 4 })).errorCode, ErrorCode.PRODUCER_FENCED);
    assert.equal((await conn.send(ApiKey.InitProducerId, stale, { version: 3 })).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal((await conn.send(ApiKey.InitProducerId, { ...stale, producerEpoch: -1 }, { version: 3 })).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await conn.send(ApiKey.InitProducerId, { ...stale, producerId: -1n, producerEpoch: -1, transactionTimeoutMs: 900_001 }, { version: 3 })).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);

    // ListTransactions.
    const listed = await conn.send(ApiKey.ListTransactions, { stateFilters: ['Ongoing'], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern: null });
    assert.deepEqual(listed.transactionStates.map((s) => s.transactionalId), ['tx-c']);

    // An open transaction survives a restart.
    conn.close();
    await tb.restart();
    await tb.broker.txns.loaded;
    const conn2 = await connect(tb);
    try {
      const d = await conn2.send(ApiKey.DescribeTransactions, { transactionalIds: ['tx-c', 'tx-a'] });
      assert.deepEqual(
        d.transactionStates.map((s) => s.transactionState),
        ['Ongoing', 'CompleteAbort'],
      );
      // A new producer of tx-c fences the old one and aborts its transaction.
      const c2 = await init(conn2, 'tx-c');
      assert.ok(c2.producerEpoch > c.producerEpoch);
      const fenced = await conn2.send(ApiKey.EndTxn, { transactionalId: 'tx-c', producerId: c.producerId, producerEpoch: c.producerEpoch, committed: true }, { version: 3 });
      assert.equal(fenced.errorCode, ErrorCode.PRODUCER_FENCED);
    } finally {
      conn2.close();
    }
  } finally {
    conn.close();
    await tb.close();
  }
});

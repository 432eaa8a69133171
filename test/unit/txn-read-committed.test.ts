// read_committed on the embedded broker with raw requests: Fetch stops at the last stable offset
// and lists the aborted transactions of what it returns; a consumer that filters as Kafka's do
// never sees an aborted record, a record of an open transaction or a control record, while
// read_uncommitted sees every record; long polls wake when the LSO moves; ListOffsets honours the
// isolation level; DescribeProducers; a transaction left open across a restart holds the LSO
// until the coordinator aborts it at its timeout; our client never returns a control record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import type { FetchResponsePartitionData } from '../../src/protocol/messages/01-fetch.js';
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, decodeRecordSetSync, parseControlRecordKey } from '../../src/protocol/records/index.js';
import { Consumer, type Connection } from '../../src/client/index.js';
import { batch, connect, createTopic, deadline, fetchRequest, listOffsetsRequest, produceRequest, startBroker, LATEST } from './helpers/broker-client.js';

const TOPIC = 'rc';
type Pid = { producerId: bigint; producerEpoch: number };

async function init(conn: Connection, id: string, timeoutMs = 60_000): Promise<Pid> {
  for (;;) {
    const r = await conn.send(ApiKey.InitProducerId, { transactionalId: id, transactionTimeoutMs: timeoutMs, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false }, { version: 4 });
    if (r.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS) continue;
    assert.equal(r.errorCode, ErrorCode.NONE);
    return { producerId: r.producerId, producerEpoch: r.producerEpoch };
  }
}

const seqs = new Map<bigint, number>();
/** Transaction version 2 (Produce v12 adds the partition): one transactional batch. */
async function produceTxn(conn: Connection, id: string, p: Pid, values: string[]): Promise<void> {
  const seq = seqs.get(p.producerId) ?? 0;
  seqs.set(p.producerId, seq + values.length);
  const records = batch(values, { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: seq, transactional: true });
  const r = await conn.send(ApiKey.Produce, { ...produceRequest(TOPIC, 0, records, -1), transactionalId: id }, { version: 12 });
  assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
}

async function producePlain(conn: Connection, value: string): Promise<void> {
  const r = await conn.send(ApiKey.Produce, produceRequest(TOPIC, 0, batch([value]), -1), { version: 12 });
  assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
}

/** EndTxn v5 (transaction version 2: the epoch is bumped); returns the producer's next epoch. */
async function endTxn(conn: Connection, id: string, p: Pid, commit: boolean): Promise<Pid> {
  const r = await conn.send(ApiKey.EndTxn, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: commit }, { version: 5 });
  assert.equal(r.errorCode, ErrorCode.NONE);
  seqs.set(r.producerId, 0);
  return { producerId: r.producerId, producerEpoch: r.producerEpoch };
}

async function fetchPartition(conn: Connection, offset: number, isolationLevel: number, maxWaitMs = 0): Promise<FetchResponsePartitionData> {
  const res = await conn.send(ApiKey.Fetch, fetchRequest({ topic: TOPIC, offset, isolationLevel, maxWaitMs }), { version: 11 });
  const p = res.responses[0]!.partitions[0]!;
  assert.equal(p.errorCode, ErrorCode.NONE);
  return p;
}

/**
 * What a Kafka consumer returns from a fetch answer (Java's CompletedFetch): aborted transactions
 * by first offset; a transactional batch of a producer whose aborted transaction has begun is
 * skipped until that producer's ABORT marker; control batches are never records.
 */
function consumerView(p: FetchResponsePartitionData, fetchOffset: number, readCommitted: boolean): string[] {
  const aborted = [...(p.abortedTransactions ?? [])].sort((a, b) => Number(a.firstOffset - b.firstOffset));
  const abortedPids = new Set<bigint>();
  const out: string[] = [];
  for (const b of decodeRecordSetSync(p.records ?? Buffer.alloc(0))) {
    const h = b.header;
    const last = h.baseOffset + h.lastOffsetDelta;
    if (last < fetchOffset) continue;
    if (readCommitted && h.attributes & ATTR_TRANSACTIONAL) {
      while (aborted.length > 0 && aborted[0]!.firstOffset <= BigInt(last)) abortedPids.add(aborted.shift()!.producerId);
      if (h.attributes & ATTR_CONTROL) {
        if (parseControlRecordKey(b.records[0]!.key).type === 0) abortedPids.delete(h.producerId);
        continue;
      }
      if (abortedPids.has(h.producerId)) continue;
    }
    if (h.attributes & ATTR_CONTROL) continue;
    for (const r of b.records) if (r.offset >= fetchOffset) out.push(r.value!.toString());
  }
  return out;
}

async function listOffset(conn: Connection, timestamp: bigint, isolationLevel: number): Promise<bigint> {
  const r = await conn.send(ApiKey.ListOffsets, { ...listOffsetsRequest(TOPIC, 0, timestamp), isolationLevel }, { version: 7 });
  const p = r.topics[0]!.partitions[0]!;
  assert.equal(p.errorCode, ErrorCode.NONE);
  return p.offset;
}

test('read_committed: LSO, aborted transactions, long polls, ListOffsets, DescribeProducers, restart', { timeout: 60_000 }, async () => {
  const tb = await startBroker({ 'num.partitions': 1, 'transaction.state.log.num.partitions': 1, 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 100 });
  let conn = await connect(tb);
  try {
    await createTopic(conn, TOPIC, 1);
    let a = await init(conn, 'tx-a');
    let b = await init(conn, 'tx-b');
    const t0 = BigInt(Date.now());
    await produceTxn(conn, 'tx-a', a, ['a1', 'a2']); // 0-1
    await produceTxn(conn, 'tx-b', b, ['b1']); // 2
    await producePlain(conn, 'n1'); // 3

    // Both open: nothing is stable.
    let p = await fetchPartition(conn, 0, 1);
    assert.deepEqual([p.highWatermark, p.lastStableOffset, p.records?.length ?? 0, p.abortedTransactions], [4n, 0n, 0, []]);
    assert.equal(await listOffset(conn, LATEST, 1), 0n);
    assert.equal(await listOffset(conn, LATEST, 0), 4n);
    assert.equal(await listOffset(conn, t0, 1), -1n, 'a time lookup finds nothing at or past the LSO');
    assert.equal(await listOffset(conn, t0, 0), 0n);

    // DescribeProducers: both open transactions, with their start offsets.
    const dp = await conn.send(ApiKey.DescribeProducers, { topics: [{ name: TOPIC, partitionIndexes: [0, 5] }, { name: 'nope', partitionIndexes: [0] }, { name: 'bad/name', partitionIndexes: [1] }] });
    const [rc, missing, bad] = dp.topics;
    assert.equal(rc!.partitions[0]!.errorCode, ErrorCode.NONE);
    assert.deepEqual(
      rc!.partitions[0]!.activeProducers.map((s) => [s.producerId, s.producerEpoch, s.lastSequence, s.currentTxnStartOffset]).sort((x, y) => Number(x[3]) - Number(y[3])),
      [
        [a.producerId, a.producerEpoch, 1, 0n],
        [b.producerId, b.producerEpoch, 0, 2n],
      ],
    );
    assert.equal(rc!.partitions[1]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.deepEqual([missing!.partitions[0]!.errorCode, missing!.partitions[0]!.errorMessage], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.']);
    assert.equal(bad!.partitions[0]!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);

    // A long poll at the LSO (on its own connection: a broker answers a connection's requests in
    // order): B's commit does not move it (A's transaction starts first), A's abort does.
    const pollConn = await connect(tb);
    const poll = fetchPartition(pollConn, 0, 1, 20_000).finally(() => pollConn.close());
    b = await endTxn(conn, 'tx-b', b, true); // marker at 4
    a = await endTxn(conn, 'tx-a', a, false); // marker at 5
    await tb.broker.txns.markersIdle();
    const started = Date.now();
    p = await deadline(poll, 15_000, 'the read_committed long poll');
    assert.ok(Date.now() - started < 15_000);
    assert.ok((p.records?.length ?? 0) > 0);

    p = await fetchPartition(conn, 0, 1);
    assert.deepEqual([p.highWatermark, p.lastStableOffset], [6n, 6n]);
    assert.deepEqual(p.abortedTransactions, [{ producerId: a.producerId, firstOffset: 0n }]);
    assert.deepEqual(consumerView(p, 0, true), ['b1', 'n1']);
    assert.deepEqual(consumerView(p, 0, false), ['a1', 'a2', 'b1', 'n1']);
    const uncommitted = await fetchPartition(conn, 0, 0);
    assert.equal(uncommitted.abortedTransactions, null);
    // From offset 4 on: A's marker (5) is in the range, so A is listed; from 2 on too (its records).
    const from4 = await fetchPartition(conn, 4, 1);
    assert.deepEqual(from4.abortedTransactions, [{ producerId: a.producerId, firstOffset: 0n }]);
    assert.deepEqual(consumerView(from4, 4, true), []);
    assert.deepEqual(consumerView(await fetchPartition(conn, 2, 1), 2, true), ['b1', 'n1']);
    assert.equal(await listOffset(conn, t0, 1), 0n);

    // A transaction left open across a restart keeps holding the LSO, until its timeout aborts it.
    const c = await init(conn, 'tx-c', 1_500);
    await produceTxn(conn, 'tx-c', c, ['c1']); // 6
    await producePlain(conn, 'n2'); // 7
    assert.equal(await listOffset(conn, LATEST, 1), 6n);
    conn.close();
    await tb.restart();
    conn = await connect(tb);
    const log = tb.broker.topics.partitionLog(TOPIC, 0)!;
    assert.equal(log.lastStableOffset, 6, 'the snapshot carried the open transaction');
    assert.deepEqual(log.abortedTransactions(0, 8).map((t) => t.firstOffset), [0]);
    await tb.broker.txns.loaded;
    const until = Date.now() + 20_000;
    while (log.lastStableOffset < log.logEndOffset) {
      assert.ok(Date.now() < until, 'the coordinator aborted the timed-out transaction');
      await log.waitForHighWatermark(log.highWatermark, AbortSignal.timeout(500));
    }
    assert.equal(log.logEndOffset, 9);
    p = await fetchPartition(conn, 0, 1);
    assert.deepEqual(
      p.abortedTransactions!.map((t) => [t.producerId, t.firstOffset]),
      [
        [a.producerId, 0n],
        [c.producerId, 6n],
      ],
    );
    assert.deepEqual(consumerView(p, 0, true), ['b1', 'n1', 'n2']);

    // Our client (read_uncommitted) returns every data record and never a control record; its
    // position moves past the markers to the log end.
    const consumer = await Consumer.connect({ bootstrap: tb.broker.bootstrap });
    try {
      await consumer.assign([{ topic: TOPIC, partition: 0, start: 'earliest' }]);
      const values: string[] = [];
      const stop = Date.now() + 10_000;
      while ((consumer.position(TOPIC, 0) ?? 0n) < 9n) {
        assert.ok(Date.now() < stop, `the client reached the log end (at ${consumer.position(TOPIC, 0)})`);
        for (const r of await consumer.poll()) values.push(r.value!.toString());
      }
      assert.deepEqual(values, ['a1', 'a2', 'b1', 'n1', 'c1', 'n2']);
    } finally {
      await consumer.close();
    }
  } finally {
    conn.close();
    await tb.close();
  }
});

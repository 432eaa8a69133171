// The transaction coordinator's state machine on the memory storage with a manual clock (no
// sleeps): InitProducerId (new ids, epoch bumps, KIP-360, fencing an open transaction), the
// transaction APIs' error codes, EndTxn of transaction versions 0 and 2 (epoch bump, retries),
// marker delivery and its retries, completion, timeouts, expiry, reload in the middle of a
// PrepareCommit, DescribeTransactions and ListTransactions.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ManualClock } from '../../src/broker/coordinator/clock.js';
import { TransactionCoordinator, type MarkerWriter, type TopicPartition, type TxnCoordinatorConfig, type TxnMarker } from '../../src/broker/coordinator/txn-coordinator.js';
import { tpKey } from '../../src/broker/coordinator/txn-metadata.js';
import { decodeTransactionLogKey, decodeTransactionLogValue } from '../../src/protocol/transaction-log.js';
import { MemoryStorage } from './helpers/memory-storage.js';

class FakeMarkers implements MarkerWriter {
  readonly calls: Array<{ marker: TxnMarker; partitions: TopicPartition[] }> = [];
  /** Errors to answer for a partition, one per attempt, before it succeeds. */
  readonly failures = new Map<string, number[]>();
  gate: Promise<void> | null = null;

  async write(marker: TxnMarker, partitions: readonly TopicPartition[]): Promise<Array<{ tp: TopicPartition; errorCode: number }>> {
    this.calls.push({ marker, partitions: [...partitions] });
    if (this.gate) await this.gate;
    return partitions.map((tp) => ({ tp, errorCode: this.failures.get(tpKey(tp))?.shift() ?? ErrorCode.NONE }));
  }

  written(): Array<{ commit: boolean; epoch: number; tp: string }> {
    return this.calls.flatMap((c) => c.partitions.map((tp) => ({ commit: c.marker.commit, epoch: c.marker.producerEpoch, tp: `${tp.topic}-${tp.partition}` })));
  }
}

interface Env {
  clock: ManualClock;
  storage: MemoryStorage;
  markers: FakeMarkers;
  tc: TransactionCoordinator;
  nextId: { value: bigint };
}

async function setup(config: Partial<TxnCoordinatorConfig> = {}, storage = new MemoryStorage(4), clock = new ManualClock(), nextId = { value: 1000n }): Promise<Env> {
  const markers = new FakeMarkers();
  const tc = new TransactionCoordinator({
    storage,
    clock,
    config,
    markers,
    nextProducerId: async () => nextId.value++,
  });
  storage.created = true;
  tc.start();
  await tc.loaded;
  return { clock, storage, markers, tc, nextId };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await tick();
}

const init = (e: Env, id: string, producerId = -1n, producerEpoch = -1, transactionTimeoutMs = 60_000) =>
  e.tc.initProducerId({ transactionalId: id, transactionTimeoutMs, producerId, producerEpoch, enable2Pc: false, keepPreparedTxn: false });

const TP: TopicPartition[] = [
  { topic: 'out', partition: 0 },
  { topic: 'out', partition: 1 },
];

/** Every stored value of a transactional id, oldest first: [state name, epoch]. */
function history(e: Env, id: string): Array<[number, number] | null> {
  const out: Array<[number, number] | null> = [];
  for (const part of e.storage.partitions) {
    for (const r of part) {
      const k = decodeTransactionLogKey(r.key);
      if (k.type !== 'transaction' || k.transactionalId !== id) continue;
      if (r.value === null) out.push(null);
      else {
        const v = decodeTransactionLogValue(r.value).value;
        out.push([v.transactionStatus, v.producerEpoch]);
      }
    }
  }
  return out;
}

describe('InitProducerId', () => {
  test('a new transactional id gets a new producer id at epoch 0; the next InitProducerId bumps the epoch', async () => {
    const e = await setup();
    assert.deepEqual(await init(e, 'a'), { errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 0 });
    assert.deepEqual(await init(e, 'a'), { errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 1 });
    assert.equal(e.tc.transaction('a')?.state, 'Empty');
    assert.deepEqual(history(e, 'a'), [
      [0, 0],
      [0, 1],
    ]);
  });

  test('KIP-360: the current epoch bumps, the last epoch is a retry, any other is PRODUCER_FENCED', async () => {
    const e = await setup();
    await init(e, 'a');
    assert.deepEqual(await init(e, 'a', 1000n, 0), { errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 1 });
    // A retry of that call (its answer was lost): the same epoch again, no bump.
    assert.deepEqual(await init(e, 'a', 1000n, 0), { errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 1 });
    assert.equal((await init(e, 'a', 1000n, 7)).errorCode, ErrorCode.PRODUCER_FENCED);
    assert.equal((await init(e, 'a', 999n, 1)).errorCode, ErrorCode.PRODUCER_FENCED);
  });

  test('timeouts above transaction.max.timeout.ms, zero, an empty id, 2PC and keepPreparedTxn are refused', async () => {
    const e = await setup({ transactionMaxTimeoutMs: 5000 });
    assert.equal((await init(e, 'a', -1n, -1, 5001)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assert.equal((await init(e, 'a', -1n, -1, 0)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assert.equal((await init(e, 'a', -1n, -1, 5000)).errorCode, ErrorCode.NONE);
    assert.equal((await init(e, '')).errorCode, ErrorCode.INVALID_REQUEST);
    const twoPc = await e.tc.initProducerId({ transactionalId: 'b', transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1, enable2Pc: true, keepPreparedTxn: false });
    assert.equal(twoPc.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const keep = await e.tc.initProducerId({ transactionalId: 'b', transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: true });
    assert.equal(keep.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  });

  test('an exhausted epoch rotates to a new producer id at epoch 0', async () => {
    const e = await setup();
    await init(e, 'a');
    const m = e.tc.transaction('a')!;
    m.producerEpoch = 32766; // as if 32766 InitProducerIds had happened
    const r = await init(e, 'a');
    assert.deepEqual(r, { errorCode: ErrorCode.NONE, producerId: 1001n, producerEpoch: 0 });
    assert.equal(e.tc.transaction('a')!.prevProducerId, 1000n);
  });

  test('a new producer fences an open transaction: it is aborted with a bumped epoch, the caller retries', async () => {
    const e = await setup();
    const p = await init(e, 'a');
    assert.equal(await e.tc.addPartitions('a', p.producerId, p.producerEpoch, TP, 0), ErrorCode.NONE);
    e.markers.gate = new Promise(() => {}); // markers in flight forever
    assert.equal((await init(e, 'a')).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    const m = e.tc.transaction('a')!;
    assert.equal(m.state, 'PrepareAbort');
    // The server's transaction version (2): the abort's own bump fences, once (Kafka 4.3.1 writes
    // PrepareAbort and the ABORT markers at epoch 1 here, and gives the next producer epoch 2).
    assert.equal(m.producerEpoch, 1);
    assert.equal((await init(e, 'a')).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    // The old producer is fenced.
    assert.equal((await e.tc.endTxn('a', p.producerId, p.producerEpoch, true, 0)).errorCode, ErrorCode.PRODUCER_FENCED);
    assert.equal(await e.tc.addPartitions('a', p.producerId, p.producerEpoch, TP, 0), ErrorCode.PRODUCER_FENCED);
    e.markers.gate = null;
  });
});

describe('AddPartitionsToTxn and verification', () => {
  test('errors: unknown id, other producer id, other epoch; then Ongoing with the partitions', async () => {
    const e = await setup();
    assert.equal(await e.tc.addPartitions('nope', 1n, 0, TP, 0), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const p = await init(e, 'a');
    assert.equal(await e.tc.addPartitions('a', 5n, 0, TP, 0), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    assert.equal(await e.tc.addPartitions('a', p.producerId, 3, TP, 0), ErrorCode.PRODUCER_FENCED);
    assert.equal(await e.tc.addPartitions('a', p.producerId, 0, [TP[0]!], 0), ErrorCode.NONE);
    assert.equal(await e.tc.addPartitions('a', p.producerId, 0, TP, 0), ErrorCode.NONE);
    const m = e.tc.transaction('a')!;
    assert.equal(m.state, 'Ongoing');
    assert.deepEqual(m.partitions, TP);
    // Adding what is there already stores nothing.
    const before = e.storage.appends;
    assert.equal(await e.tc.addPartitions('a', p.producerId, 0, TP, 0), ErrorCode.NONE);
    assert.equal(e.storage.appends, before);
  });

  test('verifyOnly: NONE in the transaction, TRANSACTION_ABORTABLE not, and the id/epoch errors', async () => {
    const e = await setup();
    const p = await init(e, 'a');
    await e.tc.addPartitions('a', p.producerId, 0, [TP[0]!], 0);
    const v = e.tc.verifyPartitions('a', p.producerId, 0, TP);
    assert.equal(v.get(tpKey(TP[0]!)), ErrorCode.NONE);
    assert.equal(v.get(tpKey(TP[1]!)), ErrorCode.TRANSACTION_ABORTABLE);
    assert.equal(e.tc.verifyPartitions('a', p.producerId, 1, TP).get(tpKey(TP[0]!)), ErrorCode.PRODUCER_FENCED);
    assert.equal(e.tc.verifyPartitions('b', p.producerId, 0, TP).get(tpKey(TP[0]!)), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  });
});

describe('EndTxn', () => {
  test('transaction version 0: PrepareCommit, markers on every partition, CompleteCommit; the epoch stays', async () => {
    const e = await setup();
    const p = await init(e, 'a');
    await e.tc.addPartitions('a', p.producerId, 0, TP, 0);
    const r = await e.tc.endTxn('a', p.producerId, 0, true, 0);
    assert.deepEqual(r, { errorCode: ErrorCode.NONE, producerId: -1n, producerEpoch: -1 });
    await e.tc.markersIdle();
    assert.deepEqual(e.markers.written(), [
      { commit: true, epoch: 0, tp: 'out-0' },
      { commit: true, epoch: 0, tp: 'out-1' },
    ]);
    const m = e.tc.transaction('a')!;
    assert.equal(m.state, 'CompleteCommit');
    assert.equal(m.producerEpoch, 0);
    assert.deepEqual(m.partitions, []);
    assert.deepEqual(history(e, 'a'), [
      [0, 0],
      [1, 0],
      [2, 0],
      [4, 0],
    ]);
    // A retried commit is fine, an abort now is not; a commit with nothing begun neither.
    assert.equal((await e.tc.endTxn('a', p.producerId, 0, true, 0)).errorCode, ErrorCode.NONE);
    assert.equal((await e.tc.endTxn('a', p.producerId, 0, false, 0)).errorCode, ErrorCode.INVALID_TXN_STATE);
    await init(e, 'b');
    assert.equal((await e.tc.endTxn('b', 1001n, 0, true, 0)).errorCode, ErrorCode.INVALID_TXN_STATE);
    assert.equal((await e.tc.endTxn('b', 1001n, 0, false, 0)).errorCode, ErrorCode.INVALID_TXN_STATE);
    assert.equal((await e.tc.endTxn('b', 1001n, 5, false, 0)).errorCode, ErrorCode.PRODUCER_FENCED);
    assert.equal((await e.tc.endTxn('b', 1000n, 0, false, 0)).errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    assert.equal((await e.tc.endTxn('zz', 1000n, 0, false, 0)).errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  });

  test('transaction version 2: the epoch is bumped on every end and answered; a retry gets NONE', async () => {
    const e = await setup();
    const p = await init(e, 'a');
    await e.tc.addPartitions('a', p.producerId, 0, TP, 2);
    const r = await e.tc.endTxn('a', p.producerId, 0, true, 2);
    assert.deepEqual(r, { errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: 1 });
    // While the markers are written, the same end again (its epoch before the bump) is concurrent.
    await e.tc.markersIdle();
    assert.deepEqual(e.markers.written().map((w) => w.epoch), [1, 1]);
    assert.equal(e.tc.transaction('a')!.state, 'CompleteCommit');
    // The retry of the commit, with the old epoch: NONE and the current id/epoch.
    assert.deepEqual(await e.tc.endTxn('a', p.producerId, 0, true, 2), { errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: 1 });
    // An abort with the old epoch is not a retry of that commit.
    assert.equal((await e.tc.endTxn('a', p.producerId, 0, false, 2)).errorCode, ErrorCode.INVALID_TXN_STATE);
    // An abort at the current epoch with nothing begun: allowed in TV2 (bumps again).
    assert.deepEqual(await e.tc.endTxn('a', p.producerId, 1, false, 2), { errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: 2 });
    await e.tc.markersIdle();
    assert.equal(e.tc.transaction('a')!.state, 'CompleteAbort');
    // Next transaction at epoch 2.
    assert.equal(await e.tc.addPartitions('a', p.producerId, 2, TP, 2), ErrorCode.NONE);
    assert.equal((await e.tc.endTxn('a', p.producerId, 1, true, 2)).errorCode, ErrorCode.PRODUCER_FENCED);
    // A commit from Empty is still INVALID_TXN_STATE.
    const q = await init(e, 'b');
    assert.equal((await e.tc.endTxn('b', q.producerId, 0, true, 2)).errorCode, ErrorCode.INVALID_TXN_STATE);
  });

  test('an epoch overflow under transaction version 2 moves the producer to a new id', async () => {
    const e = await setup();
    const p = await init(e, 'a');
    await e.tc.addPartitions('a', p.producerId, 0, TP, 2);
    e.tc.transaction('a')!.producerEpoch = 32766;
    const r = await e.tc.endTxn('a', p.producerId, 32766, true, 2);
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.producerEpoch, 0);
    assert.notEqual(r.producerId, p.producerId);
    await e.tc.markersIdle();
    const m = e.tc.transaction('a')!;
    assert.equal(m.state, 'CompleteCommit');
    assert.equal(m.producerId, r.producerId);
    assert.equal(m.producerEpoch, 0);
    assert.equal(m.prevProducerId, p.producerId);
    // The retry of that commit carries the old id and MAX-1.
    assert.equal((await e.tc.endTxn('a', p.producerId, 32766, true, 2)).errorCode, ErrorCode.NONE);
  });

  test('while the markers are written, new work of the id gets CONCURRENT_TRANSACTIONS', async () => {
    const e = await setup();
    const p = await init(e, 'a');
    await e.tc.addPartitions('a', p.producerId, 0, TP, 0);
    let open!: () => void;
    e.markers.gate = new Promise((r) => (open = r));
    await e.tc.endTxn('a', p.producerId, 0, false, 0);
    assert.equal(e.tc.transaction('a')!.state, 'PrepareAbort');
    assert.equal((await init(e, 'a')).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal(await e.tc.addPartitions('a', p.producerId, 0, TP, 0), ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal((await e.tc.endTxn('a', p.producerId, 0, false, 0)).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal((await e.tc.endTxn('a', p.producerId, 0, true, 0)).errorCode, ErrorCode.INVALID_TXN_STATE);
    assert.equal(e.tc.describe('a').transactionState, 'PrepareAbort');
    open();
    e.markers.gate = null;
    await e.tc.markersIdle();
    assert.equal(e.tc.transaction('a')!.state, 'CompleteAbort');
    assert.deepEqual(await init(e, 'a'), { errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: 1 });
  });

  test('markers are retried after retriable errors until written; a fenced partition stops the delivery', async () => {
    const e = await setup({ markerRetryBackoffMs: 50 });
    const p = await init(e, 'a');
    await e.tc.addPartitions('a', p.producerId, 0, TP, 0);
    e.markers.failures.set(tpKey(TP[1]!), [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_ENOUGH_REPLICAS]);
    await e.tc.endTxn('a', p.producerId, 0, true, 0);
    await settle();
    // out-0 written, out-1 waiting for its retry.
    assert.deepEqual(e.tc.describe('a').topics, [{ topic: 'out', partitions: [1] }]);
    e.clock.advance(50);
    await settle();
    assert.equal(e.tc.transaction('a')!.state, 'PrepareCommit');
    e.clock.advance(50);
    await e.tc.markersIdle();
    assert.equal(e.tc.transaction('a')!.state, 'CompleteCommit');
    assert.deepEqual(e.markers.written().map((w) => w.tp), ['out-0', 'out-1', 'out-1', 'out-1']);

    await e.tc.addPartitions('a', p.producerId, 0, TP, 0);
    e.markers.failures.set(tpKey(TP[0]!), [ErrorCode.INVALID_PRODUCER_EPOCH]);
    await e.tc.endTxn('a', p.producerId, 0, true, 0);
    await e.tc.markersIdle();
    assert.equal(e.tc.transaction('a')!.state, 'PrepareCommit');
  });
});

describe('timeouts and expiry', () => {
  test('a transaction past its timeout is aborted on the scan, fencing its producer', async () => {
    const e = await setup({ abortTimedOutTransactionsIntervalMs: 1000 });
    const p = await init(e, 'a', -1n, -1, 3000);
    await e.tc.addPartitions('a', p.producerId, 0, TP, 0);
    e.clock.advance(3000); // scans at 1000, 2000, 3000: not yet past (start + 3000 < now fails at 3000)
    await settle();
    assert.equal(e.tc.transaction('a')!.state, 'Ongoing');
    e.clock.advance(1000);
    await settle();
    await e.tc.markersIdle();
    const m = e.tc.transaction('a')!;
    assert.equal(m.state, 'CompleteAbort');
    // One bump, as Apache Kafka 4.3.1 aborts a timed-out transaction (its PrepareAbort at epoch 1)
    assert.equal(m.producerEpoch, 1);
    assert.deepEqual(e.markers.written().map((w) => w.commit), [false, false]);
    // An old-protocol producer is fenced; a transaction-version-2 producer's commit is the retry
    // of an end that went the other way: INVALID_TXN_STATE, what Kafka 4.3.1 answers the Java
    // client (InvalidTxnStateException, test/interop/test_txn_java.py::test_transaction_timeout).
    assert.equal((await e.tc.endTxn('a', p.producerId, 0, true, 0)).errorCode, ErrorCode.PRODUCER_FENCED);
    assert.equal((await e.tc.endTxn('a', p.producerId, 0, true, 2)).errorCode, ErrorCode.INVALID_TXN_STATE);
    // The next producer of the id gets epoch 2.
    assert.deepEqual(await init(e, 'a'), { errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: 2 });
  });

  test('idle transactional ids expire after transactional.id.expiration.ms, with a tombstone', async () => {
    const e = await setup({ transactionalIdExpirationMs: 10_000, removeExpiredTransactionalIdsIntervalMs: 5000, abortTimedOutTransactionsIntervalMs: 1_000_000 });
    const p = await init(e, 'idle');
    const q = await init(e, 'busy', -1n, -1, 900_000);
    await e.tc.addPartitions('busy', q.producerId, 0, TP, 0);
    e.clock.advance(5000);
    await settle();
    assert.ok(e.tc.transaction('idle'));
    e.clock.advance(5000);
    await settle();
    assert.equal(e.tc.transaction('idle'), undefined);
    assert.equal(e.tc.transaction('busy')?.state, 'Ongoing');
    assert.deepEqual(history(e, 'idle').at(-1), null);
    assert.equal(e.tc.describe('idle').errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    // The id starts over with a new producer id.
    const again = await init(e, 'idle');
    assert.notEqual(again.producerId, p.producerId);
    assert.equal(again.producerEpoch, 0);
  });
});

describe('reload', () => {
  test('a coordinator loading a partition mid-PrepareCommit writes the markers and completes', async () => {
    const storage = new MemoryStorage(4);
    const clock = new ManualClock();
    const nextId = { value: 1000n };
    const e = await setup({}, storage, clock, nextId);
    const p = await init(e, 'a');
    await e.tc.addPartitions('a', p.producerId, 0, TP, 2);
    e.markers.gate = new Promise(() => {});
    await e.tc.endTxn('a', p.producerId, 0, true, 2);
    e.tc.close(); // the broker goes away with the markers unwritten
    const again = await setup({}, storage, clock, nextId);
    await again.tc.markersIdle();
    assert.deepEqual(again.markers.written(), [
      { commit: true, epoch: 1, tp: 'out-0' },
      { commit: true, epoch: 1, tp: 'out-1' },
    ]);
    const m = again.tc.transaction('a')!;
    assert.equal(m.state, 'CompleteCommit');
    assert.equal(m.producerEpoch, 1);
    assert.equal(m.clientTransactionVersion, 2);
  });

  test('a reload gives the same state as the writes did', async () => {
    const storage = new MemoryStorage(4);
    const e = await setup({}, storage);
    for (const id of ['a', 'b', 'c', 'd']) await init(e, id);
    await e.tc.addPartitions('b', e.tc.transaction('b')!.producerId, 0, TP, 0);
    const c = e.tc.transaction('c')!;
    await e.tc.addPartitions('c', c.producerId, 0, TP, 2);
    await e.tc.endTxn('c', c.producerId, 0, false, 2);
    await e.tc.markersIdle();
    const snap = (t: TransactionCoordinator) => JSON.stringify(['a', 'b', 'c', 'd'].map((id) => ({ ...t.transaction(id)!, lastProducerEpoch: 0 })), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    const again = await setup({}, storage, e.clock);
    assert.equal(snap(again.tc), snap(e.tc));
  });
});

describe('DescribeTransactions and ListTransactions', () => {
  test('describe and list with state, producer id, duration and pattern filters', async () => {
    const e = await setup();
    const a = await init(e, 'app-1');
    await init(e, 'app-2');
    await init(e, 'other');
    await e.tc.addPartitions('app-1', a.producerId, 0, TP, 0);
    e.clock.advance(5000);
    const d = e.tc.describe('app-1');
    assert.equal(d.errorCode, ErrorCode.NONE);
    assert.equal(d.transactionState, 'Ongoing');
    assert.equal(d.transactionTimeoutMs, 60_000);
    assert.equal(d.transactionStartTimeMs, BigInt(e.clock.now() - 5000));
    assert.deepEqual(d.topics, [{ topic: 'out', partitions: [0, 1] }]);
    assert.equal(e.tc.describe('').errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(e.tc.describe('none').errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);

    const names = (r: ReturnType<TransactionCoordinator['list']>) => r.transactionStates.map((s) => s.transactionalId).sort();
    const all = { states: [], producerIds: [], durationMs: -1, transactionalIdPattern: null };
    assert.deepEqual(names(e.tc.list(all)), ['app-1', 'app-2', 'other']);
    const byState = e.tc.list({ ...all, states: ['Ongoing', 'Bogus'] });
    assert.deepEqual(names(byState), ['app-1']);
    assert.deepEqual(byState.unknownStateFilters, ['Bogus']);
    assert.deepEqual(names(e.tc.list({ ...all, producerIds: [a.producerId] })), ['app-1']);
    // As in Kafka, the duration is now - start, and an id with no transaction begun has start -1:
    // it passes any duration filter.
    assert.deepEqual(names(e.tc.list({ ...all, durationMs: 4000 })), ['app-1', 'app-2', 'other']);
    assert.deepEqual(names(e.tc.list({ ...all, durationMs: 5000 })), ['app-2', 'other']);
    assert.deepEqual(names(e.tc.list({ ...all, transactionalIdPattern: 'app-.*' })), ['app-1', 'app-2']);
    assert.deepEqual(names(e.tc.list({ ...all, transactionalIdPattern: 'app' })), []);
    assert.equal(e.tc.list({ ...all, transactionalIdPattern: '(' }).errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION);
  });
});

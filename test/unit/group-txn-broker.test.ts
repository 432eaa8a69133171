// TxnOffsetCommit over the wire against an embedded broker: every version (v0-v5), unknown topics
// and partitions, the v3+ member checks on a real classic group, OffsetFetch require_stable (v7 in
// the top-level topics, v8+ in the group) answering UNSTABLE_OFFSET_COMMIT until the marker, the
// records in __consumer_offsets (a transactional batch of the producer, then a control batch),
// and broker restarts mid-transaction and after it. The markers are written through
// GroupCoordinator.completeTransaction, the call the WriteTxnMarkers path makes.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, type JoinGroupRequest, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import type { Connection } from '../../src/client/index.js';
import { decodeEndTxnMarker, decodeRecordSetSync, isControl, isTransactional } from '../../src/protocol/records/index.js';
import { decodeOffsetsKey, partitionForGroup, OFFSETS_TOPIC } from '../../src/broker/coordinator/index.js';
import { connect, createTopic, startBroker, type TestBroker } from './helpers/broker-client.js';

const OFFSETS_PARTITIONS = 3;

function txnCommit(groupId: string, producerId: bigint, offsets: Array<[string, number, bigint]>, over: Partial<TxnOffsetCommitRequest> = {}): TxnOffsetCommitRequest {
  const topics = new Map<string, Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }>>();
  for (const [t, p, o] of offsets) topics.set(t, [...(topics.get(t) ?? []), { partitionIndex: p, committedOffset: o, committedLeaderEpoch: -1, committedMetadata: 'txn' }]);
  return {
    transactionalId: `tx-${producerId}`,
    groupId,
    producerId,
    producerEpoch: 0,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
    ...over,
  };
}

function answered(r: TxnOffsetCommitResponse): Array<[string, number, number]> {
  return r.topics.flatMap((t) => t.partitions.map((p): [string, number, number] => [t.name, p.partitionIndex, p.errorCode]));
}

describe('TxnOffsetCommit against the embedded broker', () => {
  let tb: TestBroker;
  let c: Connection;
  before(async () => {
    tb = await startBroker({ 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': OFFSETS_PARTITIONS, 'group.min.session.timeout.ms': 1000 });
    c = await connect(tb, { requestTimeoutMs: 20_000 });
    await createTopic(c, 'tt', 2);
    // These tests drive the group side with made-up producers, so the check with the transaction
    // coordinator (KIP-890) is replaced; the last test runs real transactions with it.
    tb.broker.groups.verifyTransaction = () => Promise.resolve(ErrorCode.NONE);
  });
  after(async () => {
    await c.close();
    await tb.close();
  });

  /** OffsetFetch of tt's partitions at a version: committed offsets, or 'unstable'. */
  async function fetchTt(groupId: string, version: number, requireStable: boolean): Promise<Array<bigint | string>> {
    const show = (p: { committedOffset: bigint; errorCode: number }): bigint | string => (p.errorCode === ErrorCode.UNSTABLE_OFFSET_COMMIT ? 'unstable' : p.errorCode !== 0 ? `error ${p.errorCode}` : p.committedOffset);
    if (version >= 8) {
      const f = await c.send(ApiKey.OffsetFetch, { groupId: '', topics: [], requireStable, groups: [{ groupId, memberId: null, memberEpoch: -1, topics: [{ name: 'tt', topicId: '00000000-0000-0000-0000-000000000000', partitionIndexes: [0, 1] }] }] }, { version });
      assert.equal(f.groups[0]!.errorCode, 0);
      return f.groups[0]!.topics[0]!.partitions.map(show);
    }
    const f = await c.send(ApiKey.OffsetFetch, { groupId, topics: [{ name: 'tt', partitionIndexes: [0, 1] }], groups: [], requireStable }, { version });
    assert.equal(f.errorCode, 0);
    return f.topics[0]!.partitions.map(show);
  }

  function end(groupId: string, producerId: bigint, commit: boolean): Promise<number> {
    return tb.broker.groups.completeTransaction(partitionForGroup(groupId, OFFSETS_PARTITIONS), producerId, 0, 0, commit, 5000);
  }

  test('every version commits pending offsets; OffsetFetch require_stable answers UNSTABLE_OFFSET_COMMIT until the COMMIT marker', async () => {
    for (let v = 0; v <= 5; v++) {
      const groupId = `txn-v${v}`;
      const pid = BigInt(1000 + v);
      const r = await c.send(ApiKey.TxnOffsetCommit, txnCommit(groupId, pid, [['tt', 0, BigInt(10 + v)], ['tt', 1, BigInt(20 + v)]]), { version: v });
      assert.deepEqual(answered(r), [['tt', 0, 0], ['tt', 1, 0]], `TxnOffsetCommit v${v}`);
      assert.deepEqual(await fetchTt(groupId, 6, false), [-1n, -1n], 'invisible before the marker');
      assert.deepEqual(await fetchTt(groupId, 7, true), ['unstable', 'unstable'], 'v7: in the top-level topics');
      assert.deepEqual(await fetchTt(groupId, 8, true), ['unstable', 'unstable'], 'v8+: in the group');
      assert.deepEqual(await fetchTt(groupId, 9, false), [-1n, -1n]);
      assert.equal(await end(groupId, pid, true), ErrorCode.NONE);
      assert.deepEqual(await fetchTt(groupId, 7, true), [BigInt(10 + v), BigInt(20 + v)]);
      assert.deepEqual(await fetchTt(groupId, 9, true), [BigInt(10 + v), BigInt(20 + v)]);
    }
    // Aborted: nothing becomes visible.
    await c.send(ApiKey.TxnOffsetCommit, txnCommit('txn-abort', 77n, [['tt', 0, 5n]]), { version: 3 });
    assert.equal(await end('txn-abort', 77n, false), ErrorCode.NONE);
    assert.deepEqual(await fetchTt('txn-abort', 8, true), [-1n, -1n]);
  });

  test('unknown topics and partitions answer UNKNOWN_TOPIC_OR_PARTITION in place, the others are committed', async () => {
    const r = await c.send(ApiKey.TxnOffsetCommit, txnCommit('txn-unknown', 5n, [['tt', 0, 1n], ['tt', 7, 1n], ['nope', 0, 1n], ['tt', 1, 2n]]), { version: 3 });
    assert.deepEqual(answered(r), [
      ['tt', 0, 0],
      ['tt', 7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['tt', 1, 0],
      ['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    const none = await c.send(ApiKey.TxnOffsetCommit, txnCommit('txn-unknown', 5n, [['nope', 3, 1n]]), { version: 0 });
    assert.deepEqual(answered(none), [['nope', 3, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    const empty = await c.send(ApiKey.TxnOffsetCommit, txnCommit('', 5n, [['tt', 0, 1n]]), { version: 3 });
    assert.deepEqual(answered(empty), [['tt', 0, ErrorCode.INVALID_GROUP_ID]]);
    assert.equal(await end('txn-unknown', 5n, true), ErrorCode.NONE);
    assert.deepEqual(await fetchTt('txn-unknown', 8, true), [1n, 2n]);
  });

  test('v0-v1 get COORDINATOR_NOT_AVAILABLE where later versions get COORDINATOR_LOAD_IN_PROGRESS', async () => {
    const groups = tb.broker.groups;
    const real = groups.txnOffsetCommit.bind(groups);
    // The coordinator answers as while __consumer_offsets loads.
    groups.txnOffsetCommit = async (req) => req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((x) => ({ partitionIndex: x.partitionIndex, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS })) }));
    try {
      for (const [v, want] of [[0, ErrorCode.COORDINATOR_NOT_AVAILABLE], [1, ErrorCode.COORDINATOR_NOT_AVAILABLE], [2, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS], [5, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]] as const) {
        assert.deepEqual(answered(await c.send(ApiKey.TxnOffsetCommit, txnCommit('txn-loading', 6n, [['tt', 0, 1n]]), { version: v })), [['tt', 0, want]], `v${v}`);
      }
    } finally {
      groups.txnOffsetCommit = real;
    }
  });

  test('v3+ member checks on a classic group (generation, member id, instance id); v0-v2 carry none', async () => {
    const join: JoinGroupRequest = {
      groupId: 'txn-members',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: '',
      groupInstanceId: 'inst',
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0, 255, 255, 255, 255]) }],
      reason: null,
    };
    const j = await c.send(ApiKey.JoinGroup, join, { version: 7 });
    assert.equal(j.errorCode, 0);
    const s = await c.send(ApiKey.SyncGroup, { groupId: 'txn-members', generationId: j.generationId, memberId: j.memberId, groupInstanceId: 'inst', protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: j.memberId, assignment: Buffer.alloc(0) }] }, { version: 5 });
    assert.equal(s.errorCode, 0);
    const send = async (v: number, over: Partial<TxnOffsetCommitRequest>): Promise<number> => answered(await c.send(ApiKey.TxnOffsetCommit, txnCommit('txn-members', 9n, [['tt', 0, 3n]], over), { version: v }))[0]![2];
    assert.equal(await send(3, { generationId: j.generationId, memberId: j.memberId, groupInstanceId: 'inst' }), ErrorCode.NONE);
    assert.equal(await send(4, { generationId: j.generationId + 1, memberId: j.memberId, groupInstanceId: 'inst' }), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(await send(5, { generationId: j.generationId, memberId: 'stranger', groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await send(3, { generationId: j.generationId, memberId: 'stranger', groupInstanceId: 'inst' }), ErrorCode.FENCED_INSTANCE_ID);
    assert.equal(await send(2, {}), ErrorCode.NONE, 'v2 has no member fields: accepted');
    assert.equal(await send(1, {}), ErrorCode.NONE);
    assert.equal(await end('txn-members', 9n, true), ErrorCode.NONE);
    assert.deepEqual(await fetchTt('txn-members', 7, true), [3n, -1n]);
  });

  test('the records: a transactional batch of the producer, then a COMMIT control batch; a restart mid-transaction keeps the offsets pending', async () => {
    const groupId = 'txn-durable';
    const p = partitionForGroup(groupId, OFFSETS_PARTITIONS);
    const r = await c.send(ApiKey.TxnOffsetCommit, txnCommit(groupId, 4242n, [['tt', 0, 100n], ['tt', 1, 101n]], { producerEpoch: 3 }), { version: 3 });
    assert.deepEqual(answered(r), [['tt', 0, 0], ['tt', 1, 0]]);
    const plain = await c.send(ApiKey.OffsetCommit, { groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: 'tt', topicId: '00000000-0000-0000-0000-000000000000', partitions: [{ partitionIndex: 1, committedOffset: 555n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }] }, { version: 8 });
    assert.equal(plain.topics[0]!.partitions[0]!.errorCode, 0);

    await c.close();
    await tb.restart();
    await tb.broker.groups.loaded;
    c = await connect(tb, { requestTimeoutMs: 20_000 });
    assert.deepEqual(await fetchTt(groupId, 7, true), ['unstable', 'unstable'], 'still pending after the restart');
    assert.deepEqual(await fetchTt(groupId, 7, false), [-1n, 555n]);
    assert.equal(await tb.broker.groups.completeTransaction(p, 4242n, 3, 0, true, 5000), ErrorCode.NONE);
    assert.deepEqual(await fetchTt(groupId, 7, true), [100n, 555n], 'the plain commit made during the transaction is the later record: it stays');

    const log = tb.broker.topics.partitionLog(OFFSETS_TOPIC, p)!;
    const batches = decodeRecordSetSync(await log.read(0, 1 << 20, { maxOffset: log.logEndOffset }));
    const mine = batches.filter((b) => (isTransactional(b.header.attributes) && b.header.producerId === 4242n) || b.records.some((x) => !isControl(b.header.attributes) && (() => { const k = decodeOffsetsKey(x.key!); return k.type === 'offset' && k.group === groupId; })()));
    assert.deepEqual(
      mine.map((b) => ({ txn: isTransactional(b.header.attributes), control: isControl(b.header.attributes), pid: b.header.producerId, epoch: b.header.producerEpoch, seq: b.header.baseSequence, n: b.records.length })),
      [
        { txn: true, control: false, pid: 4242n, epoch: 3, seq: 0, n: 2 },
        { txn: false, control: false, pid: -1n, epoch: -1, seq: -1, n: 1 },
        { txn: true, control: true, pid: 4242n, epoch: 3, seq: -1, n: 1 },
      ],
    );
    const marker = mine[2]!;
    assert.deepEqual(decodeEndTxnMarker(marker.records[0]!.key, marker.records[0]!.value, marker.header.producerId, marker.header.producerEpoch), { producerId: 4242n, producerEpoch: 3, coordinatorEpoch: 0, commit: true });

    await c.close();
    await tb.restart();
    await tb.broker.groups.loaded;
    c = await connect(tb, { requestTimeoutMs: 20_000 });
    assert.deepEqual(await fetchTt(groupId, 8, true), [100n, 555n], 'a reload replays the marker');
  });

  test('with real transactions: v3 needs AddOffsetsToTxn (KIP-890 verify), v5 adds the partition itself; EndTxn commits the offsets', async () => {
    // A restarted broker has the check the broker wires in (the fake was set on the first one only).
    await c.close();
    await tb.restart();
    await tb.broker.groups.loaded;
    c = await connect(tb, { requestTimeoutMs: 20_000 });
    for (const [v, id] of [[3, 'tx-real-v3'], [5, 'tx-real-v5']] as const) {
      const groupId = `txn-real-v${v}`;
      const init = await c.send(ApiKey.InitProducerId, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false }, { version: 5 });
      assert.equal(init.errorCode, 0);
      const over = { transactionalId: id, producerEpoch: init.producerEpoch };
      const commit = (): Promise<TxnOffsetCommitResponse> => c.send(ApiKey.TxnOffsetCommit, txnCommit(groupId, init.producerId, [['tt', 0, 40n], ['tt', 1, 41n]], over), { version: v });
      if (v < 5) {
        // Not in the transaction yet: refused, nothing pending.
        const refused = answered(await commit());
        assert.ok(refused.every(([, , code]) => code !== 0), `v${v} without AddOffsetsToTxn: ${JSON.stringify(refused)}`);
        assert.deepEqual(await fetchTt(groupId, 8, true), [-1n, -1n]);
        const ao = await c.send(ApiKey.AddOffsetsToTxn, { transactionalId: id, producerId: init.producerId, producerEpoch: init.producerEpoch, groupId }, { version: 3 });
        assert.equal(ao.errorCode, 0);
      }
      assert.deepEqual(answered(await commit()), [['tt', 0, 0], ['tt', 1, 0]], `v${v}`);
      assert.deepEqual(await fetchTt(groupId, 8, true), ['unstable', 'unstable']);
      const end = await c.send(ApiKey.EndTxn, { transactionalId: id, producerId: init.producerId, producerEpoch: init.producerEpoch, committed: true }, { version: v < 5 ? 4 : 5 });
      assert.equal(end.errorCode, 0);
      // The marker reaches the group's partition after EndTxn's answer: poll with a deadline.
      const deadline = Date.now() + 10_000;
      let seen = await fetchTt(groupId, 8, true);
      while (seen[0] !== 40n && Date.now() < deadline) {
        await new Promise<void>((r) => setImmediate(r));
        seen = await fetchTt(groupId, 8, true);
      }
      assert.deepEqual(seen, [40n, 41n]);
    }
  });
});

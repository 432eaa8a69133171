// Transactional offset commits on the group coordinator (memory storage, manual clock): offsets
// stay pending until the transaction's marker; COMMIT makes them the group's (unless a later plain
// commit of the partition came meanwhile), ABORT drops them; require_stable answers
// UNSTABLE_OFFSET_COMMIT while pending; a restart mid-transaction keeps them pending; fencing by
// producer and coordinator epoch; Kafka's member checks; deletes and retention with pending
// offsets; the transaction coordinator's verification seam. Every test checks that replaying the
// stored records (a second coordinator on the same storage) gives the same state.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { ErrorCode } from '../../src/protocol/errors.js';
import {
  GroupCoordinator,
  ManualClock,
  partitionForGroup,
  decodeOffsetsKey,
  type GroupCoordinatorConfig,
  type GroupCoordinatorOptions,
  type JoinGroupRequestData,
  type TopicPartitionsError,
  type TxnOffsetCommitRequestData,
} from '../../src/broker/coordinator/index.js';
import { MemoryStorage } from './helpers/memory-storage.js';

const PARTITIONS = 4;
const TA = '11111111-1111-1111-1111-111111111111';

interface Env {
  clock: ManualClock;
  storage: MemoryStorage;
  gc: GroupCoordinator;
}

function setup(opts: { config?: Partial<GroupCoordinatorConfig>; storage?: MemoryStorage; clock?: ManualClock; verify?: GroupCoordinatorOptions['verifyTransaction'] } = {}): Env {
  const storage = opts.storage ?? new MemoryStorage(PARTITIONS);
  const clock = opts.clock ?? new ManualClock();
  const gc = new GroupCoordinator({
    storage,
    clock,
    config: { initialRebalanceDelayMs: 0, minSessionTimeoutMs: 1000, offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 600_000, ...opts.config },
    topicPartitions: (t) => (t === 'topic-a' ? 4 : undefined),
    topics: () => [{ name: 'topic-a', topicId: TA, partitions: 4 }],
    checkReplay: true,
    ...(opts.verify ? { verifyTransaction: opts.verify } : {}),
  });
  gc.start();
  return { clock, storage, gc };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await tick();
}

function txnReq(groupId: string, producerId: bigint, offsets: Array<[number, bigint]>, over: Partial<TxnOffsetCommitRequestData> = {}): TxnOffsetCommitRequestData {
  return {
    transactionalId: `tx-${producerId}`,
    groupId,
    producerId,
    producerEpoch: 0,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [{ name: 'topic-a', partitions: offsets.map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: 3, committedMetadata: `m${committedOffset}` })) }],
    apiVersion: 3,
    ...over,
  };
}

function codes(r: TopicPartitionsError[]): number[] {
  return r.flatMap((t) => t.partitions.map((p) => p.errorCode));
}

/** Committed offsets of topic-a partitions (-1 when none), or the error a partition answers. */
function fetch(env: Env, groupId: string, partitions: number[], requireStable = false): Array<bigint | string> {
  const r = env.gc.fetchOffsets(groupId, [{ name: 'topic-a', partitionIndexes: partitions }], requireStable);
  assert.equal(r.errorCode, ErrorCode.NONE);
  return r.topics[0]!.partitions.map((p) => (p.errorCode === ErrorCode.NONE ? p.committedOffset : p.errorCode === ErrorCode.UNSTABLE_OFFSET_COMMIT ? 'unstable' : `error ${p.errorCode}`));
}

async function commitPlain(env: Env, groupId: string, offsets: Array<[number, bigint]>): Promise<number[]> {
  return codes(
    await env.gc.commitOffsets({
      groupId,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      apiVersion: 8,
      topics: [{ name: 'topic-a', partitions: offsets.map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' })) }],
    }),
  );
}

function end(env: Env, groupId: string, producerId: bigint, commit: boolean, over: { producerEpoch?: number; coordinatorEpoch?: number } = {}): Promise<number> {
  return env.gc.completeTransaction(partitionForGroup(groupId, PARTITIONS), producerId, over.producerEpoch ?? 0, over.coordinatorEpoch ?? 0, commit, 5000);
}

/** The state a second coordinator loading the same records builds equals this one's (and every write replayed as computed). */
async function assertReloads(env: Env): Promise<Env> {
  await settle();
  assert.deepEqual(env.gc.replayMismatches(), []);
  const before = env.gc.snapshot();
  env.gc.close();
  const again = setup({ storage: env.storage, clock: env.clock });
  await again.gc.loaded;
  assert.deepStrictEqual(again.gc.snapshot(), before, 'a reload of the stored records gives the same state');
  return again;
}

function joinReq(groupId: string, over: Partial<JoinGroupRequestData> = {}): JoinGroupRequestData {
  return {
    groupId,
    memberId: '',
    groupInstanceId: null,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0, 255, 255, 255, 255]) }],
    clientId: 'c',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: false,
    supportsSkipAssignment: false,
    ...over,
  };
}

/** A one-member classic group, Stable at generation 1. */
async function classicMember(env: Env, groupId: string, groupInstanceId: string | null = null): Promise<{ memberId: string; generation: number }> {
  await env.gc.ensureStorage();
  const joining = env.gc.joinGroup(joinReq(groupId, { groupInstanceId }));
  await settle();
  env.clock.advance(0);
  await settle();
  const j = await joining;
  assert.equal(j.errorCode, ErrorCode.NONE);
  const s = await env.gc.syncGroup({ groupId, generationId: j.generationId, memberId: j.memberId, groupInstanceId, protocolType: null, protocolName: null, assignments: [{ memberId: j.memberId, assignment: Buffer.alloc(0) }] });
  assert.equal(s.errorCode, ErrorCode.NONE);
  return { memberId: j.memberId, generation: j.generationId };
}

describe('transactional offset commits', () => {
  test('pending until COMMIT: the group sees the old offsets, require_stable sees UNSTABLE_OFFSET_COMMIT; then the new ones', async () => {
    let env = setup();
    await env.gc.ensureStorage();
    assert.deepEqual(await commitPlain(env, 'g', [[0, 1n]]), [ErrorCode.NONE]);
    assert.deepEqual(codes(await env.gc.txnOffsetCommit(txnReq('g', 7n, [[0, 10n], [1, 11n]]))), [ErrorCode.NONE, ErrorCode.NONE]);
    assert.deepEqual(fetch(env, 'g', [0, 1, 2]), [1n, -1n, -1n], 'read_uncommitted readers see the committed offsets only');
    assert.deepEqual(fetch(env, 'g', [0, 1, 2], true), ['unstable', 'unstable', -1n]);
    // "All offsets" lists the committed partitions; a pending one among them is unstable.
    const all = env.gc.fetchOffsets('g', null, true);
    assert.deepEqual(all.topics.map((t) => t.partitions.map((p) => [p.partitionIndex, p.errorCode])), [[[0, ErrorCode.UNSTABLE_OFFSET_COMMIT]]]);
    // The records are one transactional batch of the producer in the group's partition.
    const p = partitionForGroup('g', PARTITIONS);
    assert.deepEqual(env.storage.transactional(p).map((e) => [decodeOffsetsKey(e.key).type, e.producerId, e.producerEpoch]), [['offset', 7n, 0], ['offset', 7n, 0]]);
    env = await assertReloads(env);
    assert.equal(await end(env, 'g', 7n, true), ErrorCode.NONE);
    assert.deepEqual(env.storage.markers(p), [{ producerId: 7n, producerEpoch: 0, coordinatorEpoch: 0, commit: true }]);
    assert.deepEqual(fetch(env, 'g', [0, 1], true), [10n, 11n]);
    const r = env.gc.fetchOffsets('g', [{ name: 'topic-a', partitionIndexes: [1] }]);
    assert.deepEqual(r.topics[0]!.partitions[0], { partitionIndex: 1, committedOffset: 11n, committedLeaderEpoch: 3, metadata: 'm11', errorCode: ErrorCode.NONE });
    env = await assertReloads(env);
    assert.deepEqual(fetch(env, 'g', [0, 1]), [10n, 11n]);
    env.gc.close();
  });

  test('ABORT drops them; a marker for a producer without pending offsets changes nothing', async () => {
    let env = setup();
    await env.gc.ensureStorage();
    await commitPlain(env, 'g', [[0, 1n]]);
    await env.gc.txnOffsetCommit(txnReq('g', 7n, [[0, 10n], [1, 11n]]));
    assert.equal(await end(env, 'g', 7n, false), ErrorCode.NONE);
    assert.deepEqual(fetch(env, 'g', [0, 1], true), [1n, -1n]);
    assert.equal(await end(env, 'g', 8n, true), ErrorCode.NONE);
    assert.deepEqual(fetch(env, 'g', [0, 1], true), [1n, -1n]);
    env = await assertReloads(env);
    assert.deepEqual(fetch(env, 'g', [0, 1], true), [1n, -1n]);
    env.gc.close();
  });

  test('a restart mid-transaction keeps the offsets pending; the marker after the restart commits them', async () => {
    let env = setup();
    await env.gc.ensureStorage();
    await env.gc.txnOffsetCommit(txnReq('g', 7n, [[2, 20n]]));
    await env.gc.txnOffsetCommit(txnReq('g', 7n, [[2, 21n], [3, 30n]]));
    await env.gc.txnOffsetCommit(txnReq('h', 7n, [[0, 5n]]));
    env = await assertReloads(env);
    assert.deepEqual(fetch(env, 'g', [2, 3], true), ['unstable', 'unstable']);
    assert.deepEqual(fetch(env, 'g', [2, 3]), [-1n, -1n]);
    // One marker per __consumer_offsets partition the transaction touched (g and h may share one).
    const parts = new Set([partitionForGroup('g', PARTITIONS), partitionForGroup('h', PARTITIONS)]);
    for (const p of parts) assert.equal(await env.gc.completeTransaction(p, 7n, 0, 0, true, 5000), ErrorCode.NONE);
    assert.deepEqual(fetch(env, 'g', [2, 3], true), [21n, 30n], 'the last offset of the transaction for a partition wins');
    assert.deepEqual(fetch(env, 'h', [0], true), [5n]);
    env = await assertReloads(env);
    env.gc.close();
  });

  test('plain commits made while the transaction is open: the later record wins at COMMIT, after a reload too', async () => {
    let env = setup();
    await env.gc.ensureStorage();
    await commitPlain(env, 'g', [[0, 1n]]); // before the transaction
    await env.gc.txnOffsetCommit(txnReq('g', 7n, [[0, 10n], [1, 11n]]));
    await commitPlain(env, 'g', [[1, 50n]]); // during: a later record than the transaction's
    assert.deepEqual(fetch(env, 'g', [0, 1]), [1n, 50n]);
    assert.deepEqual(fetch(env, 'g', [0, 1], true), ['unstable', 'unstable']);
    await env.gc.txnOffsetCommit(txnReq('g', 7n, [[2, 12n]]));
    assert.equal(await end(env, 'g', 7n, true), ErrorCode.NONE);
    assert.deepEqual(fetch(env, 'g', [0, 1, 2]), [10n, 50n, 12n], 'partition 0: the transaction is later; partition 1: the plain commit is');
    env = await assertReloads(env);
    assert.deepEqual(fetch(env, 'g', [0, 1, 2]), [10n, 50n, 12n]);
    env.gc.close();
  });

  test('two producers on one group: each marker ends only its own offsets', async () => {
    let env = setup();
    await env.gc.ensureStorage();
    await env.gc.txnOffsetCommit(txnReq('g', 1n, [[0, 10n]]));
    await env.gc.txnOffsetCommit(txnReq('g', 2n, [[0, 20n], [1, 21n]]));
    assert.equal(await end(env, 'g', 2n, true), ErrorCode.NONE);
    assert.deepEqual(fetch(env, 'g', [0, 1], true), ['unstable', 21n], 'producer 1 still holds partition 0');
    assert.deepEqual(fetch(env, 'g', [0, 1]), [20n, 21n]);
    env = await assertReloads(env);
    assert.equal(await end(env, 'g', 1n, true), ErrorCode.NONE);
    // Producer 1's record of partition 0 is older than producer 2's (committed first): it does not go back.
    assert.deepEqual(fetch(env, 'g', [0, 1], true), [20n, 21n]);
    env = await assertReloads(env);
    env.gc.close();
  });

  test('fencing: an older producer epoch is refused for offsets and markers, an older coordinator epoch for markers', async () => {
    let env = setup();
    await env.gc.ensureStorage();
    assert.deepEqual(codes(await env.gc.txnOffsetCommit(txnReq('g', 7n, [[0, 10n]], { producerEpoch: 3 }))), [ErrorCode.NONE]);
    assert.deepEqual(codes(await env.gc.txnOffsetCommit(txnReq('g', 7n, [[0, 99n]], { producerEpoch: 2 }))), [ErrorCode.INVALID_PRODUCER_EPOCH], 'a zombie producer');
    assert.equal(await end(env, 'g', 7n, true, { producerEpoch: 2, coordinatorEpoch: 5 }), ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(await end(env, 'g', 7n, false, { producerEpoch: 3, coordinatorEpoch: 5 }), ErrorCode.NONE);
    assert.equal(await end(env, 'g', 7n, true, { producerEpoch: 3, coordinatorEpoch: 4 }), ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    assert.deepEqual(fetch(env, 'g', [0], true), [-1n], 'aborted; the refused writes left nothing');
    env = await assertReloads(env);
    env.gc.close();
  });

  test('a marker waits for a TxnOffsetCommit whose append is in flight, and later writes wait for the marker', async () => {
    const env = setup();
    await env.gc.ensureStorage();
    let release!: () => void;
    env.storage.gate = new Promise<void>((r) => (release = r));
    const commit = env.gc.txnOffsetCommit(txnReq('g', 7n, [[0, 10n]]));
    await settle(); // the commit reaches the runtime: its append waits at the gate
    const marker = env.gc.completeTransaction(partitionForGroup('g', PARTITIONS), 7n, 0, 0, true, 5000);
    const after = commitPlain(env, 'g', [[1, 5n]]);
    const other = commitPlain(env, 'g2', [[1, 5n]]); // another group of the same partition
    await settle();
    assert.equal(env.storage.started, 1, 'only the TxnOffsetCommit is being appended: the marker waits for it, the commits (of any group of the partition) for the marker');
    env.storage.gate = null;
    release();
    assert.deepEqual(codes(await commit), [ErrorCode.NONE]);
    assert.equal(await marker, ErrorCode.NONE);
    assert.deepEqual(await after, [ErrorCode.NONE]);
    assert.deepEqual(await other, [ErrorCode.NONE]);
    const log = env.storage.partitions[partitionForGroup('g', PARTITIONS)]!;
    assert.deepEqual(
      log.filter((e) => {
        if (e.marker) return true;
        const k = decodeOffsetsKey(e.key);
        return k.type === 'offset' && k.group === 'g';
      }).map((e) => (e.marker ? 'marker' : e.producerId === 7n ? 'txn' : 'plain')),
      ['txn', 'marker', 'plain'],
      'log order is the order of the requests',
    );
    assert.deepEqual(fetch(env, 'g', [0, 1], true), [10n, 5n]);
    await assertReloads(env).then((e) => e.gc.close());
  });

  test('markers answer NOT_COORDINATOR for a partition not loaded, COORDINATOR_LOAD_IN_PROGRESS while loading; a failed append is retriable', async () => {
    const env = setup();
    assert.equal(await env.gc.completeTransaction(0, 7n, 0, 0, true, 5000), ErrorCode.NOT_COORDINATOR, '__consumer_offsets does not exist yet');
    await env.gc.ensureStorage();
    env.gc.unload(1);
    assert.equal(await env.gc.completeTransaction(1, 7n, 0, 0, true, 5000), ErrorCode.NOT_COORDINATOR);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const loadStorage = env.storage;
    const origLoad = loadStorage.load.bind(loadStorage);
    loadStorage.load = async (...args) => {
      await gate;
      return origLoad(...args);
    };
    const loading = env.gc.load(1);
    assert.equal(await env.gc.completeTransaction(1, 7n, 0, 0, true, 5000), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    release();
    await loading;
    env.storage.failAppends = new Error('disk gone');
    assert.equal(await env.gc.completeTransaction(1, 7n, 0, 0, true, 5000), ErrorCode.COORDINATOR_NOT_AVAILABLE);
    env.gc.close();
    assert.equal(await env.gc.completeTransaction(1, 7n, 0, 0, true, 5000), ErrorCode.NOT_COORDINATOR);
  });

  test('OFFSET_METADATA_TOO_LARGE per partition; an empty group id is INVALID_GROUP_ID', async () => {
    const env = setup({ config: { offsetMetadataMaxBytes: 4 } });
    await env.gc.ensureStorage();
    const req = txnReq('g', 7n, [[0, 10n], [1, 11n]]);
    req.topics[0]!.partitions[1]!.committedMetadata = 'too long';
    assert.deepEqual(codes(await env.gc.txnOffsetCommit(req)), [ErrorCode.NONE, ErrorCode.OFFSET_METADATA_TOO_LARGE]);
    assert.deepEqual(codes(await env.gc.txnOffsetCommit(txnReq('', 7n, [[0, 1n]]))), [ErrorCode.INVALID_GROUP_ID]);
    await end(env, 'g', 7n, true);
    assert.deepEqual(fetch(env, 'g', [0, 1]), [10n, -1n]);
    env.gc.close();
  });

  test('the transaction coordinator verification seam: its error goes to every partition (NETWORK_EXCEPTION as COORDINATOR_LOAD_IN_PROGRESS)', async () => {
    const seen: unknown[] = [];
    let answer: number = ErrorCode.INVALID_TXN_STATE;
    const env = setup({
      verify: async (r) => {
        seen.push(r);
        return answer;
      },
    });
    await env.gc.ensureStorage();
    assert.deepEqual(codes(await env.gc.txnOffsetCommit(txnReq('g', 7n, [[0, 10n], [1, 1n]], { apiVersion: 5, producerEpoch: 2 }))), [ErrorCode.INVALID_TXN_STATE, ErrorCode.INVALID_TXN_STATE]);
    assert.deepEqual(seen, [{ transactionalId: 'tx-7', producerId: 7n, producerEpoch: 2, groupId: 'g', partition: partitionForGroup('g', PARTITIONS), apiVersion: 5 }]);
    answer = ErrorCode.NETWORK_EXCEPTION;
    assert.deepEqual(codes(await env.gc.txnOffsetCommit(txnReq('g', 7n, [[0, 10n]]))), [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
    answer = ErrorCode.NONE;
    assert.deepEqual(codes(await env.gc.txnOffsetCommit(txnReq('g', 7n, [[0, 10n]]))), [ErrorCode.NONE]);
    assert.equal(env.storage.transactional(partitionForGroup('g', PARTITIONS)).length, 1, 'refused commits wrote nothing');
    env.gc.close();
  });
});

describe('transactional offset commits: group membership checks (Kafka rules)', () => {
  test('no group: generation -1 makes a simple group, a generation is ILLEGAL_GENERATION', async () => {
    const env = setup();
    await env.gc.ensureStorage();
    assert.deepEqual(codes(await env.gc.txnOffsetCommit(txnReq('none', 7n, [[0, 1n]], { generationId: 3, memberId: 'm' }))), [ErrorCode.ILLEGAL_GENERATION]);
    assert.deepEqual(codes(await env.gc.txnOffsetCommit(txnReq('simple', 7n, [[0, 1n]]))), [ErrorCode.NONE]);
    assert.equal(env.gc.group('simple')?.state, 'Empty', 'the pending offset made a simple group');
    await assertReloads(env).then((e) => e.gc.close());
  });

  test('classic group: member, instance and generation checked at v3+; no member (v0-v2) passes, even mid-rebalance', async () => {
    let env = setup();
    const { memberId, generation } = await classicMember(env, 'cg', 'inst-1');
    const commit = (over: Partial<TxnOffsetCommitRequestData>): Promise<number[]> => env.gc.txnOffsetCommit(txnReq('cg', 7n, [[0, 1n]], over)).then(codes);
    assert.deepEqual(await commit({ generationId: generation, memberId, groupInstanceId: 'inst-1' }), [ErrorCode.NONE]);
    assert.deepEqual(await commit({ generationId: generation + 1, memberId, groupInstanceId: 'inst-1' }), [ErrorCode.ILLEGAL_GENERATION]);
    assert.deepEqual(await commit({ generationId: generation, memberId: 'someone-else', groupInstanceId: null }), [ErrorCode.UNKNOWN_MEMBER_ID]);
    assert.deepEqual(await commit({ generationId: generation, memberId: 'someone-else', groupInstanceId: 'inst-1' }), [ErrorCode.FENCED_INSTANCE_ID]);
    assert.deepEqual(await commit({ generationId: generation, memberId, groupInstanceId: 'inst-unknown' }), [ErrorCode.UNKNOWN_MEMBER_ID]);
    assert.deepEqual(await commit({ generationId: -1, memberId, groupInstanceId: null }), [ErrorCode.ILLEGAL_GENERATION], 'a member id with generation -1 of a non-empty group');
    assert.deepEqual(await commit({ apiVersion: 2 }), [ErrorCode.NONE], 'v0-v2: no member information, accepted');
    // A second member joins: the group rebalances; a transactional commit of the current generation still goes.
    const other = env.gc.joinGroup(joinReq('cg'));
    await settle();
    assert.equal(env.gc.group('cg')!.state, 'PreparingRebalance');
    assert.deepEqual(await commit({ generationId: generation, memberId, groupInstanceId: 'inst-1' }), [ErrorCode.NONE], 'no REBALANCE_IN_PROGRESS for transactional commits');
    const rejoin = env.gc.joinGroup(joinReq('cg', { memberId, groupInstanceId: 'inst-1' }));
    await settle();
    await Promise.all([rejoin, other]);
    assert.equal(env.gc.group('cg')!.state, 'CompletingRebalance');
    assert.deepEqual(await commit({ generationId: generation + 1, memberId, groupInstanceId: 'inst-1' }), [ErrorCode.NONE], 'nor while completing it');
    assert.equal(await end(env, 'cg', 7n, true), ErrorCode.NONE);
    assert.deepEqual(fetch(env, 'cg', [0]), [1n]);
    env = await assertReloads(env);
    env.gc.close();
  });

  test('consumer (KIP-848) group: member and member epoch, a stale epoch is ILLEGAL_GENERATION; epoch -1 without a member passes', async () => {
    let env = setup();
    await env.gc.ensureStorage();
    const hb = await env.gc.consumerGroupHeartbeat({
      groupId: 'kg',
      memberId: '',
      memberEpoch: 0,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ['topic-a'],
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: [],
      clientId: 'c',
      clientHost: '/127.0.0.1',
      apiVersion: 0,
    });
    assert.equal(hb.errorCode, ErrorCode.NONE);
    const memberId = hb.memberId!;
    const epoch = hb.memberEpoch;
    const commit = (over: Partial<TxnOffsetCommitRequestData>): Promise<number[]> => env.gc.txnOffsetCommit(txnReq('kg', 9n, [[0, 4n]], over)).then(codes);
    assert.deepEqual(await commit({ generationId: epoch, memberId }), [ErrorCode.NONE]);
    assert.deepEqual(await commit({ generationId: epoch + 1, memberId }), [ErrorCode.ILLEGAL_GENERATION]);
    assert.deepEqual(await commit({ generationId: epoch - 1, memberId }), [ErrorCode.ILLEGAL_GENERATION]);
    assert.deepEqual(await commit({ generationId: epoch, memberId: 'nobody' }), [ErrorCode.UNKNOWN_MEMBER_ID]);
    assert.deepEqual(await commit({ apiVersion: 2 }), [ErrorCode.NONE], 'no member information (v0-v2): accepted');
    assert.deepEqual(await commit({ generationId: -1, memberId: 'nobody' }), [ErrorCode.UNKNOWN_MEMBER_ID]);
    assert.equal(await end(env, 'kg', 9n, true), ErrorCode.NONE);
    assert.deepEqual(fetch(env, 'kg', [0]), [4n]);
    env = await assertReloads(env);
    env.gc.close();
  });
});

describe('transactional offset commits: deletes and retention', () => {
  test('DeleteGroups writes tombstones for pending-only partitions too; the later COMMIT brings nothing back', async () => {
    let env = setup();
    await env.gc.ensureStorage();
    await commitPlain(env, 'g', [[0, 1n]]);
    await env.gc.txnOffsetCommit(txnReq('g', 7n, [[0, 10n], [1, 11n]]));
    const p = partitionForGroup('g', PARTITIONS);
    const before = env.storage.partitions[p]!.length;
    assert.deepEqual(await env.gc.deleteGroups(['g']), [{ groupId: 'g', errorCode: ErrorCode.NONE }]);
    const tombstones = env.storage.partitions[p]!.slice(before).filter((e) => e.value === null).map((e) => decodeOffsetsKey(e.key));
    assert.deepEqual(
      tombstones.map((k) => (k.type === 'offset' ? `offset ${k.partition}` : k.type)),
      ['offset 0', 'offset 1', 'group'],
      'one tombstone per partition (committed or pending), then the group',
    );
    assert.deepEqual(fetch(env, 'g', [0, 1], true), [-1n, -1n], 'nothing pending any more');
    env = await assertReloads(env);
    assert.equal(await end(env, 'g', 7n, true), ErrorCode.NONE);
    assert.deepEqual(fetch(env, 'g', [0, 1], true), [-1n, -1n]);
    env = await assertReloads(env);
    env.gc.close();
  });

  test('OffsetDelete of a partition with only a pending offset writes its tombstone; retention keeps pending partitions and their group', async () => {
    let env = setup();
    await env.gc.ensureStorage();
    await commitPlain(env, 'g', [[0, 1n], [1, 2n]]);
    await env.gc.txnOffsetCommit(txnReq('g', 7n, [[1, 20n], [2, 30n]]));
    const r = await env.gc.deleteOffsets('g', [{ name: 'topic-a', partitions: [{ partitionIndex: 2 }] }]);
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.deepEqual(fetch(env, 'g', [2], true), [-1n], 'the pending offset of partition 2 went with the tombstone');
    env.clock.advance(120_000); // past offsets.retention.ms (60 s)
    assert.equal(await env.gc.cleanupExpiredOffsets(), 1, 'partition 0 expires; partition 1 has a pending offset');
    assert.deepEqual(fetch(env, 'g', [0, 1]), [-1n, 2n]);
    assert.ok(env.gc.group('g'), 'the group stays while a transaction holds offsets of it');
    env = await assertReloads(env);
    assert.equal(await end(env, 'g', 7n, true), ErrorCode.NONE);
    assert.deepEqual(fetch(env, 'g', [1, 2], true), [20n, -1n]);
    env.clock.advance(120_000);
    assert.equal(await env.gc.cleanupExpiredOffsets(), 1);
    await settle();
    assert.equal(env.gc.group('g'), undefined, 'with nothing left the group goes');
    env = await assertReloads(env);
    env.gc.close();
  });

  test('a deleted topic takes its pending offsets too', async () => {
    let env = setup();
    await env.gc.ensureStorage();
    await env.gc.txnOffsetCommit(txnReq('g', 7n, [[3, 30n]]));
    assert.equal(await env.gc.onTopicsDeleted(['topic-a']), 1);
    assert.deepEqual(fetch(env, 'g', [3], true), [-1n]);
    await end(env, 'g', 7n, true);
    assert.deepEqual(fetch(env, 'g', [3], true), [-1n]);
    env = await assertReloads(env);
    env.gc.close();
  });
});

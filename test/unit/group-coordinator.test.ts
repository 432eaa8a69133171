// The classic group coordinator's state machine, driven by a manual clock (no sleeps): joins,
// syncs, heartbeats, rebalances on join / leave / session expiry / rebalance timeout, the initial
// rebalance delay, static membership, every error code, offsets, persistence and reload,
// retention, hostile metadata, and many groups at once.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { ErrorCode } from '../../src/protocol/errors.js';
import {
  GroupCoordinator,
  ManualClock,
  javaStringHashCode,
  partitionForGroup,
  decodeOffsetsKey,
  decodeOffsetCommitValue,
  decodeGroupMetadataValue,
  encodeGroupMetadataValue,
  encodeOffsetCommitValue,
  type GroupCoordinatorConfig,
  type JoinGroupRequestData,
  type JoinGroupResult,
  type SyncGroupResult,
  type StoredRecord,
} from '../../src/broker/coordinator/index.js';
import { MemoryStorage } from './helpers/memory-storage.js';

const SESSION = 10_000;
const REBALANCE = 30_000;

interface Env {
  clock: ManualClock;
  storage: MemoryStorage;
  gc: GroupCoordinator;
}

function setup(config: Partial<GroupCoordinatorConfig> = {}, storage = new MemoryStorage(8), clock = new ManualClock()): Env {
  const gc = new GroupCoordinator({
    storage,
    clock,
    config: { initialRebalanceDelayMs: 0, minSessionTimeoutMs: 1000, ...config },
    topicPartitions: (t) => (t === 'topic-a' ? 4 : t === 'topic-b' ? 2 : undefined),
  });
  gc.start();
  return { clock, storage, gc };
}

function sub(...topics: string[]): Buffer {
  // ConsumerProtocolSubscription v0: version, topics, userData (null)
  const parts: Buffer[] = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1]!.writeInt32BE(topics.length);
  for (const t of topics) {
    const b = Buffer.alloc(2);
    b.writeInt16BE(Buffer.byteLength(t));
    parts.push(b, Buffer.from(t));
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  return Buffer.concat(parts);
}

function joinReq(groupId: string, over: Partial<JoinGroupRequestData> = {}): JoinGroupRequestData {
  return {
    groupId,
    memberId: '',
    groupInstanceId: null,
    sessionTimeoutMs: SESSION,
    rebalanceTimeoutMs: REBALANCE,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: sub('topic-a') }],
    clientId: 'client',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: false,
    supportsSkipAssignment: false,
    ...over,
  };
}

/** A promise's state without waiting for it. */
function track<T>(p: Promise<T>): { done: () => boolean; value: () => T; p: Promise<T> } {
  let settled = false;
  let v: T;
  void p.then((x) => {
    settled = true;
    v = x;
  });
  return { done: () => settled, value: () => v!, p };
}

/** Lets queued promise callbacks (storage appends, responses) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await tick();
}

async function advance(env: Env, ms: number): Promise<void> {
  await settle();
  env.clock.advance(ms);
  await settle();
}

/** Joins `n` dynamic members and syncs them into a Stable generation; returns their ids (leader first). */
async function stableGroup(env: Env, groupId: string, n: number, over: Partial<JoinGroupRequestData> = {}): Promise<{ ids: string[]; generation: number }> {
  const joins = Array.from({ length: n }, (_, i) => track(env.gc.joinGroup(joinReq(groupId, { clientId: `c${i}`, ...over }))));
  await advance(env, 0);
  const results = await Promise.all(joins.map((j) => j.p));
  for (const r of results) assert.equal(r.errorCode, ErrorCode.NONE);
  const leader = results.find((r) => r.leader === r.memberId)!;
  const generation = leader.generationId;
  const ids = [leader.memberId, ...results.filter((r) => r !== leader).map((r) => r.memberId)];
  const syncs = ids.map((id) =>
    env.gc.syncGroup({
      groupId,
      generationId: generation,
      memberId: id,
      groupInstanceId: over.groupInstanceId ?? null,
      protocolType: null,
      protocolName: null,
      assignments: id === leader.memberId ? ids.map((m) => ({ memberId: m, assignment: Buffer.from(`assignment-of-${m}`) })) : [],
    }),
  );
  const synced = await Promise.all(syncs);
  for (const [i, s] of synced.entries()) {
    assert.equal(s.errorCode, ErrorCode.NONE);
    assert.equal(s.assignment.toString(), `assignment-of-${ids[i]}`);
  }
  assert.equal(env.gc.group(groupId)!.state, 'Stable');
  return { ids, generation };
}

function hb(env: Env, groupId: string, memberId: string, generationId: number, groupInstanceId: string | null = null): number {
  return env.gc.heartbeat({ groupId, memberId, generationId, groupInstanceId });
}

describe('group coordinator state machine', () => {
  test('KIP-394: MEMBER_ID_REQUIRED, then join, sync, heartbeat; leader gets the members metadata', async () => {
    const env = setup();
    const first = await env.gc.joinGroup(joinReq('g1', { requireKnownMemberId: true }));
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.match(first.memberId, /^client-[0-9a-f-]{36}$/);
    assert.equal(env.gc.group('g1')!.state, 'Empty');
    const j = track(env.gc.joinGroup(joinReq('g1', { requireKnownMemberId: true, memberId: first.memberId })));
    await advance(env, 0);
    const r = j.value();
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.generationId, 1);
    assert.equal(r.leader, first.memberId);
    assert.equal(r.protocolName, 'range');
    assert.equal(r.protocolType, 'consumer');
    assert.deepEqual(r.members.map((m) => m.memberId), [first.memberId]);
    assert.deepEqual(r.members[0]!.metadata, sub('topic-a'));
    assert.equal(env.gc.group('g1')!.state, 'CompletingRebalance');
    assert.equal(hb(env, 'g1', first.memberId, 1), ErrorCode.NONE, 'heartbeats are fine while completing the rebalance');
    const s = await env.gc.syncGroup({ groupId: 'g1', generationId: 1, memberId: first.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: first.memberId, assignment: Buffer.from('A') }] });
    assert.deepEqual(s, { errorCode: ErrorCode.NONE, protocolType: 'consumer', protocolName: 'range', assignment: Buffer.from('A') });
    assert.equal(env.gc.group('g1')!.state, 'Stable');
    assert.equal(hb(env, 'g1', first.memberId, 1), ErrorCode.NONE);
    // A pending member id that is never used expires with the session timeout.
    const pending = await env.gc.joinGroup(joinReq('g1', { requireKnownMemberId: true }));
    assert.equal(pending.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.equal(env.gc.group('g1')!.pendingMembers.size, 1);
    await advance(env, SESSION);
    assert.equal(env.gc.group('g1')!.pendingMembers.size, 0);
  });

  test('the protocol is chosen by the members votes among the protocols all of them support', async () => {
    const env = setup();
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(name) }));
    const joins = [
      track(env.gc.joinGroup(joinReq('g', { protocols: p('range', 'roundrobin', 'sticky') }))),
      track(env.gc.joinGroup(joinReq('g', { protocols: p('roundrobin', 'range', 'sticky') }))),
      track(env.gc.joinGroup(joinReq('g', { protocols: p('sticky', 'roundrobin') }))),
      track(env.gc.joinGroup(joinReq('g', { protocols: p('roundrobin', 'sticky') }))),
    ];
    await advance(env, 0);
    // Candidates: roundrobin, sticky (range is not supported by all). Votes: rr, rr, sticky, rr.
    for (const j of joins) assert.equal(j.value().protocolName, 'roundrobin');
    const leader = joins.find((j) => j.value().members.length > 0)!.value();
    assert.equal(leader.members.length, 4);
    assert.deepEqual(leader.members.map((m) => m.metadata.toString()), ['roundrobin', 'roundrobin', 'roundrobin', 'roundrobin']);
    assert.equal(joins.filter((j) => j.value().members.length === 0).length, 3, 'followers get no member list');
    // A newcomer with no common protocol is refused, as is another protocol type.
    assert.equal((await env.gc.joinGroup(joinReq('g', { protocols: p('range') }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal((await env.gc.joinGroup(joinReq('g', { protocolType: 'connect', protocols: p('sticky') }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    // The first member of an empty group needs a protocol type and a protocol.
    assert.equal((await env.gc.joinGroup(joinReq('other', { protocolType: '' }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal((await env.gc.joinGroup(joinReq('other2', { protocols: [] }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  test('a new member triggers a rebalance; existing members learn it from heartbeats and rejoin', async () => {
    const env = setup();
    const { ids: [a], generation } = await stableGroup(env, 'g', 1);
    const b = track(env.gc.joinGroup(joinReq('g', { clientId: 'b' })));
    await settle();
    assert.equal(env.gc.group('g')!.state, 'PreparingRebalance');
    assert.equal(b.done(), false, 'the join waits for the existing member');
    assert.equal(hb(env, 'g', a!, generation), ErrorCode.REBALANCE_IN_PROGRESS);
    const sync = await env.gc.syncGroup({ groupId: 'g', generationId: generation, memberId: a!, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    assert.equal(sync.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    const ra = await env.gc.joinGroup(joinReq('g', { memberId: a! }));
    await settle();
    assert.equal(ra.generationId, generation + 1);
    assert.equal(b.value().generationId, generation + 1);
    assert.equal(ra.leader, a, 'the leader stays the leader');
    assert.equal(ra.members.length, 2);
    assert.equal(b.value().members.length, 0);
    assert.equal(env.gc.group('g')!.state, 'CompletingRebalance');
    // A stale generation is refused.
    assert.equal(hb(env, 'g', a!, generation), ErrorCode.ILLEGAL_GENERATION);
  });

  test('a graceful leave rebalances at once (no session wait); the last leave empties the group', async () => {
    const env = setup();
    const { ids, generation } = await stableGroup(env, 'g', 3);
    const [a, b, c] = ids as [string, string, string];
    const left = env.gc.leaveGroup('g', [{ memberId: b, groupInstanceId: null }]);
    assert.deepEqual(left, { errorCode: ErrorCode.NONE, members: [{ memberId: b, groupInstanceId: null, errorCode: ErrorCode.NONE }] });
    assert.equal(env.gc.group('g')!.state, 'PreparingRebalance');
    assert.equal(hb(env, 'g', a, generation), ErrorCode.REBALANCE_IN_PROGRESS);
    assert.equal(hb(env, 'g', b, generation), ErrorCode.UNKNOWN_MEMBER_ID);
    const ja = track(env.gc.joinGroup(joinReq('g', { memberId: a })));
    const jc = track(env.gc.joinGroup(joinReq('g', { memberId: c })));
    await settle(); // no clock movement needed
    assert.equal(ja.value().generationId, generation + 1);
    assert.equal(jc.value().generationId, generation + 1);
    assert.deepEqual(ja.value().members.map((m) => m.memberId).sort(), [a, c].sort());
    // Batched leave (v3+) of both, plus one unknown member.
    const r = env.gc.leaveGroup('g', [
      { memberId: a, groupInstanceId: null },
      { memberId: c, groupInstanceId: null },
      { memberId: 'nobody', groupInstanceId: null },
    ]);
    assert.deepEqual(r.members.map((m) => m.errorCode), [ErrorCode.NONE, ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
    const g = env.gc.group('g')!;
    assert.equal(g.state, 'Empty');
    assert.equal(g.generationId, generation + 2);
    assert.equal(env.gc.leaveGroup('no-such-group', [{ memberId: 'x', groupInstanceId: null }]).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test('a member that stops heartbeating is removed at its session timeout and the group rebalances', async () => {
    const env = setup();
    const { ids, generation } = await stableGroup(env, 'g', 2);
    const [a, b] = ids as [string, string];
    await advance(env, SESSION - 1000);
    assert.equal(hb(env, 'g', a, generation), ErrorCode.NONE);
    await advance(env, 999);
    assert.equal(env.gc.group('g')!.state, 'Stable', 'b still within its session');
    await advance(env, 1);
    assert.equal(env.gc.group('g')!.state, 'PreparingRebalance');
    assert.equal(env.gc.group('g')!.members.has(b), false);
    assert.equal(hb(env, 'g', a, generation), ErrorCode.REBALANCE_IN_PROGRESS);
    const ja = await env.gc.joinGroup(joinReq('g', { memberId: a }));
    assert.equal(ja.generationId, generation + 1);
    assert.deepEqual(ja.members.map((m) => m.memberId), [a]);
  });

  test('rebalance.timeout.ms bounds the join phase: members that do not rejoin are removed', async () => {
    const env = setup();
    const { ids, generation } = await stableGroup(env, 'g', 2, { sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 5000 });
    const [a, b] = ids as [string, string];
    const c = track(env.gc.joinGroup(joinReq('g', { clientId: 'c', sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 5000 })));
    const ja = track(env.gc.joinGroup(joinReq('g', { memberId: a, sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 5000 })));
    await advance(env, 4999);
    assert.equal(ja.done(), false);
    await advance(env, 1);
    assert.equal(ja.value().errorCode, ErrorCode.NONE);
    assert.equal(ja.value().generationId, generation + 1);
    assert.equal(c.value().generationId, generation + 1);
    assert.deepEqual(ja.value().members.map((m) => m.memberId).sort(), [a, c.value().memberId].sort());
    assert.equal(env.gc.group('g')!.members.has(b), false);
    assert.equal(hb(env, 'g', b, generation + 1), ErrorCode.UNKNOWN_MEMBER_ID);
    // Members that never send SyncGroup are removed after the rebalance timeout too.
    await advance(env, 5000);
    assert.equal(env.gc.group('g')!.members.size, 0, 'neither synced: both removed');
    assert.equal(env.gc.group('g')!.state, 'Empty');
    assert.equal(env.gc.group('g')!.generationId, generation + 2);
  });

  test('group.initial.rebalance.delay.ms delays the first rebalance and extends while members arrive', async () => {
    const env = setup({ initialRebalanceDelayMs: 3000 });
    const a = track(env.gc.joinGroup(joinReq('g', { rebalanceTimeoutMs: 10_000 })));
    await advance(env, 2000);
    const b = track(env.gc.joinGroup(joinReq('g', { rebalanceTimeoutMs: 10_000 })));
    await advance(env, 1000); // t=3000: a member arrived during the delay -> another 3000
    assert.equal(a.done(), false);
    await advance(env, 2999);
    assert.equal(a.done(), false);
    await advance(env, 1); // t=6000
    assert.equal(a.value().generationId, 1);
    assert.equal(b.value().generationId, 1);
    assert.equal(a.value().leader, a.value().memberId);

    // Never beyond the rebalance timeout: members arriving every 2 s stop extending at 5000.
    const env2 = setup({ initialRebalanceDelayMs: 3000 });
    const first = track(env2.gc.joinGroup(joinReq('g', { rebalanceTimeoutMs: 5000 })));
    for (let t = 0; t < 4; t++) {
      await advance(env2, 2000);
      void env2.gc.joinGroup(joinReq('g', { rebalanceTimeoutMs: 5000 }));
    }
    // Delays: 3000 (new member) + min(3000, 2000) = 5000, then completes.
    assert.equal(first.done(), true);
    assert.equal(env2.clock.now() - 1_700_000_000_000, 8000);
  });

  test('group.min/max.session.timeout.ms, group.max.size, unknown members, invalid group id', async () => {
    const env = setup({ minSessionTimeoutMs: 6000, maxSessionTimeoutMs: 60_000, maxGroupSize: 2 });
    assert.equal((await env.gc.joinGroup(joinReq('g', { sessionTimeoutMs: 5999 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal((await env.gc.joinGroup(joinReq('g', { sessionTimeoutMs: 60_001 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal((await env.gc.joinGroup(joinReq('', {}))).errorCode, ErrorCode.INVALID_GROUP_ID);
    assert.equal((await env.gc.joinGroup(joinReq('nope', { memberId: 'ghost' }))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    const { ids } = await stableGroup(env, 'g', 2);
    assert.equal((await env.gc.joinGroup(joinReq('g'))).errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
    assert.equal((await env.gc.joinGroup(joinReq('g', { requireKnownMemberId: true }))).errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
    // As in Kafka, a full group refuses an id it does not know before looking it up.
    assert.equal((await env.gc.joinGroup(joinReq('g', { memberId: 'ghost' }))).errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
    assert.equal(hb(env, 'g', 'ghost', 1), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(hb(env, 'nope', 'ghost', 1), ErrorCode.UNKNOWN_MEMBER_ID);
    const sync = (memberId: string, generationId: number, extra: { protocolType?: string; protocolName?: string } = {}) =>
      env.gc.syncGroup({ groupId: 'g', generationId, memberId, groupInstanceId: null, protocolType: extra.protocolType ?? null, protocolName: extra.protocolName ?? null, assignments: [] });
    assert.equal((await sync('ghost', 1)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await sync(ids[1]!, 7)).errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal((await sync(ids[1]!, 1, { protocolName: 'roundrobin' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal((await sync(ids[1]!, 1, { protocolType: 'connect' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    // A Stable group answers a repeated SyncGroup with the member's assignment.
    assert.equal((await sync(ids[1]!, 1)).assignment.toString(), `assignment-of-${ids[1]}`);
    // A follower rejoining with unchanged metadata gets the current generation without a rebalance.
    const again = await env.gc.joinGroup(joinReq('g', { memberId: ids[1]!, clientId: 'c1' }));
    assert.equal(again.generationId, 1);
    assert.equal(env.gc.group('g')!.state, 'Stable');
  });

  test('COORDINATOR_LOAD_IN_PROGRESS while __consumer_offsets is being loaded', async () => {
    const storage = new MemoryStorage(8);
    const first = setup({}, storage);
    await stableGroup(first, 'g', 1);
    first.gc.close();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = Object.assign(Object.create(storage) as MemoryStorage, {
      load: async (p: number, cb: (r: StoredRecord) => void) => {
        await gate;
        return storage.load(p, cb);
      },
    });
    const env = setup({}, slow);
    assert.equal(hb(env, 'g', 'x', 1), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    assert.equal((await env.gc.joinGroup(joinReq('g'))).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    assert.equal(env.gc.fetchOffsets('g', null).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    assert.equal(env.gc.listGroups([], []).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    release();
    await env.gc.loaded;
    assert.equal(env.gc.group('g')!.state, 'Stable');
    assert.equal(env.gc.listGroups([], []).errorCode, ErrorCode.NONE);
  });

  test('static membership (KIP-345): a restarted instance gets its assignment back without a rebalance; the old one is fenced', async () => {
    const env = setup();
    const ja = track(env.gc.joinGroup(joinReq('g', { groupInstanceId: 'i-a', clientId: 'a' })));
    const jb = track(env.gc.joinGroup(joinReq('g', { groupInstanceId: 'i-b', clientId: 'b' })));
    await advance(env, 0);
    const leader = [ja.value(), jb.value()].find((r) => r.members.length > 0)!;
    assert.deepEqual(leader.members.map((m) => m.groupInstanceId).sort(), ['i-a', 'i-b']);
    const idA = ja.value().memberId;
    const idB = jb.value().memberId;
    const gen = leader.generationId;
    const assignments = [
      { memberId: idA, assignment: Buffer.from('partitions-of-a') },
      { memberId: idB, assignment: Buffer.from('partitions-of-b') },
    ];
    const syncs = [ja.value(), jb.value()].map((r, i) =>
      env.gc.syncGroup({ groupId: 'g', generationId: gen, memberId: r.memberId, groupInstanceId: i === 0 ? 'i-a' : 'i-b', protocolType: null, protocolName: null, assignments: r === leader ? assignments : [] }),
    );
    await Promise.all(syncs);
    assert.equal(env.gc.group('g')!.state, 'Stable');

    // b restarts: joins with no member id, same instance id.
    const rb = await env.gc.joinGroup(joinReq('g', { groupInstanceId: 'i-b', clientId: 'b' }));
    assert.equal(rb.errorCode, ErrorCode.NONE);
    assert.notEqual(rb.memberId, idB);
    assert.equal(rb.generationId, gen, 'no new generation');
    assert.equal(env.gc.group('g')!.state, 'Stable', 'no rebalance');
    const sb = await env.gc.syncGroup({ groupId: 'g', generationId: gen, memberId: rb.memberId, groupInstanceId: 'i-b', protocolType: null, protocolName: null, assignments: [] });
    assert.equal(sb.assignment.toString(), 'partitions-of-b');
    // The old instance is fenced everywhere.
    assert.equal(hb(env, 'g', idB, gen, 'i-b'), ErrorCode.FENCED_INSTANCE_ID);
    assert.equal((await env.gc.joinGroup(joinReq('g', { memberId: idB, groupInstanceId: 'i-b' }))).errorCode, ErrorCode.FENCED_INSTANCE_ID);
    const oldSync = await env.gc.syncGroup({ groupId: 'g', generationId: gen, memberId: idB, groupInstanceId: 'i-b', protocolType: null, protocolName: null, assignments: [] });
    assert.equal(oldSync.errorCode, ErrorCode.FENCED_INSTANCE_ID);
    const commit = await env.gc.commitOffsets({ groupId: 'g', generationId: gen, memberId: idB, groupInstanceId: 'i-b', retentionTimeMs: -1, apiVersion: 8, topics: [{ name: 'topic-a', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }] });
    assert.equal(commit[0]!.partitions[0]!.errorCode, ErrorCode.FENCED_INSTANCE_ID);
    assert.equal(env.gc.leaveGroup('g', [{ memberId: idB, groupInstanceId: 'i-b' }]).members[0]!.errorCode, ErrorCode.FENCED_INSTANCE_ID);
    assert.equal(hb(env, 'g', rb.memberId, gen, 'i-b'), ErrorCode.NONE);
    // The static leader restarting keeps its role without reassigning (old leader id in v<9).
    const ra = await env.gc.joinGroup(joinReq('g', { groupInstanceId: 'i-a', clientId: 'a' }));
    assert.equal(ra.leader, idA);
    assert.notEqual(ra.memberId, idA);
    assert.equal(ra.members.length, 0);
    const ra9 = await env.gc.joinGroup(joinReq('g', { groupInstanceId: 'i-a', clientId: 'a', supportsSkipAssignment: true }));
    assert.equal(ra9.leader, ra9.memberId);
    assert.equal(ra9.skipAssignment, true);
    assert.equal(ra9.members.length, 2);
    assert.equal(env.gc.group('g')!.generationId, gen);
    // A static member with new protocols rebalances.
    const changed = track(env.gc.joinGroup(joinReq('g', { groupInstanceId: 'i-b', protocols: [{ name: 'range', metadata: sub('topic-a', 'topic-b') }] })));
    await settle();
    assert.equal(changed.done(), true, 'same protocol name: still no rebalance');
    assert.equal(env.gc.group('g')!.state, 'Stable');
    // A static member leaving by instance id rebalances at once.
    assert.equal(env.gc.leaveGroup('g', [{ memberId: '', groupInstanceId: 'i-b' }]).members[0]!.errorCode, ErrorCode.NONE);
    assert.equal(env.gc.group('g')!.state, 'PreparingRebalance');
    assert.equal(env.gc.leaveGroup('g', [{ memberId: '', groupInstanceId: 'i-zzz' }]).members[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test('offsets: member commits with generation checks, standalone commits, fetch, errors', async () => {
    const env = setup({ offsetMetadataMaxBytes: 10 });
    const part = (partitionIndex: number, offset: bigint, metadata: string | null = 'm') => ({ partitionIndex, committedOffset: offset, committedLeaderEpoch: 3, commitTimestamp: -1n, committedMetadata: metadata });
    const commit = (groupId: string, generationId: number, memberId: string, topics: Array<{ name: string; partitions: ReturnType<typeof part>[] }>, apiVersion = 8) =>
      env.gc.commitOffsets({ groupId, generationId, memberId, groupInstanceId: null, retentionTimeMs: -1, topics, apiVersion });
    const codes = (r: Awaited<ReturnType<typeof commit>>) => r.flatMap((t) => t.partitions.map((p) => p.errorCode));

    // Standalone consumer: generation -1, no member id.
    assert.deepEqual(codes(await commit('solo', -1, '', [{ name: 'topic-a', partitions: [part(0, 10n), part(1, 11n, null)] }])), [0, 0]);
    const f = env.gc.fetchOffsets('solo', [{ name: 'topic-a', partitionIndexes: [0, 1, 2] }, { name: 'unknown', partitionIndexes: [0] }]);
    assert.deepEqual(f, {
      errorCode: 0,
      topics: [
        { name: 'topic-a', partitions: [
          { partitionIndex: 0, committedOffset: 10n, committedLeaderEpoch: 3, metadata: 'm', errorCode: 0 },
          { partitionIndex: 1, committedOffset: 11n, committedLeaderEpoch: 3, metadata: '', errorCode: 0 },
          { partitionIndex: 2, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
        ] },
        { name: 'unknown', partitions: [{ partitionIndex: 0, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }] },
      ],
    });
    assert.deepEqual(env.gc.fetchOffsets('solo', null).topics.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)]), [['topic-a', [10n, 11n]]]);
    assert.deepEqual(env.gc.fetchOffsets('nobody', null), { errorCode: 0, topics: [] });
    assert.equal(env.gc.group('solo')!.state, 'Empty');
    assert.equal(env.gc.group('solo')!.protocolType, null);

    // Unknown topic or partition, and metadata too large.
    assert.deepEqual(codes(await commit('solo', -1, '', [{ name: 'nope', partitions: [part(0, 1n)] }, { name: 'topic-b', partitions: [part(2, 1n), part(1, 1n, 'x'.repeat(11)), part(0, 1n, 'x'.repeat(10))] }])), [
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.OFFSET_METADATA_TOO_LARGE,
      ErrorCode.NONE,
    ]);
    // A group that does not exist, with a generation: ILLEGAL_GENERATION (v9: GROUP_ID_NOT_FOUND).
    assert.deepEqual(codes(await commit('ghost', 1, 'm', [{ name: 'topic-a', partitions: [part(0, 1n)] }])), [ErrorCode.ILLEGAL_GENERATION]);
    assert.deepEqual(codes(await commit('ghost', 1, 'm', [{ name: 'topic-a', partitions: [part(0, 1n)] }], 9)), [ErrorCode.GROUP_ID_NOT_FOUND]);
    assert.equal(env.gc.group('ghost'), undefined);

    // A managed group.
    const { ids, generation } = await stableGroup(env, 'g', 2);
    const tp = [{ name: 'topic-a', partitions: [part(0, 5n)] }];
    assert.deepEqual(codes(await commit('g', generation, ids[0]!, tp)), [ErrorCode.NONE]);
    assert.deepEqual(codes(await commit('g', generation + 1, ids[0]!, tp)), [ErrorCode.ILLEGAL_GENERATION]);
    assert.deepEqual(codes(await commit('g', generation, 'ghost', tp)), [ErrorCode.UNKNOWN_MEMBER_ID]);
    assert.deepEqual(codes(await commit('g', -1, '', tp)), [ErrorCode.UNKNOWN_MEMBER_ID], 'standalone commits need an empty group');
    // During PreparingRebalance the current generation may still commit; during CompletingRebalance not.
    void env.gc.joinGroup(joinReq('g', { clientId: 'new' }));
    await settle();
    assert.deepEqual(codes(await commit('g', generation, ids[1]!, tp)), [ErrorCode.NONE]);
    void env.gc.joinGroup(joinReq('g', { memberId: ids[0]! }));
    void env.gc.joinGroup(joinReq('g', { memberId: ids[1]! }));
    await settle();
    assert.equal(env.gc.group('g')!.state, 'CompletingRebalance');
    assert.deepEqual(codes(await commit('g', generation + 1, ids[1]!, tp)), [ErrorCode.REBALANCE_IN_PROGRESS]);
  });

  test('persistence: Kafka record formats, and a new coordinator on the same log gets groups, members and offsets back', async () => {
    const env = setup();
    const { ids, generation } = await stableGroup(env, 'grp', 2);
    await env.gc.commitOffsets({ groupId: 'grp', generationId: generation, memberId: ids[0]!, groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8, topics: [{ name: 'topic-a', partitions: [{ partitionIndex: 3, committedOffset: 42n, committedLeaderEpoch: 7, commitTimestamp: -1n, committedMetadata: 'meta' }] }] });
    await env.gc.commitOffsets({ groupId: 'solo', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8, topics: [{ name: 'topic-b', partitions: [{ partitionIndex: 1, committedOffset: 9n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }] });
    const p = partitionForGroup('grp', 8);
    const recs = env.storage.partitions[p]!;
    const groupRec = recs.filter((r) => decodeOffsetsKey(r.key).type === 'group').at(-1)!;
    assert.equal(groupRec.key.toString('hex'), '00020003677270', 'GroupMetadataKey v2');
    const gv = decodeGroupMetadataValue(groupRec.value!);
    assert.equal(groupRec.value!.readInt16BE(0), 3, 'GroupMetadataValue v3');
    assert.equal(gv.generation, generation);
    assert.equal(gv.protocolType, 'consumer');
    assert.equal(gv.protocol, 'range');
    assert.equal(gv.leader, ids[0]);
    assert.deepEqual(gv.members.map((m) => m.assignment.toString()).sort(), ids.map((id) => `assignment-of-${id}`).sort());
    const offRec = recs.find((r) => decodeOffsetsKey(r.key).type === 'offset')!;
    assert.deepEqual(decodeOffsetsKey(offRec.key), { type: 'offset', group: 'grp', topic: 'topic-a', partition: 3 });
    assert.equal(offRec.key.readInt16BE(0), 1, 'OffsetCommitKey v1');
    assert.equal(offRec.value!.readInt16BE(0), 3, 'OffsetCommitValue v3');
    assert.deepEqual(decodeOffsetCommitValue(offRec.value!), { offset: 42n, leaderEpoch: 7, metadata: 'meta', commitTimestamp: env.clock.now(), expireTimestamp: -1 });
    env.gc.close();

    const again = setup({}, env.storage, env.clock);
    await again.gc.loaded;
    const g = again.gc.group('grp')!;
    assert.equal(g.state, 'Stable');
    assert.equal(g.generationId, generation);
    assert.deepEqual([...g.members.keys()].sort(), [...ids].sort());
    assert.deepEqual(again.gc.fetchOffsets('grp', null).topics[0]!.partitions[0], { partitionIndex: 3, committedOffset: 42n, committedLeaderEpoch: 7, metadata: 'meta', errorCode: 0 });
    assert.equal(again.gc.fetchOffsets('solo', null).topics[0]!.partitions[0]!.committedOffset, 9n);
    // A loaded member syncs and gets its assignment; heartbeats are accepted.
    const s = await again.gc.syncGroup({ groupId: 'grp', generationId: generation, memberId: ids[1]!, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    assert.equal(s.assignment.toString(), `assignment-of-${ids[1]}`);
    assert.equal(hb(again, 'grp', ids[0]!, generation), ErrorCode.NONE);
    // Members that never come back expire after their session timeout.
    await advance(again, SESSION);
    assert.equal(again.gc.group('grp')!.members.has(ids[1]!), false);
    // Old value versions read too (v0/v1 offsets, v0-v2 group values written by older Kafka).
    const v1 = encodeOffsetCommitValue({ offset: 5n, leaderEpoch: -1, metadata: 'x', commitTimestamp: 1, expireTimestamp: 2 });
    assert.equal(v1.readInt16BE(0), 1);
    assert.deepEqual(decodeOffsetCommitValue(v1), { offset: 5n, leaderEpoch: -1, metadata: 'x', commitTimestamp: 1, expireTimestamp: 2 });
    const gvBytes = encodeGroupMetadataValue({ ...gv, members: [] });
    assert.deepEqual(decodeGroupMetadataValue(gvBytes).members, []);
  });

  test('DeleteGroups and OffsetDelete write tombstones; a reload does not bring them back', async () => {
    const env = setup();
    const commit = (groupId: string, topic: string, partitionIndex: number, generationId = -1, memberId = '') =>
      env.gc.commitOffsets({ groupId, generationId, memberId, groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8, topics: [{ name: topic, partitions: [{ partitionIndex, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }] });
    await commit('del', 'topic-a', 0);
    await commit('del', 'topic-b', 0);
    const { ids, generation } = await stableGroup(env, 'busy', 1);
    await commit('busy', 'topic-a', 1, generation, ids[0]!);
    await commit('busy', 'topic-b', 1, generation, ids[0]!);
    assert.deepEqual(await env.gc.deleteGroups(['del', 'busy', 'none']), [
      { groupId: 'del', errorCode: ErrorCode.NONE },
      { groupId: 'busy', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'none', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    assert.equal(env.gc.group('del'), undefined);
    assert.equal(env.gc.describeGroup('del').groupState, 'Dead');
    // OffsetDelete: busy subscribes to topic-a (stableGroup's subscription), not topic-b.
    const od = await env.gc.deleteOffsets('busy', [
      { name: 'topic-a', partitions: [{ partitionIndex: 1 }] },
      { name: 'topic-b', partitions: [{ partitionIndex: 1 }] },
      { name: 'nope', partitions: [{ partitionIndex: 0 }] },
    ]);
    assert.deepEqual(od.topics.map((t) => t.partitions[0]!.errorCode), [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    assert.equal((await env.gc.deleteOffsets('none', [])).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.deepEqual(env.gc.fetchOffsets('busy', null).topics.map((t) => t.name), ['topic-a']);
    env.gc.close();
    const again = setup({}, env.storage, env.clock);
    await again.gc.loaded;
    assert.equal(again.gc.group('del'), undefined);
    assert.deepEqual(again.gc.fetchOffsets('busy', null).topics.map((t) => t.name), ['topic-a']);
  });

  test('offsets of an empty group expire after offsets.retention.minutes; the group goes with them', async () => {
    const env = setup({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 });
    const { ids, generation } = await stableGroup(env, 'g', 1, { sessionTimeoutMs: 1_000_000 });
    await env.gc.commitOffsets({ groupId: 'g', generationId: generation, memberId: ids[0]!, groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8, topics: [{ name: 'topic-b', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }, { name: 'topic-a', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }] });
    await advance(env, 100_000);
    assert.deepEqual(env.gc.fetchOffsets('g', null).topics.map((t) => t.name), ['topic-a'], 'a Stable group keeps the offsets of topics it subscribes to only (KIP-496)');
    env.gc.leaveGroup('g', [{ memberId: ids[0]!, groupInstanceId: null }]);
    assert.equal(env.gc.group('g')!.state, 'Empty');
    await advance(env, 50_000);
    assert.equal(env.gc.fetchOffsets('g', null).topics.length, 1);
    await advance(env, 20_000); // empty for 70 s; checked at 60 s... and 70 s
    assert.equal(env.gc.fetchOffsets('g', null).topics.length, 0);
    assert.equal(env.gc.group('g'), undefined, 'an empty group without offsets is removed');
    const tombstones = env.storage.partitions[partitionForGroup('g', 8)]!.filter((r) => r.value === null).map((r) => decodeOffsetsKey(r.key).type);
    assert.deepEqual(tombstones.sort(), ['group', 'offset', 'offset']);
  });

  test('hostile protocol metadata and assignments do not break the group', async () => {
    const env = setup();
    const garbage = Buffer.from([0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3]);
    const big = Buffer.alloc(1 << 20, 0xab);
    const j1 = track(env.gc.joinGroup(joinReq('g', { protocols: [{ name: 'range', metadata: garbage }] })));
    const j2 = track(env.gc.joinGroup(joinReq('g', { protocols: [{ name: 'range', metadata: big }, { name: 'range', metadata: garbage }] })));
    await advance(env, 0);
    assert.equal(j1.value().errorCode, 0);
    assert.equal(j2.value().errorCode, 0);
    const leader = [j1.value(), j2.value()].find((r) => r.members.length > 0)!;
    await Promise.all(
      [j1.value(), j2.value()].map((r) =>
        env.gc.syncGroup({ groupId: 'g', generationId: 1, memberId: r.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: r === leader ? [{ memberId: 'not-a-member', assignment: garbage }, { memberId: r.memberId, assignment: big }] : [] }),
      ),
    );
    assert.equal(env.gc.group('g')!.state, 'Stable');
    const d = env.gc.describeGroup('g');
    assert.equal(d.members.length, 2);
    // Unreadable subscriptions count as subscribed to everything (OffsetDelete refuses).
    const od = await env.gc.deleteOffsets('g', [{ name: 'topic-a', partitions: [{ partitionIndex: 0 }] }]);
    assert.equal(od.topics[0]!.partitions[0]!.errorCode, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
    await env.gc.cleanupExpiredOffsets();
    env.gc.close();
    const again = setup({}, env.storage, env.clock);
    await again.gc.loaded;
    assert.equal(again.gc.group('g')!.members.size, 2);
  });

  test('many groups and a large group at once', async () => {
    const env = setup();
    const joins: Array<Promise<JoinGroupResult>> = [];
    for (let g = 0; g < 500; g++) for (let m = 0; m < 4; m++) joins.push(env.gc.joinGroup(joinReq(`group-${g}`, { clientId: `m${m}` })));
    for (let m = 0; m < 300; m++) joins.push(env.gc.joinGroup(joinReq('big')));
    await advance(env, 0);
    const results = await Promise.all(joins);
    assert.ok(results.every((r) => r.errorCode === 0 && r.generationId === 1));
    assert.equal(env.gc.groupCount, 501);
    const bigLeader = results.slice(2000).find((r) => r.members.length > 0)!;
    assert.equal(bigLeader.members.length, 300);
    const syncs: Array<Promise<SyncGroupResult>> = results.slice(2000).map((r) =>
      env.gc.syncGroup({ groupId: 'big', generationId: 1, memberId: r.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: r === bigLeader ? bigLeader.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(m.memberId) })) : [] }),
    );
    const synced = await Promise.all(syncs);
    assert.ok(synced.every((s, i) => s.assignment.toString() === results[2000 + i]!.memberId));
    assert.equal(env.gc.listGroups(['stable'], []).groups.length, 1);
    assert.equal(env.gc.listGroups(['CompletingRebalance'], ['classic']).groups.length, 500);
    assert.equal(env.gc.listGroups([], ['consumer']).groups.length, 0);
  });
});

describe('group partition', () => {
  test('javaStringHashCode matches Java, and Integer.MIN_VALUE maps like Utils.abs', () => {
    assert.equal(javaStringHashCode(''), 0);
    assert.equal(javaStringHashCode('hello'), 99162322);
    assert.equal(javaStringHashCode('Aa'), javaStringHashCode('BB'));
    assert.equal(javaStringHashCode('my-group'), -1906497762);
    assert.equal(partitionForGroup('my-group', 50), (-1906497762 & 0x7fffffff) % 50);
    assert.equal(javaStringHashCode('polygenelubricants'), -2147483648);
    assert.equal(partitionForGroup('polygenelubricants', 50), 0);
    assert.equal(partitionForGroup('hello', 50), 99162322 % 50);
    assert.equal(javaStringHashCode('ü€😀'), (((0xfc * 31 + 0x20ac) * 31 + 0xd83d) * 31 + 0xde00) | 0);
  });
});

// KIP-848 consumer groups (ConsumerGroupHeartbeat): the coordinator's state machine on a manual
// clock (no sleeps) — joins, the uniform and range assignors, reconciliation that revokes before it
// assigns, leaves, session-timeout crashes, rebalance timeouts, fencing errors, subscription and
// topic-metadata changes, static members, offsets by member epoch, persistence in Kafka's record
// formats and reload — and the two APIs over the wire against an embedded broker.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import {
  GroupCoordinator,
  ManualClock,
  decodeOffsetsKey,
  decodeEpochValue,
  decodeConsumerGroupCurrentMemberAssignmentValue,
  decodeConsumerGroupMemberMetadataValue,
  type ConsumerGroupHeartbeatRequestData,
  type ConsumerGroupHeartbeatResult,
  type GroupCoordinatorConfig,
} from '../../src/broker/coordinator/index.js';
import { MemoryStorage } from './helpers/memory-storage.js';
import { uniformAssignor, rangeAssignor } from '../../src/broker/coordinator/assignors.js';
import { connect, createTopic, startBroker, topicId, type TestBroker } from './helpers/broker-client.js';
import { ZERO_UUID } from '../../src/protocol/primitives/index.js';

const TA = '11111111-1111-1111-1111-111111111111';
const TB = '22222222-2222-2222-2222-222222222222';
const SESSION = 45_000;
const INTERVAL = 5000;

interface Env {
  clock: ManualClock;
  storage: MemoryStorage;
  gc: GroupCoordinator;
  topics: Array<{ name: string; topicId: string; partitions: number }>;
}

function setup(config: Partial<GroupCoordinatorConfig> = {}, storage = new MemoryStorage(8), clock = new ManualClock(), topics?: Env['topics']): Env {
  const ts = topics ?? [
    { name: 'topic-a', topicId: TA, partitions: 6 },
    { name: 'topic-b', topicId: TB, partitions: 3 },
  ];
  const gc = new GroupCoordinator({
    storage,
    clock,
    config,
    topicPartitions: (n) => ts.find((t) => t.name === n)?.partitions,
    topics: () => ts,
  });
  gc.start();
  return { clock, storage, gc, topics: ts };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await tick();
}

/**
 * A consumer as the Java client behaves: it owns what the last answer assigned, gives up revoked
 * partitions at once, and reports what it owns whenever that changed.
 */
class Consumer {
  memberId = '';
  epoch = 0;
  owned = new Map<string, Set<number>>();
  private reportOwned = true;
  last: ConsumerGroupHeartbeatResult | null = null;

  constructor(
    private readonly env: Env,
    readonly groupId: string,
    readonly opts: { topics?: string[]; regex?: string; assignor?: string; instanceId?: string; name?: string } = {},
  ) {}

  async heartbeat(over: Partial<ConsumerGroupHeartbeatRequestData> = {}): Promise<ConsumerGroupHeartbeatResult> {
    const joining = this.epoch === 0;
    const r = await this.env.gc.consumerGroupHeartbeat({
      groupId: this.groupId,
      memberId: this.memberId,
      memberEpoch: this.epoch,
      instanceId: this.opts.instanceId ?? null,
      rackId: null,
      rebalanceTimeoutMs: joining ? 30_000 : -1,
      subscribedTopicNames: joining ? (this.opts.topics ?? (this.opts.regex ? null : ['topic-a'])) : null,
      subscribedTopicRegex: joining ? (this.opts.regex ?? null) : null,
      serverAssignor: joining ? (this.opts.assignor ?? null) : null,
      topicPartitions: joining || this.reportOwned ? [...this.owned].map(([topicId, ps]) => ({ topicId, partitions: [...ps] })) : null,
      clientId: this.opts.name ?? 'client',
      clientHost: '/127.0.0.1',
      apiVersion: 0,
      ...over,
    });
    this.last = r;
    this.reportOwned = false;
    if (r.errorCode !== ErrorCode.NONE) return r;
    this.memberId = r.memberId ?? this.memberId;
    this.epoch = r.memberEpoch;
    if (r.assignment) {
      const next = new Map(r.assignment.topicPartitions.map((t) => [t.topicId, new Set(t.partitions)]));
      if (!sameOwned(next, this.owned)) this.reportOwned = true;
      this.owned = next;
    }
    return r;
  }

  async leave(epoch = -1): Promise<ConsumerGroupHeartbeatResult> {
    const r = await this.env.gc.consumerGroupHeartbeat({
      groupId: this.groupId,
      memberId: this.memberId,
      memberEpoch: epoch,
      instanceId: this.opts.instanceId ?? null,
      rackId: null,
      rebalanceTimeoutMs: -1,
      subscribedTopicNames: null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: null,
      clientId: 'client',
      clientHost: '/127.0.0.1',
      apiVersion: 0,
    });
    this.owned = new Map();
    return r;
  }

  partitions(topicId = TA): number[] {
    return [...(this.owned.get(topicId) ?? [])].sort((a, b) => a - b);
  }

  count(): number {
    let n = 0;
    for (const s of this.owned.values()) n += s.size;
    return n;
  }
}

function sameOwned(a: Map<string, Set<number>>, b: Map<string, Set<number>>): boolean {
  const flat = (m: Map<string, Set<number>>): string =>
    [...m]
      .flatMap(([t, ps]) => [...ps].map((p) => `${t}:${p}`))
      .sort()
      .join(',');
  return flat(a) === flat(b);
}

/** No partition owned by two consumers at once. */
function assertDisjoint(cs: readonly Consumer[]): void {
  const seen = new Map<string, Consumer>();
  for (const c of cs) {
    for (const [t, ps] of c.owned) {
      for (const p of ps) {
        const k = `${t}:${p}`;
        assert.ok(!seen.has(k), `partition ${k} owned by two members`);
        seen.set(k, c);
      }
    }
  }
}

/** Heartbeats every consumer in turn until the group is Stable; checks disjointness after every step. */
async function converge(env: Env, cs: readonly Consumer[], rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    for (const c of cs) {
      const r = await c.heartbeat();
      assert.equal(r.errorCode, ErrorCode.NONE, `${c.opts.name ?? c.memberId}: ${r.errorMessage}`);
      assertDisjoint(cs);
    }
    if (env.gc.consumerGroup(cs[0]!.groupId)!.state() === 'Stable') {
      // one more round so every consumer has seen the final answer
      for (const c of cs) await c.heartbeat();
      return;
    }
  }
  assert.fail(`group did not become Stable: ${env.gc.consumerGroup(cs[0]!.groupId)!.state()}`);
}

describe('KIP-848 consumer group coordinator', () => {
  test('three members join: the uniform assignor gives balanced, disjoint, complete assignments', async () => {
    const env = setup();
    const cs = ['a', 'b', 'c'].map((n) => new Consumer(env, 'g', { name: n }));
    const first = await cs[0]!.heartbeat();
    assert.equal(first.errorCode, ErrorCode.NONE);
    assert.equal(first.heartbeatIntervalMs, INTERVAL);
    assert.equal(first.memberEpoch, 1);
    assert.match(first.memberId!, /^[A-Za-z0-9_-]{22}$/);
    assert.deepEqual(cs[0]!.partitions(), [0, 1, 2, 3, 4, 5]);
    await converge(env, cs);
    const g = env.gc.consumerGroup('g')!;
    assert.equal(g.state(), 'Stable');
    assert.equal(g.groupEpoch, 3);
    assert.equal(g.assignmentEpoch, 3);
    assert.deepEqual(
      cs.map((c) => c.count()),
      [2, 2, 2],
    );
    assert.deepEqual(cs.flatMap((c) => c.partitions()).sort(), [0, 1, 2, 3, 4, 5]);
    for (const c of cs) assert.equal(c.epoch, 3);
    // sticky: a kept partitions it had
    assert.ok(cs[0]!.partitions().every((p) => [0, 1, 2, 3, 4, 5].includes(p)));
  });

  test('reconciliation: a partition goes to its new owner only after the old owner revoked it', async () => {
    const env = setup();
    const a = new Consumer(env, 'g', { name: 'a' });
    const b = new Consumer(env, 'g', { name: 'b' });
    await a.heartbeat();
    assert.deepEqual(a.partitions(), [0, 1, 2, 3, 4, 5]);
    // b joins: epoch 2, target gives b three of a's partitions, but a still holds them.
    const rb = await b.heartbeat();
    assert.equal(rb.memberEpoch, 2);
    assert.deepEqual(b.partitions(), [], 'b gets nothing while a holds its partitions');
    const m = env.gc.consumerGroup('g')!.members.get(b.memberId)!;
    assert.equal(m.state, 2 /* UNRELEASED_PARTITIONS */);
    // a is asked to revoke: it keeps its epoch and three partitions.
    const ra = await a.heartbeat();
    assert.equal(ra.memberEpoch, 1, 'a stays at its epoch until it revoked');
    assert.equal(a.count(), 3);
    assert.equal(env.gc.consumerGroup('g')!.state(), 'Reconciling');
    // b still waits: a has not confirmed yet (its next heartbeat will).
    await b.heartbeat();
    assert.deepEqual(b.partitions(), []);
    // a confirms (reports its 3 owned partitions): it moves to epoch 2.
    const ra2 = await a.heartbeat();
    assert.equal(ra2.memberEpoch, 2);
    // now b gets the released partitions.
    const rb2 = await b.heartbeat();
    assert.ok(rb2.assignment);
    assert.equal(b.count(), 3);
    assertDisjoint([a, b]);
    assert.equal(env.gc.consumerGroup('g')!.state(), 'Stable');
  });

  test('a heartbeat that does not report its owned partitions does not complete a revocation', async () => {
    const env = setup();
    const a = new Consumer(env, 'g');
    const b = new Consumer(env, 'g');
    await a.heartbeat();
    await b.heartbeat();
    await a.heartbeat(); // asked to revoke
    // a heartbeat with topicPartitions null (no change reported): still revoking
    const r = await a.heartbeat({ topicPartitions: null });
    assert.equal(r.memberEpoch, 1);
    assert.equal(env.gc.consumerGroup('g')!.members.get(a.memberId)!.state, 1 /* UNREVOKED_PARTITIONS */);
  });

  test('the range assignor gives contiguous ranges per topic in member order', async () => {
    const env = setup({}, new MemoryStorage(8), new ManualClock(), [
      { name: 'topic-a', topicId: TA, partitions: 7 },
      { name: 'topic-b', topicId: TB, partitions: 3 },
    ]);
    const cs = ['x', 'y', 'z'].map((n) => new Consumer(env, 'g', { name: n, assignor: 'range', topics: ['topic-a', 'topic-b'] }));
    await converge(env, cs);
    assert.equal(env.gc.consumerGroup('g')!.assignorName, 'range');
    const ids = cs.map((c) => c.memberId);
    const order = [...cs].sort((p, q) => (p.memberId < q.memberId ? -1 : 1));
    assert.deepEqual(
      order.map((c) => c.partitions(TA)),
      [[0, 1, 2], [3, 4], [5, 6]],
    );
    assert.deepEqual(
      order.map((c) => c.partitions(TB)),
      [[0], [1], [2]],
    );
    assert.equal(new Set(ids).size, 3);
  });

  test('assignors directly: uniform balances heterogeneous subscriptions and is sticky; range is deterministic', () => {
    const members = [
      { memberId: 'm1', instanceId: null, subscribedTopicIds: new Set([TA]) },
      { memberId: 'm2', instanceId: null, subscribedTopicIds: new Set([TA, TB]) },
      { memberId: 'm3', instanceId: null, subscribedTopicIds: new Set([TB]) },
    ];
    const topics = new Map([
      [TA, 6],
      [TB, 3],
    ]);
    const u = uniformAssignor.assign({ members, topics, previous: new Map() });
    const sizes = members.map((m) => [...u.get(m.memberId)!.values()].reduce((n, s) => n + s.size, 0));
    assert.deepEqual(sizes, [3, 3, 3]);
    assert.ok(!u.get('m1')!.has(TB) && !u.get('m3')!.has(TA), 'only subscribed topics');
    // m2 leaves: m1 and m3 keep theirs and take m2's (no needless moves)
    const u2 = uniformAssignor.assign({ members: [members[0]!, members[2]!], topics, previous: u });
    for (const id of ['m1', 'm3']) for (const [t, ps] of u.get(id)!) for (const p of ps) assert.ok(u2.get(id)!.get(t)!.has(p));
    assert.equal(u2.get('m1')!.get(TA)!.size, 6);
    assert.equal(u2.get('m3')!.get(TB)!.size, 3);
    const r = rangeAssignor.assign({ members, topics, previous: new Map() });
    assert.deepEqual([...r.get('m1')!.get(TA)!], [0, 1, 2]);
    assert.deepEqual([...r.get('m2')!.get(TA)!], [3, 4, 5]);
    assert.deepEqual([...r.get('m2')!.get(TB)!], [0, 1]);
    assert.deepEqual([...r.get('m3')!.get(TB)!], [2]);
  });

  test('a member leaves (epoch -1): the group epoch moves on and the others take its partitions at once', async () => {
    const env = setup();
    const cs = ['a', 'b', 'c'].map((n) => new Consumer(env, 'g', { name: n }));
    await converge(env, cs);
    const epoch = env.gc.consumerGroup('g')!.groupEpoch;
    const r = await cs[1]!.leave();
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.memberEpoch, -1);
    assert.equal(r.memberId, cs[1]!.memberId);
    const g = env.gc.consumerGroup('g')!;
    assert.equal(g.groupEpoch, epoch + 1);
    assert.equal(g.members.size, 2);
    const rest = [cs[0]!, cs[2]!];
    await converge(env, rest);
    assert.deepEqual(
      rest.map((c) => c.count()),
      [3, 3],
    );
    // the leaver is gone
    const again = await cs[1]!.heartbeat();
    assert.equal(again.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test('a crashed member is removed at its session timeout; the survivors get its partitions', async () => {
    const env = setup({ consumerSessionTimeoutMs: SESSION });
    const cs = ['a', 'b', 'c'].map((n) => new Consumer(env, 'g', { name: n }));
    await converge(env, cs);
    const [a, b, c] = cs as [Consumer, Consumer, Consumer];
    // a and b keep heartbeating every interval; c is silent.
    for (let t = 0; t < SESSION - INTERVAL; t += INTERVAL) {
      env.clock.advance(INTERVAL);
      await a.heartbeat();
      await b.heartbeat();
    }
    assert.equal(env.gc.consumerGroup('g')!.members.size, 3, 'not before the session timeout');
    env.clock.advance(INTERVAL);
    await settle();
    assert.equal(env.gc.consumerGroup('g')!.members.size, 2);
    await converge(env, [a, b]);
    assert.deepEqual([a.count(), b.count()], [3, 3]);
    const r = await c.heartbeat();
    assert.equal(r.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    // c rejoins as a new member (epoch 0) and gets its share back
    c.epoch = 0;
    c.memberId = '';
    c.owned = new Map();
    await converge(env, [a, b, c]);
    assert.deepEqual([a.count(), b.count(), c.count()], [2, 2, 2]);
  });

  test('a member that does not revoke within its rebalance timeout is fenced', async () => {
    const env = setup({ consumerSessionTimeoutMs: 10 * 60_000 });
    const a = new Consumer(env, 'g');
    const b = new Consumer(env, 'g');
    await a.heartbeat();
    await b.heartbeat();
    await a.heartbeat(); // must revoke; rebalance timeout 30 s starts
    env.clock.advance(29_000);
    await b.heartbeat();
    assert.equal(env.gc.consumerGroup('g')!.members.size, 2);
    env.clock.advance(1000);
    await settle();
    assert.equal(env.gc.consumerGroup('g')!.members.size, 1);
    const r = await a.heartbeat({ topicPartitions: null });
    assert.equal(r.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    await b.heartbeat();
    assert.equal(b.count(), 6);
  });

  test('errors: FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID, GROUP_MAX_SIZE_REACHED, UNSUPPORTED_ASSIGNOR, INVALID_REQUEST', async () => {
    const env = setup({ consumerMaxSize: 2 });
    const a = new Consumer(env, 'g');
    await a.heartbeat();
    assert.equal((await a.heartbeat({ memberEpoch: a.epoch + 1 })).errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
    const b = new Consumer(env, 'g');
    await b.heartbeat();
    await a.heartbeat();
    await a.heartbeat(); // a at epoch 2 now
    assert.equal(a.epoch, 2);
    // an older epoch is accepted only as the previous epoch with owned partitions within the assignment
    assert.equal((await a.heartbeat({ memberEpoch: 1, topicPartitions: [{ topicId: TA, partitions: [0, 1, 2, 3, 4, 5] }] })).errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
    a.epoch = 2;
    const prev = await a.heartbeat({ memberEpoch: 1, topicPartitions: [...a.owned].map(([topicId, ps]) => ({ topicId, partitions: [...ps] })) });
    assert.equal(prev.errorCode, ErrorCode.NONE, 'a lost response: the previous epoch with a subset is fine');
    assert.equal((await a.heartbeat({ memberEpoch: 0 - 0 + 1 - 1 + 0, memberId: a.memberId, topicPartitions: [], rebalanceTimeoutMs: 1000, subscribedTopicNames: ['topic-a'] })).errorCode, ErrorCode.NONE, 'rejoin with epoch 0');
    assert.equal((await new Consumer(env, 'g').heartbeat()).errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
    assert.equal((await new Consumer(env, 'g2', { assignor: 'sticky' }).heartbeat()).errorCode, ErrorCode.UNSUPPORTED_ASSIGNOR);
    assert.equal((await new Consumer(env, 'g2').heartbeat({ memberId: 'nobody', memberEpoch: 3 })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await new Consumer(env, 'g').heartbeat({ memberId: 'nobody', memberEpoch: 3 })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await new Consumer(env, '').heartbeat()).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await new Consumer(env, 'g3').heartbeat({ rebalanceTimeoutMs: -1 })).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await new Consumer(env, 'g3').heartbeat({ subscribedTopicNames: null })).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await new Consumer(env, 'g3').heartbeat({ topicPartitions: [{ topicId: TA, partitions: [1] }] })).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await new Consumer(env, 'g3').heartbeat({ memberEpoch: 5 })).errorCode, ErrorCode.INVALID_REQUEST, 'no member id');
    assert.equal((await new Consumer(env, 'g3').heartbeat({ memberEpoch: -3, memberId: 'x' })).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await new Consumer(env, 'g3', { regex: '(' }).heartbeat()).errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION);
  });

  test('static members: epoch -2 keeps the partitions; the rejoining instance gets them back; an active instance id is UNRELEASED_INSTANCE_ID', async () => {
    const env = setup();
    const a = new Consumer(env, 'g', { instanceId: 'ia', name: 'a' });
    const b = new Consumer(env, 'g', { instanceId: 'ib', name: 'b' });
    await converge(env, [a, b]);
    const mine = a.partitions();
    const epoch = env.gc.consumerGroup('g')!.groupEpoch;
    // a second process with instance id ia while a is active
    assert.equal((await new Consumer(env, 'g', { instanceId: 'ia' }).heartbeat()).errorCode, ErrorCode.UNRELEASED_INSTANCE_ID);
    const r = await a.leave(-2);
    assert.equal(r.memberEpoch, -2);
    assert.equal(env.gc.consumerGroup('g')!.groupEpoch, epoch, 'a static leave does not rebalance');
    await b.heartbeat();
    assert.equal(b.count(), 3, 'b does not get the absent member partitions');
    const a2 = new Consumer(env, 'g', { instanceId: 'ia', name: 'a2' });
    const r2 = await a2.heartbeat();
    assert.equal(r2.errorCode, ErrorCode.NONE);
    assert.notEqual(a2.memberId, a.memberId);
    assert.deepEqual(a2.partitions(), mine, 'the same partitions, at once');
    assert.equal(env.gc.consumerGroup('g')!.groupEpoch, epoch);
    // the old member id is fenced
    assert.equal((await a.heartbeat({ memberEpoch: epoch })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await a.heartbeat({ memberEpoch: epoch, memberId: a.memberId, instanceId: 'ia' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await a2.heartbeat({ memberId: b.memberId, memberEpoch: b.epoch, instanceId: 'ia' })).errorCode, ErrorCode.FENCED_INSTANCE_ID);
  });

  test('a subscription change bumps the group epoch and moves partitions', async () => {
    const env = setup();
    const a = new Consumer(env, 'g', { name: 'a' });
    const b = new Consumer(env, 'g', { name: 'b' });
    await converge(env, [a, b]);
    const epoch = env.gc.consumerGroup('g')!.groupEpoch;
    await b.heartbeat({ subscribedTopicNames: ['topic-a', 'topic-b'] });
    assert.equal(env.gc.consumerGroup('g')!.groupEpoch, epoch + 1);
    await converge(env, [a, b]);
    assert.equal(b.partitions(TB).length, 3, 'only b subscribes to topic-b');
    assert.equal(a.count() + b.count(), 9);
    assert.ok(Math.abs(a.count() - b.count()) <= 1);
    // b drops topic-a
    await b.heartbeat({ subscribedTopicNames: ['topic-b'] });
    await converge(env, [a, b]);
    assert.deepEqual(a.partitions(TA), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(b.partitions(TA), []);
  });

  test('partitions added to a subscribed topic bump the group epoch and get assigned', async () => {
    const env = setup();
    const a = new Consumer(env, 'g');
    const b = new Consumer(env, 'g');
    await converge(env, [a, b]);
    const epoch = env.gc.consumerGroup('g')!.groupEpoch;
    env.topics[0]!.partitions = 8;
    await a.heartbeat();
    assert.equal(env.gc.consumerGroup('g')!.groupEpoch, epoch + 1);
    await converge(env, [a, b]);
    assert.deepEqual([a.count(), b.count()], [4, 4]);
    assert.deepEqual([...a.partitions(), ...b.partitions()].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test('regex subscriptions match whole topic names and pick up new topics', async () => {
    const env = setup();
    const a = new Consumer(env, 'g', { regex: 'topic-.' });
    await a.heartbeat();
    assert.equal(a.count(), 9);
    env.topics.push({ name: 'topic-cc', topicId: '33333333-3333-3333-3333-333333333333', partitions: 2 }, { name: 'topic-d', topicId: '44444444-4444-4444-4444-444444444444', partitions: 1 });
    await a.heartbeat();
    await a.heartbeat();
    assert.equal(a.count(), 10, 'topic-d matches, topic-cc does not (whole-name match)');
  });

  test('regexes are RE2/J\'s: (?i) and \\Q...\\E work, lookaround and backreferences are INVALID_REGULAR_EXPRESSION', async () => {
    const env = setup();
    const a = new Consumer(env, 'g', { regex: '(?i)TOPIC-\\QA\\E' });
    await a.heartbeat();
    assert.equal(a.count(), 6, 'topic-a (6 partitions), case-insensitively');
    for (const regex of ['topic-(?=a)', '(topic)-\\1', 'topic-a++', '(?<!x)topic-a']) {
      assert.equal((await new Consumer(env, 'g4', { regex }).heartbeat()).errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION, regex);
    }
  });

  test('offsets: commits with the member epoch (STALE_MEMBER_EPOCH otherwise), OffsetFetch v9 member checks, list/describe', async () => {
    const env = setup();
    const a = new Consumer(env, 'g');
    await a.heartbeat();
    const commit = (generationId: number, memberId: string, apiVersion = 9) =>
      env.gc.commitOffsets({
        groupId: 'g',
        generationId,
        memberId,
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: [{ name: 'topic-a', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: 'm' }] }],
        apiVersion,
      });
    assert.equal((await commit(a.epoch + 1, a.memberId))[0]!.partitions[0]!.errorCode, ErrorCode.STALE_MEMBER_EPOCH);
    assert.equal((await commit(a.epoch, 'stranger'))[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await commit(a.epoch, a.memberId, 8))[0]!.partitions[0]!.errorCode, ErrorCode.UNSUPPORTED_VERSION);
    assert.equal((await commit(-1, ''))[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'not while the group has members');
    assert.equal((await commit(a.epoch, a.memberId))[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    const fetched = env.gc.fetchOffsets('g', [{ name: 'topic-a', partitionIndexes: [0] }], false, { memberId: a.memberId, memberEpoch: a.epoch });
    assert.equal(fetched.errorCode, ErrorCode.NONE);
    assert.equal(fetched.topics[0]!.partitions[0]!.committedOffset, 42n);
    assert.equal(env.gc.fetchOffsets('g', null, false, { memberId: a.memberId, memberEpoch: a.epoch + 5 }).errorCode, ErrorCode.STALE_MEMBER_EPOCH);
    assert.equal(env.gc.fetchOffsets('g', null, false, { memberId: 'x', memberEpoch: 1 }).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(env.gc.fetchOffsets('g', null, false, { memberId: null, memberEpoch: -1 }).errorCode, ErrorCode.NONE, 'admin fetch');

    const listed = env.gc.listGroups([], []);
    assert.deepEqual(listed.groups, [{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' }]);
    assert.equal(env.gc.listGroups([], ['classic']).groups.length, 0);
    assert.equal(env.gc.listGroups(['stable'], ['Consumer']).groups.length, 1);
    const d = env.gc.describeGroup('g');
    assert.equal(d.protocolType, 'consumer');
    assert.equal(d.groupState, 'Stable');
    assert.equal(d.members[0]!.memberId, a.memberId);
    assert.ok(d.members[0]!.memberAssignment.length > 0);
    const cd = env.gc.describeConsumerGroup('g');
    assert.equal(cd.errorCode, ErrorCode.NONE);
    assert.equal(cd.assignorName, 'uniform');
    assert.deepEqual(cd.members[0]!.assignment.topicPartitions, [{ topicId: TA, topicName: 'topic-a', partitions: [0, 1, 2, 3, 4, 5] }]);
    assert.equal(env.gc.describeConsumerGroup('nope').errorCode, ErrorCode.GROUP_ID_NOT_FOUND);

    // DeleteGroups: not while it has members; after the last member leaves, yes (offsets go too)
    assert.deepEqual(await env.gc.deleteGroups(['g']), [{ groupId: 'g', errorCode: ErrorCode.NON_EMPTY_GROUP }]);
    await a.leave();
    assert.equal(env.gc.consumerGroup('g')!.state(), 'Empty');
    assert.equal((await commit(-1, ''))[0]!.partitions[0]!.errorCode, ErrorCode.NONE, 'an empty group takes admin commits');
    assert.deepEqual(await env.gc.deleteGroups(['g']), [{ groupId: 'g', errorCode: ErrorCode.NONE }]);
    assert.equal(env.gc.consumerGroup('g'), undefined);
    assert.equal(env.gc.fetchOffsets('g', null).topics.length, 0);
  });

  test('classic and consumer groups share the id space: conversion of empty groups, refusal of busy ones', async () => {
    const env = setup({ initialRebalanceDelayMs: 0, minSessionTimeoutMs: 1000 });
    const a = new Consumer(env, 'g');
    await a.heartbeat();
    const join = (groupId: string) =>
      env.gc.joinGroup({
        groupId,
        memberId: '',
        groupInstanceId: null,
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]) }],
        clientId: 'classic',
        clientHost: '/127.0.0.1',
        requireKnownMemberId: false,
        supportsSkipAssignment: false,
      });
    assert.equal((await join('g')).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    // a classic group with members refuses consumer heartbeats
    const j = join('c');
    await settle();
    env.clock.advance(0);
    await settle();
    assert.equal((await j).errorCode, ErrorCode.NONE);
    assert.equal((await new Consumer(env, 'c').heartbeat()).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    // the consumer group empties: a classic member may now take the id over
    await a.leave();
    const j2 = join('g');
    await settle();
    env.clock.advance(0);
    await settle();
    assert.equal((await j2).errorCode, ErrorCode.NONE);
    assert.equal(env.gc.consumerGroup('g'), undefined);
    assert.equal(env.gc.group('g')!.protocolType, 'consumer');
  });

  test('persistence: Kafka record types 3-8 in __consumer_offsets; a restarted coordinator has the group, members, epochs, assignments and offsets', async () => {
    const storage = new MemoryStorage(8);
    const env = setup({}, storage);
    const cs = ['a', 'b', 'c'].map((n) => new Consumer(env, 'g', { name: n }));
    await converge(env, cs);
    await env.gc.commitOffsets({
      groupId: 'g',
      generationId: cs[0]!.epoch,
      memberId: cs[0]!.memberId,
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [{ name: 'topic-a', partitions: [{ partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }],
      apiVersion: 9,
    });
    const part = env.gc.partitionFor('g');
    const kinds = new Set<number>();
    for (const r of storage.partitions[part]!) {
      const k = decodeOffsetsKey(r.key);
      if (k.type === 'consumer-group') {
        kinds.add(k.kind);
        if (k.kind === 3 && r.value) assert.ok(decodeEpochValue(r.value) >= 1);
        if (k.kind === 5 && r.value) assert.deepEqual(decodeConsumerGroupMemberMetadataValue(r.value).subscribedTopicNames, ['topic-a']);
        if (k.kind === 8 && r.value) assert.ok(decodeConsumerGroupCurrentMemberAssignmentValue(r.value).memberEpoch >= 1);
      }
    }
    assert.deepEqual([...kinds].sort(), [3, 4, 5, 6, 7, 8]);
    // value of record 3 is Kafka's ConsumerGroupMetadataValue v0: version 0, epoch, no tagged fields
    const meta = storage.partitions[part]!.filter((r) => decodeOffsetsKey(r.key).type === 'consumer-group' && r.key.readInt16BE(0) === 3).at(-1)!;
    assert.deepEqual([...meta.value!], [0, 0, 0, 0, 0, 3, 0]);
    env.gc.close();

    const env2 = setup({}, storage, env.clock);
    await env2.gc.loaded;
    const g = env2.gc.consumerGroup('g')!;
    assert.equal(g.groupEpoch, 3);
    assert.equal(g.assignmentEpoch, 3);
    assert.equal(g.members.size, 3);
    assert.equal(g.state(), 'Stable');
    for (const c of cs) {
      const m = g.members.get(c.memberId)!;
      assert.equal(m.memberEpoch, c.epoch);
      assert.deepEqual([...m.assigned.get(TA)!].sort(), c.partitions());
    }
    assert.equal(env2.gc.fetchOffsets('g', [{ name: 'topic-a', partitionIndexes: [1] }]).topics[0]!.partitions[0]!.committedOffset, 7n);
    // members carry on with their epochs against the new coordinator
    const moved = cs.map((c) => new Consumer(env2, 'g'));
    for (const [i, c] of cs.entries()) Object.assign(moved[i]!, { memberId: c.memberId, epoch: c.epoch, owned: c.owned });
    for (const c of moved) assert.equal((await c.heartbeat()).errorCode, ErrorCode.NONE);
    // loaded members that stay silent expire
    env2.clock.advance(SESSION);
    await settle();
    assert.equal(env2.gc.consumerGroup('g')!.members.size, 0);
    env2.gc.close();

    // a member leaving writes tombstones: after another restart the members are gone
    const env3 = setup({}, storage, env.clock);
    await env3.gc.loaded;
    assert.equal(env3.gc.consumerGroup('g')!.members.size, 0);
    assert.equal(env3.gc.consumerGroup('g')!.state(), 'Empty');
    env3.gc.close();
  });
});

describe('KIP-848 APIs over the wire', () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startBroker({ 'offsets.topic.num.partitions': 3, 'group.consumer.heartbeat.interval.ms': 1000 });
  });
  after(async () => {
    await tb.close();
  });

  test('ApiVersions advertises ConsumerGroupHeartbeat v0-v1 and ConsumerGroupDescribe v0-v1; join, describe, commit, leave', async () => {
    const c = await connect(tb);
    try {
      const versions = await c.send(ApiKey.ApiVersions, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
      const k68 = versions.apiKeys.find((k) => k.apiKey === 68)!;
      const k69 = versions.apiKeys.find((k) => k.apiKey === 69)!;
      assert.deepEqual([k68.minVersion, k68.maxVersion, k69.minVersion, k69.maxVersion], [0, 1, 0, 1]);
      await createTopic(c, 'kip848', 4);
      const id = await topicId(c, 'kip848');
      const hb = await c.send(ApiKey.ConsumerGroupHeartbeat, {
        groupId: 'wg',
        memberId: '',
        memberEpoch: 0,
        instanceId: null,
        rackId: null,
        rebalanceTimeoutMs: 30_000,
        subscribedTopicNames: ['kip848'],
        subscribedTopicRegex: null,
        serverAssignor: null,
        topicPartitions: [],
      }, { version: 0 }); // v0: the coordinator picks the member id
      assert.equal(hb.errorCode, ErrorCode.NONE, hb.errorMessage ?? '');
      assert.equal(hb.memberEpoch, 1);
      assert.equal(hb.heartbeatIntervalMs, 1000);
      assert.deepEqual(hb.assignment, { topicPartitions: [{ topicId: id, partitions: [0, 1, 2, 3] }] });
      const d = await c.send(ApiKey.ConsumerGroupDescribe, { groupIds: ['wg', 'missing'], includeAuthorizedOperations: false });
      assert.equal(d.groups[0]!.errorCode, ErrorCode.NONE);
      assert.equal(d.groups[0]!.groupState, 'Stable');
      assert.equal(d.groups[0]!.members[0]!.memberId, hb.memberId);
      assert.deepEqual(d.groups[0]!.members[0]!.assignment.topicPartitions, [{ topicId: id, topicName: 'kip848', partitions: [0, 1, 2, 3] }]);
      assert.equal(d.groups[0]!.members[0]!.memberType, 1, 'v1: a consumer-protocol member');
      assert.equal(d.groups[1]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
      const commit = await c.send(
        ApiKey.OffsetCommit,
        {
          groupId: 'wg',
          generationIdOrMemberEpoch: 1,
          memberId: hb.memberId!,
          groupInstanceId: null,
          retentionTimeMs: -1n,
          topics: [{ name: 'kip848', topicId: ZERO_UUID, partitions: [{ partitionIndex: 2, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
        },
        { version: 9 },
      );
      assert.equal(commit.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
      const listed = await c.send(ApiKey.ListGroups, { statesFilter: [], typesFilter: ['consumer'] });
      assert.deepEqual(
        listed.groups.map((g) => [g.groupId, g.groupType, g.groupState]),
        [['wg', 'consumer', 'Stable']],
      );
      const leave = await c.send(ApiKey.ConsumerGroupHeartbeat, {
        groupId: 'wg',
        memberId: hb.memberId!,
        memberEpoch: -1,
        instanceId: null,
        rackId: null,
        rebalanceTimeoutMs: -1,
        subscribedTopicNames: null,
        subscribedTopicRegex: null,
        serverAssignor: null,
        topicPartitions: null,
      });
      assert.equal(leave.errorCode, ErrorCode.NONE);
      assert.equal(leave.memberEpoch, -1);
      // the offsets survive a restart
      c.close();
      await tb.restart();
      const c2 = await connect(tb);
      try {
        await tb.broker.groups.loaded;
        const f = await c2.send(ApiKey.OffsetFetch, { groupId: '', topics: [], groups: [{ groupId: 'wg', memberId: null, memberEpoch: -1, topics: null }], requireStable: false }, { version: 9 });
        assert.equal(f.groups[0]!.topics[0]!.partitions[0]!.committedOffset, 5n);
        const d2 = await c2.send(ApiKey.ConsumerGroupDescribe, { groupIds: ['wg'], includeAuthorizedOperations: false });
        assert.equal(d2.groups[0]!.groupState, 'Empty');
        assert.equal(d2.groups[0]!.groupEpoch, 2);
      } finally {
        c2.close();
      }
    } finally {
      c.close();
    }
  });

  test('ConsumerGroupHeartbeat v1: the client\'s member id (an empty one is INVALID_REQUEST), regex subscriptions, RE2/J\'s errors', async () => {
    const c = await connect(tb);
    try {
      const hb = (memberId: string, memberEpoch: number, regex: string | null, version = 1) =>
        c.send(
          ApiKey.ConsumerGroupHeartbeat,
          {
            groupId: 'rg',
            memberId,
            memberEpoch,
            instanceId: null,
            rackId: null,
            rebalanceTimeoutMs: memberEpoch === 0 ? 30_000 : -1,
            subscribedTopicNames: null,
            subscribedTopicRegex: regex,
            serverAssignor: null,
            topicPartitions: memberEpoch === 0 ? [] : null,
          },
          { version },
        );
      const empty = await hb('', 0, 'rx-.*');
      assert.deepEqual([empty.errorCode, empty.errorMessage], [ErrorCode.INVALID_REQUEST, 'MemberId can not be empty.']);
      const bad = await hb('m-1', 0, 'rx-(?!b).*');
      assert.equal(bad.errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION);
      assert.equal(bad.errorMessage, 'SubscribedTopicRegex `rx-(?!b).*` is not a valid regular expression: invalid or unsupported Perl syntax.');
      await createTopic(c, 'rx-a', 2);
      await createTopic(c, 'rx-b', 1);
      await createTopic(c, 'other', 1);
      const ids = new Map([['rx-a', await topicId(c, 'rx-a')], ['rx-b', await topicId(c, 'rx-b')]]);
      const joined = await hb('m-1', 0, '(?i)RX-[[:alpha:]]');
      assert.equal(joined.errorCode, ErrorCode.NONE, joined.errorMessage ?? '');
      assert.equal(joined.memberId, 'm-1', 'the id the client chose');
      const got = (joined.assignment?.topicPartitions ?? []).map((t) => [t.topicId, t.partitions]).sort();
      assert.deepEqual(got, [[ids.get('rx-a'), [0, 1]], [ids.get('rx-b'), [0]]].sort());
      const left = await hb('m-1', -1, null);
      assert.deepEqual([left.errorCode, left.memberEpoch], [ErrorCode.NONE, -1]);
    } finally {
      c.close();
    }
  });
});

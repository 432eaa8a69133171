// The group APIs over the wire against an embedded broker: FindCoordinator (every version, batched
// keys, key types), __consumer_offsets creation, Join/Sync/Heartbeat/Leave at old and new
// versions, OffsetCommit/OffsetFetch (v1..v9, multi-group), List/Describe/DeleteGroups,
// OffsetDelete, hostile metadata, and a broker restart keeping groups and offsets.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, type JoinGroupRequest, type JoinGroupResponse } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import type { Connection } from '../../src/client/index.js';
import { decodeRecordSetSync } from '../../src/protocol/records/index.js';
import { decodeOffsetsKey, decodeGroupMetadataValue, partitionForGroup, OFFSETS_TOPIC } from '../../src/broker/coordinator/index.js';
import { connect, createTopic, startBroker, topicId, type TestBroker } from './helpers/broker-client.js';
import { ZERO_UUID } from '../../src/protocol/primitives/index.js';

function subscription(...topics: string[]): Buffer {
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

function joinRequest(groupId: string, memberId = '', over: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription('gt') }],
    reason: null,
    ...over,
  };
}

/** Joins with KIP-394 (v4+): first MEMBER_ID_REQUIRED, then the real join. */
async function join(c: Connection, groupId: string, version?: number, over: Partial<JoinGroupRequest> = {}): Promise<JoinGroupResponse> {
  const opts = version === undefined ? {} : { version };
  const first = await c.send(ApiKey.JoinGroup, joinRequest(groupId, '', over), opts);
  if (first.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) return first;
  return c.send(ApiKey.JoinGroup, joinRequest(groupId, first.memberId, over), opts);
}

function commitRequest(groupId: string, generation: number, memberId: string, topic: string, offsets: Array<[number, bigint]>, metadata: string | null = 'meta') {
  return {
    groupId,
    generationIdOrMemberEpoch: generation,
    memberId,
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [{ name: topic, topicId: ZERO_UUID, partitions: offsets.map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: metadata })) }],
  };
}

describe('group APIs against the embedded broker', () => {
  let tb: TestBroker;
  let c: Connection;
  before(async () => {
    tb = await startBroker({ 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 5, 'group.min.session.timeout.ms': 1000 });
    c = await connect(tb, { requestTimeoutMs: 20_000 });
    await createTopic(c, 'gt', 4);
  });
  after(async () => {
    await c.close();
    await tb.close();
  });

  test('FindCoordinator v0-v6 answers this broker for groups and creates __consumer_offsets', async () => {
    assert.equal(tb.broker.topics.get(OFFSETS_TOPIC), undefined, 'created on first use, not at startup');
    for (let v = 0; v <= 3; v++) {
      const r = await c.send(ApiKey.FindCoordinator, { key: 'g-find', keyType: 0, coordinatorKeys: [] }, { version: v });
      assert.equal(r.errorCode, ErrorCode.NONE, `v${v}`);
      assert.equal(r.nodeId, tb.broker.config.nodeId);
      assert.equal(r.port, tb.broker.port);
      assert.equal(r.host, '127.0.0.1');
    }
    const t = tb.broker.topics.get(OFFSETS_TOPIC)!;
    assert.equal(t.partitions, 5);
    assert.equal(t.configs['cleanup.policy'], 'compact');
    assert.equal(t.configs['segment.bytes'], '104857600');
    const md = await c.send(ApiKey.Metadata, { topics: [{ topicId: ZERO_UUID, name: OFFSETS_TOPIC }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    assert.equal(md.topics[0]!.isInternal, true);
    for (const v of [4, 5, 6]) {
      const r = await c.send(ApiKey.FindCoordinator, { key: '', keyType: 0, coordinatorKeys: ['a', 'b', ''] }, { version: v });
      assert.deepEqual(r.coordinators.map((x) => [x.key, x.errorCode, x.nodeId]), [
        ['a', 0, tb.broker.config.nodeId],
        ['b', 0, tb.broker.config.nodeId],
        ['', ErrorCode.INVALID_REQUEST, -1],
      ]);
      // Transactional ids: this broker too (__transaction_state made on first use).
      const txn = await c.send(ApiKey.FindCoordinator, { key: '', keyType: 1, coordinatorKeys: ['tx'] }, { version: v });
      assert.deepEqual([txn.coordinators[0]!.errorCode, txn.coordinators[0]!.nodeId], [ErrorCode.NONE, tb.broker.config.nodeId]);
    }
    const txn3 = await c.send(ApiKey.FindCoordinator, { key: 'tx', keyType: 1, coordinatorKeys: [] }, { version: 3 });
    assert.deepEqual([txn3.errorCode, txn3.port], [ErrorCode.NONE, tb.broker.port]);
    const share = await c.send(ApiKey.FindCoordinator, { key: '', keyType: 2, coordinatorKeys: ['s'] }, { version: 6 });
    assert.equal(share.coordinators[0]!.errorCode, ErrorCode.INVALID_REQUEST);
  });

  test('join, sync, heartbeat, commit, fetch and leave at old and new versions', async () => {
    for (const [jv, sv, hv, lv, cv, fv] of [
      [0, 0, 0, 0, 2, 1],
      [3, 2, 2, 2, 5, 5],
      [5, 3, 3, 3, 7, 7],
      [9, 5, 4, 5, 9, 9],
    ] as const) {
      const groupId = `g-v${jv}`;
      const r = await join(c, groupId, jv);
      assert.equal(r.errorCode, ErrorCode.NONE, `JoinGroup v${jv}`);
      assert.equal(r.generationId, 1);
      assert.equal(r.leader, r.memberId);
      assert.equal(r.protocolName, 'range');
      assert.deepEqual(r.members.map((m) => m.metadata), [subscription('gt')]);
      const s = await c.send(ApiKey.SyncGroup, { groupId, generationId: 1, memberId: r.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: r.memberId, assignment: Buffer.from('assigned') }] }, { version: sv });
      assert.equal(s.errorCode, ErrorCode.NONE);
      assert.equal(s.assignment.toString(), 'assigned');
      const h = await c.send(ApiKey.Heartbeat, { groupId, generationId: 1, memberId: r.memberId, groupInstanceId: null }, { version: hv });
      assert.equal(h.errorCode, ErrorCode.NONE);
      const bad = await c.send(ApiKey.Heartbeat, { groupId, generationId: 2, memberId: r.memberId, groupInstanceId: null }, { version: hv });
      assert.equal(bad.errorCode, ErrorCode.ILLEGAL_GENERATION);
      const cr = await c.send(ApiKey.OffsetCommit, commitRequest(groupId, 1, r.memberId, 'gt', [[0, 100n], [3, 300n]]), { version: cv });
      assert.deepEqual(cr.topics[0]!.partitions.map((p) => p.errorCode), [0, 0]);
      const stale = await c.send(ApiKey.OffsetCommit, commitRequest(groupId, 0, r.memberId, 'gt', [[0, 1n]]), { version: cv });
      assert.equal(stale.topics[0]!.partitions[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);
      const unknownTopic = await c.send(ApiKey.OffsetCommit, commitRequest(groupId, 1, r.memberId, 'no-such-topic', [[0, 1n]]), { version: cv });
      assert.equal(unknownTopic.topics[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const tooBig = await c.send(ApiKey.OffsetCommit, commitRequest(groupId, 1, r.memberId, 'gt', [[1, 1n]], 'x'.repeat(4097)), { version: cv });
      assert.equal(tooBig.topics[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_METADATA_TOO_LARGE);
      const f = await c.send(ApiKey.OffsetFetch, { groupId, topics: [{ name: 'gt', partitionIndexes: [0, 1, 3] }], groups: [], requireStable: fv >= 7 }, { version: Math.min(fv, 7) });
      assert.deepEqual(f.topics[0]!.partitions.map((p) => [p.committedOffset, p.metadata]), [[100n, 'meta'], [-1n, ''], [300n, 'meta']]);
      const leaveReq = (reason: string | null) =>
        lv >= 3 ? { groupId, memberId: '', members: [{ memberId: r.memberId, groupInstanceId: null, reason: lv >= 5 ? reason : null }] } : { groupId, memberId: r.memberId, members: [] };
      const l = await c.send(ApiKey.LeaveGroup, leaveReq('done'), { version: lv });
      assert.equal(l.errorCode, ErrorCode.NONE);
      const d = await c.send(ApiKey.DescribeGroups, { groups: [groupId], includeAuthorizedOperations: false });
      assert.equal(d.groups[0]!.groupState, 'Empty');
      const again = await c.send(ApiKey.LeaveGroup, leaveReq(null), { version: lv });
      assert.equal(lv >= 3 ? again.members[0]!.errorCode : again.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    }
    // OffsetFetch v8-v9: several groups, one request; null topics = all.
    const multi = await c.send(ApiKey.OffsetFetch, {
      groupId: '',
      topics: [],
      requireStable: false,
      groups: [
        { groupId: 'g-v0', memberId: null, memberEpoch: -1, topics: null },
        { groupId: 'g-v9', memberId: null, memberEpoch: -1, topics: [{ name: 'gt', topicId: ZERO_UUID, partitionIndexes: [3] }] },
        { groupId: 'nobody', memberId: null, memberEpoch: -1, topics: null },
      ],
    }, { version: 9 });
    assert.deepEqual(multi.groups.map((g) => [g.groupId, g.errorCode, g.topics.flatMap((t) => t.partitions.map((p) => p.committedOffset))]), [
      ['g-v0', 0, [100n, 300n]],
      ['g-v9', 0, [300n]],
      ['nobody', 0, []],
    ]);
    // OffsetCommit v0 (no generation) and a standalone v8 commit.
    const v0 = await c.send(ApiKey.OffsetCommit, commitRequest('standalone', -1, '', 'gt', [[2, 22n]]), { version: 0 });
    assert.equal(v0.topics[0]!.partitions[0]!.errorCode, 0);
    const f0 = await c.send(ApiKey.OffsetFetch, { groupId: 'standalone', topics: [{ name: 'gt', partitionIndexes: [2] }], groups: [], requireStable: false }, { version: 0 });
    assert.equal(f0.topics[0]!.partitions[0]!.committedOffset, 22n);
  });

  test('OffsetCommit and OffsetFetch v10 name topics by id; an unknown id gets UNKNOWN_TOPIC_ID', async () => {
    const id = await topicId(c, 'gt');
    const unknown = '00000000-0000-0000-0000-0000000000aa';
    const part = (partitionIndex: number, committedOffset: bigint) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: 'v10' });
    const cr = await c.send(
      ApiKey.OffsetCommit,
      {
        groupId: 'by-id',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [
          { name: '', topicId: id, partitions: [part(1, 11n), part(9, 1n)] },
          { name: '', topicId: unknown, partitions: [part(0, 5n)] },
        ],
      },
      { version: 10 },
    );
    assert.deepEqual(
      cr.topics.map((t) => [t.topicId, t.partitions.map((p) => p.errorCode)]),
      [
        [id, [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
        [unknown, [ErrorCode.UNKNOWN_TOPIC_ID]],
      ],
    );
    // Offsets are kept by name: v9 reads what v10 wrote.
    const byName = await c.send(ApiKey.OffsetFetch, { groupId: '', topics: [], requireStable: false, groups: [{ groupId: 'by-id', memberId: null, memberEpoch: -1, topics: [{ name: 'gt', topicId: ZERO_UUID, partitionIndexes: [1] }] }] }, { version: 9 });
    assert.equal(byName.groups[0]!.topics[0]!.partitions[0]!.committedOffset, 11n);
    const f = await c.send(
      ApiKey.OffsetFetch,
      {
        groupId: '',
        topics: [],
        requireStable: false,
        groups: [
          { groupId: 'by-id', memberId: null, memberEpoch: -1, topics: [{ name: '', topicId: id, partitionIndexes: [1, 2] }, { name: '', topicId: unknown, partitionIndexes: [0] }] },
          { groupId: 'by-id', memberId: null, memberEpoch: -1, topics: null },
        ],
      },
      { version: 10 },
    );
    const [some, all] = f.groups;
    assert.deepEqual(
      some!.topics.map((t) => [t.topicId, t.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.errorCode])]),
      [
        [id, [[1, 11n, 0], [2, -1n, 0]]],
        [unknown, [[0, -1n, ErrorCode.UNKNOWN_TOPIC_ID]]],
      ],
    );
    assert.deepEqual(all!.topics.map((t) => [t.topicId, t.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata])]), [[id, [[1, 11n, 'v10']]]]);
  });

  test('two members: rebalance on join, immediate rebalance on leave, Describe/List/Delete groups, OffsetDelete', async () => {
    const c2 = await connect(tb, { requestTimeoutMs: 20_000 });
    try {
      const a = await join(c, 'pair');
      assert.equal(a.generationId, 1);
      await c.send(ApiKey.SyncGroup, { groupId: 'pair', generationId: 1, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
      // b joins: its JoinGroup waits until a rejoins.
      const bJoin = join(c2, 'pair');
      let hb;
      do {
        hb = await c.send(ApiKey.Heartbeat, { groupId: 'pair', generationId: 1, memberId: a.memberId, groupInstanceId: null });
      } while (hb.errorCode === ErrorCode.NONE);
      assert.equal(hb.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
      const a2 = await c.send(ApiKey.JoinGroup, joinRequest('pair', a.memberId));
      const b = await bJoin;
      assert.equal(a2.generationId, 2);
      assert.equal(b.generationId, 2);
      assert.equal(a2.members.length, 2);
      const [sa, sb] = await Promise.all([
        c.send(ApiKey.SyncGroup, { groupId: 'pair', generationId: 2, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: a.memberId, assignment: Buffer.from('p0,p1') }, { memberId: b.memberId, assignment: Buffer.from('p2,p3') }] }),
        c2.send(ApiKey.SyncGroup, { groupId: 'pair', generationId: 2, memberId: b.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }),
      ]);
      assert.equal(sa.assignment.toString(), 'p0,p1');
      assert.equal(sb.assignment.toString(), 'p2,p3');

      const d = await c.send(ApiKey.DescribeGroups, { groups: ['pair', 'missing'], includeAuthorizedOperations: true });
      const pair = d.groups[0]!;
      assert.equal(pair.groupState, 'Stable');
      assert.equal(pair.protocolType, 'consumer');
      assert.equal(pair.protocolData, 'range');
      // READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS: Kafka 4.3.1's group operations.
      assert.equal(pair.authorizedOperations, (1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11));
      assert.deepEqual(pair.members.map((m) => m.memberAssignment.toString()).sort(), ['p0,p1', 'p2,p3']);
      assert.ok(pair.members.every((m) => m.clientHost.startsWith('/') && m.memberMetadata.equals(subscription('gt'))));
      // v6 (the default here): an unknown group is GROUP_ID_NOT_FOUND, still Dead; up to v5 no error.
      assert.deepEqual([d.groups[1]!.groupState, d.groups[1]!.errorCode, d.groups[1]!.errorMessage], ['Dead', ErrorCode.GROUP_ID_NOT_FOUND, 'Group missing not found.']);
      assert.equal(pair.errorMessage, null);
      const d5 = await c.send(ApiKey.DescribeGroups, { groups: ['missing'], includeAuthorizedOperations: false }, { version: 5 });
      assert.deepEqual([d5.groups[0]!.groupState, d5.groups[0]!.errorCode], ['Dead', 0]);

      const listed = await c.send(ApiKey.ListGroups, { statesFilter: ['stable'], typesFilter: [] });
      assert.deepEqual(listed.groups.map((g) => [g.groupId, g.groupState, g.protocolType, g.groupType]), [['pair', 'Stable', 'consumer', 'classic']]);
      const all = await c.send(ApiKey.ListGroups, { statesFilter: [], typesFilter: [] }, { version: 0 });
      assert.ok(all.groups.some((g) => g.groupId === 'standalone'));

      // OffsetDelete: the group subscribes to gt.
      await c.send(ApiKey.OffsetCommit, commitRequest('pair', 2, a.memberId, 'gt', [[0, 5n]]), { version: 9 });
      const od = await c.send(ApiKey.OffsetDelete, { groupId: 'pair', topics: [{ name: 'gt', partitions: [{ partitionIndex: 0 }] }] });
      assert.equal(od.topics[0]!.partitions[0]!.errorCode, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
      const del = await c.send(ApiKey.DeleteGroups, { groupsNames: ['pair', 'nope'] });
      assert.deepEqual(del.results.map((r) => r.errorCode), [ErrorCode.NON_EMPTY_GROUP, ErrorCode.GROUP_ID_NOT_FOUND]);

      // b leaves: a learns of it from its very next heartbeat, with no session wait.
      const lb = await c2.send(ApiKey.LeaveGroup, { groupId: 'pair', memberId: '', members: [{ memberId: b.memberId, groupInstanceId: null, reason: null }] });
      assert.equal(lb.members[0]!.errorCode, 0);
      const hb2 = await c.send(ApiKey.Heartbeat, { groupId: 'pair', generationId: 2, memberId: a.memberId, groupInstanceId: null });
      assert.equal(hb2.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
      const a3 = await c.send(ApiKey.JoinGroup, joinRequest('pair', a.memberId));
      assert.equal(a3.generationId, 3);
      assert.equal(a3.members.length, 1);
      await c.send(ApiKey.LeaveGroup, { groupId: 'pair', memberId: '', members: [{ memberId: a.memberId, groupInstanceId: null, reason: null }] });
      const od2 = await c.send(ApiKey.OffsetDelete, { groupId: 'pair', topics: [{ name: 'gt', partitions: [{ partitionIndex: 0 }] }] });
      assert.equal(od2.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
      const del2 = await c.send(ApiKey.DeleteGroups, { groupsNames: ['pair'] }, { version: 0 });
      assert.equal(del2.results[0]!.errorCode, ErrorCode.NONE);
      const d2 = await c.send(ApiKey.DescribeGroups, { groups: ['pair'], includeAuthorizedOperations: false });
      assert.equal(d2.groups[0]!.groupState, 'Dead');
    } finally {
      await c2.close();
    }
  });

  test('errors over the wire: unknown member, inconsistent protocol, session bounds, garbage metadata', async () => {
    const unknown = await c.send(ApiKey.JoinGroup, joinRequest('err-g', 'ghost'));
    assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    const low = await c.send(ApiKey.JoinGroup, joinRequest('err-g', '', { sessionTimeoutMs: 999 }));
    assert.equal(low.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    const sync = await c.send(ApiKey.SyncGroup, { groupId: 'err-g', generationId: 1, memberId: 'ghost', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    assert.equal(sync.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    const garbage = Buffer.alloc(256 * 1024);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919) & 0xff;
    const g = await join(c, 'err-g', undefined, { protocols: [{ name: 'range', metadata: garbage }, { name: 'x'.repeat(1000), metadata: Buffer.alloc(0) }] });
    assert.equal(g.errorCode, 0);
    assert.ok(g.members[0]!.metadata.equals(garbage));
    const other = await c.send(ApiKey.JoinGroup, joinRequest('err-g', '', { protocolType: 'connect' }), { version: 3 });
    assert.equal(other.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const s = await c.send(ApiKey.SyncGroup, { groupId: 'err-g', generationId: 1, memberId: g.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: g.memberId, assignment: garbage }] });
    assert.ok(s.assignment.equals(garbage));
    const d = await c.send(ApiKey.DescribeGroups, { groups: ['err-g'], includeAuthorizedOperations: false });
    assert.equal(d.groups[0]!.groupState, 'Stable');
    await c.send(ApiKey.LeaveGroup, { groupId: 'err-g', memberId: g.memberId, members: [] }, { version: 0 });
  });

  test('a broker restart keeps groups, members, generations and offsets (Kafka records in __consumer_offsets)', async () => {
    const r = await join(c, 'durable');
    await c.send(ApiKey.SyncGroup, { groupId: 'durable', generationId: r.generationId, memberId: r.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: r.memberId, assignment: Buffer.from('all of gt') }] });
    const cr = await c.send(ApiKey.OffsetCommit, commitRequest('durable', r.generationId, r.memberId, 'gt', [[0, 1000n], [1, 1001n]], 'kept'), { version: 9 });
    assert.deepEqual(cr.topics[0]!.partitions.map((p) => p.errorCode), [0, 0]);

    // The records are where Kafka would put them.
    const p = partitionForGroup('durable', 5);
    const log = tb.broker.topics.partitionLog(OFFSETS_TOPIC, p)!;
    const batches = decodeRecordSetSync(await log.read(0, 1 << 20));
    const keys = batches.flatMap((b) => b.records.map((x) => decodeOffsetsKey(x.key!))).filter((k) => k.type !== 'unknown' && k.group === 'durable');
    assert.ok(keys.some((k) => k.type === 'group'));
    assert.ok(keys.some((k) => k.type === 'offset' && k.topic === 'gt' && k.partition === 1));
    const groupValue = batches.flatMap((b) => b.records).filter((x) => decodeOffsetsKey(x.key!).type === 'group').at(-1)!;
    assert.equal(decodeGroupMetadataValue(groupValue.value!).members[0]!.assignment.toString(), 'all of gt');

    await c.close();
    await tb.restart();
    await tb.broker.groups.loaded;
    c = await connect(tb, { requestTimeoutMs: 20_000 });
    const f = await c.send(ApiKey.OffsetFetch, { groupId: 'durable', topics: null, groups: [], requireStable: false }, { version: 7 });
    assert.deepEqual(f.topics[0]!.partitions.map((x) => [x.committedOffset, x.metadata]), [[1000n, 'kept'], [1001n, 'kept']]);
    const d = await c.send(ApiKey.DescribeGroups, { groups: ['durable'], includeAuthorizedOperations: false });
    assert.equal(d.groups[0]!.groupState, 'Stable');
    assert.equal(d.groups[0]!.members[0]!.memberId, r.memberId);
    // The member carries on with its generation: heartbeat and sync succeed, assignment intact.
    const h = await c.send(ApiKey.Heartbeat, { groupId: 'durable', generationId: r.generationId, memberId: r.memberId, groupInstanceId: null });
    assert.equal(h.errorCode, 0);
    const s = await c.send(ApiKey.SyncGroup, { groupId: 'durable', generationId: r.generationId, memberId: r.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    assert.equal(s.assignment.toString(), 'all of gt');
    const standalone = await c.send(ApiKey.OffsetFetch, { groupId: 'standalone', topics: [{ name: 'gt', partitionIndexes: [2] }], groups: [], requireStable: false }, { version: 1 });
    assert.equal(standalone.topics[0]!.partitions[0]!.committedOffset, 22n);
    const gone = await c.send(ApiKey.OffsetFetch, { groupId: 'pair', topics: null, groups: [], requireStable: false }, { version: 7 });
    assert.deepEqual(gone.topics, [], 'a deleted group stays deleted');
  });

  test('deleting a topic removes every group\'s committed offsets of it, durably', async () => {
    await createTopic(c, 'doomed', 2);
    for (const g of ['del-a', 'del-b']) {
      const cr = await c.send(ApiKey.OffsetCommit, commitRequest(g, -1, '', 'doomed', [[0, 5n], [1, 7n]]), { version: 9 });
      assert.deepEqual(cr.topics[0]!.partitions.map((x) => x.errorCode), [0, 0]);
      const other = await c.send(ApiKey.OffsetCommit, commitRequest(g, -1, '', 'gt', [[3, 9n]]), { version: 9 });
      assert.equal(other.topics[0]!.partitions[0]!.errorCode, 0);
    }
    const del = await c.send(ApiKey.DeleteTopics, { topics: [], topicNames: ['doomed'], timeoutMs: 10_000 }, { version: 4 });
    assert.equal(del.responses[0]!.errorCode, 0);
    const fetchAll = async (g: string): Promise<Array<[string, number, bigint]>> => {
      const f = await c.send(ApiKey.OffsetFetch, { groupId: g, topics: null, groups: [], requireStable: false }, { version: 7 });
      return f.topics.flatMap((t) => t.partitions.map((x): [string, number, bigint] => [t.name, x.partitionIndex, x.committedOffset]));
    };
    for (const g of ['del-a', 'del-b']) assert.deepEqual(await fetchAll(g), [['gt', 3, 9n]]);
    // Tombstones in __consumer_offsets: a restart does not bring them back, nor does a new topic of that name.
    await c.close();
    await tb.restart();
    await tb.broker.groups.loaded;
    c = await connect(tb, { requestTimeoutMs: 20_000 });
    await createTopic(c, 'doomed', 2);
    for (const g of ['del-a', 'del-b']) assert.deepEqual(await fetchAll(g), [['gt', 3, 9n]]);
  });
});

// The coordinator runtime (records first, state by replay): writes of one key run one at a time
// and are replayed only once stored; a failed append changes nothing; load/unload and timers.
// Then the group coordinator on it: random sequences of group operations leave a state that a
// second coordinator loading the stored records rebuilds exactly, and the N-th append failing
// leaves the state as it was before that request (with an error to the client).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import fc from 'fast-check';
import { ErrorCode } from '../../src/protocol/errors.js';
import { CoordinatorRuntime, GroupCoordinator, ManualClock, appendErrorCode, partitionForGroup, type CoordinatorShard, type JoinGroupResult, type RecordOrigin, type ShardContext, type StoredRecord } from '../../src/broker/coordinator/index.js';
import { StorageError } from '../../src/storage/errors.js';
import { MemoryStorage } from './helpers/memory-storage.js';

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await tick();
}

/** A shard whose state is a counter per key, changed only by replaying "key=value" records. */
class CounterShard implements CoordinatorShard {
  readonly values = new Map<string, number>();
  /** Every replay and marker, as seen (origin of records). */
  readonly seen: string[] = [];
  loaded = false;
  unloaded = false;
  constructor(readonly ctx: ShardContext) {}
  replay(r: StoredRecord, origin: RecordOrigin): void {
    this.values.set(r.key.toString(), Number(r.value!.toString()));
    this.seen.push(`${r.key}=${r.value}@${origin.offset}/${origin.producerId}`);
  }
  replayEndTransactionMarker(producerId: bigint, commit: boolean): void {
    this.seen.push(`${commit ? 'commit' : 'abort'} ${producerId}`);
  }
  onLoaded(): void {
    this.loaded = true;
  }
  onUnloaded(): void {
    this.unloaded = true;
  }
  /** Adds one to the key's counter: reads the state, returns the record. */
  increment(key: string): { records: StoredRecord[]; response: number } {
    const next = (this.values.get(key) ?? 0) + 1;
    return { records: [{ key: Buffer.from(key), value: Buffer.from(String(next)) }], response: next };
  }
}

function counterRuntime(storage = new MemoryStorage(2), clock = new ManualClock()): { rt: CoordinatorRuntime<CounterShard>; storage: MemoryStorage; clock: ManualClock } {
  const rt = new CoordinatorRuntime<CounterShard>({ name: 'test', storage, clock, newShard: (ctx) => new CounterShard(ctx) });
  return { rt, storage, clock };
}

describe('coordinator runtime', () => {
  test('writes of one key run in order, each on the state its predecessor left; replay only after the append', async () => {
    const { rt, storage } = counterRuntime();
    storage.created = true;
    await rt.load(0);
    let release!: () => void;
    storage.gate = new Promise<void>((r) => (release = r));
    const writes = [1, 2, 3].map(() => rt.write(0, 'k', (s) => s.increment('k'), () => -1));
    const other = rt.write(0, 'other', (s) => s.increment('other'), () => -1);
    await settle();
    assert.equal(rt.shard(0)!.values.get('k'), undefined, 'nothing replayed while the append waits');
    storage.gate = null;
    release();
    assert.deepEqual(await Promise.all(writes), [1, 2, 3], 'no lost update: each increment saw the one before');
    assert.equal(await other, 1);
    assert.deepEqual(storage.partitions[0]!.map((r) => `${r.key}=${r.value}`), ['k=1', 'other=1', 'k=2', 'k=3']);
  });

  test('a failed append changes nothing and answers with a retriable error; the next write goes on', async () => {
    const { rt, storage } = counterRuntime();
    storage.created = true;
    await rt.load(1);
    assert.equal(await rt.write(1, 'k', (s) => s.increment('k'), () => -1), 1);
    storage.failNth = storage.appends + 1;
    let failedWith = 0;
    const r = await rt.write(1, 'k', (s) => ({ ...s.increment('k'), failed: (code: number) => (failedWith = code) }), (code) => -code);
    assert.equal(r, -ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.equal(failedWith, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.equal(rt.shard(1)!.values.get('k'), 1, 'the failed increment left no trace');
    assert.equal(await rt.write(1, 'k', (s) => s.increment('k'), () => -1), 2);
  });

  test('load replays the stored records; loading answers COORDINATOR_LOAD_IN_PROGRESS, unloaded NOT_COORDINATOR', async () => {
    const storage = new MemoryStorage(2);
    storage.created = true;
    storage.partitions[0]!.push({ key: Buffer.from('a'), value: Buffer.from('7') }, { key: Buffer.from('a'), value: Buffer.from('9') });
    const { rt } = counterRuntime(storage);
    assert.equal(rt.status(0), ErrorCode.NOT_COORDINATOR);
    const loading = rt.load(0);
    assert.equal(rt.status(0), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    assert.equal(await rt.write(0, 'a', (s) => s.increment('a'), (e) => -e), -ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    await loading;
    const shard = rt.shard(0)!;
    assert.equal(shard.loaded, true);
    assert.equal(shard.values.get('a'), 9);
    assert.equal(await rt.write(0, 'a', (s) => s.increment('a'), () => -1), 10);
    rt.unload(0);
    assert.equal(shard.unloaded, true);
    assert.equal(rt.status(0), ErrorCode.NOT_COORDINATOR);
    assert.equal(await rt.write(0, 'a', (s) => s.increment('a'), (e) => -e), -ErrorCode.NOT_COORDINATOR);
  });

  test('transactional writes replay with their producer and offsets; markers replay after the writes before them; a load replays the same', async () => {
    const { rt, storage } = counterRuntime();
    storage.created = true;
    await rt.load(0);
    assert.equal(await rt.write(0, 'a', (s) => s.increment('a'), () => -1), 1);
    assert.equal(await rt.writeTransactional(0, 'b', { producerId: 42n, producerEpoch: 3 }, (s) => ({ records: [...s.increment('b').records, ...s.increment('c').records], response: 0 }), () => -1), 0);
    assert.equal(await rt.completeTransaction(0, { producerId: 42n, producerEpoch: 3, coordinatorEpoch: 1, commit: true }), ErrorCode.NONE);
    assert.equal(await rt.completeTransaction(0, { producerId: 42n, producerEpoch: 2, coordinatorEpoch: 1, commit: false }), ErrorCode.INVALID_PRODUCER_EPOCH, 'the log refuses an older epoch');
    const seen = ['a=1@0/-1', 'b=1@1/42', 'c=1@2/42', 'commit 42'];
    assert.deepEqual(rt.shard(0)!.seen, seen);
    assert.deepEqual(storage.transactional(0).map((e) => [e.producerId, e.producerEpoch]), [[42n, 3], [42n, 3]]);
    const again = counterRuntime(storage);
    await again.rt.load(0);
    assert.deepEqual(again.rt.shard(0)!.seen, seen);
  });

  test('a marker runs once every write of the partition started before it is replayed; writes after it wait', async () => {
    const { rt, storage } = counterRuntime();
    storage.created = true;
    await rt.load(0);
    let release!: () => void;
    storage.gate = new Promise<void>((r) => (release = r));
    const first = [rt.write(0, 'x', (s) => s.increment('x'), () => -1), rt.writeTransactional(0, 'y', { producerId: 5n, producerEpoch: 0 }, (s) => s.increment('y'), () => -1)];
    const markers = [rt.completeTransaction(0, { producerId: 5n, producerEpoch: 0, coordinatorEpoch: 0, commit: true }), rt.completeTransaction(0, { producerId: 6n, producerEpoch: 0, coordinatorEpoch: 0, commit: false })];
    const later = [rt.write(0, 'x', (s) => s.increment('x'), () => -1), rt.write(0, 'z', (s) => s.increment('z'), () => -1)];
    await settle();
    assert.equal(storage.started, 2, 'the markers and the later writes wait');
    storage.gate = null;
    release();
    assert.deepEqual(await Promise.all([...first, ...later]), [1, 1, 2, 1]);
    assert.deepEqual(await Promise.all(markers), [ErrorCode.NONE, ErrorCode.NONE]);
    assert.deepEqual(rt.shard(0)!.seen, ['x=1@0/-1', 'y=1@1/5', 'commit 5', 'abort 6', 'x=2@4/-1', 'z=1@5/-1']);
  });

  test("a failed append answers Kafka's coordinator error for the log's error", () => {
    assert.equal(appendErrorCode(new Error('no code')), ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.equal(appendErrorCode(new StorageError('timed out', ErrorCode.REQUEST_TIMED_OUT)), ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.equal(appendErrorCode(new StorageError('isr', ErrorCode.NOT_ENOUGH_REPLICAS)), ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.equal(appendErrorCode(new StorageError('moved', ErrorCode.NOT_LEADER_OR_FOLLOWER)), ErrorCode.NOT_COORDINATOR);
    assert.equal(appendErrorCode(new StorageError('dir', ErrorCode.KAFKA_STORAGE_ERROR)), ErrorCode.NOT_COORDINATOR);
    assert.equal(appendErrorCode(new StorageError('big', ErrorCode.RECORD_LIST_TOO_LARGE)), ErrorCode.UNKNOWN_SERVER_ERROR);
    assert.equal(appendErrorCode(new StorageError('zombie', ErrorCode.INVALID_PRODUCER_EPOCH)), ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(appendErrorCode(new StorageError('old coordinator', ErrorCode.TRANSACTION_COORDINATOR_FENCED)), ErrorCode.TRANSACTION_COORDINATOR_FENCED);
  });

  test('timers are named writes: rescheduling replaces, unloading cancels', async () => {
    const { rt, storage, clock } = counterRuntime();
    storage.created = true;
    await rt.load(0);
    const shard = rt.shard(0)!;
    shard.ctx.schedule('tick', 100, 't', () => shard.increment('t'));
    shard.ctx.schedule('tick', 200, 't', () => shard.increment('t'));
    clock.advance(150);
    await settle();
    assert.equal(shard.values.get('t'), undefined, 'the first schedule was replaced');
    clock.advance(100);
    await settle();
    assert.equal(shard.values.get('t'), 1, 'the timer wrote through the runtime');
    shard.ctx.schedule('tick', 100, 't', () => shard.increment('t'));
    rt.unload(0);
    clock.advance(1000);
    await settle();
    assert.equal(storage.partitions[0]!.length, 1, 'no write after the unload');
  });
});

// =============================================================================================
// The group coordinator on the runtime

const TA = '11111111-1111-1111-1111-111111111111';
const TOPICS = [{ name: 'topic-a', topicId: TA, partitions: 4 }];

function coordinator(storage: MemoryStorage, clock: ManualClock): GroupCoordinator {
  const gc = new GroupCoordinator({
    storage,
    clock,
    config: { initialRebalanceDelayMs: 0, minSessionTimeoutMs: 1000, offsetsRetentionMs: 50_000, offsetsRetentionCheckIntervalMs: 7_000, consumerSessionTimeoutMs: 20_000 },
    topicPartitions: (t) => (t === 'topic-a' ? 4 : undefined),
    topics: () => TOPICS,
    checkReplay: true,
  });
  gc.start();
  return gc;
}

type Op =
  | { k: 'join' | 'sync' | 'hb' | 'leave' | 'commit' | 'cjoin' | 'chb' | 'cleave' | 'cstatic'; g: number; m: number; p: number }
  | { k: 'standalone' | 'deleteOffsets' | 'deleteGroup'; g: number; p: number }
  | { k: 'advance'; ms: number }
  | { k: 'expire' }
  | { k: 'txn'; g: number; p: number; pid: number }
  | { k: 'end'; pid: number; commit: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constantFrom('join', 'join', 'sync', 'sync', 'hb', 'leave', 'commit', 'cjoin', 'cjoin', 'chb', 'chb', 'cleave', 'cstatic'), g: fc.nat(1), m: fc.nat(2), p: fc.nat(3) }),
  fc.record({ k: fc.constantFrom('standalone', 'deleteOffsets', 'deleteGroup'), g: fc.nat(1), p: fc.nat(3) }),
  fc.record({ k: fc.constant('advance' as const), ms: fc.constantFrom(0, 500, 3000, 12_000, 40_000) }),
  fc.constant({ k: 'expire' as const }),
  fc.record({ k: fc.constant('txn' as const), g: fc.nat(3), p: fc.nat(3), pid: fc.nat(1) }),
  fc.record({ k: fc.constant('end' as const), pid: fc.nat(1), commit: fc.boolean() }),
);

interface ClassicSlot {
  id: string;
  generation: number;
  leader: boolean;
  members: string[];
}
interface ConsumerSlot {
  id: string;
  epoch: number;
  owned: Array<{ topicId: string; partitions: number[] }>;
}

/** Plays operations as clients would (each kind of group on its own group ids), keeping what clients know. */
class Driver {
  readonly classic = new Map<string, ClassicSlot>();
  readonly consumer = new Map<string, ConsumerSlot>();
  readonly pending: Array<Promise<unknown>> = [];
  constructor(
    readonly gc: GroupCoordinator,
    readonly clock: ManualClock,
  ) {}

  private slot(g: number, m: number): string {
    return `${g}/${m}`;
  }

  async run(op: Op): Promise<unknown> {
    const gc = this.gc;
    switch (op.k) {
      case 'join': {
        const s = this.classic.get(this.slot(op.g, op.m));
        const p = gc
          .joinGroup({
            groupId: `classic-${op.g}`,
            memberId: s?.id ?? '',
            groupInstanceId: op.m === 2 ? `instance-${op.g}` : null,
            sessionTimeoutMs: 10_000,
            rebalanceTimeoutMs: 5_000,
            protocolType: 'consumer',
            protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 1, 0, 7, 116, 111, 112, 105, 99, 45, 97, 255, 255, 255, 255]) }],
            clientId: `c${op.m}`,
            clientHost: '/127.0.0.1',
            requireKnownMemberId: false,
            supportsSkipAssignment: false,
          })
          .then((r: JoinGroupResult) => {
            if (r.errorCode === ErrorCode.NONE) this.classic.set(this.slot(op.g, op.m), { id: r.memberId, generation: r.generationId, leader: r.leader === r.memberId, members: r.members.map((x) => x.memberId) });
          });
        this.pending.push(p);
        return undefined;
      }
      case 'sync': {
        const s = this.classic.get(this.slot(op.g, op.m));
        if (!s) return undefined;
        const assignments = s.leader ? s.members.map((id, i) => ({ memberId: id, assignment: Buffer.from(`a${i}-${op.p}`) })) : [];
        this.pending.push(gc.syncGroup({ groupId: `classic-${op.g}`, generationId: s.generation, memberId: s.id, groupInstanceId: op.m === 2 ? `instance-${op.g}` : null, protocolType: null, protocolName: null, assignments }));
        return undefined;
      }
      case 'hb': {
        const s = this.classic.get(this.slot(op.g, op.m));
        return s ? gc.heartbeat({ groupId: `classic-${op.g}`, generationId: s.generation, memberId: s.id, groupInstanceId: op.m === 2 ? `instance-${op.g}` : null }) : undefined;
      }
      case 'leave': {
        const s = this.classic.get(this.slot(op.g, op.m));
        if (!s) return undefined;
        this.classic.delete(this.slot(op.g, op.m));
        return gc.leaveGroup(`classic-${op.g}`, [{ memberId: s.id, groupInstanceId: op.m === 2 ? `instance-${op.g}` : null }]);
      }
      case 'commit': {
        const s = this.classic.get(this.slot(op.g, op.m));
        return this.commit(`classic-${op.g}`, s?.generation ?? -1, s?.id ?? '', op.p, 8);
      }
      case 'standalone':
        return this.commit(`solo-${op.g}`, -1, '', op.p, 8);
      case 'cjoin':
      case 'chb':
      case 'cstatic':
      case 'cleave': {
        const key = this.slot(op.g, op.m);
        const s = this.consumer.get(key);
        const joining = op.k === 'cjoin' || !s;
        if (!joining && s === undefined) return undefined;
        const epoch = op.k === 'cleave' ? -1 : op.k === 'cstatic' && op.m === 2 ? -2 : joining ? 0 : s!.epoch;
        const r = await gc.consumerGroupHeartbeat({
          groupId: `consumer-${op.g}`,
          memberId: joining && op.k === 'cjoin' ? (s?.id ?? '') : (s?.id ?? ''),
          memberEpoch: epoch,
          instanceId: op.m === 2 ? `cinstance-${op.g}` : null,
          rackId: null,
          rebalanceTimeoutMs: epoch === 0 ? 5_000 : -1,
          subscribedTopicNames: epoch === 0 ? ['topic-a'] : null,
          subscribedTopicRegex: null,
          serverAssignor: epoch === 0 && op.p === 0 ? 'range' : null,
          topicPartitions: epoch === 0 ? [] : (s?.owned ?? []),
          clientId: `k${op.m}`,
          clientHost: '/127.0.0.1',
          apiVersion: 0,
        });
        if (epoch < 0) this.consumer.delete(key);
        else if (r.errorCode === ErrorCode.NONE) this.consumer.set(key, { id: r.memberId ?? '', epoch: r.memberEpoch, owned: r.assignment ? r.assignment.topicPartitions : (s?.owned ?? []) });
        else this.consumer.delete(key);
        return r;
      }
      case 'deleteOffsets':
        return gc.deleteOffsets(op.g === 0 ? 'solo-0' : 'classic-1', [{ name: 'topic-a', partitions: [{ partitionIndex: op.p }] }]);
      case 'deleteGroup':
        return gc.deleteGroups([op.g === 0 ? 'solo-0' : `consumer-${op.p % 2}`]);
      case 'advance':
        await settle();
        this.clock.advance(op.ms);
        await settle();
        return undefined;
      case 'expire':
        return gc.cleanupExpiredOffsets();
      case 'txn': {
        // A transactional producer commits for a classic group (as a v2 client: no member) or a standalone one.
        const groupId = op.g < 2 ? `classic-${op.g}` : `solo-${op.g - 2}`;
        return gc.txnOffsetCommit({
          transactionalId: `tx-${op.pid}`,
          groupId,
          producerId: BigInt(op.pid + 100),
          producerEpoch: 0,
          generationId: -1,
          memberId: '',
          groupInstanceId: null,
          apiVersion: 2,
          topics: [{ name: 'topic-a', partitions: [{ partitionIndex: op.p, committedOffset: BigInt(op.p * 100 + op.pid), committedLeaderEpoch: -1, committedMetadata: 'txn' }] }],
        });
      }
      case 'end': {
        // The transaction coordinator's markers, to every partition (a partition without its offsets ignores it).
        const out: number[] = [];
        for (let p = 0; p < 4; p++) out.push(await gc.completeTransaction(p, BigInt(op.pid + 100), 0, 0, op.commit, 5000));
        return out;
      }
    }
  }

  commit(groupId: string, generationId: number, memberId: string, p: number, apiVersion: number): Promise<unknown> {
    return this.gc.commitOffsets({ groupId, generationId, memberId, groupInstanceId: null, retentionTimeMs: -1, apiVersion, topics: [{ name: 'topic-a', partitions: [{ partitionIndex: p, committedOffset: BigInt(p * 10), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: `m${p}` }] }] });
  }
}

describe('group coordinator on the runtime', () => {
  test('random group operations: the records of each write replay into the state it computed, and a coordinator loading them has the same state', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async (ops) => {
        const storage = new MemoryStorage(4);
        const clock = new ManualClock();
        const a = coordinator(storage, clock);
        const d = new Driver(a, clock);
        for (const op of ops) await d.run(op);
        await settle();
        assert.deepEqual(a.replayMismatches(), [], 'every write replayed into the state it computed');
        const before = a.snapshot();
        a.close();
        await Promise.all(d.pending);
        const b = coordinator(storage, clock);
        await b.loaded;
        assert.deepStrictEqual(b.snapshot(), before);
        b.close();
      }),
      { numRuns: 60 },
    );
  });

  test('the N-th append failing: that request gets a retriable error and the stored state is as before it', async () => {
    // The same script each time; append N (1, 2, 3, ...) fails until a run sees no failure.
    const script: Op[] = [
      { k: 'standalone', g: 0, p: 0 },
      { k: 'cjoin', g: 0, m: 0, p: 1 },
      { k: 'join', g: 0, m: 0, p: 0 },
      { k: 'join', g: 0, m: 1, p: 0 },
      { k: 'advance', ms: 0 },
      { k: 'sync', g: 0, m: 0, p: 2 },
      { k: 'sync', g: 0, m: 1, p: 2 },
      { k: 'advance', ms: 0 },
      { k: 'commit', g: 0, m: 0, p: 1 },
      { k: 'cjoin', g: 0, m: 1, p: 1 },
      { k: 'chb', g: 0, m: 0, p: 1 },
      { k: 'chb', g: 0, m: 1, p: 1 },
      { k: 'standalone', g: 1, p: 2 },
      { k: 'txn', g: 0, p: 3, pid: 0 },
      { k: 'txn', g: 2, p: 1, pid: 0 },
      { k: 'deleteOffsets', g: 0, p: 0 },
      { k: 'end', pid: 0, commit: true },
      { k: 'cleave', g: 0, m: 0, p: 1 },
      { k: 'deleteGroup', g: 0, p: 0 },
      { k: 'leave', g: 0, m: 1, p: 0 },
    ];
    let failures = 0;
    for (let n = 1; ; n++) {
      const storage = new MemoryStorage(4);
      storage.failNth = n;
      const clock = new ManualClock();
      const gc = coordinator(storage, clock);
      assert.equal(await gc.ensureStorage(), ErrorCode.NONE);
      const d = new Driver(gc, clock);
      let hit = false;
      for (const op of script) {
        await settle();
        const before = gc.snapshot();
        const appendsBefore = storage.appends;
        const result = await d.run(op);
        await settle();
        if (appendsBefore < n && storage.appends >= n) {
          hit = true;
          // Only requests that carry their own write are checked (a leave's later store is a follow-up).
          if (op.k === 'leave' || op.k === 'join' || op.k === 'advance') continue;
          if (op.k === 'end') {
            // Markers to several partitions: the one whose append failed answers the retriable error (the others went on).
            assert.ok(Array.isArray(result) && result.includes(ErrorCode.COORDINATOR_NOT_AVAILABLE), `end with append ${n} failing answered ${String(result)}`);
            failures++;
            continue;
          }
          const codes = JSON.stringify(result ?? null, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
          assert.ok(
            op.k === 'sync' || new RegExp(`"error[Cc]ode":(${ErrorCode.COORDINATOR_NOT_AVAILABLE})`).test(codes) || codes === String(ErrorCode.COORDINATOR_NOT_AVAILABLE),
            `${op.k} with append ${n} failing answered ${codes}`,
          );
          assert.deepStrictEqual(gc.snapshot(), before, `${op.k}: the state after a failed append is the state before`);
          failures++;
        }
      }
      gc.close();
      await Promise.all(d.pending);
      if (!hit) break;
    }
    assert.ok(failures >= 8, `${failures} requests saw their append fail`);
  });
});

// The consumer in a group (subscribe): partitions split and handed over through the broker's
// coordinator, committed offsets resumed, every record read once; and the client-side assignors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Consumer, Producer, assign, decodeAssignment, encodeAssignment, type ConsumerRecord, type TopicPartitionRef } from '../../src/client/index.js';
import { startBroker, type TestBroker } from './helpers/broker-client.js';

test('assignors: range and roundrobin as Kafka computes them', () => {
  const counts = new Map([['a', 4], ['b', 3]]);
  const members = [{ memberId: 'm2', topics: ['a', 'b'] }, { memberId: 'm1', topics: ['a', 'b'] }, { memberId: 'm3', topics: ['a'] }];
  const fmt = (m: Map<string, TopicPartitionRef[]>): Record<string, string> => Object.fromEntries([...m].map(([k, v]) => [k, v.map((p) => `${p.topic}${p.partition}`).join(' ')]));
  assert.deepEqual(fmt(assign('range', members, counts)), { m1: 'a0 a1 b0 b1', m2: 'a2 b2', m3: 'a3' });
  assert.deepEqual(fmt(assign('roundrobin', members, counts)), { m1: 'a0 a3 b1', m2: 'a1 b0 b2', m3: 'a2' });
  const parts = [{ topic: 'a', partition: 3 }, { topic: 'b', partition: 0 }, { topic: 'a', partition: 1 }];
  assert.deepEqual(decodeAssignment(encodeAssignment(parts)), [{ topic: 'a', partition: 3 }, { topic: 'a', partition: 1 }, { topic: 'b', partition: 0 }]);
});

describe('Consumer in a group', () => {
  let tb: TestBroker;
  let bootstrap: string;
  let producer: Producer;
  before(async () => {
    tb = await startBroker({ 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 1000 });
    bootstrap = `127.0.0.1:${tb.broker.port}`;
    const admin = await Admin.connect({ bootstrap });
    await admin.createTopics([{ name: 'grp', partitions: 4 }]);
    await admin.close();
    producer = await Producer.connect({ bootstrap, lingerMs: 1 });
  });
  after(async () => {
    await producer.close();
    await tb.close();
  });

  const member = (name: string, log: string[]): Promise<Consumer> =>
    Consumer.connect({
      bootstrap,
      clientId: name,
      groupId: 'grp-group',
      autoOffsetReset: 'earliest',
      maxWaitMs: 50,
      autoCommitIntervalMs: 100,
      group: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 100, rebalanceTimeoutMs: 10_000 },
      onAssigned: (p) => void log.push(`${name} assigned ${p.length}`),
      onRevoked: (p) => void log.push(`${name} revoked ${p.length}`),
    });

  /** Polls every consumer until `done` says so (each poll long-polls up to 50 ms). */
  async function pollUntil(cs: Consumer[], got: Map<Consumer, ConsumerRecord[]>, done: () => boolean, what: string): Promise<void> {
    for (let i = 0; !done(); i++) {
      assert.ok(i < 400, `gave up waiting for ${what}`);
      await Promise.all(cs.map(async (c) => got.get(c)!.push(...(await c.poll()))));
    }
  }

  test('two members split the partitions; a graceful leave hands them over; committed offsets are resumed', async () => {
    const log: string[] = [];
    const a = await member('a', log);
    const b = await member('b', log);
    a.subscribe(['grp']);
    b.subscribe(['grp']);
    const got = new Map<Consumer, ConsumerRecord[]>([[a, []], [b, []]]);
    await pollUntil([a, b], got, () => a.assignment().length === 2 && b.assignment().length === 2, 'a 2 + 2 split');
    const own = (c: Consumer): Set<number> => new Set(c.assignment().map((p) => p.partition));
    assert.deepEqual(new Set([...own(a), ...own(b)]), new Set([0, 1, 2, 3]));

    const sent = await producer.send('grp', Array.from({ length: 40 }, (_v, i) => ({ key: `k${i}`, value: `v${i}` })));
    const total = (): number => [...got.values()].reduce((n, r) => n + r.length, 0);
    await pollUntil([a, b], got, () => total() >= 40, '40 records');
    for (const [c, recs] of got) for (const r of recs) assert.ok(own(c).has(r.partition), 'a member read a partition it does not own');
    assert.deepEqual([...got.values()].flat().map((r) => r.value!.toString()).sort(), sent.map((_m, i) => `v${i}`).sort());

    await a.close(); // commits, then LeaveGroup: b takes over at once
    const admin = await Admin.connect({ bootstrap });
    const [desc] = await admin.describeGroups(['grp-group']);
    await admin.close();
    assert.deepEqual(desc!.members.map((m) => m.clientId), ['b'], 'a left the group when it closed (LeaveGroup), not at its session timeout');
    got.set(b, []);
    await pollUntil([b], got, () => b.assignment().length === 4, 'b to own all 4 partitions');
    const more = await producer.send('grp', Array.from({ length: 8 }, (_v, i) => ({ key: `x${i}`, value: `w${i}` })));
    await pollUntil([b], got, () => got.get(b)!.length >= 8, "the 8 new records");
    assert.deepEqual(got.get(b)!.map((r) => r.value!.toString()).sort(), more.map((_m, i) => `w${i}`).sort(), "nothing a had committed is read again");
    await b.close();

    // A new member resumes where the group committed: nothing is read again.
    const c = await member('c', log);
    c.subscribe(['grp']);
    got.set(c, []);
    await pollUntil([c], got, () => c.assignment().length === 4, 'c to join');
    const last = await producer.send('grp', { key: 'z', value: 'last' });
    await pollUntil([c], got, () => got.get(c)!.length >= 1, 'the last record');
    assert.deepEqual(got.get(c)!.map((r) => [r.partition, r.offset]), [[last[0]!.partition, last[0]!.offset]]);
    await c.close();
    assert.ok(log.includes('a revoked 2') && log.includes('b assigned 4'), log.join(', '));
  });
});

// KafkaJS 2.2.4 consumer groups end to end against the embedded broker: two consumers split four
// partitions, one leaves and the other takes all four, and committed offsets resume the group
// after a broker restart. Synchronised on KafkaJS's instrumentation events, never on sleeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import type { Consumer, ConsumerGroupJoinEvent, ConsumerCommitOffsetsEvent, Kafka as KafkaType } from 'kafkajs';
import { deadline, startBroker } from './helpers/broker-client.js';

const { Kafka, logLevel } = kafkajs;

const TOPIC = 'kjs-topic';
const GROUP = 'kjs-group';

function client(bootstrap: string): KafkaType {
  return new Kafka({ clientId: 'kjs-test', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50 } });
}

/** Resolves on the first event for which `pred` holds. */
function waitFor<T>(consumer: Consumer, event: string, pred: (payload: T) => boolean, what: string): Promise<T> {
  return deadline(
    new Promise<T>((resolve) => {
      const off = consumer.on(event as never, (e: { payload: T }) => {
        if (pred(e.payload)) {
          off();
          resolve(e.payload);
        }
      });
    }),
    30_000,
    what,
  );
}

const partitionsOf = (a: Record<string, number[]>): number[] => [...(a[TOPIC] ?? [])].sort();

test('KafkaJS: two consumers split 4 partitions, a leave hands all to the other, offsets survive a restart', { timeout: 120_000 }, async () => {
  const tb = await startBroker({ 'group.initial.rebalance.delay.ms': 0, 'num.partitions': 4 });
  try {
    let kafka = client(tb.broker.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 4 }] });
    const producer = kafka.producer();
    await producer.connect();
    for (let p = 0; p < 4; p++) {
      await producer.send({ topic: TOPIC, messages: Array.from({ length: 10 }, (_, i) => ({ partition: p, value: `p${p}-m${i}` })) });
    }

    const seen = new Map<string, number>();
    let allSeen!: () => void;
    const allSeenP = new Promise<void>((r) => (allSeen = r));
    const consume = async ({ partition, message }: { partition: number; message: { offset: string } }): Promise<void> => {
      seen.set(`${partition}:${message.offset}`, (seen.get(`${partition}:${message.offset}`) ?? 0) + 1);
      if (seen.size === 40) allSeen();
    };
    const newConsumer = (): Consumer => kafka.consumer({ groupId: GROUP, sessionTimeout: 6000, rebalanceTimeout: 10_000, heartbeatInterval: 200, maxWaitTimeInMs: 100 });

    // Committed offsets per partition, from the commit events of every consumer.
    const committed = new Map<number, number>();
    const trackCommits = (c: Consumer): void => {
      c.on(c.events.COMMIT_OFFSETS, (e: ConsumerCommitOffsetsEvent) => {
        for (const t of e.payload.topics) for (const p of t.partitions) committed.set(Number(p.partition), Number(p.offset));
      });
    };

    const c1 = newConsumer();
    trackCommits(c1);
    await c1.connect();
    await c1.subscribe({ topic: TOPIC, fromBeginning: true });
    const c1Alone = waitFor<ConsumerGroupJoinEvent['payload']>(c1, c1.events.GROUP_JOIN, (p) => partitionsOf(p.memberAssignment).length === 4, 'c1 owning all 4 partitions');
    await c1.run({ eachMessage: consume });
    await c1Alone;

    // A second member: the group rebalances and each gets two partitions.
    const c2 = newConsumer();
    trackCommits(c2);
    await c2.connect();
    await c2.subscribe({ topic: TOPIC, fromBeginning: true });
    const c1Split = waitFor<ConsumerGroupJoinEvent['payload']>(c1, c1.events.GROUP_JOIN, (p) => partitionsOf(p.memberAssignment).length === 2, 'c1 with 2 partitions');
    const c2Split = waitFor<ConsumerGroupJoinEvent['payload']>(c2, c2.events.GROUP_JOIN, (p) => partitionsOf(p.memberAssignment).length === 2, 'c2 with 2 partitions');
    await c2.run({ eachMessage: consume });
    const [j1, j2] = await Promise.all([c1Split, c2Split]);
    assert.equal(j1.groupId, GROUP);
    assert.deepEqual([...partitionsOf(j1.memberAssignment), ...partitionsOf(j2.memberAssignment)].sort(), [0, 1, 2, 3]);
    assert.equal(j1.leaderId, j2.leaderId);
    const described = await admin.describeGroups([GROUP]);
    assert.equal(described.groups[0]!.members.length, 2);
    assert.equal(described.groups[0]!.state, 'Stable');

    await deadline(allSeenP, 30_000, 'all 40 messages consumed');

    // c2 leaves gracefully: c1 gets all four back without waiting for a session timeout.
    const c1All = waitFor<ConsumerGroupJoinEvent['payload']>(c1, c1.events.GROUP_JOIN, (p) => partitionsOf(p.memberAssignment).length === 4, 'c1 owning all 4 again');
    const started = Date.now();
    await c2.disconnect();
    await c1All;
    assert.ok(Date.now() - started < 6000, 'the handover does not wait for the session timeout');

    // Every partition committed at offset 10 (KafkaJS commits after each batch).
    if (![0, 1, 2, 3].every((p) => committed.get(p) === 10)) {
      await waitFor<ConsumerCommitOffsetsEvent['payload']>(c1, c1.events.COMMIT_OFFSETS, () => [0, 1, 2, 3].every((p) => committed.get(p) === 10), 'offsets 10 committed');
    }
    const fetched = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    assert.deepEqual(fetched[0]!.partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '10'], [1, '10'], [2, '10'], [3, '10']]);
    await c1.disconnect();
    await producer.disconnect();
    await admin.disconnect();

    // Restart the broker on the same log dir; the group resumes from its committed offsets.
    await tb.restart();
    await tb.broker.groups.loaded;
    kafka = client(tb.broker.bootstrap);
    const producer2 = kafka.producer();
    await producer2.connect();
    for (let p = 0; p < 4; p++) await producer2.send({ topic: TOPIC, messages: [{ partition: p, value: `after-restart-${p}` }] });
    await producer2.disconnect();

    const after: string[] = [];
    let gotFour!: () => void;
    const gotFourP = new Promise<void>((r) => (gotFour = r));
    const c3 = newConsumer();
    await c3.connect();
    await c3.subscribe({ topic: TOPIC, fromBeginning: true });
    await c3.run({
      eachMessage: async ({ partition, message }) => {
        after.push(`${partition}:${message.offset}:${message.value?.toString()}`);
        if (after.length >= 4) gotFour();
      },
    });
    await deadline(gotFourP, 30_000, 'the 4 records produced after the restart');
    await c3.disconnect();
    assert.deepEqual(after.sort(), [0, 1, 2, 3].map((p) => `${p}:10:after-restart-${p}`), 'resumed at the committed offsets, nothing consumed twice');
  } finally {
    await tb.close();
  }
});

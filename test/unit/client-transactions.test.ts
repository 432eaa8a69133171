// The transactional producer (src/client/producer.ts, transaction-manager.ts) against the embedded
// broker, with transaction version 2 (what the broker finalizes) and version 1 (forced): commit and
// abort leave the right markers in every partition, offsets sent with a transaction become the
// group's only when it commits, a second producer with the same id fences the first (typed error,
// producer unusable), an abortable error lets the producer abort and go on, and the state machine
// refuses calls out of order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, IllegalStateError, Producer, ProducerFencedError, TransactionAbortableError, TransactionFatalError } from '../../src/client/index.js';
import { fetchCommitted, findCoordinator } from '../../src/client/consumer-protocol.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { CONTROL_COMMIT, decodeRecordSetSync, isControl, isTransactional, parseControlRecordKey } from '../../src/protocol/records/index.js';
import { connect, fetchRequest, startBroker, topicId, type TestBroker } from './helpers/broker-client.js';

interface Entry {
  offset: number;
  value: string | null;
  /** Control batches: the marker. */
  marker?: 'COMMIT' | 'ABORT';
  transactional: boolean;
  producerId: bigint;
  producerEpoch: number;
}

describe('transactional producer', () => {
  let tb: TestBroker;
  let bootstrap: string;
  before(async () => {
    tb = await startBroker({ 'offsets.topic.num.partitions': 2, 'transaction.state.log.num.partitions': 2 });
    bootstrap = `127.0.0.1:${tb.broker.port}`;
    const admin = await Admin.connect({ bootstrap });
    await admin.createTopics(['tx-a', 'tx-b', 'tx-v1', 'tx-fence', 'tx-off', 'tx-abortable', 'tx-state'].map((name) => ({ name, partitions: 2 })));
    await admin.close();
  });
  after(async () => {
    await tb.close();
  });

  /** Everything in a partition's log (read_uncommitted, control batches included). */
  async function log(topic: string, partition: number): Promise<Entry[]> {
    const c = await connect(tb);
    try {
      const res = await c.send(ApiKey.Fetch, fetchRequest({ topic, topicId: await topicId(c, topic), partition, offset: 0, partitionMaxBytes: 10 << 20 }));
      const out: Entry[] = [];
      for (const b of decodeRecordSetSync(res.responses[0]!.partitions[0]!.records ?? Buffer.alloc(0))) {
        const h = b.header;
        for (const r of b.records) {
          const base = { offset: r.offset, transactional: isTransactional(h.attributes), producerId: h.producerId, producerEpoch: h.producerEpoch };
          if (isControl(h.attributes)) out.push({ ...base, value: null, marker: parseControlRecordKey(r.key).type === CONTROL_COMMIT ? 'COMMIT' : 'ABORT' });
          else out.push({ ...base, value: r.value?.toString() ?? null });
        }
      }
      return out;
    } finally {
      c.destroy();
    }
  }

  /** Polls until the partition's log ends with a marker (the coordinator writes them after EndTxn answers). */
  async function logWithMarkers(topic: string, partition: number, markers: number): Promise<Entry[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const l = await log(topic, partition);
      if (l.filter((e) => e.marker).length >= markers || Date.now() > deadline) return l;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  for (const version of [2, 1] as const) {
    test(`transaction version ${version}: a committed and an aborted transaction over two topics, markers in every partition`, async () => {
      const p = await Producer.connect({ bootstrap, transactionalId: `tx-commit-abort-v${version}`, lingerMs: 1, ...(version === 1 ? { transactionVersion: 1 as const } : {}) });
      await p.initTransactions();
      assert.equal(p.transactionVersion, version);
      const topic = version === 2 ? 'tx-a' : 'tx-v1';
      const first = p.producerIdAndEpoch!;
      p.beginTransaction();
      await p.send(topic, [{ value: 'c0', partition: 0 }, { value: 'c1', partition: 1 }]);
      await p.send('tx-b', { value: `b-v${version}`, partition: 0 });
      await p.commitTransaction();
      const afterCommit = p.producerIdAndEpoch!;
      // Version 2 bumps the epoch at every EndTxn; version 1 keeps it.
      assert.equal(afterCommit.id, first.id);
      assert.equal(afterCommit.epoch, version === 2 ? first.epoch + 1 : first.epoch);

      p.beginTransaction();
      const aborted = p.send(topic, [{ value: 'a0', partition: 0 }, { value: 'a1', partition: 0 }]);
      await aborted;
      await p.abortTransaction();
      assert.equal(p.transactionState, 'ready');

      p.beginTransaction();
      await p.send(topic, { value: 'c2', partition: 0 });
      await p.commitTransaction();
      await p.close();

      const l0 = await logWithMarkers(topic, 0, 3);
      assert.deepEqual(
        l0.map((e) => e.marker ?? e.value),
        ['c0', 'COMMIT', 'a0', 'a1', 'ABORT', 'c2', 'COMMIT'],
      );
      assert.ok(l0.every((e) => e.transactional && e.producerId === first.id));
      if (version === 2) {
        // Each transaction's data and its marker carry that transaction's epoch... the marker the bumped one.
        assert.deepEqual(l0.map((e) => e.producerEpoch - first.epoch), [0, 1, 1, 1, 2, 2, 3]);
      } else {
        assert.ok(l0.every((e) => e.producerEpoch === first.epoch));
      }
      assert.deepEqual((await logWithMarkers(topic, 1, 1)).map((e) => e.marker ?? e.value), ['c1', 'COMMIT']);
      const b = await logWithMarkers('tx-b', 0, version === 2 ? 1 : 2);
      assert.ok(b.some((e) => e.value === `b-v${version}`));
    });
  }

  for (const version of [2, 1] as const) {
    test(`transaction version ${version}: sendOffsetsToTransaction commits the group's offsets only with the transaction`, async () => {
      const group = `tx-group-v${version}`;
      const p = await Producer.connect({ bootstrap, transactionalId: `tx-offsets-v${version}`, ...(version === 1 ? { transactionVersion: 1 as const } : {}) });
      await p.initTransactions();
      const meta = { groupId: group, generationId: -1, memberId: '', groupInstanceId: null };
      const committed = async (): Promise<Array<{ topic: string; partition: number; offset: bigint }>> => {
        const admin = await Admin.connect({ bootstrap });
        try {
          return (await admin.listConsumerGroupOffsets(group)).map(({ topic, partition, offset }) => ({ topic, partition, offset }));
        } catch {
          return [];
        } finally {
          await admin.close();
        }
      };
      p.beginTransaction();
      await p.send('tx-off', { value: 'x', partition: 0 });
      await p.sendOffsetsToTransaction([{ topic: 'tx-off', partition: 1, offset: 7n }], meta);
      await p.abortTransaction();
      assert.deepEqual(await committed(), []);

      p.beginTransaction();
      await p.sendOffsetsToTransaction([{ topic: 'tx-off', partition: 1, offset: 9n }], meta);
      await p.commitTransaction();
      await p.close();
      // The markers reach __consumer_offsets after EndTxn answers: poll.
      const deadline = Date.now() + 10_000;
      let got = await committed();
      while (got.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        got = await committed();
      }
      assert.deepEqual(got, [{ topic: 'tx-off', partition: 1, offset: 9n }]);
    });
  }

  test('a second producer with the same transactional id fences the first: ProducerFencedError, then unusable', async () => {
    const zombie = await Producer.connect({ bootstrap, transactionalId: 'tx-fenced', lingerMs: 1 });
    await zombie.initTransactions();
    zombie.beginTransaction();
    await zombie.send('tx-fence', { value: 'zombie-1', partition: 0 });

    const successor = await Producer.connect({ bootstrap, transactionalId: 'tx-fenced', lingerMs: 1 });
    await successor.initTransactions(); // aborts the zombie's open transaction

    await assert.rejects(zombie.send('tx-fence', { value: 'zombie-2', partition: 0 }).then(() => zombie.commitTransaction()), (e: Error) => e instanceof ProducerFencedError || e instanceof TransactionAbortableError);
    await assert.rejects(zombie.commitTransaction(), ProducerFencedError);
    assert.equal(zombie.transactionState, 'fatalError');
    assert.throws(() => zombie.beginTransaction(), ProducerFencedError);
    await assert.rejects(zombie.send('tx-fence', { value: 'zombie-3', partition: 0 }), ProducerFencedError);
    await assert.rejects(zombie.abortTransaction(), ProducerFencedError);
    await zombie.close();

    successor.beginTransaction();
    await successor.send('tx-fence', { value: 'successor', partition: 0 });
    await successor.commitTransaction();
    await successor.close();
    const l = await logWithMarkers('tx-fence', 0, 2);
    const seq = l.map((e) => e.marker ?? e.value);
    assert.equal(seq[0], 'zombie-1');
    assert.equal(seq[1], 'ABORT');
    assert.ok(!seq.includes('zombie-3'));
    assert.deepEqual(seq.slice(-2), ['successor', 'COMMIT']);
  });

  test('a fenced producer learns it at commit (EndTxn answers PRODUCER_FENCED)', async () => {
    const zombie = await Producer.connect({ bootstrap, transactionalId: 'tx-fenced-commit' });
    await zombie.initTransactions();
    zombie.beginTransaction();
    await zombie.send('tx-fence', { value: 'z', partition: 1 });
    const successor = await Producer.connect({ bootstrap, transactionalId: 'tx-fenced-commit' });
    await successor.initTransactions();
    const err = await zombie.commitTransaction().then(() => null, (e: unknown) => e);
    assert.ok(err instanceof ProducerFencedError, String(err));
    assert.ok(err instanceof TransactionFatalError);
    assert.equal(err.errorName, 'PRODUCER_FENCED');
    await zombie.close();
    await successor.close();
  });

  test('an abortable error (a record to a partition that does not exist) lets the producer abort and go on', async () => {
    const p = await Producer.connect({ bootstrap, transactionalId: 'tx-abortable', lingerMs: 1, retries: 1, retryBackoffMs: 10 });
    await p.initTransactions();
    p.beginTransaction();
    await p.send('tx-abortable', { value: 'ok', partition: 0 });
    // An offset commit with a stale generation of a group that has members is refused: abortable.
    const c = await connect(tb);
    await findCoordinator(c, 'tx-abortable-group');
    c.destroy();
    await assert.rejects(
      p.sendOffsetsToTransaction([{ topic: 'tx-abortable', partition: 0, offset: 1n }], { groupId: 'tx-abortable-group', generationId: 5, memberId: 'nobody', groupInstanceId: null }),
      TransactionAbortableError,
    );
    assert.equal(p.transactionState, 'abortableError');
    await assert.rejects(p.commitTransaction(), TransactionAbortableError);
    await assert.rejects(p.send('tx-abortable', { value: 'no', partition: 0 }), TransactionAbortableError);
    await p.abortTransaction();
    assert.equal(p.transactionState, 'ready');
    p.beginTransaction();
    await p.send('tx-abortable', { value: 'after', partition: 0 });
    await p.commitTransaction();
    await p.close();
    const l = await logWithMarkers('tx-abortable', 0, 2);
    assert.deepEqual(l.map((e) => e.marker ?? e.value), ['ok', 'ABORT', 'after', 'COMMIT']);
  });

  test('calls out of order are refused with IllegalStateError; a plain producer has no transactions', async () => {
    const p = await Producer.connect({ bootstrap, transactionalId: 'tx-state' });
    assert.throws(() => p.beginTransaction(), IllegalStateError);
    await p.initTransactions();
    await assert.rejects(p.initTransactions(), IllegalStateError);
    await assert.rejects(p.send('tx-state', { value: 'outside' }), IllegalStateError);
    await assert.rejects(p.commitTransaction(), IllegalStateError);
    await assert.rejects(p.abortTransaction(), IllegalStateError);
    p.beginTransaction();
    assert.throws(() => p.beginTransaction(), IllegalStateError);
    await p.commitTransaction(); // nothing sent: nothing to tell the coordinator
    await p.close();

    const plain = await Producer.connect({ bootstrap });
    await assert.rejects(plain.initTransactions(), IllegalStateError);
    assert.throws(() => plain.beginTransaction(), IllegalStateError);
    await plain.close();
    await assert.rejects(Producer.connect({ bootstrap, transactionalId: 'x', acks: 1 }), RangeError);
    await assert.rejects(Producer.connect({ bootstrap, transactionalId: '' }), RangeError);
  });

  test('offsets of an open transaction are not stable for a requireStable fetch (KIP-447)', async () => {
    const p = await Producer.connect({ bootstrap, transactionalId: 'tx-unstable' });
    await p.initTransactions();
    p.beginTransaction();
    await p.sendOffsetsToTransaction([{ topic: 'tx-off', partition: 0, offset: 3n }], { groupId: 'tx-unstable-group', generationId: -1, memberId: '', groupInstanceId: null });
    const c = await connect(tb);
    const at = await findCoordinator(c, 'tx-unstable-group');
    c.destroy();
    const coord = await connect(tb);
    assert.equal(at.port, tb.broker.port);
    await assert.rejects(fetchCommitted(coord, 'tx-unstable-group', true, [{ topic: 'tx-off', partition: 0 }]), (e: Error & { errorName?: string }) => e.errorName === 'UNSTABLE_OFFSET_COMMIT');
    await p.commitTransaction();
    const deadline = Date.now() + 10_000;
    for (;;) {
      const got = await fetchCommitted(coord, 'tx-unstable-group', true, [{ topic: 'tx-off', partition: 0 }]).catch(() => null);
      if (got) {
        assert.deepEqual(got.map((o) => o.offset), [3n]);
        break;
      }
      assert.ok(Date.now() < deadline, 'offsets never became stable');
      await new Promise((r) => setTimeout(r, 20));
    }
    coord.destroy();
    await p.close();
  });
});

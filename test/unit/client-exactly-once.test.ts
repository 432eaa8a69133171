// runExactlyOnce (src/client/exactly-once.ts) against the embedded broker: two pipeline instances
// in one consumer group, the second joining mid-stream and the first leaving mid-stream (two
// rebalances under load); every input record's output appears exactly once among the committed
// transactions of the output topic, and the group's committed offsets are the input's end. The
// committed output is worked out from the raw log and its markers here (independently of the
// consumer's read_committed filter). Also: a failing transform aborts and stops with TransformError,
// the input is read again by the next run; a fenced instance stops with ProducerFencedError.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Consumer, Producer, ProducerFencedError, TransformError, runExactlyOnce, type ExactlyOnceSummary } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { CONTROL_COMMIT, decodeRecordSetSync, isControl, parseControlRecordKey } from '../../src/protocol/records/index.js';
import { connect, fetchRequest, startBroker, topicId, type TestBroker } from './helpers/broker-client.js';

describe('runExactlyOnce', () => {
  let tb: TestBroker;
  let bootstrap: string;
  before(async () => {
    tb = await startBroker({ 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 1000, 'offsets.topic.num.partitions': 2, 'transaction.state.log.num.partitions': 2 });
    bootstrap = `127.0.0.1:${tb.broker.port}`;
    const admin = await Admin.connect({ bootstrap });
    await admin.createTopics([
      { name: 'eo-in', partitions: 4 },
      { name: 'eo-out', partitions: 3 },
      { name: 'eo-fail-in', partitions: 1 },
      { name: 'eo-fail-out', partitions: 1 },
    ]);
    await admin.close();
  });
  after(async () => {
    await tb.close();
  });

  /** The values of committed transactions (and non-transactional records) of a topic, from the raw log. */
  async function committedValues(topic: string, partitions: number): Promise<string[]> {
    const c = await connect(tb);
    const out: string[] = [];
    try {
      for (let partition = 0; partition < partitions; partition++) {
        const res = await c.send(ApiKey.Fetch, fetchRequest({ topic, topicId: await topicId(c, topic), partition, offset: 0, partitionMaxBytes: 64 << 20 }));
        const open = new Map<bigint, string[]>();
        for (const b of decodeRecordSetSync(res.responses[0]!.partitions[0]!.records ?? Buffer.alloc(0))) {
          const pid = b.header.producerId;
          if (isControl(b.header.attributes)) {
            if (parseControlRecordKey(b.records[0]!.key).type === CONTROL_COMMIT) out.push(...(open.get(pid) ?? []));
            open.delete(pid);
            continue;
          }
          open.set(pid, [...(open.get(pid) ?? []), ...b.records.map((r) => r.value!.toString())]);
        }
      }
    } finally {
      c.destroy();
    }
    return out;
  }

  async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await cond())) {
      assert.ok(Date.now() < deadline, `gave up waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  const instance = async (name: string, group: string, inputs: string[], output: string, transform = (v: string): string => `out-${v}`) => {
    const consumer = await Consumer.connect({
      bootstrap,
      clientId: name,
      groupId: group,
      isolationLevel: 'read_committed',
      autoCommit: false,
      autoOffsetReset: 'earliest',
      maxWaitMs: 50,
      maxPartitionBytes: 2048, // small batches: many transactions
      group: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 100, rebalanceTimeoutMs: 10_000 },
    });
    const producer = await Producer.connect({ bootstrap, transactionalId: `${group}-${name}`, lingerMs: 1 });
    const stop = new AbortController();
    const commits: number[] = [];
    const aborts: unknown[] = [];
    const run: Promise<ExactlyOnceSummary> = runExactlyOnce({
      consumer,
      producer,
      inputTopics: inputs,
      transform: (r) => ({ topic: output, key: r.key, value: transform(r.value!.toString()) }),
      signal: stop.signal,
      onCommit: (b) => void commits.push(b.records),
      onAbort: (e) => void aborts.push(e),
    });
    return {
      consumer,
      producer,
      commits,
      aborts,
      run,
      async stop(): Promise<ExactlyOnceSummary> {
        stop.abort();
        const s = await run;
        await consumer.close();
        await producer.close();
        return s;
      },
    };
  };

  test('two instances, one joining and one leaving mid-stream: every input once in the committed output', async () => {
    const feeder = await Producer.connect({ bootstrap, lingerMs: 1 });
    const feed = async (from: number, to: number): Promise<void> => {
      await feeder.send('eo-in', Array.from({ length: to - from }, (_v, i) => ({ key: `k${(from + i) % 13}`, value: `v${from + i}` })));
    };
    await feed(0, 300);
    const a = await instance('a', 'eo-group', ['eo-in'], 'eo-out');
    const aFailed = a.run.then(() => null, (e: unknown) => e);
    await until('a to commit', async () => {
      const e = await Promise.race([aFailed, Promise.resolve(undefined)]);
      if (e) throw e as Error;
      return a.commits.length >= 1;
    });
    const b = await instance('b', 'eo-group', ['eo-in'], 'eo-out');
    await until('the group to split the partitions', () => b.consumer.assignment().length > 0 && a.consumer.assignment().length + b.consumer.assignment().length === 4);
    await feed(300, 600);
    await until('b to commit (the group rebalanced to two members)', () => b.commits.length >= 1);
    await until('the first 600 outputs', async () => (await committedValues('eo-out', 3)).length >= 600);
    const sa = await a.stop(); // leaves the group: b takes every partition over
    await feed(600, 800);
    await until('all 800 outputs', async () => (await committedValues('eo-out', 3)).length >= 800);
    const sb = await b.stop();
    await feeder.close();

    const got = await committedValues('eo-out', 3);
    const want = Array.from({ length: 800 }, (_v, i) => `out-v${i}`);
    const dup = got.filter((v, i) => got.indexOf(v) !== i);
    assert.deepEqual(dup, [], 'duplicated outputs');
    assert.deepEqual([...got].sort(), [...want].sort(), 'lost outputs');
    assert.ok(sa.transactions >= 1 && sb.transactions >= 2, `${sa.transactions} and ${sb.transactions} transactions`);

    const admin = await Admin.connect({ bootstrap });
    const offsets = await admin.listConsumerGroupOffsets('eo-group');
    const ends = await admin.listOffsets([0, 1, 2, 3].map((partition) => ({ topic: 'eo-in', partition, at: 'latest' as const })));
    await admin.close();
    assert.deepEqual(
      offsets.map((o) => [o.partition, o.offset]),
      ends.filter((e) => e.offset > 0n).map((e) => [e.partition, e.offset]), // an empty partition has no committed offset
    );
  });

  test('a failing transform aborts the batch and stops with TransformError; the next run reads it again', async () => {
    const feeder = await Producer.connect({ bootstrap });
    await feeder.send('eo-fail-in', [{ value: 'ok-0' }, { value: 'ok-1' }, { value: 'bad' }, { value: 'ok-3' }]);
    await feeder.close();
    const failing = await instance('f', 'eo-fail', ['eo-fail-in'], 'eo-fail-out', (v) => {
      if (v === 'bad') throw new Error('cannot transform');
      return `out-${v}`;
    });
    const err = await failing.run.then(() => null, (e: unknown) => e);
    assert.ok(err instanceof TransformError, String(err));
    assert.equal(err.record.value!.toString(), 'bad');
    assert.equal((err.cause as Error).message, 'cannot transform');
    await failing.consumer.close();
    await failing.producer.close();
    assert.deepEqual(await committedValues('eo-fail-out', 1), [], 'the aborted batch left no committed output');

    const fixed = await instance('g', 'eo-fail', ['eo-fail-in'], 'eo-fail-out');
    await until('the 4 outputs', async () => (await committedValues('eo-fail-out', 1)).length >= 4);
    await fixed.stop();
    assert.deepEqual(await committedValues('eo-fail-out', 1), ['out-ok-0', 'out-ok-1', 'out-bad', 'out-ok-3']);
  });

  test('a zombie instance (its transactional id taken over) stops with ProducerFencedError', async () => {
    const feeder = await Producer.connect({ bootstrap });
    await feeder.send('eo-fail-in', { value: 'z' });
    await feeder.close();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inTransform = new Promise<void>((r) => (entered = r));
    // The zombie is held inside a transaction while a successor with its transactional id starts.
    const consumer = await Consumer.connect({ bootstrap, groupId: 'eo-zombie', isolationLevel: 'read_committed', autoCommit: false, autoOffsetReset: 'earliest', maxWaitMs: 50 });
    const producer = await Producer.connect({ bootstrap, transactionalId: 'eo-zombie-tx' });
    const run = runExactlyOnce({
      consumer,
      producer,
      inputTopics: ['eo-fail-in'],
      transform: async (r) => {
        entered();
        await gate;
        return { topic: 'eo-fail-out', value: `zombie-${r.value!.toString()}` };
      },
    });
    await inTransform;
    const successor = await Producer.connect({ bootstrap, transactionalId: 'eo-zombie-tx' });
    await successor.initTransactions();
    release();
    const err = await run.then(() => null, (e: unknown) => e);
    assert.ok(err instanceof ProducerFencedError, String(err));
    await consumer.close();
    await producer.close();
    await successor.close();
    assert.ok(!(await committedValues('eo-fail-out', 1)).some((v) => v.startsWith('zombie-')));
  });
});

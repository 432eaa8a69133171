// The assign-mode consumer (src/client/consumer.ts) and `tributary console-consumer`
// (kafka-console-consumer.sh) against the embedded broker.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Consumer, Producer, type ConsumerRecord } from '../../src/client/index.js';
import { consoleConsumerCommand } from '../../src/cli/console-consumer.js';
import { startBroker, type TestBroker } from './helpers/broker-client.js';

describe('Consumer and console consumer', () => {
  let tb: TestBroker;
  let bootstrap: string;
  const T0 = 1_700_000_000_000;
  before(async () => {
    tb = await startBroker({ 'group.initial.rebalance.delay.ms': 0 });
    bootstrap = `127.0.0.1:${tb.broker.port}`;
    const admin = await Admin.connect({ bootstrap });
    await admin.createTopics([{ name: 'cons', partitions: 2 }, { name: 'cons-zstd', partitions: 1 }, { name: 'cons-empty', partitions: 1 }]);
    await admin.close();
    const p = await Producer.connect({ bootstrap, lingerMs: 1 });
    // 50 records per partition, in 5 batches each, timestamps T0 + i.
    for (let b = 0; b < 5; b++) {
      for (const partition of [0, 1]) {
        await p.send('cons', Array.from({ length: 10 }, (_v, i) => ({ partition, key: `k${partition}`, value: `p${partition}-${b * 10 + i}`, timestamp: T0 + b * 10 + i, headers: [{ key: 'n', value: String(b * 10 + i) }] })));
      }
    }
    await p.close();
    const z = await Producer.connect({ bootstrap, compression: 'zstd', batchSize: 1 << 20, lingerMs: 20 });
    await z.send('cons-zstd', Array.from({ length: 1000 }, (_v, i) => ({ value: `z${i}` })));
    await z.close();
  });
  after(async () => {
    await tb.close();
  });

  async function drain(c: Consumer, want: number): Promise<ConsumerRecord[]> {
    const out: ConsumerRecord[] = [];
    for (let i = 0; out.length < want; i++) {
      assert.ok(i < 50, `only ${out.length} of ${want} records after 50 polls`);
      out.push(...(await c.poll()));
    }
    return out;
  }

  test('from earliest, by offset and by timestamp, in order per partition, positions advance', async () => {
    const c = await Consumer.connect({ bootstrap, maxWaitMs: 100 });
    await c.assign([
      { topic: 'cons', partition: 0, start: 'earliest' },
      { topic: 'cons', partition: 1, start: 37n },
    ]);
    const recs = await drain(c, 63);
    const p0 = recs.filter((r) => r.partition === 0);
    const p1 = recs.filter((r) => r.partition === 1);
    assert.deepEqual(p0.map((r) => r.value!.toString()), Array.from({ length: 50 }, (_v, i) => `p0-${i}`));
    assert.deepEqual(p1.map((r) => Number(r.offset)), Array.from({ length: 13 }, (_v, i) => 37 + i));
    assert.deepEqual([p1[0]!.key!.toString(), p1[0]!.timestamp, p1[0]!.timestampType, p1[0]!.headers[0]!.value!.toString()], ['k1', T0 + 37, 'CreateTime', '37']);
    assert.deepEqual([c.position('cons', 0), c.position('cons', 1)], [50n, 50n]);
    assert.deepEqual(await c.poll(), [], 'nothing new: an empty long poll');
    await c.seek('cons', 0, { timestamp: T0 + 42 });
    assert.equal(c.position('cons', 0), 42n);
    await c.seek('cons', 0, { timestamp: T0 + 10_000 });
    assert.equal(c.position('cons', 0), 50n, 'a timestamp after every record: the end');
    await c.close();
  });

  test('compressed batches, latest, out-of-range reset, unknown partitions', async () => {
    const c = await Consumer.connect({ bootstrap, maxWaitMs: 50, autoOffsetReset: 'earliest' });
    await c.assign([{ topic: 'cons-zstd', partition: 0, start: 'earliest' }]);
    assert.deepEqual((await drain(c, 1000)).map((r) => r.value!.toString()), Array.from({ length: 1000 }, (_v, i) => `z${i}`));
    await c.seek('cons-zstd', 0, 'latest');
    assert.equal(c.position('cons-zstd', 0), 1000n);
    await c.seek('cons-zstd', 0, 5000n);
    assert.deepEqual(await c.poll(), []);
    assert.equal(c.position('cons-zstd', 0), 0n, 'OFFSET_OUT_OF_RANGE: back to earliest');
    await assert.rejects(c.assign([{ topic: 'cons', partition: 7 }]), /cons-7/);
    await assert.rejects(c.partitionsFor('nope'), (e: unknown) => (e as { errorName?: string }).errorName === 'UNKNOWN_TOPIC_OR_PARTITION');
    await c.close();
    const strict = await Consumer.connect({ bootstrap, maxWaitMs: 50, autoOffsetReset: 'none' });
    await strict.assign([{ topic: 'cons-zstd', partition: 0, start: 5000n }]);
    await assert.rejects(strict.poll(), /out of range/);
    await strict.close();
  });

  async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await consoleConsumerCommand(['--bootstrap-server', bootstrap, ...argv], { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  }

  test('console consumer: Kafka\'s output format and options', async () => {
    const one = await cli('--topic', 'cons', '--partition', '1', '--offset', '48', '--max-messages', '2', '--formatter-property', 'print.key=true', '--formatter-property', 'print.partition=true', '--formatter-property', 'print.offset=true', '--formatter-property', 'print.headers=true', '--formatter-property', 'print.timestamp=true');
    assert.deepEqual(one, {
      code: 0,
      out: `CreateTime:${T0 + 48}\tPartition:1\tOffset:48\tn:48\tk1\tp1-48\nCreateTime:${T0 + 49}\tPartition:1\tOffset:49\tn:49\tk1\tp1-49\n`,
      err: 'Processed a total of 2 messages\n',
    });
    const all = await cli('--topic', 'cons', '--from-beginning', '--max-messages', '100');
    assert.equal(all.out.split('\n').filter(Boolean).length, 100);
    assert.equal(all.err, 'Processed a total of 100 messages\n');
    const inc = await cli('--include', 'cons-z.*', '--from-beginning', '--max-messages', '3', '--property', 'key.separator=|', '--property', 'print.key=true');
    assert.equal(inc.out, 'null|z0\nnull|z1\nnull|z2\n');
    assert.match(inc.err, /^Option --property is deprecated/);
    const idle = await cli('--topic', 'cons-empty', '--timeout-ms', '300');
    assert.deepEqual(idle, { code: 0, out: '', err: 'Processed a total of 0 messages\n' });
  });

  test('console consumer with --group: reads, commits, and the next run goes on from there', async () => {
    const first = await cli('--topic', 'cons', '--group', 'cc-group', '--from-beginning', '--max-messages', '60');
    assert.equal(first.code, 0, first.err);
    assert.equal(first.out.split('\n').filter(Boolean).length, 60);
    const second = await cli('--topic', 'cons', '--group', 'cc-group', '--from-beginning', '--max-messages', '40', '--timeout-ms', '3000');
    assert.equal(second.out.split('\n').filter(Boolean).length, 40, 'the other 40 of the 100 records');
    const all = [...first.out.split('\n'), ...second.out.split('\n')].filter(Boolean).sort();
    assert.equal(new Set(all).size, 100, 'no record twice');
  });

  test('console consumer: usage errors', async () => {
    assert.match((await cli('--from-beginning')).err, /Exactly one of --include\/--topic is required/);
    assert.match((await cli('--topic', 'cons', '--group', 'g', '--partition', '0')).err, /Options group and partition cannot be specified together/);
    assert.match((await cli('--topic', 'cons', '--offset', '3')).err, /The partition is required when offset is specified/);
    assert.match((await cli('--topic', 'cons', '--partition', '0', '--offset', 'soon')).err, /The provided offset value 'soon' is incorrect/);
    const missing = await cli('--topic', 'nope', '--max-messages', '1');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /Error processing message, terminating consumer process/);
  });
});

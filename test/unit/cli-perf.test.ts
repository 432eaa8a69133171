// `tributary producer-perf-test` and `consumer-perf-test` (kafka-*-perf-test.sh): Kafka's flags and
// output lines, and the counts they claim, against the embedded broker.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { consumerPerfCommand, producerPerfCommand } from '../../src/cli/perf.js';
import { Admin } from '../../src/client/index.js';
import { startBroker, type TestBroker } from './helpers/broker-client.js';

describe('perf-test tools', () => {
  let tb: TestBroker;
  let bootstrap: string;
  before(async () => {
    tb = await startBroker({ 'group.initial.rebalance.delay.ms': 0 });
    bootstrap = `127.0.0.1:${tb.broker.port}`;
    const admin = await Admin.connect({ bootstrap });
    await admin.createTopics([{ name: 'perf', partitions: 1 }]);
    await admin.close();
  });
  after(async () => {
    await tb.close();
  });

  async function run(cmd: typeof producerPerfCommand, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await cmd(argv, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  }

  test('producer-perf-test sends N records of S bytes and prints Kafka\'s summary line', async () => {
    const r = await run(producerPerfCommand, '--topic', 'perf', '--num-records', '5000', '--record-size', '100', '--throughput', '-1', '--command-property', `bootstrap.servers=${bootstrap}`, 'acks=1', 'linger.ms=2');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^5000 records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.\n$/m);
    const admin = await Admin.connect({ bootstrap });
    const [end] = await admin.listOffsets([{ topic: 'perf', partition: 0, at: 'latest' }]);
    await admin.close();
    assert.equal(end!.offset, 5000n);
    const deprecated = await run(producerPerfCommand, '--topic', 'perf', '--num-records', '10', '--record-size', '10', '--throughput', '1000', '--producer-props', `bootstrap.servers=${bootstrap}`);
    assert.match(deprecated.err, /--producer-props has been deprecated/);
    assert.match((await run(producerPerfCommand, '--topic', 'perf', '--num-records', 'x', '--record-size', '1', '--throughput', '-1')).err, /--num-records must be an integer/);
    assert.match((await run(producerPerfCommand, '--topic', 'perf', '--num-records', '1', '--record-size', '1', '--throughput', '-1')).err, /bootstrap\.servers must be given/);
  });

  test('consumer-perf-test reads N records and prints Kafka\'s CSV line', async () => {
    const r = await run(consumerPerfCommand, '--bootstrap-server', bootstrap, '--topic', 'perf', '--num-records', '5000', '--timeout', '5000');
    assert.equal(r.code, 0, r.err);
    const [header, line] = r.out.trim().split('\n');
    assert.equal(header, 'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec');
    const cols = line!.split(', ');
    assert.equal(cols.length, 10);
    assert.match(cols[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}$/);
    // As Kafka's tool, it counts whole polls: at least the 5000 asked, at most the 5010 there are.
    const n = Number(cols[4]);
    assert.ok(n >= 5000 && n <= 5010, cols[4]);
    assert.ok(Number(cols[2]) >= Number((5000 * 100 / 1024 / 1024).toFixed(4)), cols[2]);
    const short = await run(consumerPerfCommand, '--bootstrap-server', bootstrap, '--topic', 'perf', '--messages', '99999', '--timeout', '300', '--hide-header');
    assert.match(short.err, /--messages is deprecated/);
    assert.match(short.err, /Exiting before consuming the expected number of records/);
    assert.equal(short.out.split(', ')[4], '5010', 'everything there was (5000 + 10)');
  });
});

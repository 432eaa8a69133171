// kafka-get-offsets, kafka-log-dirs and kafka-delete-records against an in-process broker: Kafka's
// output lines, orders and exit codes, and the parsing of their flags and JSON.
// test/interop/test_offset_tools.py compares them with Kafka 4.3.1's tool classes on both brokers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { deleteRecordsCommand, OffsetJsonError, parseOffsetJson } from '../../src/cli/delete-records.js';
import { getOffsetsCommand, parseTime, parseTopicPartitions } from '../../src/cli/get-offsets.js';
import { logDirsCommand, logDirsJson } from '../../src/cli/log-dirs.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { KafkaProtocolError } from '../../src/protocol/kafka-error.js';
import { batch, connect, createTopic, produceRequest, startBroker, type TestBroker } from './helpers/broker-client.js';

type Tool = (argv: readonly string[], io: { out(s: string): void; err(s: string): void }) => Promise<number>;
async function run(tool: Tool, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await tool(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

test('parseTime: names, numbers and Kafka\'s message for anything else', () => {
  assert.equal(parseTime('latest'), -1n);
  assert.equal(parseTime('earliest'), -2n);
  assert.equal(parseTime('max-timestamp'), -3n);
  assert.equal(parseTime('-4'), -4n);
  assert.equal(parseTime('1700000000000'), 1700000000000n);
  assert.throws(() => parseTime('yesterday'), /^Error: Malformed time argument yesterday\. Please use -1 or latest/);
});

test('parseTopicPartitions: numbers, ranges, open ends, any topic', () => {
  const [a, b, c, d] = parseTopicPartitions('t1:1,t2:0-3,t3:5-,:-3');
  assert.ok(a!.topic.test('t1') && !a!.topic.test('t10') && a!.partition(1) && !a!.partition(2));
  assert.ok(b!.partition(0) && b!.partition(2) && !b!.partition(3));
  assert.ok(c!.partition(5) && c!.partition(1000) && !c!.partition(4));
  assert.ok(d!.topic.test('anything') && d!.partition(2) && !d!.partition(3));
  assert.throws(() => parseTopicPartitions('a:b:c'), /Invalid rule specification: a:b:c/);
});

test('parseOffsetJson: Kafka\'s format and its refusals', () => {
  assert.deepEqual(parseOffsetJson('{"partitions":[{"topic":"t","partition":1,"offset":5}],"version":1}'), [{ topic: 't', partition: 1, offset: 5n }]);
  assert.deepEqual(parseOffsetJson('{"partitions":[{"topic":"t","partition":0,"offset":-1}]}'), [{ topic: 't', partition: 0, offset: -1n }]);
  assert.throws(() => parseOffsetJson('{nope'), /^Error: The input string is not a valid JSON$/);
  assert.throws(() => parseOffsetJson('{"version":1}'), /^Error: Missing partitions field$/);
  assert.throws(() => parseOffsetJson('{"partitions":[],"version":2}'), /^Error: Not supported version field value 2$/);
  assert.throws(() => parseOffsetJson('{"partitions":[{"topic":"t","offset":1}]}'), /No such field exists: `partition`/);
  assert.throws(
    () => parseOffsetJson('{"partitions":[{"topic":"t","partition":0,"offset":1},{"topic":"t","partition":0,"offset":2}]}'),
    /^Error: Offset json file contains duplicate topic partitions: t-0$/,
  );
});

test('parseOffsetJson fuzzed: any text or JSON value is parsed or refused with a clear error, never a crash', () => {
  const refusesCleanly = (text: string): void => {
    try {
      parseOffsetJson(text);
    } catch (e) {
      assert.ok(e instanceof OffsetJsonError, `${text}: ${String(e)}`);
    }
  };
  fc.assert(fc.property(fc.string(), refusesCleanly), { numRuns: 500 });
  fc.assert(fc.property(fc.jsonValue(), (v) => refusesCleanly(JSON.stringify(v))), { numRuns: 500 });
  const entry = fc.record({ topic: fc.oneof(fc.string(), fc.integer()), partition: fc.oneof(fc.integer(), fc.double(), fc.string()), offset: fc.oneof(fc.integer(), fc.double()) }, { requiredKeys: [] });
  fc.assert(fc.property(fc.array(entry), fc.option(fc.integer({ min: 0, max: 3 })), (ps, v) => refusesCleanly(JSON.stringify({ partitions: ps, ...(v === null ? {} : { version: v }) }))), { numRuns: 500 });
});

test('logDirsJson: Kafka\'s keys, the HashMap order of partitions, the error class', () => {
  const replicas = [0, 1, 2].map((p) => ({ topic: 'pa', partition: p, size: BigInt(p * 10), offsetLag: 0n, isFuture: false }));
  const json = logDirsJson(
    new Map([
      [1, [{ path: '/d', error: null, replicas, totalBytes: -1n, usableBytes: -1n }]],
      [2, [{ path: '/e', error: new KafkaProtocolError(56), replicas: [], totalBytes: -1n, usableBytes: -1n }]],
    ]),
    new Set(),
  );
  // Java's HashMap puts pa-2, pa-1, pa-0 in that order (TopicPartition.hashCode buckets).
  assert.equal(
    json,
    '{"brokers":[{"broker":1,"logDirs":[{"partitions":[{"partition":"pa-2","size":20,"offsetLag":0,"isFuture":false},{"partition":"pa-1","size":10,"offsetLag":0,"isFuture":false},{"partition":"pa-0","size":0,"offsetLag":0,"isFuture":false}],"error":null,"logDir":"/d"}]},' +
      '{"broker":2,"logDirs":[{"partitions":[],"error":"org.apache.kafka.common.errors.KafkaStorageException","logDir":"/e"}]}],"version":1}',
  );
});

describe('the tools against a broker', () => {
  let tb: TestBroker;
  let B: string[];
  let dir: string;
  before(async () => {
    tb = await startBroker();
    B = ['--bootstrap-server', `127.0.0.1:${tb.broker.port}`];
    dir = mkdtempSync(join(tmpdir(), 'tributary-offset-tools-'));
    const conn = await connect(tb);
    await createTopic(conn, 'pa', 12);
    for (const [p, n] of [[1, 3], [10, 2]] as const) {
      for (let i = 0; i < n; i++) await conn.send(ApiKey.Produce, produceRequest('pa', p, batch([`v${i}`]), -1), { version: 9 });
    }
    await conn.close();
  });
  after(async () => {
    await tb.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('get-offsets: latest and earliest per partition, sorted as Kafka sorts them', async () => {
    const latest = await run(getOffsetsCommand, ...B, '--topic', 'pa', '--partitions', '0,1,10,2');
    assert.deepEqual(latest, { code: 0, out: 'pa:0:0\npa:1:3\npa:10:2\npa:2:0\n', err: '' });
    const earliest = await run(getOffsetsCommand, ...B, '--topic-partitions', 'pa:1-2', '--time', 'earliest');
    assert.deepEqual(earliest, { code: 0, out: 'pa:1:0\n', err: '' });
    const none = await run(getOffsetsCommand, ...B, '--topic', 'nope');
    assert.deepEqual(none, { code: 1, out: '', err: 'Error occurred: Could not match any topic-partitions with the specified filters\n' });
    const both = await run(getOffsetsCommand, ...B, '--topic', 'pa', '--topic-partitions', 'pa:1');
    assert.equal(both.err, 'Error occurred: --topic-partitions cannot be used with --topic or --partitions\n');
    assert.equal((await run(getOffsetsCommand)).code, 1);
  });

  test('log-dirs: sizes of the partitions, unknown brokers refused', async () => {
    const r = await run(logDirsCommand, ...B, '--describe', '--topic-list', 'pa');
    assert.equal(r.code, 0);
    const [l1, l2, json] = r.out.split('\n');
    assert.equal(l1, 'Querying brokers for log directories information');
    assert.equal(l2, `Received log directory information from brokers ${tb.broker.config.nodeId}`);
    const doc = JSON.parse(json!) as { brokers: Array<{ logDirs: Array<{ partitions: Array<{ partition: string; size: number }> }> }> };
    const parts = doc.brokers[0]!.logDirs[0]!.partitions;
    assert.equal(parts.length, 12);
    assert.ok(parts.find((p) => p.partition === 'pa-1')!.size > 0);
    assert.equal(parts.find((p) => p.partition === 'pa-0')!.size, 0);
    const bad = await run(logDirsCommand, ...B, '--describe', '--broker-list', '77');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^ERROR: The given brokers do not exist from --broker-list: 77\. Current existent brokers: \d+\n$/);
    assert.match((await run(logDirsCommand, ...B)).err, /Missing required argument "\[describe\]"/);
  });

  test('delete-records: low watermarks and per-partition errors, exit 0', async () => {
    const file = join(dir, 'offsets.json');
    writeFileSync(file, JSON.stringify({ partitions: [{ topic: 'pa', partition: 1, offset: 2 }, { topic: 'pa', partition: 10, offset: 9 }, { topic: 'zz', partition: 0, offset: 1 }], version: 1 }));
    const r = await run(deleteRecordsCommand, ...B, '--offset-json-file', file);
    assert.equal(r.code, 0);
    assert.equal(
      r.out,
      'Executing records delete operation\nRecords delete operation completed:\n' +
        'partition: pa-1\tlow_watermark: 2\n' +
        'partition: pa-10\terror: org.apache.kafka.common.errors.OffsetOutOfRangeException: The requested offset is not within the range of offsets maintained by the server.\n' +
        'partition: zz-0\terror: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This server does not host this topic-partition.\n',
    );
    assert.deepEqual(await run(getOffsetsCommand, ...B, '--topic-partitions', 'pa:1', '--time', '-2'), { code: 0, out: 'pa:1:2\n', err: '' });
    const missing = await run(deleteRecordsCommand, ...B, '--offset-json-file', join(dir, 'absent.json'));
    assert.deepEqual([missing.code, missing.err], [1, `${join(dir, 'absent.json')}\n`]);
  });
});

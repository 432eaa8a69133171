// kafka-dump-log: on segments an in-process broker wrote (Kafka's output lines, checked line by
// line against Kafka's own tool in test/interop/test_dump_log.py), and on files made by hand for
// what the broker does not write yet: transaction markers, __transaction_state records, aborted
// transaction indexes, corrupt and mismatching indexes, gaps, torn tails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dumpLogCommand } from '../../src/cli/dump-log.js';
import { Producer } from '../../src/client/index.js';
import { Writer } from '../../src/protocol/primitives/index.js';
import { Compression, encodeRecordBatchSync, type ProducerRecord } from '../../src/protocol/records/index.js';
import { encodeOffsetCommitKey, encodeOffsetCommitValue } from '../../src/protocol/coordinator-records.js';
import { connect, createTopic, startBroker, type TestBroker } from './helpers/broker-client.js';

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  let out = '';
  let err = '';
  const code = await dumpLogCommand(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out: out.split('\n').filter((l) => l !== ''), err: err.split('\n').filter((l) => l !== '') };
}

const T0 = 1_700_000_000_000;
function batch(baseOffset: number, records: ProducerRecord[], extra: { producerId?: number; control?: boolean; transactional?: boolean } = {}): Buffer {
  return encodeRecordBatchSync({ records, baseOffset, partitionLeaderEpoch: 0, ...extra, ...(extra.producerId !== undefined ? { producerEpoch: 0, baseSequence: 0 } : {}) });
}

describe('kafka-dump-log on a broker-written partition', () => {
  let tb: TestBroker;
  let part: string;
  before(async () => {
    tb = await startBroker();
    const c = await connect(tb);
    await createTopic(c, 'dl');
    c.destroy();
    const bootstrap = `127.0.0.1:${tb.broker.port}`;
    const p = await Producer.connect({ bootstrap, compression: 'gzip', lingerMs: 50 });
    await p.send('dl', [
      { key: 'k1', value: 'v1', headers: [{ key: 'h1', value: 'a' }, { key: 'h2', value: null }], timestamp: T0 },
      { key: null, value: 'v2', timestamp: T0 + 1 },
    ]);
    await p.close();
    await tb.broker.close();
    part = join(tb.dir, 'dl-0');
  });
  after(async () => {
    rmSync(tb.dir, { recursive: true, force: true });
  });

  test('--print-data-log prints the batch, its records with keys, payloads and header keys', async () => {
    const log = join(part, '00000000000000000000.log');
    const r = await run('--files', log, '--print-data-log');
    assert.equal(r.code, 0);
    assert.equal(r.out[0], `Dumping ${log}`);
    assert.equal(r.out[1], 'Log starting offset: 0');
    assert.match(
      r.out[2]!,
      /^baseOffset: 0 lastOffset: 1 count: 2 baseSequence: 0 lastSequence: 1 producerId: \d+ producerEpoch: 0 partitionLeaderEpoch: 0 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 1700000000001 size: \d+ magic: 2 compresscodec: gzip crc: \d+ isvalid: true$/,
    );
    assert.equal(r.out[3], `| offset: 0 CreateTime: ${T0} keySize: 2 valueSize: 2 sequence: 0 headerKeys: [h1,h2] key: k1 payload: v1`);
    assert.equal(r.out[4], `| offset: 1 CreateTime: ${T0 + 1} keySize: -1 valueSize: 2 sequence: 1 headerKeys: [] payload: v2`);
    assert.equal(r.out.length, 5);
    assert.deepEqual(r.err, []);
    const shallow = await run('--files', log);
    assert.equal(shallow.out.length, 3, 'without --deep-iteration only the batch line');
  });

  test('.index, .timeindex and .snapshot files', async () => {
    const files = readdirSync(part).filter((f) => /\.(index|timeindex|snapshot)$/.test(f)).map((f) => join(part, f)).sort();
    const r = await run('--files', files.join(','));
    assert.equal(r.code, 0);
    const idx = files.find((f) => f.endsWith('.index'))!;
    assert.ok(r.out.includes(`${idx} is empty.`));
    const snap = r.out.find((l) => l.startsWith('producerId: '));
    assert.match(snap!, /^producerId: \d+ producerEpoch: 0 coordinatorEpoch: -1 currentTxnFirstOffset: OptionalLong.empty lastTimestamp: \d+ firstSequence: 0 lastSequence: 1 lastOffset: 1 offsetDelta: 1 timestamp: \d+$/);
    const sanity = await run('--files', files.join(','), '--index-sanity-check');
    assert.ok(sanity.out.some((l) => l.endsWith('.timeindex passed sanity check.')));
  });
});

describe('kafka-dump-log on hand-made files', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-dumplog-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('transaction markers, gaps and a torn tail', async () => {
    const marker = Buffer.alloc(6);
    marker.writeInt16BE(0, 0);
    marker.writeInt32BE(7, 2);
    const key = Buffer.from([0, 0, 0, 1]);
    const data = batch(10, [{ value: 'a', timestamp: T0 }], { producerId: 5, transactional: true });
    const ctl = batch(12, [{ key, value: marker, timestamp: T0 }], { producerId: 5, transactional: true, control: true });
    const log = join(dir, '00000000000000000010.log');
    writeFileSync(log, Buffer.concat([data, ctl, Buffer.alloc(5)]));
    const r = await run('--files', log, '--deep-iteration');
    assert.equal(r.out[1], 'Log starting offset: 10');
    assert.match(r.out[2]!, /isTransactional: true isControl: false/);
    assert.equal(r.out[5], `| offset: 12 CreateTime: ${T0} keySize: 4 valueSize: 6 sequence: 0 headerKeys: [] endTxnMarker: COMMIT coordinatorEpoch: 7`);
    assert.equal(r.out[6], 'Found 5 invalid bytes at the end of 00000000000000000010.log');
    assert.deepEqual(r.err, [`Non-consecutive offsets in ${log}`, '  10 is followed by 12']);
    const capped = await run('--files', log, '--max-bytes', String(data.length));
    assert.equal(capped.out.length, 3, 'only the first batch, and no torn-tail line with --max-bytes');
  });

  test('an index entry that points at the wrong batch is reported; a torn index fails the sanity check', async () => {
    const b0 = batch(0, [{ value: 'a', timestamp: T0 }, { value: 'b', timestamp: T0 }]);
    const b1 = batch(2, [{ value: 'c', timestamp: T0 + 5 }]);
    writeFileSync(join(dir, '00000000000000000000.log'), Buffer.concat([b0, b1]));
    const idx = Buffer.alloc(16);
    idx.writeInt32BE(1, 0);
    idx.writeInt32BE(0, 4);
    idx.writeInt32BE(3, 8); // wrong: the batch at this position ends at 2
    idx.writeInt32BE(b0.length, 12);
    const idxFile = join(dir, '00000000000000000000.index');
    writeFileSync(idxFile, idx);
    const r = await run('--files', idxFile);
    assert.deepEqual(r.out.slice(1), ['offset: 1 position: 0', `offset: 3 position: ${b0.length}`]);
    assert.deepEqual(r.err, [`Mismatches in :${idxFile}`, '  Index offset: 3, log offset: 2']);
    const verify = await run('--files', idxFile, '--verify-index-only');
    assert.deepEqual(verify.out, [`Dumping ${idxFile}`]);
    const torn = join(dir, '00000000000000000001.index');
    writeFileSync(torn, Buffer.alloc(13, 1));
    const bad = await run('--files', torn, '--index-sanity-check');
    assert.equal(bad.code, 1);
    assert.match(bad.err[0]!, /is corrupt, found 13 bytes which is neither positive nor a multiple of 8/);
  });

  test('.txnindex entries', async () => {
    const f = join(dir, '00000000000000000000.txnindex');
    const e = Buffer.alloc(34);
    e.writeInt16BE(0, 0);
    e.writeBigInt64BE(9n, 2);
    e.writeBigInt64BE(3n, 10);
    e.writeBigInt64BE(8n, 18);
    e.writeBigInt64BE(4n, 26);
    writeFileSync(f, e);
    assert.deepEqual((await run('--files', f)).out, [`Dumping ${f}`, 'version: 0 producerId: 9 firstOffset: 3 lastOffset: 8 lastStableOffset: 4']);
  });

  test('--offsets-decoder and --transaction-log-decoder print Kafka JSON', async () => {
    const offsets = join(dir, '00000000000000000100.log');
    const value = encodeOffsetCommitValue({ offset: 42n, leaderEpoch: 3, metadata: 'm', commitTimestamp: T0, expireTimestamp: -1 });
    writeFileSync(offsets, Buffer.concat([
      batch(100, [{ key: encodeOffsetCommitKey('g', 't', 1), value, timestamp: T0 }]),
      batch(101, [{ key: encodeOffsetCommitKey('g', 't', 1), value: null, timestamp: T0 }]),
    ]));
    const o = await run('--files', offsets, '--offsets-decoder');
    assert.match(o.out[3]!, / key: \{"type":"1","data":\{"group":"g","topic":"t","partition":1\}\} payload: \{"version":"3","data":\{"offset":42,"leaderEpoch":3,"metadata":"m","commitTimestamp":1700000000000\}\}$/);
    assert.match(o.out[5]!, / payload: <DELETE>$/);

    // TransactionLogValue v1 (flexible) with previousProducerId (tag 0) and clientTransactionVersion (tag 2)
    const key = new Writer(16).writeInt16(0).writeString('tx').toBuffer();
    const w = new Writer(64).writeInt16(1).writeInt64(7n).writeInt16(1).writeInt32(60000).writeInt8(1);
    w.writeUVarint(2).writeCompactString('t').writeUVarint(2).writeInt32(0).writeUVarint(0);
    w.writeInt64(BigInt(T0)).writeInt64(BigInt(T0 - 1));
    w.writeUVarint(2).writeUVarint(0).writeUVarint(8).writeInt64(6n).writeUVarint(2).writeUVarint(2).writeInt16(2);
    const txn = join(dir, '00000000000000000200.log');
    writeFileSync(txn, batch(200, [{ key, value: w.toBuffer(), timestamp: T0 }]));
    const t = await run('--files', txn, '--transaction-log-decoder');
    assert.equal(
      t.out[3]!.replace(/^.* key: /, 'key: '),
      'key: {"type":"0","data":{"transactionalId":"tx"}} payload: {"version":"1","data":{"producerId":7,"previousProducerId":6,"producerEpoch":1,' +
        '"transactionTimeoutMs":60000,"transactionStatus":1,"transactionPartitions":[{"topic":"t","partitionIds":[0]}],' +
        `"transactionLastUpdateTimestampMs":${T0},"transactionStartTimestampMs":${T0 - 1},"clientTransactionVersion":2}}`,
    );
  });

  test('flags: --files is required; only the String decoder is available', async () => {
    const none = await run();
    assert.equal(none.code, 1);
    assert.equal(none.err[0], 'Missing required argument "[files]"');
    const dec = await run('--files', 'x.log', '--value-decoder-class', 'com.example.Avro');
    assert.equal(dec.code, 1);
    const ok = await run('--files', join(dir, '00000000000000000000.log'), '--value-decoder-class', 'org.apache.kafka.tools.api.StringDecoder');
    assert.match(ok.out[3]!, /payload: a$/);
  });
});

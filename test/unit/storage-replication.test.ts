// What a replicated partition needs of its log: the high watermark apart from the log end (both
// modes), leader epochs stamped, cached and checkpointed, and a follower's appendAsFollower.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../src/protocol/errors.js';
import { batchCrcValid, OFF, readBatchHeader } from '../../src/protocol/records/batch-header.js';
import {
  CorruptRecordError,
  Log,
  OffsetMismatchError,
  OffsetOutOfRangeError,
  ProducerStateError,
  type LogConfig,
} from '../../src/storage/index.js';
import { batchOffsets, buildBatch, sizedBatch, valueBatch, type BatchSpec } from './helpers/storage-batches.js';

const dirs: string[] = [];
async function fresh(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'trib-repl-'));
  dirs.push(d);
  return join(d, 'events-0');
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function openLog(dir: string, extra: { replicated?: boolean; highWatermark?: number; config?: Partial<LogConfig>; recoveryPoint?: number } = {}): Promise<Log> {
  return Log.open(dir, { topic: 'events', partition: 0, ...extra });
}

/** A batch as a leader wrote it: offsets from `baseOffset`, stamped with `epoch`. */
function leaderBatch(baseOffset: number, values: string[], epoch: number, extra: Partial<BatchSpec> = {}): Buffer {
  return valueBatch(values, { baseOffset, partitionLeaderEpoch: epoch, ...extra });
}

/** [baseOffset, partitionLeaderEpoch] of every batch in `buf`. */
function epochsOf(buf: Buffer): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let at = 0; at < buf.length; ) {
    const h = readBatchHeader(buf, at);
    out.push([h.baseOffset, h.partitionLeaderEpoch]);
    at += h.size;
  }
  return out;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('high watermark', () => {
  test('not replicated: it follows every append, its listeners hear each one, setHighWatermark changes nothing', async () => {
    const log = await openLog(await fresh());
    assert.equal(log.replicated, false);
    const heard: number[] = [];
    log.onHighWatermark((hw) => heard.push(hw));
    await log.append(valueBatch(['a', 'b']));
    assert.equal(log.highWatermark, 2);
    await log.append(valueBatch(['c']));
    assert.deepEqual(heard, [2, 3]);
    log.setHighWatermark(1);
    assert.equal(log.highWatermark, 3);
    assert.equal(log.lastStableOffset, 3);
    assert.equal(batchOffsets(await log.read(0, 1 << 20)).length, 2);
    await log.close();
  });

  test('replicated: only setHighWatermark moves it, clamped to the log, never back; reads stop at it by default', async () => {
    const log = await openLog(await fresh(), { replicated: true });
    const heard: number[] = [];
    const off = log.onHighWatermark((hw) => heard.push(hw));
    for (let i = 0; i < 5; i++) await log.append(valueBatch([`v${i}`]));
    assert.equal(log.logEndOffset, 5);
    assert.equal(log.highWatermark, 0);
    assert.equal(log.lastStableOffset, 0);
    assert.equal((await log.read(0, 1 << 20)).length, 0, 'consumers see nothing uncommitted');
    assert.equal(batchOffsets(await log.read(0, 1 << 20, { maxOffset: log.logEndOffset })).length, 5, 'a follower reads to the end');
    log.setHighWatermark(3);
    assert.equal(log.highWatermark, 3);
    assert.deepEqual(batchOffsets(await log.read(0, 1 << 20)).map((b) => b.baseOffset), [0, 1, 2]);
    log.setHighWatermark(2);
    assert.equal(log.highWatermark, 3, 'never back');
    log.setHighWatermark(100);
    assert.equal(log.highWatermark, 5, 'clamped to the log end');
    assert.deepEqual(heard, [3, 5]);
    off();
    log.setHighWatermark(6);
    assert.deepEqual(heard, [3, 5]);
    await log.close();
  });

  test('replicated: the last stable offset never exceeds it', async () => {
    const log = await openLog(await fresh(), { replicated: true });
    await log.append(valueBatch(['plain']));
    // An open transaction from offset 1.
    await log.append(valueBatch(['txn'], { producerId: 9n, producerEpoch: 0, baseSequence: 0, attributes: 0x10 }));
    await log.append(valueBatch(['later']));
    assert.equal(log.lastStableOffset, 0);
    log.setHighWatermark(3);
    assert.equal(log.lastStableOffset, 1);
    await log.close();
  });

  test('replicated: DeleteRecords and retention stop at the high watermark', async () => {
    const log = await openLog(await fresh(), { replicated: true, config: { segmentBytes: 2048, retentionBytes: 0, fileDeleteDelayMs: 0 } });
    for (let i = 0; i < 12; i++) await log.append(sizedBatch(1, 500));
    assert.ok(log.numberOfSegments >= 3);
    await assert.rejects(log.deleteRecordsBefore(1), OffsetOutOfRangeError);
    assert.equal(await log.deleteRecordsBefore(-1), 0);
    assert.equal(await log.deleteOldSegments(), 0, 'nothing committed: nothing expires');
    log.setHighWatermark(6);
    await log.deleteOldSegments();
    // Whole segments below 6 went; the one holding 6 stays.
    assert.ok(log.logStartOffset > 0 && log.logStartOffset <= 6, `log start ${log.logStartOffset}`);
    assert.equal(log.segments[0]!.baseOffset, log.logStartOffset);
    assert.equal(await log.deleteRecordsBefore(-1), 6);
    await assert.rejects(log.deleteRecordsBefore(7), OffsetOutOfRangeError);
    await log.close();
  });

  test('waitForHighWatermark: at once when past, on the move past it, on abort, on close', async () => {
    const log = await openLog(await fresh(), { replicated: true });
    await log.append(valueBatch(['a', 'b', 'c']));
    let woke = false;
    const w = log.waitForHighWatermark(1).then(() => (woke = true));
    log.setHighWatermark(1);
    await tick();
    assert.equal(woke, false, 'HW 1 is not past offset 1');
    log.setHighWatermark(2);
    await w;
    await log.waitForHighWatermark(0);
    const ac = new AbortController();
    const aborted = log.waitForHighWatermark(2, ac.signal);
    ac.abort();
    await aborted;
    const atClose = log.waitForHighWatermark(10);
    await log.close();
    await atClose;
    await log.waitForHighWatermark(10);
  });

  test('not replicated: waitForHighWatermark wakes on the next append', async () => {
    const log = await openLog(await fresh());
    const w = log.waitForHighWatermark(0);
    await log.append(valueBatch(['x']));
    await w;
    await log.close();
  });
});

describe('leader epochs', () => {
  test('a leader append stamps every batch and records the epoch from its first offset; the checkpoint has Kafka format', async () => {
    const dir = await fresh();
    const log = await openLog(dir);
    assert.equal(log.latestEpoch, -1);
    assert.deepEqual(log.endOffsetForEpoch(0), { leaderEpoch: -1, endOffset: -1 });
    const two = Buffer.concat([valueBatch(['a', 'b'], { partitionLeaderEpoch: -1 }), valueBatch(['c'], { partitionLeaderEpoch: -1 })]);
    await log.append(two, { leaderEpoch: 3 });
    await log.append(valueBatch(['d']), { leaderEpoch: 3 });
    await log.append(valueBatch(['e', 'f']), { leaderEpoch: 5, origin: 'coordinator' });
    // No epoch given: the batch keeps its own field and the cache is untouched.
    await log.append(valueBatch(['g'], { partitionLeaderEpoch: 9 }));
    const data = await log.read(0, 1 << 20);
    assert.deepEqual(epochsOf(data), [
      [0, 3],
      [2, 3],
      [3, 3],
      [4, 5],
      [6, 9],
    ]);
    for (let at = 0; at < data.length; ) {
      const h = readBatchHeader(data, at);
      assert.ok(batchCrcValid(data, at, h.size), 'the epoch is outside the CRC');
      at += h.size;
    }
    assert.equal(log.latestEpoch, 5);
    assert.deepEqual(log.leaderEpochs, [
      { epoch: 3, startOffset: 0 },
      { epoch: 5, startOffset: 4 },
    ]);
    assert.equal(await readFile(join(dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n2\n3 0\n5 4\n');
    assert.deepEqual(log.endOffsetForEpoch(3), { leaderEpoch: 3, endOffset: 4 });
    assert.deepEqual(log.endOffsetForEpoch(4), { leaderEpoch: 3, endOffset: 4 });
    assert.deepEqual(log.endOffsetForEpoch(5), { leaderEpoch: 5, endOffset: 7 });
    assert.deepEqual(log.endOffsetForEpoch(8), { leaderEpoch: 5, endOffset: 7 });
    assert.deepEqual(log.endOffsetForEpoch(2), { leaderEpoch: -1, endOffset: -1 });
    await log.close();
    const again = await openLog(dir);
    assert.deepEqual(again.leaderEpochs, [
      { epoch: 3, startOffset: 0 },
      { epoch: 5, startOffset: 4 },
    ]);
    assert.deepEqual(again.endOffsetForEpoch(5), { leaderEpoch: 5, endOffset: 7 });
    await again.close();
  });

  test('no epoch ever given: no checkpoint file is written', async () => {
    const dir = await fresh();
    const log = await openLog(dir);
    await log.append(valueBatch(['a']));
    await log.close();
    assert.ok(!(await readdir(dir)).includes('leader-epoch-checkpoint'));
  });

  test('at open, epochs at or past the log end go; a damaged checkpoint is rebuilt from the batches', async () => {
    const dir = await fresh();
    const log = await openLog(dir);
    await log.append(valueBatch(['a', 'b']), { leaderEpoch: 1 });
    await log.append(valueBatch(['c']), { leaderEpoch: 2 });
    await log.close();
    // As if the epoch had been written and the records lost in a crash.
    await writeFile(join(dir, 'leader-epoch-checkpoint'), '0\n3\n1 0\n2 2\n4 3\n');
    let again = await openLog(dir);
    assert.deepEqual(again.leaderEpochs, [
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 2 },
    ]);
    await again.close();
    assert.equal(await readFile(join(dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n2\n1 0\n2 2\n');
    await writeFile(join(dir, 'leader-epoch-checkpoint'), 'garbage');
    again = await openLog(dir);
    assert.deepEqual(again.leaderEpochs, [
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 2 },
    ]);
    await again.close();
    assert.equal(await readFile(join(dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n2\n1 0\n2 2\n');
  });

  test('DeleteRecords moves the first epoch to the new log start', async () => {
    const dir = await fresh();
    const log = await openLog(dir);
    await log.append(valueBatch(['a', 'b']), { leaderEpoch: 1 });
    await log.append(valueBatch(['c', 'd']), { leaderEpoch: 2 });
    await log.append(valueBatch(['e']), { leaderEpoch: 2 });
    await log.deleteRecordsBefore(3);
    assert.deepEqual(log.leaderEpochs, [{ epoch: 2, startOffset: 3 }]);
    assert.equal(await readFile(join(dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n1\n2 3\n');
    await log.close();
  });
});

describe('appendAsFollower', () => {
  test('keeps the leader offsets, timestamps, epochs and producer fields; producer state and epochs follow', async () => {
    const log = await openLog(await fresh(), { replicated: true });
    const seen: number[] = [];
    log.onAppend((leo) => seen.push(leo));
    const b1 = leaderBatch(0, ['a', 'b', 'c'], 1, { producerId: 7n, producerEpoch: 0, baseSequence: 0, baseTimestamp: 1000n });
    const b2 = leaderBatch(3, ['d'], 1, { producerId: 7n, producerEpoch: 0, baseSequence: 3, baseTimestamp: 2000n });
    const b3 = leaderBatch(4, ['e', 'f'], 4, { baseTimestamp: 3000n });
    const records = Buffer.concat([b1, b2, b3]);
    const copy = Buffer.from(records);
    const r = await log.appendAsFollower(records);
    assert.deepEqual([r.baseOffset, r.lastOffset, r.duplicate, r.logAppendTime], [0, 5, false, -1n]);
    assert.equal(log.logEndOffset, 6);
    assert.equal(log.highWatermark, 0, 'a follower learns its high watermark from its leader');
    assert.deepEqual(seen, [6]);
    assert.deepEqual(await log.read(0, 1 << 20, { maxOffset: log.logEndOffset }), copy, 'byte for byte');
    assert.deepEqual(log.leaderEpochs, [
      { epoch: 1, startOffset: 0 },
      { epoch: 4, startOffset: 4 },
    ]);
    const p = log.producers().find((e) => e.producerId === 7n)!;
    assert.equal(p.batches.at(-1)!.lastSeq, 3);
    assert.equal(p.batches.at(-1)!.lastOffset, 3);
    assert.deepEqual(await log.offsetForTimestamp(2500n), { offset: 4, timestamp: 3000n });
    // The next fetch continues where the log ends.
    const r2 = await log.appendAsFollower(leaderBatch(6, ['g'], 4));
    assert.deepEqual([r2.baseOffset, r2.lastOffset], [6, 6]);
    await log.close();
  });

  test('a partial trailing batch is left out; nothing at all is a no-op', async () => {
    const log = await openLog(await fresh());
    const b1 = leaderBatch(0, ['a'], 0);
    const b2 = leaderBatch(1, ['b', 'c'], 0);
    const r = await log.appendAsFollower(Buffer.concat([b1, b2.subarray(0, 40)]));
    assert.deepEqual([r.baseOffset, r.lastOffset], [0, 0]);
    assert.equal(log.logEndOffset, 1);
    const empty = await log.appendAsFollower(Buffer.alloc(0));
    assert.deepEqual([empty.baseOffset, empty.lastOffset, empty.duplicate], [1, 0, false]);
    const onlyPartial = await log.appendAsFollower(b2.subarray(0, 8));
    assert.deepEqual([onlyPartial.baseOffset, onlyPartial.lastOffset], [1, 0]);
    assert.equal(log.logEndOffset, 1);
    await log.appendAsFollower(b2);
    assert.equal(log.logEndOffset, 3);
    await log.close();
  });

  test('a batch not at the log end, or after a gap, is refused and nothing is appended', async () => {
    const log = await openLog(await fresh());
    await assert.rejects(log.appendAsFollower(leaderBatch(5, ['x'], 0)), (e: unknown) => {
      assert.ok(e instanceof OffsetMismatchError);
      assert.deepEqual([e.expectedOffset, e.baseOffset, e.lastOffset, e.batchIndex], [0, 5, 5, 0]);
      return true;
    });
    await assert.rejects(log.appendAsFollower(Buffer.concat([leaderBatch(0, ['a', 'b'], 0), leaderBatch(3, ['c'], 0)])), (e: unknown) => {
      assert.ok(e instanceof OffsetMismatchError);
      assert.deepEqual([e.expectedOffset, e.baseOffset, e.batchIndex], [2, 3, 1]);
      return true;
    });
    assert.equal(log.logEndOffset, 0);
    assert.equal(log.size, 0);
    await log.close();
  });

  test('a corrupt batch is refused and nothing is appended', async () => {
    const log = await openLog(await fresh());
    const good = leaderBatch(0, ['a'], 2);
    const bad = leaderBatch(1, ['b'], 2);
    bad[bad.length - 1] ^= 0xff;
    await assert.rejects(log.appendAsFollower(Buffer.concat([good, bad])), (e: unknown) => e instanceof CorruptRecordError && e.code === ErrorCode.CORRUPT_MESSAGE);
    const tiny = Buffer.from(good);
    tiny.writeInt32BE(10, OFF.batchLength);
    await assert.rejects(log.appendAsFollower(tiny), CorruptRecordError);
    assert.equal(log.logEndOffset, 0);
    assert.equal(log.size, 0);
    assert.deepEqual(log.leaderEpochs, []);
    await log.appendAsFollower(good);
    assert.equal(log.logEndOffset, 1);
    await log.close();
  });

  test('a follower promoted to leader recognises an idempotent retry of a batch it replicated', async () => {
    const dir = await fresh();
    const follower = await openLog(dir, { replicated: true });
    const spec = { producerId: 42n, producerEpoch: 0 };
    await follower.appendAsFollower(leaderBatch(0, ['x'], 1));
    await follower.appendAsFollower(leaderBatch(1, ['a', 'b'], 1, { ...spec, baseSequence: 0 }));
    await follower.appendAsFollower(leaderBatch(3, ['c'], 1, { ...spec, baseSequence: 2 }));
    // Promoted: the producer retries its last batch against the new leader.
    const retry = await follower.append(valueBatch(['c'], { ...spec, baseSequence: 2 }), { leaderEpoch: 2 });
    assert.deepEqual([retry.duplicate, retry.baseOffset, retry.lastOffset], [true, 3, 3]);
    const older = await follower.append(valueBatch(['a', 'b'], { ...spec, baseSequence: 0 }), { leaderEpoch: 2 });
    assert.deepEqual([older.duplicate, older.baseOffset], [true, 1]);
    await assert.rejects(
      follower.append(valueBatch(['z'], { ...spec, baseSequence: 7 }), { leaderEpoch: 2 }),
      (e: unknown) => e instanceof ProducerStateError && e.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    const next = await follower.append(valueBatch(['d'], { ...spec, baseSequence: 3 }), { leaderEpoch: 2 });
    assert.deepEqual([next.duplicate, next.baseOffset], [false, 4]);
    assert.deepEqual(follower.leaderEpochs, [
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 4 },
    ]);
    await follower.close();
  });

  test('a large copy rolls segments as appends would; the files reopen as written', async () => {
    const dir = await fresh();
    const log = await openLog(dir, { config: { segmentBytes: 3000, indexIntervalBytes: 600 } });
    const parts: Buffer[] = [];
    for (let i = 0; i < 20; i++) parts.push(sizedBatch(2, 700, { baseOffset: i * 2, partitionLeaderEpoch: i < 10 ? 1 : 2, baseTimestamp: BigInt(1000 + i) }));
    const all = Buffer.concat(parts);
    await log.appendAsFollower(Buffer.from(all));
    assert.equal(log.logEndOffset, 40);
    assert.ok(log.numberOfSegments >= 5, `${log.numberOfSegments} segments`);
    for (const s of log.segments) assert.ok(s.size <= 3000);
    assert.deepEqual(log.leaderEpochs, [
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 20 },
    ]);
    await log.close();
    const again = await openLog(dir, { config: { segmentBytes: 3000, indexIntervalBytes: 600 } });
    const chunks: Buffer[] = [];
    for (let o = 0; o < 40; ) {
      const got = await again.read(o, 1 << 20);
      chunks.push(got);
      o = batchOffsets(got).at(-1)!.lastOffset + 1;
    }
    assert.deepEqual(Buffer.concat(chunks), all);
    assert.deepEqual(await again.offsetForTimestamp(1013n), { offset: 26, timestamp: 1013n });
    await again.close();
  });
});

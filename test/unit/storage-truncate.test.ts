// Log.truncateTo and Log.truncateFullyAndStartAt: what a follower does before fetching from a new
// leader. Whole batches go; files, indexes, producer state, epochs and offsets stay consistent,
// across reopen (clean and after a crash) and further appends.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../src/protocol/errors.js';
import { Log, OffsetOutOfRangeError, offsetFileName, ProducerStateError, type LogConfig } from '../../src/storage/index.js';
import { batchOffsets, buildBatch, valueBatch } from './helpers/storage-batches.js';

const dirs: string[] = [];
async function fresh(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'trib-trunc-'));
  dirs.push(d);
  return join(d, 'orders-1');
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Small segments and dense indexes, so truncation meets index entries and segment ends. */
const SMALL: Partial<LogConfig> = { segmentBytes: 1200, indexIntervalBytes: 150, fileDeleteDelayMs: 0 };
const T0 = 1_700_000_000_000n;

function openLog(dir: string, extra: { replicated?: boolean; config?: Partial<LogConfig>; recoveryPoint?: number; hadCleanShutdown?: boolean } = {}): Promise<Log> {
  return Log.open(dir, { topic: 'orders', partition: 1, config: SMALL, ...extra });
}

/** Batch i: 3 records, offsets 3i..3i+2 when appended in order, timestamps T0 + 10i + j. */
function batchNo(i: number, extra: { producerId?: bigint; baseSequence?: number } = {}): Buffer {
  const records = [0, 1, 2].map((j) => ({ value: Buffer.alloc(60, 97 + ((i + j) % 26)), timestamp: T0 + BigInt(10 * i + j) }));
  return buildBatch({ records, baseTimestamp: T0 + BigInt(10 * i), ...(extra.producerId !== undefined ? { producerId: extra.producerId, producerEpoch: 0, baseSequence: extra.baseSequence ?? 3 * i } : {}) });
}

async function fill(log: Log, n: number, extra: { producerId?: bigint } = {}): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const b = batchNo(i, extra);
    await log.append(b, { leaderEpoch: i < n / 2 ? 1 : 2 });
    out.push(b);
  }
  return out;
}

/** Every batch from the log start to the log end, read segment by segment. */
async function readAll(log: Log): Promise<Buffer> {
  const parts: Buffer[] = [];
  let o = log.logStartOffset;
  while (o < log.logEndOffset) {
    const got = await log.read(o, 1 << 20, { maxOffset: log.logEndOffset });
    if (got.length === 0) break;
    parts.push(got);
    o = batchOffsets(got).at(-1)!.lastOffset + 1;
  }
  return Buffer.concat(parts);
}

/**
 * Indexes agree with the .log: every entry at a batch start, below the log end; the .index files
 * on disk hold the same bytes (the active segment's only right after open, a roll or a truncation:
 * appends persist it lazily).
 */
async function assertIndexesConsistent(log: Log, activeOnDisk = true): Promise<void> {
  for (const s of log.segments) {
    const idx = s.offsetIndex;
    const data = await readFile(s.logPath);
    assert.equal(data.length, s.size);
    let pos = 0;
    const byPos = new Map<number, number>();
    for (const b of batchOffsets(data)) {
      byPos.set(pos, b.lastOffset);
      pos += b.size;
    }
    for (let i = 0; i < idx.entries; i++) {
      const off = s.baseOffset + idx.relativeOffset(i);
      assert.equal(byPos.get(idx.position(i)), off, `index entry ${i} of segment ${s.baseOffset}`);
      assert.ok(off < log.logEndOffset);
    }
    for (let i = 0; i < s.timeIndex.entries; i++) assert.ok(s.baseOffset + s.timeIndex.relativeOffset(i) < log.logEndOffset);
    if (s === log.activeSegment && !activeOnDisk) continue;
    const onDisk = await readFile(join(log.dir, offsetFileName(s.baseOffset, '.index')));
    assert.deepEqual(onDisk, idx.bytes(), `.index of segment ${s.baseOffset} on disk`);
  }
}

describe('truncateTo', () => {
  test('inside the active segment: from the target on everything goes, indexes and timestamps follow', async () => {
    const dir = await fresh();
    const log = await openLog(dir, { config: { ...SMALL, segmentBytes: 1 << 20 } });
    const batches = await fill(log, 10);
    assert.equal(log.numberOfSegments, 1);
    assert.ok(log.activeSegment.offsetIndex.entries >= 4);
    await log.truncateTo(15);
    assert.equal(log.logEndOffset, 15);
    assert.equal(log.highWatermark, 15);
    assert.deepEqual(await readAll(log), Buffer.concat(batches.slice(0, 5)));
    await assertIndexesConsistent(log);
    assert.deepEqual(await log.offsetForTimestamp(T0 + 41n), { offset: 13, timestamp: T0 + 41n });
    assert.equal(await log.offsetForTimestamp(T0 + 50n), null, 'the truncated timestamps are gone');
    assert.deepEqual(await log.offsetForTimestamp(-3n), { offset: 14, timestamp: T0 + 42n });
    assert.deepEqual(await log.offsetForTimestamp(-1n), { offset: 15, timestamp: -1n });
    // Appending continues at the new end.
    const b5 = batchNo(5);
    const r = await log.append(b5);
    assert.deepEqual([r.baseOffset, r.lastOffset], [15, 17]);
    await log.close();
    const again = await openLog(dir, { config: { ...SMALL, segmentBytes: 1 << 20 }, hadCleanShutdown: true, recoveryPoint: Number.MAX_SAFE_INTEGER });
    assert.equal(again.logEndOffset, 18);
    assert.deepEqual(await readAll(again), Buffer.concat([...batches.slice(0, 5), b5]));
    await assertIndexesConsistent(again);
    await again.close();
  });

  test('a target inside a batch takes the whole batch', async () => {
    const log = await openLog(await fresh());
    const batches = await fill(log, 6);
    await log.truncateTo(16);
    assert.equal(log.logEndOffset, 15);
    assert.deepEqual(await readAll(log), Buffer.concat(batches.slice(0, 5)));
    await log.truncateTo(13);
    assert.equal(log.logEndOffset, 12);
    await log.close();
  });

  test('across segments: later segments go, the one holding the target is cut and becomes active; a crash after it recovers cleanly', async () => {
    const dir = await fresh();
    const log = await openLog(dir);
    const batches = await fill(log, 20);
    const before = log.segments.map((s) => s.baseOffset);
    assert.ok(before.length >= 5, `${before.length} segments`);
    const target = before[2]! + 3;
    await log.truncateTo(target);
    assert.equal(log.logEndOffset, target);
    assert.deepEqual(
      log.segments.map((s) => s.baseOffset),
      before.slice(0, 3),
    );
    assert.equal(log.activeSegment.baseOffset, before[2]);
    const names = await readdir(dir);
    for (const b of before.slice(3)) assert.ok(!names.includes(offsetFileName(b, '.log')), `segment ${b} deleted`);
    assert.deepEqual(await readAll(log), Buffer.concat(batches.slice(0, target / 3)));
    await assertIndexesConsistent(log);
    // More appends roll as usual from the new end.
    const expected = batches.slice(0, target / 3);
    for (let i = target / 3; i < 20; i++) {
      const b = batchNo(i);
      await log.append(b);
      expected.push(b);
    }
    assert.equal(log.logEndOffset, 60);
    assert.deepEqual(await readAll(log), Buffer.concat(expected));
    await assertIndexesConsistent(log, false);
    // Crash (no close), reopen recovering everything: identical.
    const crashed = await openLog(dir, { recoveryPoint: 0 });
    assert.equal(crashed.logEndOffset, 60);
    assert.deepEqual(await readAll(crashed), Buffer.concat(expected));
    assert.equal(crashed.recoveryInfo.truncatedBytes, 0);
    await assertIndexesConsistent(crashed);
    await crashed.close();
    await log.closeForDelete();
  });

  test('to a segment base: that segment is left empty and active', async () => {
    const log = await openLog(await fresh());
    await fill(log, 12);
    const base = log.segments[1]!.baseOffset;
    await log.truncateTo(base);
    assert.equal(log.logEndOffset, base);
    assert.equal(log.numberOfSegments, 2);
    assert.equal(log.activeSegment.size, 0);
    const r = await log.append(batchNo(base / 3));
    assert.equal(r.baseOffset, base);
    await log.close();
  });

  test('to the log start offset leaves an empty log starting there; below it the log restarts there', async () => {
    const log = await openLog(await fresh());
    await fill(log, 8);
    await log.deleteRecordsBefore(6);
    await log.truncateTo(6);
    assert.deepEqual([log.logStartOffset, log.logEndOffset, log.highWatermark], [6, 6, 6]);
    assert.equal((await log.read(6, 1 << 20)).length, 0);
    assert.equal((await log.append(batchNo(2))).baseOffset, 6);
    // A log start inside a batch (DeleteRecords to 7): truncating there drops the batch holding
    // it, so the log restarts empty at its start.
    await log.append(batchNo(3));
    await log.deleteRecordsBefore(10);
    await log.truncateTo(10);
    assert.deepEqual([log.logStartOffset, log.logEndOffset], [10, 10]);
    assert.equal(log.numberOfSegments, 1);
    // Below the start: a fresh log there.
    await log.truncateTo(4);
    assert.deepEqual([log.logStartOffset, log.logEndOffset, log.highWatermark, log.numberOfSegments], [4, 4, 4, 1]);
    assert.equal(log.activeSegment.baseOffset, 4);
    await assert.rejects(log.read(3, 100), OffsetOutOfRangeError);
    assert.equal((await log.append(batchNo(0))).baseOffset, 4);
    await log.close();
  });

  test('at or past the end: nothing happens; listeners of appends are never told of a truncation', async () => {
    const log = await openLog(await fresh());
    await fill(log, 3);
    const seen: number[] = [];
    log.onAppend((leo) => seen.push(leo));
    await log.truncateTo(9);
    await log.truncateTo(100);
    assert.equal(log.logEndOffset, 9);
    await log.truncateTo(3);
    assert.deepEqual(seen, []);
    await assert.rejects(log.truncateTo(-1), RangeError);
    await log.close();
  });

  test('recovery point, high watermark, producer state, snapshots and epochs come down to the new end', async () => {
    const dir = await fresh();
    const log = await openLog(dir, { replicated: true });
    await fill(log, 12, { producerId: 5n });
    log.setHighWatermark(36);
    await log.flush();
    assert.equal(log.recoveryPoint, 36);
    assert.deepEqual(log.leaderEpochs, [
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 18 },
    ]);
    const snapshotsBefore = (await readdir(dir)).filter((n) => n.endsWith('.snapshot'));
    assert.ok(snapshotsBefore.length >= 2);
    await log.truncateTo(15);
    assert.deepEqual([log.logEndOffset, log.recoveryPoint, log.highWatermark], [15, 15, 15]);
    assert.deepEqual(log.leaderEpochs, [{ epoch: 1, startOffset: 0 }]);
    assert.equal(await readFile(join(dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n1\n1 0\n');
    for (const n of (await readdir(dir)).filter((n) => n.endsWith('.snapshot'))) assert.ok(Number(n.slice(0, 20)) <= 15, n);
    const p = log.producers().find((e) => e.producerId === 5n)!;
    assert.equal(p.batches.at(-1)!.lastSeq, 14);
    // The truncated batch is no duplicate any more: it is written again, at the same offsets.
    const again = await log.append(batchNo(5, { producerId: 5n }), { leaderEpoch: 3 });
    assert.deepEqual([again.duplicate, again.baseOffset], [false, 15]);
    await assert.rejects(log.append(batchNo(9, { producerId: 5n })), (e: unknown) => e instanceof ProducerStateError && e.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.deepEqual(log.endOffsetForEpoch(1), { leaderEpoch: 1, endOffset: 15 });
    assert.deepEqual(log.endOffsetForEpoch(2), { leaderEpoch: 1, endOffset: 15 });
    await log.close();
    const reopened = await openLog(dir, { replicated: true });
    assert.equal(reopened.logEndOffset, 18);
    assert.equal(reopened.producers().find((e) => e.producerId === 5n)!.batches.at(-1)!.lastSeq, 17);
    assert.deepEqual(reopened.leaderEpochs, [
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 15 },
    ]);
    await reopened.close();
  });

  test('waits for the appends queued before it, and appends queued after it land at the new end', async () => {
    const log = await openLog(await fresh());
    const first = log.append(valueBatch(['a', 'b', 'c']));
    const second = log.append(valueBatch(['d']));
    const cut = log.truncateTo(3);
    const third = log.append(valueBatch(['e']));
    assert.equal((await first).baseOffset, 0);
    assert.equal((await second).baseOffset, 3);
    await cut;
    assert.equal((await third).baseOffset, 3);
    assert.equal(log.logEndOffset, 4);
    await log.close();
  });
});

describe('truncateFullyAndStartAt', () => {
  test('everything goes; the log restarts empty at the offset and reopens there', async () => {
    const dir = await fresh();
    const log = await openLog(dir, { replicated: true });
    await fill(log, 10, { producerId: 8n });
    log.setHighWatermark(20);
    await log.truncateFullyAndStartAt(100);
    assert.deepEqual([log.logStartOffset, log.logEndOffset, log.highWatermark, log.recoveryPoint], [100, 100, 100, 100]);
    assert.equal(log.numberOfSegments, 1);
    assert.equal(log.activeSegment.baseOffset, 100);
    assert.deepEqual(log.producers(), []);
    assert.deepEqual(log.leaderEpochs, []);
    assert.equal(log.latestEpoch, -1);
    assert.equal((await log.read(100, 1 << 20)).length, 0);
    await assert.rejects(log.read(0, 100), OffsetOutOfRangeError);
    const r = await log.appendAsFollower(buildBatch({ records: [{ value: Buffer.from('x') }], baseOffset: 100, partitionLeaderEpoch: 7 }));
    assert.equal(r.baseOffset, 100);
    assert.deepEqual(log.leaderEpochs, [{ epoch: 7, startOffset: 100 }]);
    await log.close();
    const names = await readdir(dir);
    assert.deepEqual(
      names.filter((n) => n.endsWith('.log')),
      [offsetFileName(100, '.log')],
    );
    const again = await openLog(dir, { replicated: true });
    assert.deepEqual([again.logStartOffset, again.logEndOffset], [100, 101]);
    await again.close();
  });

  test('also to an offset below the log start (a follower whose leader holds older data)', async () => {
    const log = await openLog(await fresh());
    await fill(log, 4);
    await log.truncateFullyAndStartAt(3);
    assert.deepEqual([log.logStartOffset, log.logEndOffset], [3, 3]);
    await assert.rejects(log.truncateFullyAndStartAt(-5), RangeError);
    await log.close();
  });
});

// The storage contract (DESIGN habit 6): every PartitionLog engine must pass these. The on-disk
// engine (Log) runs them below; another engine adds one `runContract(...)` call.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log, OffsetMismatchError, OffsetOutOfRangeError, StorageError, type LogConfig, type PartitionLog } from '../../src/storage/index.js';
import { batchOffsets, buildBatch, sizedBatch, valueBatch } from './helpers/storage-batches.js';

export interface EngineFactory {
  name: string;
  /** Opens (or reopens after close) the partition log kept under `dir`. */
  open(dir: string, opts: { config?: Partial<LogConfig>; now?: () => number; replicated?: boolean }): Promise<PartitionLog>;
}

export function runContract(factory: EngineFactory): void {
  describe(`PartitionLog contract: ${factory.name}`, () => {
    const dirs: string[] = [];
    const fresh = async (): Promise<string> => {
      const d = await mkdtemp(join(tmpdir(), 'trib-contract-'));
      dirs.push(d);
      return join(d, 'topic-0');
    };
    after(async () => {
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    });

    test('empty log', async () => {
      const log = await factory.open(await fresh(), {});
      assert.equal(log.logStartOffset, 0);
      assert.equal(log.logEndOffset, 0);
      assert.equal(log.highWatermark, 0);
      assert.equal((await log.read(0, 1024)).length, 0);
      await assert.rejects(log.read(1, 1024), OffsetOutOfRangeError);
      await log.close();
    });

    test('append/read round trip returns the same bytes with offsets assigned', async () => {
      const log = await factory.open(await fresh(), {});
      const b1 = valueBatch(['a', 'b', 'c']);
      const b2 = valueBatch(['d']);
      const orig1 = Buffer.from(b1);
      const r1 = await log.append(b1);
      const r2 = await log.append(b2);
      assert.deepEqual([r1.baseOffset, r1.lastOffset, r1.duplicate], [0, 2, false]);
      assert.deepEqual([r2.baseOffset, r2.lastOffset], [3, 3]);
      assert.equal(r1.logAppendTime, -1n);
      assert.equal(log.logEndOffset, 4);
      const data = await log.read(0, 1 << 20);
      assert.equal(data.length, b1.length + b2.length);
      // Byte-identical apart from the base offset (outside the CRC).
      assert.deepEqual(data.subarray(8, b1.length), orig1.subarray(8));
      assert.deepEqual(batchOffsets(data).map((b) => b.baseOffset), [0, 3]);
      // Reading from inside a batch returns that whole batch.
      assert.deepEqual(batchOffsets(await log.read(1, 1 << 20)).map((b) => b.baseOffset), [0, 3]);
      assert.deepEqual(batchOffsets(await log.read(3, 1 << 20)).map((b) => b.baseOffset), [3]);
      assert.equal((await log.read(4, 1 << 20)).length, 0);
      await assert.rejects(log.read(5, 100), (e: unknown) => e instanceof StorageError && e.code === 1);
      await log.close();
    });

    test('concurrent appends get distinct dense offsets', async () => {
      const log = await factory.open(await fresh(), {});
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => log.append(valueBatch(Array.from({ length: (i % 5) + 1 }, (_, j) => `v${i}-${j}`)))),
      );
      const ranges = results.map((r) => [r.baseOffset, r.lastOffset] as const).sort((a, b) => a[0] - b[0]);
      let next = 0;
      for (const [b, l] of ranges) {
        assert.equal(b, next);
        next = l + 1;
      }
      assert.equal(log.logEndOffset, next);
      const all = batchOffsets(await log.read(0, 1 << 24));
      assert.equal(all.length, 200);
      assert.equal(all[all.length - 1]!.lastOffset, next - 1);
      await log.close();
    });

    test('maxBytes and minOneMessage', async () => {
      const log = await factory.open(await fresh(), {});
      const sizes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const b = sizedBatch(2, 1000);
        sizes.push(b.length);
        await log.append(b);
      }
      // Whole batches only, within maxBytes.
      const two = await log.read(0, sizes[0]! + sizes[1]! + 10);
      assert.equal(batchOffsets(two).length, 2);
      // First batch bigger than maxBytes: whole with minOneMessage, nothing without.
      assert.equal(batchOffsets(await log.read(0, 10)).length, 1);
      assert.equal((await log.read(0, 10, { minOneMessage: false })).length, 0);
      // maxOffset bounds the read (e.g. a high watermark below the log end).
      assert.equal(batchOffsets(await log.read(0, 1 << 20, { maxOffset: 4 })).length, 2);
      assert.equal((await log.read(4, 1 << 20, { maxOffset: 4 })).length, 0);
      await log.close();
    });

    test('offsetForTimestamp including -1, -2, -3', async () => {
      const log = await factory.open(await fresh(), {});
      assert.equal(await log.offsetForTimestamp(100n), null);
      await log.append(buildBatch({ records: [{ value: Buffer.from('a'), timestamp: 1000n }, { value: Buffer.from('b'), timestamp: 1500n }], baseTimestamp: 1000n }));
      await log.append(buildBatch({ records: [{ value: Buffer.from('c'), timestamp: 5000n }, { value: Buffer.from('d'), timestamp: 2000n }], baseTimestamp: 2000n }));
      await log.append(buildBatch({ records: [{ value: Buffer.from('e'), timestamp: 3000n }], baseTimestamp: 3000n }));
      assert.deepEqual(await log.offsetForTimestamp(-1n), { offset: 5, timestamp: -1n });
      assert.deepEqual(await log.offsetForTimestamp(-2n), { offset: 0, timestamp: -1n });
      assert.deepEqual(await log.offsetForTimestamp(-3n), { offset: 2, timestamp: 5000n });
      assert.deepEqual(await log.offsetForTimestamp(0n), { offset: 0, timestamp: 1000n });
      assert.deepEqual(await log.offsetForTimestamp(1200n), { offset: 1, timestamp: 1500n });
      assert.deepEqual(await log.offsetForTimestamp(1600n), { offset: 2, timestamp: 5000n });
      assert.deepEqual(await log.offsetForTimestamp(2500n), { offset: 2, timestamp: 5000n });
      assert.deepEqual(await log.offsetForTimestamp(5000n), { offset: 2, timestamp: 5000n });
      assert.equal(await log.offsetForTimestamp(5001n), null);
      await log.close();
    });

    test('offsetForTimestamp inside compressed batches (gzip, zstd)', async () => {
      const { encodeRecordBatch } = await import('../../src/protocol/records/batch.js');
      const log = await factory.open(await fresh(), {});
      for (const compression of [1, 4] as const) {
        await log.append(
          await encodeRecordBatch({
            compression,
            records: [
              { value: 'a', timestamp: 100 + compression * 1000 },
              { value: 'b', timestamp: 300 + compression * 1000 },
              { value: 'c', timestamp: 200 + compression * 1000 },
            ],
          }),
        );
      }
      assert.deepEqual(await log.offsetForTimestamp(1150n), { offset: 1, timestamp: 1300n });
      assert.deepEqual(await log.offsetForTimestamp(4250n), { offset: 4, timestamp: 4300n });
      assert.deepEqual(await log.offsetForTimestamp(-3n), { offset: 4, timestamp: 4300n });
      await log.close();
    });

    test('LogAppendTime stamps maxTimestamp and the attribute, CRC still valid', async () => {
      const log = await factory.open(await fresh(), {});
      const r = await log.append(valueBatch(['x', 'y']), { logAppendTime: 1234567n });
      assert.equal(r.logAppendTime, 1234567n);
      const data = await log.read(0, 1 << 20);
      const { readBatchHeader, batchCrcValid } = await import('../../src/protocol/records/batch-header.js');
      const h = readBatchHeader(data, 0);
      assert.equal(h.maxTimestamp, 1234567n);
      assert.equal(h.attributes & 0x08, 0x08);
      assert.ok(batchCrcValid(data, 0, h.size));
      assert.deepEqual(await log.offsetForTimestamp(-3n), { offset: 0, timestamp: 1234567n });
      await log.close();
    });

    test('deleteRecordsBefore advances the log start offset', async () => {
      const log = await factory.open(await fresh(), { config: { segmentBytes: 2048 } });
      for (let i = 0; i < 20; i++) await log.append(sizedBatch(1, 500));
      const segsBefore = log.numberOfSegments;
      assert.ok(segsBefore > 3);
      assert.equal(await log.deleteRecordsBefore(10), 10);
      assert.equal(log.logStartOffset, 10);
      assert.ok(log.numberOfSegments < segsBefore);
      await assert.rejects(log.read(9, 1000), OffsetOutOfRangeError);
      assert.equal(batchOffsets(await log.read(10, 100))[0]!.baseOffset, 10);
      assert.equal(await log.deleteRecordsBefore(5), 10); // never moves back
      await assert.rejects(log.deleteRecordsBefore(21), OffsetOutOfRangeError);
      assert.equal(await log.deleteRecordsBefore(-1), 20); // -1 = high watermark
      assert.equal(log.logStartOffset, 20);
      assert.equal((await log.read(20, 100)).length, 0);
      const r = await log.append(valueBatch(['after']));
      assert.equal(r.baseOffset, 20);
      await log.close();
    });

    test('waitForAppend wakes on the next append', async () => {
      const log = await factory.open(await fresh(), {});
      let woke = false;
      const w = log.waitForAppend(0).then(() => (woke = true));
      await new Promise((r) => setImmediate(r));
      assert.equal(woke, false);
      await log.append(valueBatch(['a']));
      await w;
      assert.equal(woke, true);
      const ac = new AbortController();
      const w2 = log.waitForAppend(5, ac.signal);
      ac.abort();
      await w2;
      const seen: number[] = [];
      const off = log.onAppend((leo) => seen.push(leo));
      await log.append(valueBatch(['b', 'c']));
      off();
      await log.append(valueBatch(['d']));
      assert.deepEqual(seen, [3]);
      await log.close();
    });

    test('data, offsets and producer state survive close and reopen', async () => {
      const dir = await fresh();
      let log = await factory.open(dir, {});
      for (let i = 0; i < 3; i++) await log.append(valueBatch([`v${i}`], { producerId: 7n, producerEpoch: 0, baseSequence: i }));
      await log.close();
      log = await factory.open(dir, {});
      assert.equal(log.logEndOffset, 3);
      assert.equal(batchOffsets(await log.read(0, 1 << 20)).length, 3);
      const dup = await log.append(valueBatch(['v2'], { producerId: 7n, producerEpoch: 0, baseSequence: 2 }));
      assert.deepEqual([dup.duplicate, dup.baseOffset], [true, 2]);
      const next = await log.append(valueBatch(['v3'], { producerId: 7n, producerEpoch: 0, baseSequence: 3 }));
      assert.deepEqual([next.duplicate, next.baseOffset], [false, 3]);
      await log.close();
    });

    test('high watermark: the log end when not replicated; replicated, only setHighWatermark moves it', async () => {
      const single = await factory.open(await fresh(), {});
      const heard: number[] = [];
      single.onHighWatermark((hw) => heard.push(hw));
      await single.append(valueBatch(['a', 'b']));
      assert.deepEqual([single.highWatermark, single.lastStableOffset], [2, 2]);
      assert.deepEqual(heard, [2]);
      await single.close();
      const replicated = await factory.open(await fresh(), { replicated: true });
      await replicated.append(valueBatch(['a', 'b', 'c']));
      assert.deepEqual([replicated.logEndOffset, replicated.highWatermark, replicated.lastStableOffset], [3, 0, 0]);
      assert.equal((await replicated.read(0, 1 << 20)).length, 0);
      const waiting = replicated.waitForHighWatermark(1);
      replicated.setHighWatermark(2);
      await waiting;
      replicated.setHighWatermark(1);
      assert.equal(replicated.highWatermark, 2);
      replicated.setHighWatermark(10);
      assert.equal(replicated.highWatermark, 3);
      await replicated.close();
    });

    test('leader epochs: stamped on append, answered by endOffsetForEpoch', async () => {
      const log = await factory.open(await fresh(), {});
      await log.append(valueBatch(['a', 'b']), { leaderEpoch: 2 });
      await log.append(valueBatch(['c']), { leaderEpoch: 4 });
      assert.equal(log.latestEpoch, 4);
      const data = await log.read(0, 1 << 20);
      assert.deepEqual([data.readInt32BE(12), data.readInt32BE(batchOffsets(data)[0]!.size + 12)], [2, 4]);
      assert.deepEqual(log.endOffsetForEpoch(3), { leaderEpoch: 2, endOffset: 2 });
      assert.deepEqual(log.endOffsetForEpoch(4), { leaderEpoch: 4, endOffset: 3 });
      assert.deepEqual(log.endOffsetForEpoch(1), { leaderEpoch: -1, endOffset: -1 });
      await log.close();
    });

    test('appendAsFollower copies the leader batches as they are, from the log end only', async () => {
      const log = await factory.open(await fresh(), {});
      const leaderBatches = Buffer.concat([valueBatch(['a', 'b'], { baseOffset: 0, partitionLeaderEpoch: 3 }), valueBatch(['c'], { baseOffset: 2, partitionLeaderEpoch: 5 })]);
      const r = await log.appendAsFollower(Buffer.from(leaderBatches));
      assert.deepEqual([r.baseOffset, r.lastOffset], [0, 2]);
      assert.deepEqual(await log.read(0, 1 << 20, { maxOffset: log.logEndOffset }), leaderBatches);
      assert.deepEqual(log.endOffsetForEpoch(3), { leaderEpoch: 3, endOffset: 2 });
      await assert.rejects(log.appendAsFollower(valueBatch(['d'], { baseOffset: 7 })), OffsetMismatchError);
      assert.equal(log.logEndOffset, 3);
      await log.close();
    });

    test('truncateTo cuts whole batches back; truncateFullyAndStartAt restarts the log', async () => {
      const dir = await fresh();
      let log = await factory.open(dir, {});
      await log.append(valueBatch(['a', 'b']), { leaderEpoch: 1 });
      await log.append(valueBatch(['c', 'd']), { leaderEpoch: 2 });
      await log.append(valueBatch(['e']), { leaderEpoch: 2 });
      await log.truncateTo(3);
      assert.deepEqual([log.logEndOffset, log.highWatermark, log.latestEpoch], [2, 2, 1]);
      assert.deepEqual(batchOffsets(await log.read(0, 1 << 20)).map((b) => b.baseOffset), [0]);
      assert.equal((await log.append(valueBatch(['f']))).baseOffset, 2);
      await log.close();
      log = await factory.open(dir, {});
      assert.equal(log.logEndOffset, 3);
      await log.truncateFullyAndStartAt(40);
      assert.deepEqual([log.logStartOffset, log.logEndOffset, log.highWatermark, log.latestEpoch], [40, 40, 40, -1]);
      assert.equal((await log.append(valueBatch(['g']))).baseOffset, 40);
      await log.close();
    });

    test('rejects bytes that are not whole v2 batches', async () => {
      const log = await factory.open(await fresh(), {});
      const b = valueBatch(['a']);
      await assert.rejects(log.append(b.subarray(0, b.length - 3)), (e: unknown) => e instanceof StorageError && e.code === 2);
      await assert.rejects(log.append(Buffer.alloc(0)), (e: unknown) => e instanceof StorageError && e.code === 2);
      assert.equal(log.logEndOffset, 0);
      await log.close();
    });
  });
}

runContract({
  name: 'Log (on disk)',
  open: (dir, opts) => Log.open(dir, { topic: 'topic', partition: 0, ...opts }),
});

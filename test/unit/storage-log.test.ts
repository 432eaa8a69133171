// On-disk specifics of the Log: Kafka file names, index/timeindex bytes, rolling, lookup, recovery.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log, offsetFileName, type LogConfig } from '../../src/storage/index.js';
import { batchOffsets, buildBatch, sizedBatch, valueBatch } from './helpers/storage-batches.js';

const dirs: string[] = [];
async function fresh(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'trib-log-'));
  dirs.push(d);
  return join(d, 'orders-3');
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function openLog(dir: string, config: Partial<LogConfig> = {}, extra: { now?: () => number; recoveryPoint?: number; hadCleanShutdown?: boolean } = {}): Promise<Log> {
  return Log.open(dir, { topic: 'orders', partition: 3, config, ...extra });
}

/** Expected index bytes by Kafka's rule, for batches appended one per append() into one segment. */
function expectedIndexes(base: number, batches: Array<{ lastOffset: number; size: number; maxTs: bigint }>, interval: number, finalTimeEntry: boolean): { index: Buffer; timeindex: Buffer } {
  const idx: Buffer[] = [];
  const tix: Buffer[] = [];
  let since = 0;
  let pos = 0;
  let maxTs = -1n;
  let maxTsOff = base;
  let lastTixTs = -1n;
  const pushT = (ts: bigint, off: number): void => {
    if (ts > lastTixTs) {
      const e = Buffer.alloc(12);
      e.writeBigInt64BE(ts, 0);
      e.writeInt32BE(off - base, 8);
      tix.push(e);
      lastTixTs = ts;
    }
  };
  for (const b of batches) {
    if (b.maxTs > maxTs) {
      maxTs = b.maxTs;
      maxTsOff = b.lastOffset;
    }
    if (since > interval) {
      const e = Buffer.alloc(8);
      e.writeInt32BE(b.lastOffset - base, 0);
      e.writeInt32BE(pos, 4);
      idx.push(e);
      pushT(maxTs, maxTsOff);
      since = 0;
    }
    pos += b.size;
    since += b.size;
  }
  if (finalTimeEntry) pushT(maxTs, maxTsOff);
  return { index: Buffer.concat(idx), timeindex: Buffer.concat(tix) };
}

describe('Log on disk', () => {
  test('segment files, roll by size, index and timeindex byte-exact', async () => {
    const dir = await fresh();
    const interval = 1000;
    const log = await openLog(dir, { segmentBytes: 8000, indexIntervalBytes: interval });
    const appended: Array<{ lastOffset: number; size: number; maxTs: bigint; bytes: Buffer }> = [];
    let ts = 1_000_000n;
    for (let i = 0; i < 60; i++) {
      const count = (i % 3) + 1;
      // Timestamps mostly grow, sometimes step back (the time index only takes growth).
      ts += i % 4 === 0 ? -50n : 100n;
      const b = buildBatch({ records: Array.from({ length: count }, (_, j) => ({ value: Buffer.alloc(100 + ((i * 37) % 400), j), timestamp: ts + BigInt(j) })), baseTimestamp: ts });
      const r = await log.append(b);
      appended.push({ lastOffset: r.lastOffset, size: b.length, maxTs: ts + BigInt(count - 1), bytes: b });
    }
    await log.close();
    const names = (await readdir(dir)).sort();
    const bases = names.filter((n) => n.endsWith('.log')).map((n) => Number(n.slice(0, 20)));
    assert.ok(bases.length >= 3, `expected several segments, got ${bases.length}`);
    for (const b of bases) {
      assert.ok(names.includes(offsetFileName(b, '.index')));
      assert.ok(names.includes(offsetFileName(b, '.timeindex')));
      assert.match(offsetFileName(b, '.log'), /^\d{20}\.log$/);
    }
    assert.equal(bases[0], 0);
    // Each segment: the concatenated batches, under segment.bytes, starting at its base offset.
    for (let s = 0; s < bases.length; s++) {
      const base = bases[s]!;
      const end = s + 1 < bases.length ? bases[s + 1]! : Infinity;
      const inSeg = appended.filter((a) => a.lastOffset >= base && a.lastOffset < end);
      const data = await readFile(join(dir, offsetFileName(base, '.log')));
      assert.ok(data.length <= 8000);
      assert.deepEqual(data, Buffer.concat(inSeg.map((a) => a.bytes)));
      assert.equal(batchOffsets(data)[0]!.baseOffset, base);
      const exp = expectedIndexes(base, inSeg, interval, true);
      assert.deepEqual(await readFile(join(dir, offsetFileName(base, '.index'))), exp.index, `index of segment ${base}`);
      assert.deepEqual(await readFile(join(dir, offsetFileName(base, '.timeindex'))), exp.timeindex, `timeindex of segment ${base}`);
    }
    // Producer snapshots at each roll and at close.
    const snaps = names.filter((n) => n.endsWith('.snapshot'));
    assert.ok(snaps.includes(offsetFileName(appended[appended.length - 1]!.lastOffset + 1, '.snapshot')));
    for (const b of bases.slice(1)) assert.ok(snaps.includes(offsetFileName(b, '.snapshot')));
  });

  test('lookup of every offset across segments, batches of varied sizes', async () => {
    const dir = await fresh();
    const log = await openLog(dir, { segmentBytes: 20_000, indexIntervalBytes: 700 });
    const ranges: Array<[number, number]> = [];
    let seed = 42;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 300; i++) {
      const r = await log.append(sizedBatch(rnd(8) + 1, 80 + rnd(1500)));
      ranges.push([r.baseOffset, r.lastOffset]);
    }
    assert.ok(log.numberOfSegments > 5);
    const check = async (l: Log): Promise<void> => {
      for (const [b, last] of ranges) {
        for (let o = b; o <= last; o++) {
          const got = batchOffsets(await l.read(o, 1));
          assert.equal(got.length, 1);
          assert.deepEqual([got[0]!.baseOffset, got[0]!.lastOffset], [b, last], `offset ${o}`);
        }
      }
    };
    await check(log);
    await log.close();
    const reopened = await openLog(dir, { segmentBytes: 20_000, indexIntervalBytes: 700 }, { hadCleanShutdown: true, recoveryPoint: log.logEndOffset });
    assert.equal(reopened.logEndOffset, log.logEndOffset);
    await check(reopened);
    // A read may stop at a segment end; the next read continues in the next segment.
    let off = 0;
    let batches = 0;
    while (off < reopened.logEndOffset) {
      const got = batchOffsets(await reopened.read(off, 1 << 20));
      assert.ok(got.length > 0);
      assert.equal(got[0]!.baseOffset, off);
      batches += got.length;
      off = got[got.length - 1]!.lastOffset + 1;
    }
    assert.equal(batches, ranges.length);
    await reopened.close();
  });

  test('roll by segment.ms uses batch timestamps (Kafka rule), or the clock without them', async () => {
    const dir = await fresh();
    let now = 0;
    const log = await openLog(dir, { segmentMs: 1000 }, { now: () => now });
    await log.append(buildBatch({ records: [{ value: Buffer.from('a') }], baseTimestamp: 10_000n }));
    await log.append(buildBatch({ records: [{ value: Buffer.from('b') }], baseTimestamp: 10_900n }));
    assert.equal(log.numberOfSegments, 1);
    await log.append(buildBatch({ records: [{ value: Buffer.from('c') }], baseTimestamp: 11_001n }));
    assert.equal(log.numberOfSegments, 2);
    assert.equal(log.activeSegment.baseOffset, 2);
    // Batches without timestamps (-1): the segment's creation time on the injected clock.
    const dir2 = await fresh();
    now = 5000;
    const log2 = await openLog(dir2, { segmentMs: 1000 }, { now: () => now });
    const noTs = (): Buffer => buildBatch({ records: [{ value: Buffer.from('x'), timestamp: -1n }], baseTimestamp: -1n });
    await log2.append(noTs());
    now = 5900;
    await log2.append(noTs());
    assert.equal(log2.numberOfSegments, 1);
    now = 6001;
    await log2.append(noTs());
    assert.equal(log2.numberOfSegments, 2);
    await log.close();
    await log2.close();
  });

  test('roll when the index is full', async () => {
    const dir = await fresh();
    // 48 bytes: offset index holds 6 entries, time index 4 (one kept free for the roll entry).
    const log = await openLog(dir, { segmentIndexBytes: 48, indexIntervalBytes: 100 });
    let ts = 1000n;
    for (let i = 0; i < 40; i++) {
      ts += 10n;
      await log.append(buildBatch({ records: [{ value: Buffer.alloc(150) }], baseTimestamp: ts }));
    }
    await log.close();
    assert.ok(log.numberOfSegments > 3);
    for (const seg of log.segments.slice(0, -1)) {
      const ti = await stat(join(dir, offsetFileName(seg.baseOffset, '.timeindex')));
      assert.ok(ti.size <= 48 && ti.size % 12 === 0);
      // Kafka rolls when the time index has maxEntries - 1 entries; the roll entry is only added
      // when the max timestamp grew after the last entry, which here it did not.
      assert.equal(ti.size, 36);
      const oi = await stat(join(dir, offsetFileName(seg.baseOffset, '.index')));
      assert.ok(oi.size <= 48 && oi.size % 8 === 0);
    }
  });

  test('recovery: torn tail batch is truncated, acknowledged data kept', async () => {
    const dir = await fresh();
    const log = await openLog(dir);
    for (let i = 0; i < 10; i++) await log.append(sizedBatch(2, 300));
    await log.flush();
    const lastSize = (await log.read(18, 1 << 20)).length;
    const total = log.size;
    await log.close();
    await rm(join(dir, '..', 'dummy'), { force: true });
    // Cut the last batch in half and forget the clean shutdown (recovery point 0).
    await truncate(join(dir, offsetFileName(0, '.log')), total - Math.floor(lastSize / 2));
    const re = await openLog(dir, {}, { recoveryPoint: 0 });
    assert.equal(re.logEndOffset, 18);
    assert.equal(re.size, total - lastSize);
    assert.ok(re.recoveryInfo.truncatedBytes > 0);
    assert.equal(batchOffsets(await re.read(0, 1 << 20)).length, 9);
    const r = await re.append(valueBatch(['next']));
    assert.equal(r.baseOffset, 18);
    await re.close();
  });

  test('recovery: corrupt CRC in the tail truncates from that batch; garbage after the end too', async () => {
    const dir = await fresh();
    const log = await openLog(dir);
    const sizes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const b = sizedBatch(1, 200 + i * 10);
      sizes.push(b.length);
      await log.append(b);
    }
    await log.close();
    const path = join(dir, offsetFileName(0, '.log'));
    const fh = await open(path, 'r+');
    const pos4 = sizes.slice(0, 4).reduce((a, b) => a + b, 0);
    await fh.write(Buffer.from([0xde, 0xad]), 0, 2, pos4 + 100); // flip bytes inside batch 4's records
    await fh.write(Buffer.alloc(500, 0x00), 0, 500, sizes.reduce((a, b) => a + b, 0)); // zeros past the end
    await fh.close();
    const re = await openLog(dir, {}, { recoveryPoint: 0 });
    assert.equal(re.logEndOffset, 4);
    assert.equal(re.size, pos4);
    await re.close();
  });

  test('recovery: deleted or damaged index files are rebuilt identically', async () => {
    const dir = await fresh();
    const cfg = { segmentBytes: 6000, indexIntervalBytes: 500 };
    const log = await openLog(dir, cfg);
    let ts = 10_000n;
    for (let i = 0; i < 50; i++) {
      ts += 7n;
      await log.append(buildBatch({ records: [{ value: Buffer.alloc(200 + (i % 5) * 50) }], baseTimestamp: ts }));
    }
    await log.close();
    const files = (await readdir(dir)).filter((n) => n.endsWith('.index') || n.endsWith('.timeindex')).sort();
    const before = new Map<string, Buffer>();
    for (const f of files) before.set(f, await readFile(join(dir, f)));
    // Delete all indexes of the first segment, damage the second's (odd size).
    await rm(join(dir, files.find((f) => f.endsWith('.index'))!));
    await rm(join(dir, files.find((f) => f.endsWith('.timeindex'))!));
    const secondIdx = files.filter((f) => f.endsWith('.index'))[1]!;
    await writeFile(join(dir, secondIdx), Buffer.concat([before.get(secondIdx)!, Buffer.from([1, 2, 3])]));
    const re = await openLog(dir, cfg, { hadCleanShutdown: true });
    assert.equal(re.recoveryInfo.rebuiltIndexes, 2);
    assert.equal(re.logEndOffset, 50);
    await re.close();
    for (const f of files) assert.deepEqual(await readFile(join(dir, f)), before.get(f), f);
    const again = await openLog(dir, cfg, { hadCleanShutdown: true });
    for (let o = 0; o < 50; o++) assert.equal(batchOffsets(await again.read(o, 1))[0]!.baseOffset, o);
    await again.close();
  });

  test('unclean open recovers from the segment holding the recovery point only', async () => {
    const dir = await fresh();
    const cfg = { segmentBytes: 3000 };
    const log = await openLog(dir, cfg);
    for (let i = 0; i < 30; i++) await log.append(sizedBatch(1, 400));
    await log.flush();
    const rp = log.recoveryPoint;
    assert.equal(rp, 30);
    await log.close();
    const re = await openLog(dir, cfg, { recoveryPoint: 25 });
    assert.equal(re.recoveryInfo.recoveredSegments, re.numberOfSegments - re.segments.findIndex((s, i, a) => i === a.length - 1 || a[i + 1]!.baseOffset > 25));
    assert.ok(re.recoveryInfo.recoveredSegments < re.numberOfSegments);
    assert.equal(re.logEndOffset, 30);
    await re.close();
  });

  test('grouped concurrent appends across rolls: dense offsets, idempotence, consistent files', async () => {
    const dir = await fresh();
    const cfg = { segmentBytes: 3000, indexIntervalBytes: 300 };
    const log = await openLog(dir, cfg);
    const producers = [1n, 2n, 3n];
    const seqs = new Map(producers.map((p) => [p, 0]));
    const jobs: Array<Promise<{ baseOffset: number; lastOffset: number; duplicate: boolean }>> = [];
    for (let i = 0; i < 300; i++) {
      const pid = producers[i % 3]!;
      const seq = seqs.get(pid)!;
      seqs.set(pid, seq + 2);
      const b = buildBatch({ records: [{ value: Buffer.alloc(40 + (i % 90)) }, { value: Buffer.from('z') }], producerId: pid, producerEpoch: 0, baseSequence: seq });
      jobs.push(log.append(b));
      if (i % 10 === 9) jobs.push(log.append(Buffer.from(b))); // a retry racing its original
    }
    const res = await Promise.all(jobs);
    const fresh1 = res.filter((r) => !r.duplicate).sort((a, b) => a.baseOffset - b.baseOffset);
    assert.equal(fresh1.length, 300);
    assert.equal(res.filter((r) => r.duplicate).length, 30);
    let n = 0;
    for (const r of fresh1) {
      assert.equal(r.baseOffset, n);
      n = r.lastOffset + 1;
    }
    assert.equal(log.logEndOffset, 600);
    assert.ok(log.numberOfSegments > 10);
    for (const seg of log.segments) assert.ok(seg.size <= 3000);
    await log.close();
    const re = await openLog(dir, cfg, { recoveryPoint: 0 });
    assert.equal(re.logEndOffset, 600);
    assert.equal(re.recoveryInfo.truncatedBytes, 0);
    for (let o = 0; o < 600; o += 7) assert.equal(batchOffsets(await re.read(o, 1))[0]!.baseOffset, o - (o % 2));
    await re.close();
  });

  test('flush policy: default leaves it to the OS, flush.messages=1 fsyncs before ack, flush.ms by clock', async () => {
    const log = await openLog(await fresh());
    await log.append(valueBatch(['a']));
    assert.equal(log.recoveryPoint, 0);
    await log.flush();
    assert.equal(log.recoveryPoint, 1);
    await log.close();
    const l1 = await openLog(await fresh(), { flushMessages: 1 });
    const r = await Promise.all([l1.append(valueBatch(['a'])), l1.append(valueBatch(['b', 'c']))]);
    assert.deepEqual(r.map((x) => x.baseOffset), [0, 1]);
    assert.equal(l1.recoveryPoint, 3);
    await l1.close();
    const l3 = await openLog(await fresh(), { flushMessages: 3 });
    await l3.append(valueBatch(['a']));
    await l3.append(valueBatch(['b']));
    assert.equal(l3.recoveryPoint, 0);
    await l3.append(valueBatch(['c']));
    assert.equal(l3.recoveryPoint, 3);
    await l3.close();
    let now = 1000;
    const lt = await openLog(await fresh(), { flushMs: 500 }, { now: () => now });
    await lt.append(valueBatch(['a']));
    await lt.maybeFlushByTime();
    assert.equal(lt.recoveryPoint, 0);
    now = 1600;
    await lt.maybeFlushByTime();
    assert.equal(lt.recoveryPoint, 1);
    await lt.close();
  });

  test('reads do not wait for the writer queue', async () => {
    const log = await openLog(await fresh(), { flushMessages: 1 });
    await log.append(valueBatch(['a']));
    // Queue a pile of fsyncing appends, then read: the read answers with what is committed now.
    const writes = Array.from({ length: 50 }, () => log.append(valueBatch(['x'])));
    const data = await log.read(0, 1 << 20);
    assert.ok(batchOffsets(data).length >= 1);
    await Promise.all(writes);
    assert.equal(log.logEndOffset, 51);
    await log.close();
  });
});

// The read fast paths of the Log: the in-memory tail of recent appends (tail-cache.ts) and the
// per-segment read-end position cache. Every read is checked against a model of Kafka's read
// semantics computed from the batches appended (whole batches, maxBytes, minOneMessage, maxOffset,
// stop at a segment end, OffsetOutOfRange outside [logStartOffset, logEndOffset]).
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log, OffsetOutOfRangeError, type LogConfig } from '../../src/storage/index.js';
import { tailRing } from '../../src/storage/tail-cache.js';
import { batchOffsets, sizedBatch } from './helpers/storage-batches.js';

const dirs: string[] = [];
async function fresh(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'trib-readcache-'));
  dirs.push(d);
  return join(d, 'tail-0');
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const defaultBudget = tailRing.limit;
afterEach(() => tailRing.setLimit(defaultBudget));

function openLog(dir: string, config: Partial<LogConfig> = {}, extra: { hadCleanShutdown?: boolean; recoveryPoint?: number; logStartOffset?: number } = {}): Promise<Log> {
  return Log.open(dir, { topic: 'tail', partition: 0, config, ...extra });
}

interface ModelBatch {
  base: number;
  last: number;
  bytes: Buffer;
}

/** What the Log must answer, from the batches appended and the segments they landed in. */
function expected(log: Log, batches: readonly ModelBatch[], off: number, maxBytes: number, maxOffset: number, minOne: boolean): Buffer {
  const segBases = log.segments.map((s) => s.baseOffset);
  const segOf = (o: number): number => {
    let i = 0;
    while (i + 1 < segBases.length && segBases[i + 1]! <= o) i++;
    return i;
  };
  const from = batches.findIndex((b) => b.last >= off && b.last < maxOffset);
  if (from < 0 || off >= maxOffset) return Buffer.alloc(0);
  const seg = segOf(batches[from]!.base);
  const out: Buffer[] = [];
  let total = 0;
  for (let i = from; i < batches.length; i++) {
    const b = batches[i]!;
    if (b.last >= maxOffset || segOf(b.base) !== seg) break;
    if (total + b.bytes.length > maxBytes && !(minOne && out.length === 0)) break;
    out.push(b.bytes);
    total += b.bytes.length;
  }
  return Buffer.concat(out);
}

/** Appends `count` batches in one append (a single buffer); returns the model batches. */
async function appendBatches(log: Log, sizes: Array<[records: number, bytes: number]>): Promise<ModelBatch[]> {
  const parts = sizes.map(([n, b]) => sizedBatch(n, b));
  const buf = Buffer.concat(parts);
  const r = await log.append(buf);
  // The Log rewrote the base offsets in place: read them back from the buffer it kept.
  const out: ModelBatch[] = [];
  let at = 0;
  for (const info of batchOffsets(buf)) {
    out.push({ base: info.baseOffset, last: info.lastOffset, bytes: Buffer.from(buf.subarray(at, at + info.size)) });
    at += info.size;
  }
  assert.equal(out[0]!.base, r.baseOffset);
  assert.equal(out[out.length - 1]!.last, r.lastOffset);
  return out;
}

function rng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => ((s = (s * 1103515245 + 12345) & 0x7fffffff) % n);
}

async function checkRead(log: Log, batches: readonly ModelBatch[], off: number, maxBytes: number, maxOffset: number | undefined, minOne: boolean): Promise<void> {
  const leo = log.logEndOffset;
  const lso = log.logStartOffset;
  const want = expected(log, batches, off, maxBytes, Math.min(maxOffset ?? leo, leo), minOne);
  if (off < lso || off > leo) {
    await assert.rejects(log.read(off, maxBytes, { maxOffset, minOneMessage: minOne }), OffsetOutOfRangeError);
    return;
  }
  const got = await log.read(off, maxBytes, { maxOffset, minOneMessage: minOne });
  assert.ok(got.equals(want), `read(${off}, ${maxBytes}, maxOffset ${maxOffset}, minOne ${minOne}): ${JSON.stringify(batchOffsets(got))} != ${JSON.stringify(batchOffsets(want))}`);
}

describe('Log read caches', () => {
  test('tail reads: a tailing consumer is served from memory, whole batches, same bytes as the file', async () => {
    const dir = await fresh();
    const log = await openLog(dir);
    const batches: ModelBatch[] = [];
    let pos = 0;
    for (let i = 0; i < 50; i++) {
      batches.push(...(await appendBatches(log, [[1 + (i % 3), 100 + i * 7]])));
      const got = await log.read(pos, 1 << 20);
      const want = expected(log, batches, pos, 1 << 20, log.logEndOffset, true);
      assert.ok(got.equals(want));
      pos = log.logEndOffset;
    }
    assert.ok(log.activeSegment.tailBytes > 0);
    const before = log.activeSegment.tailBytes;
    const appended = sizedBatch(2, 300);
    const r = await log.append(appended);
    assert.equal(log.activeSegment.tailBytes, before + appended.length);
    const got = await log.read(r.baseOffset, 1 << 20);
    assert.ok(got.equals(appended));
    // A read spanning several appends is one buffer of exactly those batches.
    const span = await log.read(batches[40]!.base, 1 << 20);
    assert.ok(span.equals(Buffer.concat([...batches.slice(40).map((b) => b.bytes), appended])));
    // The answer is a copy: the ring is overwritten later, the answer is not.
    tailRing.setLimit(tailRing.limit);
    for (let i = 0; i < 5; i++) await log.append(sizedBatch(1, 200));
    assert.ok(got.equals(appended));
    await log.close();
  });

  test('randomised: appends, rolls, deleteRecordsBefore, small budgets; every read matches the model', async () => {
    for (const [seed, budget] of [
      [1, 8 << 20],
      [2, 3000],
      [3, 0],
      [4, 20_000],
    ] as const) {
      tailRing.setLimit(budget);
      const rnd = rng(seed);
      const dir = await fresh();
      const log = await openLog(dir, { segmentBytes: 12_000, indexIntervalBytes: 500 });
      let batches: ModelBatch[] = [];
      const consumers = [0, 0, 0];
      for (let step = 0; step < 220; step++) {
        const k = rnd(10);
        if (k < 5) {
          const sizes: Array<[number, number]> = [];
          for (let j = 0, n = 1 + rnd(3); j < n; j++) sizes.push([1 + rnd(6), 70 + rnd(step % 17 === 0 ? 5000 : 900)]);
          batches.push(...(await appendBatches(log, sizes)));
        } else if (k < 8) {
          // Consumers reading on from where they stopped (the read-end cache and the tail).
          const c = rnd(consumers.length);
          if (consumers[c]! < log.logStartOffset) consumers[c] = log.logStartOffset;
          const maxBytes = [1, 100, 700, 3000, 1 << 20][rnd(5)]!;
          await checkRead(log, batches, consumers[c]!, maxBytes, undefined, true);
          const got = await log.read(consumers[c]!, maxBytes);
          const offs = batchOffsets(got);
          if (offs.length > 0) consumers[c] = offs[offs.length - 1]!.lastOffset + 1;
        } else if (k < 9) {
          // Random reads: any offset (also out of range), maxOffset below the end, minOne either way.
          const leo = log.logEndOffset;
          const off = Math.max(0, log.logStartOffset - 2 + rnd(leo - log.logStartOffset + 4));
          const maxOffset = rnd(3) === 0 ? off + rnd(Math.max(1, leo - off + 1)) : undefined;
          await checkRead(log, batches, off, [0, 50, 200, 1500, 1 << 20][rnd(5)]!, maxOffset, rnd(2) === 0);
        } else if (rnd(4) === 0 && batches.length > 0) {
          const target = log.logStartOffset + rnd(log.logEndOffset - log.logStartOffset + 1);
          await log.deleteRecordsBefore(target);
          batches = batches.filter((b) => b.last >= log.logStartOffset);
        }
      }
      assert.ok(log.numberOfSegments > 2, `seed ${seed}: rolled`);
      // Every offset, every way, at the end.
      for (let off = log.logStartOffset; off <= log.logEndOffset; off += 1 + rnd(3)) {
        await checkRead(log, batches, off, 1 + rnd(4000), undefined, rnd(2) === 0);
      }
      const logStartOffset = log.logStartOffset;
      await log.close();
      // The same reads after reopening (no tail, empty caches: the index path).
      const reopened = await openLog(dir, { segmentBytes: 12_000, indexIntervalBytes: 500 }, { hadCleanShutdown: true, logStartOffset });
      assert.equal(reopened.activeSegment.tailBytes, 0);
      for (let off = reopened.logStartOffset; off <= reopened.logEndOffset; off += 1 + rnd(3)) {
        await checkRead(reopened, batches, off, 1 + rnd(4000), undefined, rnd(2) === 0);
      }
      await reopened.close();
    }
  });

  test('tail reads across a roll: the old segment keeps its tail, the read stops at its end', async () => {
    tailRing.setLimit(1 << 20);
    const dir = await fresh();
    const log = await openLog(dir, { segmentBytes: 2000 });
    const batches: ModelBatch[] = [];
    while (log.numberOfSegments < 3) batches.push(...(await appendBatches(log, [[2, 300]])));
    const [s0, s1] = log.segments;
    assert.ok(s0!.tailBytes > 0 && s1!.tailBytes > 0, 'rolled segments keep their tails');
    let off = 0;
    let n = 0;
    while (off < log.logEndOffset) {
      const got = await log.read(off, 1 << 20);
      const want = expected(log, batches, off, 1 << 20, log.logEndOffset, true);
      assert.ok(got.equals(want));
      const offs = batchOffsets(got);
      off = offs[offs.length - 1]!.lastOffset + 1;
      n++;
    }
    assert.equal(n, log.numberOfSegments);
    // deleteRecordsBefore drops whole segments and their tails; reads below the start fail.
    await log.deleteRecordsBefore(log.segments[1]!.baseOffset);
    assert.equal(s0!.tailBytes, 0);
    await assert.rejects(log.read(0, 100), OffsetOutOfRangeError);
    await checkRead(log, batches, log.logStartOffset, 1 << 20, undefined, true);
    await log.close();
    assert.equal(s1!.tailBytes, 0, 'close releases the tails');
  });

  test('the ring keeps the newest appends of all logs, bounded; old ones are read from the file', async () => {
    tailRing.setLimit(16_000);
    const a = await openLog(await fresh());
    const b = await Log.open(await fresh(), { topic: 'tail', partition: 1 });
    const batchesA: ModelBatch[] = [];
    for (let i = 0; i < 40; i++) {
      batchesA.push(...(await appendBatches(a, [[1, 1000]])));
      await b.append(sizedBatch(1, 1000));
      assert.ok(a.activeSegment.tailBytes + b.activeSegment.tailBytes <= 16_000);
    }
    assert.ok(a.activeSegment.tailBytes >= 5000 && b.activeSegment.tailBytes >= 5000);
    for (let off = 0; off < a.logEndOffset; off++) await checkRead(a, batchesA, off, 1 + ((off * 977) % 9000), undefined, true);
    // An append larger than a quarter of the ring is not kept, and the tail is forgotten (it must
    // stay contiguous up to the end of the segment).
    batchesA.push(...(await appendBatches(a, [[1, 5000]])));
    assert.equal(a.activeSegment.tailBytes, 0);
    for (let off = 30; off <= a.logEndOffset; off++) await checkRead(a, batchesA, off, 1 << 20, undefined, true);
    batchesA.push(...(await appendBatches(a, [[1, 500]])));
    assert.ok(a.activeSegment.tailBytes > 0);
    for (let off = 30; off <= a.logEndOffset; off++) await checkRead(a, batchesA, off, 1 << 20, undefined, off % 2 === 0);
    await a.close();
    await b.close();
    assert.equal(a.activeSegment.tailBytes, 0);
  });

  test('concurrent appends and reads: each read answers as of the log end when it started', async () => {
    tailRing.setLimit(50_000);
    const dir = await fresh();
    const log = await openLog(dir, { segmentBytes: 30_000, indexIntervalBytes: 400 });
    const batches: ModelBatch[] = [];
    const rnd = rng(7);
    const checks: Array<Promise<{ off: number; leo: number; maxBytes: number; got: Buffer }>> = [];
    const pos = [0, 0];
    for (let round = 0; round < 150; round++) {
      const appends: Array<Promise<ModelBatch[]>> = [];
      for (let j = 0, n = 1 + rnd(4); j < n; j++) appends.push(appendBatches(log, [[1 + rnd(5), 80 + rnd(1200)]]));
      // Reads issued while those appends are queued or in flight.
      for (let c = 0; c < pos.length; c++) {
        const off = pos[c]!;
        const leo = log.logEndOffset;
        const maxBytes = [300, 2000, 1 << 20][rnd(3)]!;
        checks.push(log.read(off, maxBytes).then((got) => ({ off, leo, maxBytes, got })));
      }
      for (const a of await Promise.all(appends)) batches.push(...a);
      batches.sort((x, y) => x.base - y.base);
      for (let c = 0; c < pos.length; c++) {
        const got = batchOffsets(await log.read(pos[c]!, [500, 1 << 20][rnd(2)]!));
        if (got.length > 0) pos[c] = got[got.length - 1]!.lastOffset + 1;
      }
    }
    for (const { off, leo, maxBytes, got } of await Promise.all(checks)) {
      const want = expected(log, batches, off, maxBytes, leo, true);
      assert.ok(got.equals(want), `concurrent read(${off}, ${maxBytes}) at log end ${leo}`);
    }
    for (let off = 0; off <= log.logEndOffset; off += 1 + rnd(5)) await checkRead(log, batches, off, 1 + rnd(3000), undefined, true);
    await log.close();
  });

  test('small (synchronous) and large (thread-pool) writes interleave into the same file bytes', async () => {
    const dir = await fresh();
    const log = await openLog(dir, { segmentBytes: 1 << 20 });
    const batches: ModelBatch[] = [];
    const pending: Array<Promise<ModelBatch[]>> = [];
    for (let i = 0; i < 30; i++) {
      // Queued without waiting, so the writer groups some of them into one write of either kind.
      pending.push(appendBatches(log, [[1 + (i % 4), i % 3 === 0 ? 100_000 : 150 + i]]));
      if (i % 5 === 4) for (const p of pending.splice(0)) batches.push(...(await p));
    }
    for (const p of pending) batches.push(...(await p));
    batches.sort((x, y) => x.base - y.base);
    const logStartOffset = log.logStartOffset;
    await log.close();
    const reopened = await openLog(dir, { segmentBytes: 1 << 20 }, { logStartOffset });
    assert.equal(reopened.recoveryInfo.truncatedBytes, 0);
    for (let off = 0; off <= reopened.logEndOffset; off += 7) await checkRead(reopened, batches, off, 1 << 20, undefined, true);
    await reopened.close();
  });
});

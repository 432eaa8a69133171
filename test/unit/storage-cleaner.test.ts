// The log cleaner (cleanup.policy=compact): latest value per key kept, offsets unchanged (gaps),
// tombstones dropped after delete.retention.ms, min.compaction.lag.ms, the last batch of each
// producer kept, cleaner-offset-checkpoint in Kafka's format, corrupt segments skipped, and the
// crash-safe swap (.cleaned and .swap files) completed or undone at open.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Compression } from '../../src/protocol/records/index.js';
import { CLEANER_OFFSET_CHECKPOINT, parseOffsetCheckpoint } from '../../src/storage/index.js';
import { appendKV, COMPACT, latest, openManager, readAll, T0, tempDir, type Clock } from './helpers/cleaner-log.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function fresh(): Promise<string> {
  const d = await tempDir('trib-cleaner-');
  dirs.push(d);
  return d;
}

/** The issue's workload: 50 keys x 40 versions, then tombstones for keys 0..9, then a filler that rolls. */
async function issueWorkload(dir: string, clock: Clock) {
  const lm = await openManager(dir, clock);
  const log = await lm.getOrCreateLog('cmp', 0, { config: COMPACT });
  for (let v = 0; v < 40; v++) {
    const recs = [];
    for (let k = 0; k < 50; k++) recs.push({ key: `k${k}`, value: `v${v}-k${k}` });
    for (let i = 0; i < recs.length; i += 10) await appendKV(log, recs.slice(i, i + 10), clock, v % 2 === 0 ? {} : { compression: Compression.Gzip });
  }
  await appendKV(log, Array.from({ length: 10 }, (_, k) => ({ key: `k${k}`, value: null })), clock);
  // Close the segment holding the tombstones: the active segment is never cleaned.
  clock.now += 8 * 24 * 3600 * 1000;
  await appendKV(log, [{ key: 'filler', value: 'f' }], clock);
  return { lm, log };
}

function expectedAfterClean(withTombstones: boolean): Map<string, string | null> {
  const m = new Map<string, string | null>();
  for (let k = 0; k < 50; k++) if (k >= 10 || withTombstones) m.set(`k${k}`, k < 10 ? null : `v39-k${k}`);
  m.set('filler', 'f');
  return m;
}

describe('log cleaner', () => {
  test('50 keys x 40 versions with 10 tombstones: the latest values, offsets unchanged; tombstones gone after delete.retention.ms; the same after a restart', async () => {
    const dir = await fresh();
    const clock = { now: T0 };
    let { lm, log } = await issueWorkload(dir, clock);
    const before = await readAll(log);
    const end = log.logEndOffset;
    assert.equal(before.length, 2011);
    assert.equal(await lm.cleaner.cleanFilthiest(), true);
    const cleaned = await readAll(log);
    assert.deepEqual(latest(cleaned), expectedAfterClean(true));
    // Only the latest record of each key is left, at its original offset.
    const byOffset = new Map(before.map((r) => [r.offset, r]));
    for (const r of cleaned) assert.deepEqual(byOffset.get(r.offset), r);
    assert.equal(cleaned.length, 51);
    assert.equal(log.logEndOffset, end);
    assert.ok(log.size < 4096 * 2, `cleaned log is ${log.size} bytes`);
    const cp1 = parseOffsetCheckpoint(await readFile(join(dir, CLEANER_OFFSET_CHECKPOINT), 'utf8'));
    assert.deepEqual(cp1, [{ topic: 'cmp', partition: 0, offset: log.activeSegment.baseOffset }]);
    // Not dirty any more, tombstones not yet due: nothing to do.
    assert.equal(await lm.cleaner.cleanFilthiest(), false);

    clock.now += COMPACT.deleteRetentionMs! + 1;
    assert.equal(await lm.cleaner.cleanFilthiest(), true, 'the tombstones passed their delete horizon');
    assert.deepEqual(latest(await readAll(log)), expectedAfterClean(false));

    await lm.close();
    lm = await openManager(dir, clock);
    log = lm.getLog('cmp', 0)!;
    assert.deepEqual(latest(await readAll(log)), expectedAfterClean(false));
    assert.equal(log.logEndOffset, end);
    assert.equal(lm.cleaner.checkpointOf(log), log.activeSegment.baseOffset);
    await lm.close();
  });

  test('fetch from an offset the cleaner removed returns the next kept batch; the time index still finds records', async () => {
    const dir = await fresh();
    const clock = { now: T0 };
    const { lm, log } = await issueWorkload(dir, clock);
    await lm.cleaner.cleanFilthiest();
    const kept = (await readAll(log)).map((r) => r.offset);
    // Offset 5 (k5 v0) is gone; the read starts at the first kept offset after it.
    const from5 = await readAll(log, 5);
    assert.equal(from5[0]!.offset, kept.find((o) => o >= 5));
    for (const o of [0, 100, 1000, 1955, 1999]) {
      const got = await readAll(log, o);
      assert.deepEqual(got.map((r) => r.offset), kept.filter((x) => x >= o));
    }
    const ts = await log.offsetForTimestamp(BigInt(T0));
    assert.ok(ts !== null && kept.includes(ts.offset));
    await lm.close();
  });

  test('min.compaction.lag.ms keeps recent segments dirty; the idempotent producer\'s last batch survives, empty', async () => {
    const dir = await fresh();
    const clock = { now: T0 };
    const lm = await openManager(dir, clock);
    const log = await lm.getOrCreateLog('lag', 0, { config: { ...COMPACT, minCompactionLagMs: 3600_000 } });
    for (let i = 0; i < 60; i++) await appendKV(log, [{ key: 'a', value: `old${i}`.padEnd(100, '.') }], clock, { producerId: 7n, baseSequence: i });
    clock.now += 2 * 3600_000;
    for (let i = 0; i < 60; i++) await appendKV(log, [{ key: 'a', value: `new${i}`.padEnd(100, '.') }], clock);
    assert.ok(log.numberOfSegments > 3);
    assert.equal(await lm.cleaner.cleanFilthiest(), true);
    const recs = await readAll(log);
    // Only the segments wholly older than the lag were cleaned, against the keys found there:
    // below the segment holding the first recent record only its latest 'a' is left; from that
    // segment on, everything stays.
    const firstNew = log.segments.filter((s) => s.baseOffset <= 60).at(-1)!.baseOffset;
    const olds = recs.filter((r) => r.value!.startsWith('old'));
    assert.ok(firstNew > 0);
    assert.deepEqual(olds.map((r) => r.offset), Array.from({ length: 61 - firstNew }, (_, i) => firstNew - 1 + i));
    // ...and every recent record is untouched.
    assert.equal(recs.filter((r) => r.value!.startsWith('new')).length, 60);
    // Producer 7's last batch (offset 59) is there.
    const b = await log.read(59, 1 << 20);
    assert.equal(b.readBigInt64BE(43), 7n);
    assert.equal(b.readInt32BE(53), 59);

    // Past the lag, it is all compacted to the latest; producer 7's last batch stays as an empty batch.
    clock.now += 2 * 3600_000;
    await appendKV(log, [{ key: 'b', value: 'x'.repeat(4000) }], clock);
    clock.now += 8 * 24 * 3600_000;
    await appendKV(log, [{ key: 'c', value: 'roll' }], clock);
    clock.now += 2 * 3600_000;
    assert.equal(await lm.cleaner.cleanFilthiest(), true);
    const after = await readAll(log);
    assert.deepEqual([...latest(after).keys()], ['a', 'b', 'c']);
    assert.equal(after.filter((r) => r.key === 'a').length, 1);
    const empty = await log.read(59, 1 << 20);
    assert.equal(empty.readBigInt64BE(0), 59n);
    assert.equal(empty.readInt32BE(57), 0, 'record count 0');
    assert.equal(empty.readBigInt64BE(43), 7n);
    await lm.close();
  });

  test('the offset map is bounded by log.cleaner.dedupe.buffer.size (24 bytes a key, 90% used): a cleaning stops where it fills, the next goes on', async () => {
    const dir = await fresh();
    const clock = { now: T0 };
    // 100 slots: at most 90 keys per cleaning.
    const lm = await openManager(dir, clock, { dedupeBufferSize: 24 * 100 });
    const log = await lm.getOrCreateLog('map', 0, { config: COMPACT });
    for (let round = 0; round < 2; round++) {
      for (let k = 0; k < 200; k += 10) await appendKV(log, Array.from({ length: 10 }, (_, i) => ({ key: `k${k + i}`, value: `r${round}` })), clock);
    }
    clock.now += 8 * 24 * 3600_000;
    await appendKV(log, [{ key: 'filler', value: 'f' }], clock);
    assert.equal(await lm.cleaner.cleanFilthiest(), true);
    const first = lm.cleaner.reports.at(-1)!;
    assert.equal(first.stats.mapSlots, 100);
    assert.ok(first.stats.mapEntries <= 90 && first.stats.mapEntries > 0);
    assert.ok(first.endOffset < log.activeSegment.baseOffset, `stopped at ${first.endOffset}`);
    let rounds = 1;
    while (await lm.cleaner.cleanFilthiest()) rounds++;
    assert.ok(rounds >= 5, `${rounds} cleanings`);
    const recs = await readAll(log);
    assert.equal(recs.length, 201);
    assert.ok(recs.every((r) => r.key === 'filler' || r.value === 'r1'));
    await lm.close();
  });

  test('cleanup.policy=compact,delete: cleaned, and retention.ms deletes the old segments as well', async () => {
    const dir = await fresh();
    // Segments with no record left are timed by their file's modification time (kept from the
    // replaced segment, as Kafka keeps it): this clock ends past the real one.
    const clock = { now: Date.now() - 8 * 24 * 3600_000 };
    const lm = await openManager(dir, clock, { topicConfig: () => ({ ...COMPACT, cleanupDelete: true, retentionMs: 3600_000 }) });
    const log = await lm.getOrCreateLog('cd', 0, { config: { ...COMPACT, cleanupDelete: true, retentionMs: 3600_000 } });
    for (let i = 0; i < 100; i++) await appendKV(log, [{ key: `k${i % 20}`, value: `old${i}`.padEnd(200, '.') }], clock);
    clock.now += 2 * 3600_000;
    for (let i = 0; i < 100; i++) await appendKV(log, [{ key: `k${i % 20}`, value: `new${i}`.padEnd(200, '.') }], clock);
    clock.now += 8 * 24 * 3600_000;
    await appendKV(log, [{ key: 'z', value: 'roll' }], clock);
    assert.equal(await lm.cleaner.cleanFilthiest(), true);
    // Only the new values are the latest: the cleaner leaves nothing of the old ones...
    assert.ok((await readAll(log)).every((r) => !r.value!.startsWith('old')));
    // ...and retention drops segments whose newest record is past retention.ms.
    assert.ok((await log.deleteOldSegments()) > 0);
    assert.ok(log.logStartOffset > 0);
    assert.deepEqual([...latest(await readAll(log)).keys()], ['z']);
    await lm.close();
  });

  test('a corrupt segment makes the cleaner skip that partition and go on with the others', async () => {
    const dir = await fresh();
    const clock = { now: T0 };
    const lm = await openManager(dir, clock);
    const bad = await lm.getOrCreateLog('bad', 0, { config: COMPACT });
    const good = await lm.getOrCreateLog('good', 0, { config: COMPACT });
    for (const log of [bad, good]) {
      for (let i = 0; i < 100; i++) await appendKV(log, [{ key: `k${i % 5}`, value: `v${i}`.padEnd(100, '.') }], clock);
      clock.now += 8 * 24 * 3600_000;
      await appendKV(log, [{ key: 'z', value: 'roll' }], clock);
    }
    // Garble a byte inside the first batch's records: its CRC no longer matches.
    const seg = bad.segments[0]!;
    const bytes = await readFile(seg.logPath);
    bytes[100] = bytes[100]! ^ 0xff;
    await writeFile(seg.logPath, bytes);
    const warnings: string[] = [];
    (lm.cleaner as unknown as { host: { logger: unknown } }).host.logger = { info: () => undefined, warn: (m: string) => warnings.push(m) };
    // The dirtier one goes first; whichever it is, both rounds complete and only 'bad' is skipped.
    await lm.cleaner.cleanFilthiest();
    await lm.cleaner.cleanFilthiest();
    assert.equal(lm.cleaner.isUncleanable(bad), true);
    assert.equal(lm.cleaner.isUncleanable(good), false);
    assert.ok(warnings.some((w) => w.includes('bad-0') && w.includes('corrupt')), warnings.join('\n'));
    assert.equal((await readAll(good)).filter((r) => r.key !== 'z').length, 5);
    assert.equal(await lm.cleaner.cleanFilthiest(), false);
    await lm.close();
  });

  test('a crash after the .cleaned files were written leaves the old segments; after .swap, the swap completes at open', async () => {
    const src = await fresh();
    const clock = { now: T0 };
    {
      const { lm } = await issueWorkload(src, clock);
      await lm.close();
    }
    const uncleaned = await fresh();
    await cp(src, uncleaned, { recursive: true });
    // Clean the source; its segment files are what the cleaner wrote.
    let lm = await openManager(src, clock);
    assert.equal(await lm.cleaner.cleanFilthiest(), true);
    const want = latest(await readAll(lm.getLog('cmp', 0)!));
    const cleanedNames = (await readdir(join(src, 'cmp-0'))).filter((n) => /^\d{20}\.(log|index|timeindex)$/.test(n) && !n.startsWith('0000000000000000205'));
    await lm.close();

    for (const suffix of ['.cleaned', '.swap']) {
      const crashed = await fresh();
      await cp(uncleaned, crashed, { recursive: true });
      for (const n of cleanedNames) await cp(join(src, 'cmp-0', n), join(crashed, 'cmp-0', n + suffix));
      await rm(join(crashed, '.kafka_cleanshutdown'), { force: true });
      lm = await openManager(crashed, clock);
      const log = lm.getLog('cmp', 0)!;
      assert.deepEqual(latest(await readAll(log)), want, suffix);
      const names = await readdir(join(crashed, 'cmp-0'));
      assert.equal(names.filter((n) => n.endsWith('.cleaned') || n.endsWith('.swap')).length, 0);
      if (suffix === '.swap') {
        assert.equal((await readAll(log)).length, 51, 'the swapped-in segment replaced the old ones');
        assert.ok((log.recoveryInfo.completedSwaps ?? 0) > 0);
      } else assert.equal((await readAll(log)).length, 2011);
      await lm.close();
    }
  });
});

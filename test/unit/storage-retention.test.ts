// Retention (cleanup.policy=delete): Log.deleteOldSegments by retention.ms and retention.bytes,
// the log start offset that follows, the active segment rolled when everything expired, compact
// topics left alone, and the broker's periodic check (log.retention.check.interval.ms).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log, OffsetOutOfRangeError, type LogConfig } from '../../src/storage/index.js';
import { parseTopicConfig } from '../../src/storage/config.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { sizedBatch } from './helpers/storage-batches.js';
import { batch, connect, createTopic, EARLIEST, listOffsetsRequest, produceRequest, startBroker } from './helpers/broker-client.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function fresh(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'trib-retention-'));
  dirs.push(d);
  return join(d, 'ret-0');
}

const DAY = 24 * 3600 * 1000;
const T0 = 1_700_000_000_000;

/** A log rolling every 3 batches of ~1 KB, on a clock the test moves. */
async function openLog(config: Partial<LogConfig>, clock: { now: number }): Promise<Log> {
  return Log.open(await fresh(), {
    topic: 'ret',
    partition: 0,
    config: { segmentBytes: 3 * 1100, fileDeleteDelayMs: 0, ...config },
    now: () => clock.now,
  });
}

/** Appends one ~1 KB batch of 10 records stamped `ts`. */
async function appendAt(log: Log, ts: number): Promise<void> {
  await log.append(sizedBatch(10, 1000, { baseTimestamp: BigInt(ts) }));
}

describe('retention', () => {
  test('retention.ms deletes the oldest segments whose newest record expired, and moves the log start offset', async () => {
    const clock = { now: T0 };
    const log = await openLog({ retentionMs: DAY }, clock);
    for (let i = 0; i < 6; i++) await appendAt(log, T0 - 3 * DAY); // 2 full segments, all old
    for (let i = 0; i < 4; i++) await appendAt(log, T0 - 1000); // recent
    const before = log.segments.map((s) => s.baseOffset);
    assert.deepEqual(before, [0, 30, 60, 90]);
    assert.equal(await log.deleteOldSegments(), 2);
    assert.deepEqual(log.segments.map((s) => s.baseOffset), [60, 90]);
    assert.equal(log.logStartOffset, 60);
    await assert.rejects(log.read(0, 1 << 20), OffsetOutOfRangeError);
    assert.ok((await log.read(60, 1 << 20)).length > 0);
    // Nothing more is due until the clock passes the newest record of the next segment.
    assert.equal(await log.deleteOldSegments(), 0);
    await log.close();
  });

  test('when every record expired, the active segment goes too and a new empty one starts at the log end', async () => {
    const clock = { now: T0 };
    const log = await openLog({ retentionMs: DAY }, clock);
    for (let i = 0; i < 4; i++) await appendAt(log, T0);
    clock.now = T0 + 2 * DAY;
    assert.equal(await log.deleteOldSegments(), 2);
    assert.equal(log.logStartOffset, 40);
    assert.equal(log.logEndOffset, 40);
    assert.deepEqual(log.segments.map((s) => [s.baseOffset, s.size]), [[40, 0]]);
    await appendAt(log, clock.now);
    assert.equal(log.logEndOffset, 50);
    assert.equal(await log.deleteOldSegments(), 0, 'fresh records stay');
    await log.close();
    // The deleted segments' files are gone (file.delete.delay.ms=0) and a reopen agrees.
    const reopened = await Log.open(log.dir, { topic: 'ret', partition: 0, config: { segmentBytes: 3 * 1100 }, now: () => clock.now });
    assert.equal(reopened.logStartOffset, 40);
    assert.equal(reopened.logEndOffset, 50);
    await reopened.close();
    const names = await readdir(log.dir);
    assert.ok(!names.some((n) => n.startsWith('00000000000000000000.')), names.join(' '));
  });

  test('retention.bytes deletes the oldest segments while the log stays above it', async () => {
    const clock = { now: T0 };
    const log = await openLog({ retentionBytes: 5000, retentionMs: -1 }, clock);
    for (let i = 0; i < 10; i++) await appendAt(log, T0);
    const sizes = log.segments.map((seg) => seg.size);
    assert.equal(sizes.length, 4);
    assert.ok(log.size > 5000);
    const n = await log.deleteOldSegments();
    assert.equal(n, 1);
    // Kafka's rule: a segment goes only while the log stays at or above retention.bytes without it,
    // so what remains is >= retention.bytes, and dropping the next oldest would go below it.
    const kept = log.segments;
    assert.ok(log.size >= 5000, `log is ${log.size} bytes after retention`);
    assert.ok(log.size - kept[0]!.size < 5000, 'a segment that could go was kept');
    assert.equal(log.size, sizes.slice(1).reduce((a, b) => a + b, 0));
    assert.equal(log.logStartOffset, kept[0]!.baseOffset);
    await log.close();
  });

  test('cleanup.policy=compact keeps everything; compact,delete applies retention', async () => {
    assert.equal(parseTopicConfig({ 'cleanup.policy': 'compact' }).cleanupDelete, false);
    assert.equal(parseTopicConfig({ 'cleanup.policy': 'compact,delete' }).cleanupDelete, true);
    assert.throws(() => parseTopicConfig({ 'cleanup.policy': 'shred' }), /cleanup.policy/);
    const clock = { now: T0 };
    const log = await openLog({ retentionMs: DAY, cleanupDelete: false }, clock);
    for (let i = 0; i < 6; i++) await appendAt(log, T0 - 3 * DAY);
    assert.equal(await log.deleteOldSegments(), 0);
    assert.equal(log.logStartOffset, 0);
    await log.close();
  });

  test('the broker applies retention.ms on its check interval; ListOffsets earliest moves', async () => {
    const tb = await startBroker({ 'log.retention.check.interval.ms': '50', 'log.segment.delete.delay.ms': '0' });
    const c = await connect(tb);
    try {
      await createTopic(c, 'ret-broker', 1, { 'retention.ms': '1000', 'internal.segment.bytes': '1100' });
      const old = Date.now() - 60_000;
      for (let i = 0; i < 3; i++) {
        const res = await c.send(ApiKey.Produce, produceRequest('ret-broker', 0, batch([{ value: 'x'.repeat(900), timestamp: old }])), { version: 12 });
        assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
      }
      // Poll ListOffsets until the expired segments are gone (the check runs every 50 ms).
      let earliest = 0n;
      const deadline = Date.now() + 10_000;
      while (earliest < 3n) {
        if (Date.now() > deadline) assert.fail(`earliest offset still ${earliest} after 10 s`);
        const lo = await c.send(ApiKey.ListOffsets, listOffsetsRequest('ret-broker', 0, EARLIEST));
        earliest = lo.topics[0]!.partitions[0]!.offset;
        if (earliest < 3n) await new Promise<void>((r) => setTimeout(r, 20)); // poll interval, not a synchronisation
      }
      assert.equal(earliest, 3n);
      // __consumer_offsets is compacted: retention must never delete committed offsets.
      await tb.broker.groups.ensureStorage();
      assert.equal(tb.broker.topics.partitionLog('__consumer_offsets', 0)!.config.cleanupDelete, false);
    } finally {
      c.destroy();
      await tb.close();
    }
  });
});

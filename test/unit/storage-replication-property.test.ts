// Random sequences of leader appends, follower appends, high watermark moves, DeleteRecords,
// truncations, restarts and reopens (clean or not) against a simple model of a replicated log:
// the batches it holds, its offsets, its leader epochs and its producer's last sequence.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { readBatchHeader } from '../../src/protocol/records/batch-header.js';
import { LeaderEpochCache, Log, OffsetOutOfRangeError } from '../../src/storage/index.js';
import { buildBatch } from './helpers/storage-batches.js';

const roots: string[] = [];
after(async () => {
  for (const d of roots) await rm(d, { recursive: true, force: true });
});

const PID = 11n;
/** The partitionLeaderEpoch a producer's batch carries when the leader stamps nothing. */
const UNSTAMPED = 99;

interface ModelBatch {
  base: number;
  count: number;
  /** What the batch's partitionLeaderEpoch field holds. */
  epoch: number;
  seq: number;
}

interface Model {
  lso: number;
  leo: number;
  hw: number;
  batches: ModelBatch[];
  epochs: LeaderEpochCache;
}

type Op =
  | { kind: 'append'; count: number; epoch: 'none' | 'same' | 'next' }
  | { kind: 'follow'; counts: number[]; step: number }
  | { kind: 'hw'; back: number }
  | { kind: 'deleteRecords'; back: number }
  | { kind: 'truncate'; back: number }
  | { kind: 'restart'; delta: number }
  | { kind: 'reopen'; clean: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 3 }), epoch: fc.constantFrom('none' as const, 'same' as const, 'next' as const) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('follow' as const), counts: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }), step: fc.integer({ min: 0, max: 2 }) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('hw' as const), back: fc.integer({ min: 0, max: 5 }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('deleteRecords' as const), back: fc.integer({ min: 0, max: 6 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('truncate' as const), back: fc.integer({ min: 0, max: 12 }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('restart' as const), delta: fc.integer({ min: -3, max: 10 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('reopen' as const), clean: fc.boolean() }), weight: 2 },
);

function batchBytes(b: ModelBatch, withOffset: boolean): Buffer {
  const records = Array.from({ length: b.count }, (_, i) => ({ value: Buffer.from(`v${b.base + i}-${'x'.repeat(40)}`) }));
  return buildBatch({ records, producerId: PID, producerEpoch: 0, baseSequence: b.seq, partitionLeaderEpoch: b.epoch, baseOffset: withOffset ? b.base : 0 });
}

function nextSeq(m: Model): number {
  const last = m.batches.at(-1);
  return last && m.leo > m.lso ? last.seq + last.count : 0;
}

function restart(m: Model, offset: number): void {
  m.lso = m.leo = m.hw = offset;
  m.batches = [];
  m.epochs = new LeaderEpochCache();
}

/** Applies `op` to the log and the model alike. */
/** Opens the log as the log manager would, from the checkpointed offsets. */
type Opener = (m: Model, clean: boolean) => Promise<Log>;

async function step(log: Log, m: Model, op: Op, open: Opener): Promise<Log> {
  switch (op.kind) {
    case 'append': {
      const latest = Math.max(m.epochs.latestEpoch, 0);
      const epoch = op.epoch === 'none' ? undefined : op.epoch === 'same' ? latest : m.epochs.latestEpoch + 1;
      const b: ModelBatch = { base: m.leo, count: op.count, epoch: epoch ?? UNSTAMPED, seq: nextSeq(m) };
      const r = await log.append(batchBytes(b, false), epoch === undefined ? {} : { leaderEpoch: epoch });
      assert.deepEqual([r.baseOffset, r.duplicate], [b.base, false]);
      m.batches.push(b);
      m.leo += b.count;
      if (epoch !== undefined) m.epochs.assign(epoch, b.base);
      return log;
    }
    case 'follow': {
      const parts: Buffer[] = [];
      let epoch = Math.max(m.epochs.latestEpoch, 0) + op.step;
      for (const count of op.counts) {
        const b: ModelBatch = { base: m.leo, count, epoch, seq: nextSeq(m) };
        parts.push(batchBytes(b, true));
        m.batches.push(b);
        m.leo += count;
        m.epochs.assign(epoch, b.base);
        epoch += op.step % 2;
      }
      await log.appendAsFollower(Buffer.concat(parts));
      return log;
    }
    case 'hw':
      log.setHighWatermark(m.leo - op.back);
      m.hw = Math.max(m.hw, Math.min(Math.max(m.leo - op.back, m.lso), m.leo));
      return log;
    case 'deleteRecords': {
      const asked = m.hw - op.back;
      if (asked < -1) {
        await assert.rejects(log.deleteRecordsBefore(asked), OffsetOutOfRangeError);
        return log;
      }
      const target = asked === -1 ? m.hw : asked; // -1: up to the high watermark
      assert.equal(await log.deleteRecordsBefore(asked), Math.max(m.lso, target));
      if (target > m.lso) {
        m.lso = target;
        m.epochs.truncateFromStart(target);
      }
      return log;
    }
    case 'truncate': {
      const offset = Math.max(0, m.leo - op.back);
      await log.truncateTo(offset);
      if (offset >= m.leo) return log;
      if (offset < m.lso) {
        restart(m, offset);
        return log;
      }
      const end = m.batches.find((b) => b.base + b.count - 1 >= offset)!.base;
      if (end < m.lso) {
        restart(m, m.lso);
        return log;
      }
      m.batches = m.batches.filter((b) => b.base < end);
      m.leo = end;
      m.hw = Math.min(m.hw, end);
      m.epochs.truncateFromEnd(end);
      return log;
    }
    case 'restart': {
      const offset = Math.max(0, m.leo + op.delta);
      await log.truncateFullyAndStartAt(offset);
      restart(m, offset);
      return log;
    }
    case 'reopen': {
      if (op.clean) await log.close();
      else await log.closeForDelete(); // no flush, no producer snapshot: the next open recovers
      m.epochs.truncateFromEnd(m.leo);
      m.epochs.truncateFromStart(m.lso);
      return open(m, op.clean);
    }
  }
}

async function check(log: Log, m: Model): Promise<void> {
  assert.deepEqual([log.logStartOffset, log.logEndOffset, log.highWatermark], [m.lso, m.leo, m.hw]);
  const got: Array<[number, number, number]> = [];
  let o = m.lso;
  while (o < m.leo) {
    const data = await log.read(o, 1 << 20, { maxOffset: m.leo });
    assert.ok(data.length > 0, `read at ${o}`);
    for (let at = 0; at < data.length; ) {
      const h = readBatchHeader(data, at);
      got.push([h.baseOffset, h.lastOffsetDelta + 1, h.partitionLeaderEpoch]);
      o = h.baseOffset + h.lastOffsetDelta + 1;
      at += h.size;
    }
  }
  const visible = m.batches.filter((b) => b.base + b.count > m.lso);
  assert.deepEqual(
    got,
    visible.map((b) => [b.base, b.count, b.epoch]),
  );
  assert.deepEqual(log.leaderEpochs, m.epochs.all);
  for (let e = -1; e <= m.epochs.latestEpoch + 1; e++) assert.deepEqual(log.endOffsetForEpoch(e), m.epochs.endOffsetFor(e, m.leo));
  const p = log.producers().find((x) => x.producerId === PID);
  const last = m.batches.at(-1);
  if (last && m.leo > m.lso) assert.equal(p?.batches.at(-1)?.lastSeq, last.seq + last.count - 1);
  else assert.equal(p, undefined);
}

describe('replicated log against a model', () => {
  test('random appends, follower appends, truncations, restarts and reopens', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
        const root = await mkdtemp(join(tmpdir(), 'trib-repl-prop-'));
        roots.push(root);
        const dir = join(root, 'p-0');
        const open: Opener = (m, clean) =>
          Log.open(dir, {
            topic: 'p',
            partition: 0,
            replicated: true,
            highWatermark: m.hw,
            logStartOffset: m.lso,
            ...(clean ? { hadCleanShutdown: true, recoveryPoint: Number.MAX_SAFE_INTEGER } : { recoveryPoint: 0 }),
            config: { segmentBytes: 700, indexIntervalBytes: 200, fileDeleteDelayMs: 0 },
          });
        const m: Model = { lso: 0, leo: 0, hw: 0, batches: [], epochs: new LeaderEpochCache() };
        let log = await open(m, true);
        try {
          for (const op of ops) {
            log = await step(log, m, op, open);
            await check(log, m);
          }
        } finally {
          await log.close();
          await rm(root, { recursive: true, force: true });
        }
      }),
      { numRuns: 30 },
    );
  });
});

// Property: over random workloads (keyed records and tombstones, idempotent producers,
// transactions committed and aborted, clock steps past min.compaction.lag.ms and
// delete.retention.ms, cleanings at random points), the cleaned log agrees with a model:
// - every record left is the one written at its offset (offsets never change);
// - the latest committed value of every key is what a read_committed reader finds last
//   (a key whose latest record is a tombstone may be gone altogether);
// - nothing younger than min.compaction.lag.ms at a cleaning is removed by it;
// - below the cleaner's checkpoint no aborted record is left, and after delete.retention.ms and
//   two more cleanings no tombstone either;
// - the last batch of every producer is still there.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { encodeEndTxnMarker, encodeRecordBatchSync } from '../../src/protocol/records/index.js';
import type { Log } from '../../src/storage/log.js';
import { COMPACT, openManager, readAll, T0, tempDir } from './helpers/cleaner-log.js';

const roots: string[] = [];
after(async () => {
  for (const d of roots) await rm(d, { recursive: true, force: true });
});

const LAG = 10_000;
const RETENTION = 50_000;

type Op =
  | { kind: 'put'; keys: number[]; tombstone: boolean[]; producer: number | null }
  | { kind: 'txnData'; producer: number; keys: number[] }
  | { kind: 'txnEnd'; producer: number; commit: boolean }
  | { kind: 'tick'; ms: number }
  | { kind: 'clean' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('put' as const), keys: fc.array(fc.nat(7), { minLength: 1, maxLength: 4 }), tombstone: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), producer: fc.option(fc.nat(1), { nil: null }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('txnData' as const), producer: fc.nat(1), keys: fc.array(fc.nat(7), { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('txnEnd' as const), producer: fc.nat(1), commit: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 15_000 }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'clean' as const }) },
);

interface Written {
  key: string;
  value: string | null;
  ts: number;
  /** Transaction state: undefined (plain), 'open', 'commit' or 'abort'. */
  txn?: 'open' | 'commit' | 'abort';
}

class Model {
  readonly at = new Map<number, Written>();
  /** Idempotent producers 0, 1 (ids 100, 101): next sequence; transactional producers 2, 3 (ids 200, 201). */
  readonly seq = [0, 0, 0, 0];
  readonly openTxn = new Map<number, number[]>();
  readonly lastBatchEnd = new Map<bigint, number>();

  latestCommitted(): Map<string, string | null> {
    const m = new Map<string, string | null>();
    for (const [, w] of [...this.at].sort((a, b) => a[0] - b[0])) if (w.txn === undefined || w.txn === 'commit') m.set(w.key, w.value);
    return m;
  }
}

async function apply(op: Op, log: Log, model: Model, clock: { now: number }, clean: () => Promise<void>): Promise<void> {
  let n = 0;
  switch (op.kind) {
    case 'put': {
      const recs = op.keys.map((k, i) => ({ key: `k${k}`, value: op.tombstone[i] ? null : `v${clock.now}-${n++}-${'x'.repeat(k * 20)}` }));
      const pid = op.producer === null ? undefined : BigInt(100 + op.producer);
      const r = await log.append(
        encodeRecordBatchSync({ records: recs, now: clock.now, ...(pid !== undefined ? { producerId: pid, producerEpoch: 0, baseSequence: model.seq[op.producer!]! } : {}) }),
      );
      if (pid !== undefined) {
        model.seq[op.producer!]! += recs.length;
        model.lastBatchEnd.set(pid, r.lastOffset);
      }
      recs.forEach((rec, i) => model.at.set(r.baseOffset + i, { key: rec.key, value: rec.value, ts: clock.now }));
      return;
    }
    case 'txnData': {
      const pid = BigInt(200 + op.producer);
      const recs = op.keys.map((k) => ({ key: `k${k}`, value: `t${clock.now}-${n++}` }));
      const r = await log.append(encodeRecordBatchSync({ records: recs, now: clock.now, producerId: pid, producerEpoch: 0, baseSequence: model.seq[2 + op.producer]!, transactional: true }));
      model.seq[2 + op.producer]! += recs.length;
      model.lastBatchEnd.set(pid, r.lastOffset);
      const offsets = model.openTxn.get(op.producer) ?? [];
      recs.forEach((rec, i) => {
        model.at.set(r.baseOffset + i, { key: rec.key, value: rec.value, ts: clock.now, txn: 'open' });
        offsets.push(r.baseOffset + i);
      });
      model.openTxn.set(op.producer, offsets);
      return;
    }
    case 'txnEnd': {
      const offsets = model.openTxn.get(op.producer);
      if (!offsets) return;
      model.openTxn.delete(op.producer);
      const pid = BigInt(200 + op.producer);
      await log.append(encodeEndTxnMarker({ producerId: pid, producerEpoch: 0, coordinatorEpoch: 0, commit: op.commit }, clock.now), { origin: 'coordinator' });
      for (const o of offsets) model.at.get(o)!.txn = op.commit ? 'commit' : 'abort';
      return;
    }
    case 'tick':
      clock.now += op.ms;
      return;
    case 'clean':
      return clean();
  }
}

test('the cleaned log agrees with the latest-value-per-key model', { timeout: 300_000 }, async () => {
  const root = await tempDir('trib-cleaner-prop-');
  roots.push(root);
  let run = 0;
  let swaps = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 60 }), async (ops) => {
      const dir = join(root, `run-${run++}`);
      const clock = { now: T0 };
      const config = { ...COMPACT, segmentBytes: 1024, segmentMs: 20_000, minCompactionLagMs: LAG, deleteRetentionMs: RETENTION };
      const lm = await openManager(dir, clock, { inline: true, topicConfig: () => config });
      try {
        const log = await lm.getOrCreateLog('p', 0, { config });
        const model = new Model();
        const check = async (cleanedAt: number | undefined): Promise<void> => {
          const recs = await readAll(log);
          for (let i = 1; i < recs.length; i++) assert.ok(recs[i]!.offset > recs[i - 1]!.offset);
          const present = new Set(recs.map((r) => r.offset));
          for (const r of recs) {
            const w = model.at.get(r.offset);
            assert.ok(w, `offset ${r.offset} was written`);
            assert.equal(r.key, w.key);
            assert.equal(r.value, w.value);
          }
          // read_committed: the model knows which offsets were aborted or are still open.
          const seen = new Map<string, string | null>();
          for (const r of recs) {
            const txn = model.at.get(r.offset)!.txn;
            if (txn !== 'abort' && txn !== 'open') seen.set(r.key!, r.value);
          }
          for (const [k, v] of model.latestCommitted()) {
            if (v === null) assert.ok(!seen.has(k) || seen.get(k) === null, `key ${k} deleted`);
            else assert.equal(seen.get(k), v, `key ${k}`);
          }
          if (cleanedAt !== undefined) {
            for (const [o, w] of model.at) if (w.ts > cleanedAt - LAG) assert.ok(present.has(o), `offset ${o} is younger than the lag`);
            const cp = lm.cleaner.checkpointOf(log) ?? 0;
            for (const r of recs) if (r.offset < cp) assert.notEqual(model.at.get(r.offset)!.txn, 'abort', `aborted offset ${r.offset} below ${cp}`);
          }
          for (const [pid, end] of model.lastBatchEnd) {
            const b = await log.read(end, 1 << 20);
            assert.ok(b.length > 0 && b.readBigInt64BE(43) === pid, `producer ${pid}'s last batch at ${end}`);
          }
        };
        const clean = async (): Promise<void> => {
          await lm.cleaner.cleanFilthiest();
          await check(clock.now);
        };
        for (const op of ops) await apply(op, log, model, clock, clean);
        // End every transaction, roll, and clean past delete.retention.ms: no tombstone is left below the checkpoint.
        for (const p of [...model.openTxn.keys()]) await apply({ kind: 'txnEnd', producer: p, commit: false }, log, model, clock, clean);
        clock.now += config.segmentMs + LAG + 1;
        await apply({ kind: 'put', keys: [1], tombstone: [false, false, false, false], producer: null }, log, model, clock, clean);
        await clean();
        clock.now += RETENTION + 1;
        await clean();
        await clean();
        const cp = lm.cleaner.checkpointOf(log) ?? 0;
        for (const r of await readAll(log)) if (r.offset < cp) assert.notEqual(r.value, null, `tombstone at ${r.offset} below ${cp}`);
        await check(clock.now);
        swaps += lm.cleaner.reports.filter((r) => r.swapped && r.stats.recordsKept < r.stats.recordsRead).length;
      } finally {
        await lm.close();
        await rm(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 60, includeErrorInReport: true },
  );
  // The workloads did make the cleaner remove records (not only find nothing to do).
  assert.ok(swaps > 60, `${swaps} cleanings removed records`);
});

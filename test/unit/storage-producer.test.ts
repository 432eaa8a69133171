// Idempotent producer state: duplicates, sequence gaps, epochs, snapshots, rebuild from the log.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Log,
  ProducerStateError,
  decodeProducerSnapshot,
  encodeProducerSnapshot,
  incrementSequence,
  offsetFileName,
} from '../../src/storage/index.js';
import { crc32c } from '../../src/protocol/primitives/crc32c.js';
import { valueBatch } from './helpers/storage-batches.js';

const roots: string[] = [];
async function fresh(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'trib-pid-'));
  roots.push(d);
  return join(d, 'p-0');
}
after(async () => {
  for (const d of roots) await rm(d, { recursive: true, force: true });
});
const open = (dir: string, extra: { recoveryPoint?: number; hadCleanShutdown?: boolean } = {}): Promise<Log> =>
  Log.open(dir, { topic: 'p', partition: 0, ...extra });

const PID = 1000n;
function idem(seq: number, n = 1, epoch = 0, pid = PID): Buffer {
  return valueBatch(Array.from({ length: n }, (_, i) => `s${seq + i}`), { producerId: pid, producerEpoch: epoch, baseSequence: seq });
}
const code = (c: number) => (e: unknown) => e instanceof ProducerStateError && e.code === c;

describe('idempotent producer state', () => {
  test('duplicates of each of the last 5 batches get the original offsets and append nothing', async () => {
    const log = await open(await fresh());
    await log.append(valueBatch(['plain'])); // offset 0, no producer id
    const orig: Array<[number, number]> = [];
    let seq = 0;
    for (let i = 0; i < 7; i++) {
      const n = (i % 3) + 1;
      const r = await log.append(idem(seq, n));
      orig.push([r.baseOffset, r.lastOffset]);
      seq += n;
    }
    const leo = log.logEndOffset;
    const size = log.size;
    // Sequences of batch i: recompute
    const seqs: number[] = [];
    let s = 0;
    for (let i = 0; i < 7; i++) {
      seqs.push(s);
      s += (i % 3) + 1;
    }
    for (let i = 2; i < 7; i++) {
      const r = await log.append(idem(seqs[i]!, (i % 3) + 1));
      assert.equal(r.duplicate, true);
      assert.deepEqual([r.baseOffset, r.lastOffset], orig[i]);
    }
    assert.equal(log.logEndOffset, leo);
    assert.equal(log.size, size);
    // The 6th-oldest is no longer retained: Kafka answers OUT_OF_ORDER_SEQUENCE_NUMBER.
    await assert.rejects(log.append(idem(seqs[1]!, 2)), code(45));
    await assert.rejects(log.append(idem(seqs[0]!, 1)), code(45));
    // A gap.
    await assert.rejects(log.append(idem(s + 1)), code(45));
    // In sequence continues.
    assert.equal((await log.append(idem(s))).baseOffset, leo);
    await log.close();
  });

  test('epochs: stale epoch fenced with INVALID_PRODUCER_EPOCH, a new epoch starts at 0', async () => {
    const log = await open(await fresh());
    await log.append(idem(0, 1, 3));
    await log.append(idem(1, 1, 3));
    await assert.rejects(log.append(idem(2, 1, 2)), code(47));
    await assert.rejects(log.append(idem(5, 1, 4)), code(45));
    const r = await log.append(idem(0, 1, 4));
    assert.equal(r.duplicate, false);
    // Old-epoch duplicate after the bump is fenced, not a duplicate.
    await assert.rejects(log.append(idem(1, 1, 3)), code(47));
    await log.close();
  });

  test('unknown producer: any first sequence (KIP-360); sequences wrap at Int32.MAX', async () => {
    const log = await open(await fresh());
    const max = 0x7fffffff;
    assert.equal(incrementSequence(max - 1, 3), 1);
    await log.append(idem(max - 1, 2)); // max-1, max
    const r = await log.append(idem(0, 2)); // wraps to 0
    assert.equal(r.duplicate, false);
    const d = await log.append(idem(max - 1, 2));
    assert.equal(d.duplicate, true);
    // A batch spanning the wrap.
    await log.append(idem(2, 1));
    const log2 = await open(await fresh());
    await log2.append(idem(max - 1, 4)); // max-1 .. 1 (wrapped)
    assert.equal((await log2.append(idem(2, 1))).duplicate, false);
    assert.equal((await log2.append(idem(max - 1, 4))).duplicate, true);
    await log.close();
    await log2.close();
  });

  test('check and append are atomic under concurrency', async () => {
    const log = await open(await fresh());
    await log.append(idem(0));
    const results = await Promise.allSettled([log.append(idem(1)), log.append(idem(1)), log.append(idem(1)), log.append(idem(2))]);
    const ok = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ duplicate: boolean; baseOffset: number }>).value);
    assert.equal(ok.length, 4);
    assert.deepEqual(ok.map((r) => [r.duplicate, r.baseOffset]), [[false, 1], [true, 1], [true, 1], [false, 2]]);
    assert.equal(log.logEndOffset, 3);
    await log.close();
  });

  test('snapshot file: Kafka ProducerSnapshot v1 layout', async () => {
    const buf = encodeProducerSnapshot([
      { producerId: 5n, producerEpoch: 2, batches: [{ firstSeq: 10, lastSeq: 14, firstOffset: 100, lastOffset: 104, timestamp: 999n }], coordinatorEpoch: -1, currentTxnFirstOffset: -1, lastTimestamp: 999n },
    ]);
    const exp = Buffer.alloc(2 + 4 + 4 + 46);
    exp.writeInt16BE(1, 0);
    exp.writeInt32BE(1, 6);
    exp.writeBigInt64BE(5n, 10);
    exp.writeInt16BE(2, 18);
    exp.writeInt32BE(14, 20);
    exp.writeBigInt64BE(104n, 24);
    exp.writeInt32BE(4, 32);
    exp.writeBigInt64BE(999n, 36);
    exp.writeInt32BE(-1, 44);
    exp.writeBigInt64BE(-1n, 48);
    exp.writeUInt32BE(crc32c(exp.subarray(6)), 2);
    assert.deepEqual(buf, exp);
    const [e] = decodeProducerSnapshot(buf);
    assert.deepEqual(e!.batches, [{ firstSeq: 10, lastSeq: 14, firstOffset: 100, lastOffset: 104, timestamp: 999n }]);
    const bad = Buffer.from(buf);
    bad[20] ^= 1;
    assert.throws(() => decodeProducerSnapshot(bad), /CRC/);
  });

  test('state survives a clean close (snapshot: the last batch, as Kafka) ', async () => {
    const dir = await fresh();
    const log = await open(dir);
    for (let i = 0; i < 4; i++) await log.append(idem(i));
    await log.append(idem(0, 1, 0, 77n));
    await log.close();
    assert.ok((await readdir(dir)).includes(offsetFileName(5, '.snapshot')));
    const snap = decodeProducerSnapshot(await readFile(join(dir, offsetFileName(5, '.snapshot'))));
    assert.deepEqual(snap.map((e) => [e.producerId, e.batches[0]!.lastSeq]).sort(), [[1000n, 3], [77n, 0]].sort());
    const re = await open(dir, { hadCleanShutdown: true });
    const d = await re.append(idem(3));
    assert.deepEqual([d.duplicate, d.baseOffset], [true, 3]);
    assert.equal((await re.append(idem(0, 1, 0, 77n))).duplicate, true);
    // Older batches are not in a Kafka snapshot: OUT_OF_ORDER, as Kafka answers.
    await assert.rejects(re.append(idem(1)), code(45));
    assert.equal((await re.append(idem(4))).baseOffset, 5);
    await re.close();
  });

  test('state survives a crash (rebuilt from the log after the newest snapshot)', async () => {
    const dir = await fresh();
    const log = await Log.open(dir, { topic: 'p', partition: 0, config: { segmentBytes: 400 } });
    for (let i = 0; i < 12; i++) await log.append(idem(i));
    assert.ok(log.numberOfSegments > 2);
    // No close: reopen as after kill -9 (no marker) with a recovery point in the second segment:
    // the replay starts at the roll snapshot at or below the first recovered segment.
    const rp = log.segments[1]!.baseOffset;
    const re = await Log.open(dir, { topic: 'p', partition: 0, config: { segmentBytes: 400 }, recoveryPoint: rp });
    const from = re.recoveryInfo.producerStateFrom;
    assert.ok(from > 0 && from < 12, 'started from a roll snapshot, replayed the rest');
    // Known: the snapshot's last batch (from - 1) and every batch replayed after it (last 5 kept).
    for (let i = Math.max(from - 1, 7); i < 12; i++) {
      const d = await re.append(idem(i));
      assert.deepEqual([d.duplicate, d.baseOffset], [true, i]);
    }
    if (from - 2 >= 0 && from - 2 >= 7) await assert.rejects(re.append(idem(from - 2)), code(45));
    await assert.rejects(re.append(idem(14)), code(45));
    assert.equal((await re.append(idem(12))).baseOffset, 12);
    await re.close();
  });

  test('DeleteRecords past a producer forgets it; any sequence is then accepted', async () => {
    const log = await open(await fresh());
    await log.append(idem(0));
    await log.append(valueBatch(['x']));
    await log.deleteRecordsBefore(2);
    assert.equal(log.producers().length, 0);
    assert.equal((await log.append(idem(9))).duplicate, false);
    await log.close();
  });
});

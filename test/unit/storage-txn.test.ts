// Transactions in storage: the .txnindex format, producer state's LSO rules (ongoing and
// unreplicated transactions), aborted transactions for read_committed fetches, and all of it
// across truncation, follower appends and restarts (clean, kill -9, no snapshot at all).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ABORTED_TXN_SIZE,
  Log,
  TxnIndex,
  TxnIndexCorruptError,
  decodeTxnIndex,
  encodeAbortedTxns,
  offsetFileName,
  type AbortedTxn,
} from '../../src/storage/index.js';
import { encodeEndTxnMarker, encodeRecordBatchSync } from '../../src/protocol/records/index.js';

const roots: string[] = [];
async function fresh(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'trib-txn-'));
  roots.push(d);
  return join(d, 't-0');
}
after(async () => {
  for (const d of roots) await rm(d, { recursive: true, force: true });
});

/** A producer's sequence numbers, per producer id. */
const seqs = new Map<bigint, number>();
function txnBatch(pid: bigint, n = 1, epoch = 0): Buffer {
  const seq = seqs.get(pid) ?? 0;
  seqs.set(pid, seq + n);
  const records = Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`p${pid}-${seq + i}`) }));
  return encodeRecordBatchSync({ records, producerId: pid, producerEpoch: epoch, baseSequence: seq, transactional: true });
}
function plain(v: string): Buffer {
  return encodeRecordBatchSync({ records: [{ value: Buffer.from(v) }] });
}
function marker(pid: bigint, commit: boolean, epoch = 0, coordinatorEpoch = 3): Buffer {
  return encodeEndTxnMarker({ producerId: pid, producerEpoch: epoch, coordinatorEpoch, commit });
}
const coord = { origin: 'coordinator' as const };

async function txnIndexFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.txnindex')).sort();
}
function allAborted(log: Log): AbortedTxn[] {
  return log.segments.flatMap((s) => [...s.txnIndex.entries]);
}

describe('.txnindex format', () => {
  const e1: AbortedTxn = { producerId: 7n, firstOffset: 3, lastOffset: 9, lastStableOffset: 10 };
  const e2: AbortedTxn = { producerId: -2n, firstOffset: 5, lastOffset: 12, lastStableOffset: 5 };

  test("Kafka's 34-byte entries round trip", () => {
    const buf = encodeAbortedTxns([e1, e2]);
    assert.equal(buf.length, 2 * ABORTED_TXN_SIZE);
    assert.equal(ABORTED_TXN_SIZE, 34);
    // version int16 0 | producerId int64 | firstOffset int64 | lastOffset int64 | lastStableOffset int64
    assert.equal(buf.subarray(0, 34).toString('hex'), '0000' + '0000000000000007' + '0000000000000003' + '0000000000000009' + '000000000000000a');
    assert.deepEqual(decodeTxnIndex(buf), { entries: [e1, e2], tornBytes: 0 });
  });

  test('a torn tail is reported, not decoded; corruption is a TxnIndexCorruptError', () => {
    const buf = encodeAbortedTxns([e1, e2]);
    assert.deepEqual(decodeTxnIndex(buf.subarray(0, 34 + 20)), { entries: [e1], tornBytes: 20 });
    const badVersion = Buffer.from(buf);
    badVersion.writeInt16BE(1, 34);
    assert.throws(() => decodeTxnIndex(badVersion), (e) => e instanceof TxnIndexCorruptError && /version 1/.test(e.message));
    assert.throws(() => decodeTxnIndex(encodeAbortedTxns([e2, e1])), TxnIndexCorruptError); // last offsets must increase
    assert.throws(() => decodeTxnIndex(encodeAbortedTxns([e1]), 10), /below the segment's base offset 10/);
    const huge = Buffer.from(buf);
    huge.writeBigInt64BE(1n << 60n, 10);
    assert.throws(() => decodeTxnIndex(huge), /out of range/);
  });

  test('fuzzed decoder: random and mutated files decode or throw TxnIndexCorruptError, nothing else', () => {
    let s = 0x9e3779b9;
    const rnd = (n: number): number => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) % n;
    };
    const valid = encodeAbortedTxns([e1, e2, { producerId: 1n, firstOffset: 0, lastOffset: 40, lastStableOffset: 41 }]);
    for (let i = 0; i < 20_000; i++) {
      let buf: Buffer;
      if (i % 2 === 0) {
        buf = Buffer.from(valid.subarray(0, rnd(valid.length + 1)));
        for (let k = rnd(4); k > 0 && buf.length > 0; k--) buf[rnd(buf.length)] = rnd(256);
      } else {
        buf = Buffer.alloc(rnd(120));
        for (let k = 0; k < buf.length; k++) buf[k] = rnd(4) === 0 ? rnd(256) : 0;
      }
      try {
        const d = decodeTxnIndex(buf, rnd(3) === 0 ? rnd(50) : 0);
        assert.equal(d.entries.length * 34 + d.tornBytes, buf.length);
      } catch (e) {
        if (!(e instanceof TxnIndexCorruptError)) throw e;
      }
    }
  });

  test('TxnIndex: the file appears with the first entry; truncateTo, reset, torn tails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trib-txnidx-'));
    roots.push(dir);
    const path = join(dir, offsetFileName(0, '.txnindex'));
    const idx = new TxnIndex(path, 0);
    assert.equal(await idx.load(), true);
    assert.deepEqual(await readdir(dir), []);
    idx.append([e1]);
    idx.append([e2]);
    assert.throws(() => idx.append([e1]), RangeError);
    idx.flush();
    assert.deepEqual(await readFile(path), encodeAbortedTxns([e1, e2]));
    assert.deepEqual(idx.collect(0, 100), { aborted: [e1, e2], complete: false });
    assert.deepEqual(idx.collect(10, 100).aborted, [e2]); // e1 ended before the fetch offset
    assert.deepEqual(idx.collect(0, 4), { aborted: [e1], complete: true }); // e1's LSO 10 >= 4: stop
    idx.truncateTo(12);
    assert.deepEqual(await readFile(path), encodeAbortedTxns([e1]));
    idx.close();
    await writeFile(path, Buffer.concat([encodeAbortedTxns([e1]), Buffer.alloc(7)]));
    const torn = new TxnIndex(path, 0);
    assert.equal(await torn.load(), false, 'a torn tail asks for recovery');
    await torn.reset();
    assert.deepEqual(await readdir(dir), []);
  });
});

describe('producer state: the last stable offset', () => {
  test('ongoing transactions hold it; a marker releases it; an abort gets an index entry with the LSO of its time', async () => {
    const dir = await fresh();
    const log = await Log.open(dir, { topic: 't', partition: 0 });
    await log.append(plain('a')); // 0
    await log.append(txnBatch(1n, 2)); // 1-2: P1 opens
    assert.equal(log.lastStableOffset, 1);
    assert.equal(log.highWatermark, 3);
    await log.append(txnBatch(2n)); // 3: P2 opens
    await log.append(txnBatch(1n)); // 4
    await log.append(marker(1n, false), coord); // 5: P1 aborts; P2 still open at 3
    assert.equal(log.lastStableOffset, 3);
    assert.deepEqual(allAborted(log), [{ producerId: 1n, firstOffset: 1, lastOffset: 5, lastStableOffset: 3 }]);
    await log.append(marker(2n, true), coord); // 6: P2 commits (no entry)
    assert.equal(log.lastStableOffset, 7);
    await log.append(txnBatch(1n)); // 7: P1's next transaction
    await log.append(marker(1n, false), coord); // 8: aborted, nothing else open
    assert.deepEqual(allAborted(log)[1], { producerId: 1n, firstOffset: 7, lastOffset: 8, lastStableOffset: 9 });
    await log.append(marker(2n, false), coord); // 9: P2 has nothing open: no entry
    assert.equal(allAborted(log).length, 2);
    assert.equal(log.lastStableOffset, 10);
    const p1 = log.producers().find((p) => p.producerId === 1n)!;
    assert.equal(p1.coordinatorEpoch, 3);
    assert.equal(p1.currentTxnFirstOffset, -1);
    // The file is Kafka's format, one entry per abort.
    const files = await txnIndexFiles(dir);
    assert.deepEqual(files, ['00000000000000000000.txnindex']);
    assert.deepEqual(decodeTxnIndex(await readFile(join(dir, files[0]!))).entries, allAborted(log));
    // read_committed's view: aborted transactions overlapping [fetch offset, upper bound).
    assert.deepEqual(log.abortedTransactions(0, 10).map((t) => t.firstOffset), [1, 7]);
    assert.deepEqual(log.abortedTransactions(6, 10).map((t) => t.firstOffset), [7]);
    assert.deepEqual(log.abortedTransactions(0, 1), []);
    assert.deepEqual(log.abortedTransactions(2, 3).map((t) => t.firstOffset), [1]);
    await log.close();
  });

  test("a coordinator's marker of an older producer epoch or an older coordinator epoch is refused; a follower's copy is not checked", async () => {
    const log = await Log.open(await fresh(), { topic: 't', partition: 0 });
    await log.append(txnBatch(5n, 1, 2)); // 0: epoch 2 opens
    await assert.rejects(log.append(marker(5n, false, 1, 3), coord), (e: Error & { code?: number }) => e.code === 47 /* INVALID_PRODUCER_EPOCH */ && /older than the last seen epoch 2/.test(e.message));
    await log.append(marker(5n, true, 2, 3), coord); // 1: coordinator epoch 3 commits
    await assert.rejects(log.append(marker(5n, false, 3, 2), coord), (e: Error & { code?: number }) => e.code === 52 /* TRANSACTION_COORDINATOR_FENCED */ && /2 \(zombie\), 3 \(current\)/.test(e.message));
    assert.equal(log.logEndOffset, 2);
    await log.append(marker(5n, false, 3, 4), coord); // 2: a newer coordinator (TV2 epoch bump) is fine
    const p = log.producers().find((x) => x.producerId === 5n)!;
    assert.deepEqual([p.producerEpoch, p.coordinatorEpoch], [3, 4]);
    await log.close();
  });

  test('replicated: a completed transaction holds the LSO until the high watermark passes its marker; LSO moves are announced', async () => {
    const log = await Log.open(await fresh(), { topic: 't', partition: 0, replicated: true });
    const heard: number[] = [];
    log.onLastStable((o) => heard.push(o));
    await log.append(txnBatch(1n)); // 0
    await log.append(plain('x')); // 1
    log.setHighWatermark(2);
    assert.equal(log.lastStableOffset, 0);
    await log.append(marker(1n, true), coord); // 2
    assert.equal(log.lastStableOffset, 0, 'the marker is not replicated yet');
    log.setHighWatermark(3);
    assert.equal(log.lastStableOffset, 3);
    assert.deepEqual(heard, [3]);
    await log.close();
  });

  test('DeleteRecords past an open transaction: the LSO is at least the log start', async () => {
    const log = await Log.open(await fresh(), { topic: 't', partition: 0 });
    await log.append(txnBatch(1n)); // 0
    await log.append(plain('x')); // 1
    await log.append(plain('y')); // 2
    assert.equal(log.lastStableOffset, 0);
    await log.deleteRecordsBefore(2);
    assert.equal(log.lastStableOffset, 2);
    await log.close();
  });

  test('a follower builds the same index from the leader batches', async () => {
    const leader = await Log.open(await fresh(), { topic: 't', partition: 0, config: { segmentBytes: 300 } });
    for (let i = 0; i < 6; i++) {
      await leader.append(txnBatch(10n));
      await leader.append(txnBatch(11n));
      await leader.append(marker(10n, i % 2 === 0), coord);
      await leader.append(marker(11n, false), coord);
    }
    assert.ok(leader.numberOfSegments > 2);
    const follower = await Log.open(await fresh(), { topic: 't', partition: 0, replicated: true, config: { segmentBytes: 300 } });
    let at = 0;
    while (at < leader.logEndOffset) {
      const data = await leader.read(at, 150, { maxOffset: leader.logEndOffset });
      const r = await follower.appendAsFollower(data);
      at = r.lastOffset + 1;
    }
    assert.equal(follower.logEndOffset, leader.logEndOffset);
    assert.equal(allAborted(leader).length, 9);
    assert.deepEqual(allAborted(follower), allAborted(leader));
    assert.equal(follower.lastStableOffset, 0, 'nothing is replicated below the follower HW yet');
    follower.setHighWatermark(leader.logEndOffset);
    assert.equal(follower.lastStableOffset, leader.lastStableOffset);
    await leader.close();
    await follower.close();
  });

  test('truncation drops the entries of markers it removes and reopens their transactions', async () => {
    const log = await Log.open(await fresh(), { topic: 't', partition: 0, replicated: true });
    await log.append(txnBatch(1n)); // 0
    await log.append(marker(1n, false), coord); // 1
    await log.append(txnBatch(2n)); // 2
    await log.append(marker(2n, false), coord); // 3
    log.setHighWatermark(2);
    assert.equal(allAborted(log).length, 2);
    await log.truncateTo(3);
    assert.deepEqual(allAborted(log).map((t) => t.lastOffset), [1]);
    assert.deepEqual(log.producerStateManager.ongoingTransactions(), [{ producerId: 2n, firstOffset: 2 }]);
    assert.equal(log.lastStableOffset, 2);
    await log.close();
  });
});

describe('restarts', () => {
  async function build(dir: string): Promise<Log> {
    const log = await Log.open(dir, { topic: 't', partition: 0, config: { segmentBytes: 300 } });
    for (let i = 0; i < 5; i++) {
      await log.append(txnBatch(20n, 2));
      await log.append(plain(`n${i}`));
      await log.append(marker(20n, i % 2 === 1), coord);
    }
    await log.append(txnBatch(21n)); // left open
    await log.append(plain('tail'));
    return log;
  }

  test('clean close: the snapshot carries the open transaction, the index stays', async () => {
    const dir = await fresh();
    const log = await build(dir);
    const lso = log.lastStableOffset;
    const aborted = allAborted(log);
    assert.equal(aborted.length, 3);
    await log.close();
    const re = await Log.open(dir, { topic: 't', partition: 0, config: { segmentBytes: 300 }, hadCleanShutdown: true });
    assert.equal(re.lastStableOffset, lso);
    assert.ok(lso < re.logEndOffset - 1);
    assert.deepEqual(allAborted(re), aborted);
    // The transaction is still open: its abort marker releases the LSO.
    await re.append(marker(21n, false), coord);
    assert.equal(re.lastStableOffset, re.logEndOffset);
    await re.close();
  });

  test('kill -9 without snapshots or transaction indexes: recovery rebuilds both', async () => {
    const dir = await fresh();
    const log = await build(dir);
    const lso = log.lastStableOffset;
    const aborted = allAborted(log);
    const files = await txnIndexFiles(dir);
    assert.ok(files.length >= 2, 'aborts in several segments');
    // No close (as after kill -9); then remove every snapshot and transaction index.
    for (const n of await readdir(dir)) if (n.endsWith('.snapshot') || n.endsWith('.txnindex')) await rm(join(dir, n));
    const re = await Log.open(dir, { topic: 't', partition: 0, config: { segmentBytes: 300 }, recoveryPoint: 0 });
    assert.equal(re.recoveryInfo.producerStateFrom, 0);
    assert.equal(re.lastStableOffset, lso);
    assert.deepEqual(allAborted(re), aborted);
    assert.deepEqual(await txnIndexFiles(dir), files);
    for (const f of files) {
      const seg = re.segments.find((s) => offsetFileName(s.baseOffset, '.txnindex') === f)!;
      assert.deepEqual(decodeTxnIndex(await readFile(join(dir, f))).entries, [...seg.txnIndex.entries]);
    }
    await re.close();
  });

  test('a torn .txnindex tail before the recovery point: that segment is recovered and its index rebuilt', async () => {
    const dir = await fresh();
    const log = await build(dir);
    const aborted = allAborted(log);
    await log.close();
    const [first] = await txnIndexFiles(dir);
    const path = join(dir, first!);
    const buf = await readFile(path);
    await writeFile(path, Buffer.concat([buf, Buffer.alloc(9, 1)]));
    const re = await Log.open(dir, { topic: 't', partition: 0, config: { segmentBytes: 300 }, hadCleanShutdown: true });
    assert.equal(re.recoveryInfo.rebuiltIndexes, 1);
    assert.deepEqual(allAborted(re), aborted);
    assert.deepEqual(await readFile(path), buf);
    await re.close();
  });

  test('retention and DeleteRecords take a segment\'s .txnindex with it', async () => {
    const dir = await fresh();
    const log = await Log.open(dir, { topic: 't', partition: 0, config: { segmentBytes: 300, fileDeleteDelayMs: 0 } });
    for (let i = 0; i < 6; i++) {
      await log.append(txnBatch(30n));
      await log.append(marker(30n, false), coord);
    }
    const before = await txnIndexFiles(dir);
    assert.ok(before.length >= 2);
    await log.deleteRecordsBefore(log.segments[1]!.baseOffset);
    await log.deleteOldSegments();
    const after = await txnIndexFiles(dir);
    assert.deepEqual(after, before.slice(1));
    await log.close();
    assert.deepEqual(await txnIndexFiles(dir), after);
  });
});

describe('random transactions against a model', () => {
  test('LSO and aborted transactions as the model says, live and after every kind of recovery', async () => {
    let s = 12345;
    const rnd = (n: number): number => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s % n;
    };
    for (let round = 0; round < 6; round++) {
      const dir = await fresh();
      const cfg = { segmentBytes: 250 + rnd(400) };
      const log = await Log.open(dir, { topic: 't', partition: 0, config: cfg });
      const open = new Map<bigint, number>(); // producer -> first offset of its open transaction
      const expected: AbortedTxn[] = [];
      for (let i = 0; i < 120; i++) {
        const pid = BigInt(100 + round * 10 + rnd(4));
        const op = rnd(10);
        if (op < 5) {
          const r = await log.append(txnBatch(pid, 1 + rnd(3)));
          if (!open.has(pid)) open.set(pid, r.baseOffset);
        } else if (op < 7) {
          await log.append(plain(`x${i}`));
        } else {
          const commit = op === 7;
          const r = await log.append(marker(pid, commit), coord);
          const first = open.get(pid);
          if (first !== undefined) {
            open.delete(pid);
            if (!commit) {
              let lso = r.baseOffset + 1;
              for (const [p, f] of open) if (p !== pid && f < lso) lso = f;
              expected.push({ producerId: pid, firstOffset: first, lastOffset: r.baseOffset, lastStableOffset: lso });
            }
          }
        }
        const lso = open.size === 0 ? log.highWatermark : Math.min(...open.values());
        assert.equal(log.lastStableOffset, lso, `round ${round} op ${i}`);
      }
      assert.deepEqual(allAborted(log), expected);
      const end = log.logEndOffset;
      const lso = log.lastStableOffset;
      // Fetch's view: every aborted transaction overlapping a range, whatever the range.
      for (let k = 0; k < 20; k++) {
        const from = rnd(end);
        const to = from + 1 + rnd(end - from);
        assert.deepEqual(
          log.abortedTransactions(from, to),
          expected.filter((t) => t.lastOffset >= from && t.firstOffset < to),
          `aborted in [${from}, ${to})`,
        );
      }
      // kill -9 with a recovery point in the middle; then without snapshots or indexes at all.
      const mid = log.segments[Math.floor(log.segments.length / 2)]!.baseOffset;
      const again = await Log.open(dir, { topic: 't', partition: 0, config: cfg, recoveryPoint: mid });
      assert.deepEqual([allAborted(again), again.lastStableOffset, again.logEndOffset], [expected, lso, end]);
      await again.close();
      for (const n of await readdir(dir)) if (n.endsWith('.snapshot') || n.endsWith('.txnindex')) await rm(join(dir, n));
      const bare = await Log.open(dir, { topic: 't', partition: 0, config: cfg, recoveryPoint: 0 });
      assert.deepEqual([allAborted(bare), bare.lastStableOffset, bare.logEndOffset], [expected, lso, end]);
      await bare.close();
      await log.close().catch(() => undefined);
    }
  });
});

describe('producers across restarts', () => {
  test('a producer whose last act was a marker of a new epoch (no batch left) keeps its epoch across a restart', async () => {
    const dir = await fresh();
    const log = await Log.open(dir, { topic: 't', partition: 0 });
    await log.append(txnBatch(40n));
    await log.append(marker(40n, true, 1), coord); // transaction version 2: the marker bumps the epoch
    assert.deepEqual(log.producers().map((p) => [p.producerId, p.producerEpoch, p.batches.length]), [[40n, 1, 0]]);
    await log.close();
    for (const clean of [true, false]) {
      const re = await Log.open(dir, { topic: 't', partition: 0, hadCleanShutdown: clean });
      assert.deepEqual(re.producers().map((p) => [p.producerId, p.producerEpoch, p.coordinatorEpoch]), [[40n, 1, 3]]);
      // A zombie of the old epoch is refused.
      await assert.rejects(re.append(encodeRecordBatchSync({ records: [{ value: Buffer.from('z') }], producerId: 40n, producerEpoch: 0, baseSequence: 1, transactional: true })), /epoch 0 is older/);
      await re.close();
    }
  });
});

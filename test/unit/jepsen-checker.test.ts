// The Jepsen-style checker (tools/jepsen/checker.ts) on hand-made histories: a clean one passes,
// and each anomaly (lost, duplicate, inconsistent offset, misplaced, non-monotonic, unexpected)
// is found in a history that has it, and only there. Plus the throughput/availability figures and
// the --inject-faults corruption.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anomalies, anomalyCount, stats, lostWrites, nonMonotonic, ANOMALY_KINDS, type Anomalies } from '../../tools/jepsen/checker.js';
import { injectFaults } from '../../tools/jepsen/inject.js';
import type { History, ReadOp, WriteOp } from '../../tools/jepsen/history.js';

const ok = (value: string, partition: number, offset: number, startMs = 0, endMs = startMs + 5): WriteOp => ({ value, producer: 'p0', partition, startMs, endMs, outcome: 'ok', offset });
const info = (value: string, partition: number, endMs: number | null = 50): WriteOp => ({ value, producer: 'p0', partition, startMs: 0, endMs, outcome: 'info', error: 'timed out' });
const read = (consumer: string, partition: number, offset: number, value: string, session = 0): ReadOp => ({ consumer, session, partition, offset, value, atMs: 0 });

/** Two partitions, four acknowledged writes, one indeterminate that did land; a consumer read it all. */
function clean(): History {
  const writes = [ok('a', 0, 0, 0, 10), ok('b', 0, 1, 10, 20), ok('c', 1, 0, 20, 30), ok('d', 1, 1, 30, 40), info('e', 1)];
  const log: Array<[number, number, string]> = [[0, 0, 'a'], [0, 1, 'b'], [1, 0, 'c'], [1, 1, 'd'], [1, 2, 'e']];
  return {
    topic: 't',
    partitions: 2,
    startMs: 0,
    endMs: 100,
    writes,
    reads: log.map(([p, o, v]) => read('c1', p, o, v)),
    finalReads: log.map(([p, o, v]) => read('final', p, o, v)),
    finalReadComplete: true,
    nemesis: [],
    clientErrors: {},
  };
}

/** Only `kind` has findings. */
function onlyThese(a: Anomalies, ...kinds: Array<keyof Anomalies>): void {
  for (const k of ANOMALY_KINDS) {
    if (kinds.includes(k)) assert.ok(a[k].length > 0, `${k} expected, got none`);
    else assert.deepEqual(a[k], [], `${k} not expected`);
  }
}

test('a clean history has no anomalies', () => {
  const a = anomalies(clean());
  assert.equal(anomalyCount(a), 0, JSON.stringify(a));
});

test('lost: an acknowledged write missing from the final read; an absent indeterminate one is not lost', () => {
  const h = clean();
  h.finalReads = h.finalReads.filter((r) => r.value !== 'b' && r.value !== 'e');
  h.reads = h.reads.filter((r) => r.value !== 'e');
  const a = anomalies(h);
  onlyThese(a, 'lost');
  assert.deepEqual(a.lost, [{ value: 'b', partition: 0, offset: 1 }]);
  // Seen by a consumer during the run is not enough: the final read is what counts.
  assert.deepEqual(lostWrites(h.writes, h.finalReads).map((l) => l.value), ['b']);
});

test('duplicates: one value at two offsets', () => {
  const h = clean();
  h.finalReads.push(read('final', 1, 3, 'e'));
  const a = anomalies(h);
  onlyThese(a, 'duplicates');
  assert.deepEqual(a.duplicates, [{ value: 'e', positions: [{ partition: 1, offset: 2 }, { partition: 1, offset: 3 }] }]);
});

test('duplicates of an acknowledged write are duplicates and misplaced', () => {
  const h = clean();
  h.finalReads.push(read('final', 0, 2, 'a'));
  const a = anomalies(h);
  onlyThese(a, 'duplicates', 'misplaced');
  assert.deepEqual(a.misplaced, [{ value: 'a', acknowledged: { partition: 0, offset: 0 }, read: [{ partition: 0, offset: 2 }] }]);
});

test('inconsistent offsets: two values at one position, across consumers', () => {
  const h = clean();
  // c2 saw e where everyone else saw... nothing: a lone reading is not a conflict.
  h.reads.push(read('c2', 1, 2, 'e'));
  assert.equal(anomalyCount(anomalies(h)), 0);
  // c2 saw d at 1:2, where the final read has e: d is then at two offsets too.
  h.reads.push(read('c2', 1, 3, 'd', 1));
  h.finalReads.push(read('final', 1, 3, 'x'));
  h.writes.push(info('x', 1));
  const a = anomalies(h);
  assert.deepEqual(a.inconsistentOffsets.map((i) => [i.partition, i.offset, i.values]), [[1, 3, ['d', 'x']]]);
  assert.deepEqual(a.inconsistentOffsets[0]!.seenBy, ['d <- c2', 'x <- final']);
});

test('inconsistent offsets: an acknowledgement counts as a sighting (acks=1, the leader lost it, another value took its offset)', () => {
  const h = clean();
  // b was acknowledged at 0:1, but the final read has f there, and b nowhere.
  h.writes.push(info('f', 0));
  h.finalReads = h.finalReads.map((r) => (r.value === 'b' ? { ...r, value: 'f' } : r));
  h.reads = h.reads.filter((r) => r.value !== 'b');
  const a = anomalies(h);
  onlyThese(a, 'lost', 'inconsistentOffsets');
  assert.deepEqual(a.inconsistentOffsets[0]!.values, ['b', 'f']);
  assert.deepEqual(a.inconsistentOffsets[0]!.seenBy, ['b <- ack:p0', 'f <- final']);
});

test('misplaced: acknowledged at one offset, read at another', () => {
  const h = clean();
  h.writes[1] = { ...h.writes[1]!, offset: 7 };
  onlyThese(anomalies(h), 'misplaced'); // nothing else is at 0:7
  h.writes[1] = { ...h.writes[1]!, offset: 1, partition: 1 };
  const a = anomalies(h);
  assert.deepEqual(a.misplaced[0]!.acknowledged, { partition: 1, offset: 1 });
  assert.deepEqual(a.inconsistentOffsets[0]!.values, ['b', 'd'], "b's acknowledgement names d's position");
});

test('non-monotonic: a partition going back or repeating within a session; a new session may restart', () => {
  const fine = [read('c', 0, 0, 'a'), read('c', 1, 0, 'c'), read('c', 0, 1, 'b'), read('c', 0, 0, 'a', 1), read('c', 0, 1, 'b', 1)];
  assert.deepEqual(nonMonotonic(fine), []);
  const gaps = [read('c', 0, 0, 'a'), read('c', 0, 5, 'b')]; // skipped offsets (control records) are fine
  assert.deepEqual(nonMonotonic(gaps), []);
  const back = [...fine, read('c', 0, 0, 'a', 1)];
  assert.deepEqual(nonMonotonic(back).map((n) => [n.consumer, n.session, n.partition, n.previous, n.next]), [['c', 1, 0, 1, 0]]);
  const repeat = [read('c', 1, 0, 'c'), read('c', 1, 0, 'c')];
  assert.equal(nonMonotonic(repeat).length, 1);
  const h = clean();
  h.reads.push(read('c1', 0, 0, 'a'));
  onlyThese(anomalies(h), 'nonMonotonic');
});

test('unexpected: a value nobody wrote', () => {
  const h = clean();
  h.finalReads.push(read('final', 0, 2, 'zzz'));
  onlyThese(anomalies(h), 'unexpected');
});

test('stats: throughput over the window, the longest gap without an acknowledgement (window edges count), the slowest ack', () => {
  const h = clean();
  const s = stats(h);
  assert.equal(s.attempted, 5);
  assert.equal(s.acknowledged, 4);
  assert.equal(s.indeterminate, 1);
  assert.equal(s.indeterminateFound, 1);
  assert.equal(s.ackedPerSecond, 40); // 4 in 0.1 s
  assert.equal(s.longestGapMs, 60); // last ack at 40, window ends at 100
  assert.equal(s.longestGapFromMs, 40);
  assert.equal(s.slowestAckMs, 10);
  // Partition 0's acks end at 20, partition 1's at 40: partition 0 has the longest stall, 20..100.
  assert.deepEqual([s.longestPartitionGapMs, s.longestPartitionGapFromMs, s.longestPartitionGapPartition], [80, 20, 0]);
  h.writes = [ok('a', 0, 0, 0, 5), ok('b', 0, 1, 6, 70), ok('c', 0, 2, 71, 95)];
  const t = stats(h);
  assert.equal(t.longestGapMs, 65);
  assert.equal(t.longestGapFromMs, 5);
  assert.equal(t.slowestAckMs, 64);
  h.writes.push(info('late', 0, null));
  assert.equal(stats(h).unanswered, 1);
});

test('injectFaults corrupts a clean history with every kind of anomaly', () => {
  const h = clean();
  const { history, injected } = injectFaults(h);
  assert.equal(injected.length, 5, injected.join('\n'));
  onlyThese(anomalies(history), ...ANOMALY_KINDS);
  assert.equal(anomalyCount(anomalies(h)), 0, 'the original is untouched');
});

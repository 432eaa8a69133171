// The exactly-once pipeline checker (tools/eos/checker.ts) on hand-made histories: a clean one
// passes, and each anomaly (lost, duplicated, aborted read, torn transaction) is found in a history
// that has it, and only there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEos, eosAnomalyCount, eosStats, EOS_ANOMALY_KINDS, type EosAnomalies } from '../../tools/eos/checker.js';
import type { EosHistory, Fate, InputRecord, OutputRecord, RawRecord } from '../../tools/eos/history.js';

const inp = (n: number, partition: number, offset: number): InputRecord => ({ id: `in-${n}`, partition, offset });
const out = (i: InputRecord, partition: number, offset: number, txn: string, txnSize: number): OutputRecord => ({
  partition,
  offset,
  key: i.id,
  input: `${i.partition}:${i.offset}`,
  txn,
  txnSize,
});
const raw = (o: OutputRecord, fate: Fate, producerId = '7'): RawRecord => ({ ...o, producerId, producerEpoch: 0, fate });

/**
 * Four inputs over two partitions; transaction t1 wrote in-0 and in-1 to output partitions 0 and 1,
 * t2 wrote in-2 and in-3. Output partition 0: t1's in-0 @0, [marker @1], t2's in-2 @2, [marker @3];
 * partition 1: t1's in-1 @0, [marker], t2's in-3 @2, [marker].
 */
const I = [inp(0, 0, 0), inp(1, 1, 0), inp(2, 0, 1), inp(3, 1, 1)];
const O = [out(I[0]!, 0, 0, 't1', 2), out(I[1]!, 1, 0, 't1', 2), out(I[2]!, 0, 2, 't2', 2), out(I[3]!, 1, 2, 't2', 2)];

function clean(): EosHistory {
  return {
    inputTopic: 'in',
    outputTopic: 'out',
    startMs: 0,
    endMs: 100,
    acked: [...I],
    inputFailed: 0,
    input: [...I],
    committed: [...O],
    raw: O.map((o) => raw(o, 'committed')),
    complete: { input: true, committed: true, raw: true },
    problems: [],
    ends: { committed: { 0: 4, 1: 4 }, raw: { 0: 4, 1: 4 } },
    pipelineCommits: 2,
    pipelineAborts: 0,
    events: [],
  };
}

function onlyThese(a: EosAnomalies, ...kinds: Array<keyof EosAnomalies>): void {
  for (const k of EOS_ANOMALY_KINDS) {
    if (kinds.includes(k)) assert.ok(a[k].length > 0, `${k} expected, got none`);
    else assert.deepEqual(a[k], [], `${k} not expected`);
  }
}

test('a clean history has no anomaly, and its figures add up', () => {
  const h = clean();
  const a = checkEos(h);
  onlyThese(a);
  assert.equal(eosAnomalyCount(a), 0);
  const s = eosStats(h);
  assert.equal(s.inputRecords, 4);
  assert.equal(s.committedOutputs, 4);
  assert.deepEqual(s.transactions, { committed: 2, aborted: 0, open: 0, mixed: 0 });
  assert.equal(s.recordsPerTransaction, 2);
  assert.equal(s.unknownInput, 0);
});

test('an aborted transaction that read_committed hides, then its redo, is clean', () => {
  // t0 (aborted) had written in-0 at output 0 offset 0; everything else moved up.
  const h = clean();
  const ab = out(I[0]!, 0, 10, 't0', 1);
  h.raw.push(raw(ab, 'aborted', '6'));
  assert.equal(eosAnomalyCount(checkEos(h)), 0);
  assert.equal(eosStats(h).transactions.aborted, 1);
});

test('lost: an input with no committed output, and an acknowledged input missing from the input log', () => {
  const h = clean();
  h.committed = h.committed.filter((o) => o.txn !== 't2');
  h.raw = h.raw.map((r) => (r.txn === 't2' ? { ...r, fate: 'aborted' as const } : r));
  let a = checkEos(h);
  onlyThese(a, 'lost');
  assert.deepEqual(
    a.lost.map((l) => l.id),
    ['in-2', 'in-3'],
  );
  assert.equal(a.lost[0]!.why, 'no committed output');

  const h2 = clean();
  h2.acked.push(inp(9, 1, 7));
  a = checkEos(h2);
  onlyThese(a, 'lost');
  assert.deepEqual(a.lost, [{ id: 'in-9', input: '1:7', why: 'acknowledged by the broker, not in the input log' }]);
});

test('duplicated: an input processed by two committed transactions (the offsets were not committed with the first)', () => {
  const h = clean();
  const again = out(I[2]!, 1, 5, 't3', 1);
  h.committed.push(again);
  h.raw.push(raw(again, 'committed'));
  const a = checkEos(h);
  onlyThese(a, 'duplicated');
  assert.deepEqual(a.duplicated, [{ id: 'in-2', input: '0:1', outputs: [{ partition: 0, offset: 2, txn: 't2' }, { partition: 1, offset: 5, txn: 't3' }] }]);
});

test('aborted read: read_committed returns a record of an aborted transaction (named once, not also as a duplicate)', () => {
  const h = clean();
  const ab = out(I[1]!, 0, 10, 't0', 1);
  h.committed.push(ab);
  h.raw.push(raw(ab, 'aborted', '6'));
  const a = checkEos(h);
  onlyThese(a, 'abortedRead');
  assert.deepEqual(a.abortedRead, [{ partition: 0, offset: 10, txn: 't0', id: 'in-1', fate: 'aborted' }]);
});

test('aborted read: a record of a transaction with no marker yet (uncommitted), or unknown to the raw log', () => {
  const h = clean();
  h.raw = h.raw.map((r) => (r.txn === 't2' ? { ...r, fate: 'open' as const } : r));
  let a = checkEos(h);
  onlyThese(a, 'abortedRead', 'lost');
  assert.deepEqual(
    a.abortedRead.map((x) => [x.id, x.fate]),
    [
      ['in-2', 'open'],
      ['in-3', 'open'],
    ],
  );

  const h2 = clean();
  h2.raw = h2.raw.filter((r) => r.offset !== 2 || r.partition !== 0);
  a = checkEos(h2);
  assert.deepEqual(
    a.abortedRead.map((x) => x.fate),
    ['not in the raw log'],
  );
  // An incomplete raw read proves nothing about what it did not reach.
  h2.complete.raw = false;
  onlyThese(checkEos(h2));
});

test('torn transaction: committed on one partition, aborted on the other', () => {
  const h = clean();
  h.committed = h.committed.filter((o) => !(o.txn === 't2' && o.partition === 1));
  h.raw = h.raw.map((r) => (r.txn === 't2' && r.partition === 1 ? { ...r, fate: 'aborted' as const } : r));
  const a = checkEos(h);
  onlyThese(a, 'tornTransaction', 'lost');
  assert.deepEqual(a.tornTransaction, [{ txn: 't2', size: 2, visible: 1, fates: { committed: 1, aborted: 1 }, visibleAt: [{ partition: 0, offset: 2, txn: 't2' }] }]);
  assert.equal(eosStats(h).transactions.mixed, 1);
});

test('torn transaction: the log says committed, read_committed skipped part of it', () => {
  const h = clean();
  h.committed = h.committed.filter((o) => !(o.txn === 't1' && o.partition === 0));
  const a = checkEos(h);
  onlyThese(a, 'tornTransaction', 'lost');
  assert.equal(a.tornTransaction[0]!.txn, 't1');
  assert.deepEqual(a.tornTransaction[0]!.fates, { committed: 2 });
});

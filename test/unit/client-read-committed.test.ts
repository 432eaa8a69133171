// The read_committed consumer's filter (src/client/read-committed.ts, through the consumer's
// decodeFetchedPartition): Fetch responses built here, with interleaved transactions of several
// producers, control batches and the aborted_transactions list, as a broker returns them. A
// random model (fast-check) checks that exactly the records of committed transactions and
// non-transactional ones come back, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeFetchedPartition } from '../../src/client/consumer.js';
import { CONTROL_ABORT, CONTROL_COMMIT, encodeRecordBatchSync } from '../../src/protocol/records/index.js';

type Step = { kind: 'data'; pid: number; txn: boolean; values: string[] } | { kind: 'marker'; pid: number; commit: boolean };

/** The log of these steps from offset 0 and the aborted transactions a broker would list for it. */
function build(steps: readonly Step[]): { records: Buffer; aborted: Array<{ producerId: bigint; firstOffset: bigint }>; end: number } {
  const parts: Buffer[] = [];
  const aborted: Array<{ producerId: bigint; firstOffset: bigint }> = [];
  const open = new Map<number, number>();
  let offset = 0;
  for (const s of steps) {
    if (s.kind === 'data') {
      if (s.txn && !open.has(s.pid)) open.set(s.pid, offset);
      parts.push(encodeRecordBatchSync({ baseOffset: offset, records: s.values.map((value) => ({ value })), producerId: s.pid, producerEpoch: 0, baseSequence: 0, transactional: s.txn }));
      offset += s.values.length;
    } else {
      const key = Buffer.alloc(4);
      key.writeInt16BE(s.commit ? CONTROL_COMMIT : CONTROL_ABORT, 2);
      const first = open.get(s.pid);
      if (!s.commit && first !== undefined) aborted.push({ producerId: BigInt(s.pid), firstOffset: BigInt(first) });
      open.delete(s.pid);
      parts.push(encodeRecordBatchSync({ baseOffset: offset, records: [{ key, value: Buffer.from([0, 0, 0, 0, 0, 0]) }], producerId: s.pid, producerEpoch: 0, baseSequence: -1, transactional: true, control: true }));
      offset += 1;
    }
  }
  return { records: Buffer.concat(parts), aborted, end: offset };
}

const values = async (steps: readonly Step[], readCommitted: boolean, shuffle = false): Promise<{ values: string[]; position: bigint }> => {
  const { records, aborted } = build(steps);
  const got = await decodeFetchedPartition('t', 0, 0n, { records, abortedTransactions: shuffle ? aborted.reverse() : aborted }, readCommitted);
  return { values: got.records.map((r) => r.value!.toString()), position: got.position };
};

const INTERLEAVED: Step[] = [
  { kind: 'data', pid: 1, txn: true, values: ['a1-0', 'a1-1'] },
  { kind: 'data', pid: 2, txn: true, values: ['c2-2'] },
  { kind: 'data', pid: 9, txn: false, values: ['plain-3'] },
  { kind: 'marker', pid: 1, commit: false },
  { kind: 'data', pid: 1, txn: true, values: ['c1-5'] },
  { kind: 'marker', pid: 2, commit: true },
  { kind: 'marker', pid: 1, commit: true },
  { kind: 'data', pid: 3, txn: true, values: ['a3-8', 'a3-9'] },
  { kind: 'marker', pid: 3, commit: false },
  { kind: 'data', pid: 1, txn: true, values: ['a1-11'] },
  { kind: 'marker', pid: 1, commit: false },
];

test('read_committed drops the aborted transactions of interleaved producers and every control batch', async () => {
  const rc = await values(INTERLEAVED, true);
  assert.deepEqual(rc.values, ['c2-2', 'plain-3', 'c1-5']);
  assert.equal(rc.position, 13n, 'the position moves past the dropped batches and markers');
  // The broker's list in any order.
  assert.deepEqual((await values(INTERLEAVED, true, true)).values, ['c2-2', 'plain-3', 'c1-5']);
});

test('read_uncommitted returns every data record, never a control record', async () => {
  const ru = await values(INTERLEAVED, false);
  assert.deepEqual(ru.values, ['a1-0', 'a1-1', 'c2-2', 'plain-3', 'c1-5', 'a3-8', 'a3-9', 'a1-11']);
  assert.equal(ru.position, 13n);
});

test('a fetch from the middle of an aborted transaction still drops its tail (the list names its first offset)', async () => {
  const { records, aborted } = build(INTERLEAVED);
  const got = await decodeFetchedPartition('t', 0, 1n, { records, abortedTransactions: aborted }, true);
  assert.deepEqual(got.records.map((r) => r.value!.toString()), ['c2-2', 'plain-3', 'c1-5']);
  // Without the aborted list (a broker that gives none) the records of aborted transactions come back: the list is what filters.
  const none = await decodeFetchedPartition('t', 0, 0n, { records, abortedTransactions: null }, true);
  assert.equal(none.records.length, 8);
});

test('random interleavings: read_committed returns exactly the committed and non-transactional records, in offset order', async () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('data' as const), pid: fc.integer({ min: 1, max: 4 }), txn: fc.boolean(), n: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant('end' as const), pid: fc.integer({ min: 1, max: 4 }), commit: fc.boolean() }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
      // A model of the log: each producer's open transaction collects its values until its marker.
      const steps: Step[] = [];
      const open = new Map<number, string[]>();
      const committed = new Set<string>();
      let v = 0;
      for (const o of ops) {
        if (o.kind === 'data') {
          const vals = Array.from({ length: o.n }, () => `v${v++}`);
          steps.push({ kind: 'data', pid: o.pid, txn: o.txn, values: vals });
          if (!o.txn) vals.forEach((x) => committed.add(x));
          else open.set(o.pid, [...(open.get(o.pid) ?? []), ...vals]);
        } else if (open.has(o.pid)) {
          steps.push({ kind: 'marker', pid: o.pid, commit: o.commit });
          if (o.commit) open.get(o.pid)!.forEach((x) => committed.add(x));
          open.delete(o.pid);
        }
      }
      // A broker returns nothing from the LSO on (the first record of the earliest open transaction).
      const firstOpen = Math.min(...[...open.values()].map((vals) => Number(vals[0]!.slice(1))));
      const cut: Step[] = [];
      for (const s of steps) {
        if (s.kind === 'data' && s.values.some((x) => Number(x.slice(1)) >= firstOpen)) break;
        cut.push(s);
      }
      const expected = cut.flatMap((s) => (s.kind === 'data' ? s.values.filter((x) => committed.has(x)) : []));
      // The aborted list is the broker's index of completed aborts: also those whose marker is above the LSO.
      const { records } = build(cut);
      const { aborted } = build(steps);
      const got = await decodeFetchedPartition('t', 0, 0n, { records, abortedTransactions: aborted }, true);
      assert.deepEqual(got.records.map((r) => r.value!.toString()), expected);
    }),
    { numRuns: 300 },
  );
});

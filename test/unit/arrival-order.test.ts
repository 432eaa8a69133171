// ArrivalOrder: steps start in arrival order per key though their checks settle out of order; a
// failed check still lets later steps through; another key is not held up; no check, no wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArrivalOrder } from '../../src/broker/arrival-order.js';

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

test('steps start in arrival order, whatever order the checks settle in', async () => {
  const order = new ArrivalOrder<object>();
  const a = {};
  const b = {};
  const started: string[] = [];
  const step = (name: string) => async (v: number) => {
    started.push(`${name}:${v}`);
    return v;
  };
  const c1 = deferred<number>();
  const c2 = deferred<number>();
  const c3 = deferred<number>();
  const r1 = order.run(a, c1.promise, step('1'));
  const r2 = order.run(a, c2.promise, step('2'));
  const r3 = order.run(a, c3.promise, step('3'));
  const other = order.run(b, 9, step('b')); // another key, no check pending: at once
  assert.deepEqual(started, ['b:9']);
  c3.resolve(3);
  c2.reject(new Error('bad records'));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, ['b:9'], 'nothing starts before the first check settles');
  c1.resolve(1);
  assert.equal(await r1, 1);
  await assert.rejects(r2, /bad records/);
  assert.equal(await r3, 3);
  assert.equal(await other, 9);
  assert.deepEqual(started, ['b:9', '1:1', '3:3']);
  // Everything settled: a synchronous check runs its step without waiting.
  const late = order.run(a, 4, step('4'));
  assert.deepEqual(started.at(-1), '4:4');
  assert.equal(await late, 4);
});

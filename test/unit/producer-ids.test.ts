// Producer ids come from claimed blocks: never twice, also when many ask at once, and a block
// is persisted before any id of it is handed out; a failed claim fails that call only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProducerIdManager, fileBlocks } from '../../src/broker/producer-ids.js';

test('concurrent callers get distinct ids; a block is saved before its ids go out', async () => {
  const saved: number[] = [];
  let handedOut = 0;
  const m = new ProducerIdManager(
    fileBlocks(5000, async (upTo) => {
      assert.ok(handedOut <= (saved.at(-1) ?? 5000), 'no id beyond the saved counter');
      saved.push(upTo);
    }),
    100,
  );
  const ids = await Promise.all(
    Array.from({ length: 250 }, async () => {
      const id = await m.nextId();
      handedOut = Math.max(handedOut, Number(id) + 1);
      return id;
    }),
  );
  assert.equal(new Set(ids.map(String)).size, 250);
  assert.deepEqual([...ids].sort((a, b) => Number(a - b))[0], 5000n);
  assert.deepEqual(saved, [5100, 5200, 5300]);
});

test('a failed claim rejects that call; the next one claims again', async () => {
  let fail = true;
  const m = new ProducerIdManager(async (size) => {
    if (fail) throw new Error('disk full');
    return { start: 40, end: 40 + size };
  }, 10);
  await assert.rejects(m.nextId(), /disk full/);
  fail = false;
  assert.equal(await m.nextId(), 40n);
  assert.equal(await m.nextId(), 41n);
});

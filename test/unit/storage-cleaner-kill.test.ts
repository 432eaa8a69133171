// kill -9 in the middle of a cleaning: a child cleans a compacted log (50 keys x 40 versions,
// tombstones for 10 keys) and is SIGKILLed at points spread over the cleaning, the swap included.
// Each time the reopened log reads back with the same latest value per key, no .cleaned or .swap
// file survives, and a cleaning afterwards completes to the 40 latest values and the tombstones.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appendKV, COMPACT, latest, openManager, readAll, T0, tempDir } from './helpers/cleaner-log.js';

const here = dirname(fileURLToPath(import.meta.url));
const roots: string[] = [];
after(async () => {
  for (const d of roots) await rm(d, { recursive: true, force: true });
});

/** Runs the child on `dir`; kills it `delayMs` after it starts cleaning (never when undefined). Returns its "done" time or undefined. */
function runChild(dir: string, delayMs: number | undefined): Promise<number | undefined> {
  const child = spawn(process.execPath, [join(here, 'helpers', 'cleaner-kill-child.js'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let done: number | undefined;
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => resolve(done));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('start\n') && delayMs !== undefined && !child.killed) {
        const t = setTimeout(() => child.kill('SIGKILL'), delayMs);
        delayMs = undefined;
        child.on('exit', () => clearTimeout(t));
      }
      const m = /done ([\d.]+)\n/.exec(out);
      if (m && done === undefined) {
        done = Number(m[1]);
        child.kill('SIGKILL');
      }
    });
  });
}

test('kill -9 at any point of a cleaning leaves a readable log with the same latest value per key', { timeout: 120_000 }, async () => {
  const root = await tempDir('trib-cleaner-kill-');
  roots.push(root);
  const pristine = join(root, 'pristine');
  const clock = { now: T0 };
  const lm = await openManager(pristine, clock);
  const log = await lm.getOrCreateLog('cmp', 0, { config: { ...COMPACT, segmentBytes: 32 * 1024 } });
  for (let v = 0; v < 40; v++) {
    for (let k = 0; k < 50; k += 5) {
      await appendKV(log, Array.from({ length: 5 }, (_, i) => ({ key: `k${k + i}`, value: `v${v}-k${k + i}-`.padEnd(500, 'x') })), clock);
    }
  }
  await appendKV(log, Array.from({ length: 10 }, (_, k) => ({ key: `k${k}`, value: null })), clock);
  clock.now += 8 * 24 * 3600 * 1000;
  await appendKV(log, [{ key: 'filler', value: 'f' }], clock);
  const want = latest(await readAll(log));
  assert.equal(want.size, 51);
  await lm.close();

  const full = join(root, 'full');
  await cp(pristine, full, { recursive: true });
  const duration = await runChild(full, undefined);
  assert.ok(duration !== undefined, 'the child finished a cleaning');

  // A few points over the map building and rewriting, most over the end, where the swaps run.
  const delays = [0, 0.15, 0.3, 0.45, ...Array.from({ length: 12 }, (_, j) => 0.55 + j * 0.06)].map((f) => duration * f);
  for (let i = 0; i < delays.length; i++) {
    const dir = join(root, `kill-${i}`);
    await cp(pristine, dir, { recursive: true });
    // From right at the start to a bit past the measured end (the swap runs at the end).
    await runChild(dir, delays[i]);
    const opened = await openManager(dir, { now: T0 + 9 * 24 * 3600 * 1000 });
    const got = opened.getLog('cmp', 0)!;
    const recs = await readAll(got);
    assert.deepEqual(latest(recs), want, `kill point ${i}`);
    for (let j = 1; j < recs.length; j++) assert.ok(recs[j]!.offset > recs[j - 1]!.offset);
    const names = await readdir(join(dir, 'cmp-0'));
    assert.deepEqual(names.filter((n) => n.endsWith('.cleaned') || n.endsWith('.swap')), [], `kill point ${i}`);
    // The next cleaning completes: one record per key is left.
    await opened.cleaner.cleanFilthiest();
    const cleaned = await readAll(got);
    assert.deepEqual(latest(cleaned), want);
    assert.equal(cleaned.length, 51, `kill point ${i}`);
    await opened.close();
  }
});

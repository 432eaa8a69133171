// kill -9 durability: a child appends with flush.messages=1 and is SIGKILLed mid-stream; reopening
// the log must keep every acknowledged record, with offsets and producer state intact.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Log } from '../../src/storage/index.js';
import { readBatchHeader } from '../../src/protocol/records/batch-header.js';
import { valueBatch } from './helpers/storage-batches.js';

const here = dirname(fileURLToPath(import.meta.url));
const roots: string[] = [];
after(async () => {
  for (const d of roots) await rm(d, { recursive: true, force: true });
});

async function runAndKill(dir: string, acksBeforeKill: number): Promise<Map<number, [number, number]>> {
  const child = spawn(process.execPath, [join(here, 'helpers', 'storage-kill-child.js'), dir, '4'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acks = new Map<number, [number, number]>();
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => resolve());
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /^ack (\d+) (\d+) (\d+)$/.exec(line);
        if (m) acks.set(Number(m[1]), [Number(m[2]), Number(m[3])]);
        if (acks.size >= acksBeforeKill && !child.killed) child.kill('SIGKILL');
      }
    });
  });
  return acks;
}

test('kill -9 mid-stream loses no acknowledged append', { timeout: 60_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'trib-kill-'));
  roots.push(root);
  const dir = join(root, 'kill-0');
  let total = 0;
  for (let round = 0; round < 3; round++) {
    const acks = await runAndKill(dir, 300 + round * 100);
    assert.ok(acks.size >= 300);
    total += acks.size;
    const log = await Log.open(dir, { topic: 'kill', partition: 0, config: { segmentBytes: 64 * 1024 }, recoveryPoint: 0 });
    const maxAcked = Math.max(...[...acks.values()].map(([, l]) => l));
    assert.ok(log.logEndOffset > maxAcked, `LEO ${log.logEndOffset} must cover acked offset ${maxAcked}`);
    // Every acknowledged batch is there, at its offset, with its sequence.
    const seen = new Map<number, number>();
    let off = 0;
    while (off < log.logEndOffset) {
      const data = await log.read(off, 1 << 20);
      let at = 0;
      while (at < data.length) {
        const h = readBatchHeader(data, at);
        seen.set(h.baseOffset, h.baseSequence);
        off = h.baseOffset + h.lastOffsetDelta + 1;
        at += h.size;
      }
    }
    for (const [seqNo, [base]] of acks) assert.equal(seen.get(base), seqNo, `acked seq ${seqNo} at ${base}`);
    // Offsets are dense.
    for (let o = 0; o < log.logEndOffset; o++) assert.ok(seen.has(o), `offset ${o} present`);
    // Producer state rebuilt: the newest batch is a duplicate, the next sequence continues.
    const lastSeq = seen.get(log.logEndOffset - 1)!;
    const dup = await log.append(valueBatch([`value-${lastSeq}`], { producerId: 42n, producerEpoch: 0, baseSequence: lastSeq }));
    assert.equal(dup.duplicate, true);
    assert.equal(dup.baseOffset, log.logEndOffset - 1);
    await log.close();
  }
  assert.ok(total >= 900);
});

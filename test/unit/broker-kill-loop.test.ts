// kill -9 of a broker process (`tributary server-start`) in a loop while 8 producers send with
// acks=-1, 20 times per flush policy. After every restart:
// - every acknowledged record is there, at the offset it was given, and offsets are dense;
// - every .log is whole valid batches (CRC checked), and its .index and .timeindex on disk are
//   a prefix of the ones rebuilt from the .log (equal where the broker recovered the segment).
// With log.flush.interval.messages=1 an acknowledged record was fsynced; with the default
// page-cache policy it was only written, which a process kill (unlike a power cut) keeps too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Connection } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { decodeRecordSetSync } from '../../src/protocol/records/index.js';
import { OffsetIndex, TimeIndex } from '../../src/storage/indexes.js';
import { scanForRecovery } from '../../src/storage/segment-recovery.js';
import { batch, createTopic, fetchRequest, produceRequest } from './helpers/broker-client.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/tributary.mjs');
const KILLS = 20;
const ACKS_PER_ROUND = 60;

function startProcess(props: string): Promise<{ child: ChildProcess; port: number; lines: string[] }> {
  const child = spawn(process.execPath, [cli, 'server-start', props, '--override', 'listeners=PLAINTEXT://127.0.0.1:0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'info' },
  });
  const lines: string[] = [];
  return new Promise((resolvePort, reject) => {
    const rl = createInterface({ input: child.stderr! });
    const timer = setTimeout(() => reject(new Error('broker did not start within 20 s')), 20_000);
    rl.on('line', (line) => {
      lines.push(line);
      const m = /"listener":"PLAINTEXT:\/\/[^"]*:(\d+)"/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolvePort({ child, port: Number(m[1]), lines });
      }
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code} before listening: ${lines.join('\n')}`)));
  });
}

/** Checks a partition dir's files: whole valid batches, indexes agreeing with the .log. */
async function checkFiles(dir: string, recovered: boolean): Promise<void> {
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.log')).sort()) {
    const base = Number(name.slice(0, 20));
    const path = join(dir, name);
    const fh = await open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      const oi = new OffsetIndex(join(dir, 'check.index'), base, 10 * 1024 * 1024);
      const ti = new TimeIndex(join(dir, 'check.timeindex'), base, 10 * 1024 * 1024);
      oi.reset();
      ti.reset();
      const scan = await scanForRecovery(fh, { baseOffset: base, fileSize: size, indexIntervalBytes: 4096, canHoldOffset: () => true, offsetIndex: oi, timeIndex: ti });
      assert.equal(scan.valid, size, `${path}: ${size - scan.valid} bytes after the last valid batch`);
      const disk = await readFile(join(dir, name.replace('.log', '.index')));
      const diskTime = await readFile(join(dir, name.replace('.log', '.timeindex')));
      assert.ok(oi.bytes().subarray(0, disk.length).equals(disk), `${path}: .index is not a prefix of the rebuilt index`);
      assert.ok(ti.bytes().subarray(0, diskTime.length).equals(diskTime), `${path}: .timeindex is not a prefix of the rebuilt one`);
      if (recovered) {
        assert.equal(disk.length, oi.bytes().length, `${path}: the recovered .index is whole`);
        assert.equal(diskTime.length, ti.bytes().length, `${path}: the recovered .timeindex is whole`);
      }
    } finally {
      await fh.close();
    }
  }
}

async function readAll(conn: Connection, topic: string): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  let offset = 0;
  for (;;) {
    const res = await conn.send(ApiKey.Fetch, fetchRequest({ topic, offset, maxBytes: 1 << 20 }), { version: 12 });
    const part = res.responses[0]!.partitions[0]!;
    assert.equal(part.errorCode, 0);
    const batches = decodeRecordSetSync(part.records ?? Buffer.alloc(0));
    if (batches.length === 0) return found;
    for (const b of batches) for (const r of b.records) found.set(r.offset, r.value!.toString());
    offset = batches.at(-1)!.header.baseOffset + batches.at(-1)!.header.lastOffsetDelta + 1;
  }
}

for (const policy of ['flush.messages=1', 'page cache'] as const) {
  test(`kill -9 ${KILLS} times while producing with acks=-1 (${policy})`, { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-killloop-'));
    const props = join(dir, 'server.properties');
    const flush = policy === 'flush.messages=1' ? 'log.flush.interval.messages=1\n' : '';
    // A small index interval gives the indexes entries to check.
    await writeFile(props, `node.id=1\nlog.dirs=${join(dir, 'data')}\n${flush}log.index.interval.bytes=512\nauto.create.topics.enable=false\n`);
    const acked = new Map<number, string>();
    let sent = 0;
    let recoveries = 0;
    try {
      for (let round = 0; round <= KILLS; round++) {
        const b = await startProcess(props);
        const exited = new Promise<void>((r) => b.child.once('exit', () => r()));
        try {
          const conn = await Connection.connect({ host: '127.0.0.1', port: b.port });
          if (round === 0) await createTopic(conn, 'loop');
          else {
            // What the restart recovered, checked on disk before anything new is appended.
            const recovered = b.lines.some((l) => l.includes('"partition":"loop-0"') && l.includes('recoveredSegments'));
            await checkFiles(join(dir, 'data', 'loop-0'), recovered);
            if (recovered) recoveries++;
            const found = await readAll(conn, 'loop');
            for (const [off, value] of acked) assert.equal(found.get(off), value, `round ${round}: acknowledged offset ${off} is missing or changed`);
            const offsets = [...found.keys()].sort((x, y) => x - y);
            assert.deepEqual(offsets, offsets.map((_v, i) => i), `round ${round}: offsets are dense from 0`);
          }
          if (round === KILLS) {
            await conn.close();
            break;
          }
          let killed = false;
          const goal = acked.size + ACKS_PER_ROUND;
          const producer = async (): Promise<void> => {
            while (!killed) {
              const value = `v${sent++}`;
              try {
                const res = await conn.send(ApiKey.Produce, produceRequest('loop', 0, batch([value, `${value}-b`]), -1), { version: 9 });
                const p = res.responses[0]!.partitionResponses[0]!;
                assert.equal(p.errorCode, 0);
                acked.set(Number(p.baseOffset), value);
                acked.set(Number(p.baseOffset) + 1, `${value}-b`);
                if (acked.size >= goal && !killed) {
                  killed = true;
                  b.child.kill('SIGKILL');
                }
              } catch (err) {
                if (!killed) throw err;
                return; // the connection died with the broker: not acknowledged
              }
            }
          };
          await Promise.all(Array.from({ length: 8 }, producer));
          await exited;
          await conn.close().catch(() => undefined);
        } finally {
          if (b.child.exitCode === null && b.child.signalCode === null) {
            b.child.kill('SIGKILL');
            await exited;
          }
        }
      }
      assert.ok(acked.size >= KILLS * ACKS_PER_ROUND);
      // Each restart after a kill found no clean shutdown marker and recovered the log.
      assert.equal(recoveries, KILLS);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

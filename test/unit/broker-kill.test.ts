// kill -9 of a whole broker process: every record acknowledged with acks=-1 under
// log.flush.interval.messages=1 is there after a restart, at the offset it was given, and the log
// keeps dense offsets. The broker runs as `tributary server-start`, as an operator would run it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Connection } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { decodeRecordSetSync } from '../../src/protocol/records/index.js';
import { batch, createTopic, fetchRequest, produceRequest } from './helpers/broker-client.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/tributary.mjs');

/** Starts `tributary server-start` and resolves with the child and its bound port (from its log). */
function startProcess(props: string, overrides: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [cli, 'server-start', props, ...overrides.flatMap((o) => ['--override', o])], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'info' },
  });
  return new Promise((resolvePort, reject) => {
    const lines = createInterface({ input: child.stderr! });
    const timer = setTimeout(() => reject(new Error('broker did not start within 20 s')), 20_000);
    lines.on('line', (line) => {
      const m = /"listener":"PLAINTEXT:\/\/[^"]*:(\d+)"/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolvePort({ child, port: Number(m[1]) });
      }
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code} before listening`)));
  });
}

test('kill -9 loses nothing that was acknowledged with acks=-1 and flush.messages=1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-kill-'));
  const props = join(dir, 'server.properties');
  await writeFile(props, `node.id=1\nlog.dirs=${join(dir, 'data')}\nlog.flush.interval.messages=1\nauto.create.topics.enable=false\n`);
  const overrides = ['listeners=PLAINTEXT://127.0.0.1:0'];
  try {
    const first = await startProcess(props, overrides);
    const acked = new Map<number, string>();
    let conn = await Connection.connect({ host: '127.0.0.1', port: first.port });
    await createTopic(conn, 'durable');
    // Keep 8 produce requests in flight; kill the broker once 300 have been acknowledged.
    const exited = new Promise<void>((r) => first.child.once('exit', () => r()));
    let sent = 0;
    let killed = false;
    const producer = async (): Promise<void> => {
      while (!killed) {
        const value = `v${sent++}`;
        try {
          const res = await conn.send(ApiKey.Produce, produceRequest('durable', 0, batch([value]), -1), { version: 12 });
          const p = res.responses[0]!.partitionResponses[0]!;
          assert.equal(p.errorCode, 0);
          acked.set(Number(p.baseOffset), value);
          if (acked.size >= 300 && !killed) {
            killed = true;
            first.child.kill('SIGKILL');
          }
        } catch {
          return; // the connection died with the broker: this record was never acknowledged
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, producer));
    await exited;
    await conn.close();
    assert.ok(acked.size >= 300);

    const second = await startProcess(props, overrides);
    try {
      conn = await Connection.connect({ host: '127.0.0.1', port: second.port });
      const found = new Map<number, string>();
      let offset = 0;
      for (;;) {
        const res = await conn.send(ApiKey.Fetch, fetchRequest({ topic: 'durable', offset, maxBytes: 1 << 20 }), { version: 12 });
        const part = res.responses[0]!.partitions[0]!;
        assert.equal(part.errorCode, 0);
        const batches = decodeRecordSetSync(part.records ?? Buffer.alloc(0));
        if (batches.length === 0) break;
        for (const b of batches) for (const r of b.records) found.set(r.offset, r.value!.toString());
        offset = batches.at(-1)!.header.baseOffset + batches.at(-1)!.header.lastOffsetDelta + 1;
      }
      for (const [off, value] of acked) assert.equal(found.get(off), value, `acknowledged offset ${off} is missing or changed`);
      const offsets = [...found.keys()].sort((a, b) => a - b);
      assert.deepEqual(offsets, offsets.map((_v, i) => i), 'offsets are dense from 0');
      await conn.close();
    } finally {
      second.child.kill('SIGTERM');
      await new Promise<void>((r) => second.child.once('exit', () => r()));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

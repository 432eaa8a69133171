// A really full disk: the broker process (`tributary server-start`) keeps its log dir on a small
// tmpfs the test mounts, and a filler file takes the space. Producers get KAFKA_STORAGE_ERROR,
// reads keep working, no partial batch becomes visible, and once the filler goes the broker
// takes appends again and restarts on the same log. Mounting needs root (CAP_SYS_ADMIN): without
// it the test is skipped, and storage-faults.test.ts covers the same answers through the
// injected-fault seam.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Connection } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { decodeRecordSetSync } from '../../src/protocol/records/index.js';
import { batch, createTopic, fetchRequest, produceRequest } from './helpers/broker-client.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/tributary.mjs');

function startProcess(props: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [cli, 'server-start', props, '--override', 'listeners=PLAINTEXT://127.0.0.1:0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'info' },
  });
  return new Promise((resolvePort, reject) => {
    const rl = createInterface({ input: child.stderr! });
    const timer = setTimeout(() => reject(new Error('broker did not start within 20 s')), 20_000);
    rl.on('line', (line) => {
      const m = /"listener":"PLAINTEXT:\/\/[^"]*:(\d+)"/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolvePort({ child, port: Number(m[1]) });
      }
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code} before listening`)));
  });
}

function tryMount(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('a full disk (tmpfs): KAFKA_STORAGE_ERROR, reads go on, no partial batch, appends resume when space returns', { timeout: 60_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-full-'));
  const mnt = join(dir, 'mnt');
  await mkdir(mnt);
  if (!tryMount(mnt)) {
    await rm(dir, { recursive: true, force: true });
    t.skip('cannot mount a tmpfs here (needs root); storage-faults.test.ts injects the same faults');
    return;
  }
  const props = join(dir, 'server.properties');
  await writeFile(props, `node.id=1\nlog.dirs=${join(mnt, 'data')}\nauto.create.topics.enable=false\n`);
  let broker: { child: ChildProcess; port: number } | undefined;
  const stop = async (): Promise<void> => {
    const b = broker!;
    broker = undefined;
    if (b.child.exitCode !== null) return;
    const exited = new Promise<void>((r) => b.child.once('exit', () => r()));
    b.child.kill('SIGTERM');
    await exited;
  };
  try {
    broker = await startProcess(props);
    let conn = await Connection.connect({ host: '127.0.0.1', port: broker.port });
    await createTopic(conn, 'full');
    const produce = async (value: string): Promise<number> => {
      const res = await conn.send(ApiKey.Produce, produceRequest('full', 0, batch([value]), -1), { version: 9 });
      return res.responses[0]!.partitionResponses[0]!.errorCode;
    };
    const values = async (): Promise<string[]> => {
      const out: string[] = [];
      let offset = 0;
      for (;;) {
        const res = await conn.send(ApiKey.Fetch, fetchRequest({ topic: 'full', offset }), { version: 12 });
        const p = res.responses[0]!.partitions[0]!;
        assert.equal(p.errorCode, 0);
        const batches = decodeRecordSetSync(p.records ?? Buffer.alloc(0));
        if (batches.length === 0) return out;
        for (const b of batches) for (const r of b.records) out.push(r.value!.toString());
        offset = batches.at(-1)!.header.baseOffset + batches.at(-1)!.header.lastOffsetDelta + 1;
      }
    };
    const acked: string[] = [];
    for (let i = 0; i < 5; i++) {
      assert.equal(await produce(`before-${i}`), ErrorCode.NONE);
      acked.push(`before-${i}`);
    }
    // Take all but ~20 KB of the space.
    const s = await statfs(mnt);
    const filler = join(mnt, 'filler');
    await writeFile(filler, Buffer.alloc(Math.max(0, Number(s.bavail * s.bsize) - 20 * 1024)));
    let refused = 0;
    const big = 'x'.repeat(3000);
    for (let i = 0; i < 200 && refused === 0; i++) {
      const code = await produce(`${big}-${i}`);
      if (code === ErrorCode.NONE) acked.push(`${big}-${i}`);
      else {
        assert.equal(code, ErrorCode.KAFKA_STORAGE_ERROR);
        refused++;
      }
    }
    assert.equal(refused, 1, 'the full disk refused an append');
    assert.equal(await produce(`${big}-again`), ErrorCode.KAFKA_STORAGE_ERROR, 'and refuses the next while full');
    assert.deepEqual(await values(), acked, 'reads work, and show exactly the acknowledged records');
    await rm(filler);
    assert.equal(await produce('after'), ErrorCode.NONE, 'space is back: appends resume');
    acked.push('after');
    assert.deepEqual(await values(), acked);
    await conn.close();
    await stop();
    broker = await startProcess(props);
    conn = await Connection.connect({ host: '127.0.0.1', port: broker.port });
    assert.deepEqual(await values(), acked, 'the log reopens whole');
    await conn.close();
  } finally {
    if (broker) await stop();
    execFileSync('umount', [mnt], { stdio: 'ignore' });
    await rm(dir, { recursive: true, force: true });
  }
});

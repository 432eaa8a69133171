// Faults injected through the storage I/O seam (src/storage/io-hooks.ts), so these run without
// root: group commit counted in fsyncs, and a full disk (ENOSPC after a short write) or an I/O
// error under a running broker. The same full disk on a real tmpfs is broker-disk-full.test.ts.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log, ioError, setStorageIoHooks, type StorageFileKind } from '../../src/storage/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { decodeRecordSetSync } from '../../src/protocol/records/index.js';
import { valueBatch, batchOffsets } from './helpers/storage-batches.js';
import { batch, connect, createTopic, fetchRequest, produceRequest, startBroker } from './helpers/broker-client.js';

afterEach(() => setStorageIoHooks(undefined));

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

test('group commit: appends that arrive while an fsync runs share the next one (flush.messages=1)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'trib-gc-'));
  try {
    const log = await Log.open(dir, { topic: 'gc', partition: 0, config: { flushMessages: 1 } });
    const syncs: StorageFileKind[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held = false;
    setStorageIoHooks({
      sync(kind) {
        syncs.push(kind);
        if (kind === 'log' && !held) {
          held = true;
          return gate; // the first .log fsync stays in flight until released
        }
      },
    });
    const first = log.append(valueBatch(['first']));
    await until(() => held, 'the first fsync to start');
    // Ten appends, each written while that fsync runs; none is acknowledged before an fsync covers it.
    let acked = 0;
    const later = Array.from({ length: 10 }, (_v, i) => log.append(valueBatch([`later-${i}`])).then((r) => (acked++, r)));
    await until(() => log.logEndOffset === 11, 'the ten appends to be written');
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(acked, 0, 'no append is acknowledged before its fsync');
    assert.equal(syncs.filter((k) => k === 'log').length, 1);
    release();
    const results = await Promise.all([first, ...later]);
    assert.deepEqual(
      results.map((r) => r.baseOffset),
      Array.from({ length: 11 }, (_v, i) => i),
    );
    // One fsync for the first append, one more for the ten that arrived meanwhile.
    assert.equal(syncs.filter((k) => k === 'log').length, 2, `fsyncs: ${syncs.join(',')}`);
    assert.equal(log.recoveryPoint, 11);
    await log.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a write error on the log fails that append only: nothing of it stays, later appends go on', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'trib-enospc-'));
  try {
    const log = await Log.open(dir, { topic: 'full', partition: 0 });
    await log.append(valueBatch(['a', 'b']));
    const sizeBefore = (await stat(join(dir, '00000000000000000000.log'))).size;
    let fail = true;
    setStorageIoHooks({
      // A full disk: half the batch is written, then ENOSPC.
      write: (kind, bytes) => (kind === 'log' && fail ? { error: ioError('ENOSPC', 'write'), writeFirst: Math.floor(bytes / 2) } : undefined),
    });
    await assert.rejects(log.append(valueBatch(['lost'])), (e: Error & { code?: number }) => {
      assert.equal(e.name, 'StorageIoError');
      assert.equal(e.code, ErrorCode.KAFKA_STORAGE_ERROR);
      assert.match(e.message, /Error while appending records to full-0 in dir .*ENOSPC/);
      return true;
    });
    assert.equal(log.logEndOffset, 2);
    assert.equal((await stat(join(dir, '00000000000000000000.log'))).size, sizeBefore, 'the short write was cut off');
    assert.deepEqual(batchOffsets(await log.read(0, 1 << 20)).map((b) => b.lastOffset), [1]);
    fail = false;
    const r = await log.append(valueBatch(['after']));
    assert.equal(r.baseOffset, 2);
    await log.close();
    const again = await Log.open(dir, { topic: 'full', partition: 0 });
    assert.deepEqual(batchOffsets(await again.read(0, 1 << 20)).map((b) => [b.baseOffset, b.lastOffset]), [[0, 1], [2, 2]]);
    await again.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a full disk under a running broker: KAFKA_STORAGE_ERROR, reads keep working, no partial batch, produce resumes', async () => {
  const tb = await startBroker();
  try {
    const conn = await connect(tb);
    await createTopic(conn, 'disk', 1, { 'flush.messages': '1' });
    const produce = async (v: string): Promise<{ errorCode: number; baseOffset: bigint }> => {
      const res = await conn.send(ApiKey.Produce, produceRequest('disk', 0, batch([v]), -1), { version: 9 });
      return res.responses[0]!.partitionResponses[0]!;
    };
    const values = async (): Promise<string[]> => {
      const res = await conn.send(ApiKey.Fetch, fetchRequest({ topic: 'disk', offset: 0 }), { version: 12 });
      const p = res.responses[0]!.partitions[0]!;
      assert.equal(p.errorCode, 0);
      return decodeRecordSetSync(p.records ?? Buffer.alloc(0)).flatMap((b) => b.records.map((r) => r.value!.toString()));
    };
    for (const v of ['v0', 'v1', 'v2']) assert.equal((await produce(v)).errorCode, 0);
    for (const mode of ['ENOSPC', 'EIO', 'fsync'] as const) {
      setStorageIoHooks({
        write: (kind, bytes) => (kind === 'log' && mode !== 'fsync' ? { error: ioError(mode, 'write'), writeFirst: bytes - 1 } : undefined),
        sync: (kind) => {
          if (kind === 'log' && mode === 'fsync') throw ioError('EIO', 'fsync');
        },
      });
      const r = await produce(`lost-${mode}`);
      assert.equal(r.errorCode, ErrorCode.KAFKA_STORAGE_ERROR, mode);
      setStorageIoHooks(undefined);
      // Reads keep working, and no partial batch is visible. (A failed fsync leaves whole,
      // written records: the producer was told they may not be durable, as Kafka tells it.)
      const seen = await values();
      if (mode === 'fsync') assert.deepEqual(seen.slice(-1), [`lost-${mode}`]);
      else assert.ok(!seen.includes(`lost-${mode}`), `${mode}: ${seen.join(',')}`);
    }
    assert.equal((await produce('after')).errorCode, 0);
    const seen = await values();
    assert.deepEqual(seen, ['v0', 'v1', 'v2', 'lost-fsync', 'after']);
    await conn.close();
    // The broker reopens the same log cleanly.
    await tb.restart();
    const c2 = await connect(tb);
    const res = await c2.send(ApiKey.Fetch, fetchRequest({ topic: 'disk', offset: 0 }), { version: 12 });
    const got = decodeRecordSetSync(res.responses[0]!.partitions[0]!.records ?? Buffer.alloc(0)).flatMap((b) => b.records.map((r) => r.value!.toString()));
    assert.deepEqual(got, ['v0', 'v1', 'v2', 'lost-fsync', 'after']);
    await c2.close();
  } finally {
    setStorageIoHooks(undefined);
    await tb.close();
  }
});

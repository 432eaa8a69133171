/**
 * Throws mutated segment files at the log cleaner's reading side (batch-io.ts, the key and record
 * decoding of the offset map and the batch filter): a cleaning either completes or fails with one
 * of the typed errors (CorruptSegmentError, the record decoders' DecodeError, CompressionError),
 * and a failed cleaning leaves no .cleaned file behind. Some mutations get their CRC fixed so the
 * decoders behind the CRC check are reached. Deterministic (fixed seed).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Compression, OFF, computeBatchCrc, encodeEndTxnMarker, encodeRecordBatchSync } from '../../src/protocol/records/index.js';
import { cleanLog } from '../../src/storage/cleaner/clean-log.js';
import type { CleanJob } from '../../src/storage/cleaner/job.js';
import { offsetFileName } from '../../src/storage/files.js';
import { tempDir } from './helpers/cleaner-log.js';

const roots: string[] = [];
after(async () => {
  for (const d of roots) await rm(d, { recursive: true, force: true });
});

let seed = 12345;
function rnd(n: number): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
}

function segmentBytes(): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const codecs = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd];
  for (let i = 0; i < 8; i++) {
    const n = 1 + rnd(4);
    const b = encodeRecordBatchSync({
      records: Array.from({ length: n }, (_, j) => ({ key: rnd(5) === 0 ? null : `k${rnd(6)}`, value: rnd(4) === 0 ? null : `v${i}-${j}` })),
      compression: codecs[rnd(codecs.length)]!,
      baseOffset: offset,
      ...(rnd(3) === 0 ? { producerId: 9n, producerEpoch: 0, baseSequence: offset, transactional: true } : {}),
    });
    parts.push(b);
    offset += n;
    if (rnd(4) === 0) {
      const m = encodeEndTxnMarker({ producerId: 9n, producerEpoch: 0, coordinatorEpoch: 0, commit: rnd(2) === 0 });
      m.writeBigInt64BE(BigInt(offset), OFF.baseOffset);
      parts.push(m);
      offset += 1;
    }
  }
  return Buffer.concat(parts);
}

const ALLOWED = new Set(['CorruptSegmentError', 'DecodeError', 'CorruptRecordError', 'CompressionError']);

test('mutated segments: a cleaning completes or fails with a typed error, leaving no .cleaned file', { timeout: 120_000 }, async () => {
  const root = await tempDir('trib-fuzz-cleaner-');
  roots.push(root);
  const errors = new Map<string, number>();
  for (let iter = 0; iter < 500; iter++) {
    const dir = join(root, `p-${iter}`);
    await mkdir(dir);
    const data = segmentBytes();
    const mutations = 1 + rnd(4);
    for (let m = 0; m < mutations; m++) data[rnd(data.length)] = rnd(256);
    if (rnd(2) === 0) {
      // Fix the CRC of every batch whose length still makes sense, to reach the record decoders.
      let at = 0;
      while (at + 61 <= data.length) {
        const size = data.readInt32BE(at + OFF.batchLength) + 12;
        if (size < 61 || at + size > data.length) break;
        data.writeUint32BE(computeBatchCrc(data, at, size), OFF.crc + at);
        at += size;
      }
    }
    if (rnd(5) === 0) data.subarray(0, rnd(data.length)); // torn tails are common in the wild
    await writeFile(join(dir, offsetFileName(0, '.log')), data);
    await writeFile(join(dir, offsetFileName(1000, '.log')), Buffer.alloc(0));
    const job: CleanJob = {
      dir,
      name: 'fuzz-0',
      segments: [
        { baseOffset: 0, path: join(dir, offsetFileName(0, '.log')), size: data.length, nextOffset: 1000, indexBytes: 0, timeIndexBytes: 0, mtimeMs: Date.now() },
        { baseOffset: 1000, path: join(dir, offsetFileName(1000, '.log')), size: 0, nextOffset: 1000, indexBytes: 0, timeIndexBytes: 0, mtimeMs: Date.now() },
      ],
      firstDirtyOffset: 0,
      firstUncleanableOffset: 1000,
      now: Date.now(),
      deleteRetentionMs: 1000,
      segmentBytes: 1 << 20,
      segmentIndexBytes: 1 << 16,
      indexIntervalBytes: 100,
      dedupeBufferSize: 24 * 1000,
      loadFactor: 0.9,
      ioBufferSize: 64 + rnd(4096),
      producers: new Map(),
    };
    try {
      await cleanLog(job);
    } catch (e) {
      const name = (e as Error).name;
      assert.ok(ALLOWED.has(name), `iteration ${iter}: ${String((e as Error).stack)}`);
      errors.set(name, (errors.get(name) ?? 0) + 1);
      assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.cleaned')), []);
    }
    await rm(dir, { recursive: true, force: true });
  }
  assert.ok((errors.get('CorruptSegmentError') ?? 0) > 0, JSON.stringify([...errors]));
});

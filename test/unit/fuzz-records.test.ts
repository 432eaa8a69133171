/**
 * Throws random and mutated record batches at the record decoders. Deterministic (fixed seed) and
 * time-boxed. The only acceptable failures are our typed errors: DecodeError (CorruptRecordError
 * is one) and CompressionError. The storage's validateRecords must never throw at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Compression,
  CompressionError,
  OFF,
  computeBatchCrc,
  decodeRecordBatch,
  decodeRecordBatchSync,
  decodeRecordSetSync,
  decompressSync,
  encodeRecordBatchSync,
  recordSetSpans,
  snappyCompressRaw,
  type ProducerRecord,
} from '../../src/protocol/records/index.js';
import { DecodeError } from '../../src/protocol/primitives/errors.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/config.js';
import { validateRecords } from '../../src/storage/log-validator.js';

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.next() % n;
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
}

const HOSTILE_INT32 = [0x7fffffff, -1, 0, -0x80000000, 1, 13, 14, 48, 49, 0x10000, 0x7ffffff0];
const HOSTILE_VARINT = [
  [0xff, 0xff, 0xff, 0xff, 0x0f], // int32 max-ish
  [0xfe, 0xff, 0xff, 0xff, 0x0f],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // 10-byte varlong
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80], // never terminates
  [0x01], // -1
  [0x03], // -2
];

function isTyped(e: unknown): boolean {
  return e instanceof DecodeError || e instanceof CompressionError;
}

function seedBatches(rng: Rng): Buffer[] {
  const out: Buffer[] = [];
  for (const codec of [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
    for (const n of [1, 3, 40]) {
      const records: ProducerRecord[] = [];
      for (let i = 0; i < n; i++) {
        records.push({
          key: rng.int(3) === 0 ? null : rng.bytes(rng.int(20)),
          value: rng.int(5) === 0 ? null : Buffer.alloc(rng.int(300), rng.int(4)),
          headers: rng.int(2) === 0 ? [] : [{ key: 'h' + i, value: rng.int(2) ? null : rng.bytes(3) }],
          timestamp: 1_700_000_000_000 + rng.int(100000),
        });
      }
      out.push(encodeRecordBatchSync({ records, compression: codec, now: 1_700_000_000_000 }));
    }
  }
  return out;
}

function fixCrc(b: Buffer): void {
  if (b.length < 61) return;
  const len = b.readInt32BE(OFF.batchLength) + 12;
  if (len < 61 || len > b.length) return;
  b.writeUint32BE(computeBatchCrc(b, 0, len), OFF.crc);
}

function mutate(rng: Rng, seed: Buffer): Buffer {
  let b = Buffer.from(seed);
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    switch (rng.int(9)) {
      case 0: // flip bytes anywhere
        for (let i = 0, n = 1 + rng.int(4); i < n && b.length; i++) b[rng.int(b.length)] = rng.next() & 0xff;
        break;
      case 1: // truncate
        b = b.subarray(0, rng.int(b.length + 1));
        break;
      case 2: // hostile header int32 (length, count, lastOffsetDelta)
        if (b.length >= 61) b.writeInt32BE(rng.pick(HOSTILE_INT32), rng.pick([OFF.batchLength, OFF.recordCount, OFF.lastOffsetDelta, OFF.baseSequence]));
        break;
      case 3: // hostile varint in the records area
        if (b.length > 62) {
          const v = rng.pick(HOSTILE_VARINT);
          const at = 61 + rng.int(b.length - 61);
          for (let i = 0; i < v.length && at + i < b.length; i++) b[at + i] = v[i]!;
        }
        break;
      case 4: // attributes: other codec, flags
        if (b.length >= 61) b.writeInt16BE(rng.int(0x80), OFF.attributes);
        break;
      case 5: // magic
        if (b.length > OFF.magic) b[OFF.magic] = rng.pick([0, 1, 2, 3, -1 & 0xff]);
        break;
      case 6: // splice random bytes in the payload
        if (b.length > 61) {
          const at = 61 + rng.int(b.length - 61);
          b = Buffer.concat([b.subarray(0, at), rng.bytes(rng.int(16)), b.subarray(at + rng.int(16))]);
        }
        break;
      case 7: // append garbage / another partial batch
        b = Buffer.concat([b, rng.bytes(rng.int(80))]);
        break;
      case 8: // keep batchLength consistent with the (new) size
        if (b.length >= 12) b.writeInt32BE(b.length - 12, OFF.batchLength);
        break;
    }
  }
  // Usually repair the CRC so the mutation reaches the decompressor and the record parser.
  if (rng.int(4) !== 0) fixCrc(b);
  return b;
}

const outcomes = new Map<string, number>();
function tally(k: string): void {
  outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
}

function checkDecoders(b: Buffer, label: string): void {
  try {
    const d = decodeRecordBatchSync(b, 0, { maxBytes: 8 << 20 });
    assert.ok(d.records.length === d.header.recordCount, `${label}: record count`);
    tally('decoded');
  } catch (e) {
    tally(e instanceof CompressionError ? 'CompressionError' : `${(e as Error).name}: ${(e as Error).message.replace(/[0-9]+/g, 'N').slice(0, 40)}`);
    if (!isTyped(e)) throw new Error(`${label}: decodeRecordBatchSync threw ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
  }
  try {
    decodeRecordSetSync(b, { maxBytes: 8 << 20, skipLegacy: true });
  } catch (e) {
    if (!isTyped(e)) throw new Error(`${label}: decodeRecordSetSync threw ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
  }
  try {
    for (const span of recordSetSpans(b)) assert.ok(span.position + span.size <= b.length);
  } catch (e) {
    if (!isTyped(e)) throw e;
  }
  // validateRecords (header-only on a topic that is not compacted) never throws
  for (const produceVersion of [undefined, 3, 9]) {
    const v = validateRecords(b, { ...DEFAULT_LOG_CONFIG, maxMessageBytes: 1 << 20 }, { topic: 'fuzz', partition: 0, produceVersion, now: 1_700_000_000_000 });
    assert.ok(!(v instanceof Promise));
    if (v.ok) {
      assert.equal(v.batches.length, v.positions.length);
    } else {
      assert.ok([2, 10, 18, 32, 43, 76, 87].includes(v.errorCode), `${label}: unexpected code ${v.errorCode}`);
    }
  }
}

const BUDGET_MS = 2800;

test('fuzz: random and mutated batches yield only typed errors', async (t) => {
  const rng = new Rng(0x5eed_1234);
  const seeds = seedBatches(rng);
  const rssBefore = process.memoryUsage().rss;
  const start = Date.now();
  let iterations = 0;
  // every seed round-trips first
  for (const s of seeds) decodeRecordBatchSync(s);
  while (Date.now() - start < BUDGET_MS && iterations < 40_000) {
    iterations++;
    let b: Buffer;
    const kind = rng.int(10);
    if (kind === 0) {
      b = rng.bytes(rng.int(200));
    } else if (kind === 1) {
      // random bytes behind a plausible header
      b = Buffer.concat([rng.pick(seeds).subarray(0, 61), rng.bytes(rng.int(200))]);
      b.writeInt32BE(b.length - 12, OFF.batchLength);
      fixCrc(b);
    } else {
      b = mutate(rng, rng.pick(seeds));
    }
    checkDecoders(b, `iteration ${iterations} (kind ${kind})`);
    if (iterations % 500 === 0) {
      try {
        await decodeRecordBatch(b);
      } catch (e) {
        if (!isTyped(e)) throw e;
      }
      // A compacted topic's validation decodes the records: it must not throw either.
      await validateRecords(b, { ...DEFAULT_LOG_CONFIG, compact: true }, { topic: 'fuzz', partition: 0, produceVersion: 9, now: 1_700_000_000_000 });
    }
  }
  t.diagnostic(`${iterations} iterations; outcomes: ${JSON.stringify([...outcomes].sort((a, b) => b[1] - a[1]))}`);
  assert.ok(iterations > 1000, `only ${iterations} iterations`);
  const grown = process.memoryUsage().rss - rssBefore;
  assert.ok(grown < 512 * 1024 * 1024, `rss grew by ${grown} bytes`);
});

test('fuzz: codecs reject mutated streams with CompressionError only', () => {
  const rng = new Rng(0xc0dec);
  const plain = Buffer.from('tributary '.repeat(5000));
  const streams: Array<[Compression, Buffer]> = [
    [Compression.Gzip, decompressSeed(Compression.Gzip, plain)],
    [Compression.Snappy, decompressSeed(Compression.Snappy, plain)],
    [Compression.Snappy, snappyCompressRaw(plain)],
    [Compression.Lz4, decompressSeed(Compression.Lz4, plain)],
    [Compression.Zstd, decompressSeed(Compression.Zstd, plain)],
  ];
  const start = Date.now();
  let n = 0;
  while (Date.now() - start < 800 && n < 20_000) {
    n++;
    const [codec, s] = rng.pick(streams);
    const b = Buffer.from(s);
    const mode = rng.int(3);
    if (mode === 0) for (let i = 0; i < 1 + rng.int(3); i++) b[rng.int(b.length)] = rng.next() & 0xff;
    const input = mode === 1 ? b.subarray(0, rng.int(b.length)) : mode === 2 ? rng.bytes(rng.int(64)) : b;
    try {
      const out = decompressSync(codec, input, { maxBytes: 1 << 20 });
      assert.ok(out.length <= 1 << 20);
    } catch (e) {
      if (!(e instanceof CompressionError)) throw new Error(`codec ${codec}: ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
    }
  }
  assert.ok(n > 500);
});

/** The compressed payload of a one-record batch: a valid stream for `codec`. */
function decompressSeed(codec: Compression, data: Buffer): Buffer {
  return encodeRecordBatchSync({ records: [{ value: data }], compression: codec }).subarray(61);
}

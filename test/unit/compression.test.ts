import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import * as lz4 from 'lz4-napi';
import * as snappy from 'snappy';
import * as zstd from 'zstd-napi';
import {
  Compression,
  CompressionError,
  compress,
  compressSync,
  decompress,
  decompressSync,
  compressionFromName,
  compressionName,
  isXerialSnappy,
  snappyCompressRaw,
} from '../../src/protocol/records/index.js';

const CODECS = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd] as const;

function pseudoRandom(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function textish(n: number): Buffer {
  const words = ['kafka', 'broker', 'record', 'batch', 'offset', 'topic', 'partition', '{"a":1}', 'tributary'];
  const parts: string[] = [];
  let len = 0;
  let i = 0;
  while (len < n) {
    const w = words[(i * 7 + (i >> 3)) % words.length]!;
    parts.push(w);
    len += w.length + 1;
    i++;
  }
  return Buffer.from(parts.join(' ')).subarray(0, n);
}

function isTooLarge(e: unknown): boolean {
  return e instanceof CompressionError && e.reason === 'too-large';
}
function isCorrupt(e: unknown): boolean {
  return e instanceof CompressionError && e.reason === 'corrupt';
}

describe('codec round trips', () => {
  const inputs: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['one byte', Buffer.from([7])],
    ['text 100KB', textish(100_000)],
    ['random 70KB', pseudoRandom(70_000)],
    ['zeros 1MB', Buffer.alloc(1 << 20)],
  ];
  for (const codec of CODECS) {
    for (const [name, data] of inputs) {
      test(`${compressionName(codec)}: ${name}`, async () => {
        const a = await compress(codec, data);
        const s = compressSync(codec, data);
        assert.deepEqual(await decompress(codec, a), data);
        assert.deepEqual(decompressSync(codec, s), data);
        assert.deepEqual(decompressSync(codec, a), data);
      });
    }
  }

  test('names', () => {
    assert.equal(compressionFromName('ZSTD'), Compression.Zstd);
    assert.equal(compressionFromName('producer'), undefined);
    assert.equal(compressionName(Compression.Lz4), 'lz4');
  });

  test('unknown codec is a CompressionError', () => {
    assert.throws(() => decompressSync(5 as Compression, Buffer.alloc(1)), (e: unknown) => e instanceof CompressionError && e.reason === 'unsupported');
  });
});

describe('lz4 frames (Kafka flavour)', () => {
  test('we write FLG=0x60, BD=0x40 like the Java client and librdkafka', () => {
    const f = compressSync(Compression.Lz4, textish(200_000));
    assert.equal(f.readUint32LE(0), 0x184d2204);
    assert.equal(f[4], 0x60, 'version 1, independent blocks, no checksums, no content size');
    assert.equal(f[5], 0x40, '64 KB blocks');
    assert.equal(f[6], 0x82, 'header checksum of 60 40');
    assert.equal(f.readUint32LE(f.length - 4), 0, 'ends with the end mark, no content checksum');
    // 64 KB blocks, independent: every block decodes on its own; random data is stored raw
    const r = compressSync(Compression.Lz4, pseudoRandom(100_000));
    assert.equal(r.readUint32LE(7), (65536 | 0x80000000) >>> 0);
    // lz4_flex's frame decoder (a second, independent reader) accepts our frames
    assert.deepEqual(lz4.decompressFrameSync(f), textish(200_000));
    assert.deepEqual(lz4.decompressFrameSync(r), pseudoRandom(100_000));
  });

  test('reads frames with block and content checksums', () => {
    const data = textish(300_000);
    const f = lz4.compressFrameSync(data, { contentChecksum: true, blockChecksums: true });
    assert.equal(f[4]! & 0x14, 0x14);
    assert.deepEqual(decompressSync(Compression.Lz4, f), data);
  });

  /** Builds a frame the way Kafka's Lz4BlockOutputStream does, from raw lz4 blocks. */
  function buildFrame(chunks: Buffer[], opts: { flg?: number; contentSize?: number; blockChecksum?: boolean; rawIfLarger?: boolean; dictChain?: boolean } = {}): Buffer {
    const parts: Buffer[] = [];
    const head = Buffer.from([0x04, 0x22, 0x4d, 0x18, opts.flg ?? 0x60, 0x40]);
    parts.push(head);
    if (opts.contentSize !== undefined) {
      const cs = Buffer.alloc(8);
      cs.writeBigUInt64LE(BigInt(opts.contentSize));
      parts.push(cs);
    }
    parts.push(Buffer.from([0x00])); // HC: not verified by our reader
    let prev: Buffer | undefined;
    for (const c of chunks) {
      const comp = (opts.dictChain && prev ? lz4.compressSync(c, prev) : lz4.compressSync(c)).subarray(4);
      const raw = (opts.rawIfLarger ?? true) && comp.length >= c.length;
      const body = raw ? c : comp;
      const len = Buffer.alloc(4);
      len.writeUint32LE((body.length | (raw ? 0x80000000 : 0)) >>> 0);
      parts.push(len, body);
      if (opts.blockChecksum) parts.push(Buffer.alloc(4));
      prev = c;
    }
    parts.push(Buffer.alloc(4));
    return Buffer.concat(parts);
  }

  test('reads Java-style frames: several blocks, uncompressed blocks, content size, block checksums', () => {
    const a = textish(65536);
    const b = pseudoRandom(65536);
    const c = textish(1000);
    const expect = Buffer.concat([a, b, c]);
    assert.deepEqual(decompressSync(Compression.Lz4, buildFrame([a, b, c], { rawIfLarger: true })), expect);
    assert.deepEqual(decompressSync(Compression.Lz4, buildFrame([a, b, c], { flg: 0x68, contentSize: expect.length })), expect);
    assert.deepEqual(decompressSync(Compression.Lz4, buildFrame([a, b, c], { flg: 0x70, blockChecksum: true, rawIfLarger: true })), expect);
    // lz4_flex's own frame decoder agrees on the plain variant
    assert.deepEqual(lz4.decompressFrameSync(compressSync(Compression.Lz4, expect)), expect);
  });

  test('reads linked-block frames (python-lz4 default) using the previous block as dictionary', () => {
    const a = textish(65536);
    const b = Buffer.concat([a.subarray(1000, 40000), textish(26536)]);
    const f = buildFrame([a, b], { flg: 0x40, dictChain: true });
    assert.deepEqual(decompressSync(Compression.Lz4, f), Buffer.concat([a, b]));
  });

  test('refuses what Kafka refuses: bad magic, version, dictionary id, oversized block', () => {
    const good = compressSync(Compression.Lz4, textish(1000));
    const badMagic = Buffer.from(good);
    badMagic[0] = 0;
    assert.throws(() => decompressSync(Compression.Lz4, badMagic), isCorrupt);
    const v2 = Buffer.from(good);
    v2[4] = 0xa0;
    assert.throws(() => decompressSync(Compression.Lz4, v2), (e: unknown) => e instanceof CompressionError && e.reason === 'unsupported');
    const dict = Buffer.from(good);
    dict[4] = 0x61;
    assert.throws(() => decompressSync(Compression.Lz4, dict), (e: unknown) => e instanceof CompressionError && e.reason === 'unsupported');
    const big = Buffer.from(good);
    big.writeUint32LE(65537, 7);
    assert.throws(() => decompressSync(Compression.Lz4, big), isCorrupt);
    assert.throws(() => decompressSync(Compression.Lz4, good.subarray(0, good.length - 1)), isCorrupt);
    assert.throws(() => decompressSync(Compression.Lz4, Buffer.alloc(0)), isCorrupt);
  });

  test('zip bomb: output bounded by maxBytes', () => {
    const f = compressSync(Compression.Lz4, Buffer.alloc(8 << 20));
    assert.ok(f.length < 64 * 1024);
    assert.throws(() => decompressSync(Compression.Lz4, f, { maxBytes: 1 << 20 }), isTooLarge);
    assert.equal(decompressSync(Compression.Lz4, f, { maxBytes: 8 << 20 }).length, 8 << 20);
  });
});

describe('snappy framings', () => {
  test('we write xerial framing (Java client) with 32 KB blocks', () => {
    const data = textish(100_000);
    const x = compressSync(Compression.Snappy, data);
    assert.ok(isXerialSnappy(x));
    assert.equal(x.subarray(0, 16).toString('hex'), '82534e41505059000000000100000001');
    let pos = 16;
    let blocks = 0;
    while (pos < x.length) {
      const len = x.readInt32BE(pos);
      const raw = x.subarray(pos + 4, pos + 4 + len);
      assert.ok((snappy.uncompressSync(raw, { asBuffer: true }) as Buffer).length <= 32 * 1024);
      pos += 4 + len;
      blocks++;
    }
    assert.equal(blocks, Math.ceil(100_000 / 32768));
  });

  test('reads raw snappy (librdkafka, KafkaJS) and xerial (Java)', async () => {
    const data = textish(100_000);
    const raw = snappyCompressRaw(data);
    assert.ok(!isXerialSnappy(raw));
    assert.deepEqual(decompressSync(Compression.Snappy, raw), data);
    assert.deepEqual(await decompress(Compression.Snappy, raw), data);
    const xerial = await compress(Compression.Snappy, data);
    assert.deepEqual(decompressSync(Compression.Snappy, xerial), data);
    // a xerial stream with a single block holding everything (old snappy-java) reads too
    const one = Buffer.concat([xerial.subarray(0, 16), Buffer.alloc(4), raw]);
    one.writeInt32BE(raw.length, 16);
    assert.deepEqual(decompressSync(Compression.Snappy, one), data);
  });

  test('corrupt snappy', () => {
    const x = compressSync(Compression.Snappy, textish(50_000));
    const badLen = Buffer.from(x);
    badLen.writeInt32BE(0x7fffffff, 16);
    assert.throws(() => decompressSync(Compression.Snappy, badLen), isCorrupt);
    assert.throws(() => decompressSync(Compression.Snappy, x.subarray(0, x.length - 3)), isCorrupt);
    assert.throws(() => decompressSync(Compression.Snappy, Buffer.from([0x05, 0x00])), isCorrupt);
    assert.throws(() => decompressSync(Compression.Snappy, Buffer.alloc(0)), isCorrupt);
  });

  test('zip bomb: declared length checked before allocating', () => {
    // preamble claims 4 GB
    assert.throws(() => decompressSync(Compression.Snappy, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00])), isTooLarge);
    const raw = snappyCompressRaw(Buffer.alloc(4 << 20));
    assert.throws(() => decompressSync(Compression.Snappy, raw, { maxBytes: 1 << 20 }), isTooLarge);
    const x = compressSync(Compression.Snappy, Buffer.alloc(4 << 20));
    assert.throws(() => decompressSync(Compression.Snappy, x, { maxBytes: 1 << 20 }), isTooLarge);
  });
});

describe('gzip', () => {
  test('concatenated members (streaming writers) read as one', () => {
    const a = textish(1000);
    const b = textish(3000);
    assert.deepEqual(decompressSync(Compression.Gzip, Buffer.concat([gzipSync(a), gzipSync(b)])), Buffer.concat([a, b]));
  });
  test('zip bomb and corruption', async () => {
    const g = gzipSync(Buffer.alloc(16 << 20));
    assert.throws(() => decompressSync(Compression.Gzip, g, { maxBytes: 1 << 20 }), isTooLarge);
    await assert.rejects(decompress(Compression.Gzip, g, { maxBytes: 1 << 20 }), isTooLarge);
    await assert.rejects(decompress(Compression.Gzip, g.subarray(0, g.length - 9)), isCorrupt);
    assert.throws(() => decompressSync(Compression.Gzip, Buffer.from('not gzip')), isCorrupt);
  });
});

describe('zstd', () => {
  test('zip bomb: not sized from the frame header', () => {
    const z = zstd.compress(Buffer.alloc(64 << 20));
    assert.ok(z.length < 16 * 1024);
    assert.throws(() => decompressSync(Compression.Zstd, z, { maxBytes: 1 << 20 }), isTooLarge);
  });
  test('concatenated frames, truncation, garbage', () => {
    const a = textish(5000);
    const b = pseudoRandom(3000);
    assert.deepEqual(decompressSync(Compression.Zstd, Buffer.concat([zstd.compress(a), zstd.compress(b)])), Buffer.concat([a, b]));
    const z = zstd.compress(textish(200_000));
    assert.throws(() => decompressSync(Compression.Zstd, z.subarray(0, z.length - 5)), isCorrupt);
    assert.throws(() => decompressSync(Compression.Zstd, Buffer.from('garbage!')), isCorrupt);
    assert.throws(() => decompressSync(Compression.Zstd, Buffer.alloc(0)), isCorrupt);
    // a frame header claiming a huge content size
    const hostile = Buffer.from(z);
    assert.throws(() => decompressSync(Compression.Zstd, Buffer.concat([hostile.subarray(0, 6), Buffer.from([0xff, 0xff, 0xff, 0x7f])])), (e: unknown) => e instanceof CompressionError);
  });
});

describe('none', () => {
  test('limit applies to uncompressed payloads too', () => {
    assert.throws(() => decompressSync(Compression.None, Buffer.alloc(10), { maxBytes: 5 }), isTooLarge);
  });
});

/**
 * The five record-batch codecs, on native libraries: node:zlib (gzip), snappy (napi-rs, raw
 * snappy), lz4-napi (lz4_flex) and zstd-napi (libzstd).
 *
 * Every decompressor bounds its output by `maxBytes` and fails with CompressionError('too-large')
 * instead of allocating what a hostile header claims: a 1 MB batch must not turn into gigabytes.
 *
 * Kafka specifics, checked against Apache Kafka's Lz4BlockInputStream/Lz4BlockOutputStream and
 * librdkafka's rdkafka_lz4.c / snappy handling:
 *
 * LZ4 is the LZ4 *frame* format (magic 04 22 4D 18), not bare blocks.
 *   - Java writes FLG=0x60 (version 1, independent blocks, no checksums, no content size) and
 *     BD=0x40 (64 KB blocks); librdkafka writes the same (LZ4F with blockIndependent, defaults).
 *     The Java reader refuses frames with dependent (linked) blocks, reserved bits, a version other
 *     than 1, a dictionary id, or a block size id outside 4..7; it accepts content size (skipped),
 *     block checksums and content checksums. We assemble our frames from lz4 blocks exactly as the
 *     Java writer does (0x60/0x40, 64 KB independent blocks, raw blocks when incompressible), so
 *     they are what Java and librdkafka write; a test checks the bytes.
 *   - We decode frames block by block (each block's output is at most the BD block size), so the
 *     output bound is enforced while decoding. Content size, block checksums and content checksums
 *     are accepted; checksums are not re-verified here (the batch CRC32C already covers every
 *     compressed byte). Linked-block frames (python-lz4's default, refused by Java) are decoded
 *     with the previous 64 KB of output as the dictionary.
 *   - Magic v0/v1 message sets had a broken header checksum (KAFKA-3160); we never check HC, so
 *     both variants read.
 *
 * Snappy comes in two framings:
 *   - raw snappy: one block, preamble = uvarint uncompressed length (librdkafka's default, KafkaJS
 *     plugins);
 *   - xerial framing (snappy-java's SnappyOutputStream, what the Java client writes): header
 *     82 'SNAPPY' 00, int32 version (1), int32 min compatible version (1), then repeated
 *     [int32 BE compressed length][raw snappy block], blocks of 32 KB uncompressed.
 *   Decompression detects the xerial magic (as snappy-java and librdkafka do) and accepts both.
 *   Compression writes xerial framing: it is what the Java client writes, the Java reader requires
 *   nothing else, and librdkafka, kafka-python, franz-go, sarama and KafkaJS's snappy plugin all
 *   read it, while some older Java readers mis-handle raw snappy. Decision: xerial for our client.
 *
 * gzip: plain gzip members (Java GZIPOutputStream, librdkafka deflateInit2 with gzip header).
 * zstd: standard zstd frames; output bounded while streaming, never sized from the frame header.
 */
import * as zlib from 'node:zlib';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import * as snappy from 'snappy';
import * as lz4 from 'lz4-napi';
import * as zstd from 'zstd-napi';
import { Compression } from './batch-header.js';
import { CompressionError } from './errors.js';

export { Compression };

/**
 * Default bound for one batch's decompressed records: 100 MiB, Kafka's default
 * socket.request.max.bytes, the bound a broker with default configs holds produced batches to
 * (so what such a broker takes, our consumer and cleaner can read).
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 100 * 1024 * 1024;

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionName = (typeof CODEC_NAMES)[number];

export function compressionName(codec: Compression): string {
  return CODEC_NAMES[codec] ?? `codec-${codec as number}`;
}

/** Parses Kafka's compression.type names ('none', 'gzip', 'snappy', 'lz4', 'zstd'). */
export function compressionFromName(name: string): Compression | undefined {
  const i = (CODEC_NAMES as readonly string[]).indexOf(name.toLowerCase());
  return i < 0 ? undefined : (i as Compression);
}

export interface CompressOptions {
  /** Codec-specific level: gzip 1-9 (default 6), zstd 1-22 (default 3). Ignored by snappy and lz4. */
  level?: number;
}

export interface DecompressOptions {
  /** Upper bound on the decompressed size; default DEFAULT_MAX_DECOMPRESSED_BYTES. */
  maxBytes?: number;
}

// ---------------------------------------------------------------------------------------------
// gzip

const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);

function gzipError(e: unknown, maxBytes: number): CompressionError {
  const code = (e as { code?: string } | null)?.code;
  if (code === 'ERR_BUFFER_TOO_LARGE') {
    return new CompressionError('gzip', 'too-large', `decompressed size exceeds ${maxBytes} bytes`, { cause: e });
  }
  return new CompressionError('gzip', 'corrupt', (e as Error)?.message ?? String(e), { cause: e });
}

// ---------------------------------------------------------------------------------------------
// snappy

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
const XERIAL_BLOCK_SIZE = 32 * 1024;

export function isXerialSnappy(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_SIZE && data.subarray(0, 8).equals(XERIAL_MAGIC);
}

/** The uncompressed length a raw snappy block declares (its uvarint preamble). */
function snappyDeclaredLength(block: Buffer): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) throw new CompressionError('snappy', 'corrupt', 'truncated length preamble');
    const b = block[i]!;
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return result;
    mul *= 128;
  }
  throw new CompressionError('snappy', 'corrupt', 'length preamble longer than 5 bytes');
}

function snappyRawUncompress(block: Buffer, budget: number): Buffer {
  const declared = snappyDeclaredLength(block);
  if (declared > budget) {
    throw new CompressionError('snappy', 'too-large', `block declares ${declared} bytes, limit leaves ${budget}`);
  }
  try {
    return snappy.uncompressSync(block, { asBuffer: true }) as Buffer;
  } catch (e) {
    throw new CompressionError('snappy', 'corrupt', (e as Error).message, { cause: e });
  }
}

/** Splits a xerial stream into its raw snappy blocks, validating the framing. */
function xerialBlocks(data: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (data.length - pos < 4) throw new CompressionError('snappy', 'corrupt', 'truncated xerial block length');
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || len > data.length - pos) {
      throw new CompressionError('snappy', 'corrupt', `xerial block length ${len} exceeds the ${data.length - pos} bytes left`);
    }
    blocks.push(data.subarray(pos, pos + len));
    pos += len;
  }
  return blocks;
}

function snappyDecompressSync(data: Buffer, maxBytes: number): Buffer {
  if (!isXerialSnappy(data)) return snappyRawUncompress(data, maxBytes);
  const out: Buffer[] = [];
  let total = 0;
  for (const block of xerialBlocks(data)) {
    if (block.length === 0) continue;
    const b = snappyRawUncompress(block, maxBytes - total);
    total += b.length;
    out.push(b);
  }
  return out.length === 1 ? out[0]! : Buffer.concat(out, total);
}

function xerialHeader(): Buffer {
  const h = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(h, 0);
  h.writeInt32BE(1, 8); // version
  h.writeInt32BE(1, 12); // minimum compatible version
  return h;
}

function xerialAssemble(chunks: Buffer[]): Buffer {
  const parts: Buffer[] = [xerialHeader()];
  let total = XERIAL_HEADER_SIZE;
  for (const c of chunks) {
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(c.length, 0);
    parts.push(len, c);
    total += 4 + c.length;
  }
  return Buffer.concat(parts, total);
}

function xerialSlices(data: Buffer): Buffer[] {
  const slices: Buffer[] = [];
  for (let p = 0; p < data.length; p += XERIAL_BLOCK_SIZE) slices.push(data.subarray(p, Math.min(p + XERIAL_BLOCK_SIZE, data.length)));
  return slices;
}

function snappyCompressSync(data: Buffer): Buffer {
  return xerialAssemble(xerialSlices(data).map((s) => snappy.compressSync(s)));
}

async function snappyCompressAsync(data: Buffer): Promise<Buffer> {
  return xerialAssemble(await Promise.all(xerialSlices(data).map((s) => snappy.compress(s))));
}

/** Raw (unframed) snappy, as librdkafka and KafkaJS write it. For tests and interop. */
export function snappyCompressRaw(data: Buffer): Buffer {
  return snappy.compressSync(data);
}

// ---------------------------------------------------------------------------------------------
// lz4 (frame format)

const LZ4_MAGIC = 0x184d2204;
const LZ4_SKIPPABLE_MASK = 0xfffffff0;
const LZ4_SKIPPABLE_MAGIC = 0x184d2a50;
const LZ4_UNCOMPRESSED_BIT = 0x80000000;
const LZ4_DICT_WINDOW = 64 * 1024;

interface Lz4Frame {
  flg: number;
  blockMax: number;
  blockIndependent: boolean;
  /** [start, length, compressed] of each data block. */
  blocks: Array<[number, number, boolean]>;
  /** Where the next frame (if any) starts. */
  end: number;
}

function lz4Corrupt(msg: string): CompressionError {
  return new CompressionError('lz4', 'corrupt', msg);
}

/** Walks one LZ4 frame's structure (no decompression) starting at `pos`. */
function parseLz4Frame(data: Buffer, pos: number): Lz4Frame | null {
  if (data.length - pos < 4) throw lz4Corrupt('truncated frame magic');
  const magic = data.readUint32LE(pos);
  if (((magic & LZ4_SKIPPABLE_MASK) >>> 0) === LZ4_SKIPPABLE_MAGIC) {
    if (data.length - pos < 8) throw lz4Corrupt('truncated skippable frame');
    const len = data.readUint32LE(pos + 4);
    if (len > data.length - pos - 8) throw lz4Corrupt('truncated skippable frame');
    return { flg: 0, blockMax: 0, blockIndependent: true, blocks: [], end: pos + 8 + len };
  }
  if (magic !== LZ4_MAGIC) throw lz4Corrupt(`bad frame magic 0x${magic.toString(16)}`);
  pos += 4;
  if (data.length - pos < 3) throw lz4Corrupt('truncated frame descriptor');
  const flg = data[pos]!;
  const bd = data[pos + 1]!;
  pos += 2;
  if (flg >> 6 !== 1) throw new CompressionError('lz4', 'unsupported', `frame version ${flg >> 6}`);
  if ((flg & 0x02) !== 0) throw lz4Corrupt('reserved FLG bit set');
  if ((flg & 0x01) !== 0) throw new CompressionError('lz4', 'unsupported', 'frames with a dictionary id');
  if ((bd & 0x8f) !== 0) throw lz4Corrupt('reserved BD bits set');
  const sizeId = (bd >> 4) & 7;
  if (sizeId < 4) throw lz4Corrupt(`block size id ${sizeId}`);
  const blockMax = 1 << (2 * sizeId + 8);
  const blockChecksum = (flg & 0x10) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  if ((flg & 0x08) !== 0) {
    if (data.length - pos < 8) throw lz4Corrupt('truncated content size');
    pos += 8;
  }
  if (data.length - pos < 1) throw lz4Corrupt('truncated header checksum');
  pos += 1; // HC: not verified (legacy Kafka wrote it wrongly; the batch CRC covers these bytes)
  const blocks: Array<[number, number, boolean]> = [];
  for (;;) {
    if (data.length - pos < 4) throw lz4Corrupt('truncated block size (no end mark)');
    const raw = data.readUint32LE(pos);
    pos += 4;
    if (raw === 0) break;
    const compressed = (raw & LZ4_UNCOMPRESSED_BIT) === 0;
    const len = (raw & ~LZ4_UNCOMPRESSED_BIT) >>> 0;
    if (len > blockMax) throw lz4Corrupt(`block of ${len} bytes exceeds the frame's ${blockMax}`);
    const need = len + (blockChecksum ? 4 : 0);
    if (need > data.length - pos) throw lz4Corrupt('truncated block');
    blocks.push([pos, len, compressed]);
    pos += need;
  }
  if (contentChecksum) {
    if (data.length - pos < 4) throw lz4Corrupt('truncated content checksum');
    pos += 4;
  }
  return { flg, blockMax, blockIndependent: (flg & 0x20) !== 0, blocks, end: pos };
}

// Our frames: what Kafka's Lz4BlockOutputStream writes, byte for byte in structure. FLG 0x60
// (version 1, independent blocks, no checksums, no content size), BD 0x40 (64 KB blocks), HC 0x82
// (xxh32 of 60 40 >> 8), blocks stored raw when compression does not shrink them, end mark 0.
// (lz4-napi's compressFrame picks 256 KB blocks for larger inputs; Java reads those too, but we
// keep to the Java writer's shape.)
const LZ4_FRAME_HEADER = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]);
const LZ4_BLOCK = 64 * 1024;

function lz4Slices(data: Buffer): Buffer[] {
  const slices: Buffer[] = [];
  for (let p = 0; p < data.length; p += LZ4_BLOCK) slices.push(data.subarray(p, Math.min(p + LZ4_BLOCK, data.length)));
  return slices;
}

/** `compressed` are lz4-napi block outputs (4-byte size prefix + block) for `slices`. */
function lz4Assemble(slices: Buffer[], compressed: Buffer[]): Buffer {
  const parts: Buffer[] = [LZ4_FRAME_HEADER];
  let total = LZ4_FRAME_HEADER.length + 4;
  for (let i = 0; i < slices.length; i++) {
    const raw = slices[i]!;
    const comp = compressed[i]!.subarray(4);
    const stored = comp.length >= raw.length;
    const body = stored ? raw : comp;
    const len = Buffer.allocUnsafe(4);
    len.writeUint32LE((body.length | (stored ? LZ4_UNCOMPRESSED_BIT : 0)) >>> 0, 0);
    parts.push(len, body);
    total += 4 + body.length;
  }
  parts.push(Buffer.alloc(4)); // end mark
  return Buffer.concat(parts, total);
}

function lz4CompressSync(data: Buffer): Buffer {
  const slices = lz4Slices(data);
  return lz4Assemble(slices, slices.map((s) => lz4.compressSync(s)));
}

async function lz4CompressAsync(data: Buffer): Promise<Buffer> {
  if (data.length <= LZ4_BLOCK) return lz4CompressSync(data);
  const slices = lz4Slices(data);
  return lz4Assemble(slices, await Promise.all(slices.map((s) => lz4.compress(s))));
}

/** `countOnly`: decode and drop each block (keeping only a linked frame's window); returns an empty buffer. */
function lz4DecompressSync(data: Buffer, maxBytes: number, countOnly = false): Buffer {
  const out: Buffer[] = [];
  let total = 0;
  let pos = 0;
  do {
    const frame = parseLz4Frame(data, pos);
    if (!frame) break;
    const prefix = Buffer.allocUnsafe(4);
    let window: Buffer | undefined;
    for (const [start, len, compressed] of frame.blocks) {
      let block: Buffer;
      if (!compressed) {
        block = data.subarray(start, start + len);
      } else {
        // lz4-napi's block API takes a 4-byte little-endian size prefix; lz4_flex treats it as the
        // capacity and returns the actual length, so the frame's block maximum bounds the output.
        const cap = Math.min(frame.blockMax, maxBytes - total);
        prefix.writeUint32LE(cap, 0);
        const input = Buffer.concat([prefix, data.subarray(start, start + len)], 4 + len);
        try {
          block = frame.blockIndependent || !window ? lz4.uncompressSync(input) : lz4.uncompressSync(input, window);
        } catch (e) {
          if (cap < frame.blockMax) {
            throw new CompressionError('lz4', 'too-large', `decompressed size exceeds ${maxBytes} bytes`, { cause: e });
          }
          throw new CompressionError('lz4', 'corrupt', (e as Error).message, { cause: e });
        }
      }
      total += block.length;
      if (total > maxBytes) throw new CompressionError('lz4', 'too-large', `decompressed size exceeds ${maxBytes} bytes`);
      out.push(block);
      if (!frame.blockIndependent) window = lastWindow(out);
      if (countOnly) {
        out.length = 0;
        if (window) out.push(window);
      }
    }
    pos = frame.end;
  } while (pos < data.length);
  if (countOnly) return Buffer.alloc(0);
  return out.length === 1 ? out[0]! : Buffer.concat(out, total);
}

/** The last 64 KB of output, the dictionary for the next linked block. */
function lastWindow(out: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  let need = LZ4_DICT_WINDOW;
  for (let i = out.length - 1; i >= 0 && need > 0; i--) {
    const b = out[i]!;
    const take = Math.min(need, b.length);
    parts.unshift(b.subarray(b.length - take));
    need -= take;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// zstd

// zstd-napi's one-shot decompress sizes its output from the frame header (a hostile header can ask
// for gigabytes), so we drive the streaming context ourselves with fixed-size output chunks.
const require = createRequire(import.meta.url);
interface ZstdDCtx {
  decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number];
  reset(directive: number): void;
}
interface ZstdBinding {
  DCtx: new () => ZstdDCtx;
  ResetDirective: { sessionOnly: number; parameters: number; sessionAndParameters: number };
  dStreamOutSize(): number;
}
const zstdBinding = require('zstd-napi/binding') as ZstdBinding;
const ZSTD_CHUNK = Math.max(zstdBinding.dStreamOutSize(), 128 * 1024);
let zstdDctx: ZstdDCtx | undefined;

let zstdScratch: Buffer | undefined;

/** `countOnly`: every chunk goes to one scratch buffer and is dropped; returns an empty buffer. */
function zstdDecompressSync(data: Buffer, maxBytes: number, countOnly = false): Buffer {
  const dctx = (zstdDctx ??= new zstdBinding.DCtx());
  dctx.reset(zstdBinding.ResetDirective.sessionOnly);
  const out: Buffer[] = [];
  let total = 0;
  let input = data;
  let frameDone = true;
  try {
    for (;;) {
      const room = maxBytes - total;
      const size = Math.min(ZSTD_CHUNK, room + 1);
      const chunk = countOnly ? (zstdScratch ??= Buffer.allocUnsafe(ZSTD_CHUNK)).subarray(0, size) : Buffer.allocUnsafe(size);
      const [hint, produced, consumed] = dctx.decompressStream(chunk, input);
      input = input.subarray(consumed);
      if (produced > 0) {
        total += produced;
        if (total > maxBytes) throw new CompressionError('zstd', 'too-large', `decompressed size exceeds ${maxBytes} bytes`);
        if (!countOnly) out.push(chunk.subarray(0, produced));
      }
      frameDone = hint === 0;
      if (input.length === 0 && (frameDone || produced < chunk.length)) break;
      if (produced === 0 && consumed === 0) throw new CompressionError('zstd', 'corrupt', 'decoder made no progress');
    }
  } catch (e) {
    dctx.reset(zstdBinding.ResetDirective.sessionOnly);
    if (e instanceof CompressionError) throw e;
    throw new CompressionError('zstd', 'corrupt', (e as Error).message, { cause: e });
  }
  if (!frameDone) throw new CompressionError('zstd', 'corrupt', 'truncated frame');
  if (countOnly) return Buffer.alloc(0);
  return out.length === 1 ? out[0]! : Buffer.concat(out, total);
}

// ---------------------------------------------------------------------------------------------
// size bound without the output (the broker's produce check)

/** Deflate's largest expansion (RFC 1951: 258 bytes from a 2-bit code, ~1032:1). */
const DEFLATE_MAX_RATIO = 1032;

function tooLarge(codec: string, maxBytes: number): CompressionError {
  return new CompressionError(codec, 'too-large', `decompressed size exceeds ${maxBytes} bytes`);
}

/** Snappy states every block's length up front and the decoder holds it to that: no decoding needed. */
function snappyCheckSize(data: Buffer, maxBytes: number): void {
  let total = 0;
  for (const block of isXerialSnappy(data) ? xerialBlocks(data) : [data]) {
    if (block.length === 0) continue;
    total += snappyDeclaredLength(block);
    if (total > maxBytes) throw new CompressionError('snappy', 'too-large', `blocks declare more than ${maxBytes} bytes`);
  }
}

/** LZ4: each block is at most its frame's block maximum; decoded (and dropped) only when those could exceed the bound. */
function lz4CheckSize(data: Buffer, maxBytes: number): void {
  let bound = 0;
  let pos = 0;
  do {
    const frame = parseLz4Frame(data, pos);
    if (!frame) break;
    for (const [, len, compressed] of frame.blocks) bound += compressed ? frame.blockMax : len;
    pos = frame.end;
  } while (pos < data.length);
  if (bound <= maxBytes) return;
  lz4DecompressSync(data, maxBytes, true);
}

/** zstd: streamed through one scratch buffer, counting; nothing is kept. */
function zstdCheckSize(data: Buffer, maxBytes: number): void {
  zstdDecompressSync(data, maxBytes, true);
}

/** A gzip trailer (the last member's ISIZE, mod 2^32) above the bound: the output is above it too, or the stream is corrupt. */
function gzipTrailerCheck(data: Buffer, maxBytes: number): void {
  if (data.length < 18 || data.length * DEFLATE_MAX_RATIO <= maxBytes) return;
  const isize = data.readUint32LE(data.length - 4);
  if (isize > maxBytes) throw new CompressionError('gzip', 'too-large', `the gzip trailer declares ${isize} bytes, more than ${maxBytes}`);
}

/**
 * gzip: within deflate's ratio nothing can exceed the bound. A trailer (ISIZE, the last member's
 * size mod 2^32) above the bound means the output is above it too (or the stream is corrupt):
 * refused without inflating. Otherwise inflated synchronously up to the bound, so a produce
 * request's appends keep their order; node's zlib has no synchronous streaming, so a stream that
 * lies in its trailer can hold up to `maxBytes` for the time of the check.
 */
function gzipCheckSize(data: Buffer, maxBytes: number): void {
  if (data.length * DEFLATE_MAX_RATIO <= maxBytes) return;
  gzipTrailerCheck(data, maxBytes);
  try {
    zlib.gunzipSync(data, { maxOutputLength: Math.max(maxBytes, 1), chunkSize: 64 * 1024 });
  } catch (e) {
    throw gzipError(e, maxBytes);
  }
}

/**
 * Checks that `data` decompresses to at most `maxBytes` without holding the output: throws
 * CompressionError 'too-large' (or 'corrupt' / 'unsupported' for input the codec refuses on the
 * way). Memory stays at one codec chunk whatever the payload claims or expands to (gzip: see
 * gzipCheckSize). Snappy and
 * LZ4 are checked from their framing (declared lengths, block maxima) when that suffices; gzip
 * when deflate's ratio cannot reach the bound; otherwise gzip (off the main thread), LZ4 and zstd
 * are decoded up to the bound (LZ4 and zstd into a scratch buffer; gzip see gzipCheckSize).
 * Synchronous, so that the produce path keeps its order.
 */
export function checkDecompressedSize(codec: Compression, data: Buffer, maxBytes: number): void {
  switch (codec) {
    case Compression.None:
      if (data.length > maxBytes) throw new CompressionError('none', 'too-large', `${data.length} bytes exceed ${maxBytes}`);
      return;
    case Compression.Gzip:
      return gzipCheckSize(data, maxBytes);
    case Compression.Snappy:
      return snappyCheckSize(data, maxBytes);
    case Compression.Lz4:
      return lz4CheckSize(data, maxBytes);
    case Compression.Zstd:
      return zstdCheckSize(data, maxBytes);
    default:
      throw unknownCodec(codec);
  }
}

// ---------------------------------------------------------------------------------------------
// public API

function limitOf(opts?: DecompressOptions): number {
  const m = opts?.maxBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  if (!(m >= 0)) throw new RangeError(`maxBytes must be >= 0, got ${m}`);
  return Math.min(m, 0x7fffffff);
}

function unknownCodec(codec: number): CompressionError {
  return new CompressionError(`codec-${codec}`, 'unsupported', `unknown compression codec ${codec}`);
}

export function compressSync(codec: Compression, data: Buffer, opts?: CompressOptions): Buffer {
  switch (codec) {
    case Compression.None:
      return data;
    case Compression.Gzip:
      return zlib.gzipSync(data, opts?.level !== undefined ? { level: opts.level } : undefined);
    case Compression.Snappy:
      return snappyCompressSync(data);
    case Compression.Lz4:
      return lz4CompressSync(data);
    case Compression.Zstd:
      return zstd.compress(data, { compressionLevel: opts?.level ?? 3 });
    default:
      throw unknownCodec(codec);
  }
}

export async function compress(codec: Compression, data: Buffer, opts?: CompressOptions): Promise<Buffer> {
  switch (codec) {
    case Compression.Gzip:
      return gzipAsync(data, opts?.level !== undefined ? { level: opts.level } : {});
    case Compression.Snappy:
      return snappyCompressAsync(data);
    case Compression.Lz4:
      return lz4CompressAsync(data);
    default:
      return compressSync(codec, data, opts);
  }
}

export function decompressSync(codec: Compression, data: Buffer, opts?: DecompressOptions): Buffer {
  const maxBytes = limitOf(opts);
  switch (codec) {
    case Compression.None:
      if (data.length > maxBytes) throw new CompressionError('none', 'too-large', `${data.length} bytes exceed ${maxBytes}`);
      return data;
    case Compression.Gzip:
      gzipTrailerCheck(data, maxBytes);
      try {
        return zlib.gunzipSync(data, { maxOutputLength: Math.max(maxBytes, 1) });
      } catch (e) {
        throw gzipError(e, maxBytes);
      }
    case Compression.Snappy:
      return snappyDecompressSync(data, maxBytes);
    case Compression.Lz4:
      return lz4DecompressSync(data, maxBytes);
    case Compression.Zstd:
      return zstdDecompressSync(data, maxBytes);
    default:
      throw unknownCodec(codec);
  }
}

/**
 * Decompresses off the main thread where the library allows it (gzip); snappy, lz4 and zstd run
 * synchronously in bounded chunks, which is cheaper than a thread hop at record-batch sizes.
 */
export async function decompress(codec: Compression, data: Buffer, opts?: DecompressOptions): Promise<Buffer> {
  if (codec === Compression.Gzip) {
    const maxBytes = limitOf(opts);
    gzipTrailerCheck(data, maxBytes);
    try {
      return await gunzipAsync(data, { maxOutputLength: Math.max(maxBytes, 1) });
    } catch (e) {
      throw gzipError(e, maxBytes);
    }
  }
  return decompressSync(codec, data, opts);
}

// Decompression bombs for the record-batch codecs: small, valid-looking v2 batches whose payload
// expands (or claims to expand) to 1 GiB. Built from blocks that are compressed once and repeated,
// so no test ever holds the expanded bytes.
import * as zlib from 'node:zlib';
import * as lz4 from 'lz4-napi';
import * as zstd from 'zstd-napi';
import { BATCH_HEADER_SIZE, OFF, computeBatchCrc } from '../../../src/protocol/records/batch-header.js';
import { encodeRecordBatchSync } from '../../../src/protocol/records/index.js';

export const GIB = 1024 * 1024 * 1024;
const MIB = 1024 * 1024;

/** A one-record v2 batch whose payload is replaced by `payload`, flagged with `codec` (1 gzip .. 4 zstd). */
export function batchWithPayload(codec: number, payload: Buffer): Buffer {
  const plain = encodeRecordBatchSync({ records: [{ value: 'x' }] });
  const out = Buffer.concat([plain.subarray(0, BATCH_HEADER_SIZE), payload]);
  out.writeInt32BE(out.length - 12, OFF.batchLength);
  out.writeInt16BE((out.readInt16BE(OFF.attributes) & ~7) | codec, OFF.attributes);
  out.writeUint32BE(computeBatchCrc(out, 0, out.length), OFF.crc);
  return out;
}

/** gzip of 1 GiB of zeros: 1024 full-flushed deflate blocks of 1 MiB each. `isize`: the trailer's claim. */
export function gzipBomb(isize = GIB % 2 ** 32): Buffer {
  const block = zlib.deflateRawSync(Buffer.alloc(MIB), { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  const last = zlib.deflateRawSync(Buffer.alloc(0));
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  const trailer = Buffer.alloc(8);
  trailer.writeUint32LE(0, 0); // CRC32: never reached, the bound stops the inflate first
  trailer.writeUint32LE(isize >>> 0, 4);
  return Buffer.concat([header, ...Array<Buffer>(1024).fill(block), last, trailer]);
}

/** zstd: 1024 frames of 1 MiB of zeros (frames may follow each other in one payload). */
export function zstdBomb(): Buffer {
  const frame = zstd.compress(Buffer.alloc(MIB), { compressionLevel: 19 });
  return Buffer.concat(Array<Buffer>(1024).fill(frame));
}

/** LZ4 frame with 4 MiB blocks (BD 0x70), 256 compressed blocks of zeros: 1 GiB. */
export function lz4Bomb(): Buffer {
  const block = lz4.compressSync(Buffer.alloc(4 * MIB)).subarray(4); // lz4-napi prefixes the size
  const len = Buffer.alloc(4);
  len.writeUint32LE(block.length, 0);
  const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x73]);
  const parts: Buffer[] = [header];
  for (let i = 0; i < 256; i++) parts.push(len, block);
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

/** Raw snappy whose preamble claims 1 GiB (CVE-2023-34455: a reader that sizes its buffer from it). */
export function snappyRawBomb(): Buffer {
  return Buffer.concat([Buffer.from([0x80, 0x80, 0x80, 0x80, 0x04]), Buffer.from([0x00, 0x61])]);
}

/** Xerial-framed snappy: one block whose preamble claims 1 GiB. */
export function snappyXerialBomb(): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const block = snappyRawBomb();
  const len = Buffer.alloc(4);
  len.writeInt32BE(block.length, 0);
  return Buffer.concat([header, len, block]);
}

/** Every bomb, by name, with its codec. */
export function allBombs(): Array<{ name: string; codec: number; payload: Buffer }> {
  return [
    { name: 'gzip (trailer says 1 GiB)', codec: 1, payload: gzipBomb() },
    { name: 'gzip (trailer lies: 1000 bytes)', codec: 1, payload: gzipBomb(1000) },
    { name: 'snappy raw (preamble 1 GiB)', codec: 2, payload: snappyRawBomb() },
    { name: 'snappy xerial (block preamble 1 GiB)', codec: 2, payload: snappyXerialBomb() },
    { name: 'lz4 (256 blocks of 4 MiB)', codec: 3, payload: lz4Bomb() },
    { name: 'zstd (1024 frames of 1 MiB)', codec: 4, payload: zstdBomb() },
  ];
}

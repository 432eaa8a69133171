/**
 * Record (magic 2) encoding, the unit inside a RecordBatch:
 *
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint | key | valueLength varint | value | headersCount varint |
 *   [headerKeyLength varint | headerKey utf8 | headerValueLength varint | headerValue]...
 *
 * `length` counts the bytes after itself. Lengths of -1 mean null (key, value, header value).
 * Varints here are zig-zag. This module works on plain numbers (no BigInt) for speed: deltas
 * beyond 2^53 are refused, which no real producer writes.
 */
import { CorruptRecordError } from './errors.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** One record as stored in a batch: offset and timestamp relative to the batch's base. */
export interface Record {
  /** The record's attributes byte; unused by Kafka so far, always 0 when we write. */
  attributes?: number;
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** The smallest possible encoded record: length, attributes, 2 deltas, key, value, header count. */
export const MIN_RECORD_SIZE = 7;

// ---------------------------------------------------------------------------------------------
// sizes

export function sizeOfUVarint(u: number): number {
  // u < 2^53
  let n = 1;
  while (u >= 128) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

export function sizeOfVarint(v: number): number {
  return sizeOfUVarint(zigzag(v));
}

function sizeOfNullableBytes(b: Buffer | null): number {
  return b === null ? 1 : sizeOfVarint(b.length) + b.length;
}

/** Size of the record body (everything after the length varint). */
export function sizeOfRecordBody(r: Record): number {
  let size = 1 + sizeOfVarint(r.timestampDelta) + sizeOfVarint(r.offsetDelta) + sizeOfNullableBytes(r.key) + sizeOfNullableBytes(r.value);
  size += sizeOfVarint(r.headers.length);
  for (const h of r.headers) {
    const kl = Buffer.byteLength(h.key);
    size += sizeOfVarint(kl) + kl + sizeOfNullableBytes(h.value);
  }
  return size;
}

/** Full encoded size, length prefix included. */
export function sizeOfRecord(r: Record): number {
  const body = sizeOfRecordBody(r);
  return sizeOfVarint(body) + body;
}

// ---------------------------------------------------------------------------------------------
// writing

function writeUVarintAt(buf: Buffer, pos: number, u: number): number {
  while (u >= 128) {
    buf[pos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[pos++] = u;
  return pos;
}

function writeVarintAt(buf: Buffer, pos: number, v: number): number {
  return writeUVarintAt(buf, pos, zigzag(v));
}

function writeNullableBytesAt(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarintAt(buf, pos, -1);
  pos = writeVarintAt(buf, pos, b.length);
  b.copy(buf, pos);
  return pos + b.length;
}

/**
 * Writes `r` at `pos` and returns the position after it. `bodySize` may be passed when already
 * computed (sizeOfRecordBody). The buffer must have room (sizeOfRecord bytes).
 */
export function writeRecord(buf: Buffer, pos: number, r: Record, bodySize = sizeOfRecordBody(r)): number {
  checkDelta(r.offsetDelta, 'offsetDelta', true);
  checkDelta(r.timestampDelta, 'timestampDelta', false);
  pos = writeVarintAt(buf, pos, bodySize);
  buf[pos++] = (r.attributes ?? 0) & 0xff;
  pos = writeVarintAt(buf, pos, r.timestampDelta);
  pos = writeVarintAt(buf, pos, r.offsetDelta);
  pos = writeNullableBytesAt(buf, pos, r.key);
  pos = writeNullableBytesAt(buf, pos, r.value);
  pos = writeVarintAt(buf, pos, r.headers.length);
  for (const h of r.headers) {
    const kl = Buffer.byteLength(h.key);
    pos = writeVarintAt(buf, pos, kl);
    pos += buf.write(h.key, pos, kl, 'utf8');
    pos = writeNullableBytesAt(buf, pos, h.value);
  }
  return pos;
}

function checkDelta(v: number, name: string, int32: boolean): void {
  if (!Number.isSafeInteger(v) || (int32 && (v < -0x80000000 || v > 0x7fffffff))) {
    throw new RangeError(`record ${name} ${v} is out of range`);
  }
}

export function encodeRecord(r: Record): Buffer {
  const body = sizeOfRecordBody(r);
  const buf = Buffer.allocUnsafe(sizeOfVarint(body) + body);
  writeRecord(buf, 0, r, body);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// reading

/**
 * A cursor over encoded records within [pos, end). Every length is checked against the bytes
 * left before anything is sliced; slices are views into the input, not copies.
 */
export class RecordReader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    public end: number,
    /** Added to positions in error messages (where `buf` sits in a larger frame). */
    readonly errorBase = 0,
  ) {}

  private fail(message: string): never {
    throw new CorruptRecordError(message, this.errorBase + this.pos);
  }

  /** Zig-zag varint up to 10 bytes, as a safe JS number. */
  private varlong(): number {
    const buf = this.buf;
    let u = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = buf[this.pos++]!;
      u += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (u > Number.MAX_SAFE_INTEGER) this.fail('varlong out of range');
        // zig-zag decode without 32-bit operators
        return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      }
      mul *= 128;
    }
    this.fail('varint longer than 10 bytes');
  }

  private varint(): number {
    const start = this.pos;
    const v = this.varlong();
    if (v < -0x80000000 || v > 0x7fffffff || this.pos - start > 5) this.fail('varint out of int32 range');
    return v;
  }

  private nullableBytes(what: string): Buffer | null {
    const len = this.varint();
    if (len === -1) return null;
    if (len < 0) this.fail(`negative ${what} length ${len}`);
    if (len > this.end - this.pos) this.fail(`${what} length ${len} exceeds the ${this.end - this.pos} bytes left`);
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }

  /** Reads one record; throws CorruptRecordError if it is malformed or does not fit. */
  readRecord(): Record {
    const length = this.varint();
    if (length < MIN_RECORD_SIZE - 1) this.fail(`record length ${length} is too small`);
    if (length > this.end - this.pos) this.fail(`record length ${length} exceeds the ${this.end - this.pos} bytes left`);
    const outerEnd = this.end;
    const recordEnd = this.pos + length;
    // Bound every field read to the record itself.
    this.end = recordEnd;
    try {
      const attributes = this.buf[this.pos++]!;
      const timestampDelta = this.varlong();
      const offsetDelta = this.varint();
      const key = this.nullableBytes('key');
      const value = this.nullableBytes('value');
      const count = this.varint();
      if (count < 0) this.fail(`negative header count ${count}`);
      if (count * 2 > this.end - this.pos) this.fail(`${count} headers cannot fit in ${this.end - this.pos} bytes`);
      const headers: RecordHeader[] = new Array<RecordHeader>(count);
      for (let i = 0; i < count; i++) {
        const kl = this.varint();
        if (kl < 0) this.fail(`negative header key length ${kl}`);
        if (kl > this.end - this.pos) this.fail(`header key length ${kl} exceeds the ${this.end - this.pos} bytes left`);
        const hk = this.buf.toString('utf8', this.pos, this.pos + kl);
        this.pos += kl;
        headers[i] = { key: hk, value: this.nullableBytes('header value') };
      }
      if (this.pos !== recordEnd) this.fail(`record declares ${length} bytes but its fields take ${length - (recordEnd - this.pos)}`);
      return { attributes, offsetDelta, timestampDelta, key, value, headers };
    } finally {
      this.end = outerEnd;
    }
  }
}

/** Decodes a single record from `buf` at `at`; returns it and the position after it. */
export function decodeRecord(buf: Buffer, at = 0, end = buf.length): { record: Record; next: number } {
  const r = new RecordReader(buf, at, end);
  const record = r.readRecord();
  return { record, next: r.pos };
}

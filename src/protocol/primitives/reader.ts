import { DecodeError } from './errors.js';

/** A tagged field as it appeared on the wire: its tag and its raw bytes. */
export interface RawTaggedField {
  tag: number;
  data: Buffer;
}

/**
 * Reads Kafka primitive types from a buffer. Every length is checked against the bytes that remain
 * before anything is allocated, so a hostile count costs nothing.
 */
export class Reader {
  pos: number;
  readonly end: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(message: string): never {
    throw new DecodeError(message, this.pos);
  }

  private need(n: number): number {
    if (n > this.end - this.pos) this.fail(`need ${n} bytes, ${this.end - this.pos} left`);
    const p = this.pos;
    this.pos += n;
    return p;
  }

  readInt8(): number {
    return this.buf.readInt8(this.need(1));
  }
  readUint8(): number {
    return this.buf[this.need(1)]!;
  }
  readBoolean(): boolean {
    return this.buf[this.need(1)] !== 0;
  }
  readInt16(): number {
    return this.buf.readInt16BE(this.need(2));
  }
  readUint16(): number {
    return this.buf.readUint16BE(this.need(2));
  }
  readInt32(): number {
    return this.buf.readInt32BE(this.need(4));
  }
  readUint32(): number {
    return this.buf.readUint32BE(this.need(4));
  }
  readInt64(): bigint {
    return this.buf.readBigInt64BE(this.need(8));
  }
  readFloat64(): number {
    return this.buf.readDoubleBE(this.need(8));
  }

  /** Unsigned LEB128 varint of at most 32 bits (5 bytes). */
  readUVarint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
    this.fail('varint longer than 5 bytes');
  }

  /** Zig-zag signed varint of at most 32 bits. */
  readVarint(): number {
    const u = this.readUVarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zig-zag signed varlong of at most 64 bits (10 bytes). */
  readVarlong(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varlong');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (result >> 1n) ^ -(result & 1n);
      shift += 7n;
    }
    this.fail('varlong longer than 10 bytes');
  }

  /** A zig-zag varlong that must fit in a JS number (record offsets and timestamp deltas). */
  readVarlongNumber(): number {
    const v = this.readVarlong();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) this.fail('varlong out of range');
    return Number(v);
  }

  readUUID(): string {
    const p = this.need(16);
    const h = this.buf.toString('hex', p, p + 16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  private readUtf8(len: number): string {
    const p = this.need(len);
    return this.buf.toString('utf8', p, p + len);
  }

  readString(): string {
    const len = this.readInt16();
    if (len < 0) this.fail(`negative string length ${len}`);
    return this.readUtf8(len);
  }
  readNullableString(): string | null {
    const len = this.readInt16();
    if (len < 0) return null;
    return this.readUtf8(len);
  }
  readCompactString(): string {
    const len = this.readUVarint() - 1;
    if (len < 0) this.fail('null compact string where a value is required');
    return this.readUtf8(len);
  }
  readCompactNullableString(): string | null {
    const len = this.readUVarint() - 1;
    if (len < 0) return null;
    return this.readUtf8(len);
  }

  /** Bytes are returned as views into the frame, never copied. */
  readSlice(len: number): Buffer {
    const p = this.need(len);
    return this.buf.subarray(p, p + len);
  }
  readBytes(): Buffer {
    const len = this.readInt32();
    if (len < 0) this.fail(`negative bytes length ${len}`);
    return this.readSlice(len);
  }
  readNullableBytes(): Buffer | null {
    const len = this.readInt32();
    if (len < 0) return null;
    return this.readSlice(len);
  }
  readCompactBytes(): Buffer {
    const len = this.readUVarint() - 1;
    if (len < 0) this.fail('null compact bytes where a value is required');
    return this.readSlice(len);
  }
  readCompactNullableBytes(): Buffer | null {
    const len = this.readUVarint() - 1;
    if (len < 0) return null;
    return this.readSlice(len);
  }

  /**
   * Array length for a classic (int32) array. -1 means null. Each element takes at least
   * `minElementSize` bytes, so a count that cannot fit in what remains is refused up front.
   */
  readArrayLength(minElementSize = 1): number {
    const n = this.readInt32();
    if (n < -1) this.fail(`negative array length ${n}`);
    this.checkCount(n, minElementSize);
    return n;
  }
  /** Array length for a compact (uvarint N+1) array. -1 means null. */
  readCompactArrayLength(minElementSize = 1): number {
    const n = this.readUVarint() - 1;
    this.checkCount(n, minElementSize);
    return n;
  }
  private checkCount(n: number, minElementSize: number): void {
    if (n > 0 && n * Math.max(minElementSize, 0) > this.end - this.pos) {
      this.fail(`array of ${n} elements cannot fit in ${this.end - this.pos} bytes`);
    }
  }

  readArray<T>(readElement: (r: Reader) => T, minElementSize = 1): T[] {
    const n = this.readArrayLength(minElementSize);
    if (n < 0) this.fail('null array where a value is required');
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = readElement(this);
    return out;
  }
  readNullableArray<T>(readElement: (r: Reader) => T, minElementSize = 1): T[] | null {
    const n = this.readArrayLength(minElementSize);
    if (n < 0) return null;
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = readElement(this);
    return out;
  }
  readCompactArray<T>(readElement: (r: Reader) => T, minElementSize = 1): T[] {
    const n = this.readCompactArrayLength(minElementSize);
    if (n < 0) this.fail('null compact array where a value is required');
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = readElement(this);
    return out;
  }
  readCompactNullableArray<T>(readElement: (r: Reader) => T, minElementSize = 1): T[] | null {
    const n = this.readCompactArrayLength(minElementSize);
    if (n < 0) return null;
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = readElement(this);
    return out;
  }

  /**
   * Reads a tagged-field section. `onTag` handles known tags by reading from a sub-reader bounded to
   * the field; it returns false for tags it does not know, which are kept raw and returned.
   */
  readTaggedFields(onTag?: (tag: number, r: Reader) => boolean): RawTaggedField[] | undefined {
    const n = this.readUVarint();
    this.checkCount(n, 2);
    let unknown: RawTaggedField[] | undefined;
    let last = -1;
    for (let i = 0; i < n; i++) {
      const tag = this.readUVarint();
      if (tag <= last) this.fail(`tagged fields out of order (${tag} after ${last})`);
      last = tag;
      const size = this.readUVarint();
      const start = this.need(size);
      const sub = new Reader(this.buf, start, start + size);
      if (onTag && onTag(tag, sub)) continue;
      (unknown ??= []).push({ tag, data: this.buf.subarray(start, start + size) });
    }
    return unknown;
  }
}

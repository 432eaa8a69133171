import type { RawTaggedField } from './reader.js';

const MIN_CHUNK = 8192;
/** Buffers at least this large are referenced, not copied (record sets read from segment files). */
const ZERO_COPY_THRESHOLD = 1024;

/**
 * Writes Kafka primitive types. Output is a list of chunks: small values go into a scratch buffer,
 * large byte strings are referenced as they are, so a fetch response carries segment bytes
 * without copying them.
 */
export class Writer {
  private chunks: Buffer[] = [];
  private cur: Buffer;
  private pos = 0;
  private flushedLength = 0;

  constructor(initialSize = 256) {
    this.cur = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.flushedLength + this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.cur.length) return;
    this.seal();
    this.cur = Buffer.allocUnsafe(Math.max(n, MIN_CHUNK, this.flushedLength >>> 1));
  }

  private seal(): void {
    if (this.pos > 0) {
      this.chunks.push(this.cur.subarray(0, this.pos));
      this.flushedLength += this.pos;
    }
    this.cur = this.cur.subarray(this.pos);
    this.pos = 0;
  }

  writeInt8(v: number): this {
    this.ensure(1);
    this.cur.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }
  writeUint8(v: number): this {
    this.ensure(1);
    this.cur[this.pos++] = v;
    return this;
  }
  writeBoolean(v: boolean): this {
    return this.writeUint8(v ? 1 : 0);
  }
  writeInt16(v: number): this {
    this.ensure(2);
    this.cur.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  writeUint16(v: number): this {
    this.ensure(2);
    this.cur.writeUint16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  writeInt32(v: number): this {
    this.ensure(4);
    this.cur.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }
  writeUint32(v: number): this {
    this.ensure(4);
    this.cur.writeUint32BE(v, this.pos);
    this.pos += 4;
    return this;
  }
  writeInt64(v: bigint): this {
    this.ensure(8);
    this.cur.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }
  writeFloat64(v: number): this {
    this.ensure(8);
    this.cur.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }
  writeUVarint(v: number): this {
    this.ensure(5);
    let u = v >>> 0;
    while (u >= 0x80) {
      this.cur[this.pos++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    this.cur[this.pos++] = u;
    return this;
  }
  writeVarint(v: number): this {
    return this.writeUVarint(((v << 1) ^ (v >> 31)) >>> 0);
  }
  writeVarlong(v: bigint | number): this {
    this.ensure(10);
    const b = BigInt(v);
    let u = BigInt.asUintN(64, (b << 1n) ^ (b >> 63n));
    while (u >= 0x80n) {
      this.cur[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.cur[this.pos++] = Number(u);
    return this;
  }
  writeUUID(uuid: string): this {
    const hex = uuid.replace(/-/g, '');
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`not a UUID: ${uuid}`);
    this.ensure(16);
    this.cur.write(hex, this.pos, 16, 'hex');
    this.pos += 16;
    return this;
  }

  /** Appends raw bytes: copied when small, referenced when large. */
  writeRaw(b: Uint8Array): this {
    if (b.length >= ZERO_COPY_THRESHOLD) {
      this.seal();
      const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length);
      this.chunks.push(buf);
      this.flushedLength += buf.length;
      return this;
    }
    this.ensure(b.length);
    this.cur.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  private writeUtf8(s: string, len: number): void {
    this.ensure(len);
    this.cur.write(s, this.pos, len, 'utf8');
    this.pos += len;
  }
  writeString(s: string): this {
    const len = Buffer.byteLength(s);
    if (len > 0x7fff) throw new RangeError(`string of ${len} bytes is too long for an int16 length`);
    this.writeInt16(len);
    this.writeUtf8(s, len);
    return this;
  }
  writeNullableString(s: string | null | undefined): this {
    if (s == null) return this.writeInt16(-1);
    return this.writeString(s);
  }
  writeCompactString(s: string): this {
    const len = Buffer.byteLength(s);
    this.writeUVarint(len + 1);
    this.writeUtf8(s, len);
    return this;
  }
  writeCompactNullableString(s: string | null | undefined): this {
    if (s == null) return this.writeUVarint(0);
    return this.writeCompactString(s);
  }
  writeBytes(b: Uint8Array): this {
    this.writeInt32(b.length);
    return this.writeRaw(b);
  }
  writeNullableBytes(b: Uint8Array | null | undefined): this {
    if (b == null) return this.writeInt32(-1);
    return this.writeBytes(b);
  }
  writeCompactBytes(b: Uint8Array): this {
    this.writeUVarint(b.length + 1);
    return this.writeRaw(b);
  }
  writeCompactNullableBytes(b: Uint8Array | null | undefined): this {
    if (b == null) return this.writeUVarint(0);
    return this.writeCompactBytes(b);
  }

  writeArray<T>(items: readonly T[], writeElement: (w: Writer, item: T) => void): this {
    this.writeInt32(items.length);
    for (const it of items) writeElement(this, it);
    return this;
  }
  writeNullableArray<T>(items: readonly T[] | null | undefined, writeElement: (w: Writer, item: T) => void): this {
    if (items == null) return this.writeInt32(-1);
    return this.writeArray(items, writeElement);
  }
  writeCompactArray<T>(items: readonly T[], writeElement: (w: Writer, item: T) => void): this {
    this.writeUVarint(items.length + 1);
    for (const it of items) writeElement(this, it);
    return this;
  }
  writeCompactNullableArray<T>(items: readonly T[] | null | undefined, writeElement: (w: Writer, item: T) => void): this {
    if (items == null) return this.writeUVarint(0);
    return this.writeCompactArray(items, writeElement);
  }

  /**
   * Writes a tagged-field section: `known` are (tag, encoder) pairs already filtered to the fields
   * that differ from their defaults, `unknown` are raw fields carried through from decoding.
   */
  writeTaggedFields(known: ReadonlyArray<[number, (w: Writer) => void]> = [], unknown?: readonly RawTaggedField[]): this {
    const all: Array<[number, Buffer]> = [];
    for (const [tag, enc] of known) {
      const sub = new Writer(64);
      enc(sub);
      all.push([tag, sub.toBuffer()]);
    }
    if (unknown) for (const f of unknown) all.push([f.tag, f.data]);
    if (all.length > 1) all.sort((a, b) => a[0] - b[0]);
    this.writeUVarint(all.length);
    for (const [tag, data] of all) {
      this.writeUVarint(tag);
      this.writeUVarint(data.length);
      this.writeRaw(data);
    }
    return this;
  }

  /** The chunks written so far, in order, for a vectored socket write. */
  toChunks(): Buffer[] {
    this.seal();
    return this.chunks;
  }

  toBuffer(): Buffer {
    const chunks = this.toChunks();
    if (chunks.length === 1) return chunks[0]!;
    return Buffer.concat(chunks, this.flushedLength);
  }
}

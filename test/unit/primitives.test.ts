import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer, DecodeError, crc32c } from '../../src/protocol/primitives/index.js';

test('varints round-trip at the edges', () => {
  const ints = [0, 1, -1, 63, -64, 64, 300, -300, 2 ** 31 - 1, -(2 ** 31)];
  const w = new Writer();
  for (const v of ints) w.writeVarint(v);
  const longs = [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 1234567890123n];
  for (const v of longs) w.writeVarlong(v);
  w.writeUVarint(2 ** 32 - 1);
  const r = new Reader(w.toBuffer());
  for (const v of ints) assert.equal(r.readVarint(), v);
  for (const v of longs) assert.equal(r.readVarlong(), v);
  assert.equal(r.readUVarint(), 2 ** 32 - 1);
  assert.equal(r.remaining, 0);
});

test('known varint encodings', () => {
  assert.deepEqual(new Writer().writeVarint(-1).toBuffer(), Buffer.from([0x01]));
  assert.deepEqual(new Writer().writeVarint(1).toBuffer(), Buffer.from([0x02]));
  assert.deepEqual(new Writer().writeUVarint(300).toBuffer(), Buffer.from([0xac, 0x02]));
});

test('strings, bytes, arrays, uuid, tagged fields round-trip', () => {
  const w = new Writer(4);
  w.writeString('héllo').writeNullableString(null).writeCompactString('x').writeCompactNullableString(null);
  w.writeBytes(Buffer.from('ab')).writeNullableBytes(null).writeCompactBytes(Buffer.alloc(2000, 7));
  w.writeArray([1, 2, 3], (w2, v) => w2.writeInt32(v)).writeCompactArray([5n], (w2, v) => w2.writeInt64(v));
  w.writeUUID('01234567-89ab-cdef-0123-456789abcdef');
  w.writeTaggedFields([[3, (x) => x.writeInt32(9)], [0, (x) => x.writeBoolean(true)]]);
  w.writeFloat64(1.5);
  const r = new Reader(w.toBuffer());
  assert.equal(r.readString(), 'héllo');
  assert.equal(r.readNullableString(), null);
  assert.equal(r.readCompactString(), 'x');
  assert.equal(r.readCompactNullableString(), null);
  assert.deepEqual(r.readBytes(), Buffer.from('ab'));
  assert.equal(r.readNullableBytes(), null);
  assert.deepEqual(r.readCompactBytes(), Buffer.alloc(2000, 7));
  assert.deepEqual(r.readArray((x) => x.readInt32(), 4), [1, 2, 3]);
  assert.deepEqual(r.readCompactArray((x) => x.readInt64(), 8), [5n]);
  assert.equal(r.readUUID(), '01234567-89ab-cdef-0123-456789abcdef');
  const seen: number[] = [];
  const unknown = r.readTaggedFields((tag, sub) => {
    if (tag !== 0) return false;
    seen.push(tag);
    assert.equal(sub.readBoolean(), true);
    return true;
  });
  assert.deepEqual(seen, [0]);
  assert.equal(unknown?.length, 1);
  assert.equal(unknown?.[0]?.tag, 3);
  assert.equal(r.readFloat64(), 1.5);
  assert.equal(r.remaining, 0);
});

test('hostile lengths raise DecodeError without allocating', () => {
  const huge = Buffer.from([0x7f, 0xff, 0xff, 0xff]);
  assert.throws(() => new Reader(huge).readArray((r) => r.readInt8()), DecodeError);
  assert.throws(() => new Reader(huge).readBytes(), DecodeError);
  assert.throws(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xfe])).readBytes(), DecodeError);
  assert.throws(() => new Reader(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).readUVarint(), DecodeError);
  assert.throws(() => new Reader(Buffer.from([0x00, 0x05, 0x61])).readString(), DecodeError);
  assert.throws(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])).readCompactArray((r) => r.readInt8()), DecodeError);
  assert.throws(() => new Reader(Buffer.alloc(3)).readInt32(), DecodeError);
});

test('crc32c matches the Castagnoli check value', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
});

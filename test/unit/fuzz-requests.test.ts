// Throws random and mutated bytes at every request decoder (and the request header decoder) in
// every version. Only DecodeError may escape: no RangeError, TypeError, hang or huge allocation.
// The run is deterministic; set FUZZ_SEED to explore other inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError, Reader, Writer, apis, decodeRequestHeader, encodeRequestHeader, type ApiCodec } from '../../src/protocol/index.js';
import { Rng, loadSchema, randomStruct, versionsOf } from './messages-values.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 0x5eed);
const RANDOM_PER_VERSION = 40;
const VALID_PER_VERSION = 3;
const MUTATIONS_PER_VALID = 40;

const HOSTILE: Buffer[] = [
  Buffer.from([0x7f, 0xff, 0xff, 0xff]), // INT32_MAX count or length
  Buffer.from([0xff, 0xff, 0xff, 0xff]), // -1
  Buffer.from([0x80, 0x00, 0x00, 0x00]), // INT32_MIN
  Buffer.from([0xff, 0xfe]), // int16 -2
  Buffer.from([0x7f, 0xff]), // int16 max
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), // uvarint 2^32-1 (compact length)
  Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x07]), // uvarint 2^31-2
  Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80]), // unterminated varint
  Buffer.from([0x81, 0x80, 0x80, 0x80, 0x00]), // overlong varint
];

function check(decode: () => unknown, label: string, input: Buffer): void {
  try {
    decode();
  } catch (e) {
    if (e instanceof DecodeError) return;
    assert.fail(`${label} (FUZZ_SEED=${SEED}) threw ${String(e)} for input ${input.toString('hex').slice(0, 400)}`);
  }
}

function mutate(rng: Rng, valid: Buffer): Buffer {
  const b = Buffer.from(valid);
  switch (rng.int(0, 4)) {
    case 0: {
      // bit flips
      const n = rng.int(1, 4);
      for (let i = 0; i < n && b.length > 0; i++) b[rng.int(0, b.length - 1)]! ^= 1 << rng.int(0, 7);
      return b;
    }
    case 1: {
      // overwrite with a hostile value at a random offset
      const h = rng.pick(HOSTILE);
      const at = rng.int(0, Math.max(0, b.length - 1));
      return Buffer.concat([b.subarray(0, at), h, b.subarray(Math.min(b.length, at + h.length))]);
    }
    case 2: {
      // insert a hostile value
      const at = rng.int(0, b.length);
      return Buffer.concat([b.subarray(0, at), rng.pick(HOSTILE), b.subarray(at)]);
    }
    case 3: {
      // random bytes in a random window
      const at = rng.int(0, b.length);
      return Buffer.concat([b.subarray(0, at), rng.bytes(rng.int(1, 8)), b.subarray(at + rng.int(0, 8))]);
    }
    default:
      // duplicate a slice
      {
        const at = rng.int(0, b.length);
        const len = rng.int(0, 16);
        return Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]);
      }
  }
}

test('request decoders reject hostile input with DecodeError only', () => {
  const started = Date.now();
  const rng = new Rng(SEED);
  const schema = loadSchema();
  let inputs = 0;
  for (const api of schema.apis) {
    const codec = apis.get(api.apiKey) as ApiCodec | undefined;
    assert.ok(codec);
    for (const v of versionsOf(api.request)) {
      const label = `${api.name}Request v${v}`;
      const decode = (buf: Buffer) => (): unknown => codec.decodeRequest(new Reader(buf), v);
      for (let i = 0; i < RANDOM_PER_VERSION; i++) {
        const buf = rng.bytes(rng.int(0, 64));
        check(decode(buf), label, buf);
        inputs++;
      }
      for (const h of HOSTILE) {
        // A hostile value at the start, followed by some plausible bytes.
        const buf = Buffer.concat([h, Buffer.alloc(rng.int(0, 16), 1)]);
        check(decode(buf), label, buf);
        inputs++;
      }
      for (let i = 0; i < VALID_PER_VERSION; i++) {
        const w = new Writer();
        (codec.encodeRequest as (w: Writer, m: unknown, v: number) => void)(
          w,
          randomStruct(rng, api.request, api.request.name, v),
          v,
        );
        const valid = w.toBuffer();
        if (valid.length < 4096) {
          // truncation at every length
          for (let n = 0; n < valid.length; n++) {
            const t = valid.subarray(0, n);
            check(decode(t), `${label} truncated to ${n}`, t);
            inputs++;
          }
        }
        for (let j = 0; j < MUTATIONS_PER_VALID; j++) {
          const buf = mutate(rng, valid);
          check(decode(buf), label, buf);
          inputs++;
        }
      }
    }
  }
  // The request header, in all three versions.
  for (let v = 0; v <= 2; v++) {
    const w = new Writer();
    encodeRequestHeader(w, { requestApiKey: 3, requestApiVersion: 12, correlationId: 7, clientId: 'client' }, v);
    const valid = w.toBuffer();
    for (let n = 0; n < valid.length; n++) check(() => decodeRequestHeader(new Reader(valid.subarray(0, n)), v), 'RequestHeader', valid);
    for (let j = 0; j < 200; j++) {
      const buf = mutate(rng, valid);
      check(() => decodeRequestHeader(new Reader(buf), v), `RequestHeader v${v}`, buf);
    }
  }
  const ms = Date.now() - started;
  assert.ok(inputs > 20000, `only ${inputs} inputs`);
  console.log(`fuzzed ${inputs} inputs in ${ms} ms (FUZZ_SEED=${SEED})`);
});

test('hostile lengths fail before allocating', () => {
  const produce = apis.get(0)!;
  // ProduceRequest v3: null transactional id, acks, timeout, then INT32_MAX topics.
  const buf = Buffer.from('ffff0001000075307fffffff', 'hex');
  assert.throws(() => produce.decodeRequest(new Reader(buf), 3), DecodeError);
  // v9 (flexible): compact array length 2^32-2.
  const flex = Buffer.from('00000100007530ffffffff0f', 'hex');
  assert.throws(() => produce.decodeRequest(new Reader(flex), 9), DecodeError);
  // Negative string length where a string is required (topic name -2).
  const neg = Buffer.from('ffff00010000753000000001fffe', 'hex');
  assert.throws(() => produce.decodeRequest(new Reader(neg), 3), DecodeError);
});

test('response decoders (used by the client) also fail only with DecodeError', () => {
  const rng = new Rng(SEED ^ 0xa5a5);
  const schema = loadSchema();
  for (const api of schema.apis) {
    const codec = apis.get(api.apiKey) as ApiCodec;
    for (const v of versionsOf(api.response)) {
      const label = `${api.name}Response v${v}`;
      const w = new Writer();
      (codec.encodeResponse as (w: Writer, m: unknown, v: number) => void)(
        w,
        randomStruct(rng, api.response, api.response.name, v),
        v,
      );
      const valid = w.toBuffer();
      for (let j = 0; j < 30; j++) {
        const buf = j < 10 ? valid.subarray(0, rng.int(0, valid.length)) : j < 15 ? rng.bytes(rng.int(0, 48)) : mutate(rng, valid);
        check(() => codec.decodeResponse(new Reader(buf), v), label, buf);
      }
    }
  }
});

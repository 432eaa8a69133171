// The one frame decoder both Connections use: frames split and coalesced arbitrarily, sizes out
// of range, and stop() from inside onFrame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameDecoder } from '../../src/protocol/framing.js';

function framed(payloads: readonly Buffer[]): Buffer {
  return Buffer.concat(
    payloads.flatMap((p) => {
      const size = Buffer.alloc(4);
      size.writeInt32BE(p.length, 0);
      return [size, p];
    }),
  );
}

function decoder(maxFrameBytes = 1 << 20, minFrameBytes = 0): { d: FrameDecoder; frames: Buffer[]; bad: number[] } {
  const frames: Buffer[] = [];
  const bad: number[] = [];
  const d = new FrameDecoder({ maxFrameBytes, minFrameBytes, onFrame: (f) => frames.push(Buffer.from(f)), onBadSize: (s) => bad.push(s) });
  return { d, frames, bad };
}

test('frames come out whole and in order however the stream is cut', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 20 }),
      (arrays, cuts) => {
        const payloads = arrays.map((a) => Buffer.from(a));
        const stream = framed(payloads);
        const { d, frames, bad } = decoder();
        for (let off = 0, i = 0; off < stream.length; i++) {
          const n = cuts[i % cuts.length]!;
          d.push(stream.subarray(off, off + n));
          off += n;
        }
        assert.deepEqual(bad, []);
        assert.deepEqual(frames, payloads);
      },
    ),
  );
});

test('a size above the maximum or below the minimum stops the decoder before buffering', () => {
  const big = decoder(10);
  big.d.push(framed([Buffer.alloc(3), Buffer.alloc(11), Buffer.alloc(2)]));
  assert.deepEqual(big.frames, [Buffer.alloc(3)]);
  assert.deepEqual(big.bad, [11]);
  big.d.push(framed([Buffer.alloc(1)]));
  assert.equal(big.frames.length, 1, 'nothing after a bad size');

  const negative = decoder(10);
  negative.d.push(Buffer.from([0xff, 0xff]));
  negative.d.push(Buffer.from([0xff, 0xfe]));
  assert.deepEqual(negative.bad, [-2]);

  const short = decoder(10, 4);
  short.d.push(framed([Buffer.alloc(3)]));
  assert.deepEqual(short.bad, [3]);
  assert.deepEqual(short.frames, []);
});

test('stop() inside onFrame drops the rest of the chunk', () => {
  const seen: Buffer[] = [];
  const d: FrameDecoder = new FrameDecoder({
    maxFrameBytes: 100,
    onFrame: (f) => {
      seen.push(f);
      d.stop();
    },
    onBadSize: () => assert.fail('no bad size'),
  });
  d.push(framed([Buffer.from('a'), Buffer.from('b')]));
  assert.deepEqual(seen, [Buffer.from('a')]);
});

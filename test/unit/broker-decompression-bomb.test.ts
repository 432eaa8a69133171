// Decompression bombs (CVE-2023-34455 class): a produced batch whose compressed payload expands
// (or claims to expand) to 1 GiB is refused with INVALID_RECORD (as Kafka 4.3.1 answers such bombs), for every codec, before anything
// of that size is allocated: the broker's peak RSS grows by a bounded amount, it keeps serving,
// and the log is unchanged. On a compacted topic too. The consumer's decoding of such a batch fails
// with a clear error, bounded the same way. Also the bound itself: a payload just under it passes.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { checkDecompressedSize, compressSync } from '../../src/protocol/records/compression.js';
import { CompressionError } from '../../src/protocol/records/errors.js';
import { decodeFetchedPartition } from '../../src/client/consumer.js';
import { Connection } from '../../src/client/index.js';
import { allBombs, batchWithPayload } from './helpers/bombs.js';
import { batch, connect, createTopic, latestOffset, produceRequest, startBroker, type TestBroker } from './helpers/broker-client.js';

const MIB = 1024 * 1024;

/** Peak resident set size of this process so far (bytes). */
const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

describe('decompression bombs on produce', () => {
  let tb: TestBroker;
  let conn: Connection;
  const bombs = allBombs();

  before(async () => {
    // message.max.bytes above the LZ4 bomb's 4 MiB; socket.request.max.bytes (the bound) at its default, 100 MiB.
    tb = await startBroker({ 'message.max.bytes': 8 * MIB });
    conn = await connect(tb);
    await createTopic(conn, 'bombs');
    await createTopic(conn, 'bombs-compacted', 1, { 'cleanup.policy': 'compact' });
  });
  after(async () => {
    conn.close();
    await tb.close();
  });

  for (const topic of ['bombs', 'bombs-compacted']) {
    test(`every codec's 1 GiB bomb is INVALID_RECORD on ${topic}; peak RSS stays bounded; the log is unchanged`, async (t) => {
      const before = await latestOffset(conn, topic);
      for (const b of bombs) {
        const records = batchWithPayload(b.codec, b.payload);
        global.gc?.();
        const peakBefore = peakRss();
        const res = await conn.send(ApiKey.Produce, produceRequest(topic, 0, records), { version: 9 });
        const grew = peakRss() - peakBefore;
        const p = res.responses[0]!.partitionResponses[0]!;
        t.diagnostic(`${b.name}: ${records.length} bytes produced; answer ${p.errorCode} "${p.errorMessage}"; peak RSS grew ${(grew / MIB).toFixed(1)} MiB`);
        assert.equal(p.errorCode, ErrorCode.INVALID_RECORD, `${b.name}: ${p.errorMessage}`);
        assert.match(p.errorMessage ?? '', /expand beyond the broker's limit of 104857600 bytes/);
        // The bound is socket.request.max.bytes (100 MiB): nothing near 1 GiB was held.
        assert.ok(grew < 200 * MIB, `${b.name}: peak RSS grew ${grew} bytes`);
      }
      assert.equal(await latestOffset(conn, topic), before, 'nothing was appended');
      // Still serving: a real compressed batch of each codec is taken.
      for (const codec of [1, 2, 3, 4]) {
        const res = await conn.send(ApiKey.Produce, produceRequest(topic, 0, batch([{ key: 'k', value: 'v'.repeat(1000) }], { compression: codec })), { version: 9 });
        assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
      }
      assert.equal(await latestOffset(conn, topic), before + 4n);
    });
  }

  test('the bound is socket.request.max.bytes: a batch expanding past it is refused, one under it taken', async () => {
    const small = await startBroker({ 'socket.request.max.bytes': 2 * MIB });
    const c = await connect(small);
    try {
      await createTopic(c, 't');
      for (const codec of [1, 2, 3, 4]) {
        const over = await c.send(ApiKey.Produce, produceRequest('t', 0, batch([{ value: Buffer.alloc(3 * MIB) }], { compression: codec })), { version: 9 });
        assert.equal(over.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.INVALID_RECORD, `codec ${codec}`);
        const under = await c.send(ApiKey.Produce, produceRequest('t', 0, batch([{ value: Buffer.alloc(MIB + MIB / 2) }], { compression: codec })), { version: 9 });
        assert.equal(under.responses[0]!.partitionResponses[0]!.errorCode, 0, `codec ${codec}`);
      }
    } finally {
      c.close();
      await small.close();
    }
  });
});

test('checkDecompressedSize: exact at the bound for every codec, bounded memory for the bombs', () => {
  const data = Buffer.alloc(1 * MIB, 7);
  for (const codec of [1, 2, 3, 4] as const) {
    const c = compressSync(codec, data);
    checkDecompressedSize(codec, c, MIB);
    assert.throws(
      () => checkDecompressedSize(codec, c, MIB - 1),
      (e: unknown) => e instanceof CompressionError && e.reason === 'too-large',
      `codec ${codec}`,
    );
  }
  for (const b of allBombs()) {
    assert.throws(
      () => checkDecompressedSize(b.codec, b.payload, 100 * MIB),
      (e: unknown) => e instanceof CompressionError && e.reason === 'too-large',
      b.name,
    );
  }
});

test("the consumer's decoding of a bomb fails with a clear error, its memory bounded", async (t) => {
  for (const b of allBombs()) {
    global.gc?.();
    const peakBefore = peakRss();
    await assert.rejects(
      decodeFetchedPartition('t', 0, 0n, { records: batchWithPayload(b.codec, b.payload), abortedTransactions: null }, false),
      (e: unknown) => e instanceof Error && /cannot decompress records: .*(exceeds|more than|limit leaves) 104857600/.test(e.message),
      b.name,
    );
    const grew = peakRss() - peakBefore;
    t.diagnostic(`consumer, ${b.name}: peak RSS grew ${(grew / MIB).toFixed(1)} MiB`);
    assert.ok(grew < 300 * MIB, `${b.name}: ${grew}`);
  }
});

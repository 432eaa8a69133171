// The quota test: a producer limited to 1 MB/s (producer_byte_rate on its client id) is held to
// it within 10%, while an unlimited producer on the same broker at the same time is never
// throttled and not slowed down. quota.window.num=2 and quota.window.size.seconds=1, so that past
// the first window the rate is the bound (the default 11 windows allow a 10 s burst and swing
// around the bound for a minute: see quota-math.test.ts). Bytes are counted as they are
// acknowledged, over 10 s starting 2 s in; the quota's granularity is one request (64 KB).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { batch, connect, createTopic, produceRequest, startBroker, type TestBroker } from './helpers/broker-client.js';

const BOUND = 1024 * 1024;
const FROM_MS = 2000;
const TO_MS = 12_000;

/** Produces `records` one request at a time until `stop`; returns (ack time, bytes, throttle) per request. */
async function produceLoop(conn: Connection, topic: string, records: Buffer, stop: () => boolean): Promise<Array<{ at: number; bytes: number; throttleMs: number }>> {
  const acks: Array<{ at: number; bytes: number; throttleMs: number }> = [];
  while (!stop()) {
    const r = await conn.send(ApiKey.Produce, produceRequest(topic, 0, records), { version: 9 });
    assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, 0);
    acks.push({ at: performance.now(), bytes: records.length, throttleMs: r.throttleTimeMs });
  }
  return acks;
}

const rate = (acks: ReadonlyArray<{ at: number; bytes: number }>, from: number, to: number): number =>
  acks.filter((a) => a.at >= from && a.at < to).reduce((s, a) => s + a.bytes, 0) / ((to - from) / 1000);

describe('client quota enforcement', () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startBroker({ 'quota.window.num': '2', 'quota.window.size.seconds': '1' });
    const c = await connect(tb);
    await createTopic(c, 'limited');
    await createTopic(c, 'free');
    await c.send(ApiKey.AlterClientQuotas, {
      entries: [{ entity: [{ entityType: 'client-id', entityName: 'limited' }], ops: [{ key: 'producer_byte_rate', value: BOUND, remove: false }] }],
      validateOnly: false,
    });
    c.close();
  });
  after(async () => tb.close());

  test('a 1 MB/s producer is held to 1 MB/s within 10%; an unlimited one beside it is not slowed', async (t) => {
    const limited = await connect(tb, { clientId: 'limited' });
    const free = await connect(tb, { clientId: 'free' });
    try {
      const big = batch([{ value: Buffer.alloc(64 * 1024 - 100, 7) }]);
      const small = batch([{ value: Buffer.alloc(1024, 7) }]);
      // The unlimited producer alone first (its solo rate), then beside the limited one.
      const soloStart = performance.now();
      const solo = await produceLoop(free, 'free', small, () => performance.now() - soloStart > 2000);
      const soloRate = rate(solo, soloStart, soloStart + 2000);

      const start = performance.now();
      const limitedRun = produceLoop(limited, 'limited', big, () => performance.now() - start > TO_MS + 500);
      // Beside it, from 4 s to 6 s of the limited run.
      while (performance.now() - start < 4000) await new Promise((r) => setTimeout(r, 50));
      const besideStart = performance.now();
      const beside = await produceLoop(free, 'free', small, () => performance.now() - besideStart > 2000);
      const besideRate = rate(beside, besideStart, besideStart + 2000);
      const acks = await limitedRun;

      const held = rate(acks, start + FROM_MS, start + TO_MS);
      t.diagnostic(`limited: ${(held / BOUND).toFixed(3)} x 1 MB/s; unlimited: ${Math.round(besideRate)} B/s beside it, ${Math.round(soloRate)} B/s alone`);
      assert.ok(Math.abs(held / BOUND - 1) <= 0.1, `limited producer at ${(held / BOUND).toFixed(3)} x 1 MB/s`);
      assert.ok(acks.some((a) => a.throttleMs > 0), 'the limited producer was throttled');
      assert.ok([...solo, ...beside].every((a) => a.throttleMs === 0), 'the unlimited producer was never throttled');
      assert.ok(besideRate >= soloRate * 0.4, `unlimited producer: ${Math.round(besideRate)} B/s beside the limited one, ${Math.round(soloRate)} B/s alone`);
    } finally {
      limited.close();
      free.close();
    }
  });
});

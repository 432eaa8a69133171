// Produce, Fetch, ListOffsets and the idempotent producer against the embedded broker, at old and
// new versions, through the client Connection.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/client/index.js';
import { ApiKey, type FetchResponse } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { decodeRecordSetSync } from '../../src/protocol/records/index.js';
import {
  batch,
  connect,
  createTopic,
  deadline,
  EARLIEST,
  fetchRequest,
  LATEST,
  latestOffset,
  listOffsetsRequest,
  MAX_TIMESTAMP,
  produceRequest,
  startBroker,
  topicId,
  type FetchSpec,
  type TestBroker,
} from './helpers/broker-client.js';
import { ZERO_UUID } from '../../src/protocol/primitives/index.js';

/** The values and offsets in a fetch response's first partition. */
function fetched(res: FetchResponse): { errorCode: number; highWatermark: bigint; records: Array<{ offset: number; value: string }>; bytes: number } {
  const p = res.responses[0]!.partitions[0]!;
  const buf = p.records ?? Buffer.alloc(0);
  const records = decodeRecordSetSync(buf).flatMap((b) => b.records.map((r) => ({ offset: r.offset, value: r.value?.toString() ?? '' })));
  return { errorCode: p.errorCode, highWatermark: p.highWatermark, records, bytes: buf.length };
}

describe('produce and fetch', () => {
  let tb: TestBroker;
  let c: Connection;
  const ids = new Map<string, string>();

  async function fetchAt(version: number | undefined, spec: FetchSpec): Promise<ReturnType<typeof fetched>> {
    const res = await c.send(ApiKey.Fetch, fetchRequest({ topicId: ids.get(spec.topic), ...spec }), version === undefined ? {} : { version });
    return fetched(res);
  }

  before(async () => {
    tb = await startBroker();
    c = await connect(tb);
    for (const t of ['versions', 'acks', 'poll', 'minbytes', 'bigbatch', 'offsets', 'idem']) {
      await createTopic(c, t);
      ids.set(t, await topicId(c, t));
    }
  });
  after(async () => {
    await c.close();
    await tb.close();
  });

  test('Produce v3, v7, v9, v11 append; Fetch v4, v11, v12, v13 (topic ids), v17, v18 read them back', async () => {
    const produced: string[] = [];
    for (const v of [3, 7, 9, 11]) {
      const values = [`p${v}-a`, `p${v}-b`];
      const res = await c.send(ApiKey.Produce, produceRequest('versions', 0, batch(values)), { version: v });
      const p = res.responses[0]!.partitionResponses[0]!;
      assert.equal(p.errorCode, 0, `Produce v${v}`);
      assert.equal(p.baseOffset, BigInt(produced.length), `Produce v${v} base offset`);
      produced.push(...values);
    }
    const expected = produced.map((value, offset) => ({ offset, value }));
    for (const v of [4, 11, 12, 13, 17, 18]) {
      const f = await fetchAt(v, { topic: 'versions', offset: 0, ...(v < 13 ? { topicId: ZERO_UUID } : {}) });
      assert.equal(f.errorCode, 0, `Fetch v${v}`);
      assert.equal(f.highWatermark, BigInt(produced.length), `Fetch v${v} high watermark`);
      assert.deepEqual(f.records, expected, `Fetch v${v} records`);
      // From the middle of a batch: the whole batch comes back (the consumer skips below its offset).
      const mid = await fetchAt(v, { topic: 'versions', offset: 5, ...(v < 13 ? { topicId: ZERO_UUID } : {}) });
      assert.deepEqual(mid.records.map((r) => r.offset), [4, 5, 6, 7]);
    }
    // v13+ answers by topic id.
    const res = await c.send(ApiKey.Fetch, fetchRequest({ topic: '', topicId: ids.get('versions')!, offset: 0 }), { version: 13 });
    assert.equal(res.responses[0]!.topicId, ids.get('versions'));
  });

  test('Produce v13 names topics by id: appended, answered by id; an unknown id gets UNKNOWN_TOPIC_ID; v12 still by name', async () => {
    const id = ids.get('versions')!;
    const start = await latestOffset(c, 'versions');
    const byId = (topicId: string) => ({ transactionalId: null, acks: 1, timeoutMs: 10_000, topicData: [{ name: '', topicId, partitionData: [{ index: 0, records: batch(['by-id']) }] }] });
    const res = await c.send(ApiKey.Produce, byId(id), { version: 13 });
    assert.equal(res.responses[0]!.topicId, id);
    assert.deepEqual([res.responses[0]!.partitionResponses[0]!.errorCode, res.responses[0]!.partitionResponses[0]!.baseOffset], [0, start]);
    const unknown = await c.send(ApiKey.Produce, byId('00000000-0000-0000-0000-00000000abcd'), { version: 13 });
    assert.equal(unknown.responses[0]!.topicId, '00000000-0000-0000-0000-00000000abcd');
    assert.equal(unknown.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
    const zero = await c.send(ApiKey.Produce, byId(ZERO_UUID), { version: 13 });
    assert.equal(zero.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
    // A partition the topic lacks, by id: UNKNOWN_TOPIC_OR_PARTITION, as by name.
    const noPart = await c.send(ApiKey.Produce, { ...byId(id), topicData: [{ name: '', topicId: id, partitionData: [{ index: 7, records: batch(['x']) }] }] }, { version: 13 });
    assert.equal(noPart.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const v12 = await c.send(ApiKey.Produce, produceRequest('versions', 0, batch(['by-name'])), { version: 12 });
    assert.equal(v12.responses[0]!.name, 'versions');
    assert.equal(v12.responses[0]!.partitionResponses[0]!.baseOffset, start + 1n);
    const f = await fetchAt(undefined, { topic: 'versions', offset: Number(start) });
    assert.deepEqual(f.records.map((r) => r.value), ['by-id', 'by-name']);
  });

  test('acks=0, acks=1 and acks=-1; other acks values get INVALID_REQUIRED_ACKS', async () => {
    const r1 = await c.send(ApiKey.Produce, produceRequest('acks', 0, batch(['one']), 1), { version: 12 });
    assert.equal(r1.responses[0]!.partitionResponses[0]!.baseOffset, 0n);
    const rAll = await c.send(ApiKey.Produce, produceRequest('acks', 0, batch(['all']), -1), { version: 12 });
    assert.equal(rAll.responses[0]!.partitionResponses[0]!.baseOffset, 1n);
    assert.equal(await c.send(ApiKey.Produce, produceRequest('acks', 0, batch(['zero']), 0), { version: 12 }), undefined);
    const r2 = await c.send(ApiKey.Produce, produceRequest('acks', 0, batch(['two']), 2), { version: 12 });
    assert.equal(r2.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.INVALID_REQUIRED_ACKS);
    const f = await fetchAt(undefined, { topic: 'acks', offset: 0 });
    assert.deepEqual(f.records.map((r) => r.value), ['one', 'all', 'zero']);
  });

  test('a fetch long poll wakes on append, well before max_wait_ms', async () => {
    const poller = await connect(tb);
    try {
      const end = await latestOffset(c, 'poll');
      const maxWaitMs = 20_000;
      const t0 = Date.now();
      let producedAt = 0;
      const poll = poller.send(ApiKey.Fetch, fetchRequest({ topic: 'poll', topicId: ids.get('poll'), offset: end, maxWaitMs }), { timeoutMs: maxWaitMs + 5000 });
      // A round trip on another connection gives the broker time to read and park the poll.
      await latestOffset(c, 'poll');
      producedAt = Date.now();
      const pr = await c.send(ApiKey.Produce, produceRequest('poll', 0, batch(['wake-up'])), { version: 12 });
      assert.equal(pr.responses[0]!.partitionResponses[0]!.errorCode, 0);
      const res = fetched(await deadline(poll, maxWaitMs, 'the long poll'));
      const doneAt = Date.now();
      assert.deepEqual(res.records, [{ offset: Number(end), value: 'wake-up' }], 'returned with the appended record');
      assert.ok(doneAt >= producedAt, 'returned after the produce');
      assert.ok(doneAt - t0 < maxWaitMs / 2, `returned well before max_wait_ms (${doneAt - t0} ms)`);
    } finally {
      await poller.close();
    }
  });

  test('min_bytes: an empty fetch waits max_wait_ms; a fetch waits until min_bytes have arrived', async () => {
    const t0 = Date.now();
    const empty = await fetchAt(undefined, { topic: 'minbytes', offset: 0, maxWaitMs: 200, minBytes: 1 });
    assert.ok(Date.now() - t0 >= 190, 'waited for max_wait_ms');
    assert.equal(empty.bytes, 0);

    const one = batch(['first-batch-xxxxxxxxxxxxxxxx']);
    const poller = await connect(tb);
    try {
      const poll = poller.send(ApiKey.Fetch, fetchRequest({ topic: 'minbytes', topicId: ids.get('minbytes'), offset: 0, maxWaitMs: 20_000, minBytes: one.length + 1 }), { timeoutMs: 30_000 });
      await latestOffset(c, 'minbytes');
      await c.send(ApiKey.Produce, produceRequest('minbytes', 0, one), { version: 12 });
      await c.send(ApiKey.Produce, produceRequest('minbytes', 0, batch(['second-batch'])), { version: 12 });
      const res = fetched(await deadline(poll, 20_000, 'the min_bytes poll'));
      assert.deepEqual(res.records.map((r) => r.value), ['first-batch-xxxxxxxxxxxxxxxx', 'second-batch'], 'not answered after the first batch alone');
    } finally {
      await poller.close();
    }
  });

  test('partition max_bytes: a first batch bigger than the limit still comes back whole, and only it', async () => {
    const big = batch([{ value: Buffer.alloc(10_000, 0x62) }, { value: 'tail' }]);
    await c.send(ApiKey.Produce, produceRequest('bigbatch', 0, big), { version: 12 });
    await c.send(ApiKey.Produce, produceRequest('bigbatch', 0, batch(['next'])), { version: 12 });
    for (const v of [4, 12, 17]) {
      const spec = { topic: 'bigbatch', offset: 0, partitionMaxBytes: 100, ...(v < 13 ? { topicId: ZERO_UUID } : {}) };
      const f = await fetchAt(v, spec);
      assert.equal(f.errorCode, 0);
      assert.equal(f.bytes, big.length, `Fetch v${v}: exactly the first batch`);
      assert.deepEqual(f.records.map((r) => r.offset), [0, 1]);
      // The response max_bytes obeys the same rule.
      const g = await fetchAt(v, { ...spec, partitionMaxBytes: 1 << 20, maxBytes: 50 });
      assert.equal(g.bytes, big.length, `Fetch v${v} (response max_bytes): exactly the first batch`);
    }
    const both = await fetchAt(undefined, { topic: 'bigbatch', offset: 0 });
    assert.deepEqual(both.records.map((r) => r.value.slice(0, 4)), ['bbbb', 'tail', 'next']);
  });

  test('ListOffsets v0 (old style), v1, v7 (max timestamp) and by timestamp', async () => {
    for (const ts of [1000, 3000, 2000]) {
      const r = await c.send(ApiKey.Produce, produceRequest('offsets', 0, batch([{ value: `t${ts}`, timestamp: ts }, { value: `t${ts}+1`, timestamp: ts + 1 }])), { version: 12 });
      assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, 0);
    }
    // offsets 0,1 @1000,1001; 2,3 @3000,3001; 4,5 @2000,2001
    const one = async (version: number, timestamp: bigint, maxNumOffsets = 1) => {
      const res = await c.send(ApiKey.ListOffsets, listOffsetsRequest('offsets', 0, timestamp, maxNumOffsets), { version });
      const p = res.topics[0]!.partitions[0]!;
      assert.equal(p.errorCode, 0, `v${version} ts ${timestamp}`);
      return p;
    };
    assert.deepEqual((await one(0, LATEST, 1)).oldStyleOffsets, [6n]);
    assert.deepEqual((await one(0, EARLIEST, 1)).oldStyleOffsets, [0n]);
    assert.deepEqual((await one(0, LATEST, 0)).oldStyleOffsets, []);
    for (const v of [1, 7, 10, 11]) {
      assert.equal((await one(v, LATEST)).offset, 6n, `v${v} latest`);
      assert.equal((await one(v, EARLIEST)).offset, 0n, `v${v} earliest`);
      // Kafka's rule: the first offset (in offset order) whose timestamp is >= the target.
      const at = await one(v, 1500n);
      assert.deepEqual([at.offset, at.timestamp], [2n, 3000n], `v${v} first offset with timestamp >= 1500`);
      const exact = await one(v, 1001n);
      assert.deepEqual([exact.offset, exact.timestamp], [1n, 1001n], `v${v} exact timestamp`);
      const late = await one(v, 3001n);
      assert.deepEqual([late.offset, late.timestamp], [3n, 3001n], `v${v} the largest timestamp`);
      const future = await one(v, 99_999n);
      assert.equal(future.offset, -1n, `v${v} timestamp after every record`);
    }
    const max = await one(7, MAX_TIMESTAMP);
    assert.deepEqual([max.offset, max.timestamp], [3n, 3001n], 'v7 -3: the record with the largest timestamp');
    // v11's earliest pending upload (-6), like -5 latest tiered: no tiered storage, offset -1, no error.
    for (const ts of [-5n, -6n]) {
      const r = await one(11, ts);
      assert.deepEqual([r.errorCode, r.offset, r.timestamp], [0, -1n, -1n], `v11 ${ts}`);
    }
  });

  test('InitProducerId v6: without a transactional id the 2PC flags change nothing; no prepared transaction is kept', async () => {
    const v6 = await c.send(ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1, enable2Pc: true, keepPreparedTxn: true }, { version: 6 });
    assert.equal(v6.errorCode, ErrorCode.NONE);
    assert.ok(v6.producerId >= 0n);
    assert.deepEqual([v6.producerEpoch, v6.ongoingTxnProducerId, v6.ongoingTxnProducerEpoch], [0, -1n, -1]);
    const txn = await c.send(ApiKey.InitProducerId, { transactionalId: 'tx', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1, enable2Pc: true, keepPreparedTxn: false }, { version: 6 });
    // Enable2Pc without transaction.two.phase.commit.enable, as Kafka answers it.
    assert.equal(txn.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'two-phase commit is not enabled');
  });

  test('idempotent produce: a duplicate batch gets the original offset, a sequence gap gets OUT_OF_ORDER_SEQUENCE_NUMBER', async () => {
    const init = await c.send(ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false });
    assert.equal(init.errorCode, 0);
    assert.ok(init.producerId >= 0n);
    assert.equal(init.producerEpoch, 0);
    const pid = { producerId: init.producerId, producerEpoch: init.producerEpoch };
    const produce = async (values: string[], baseSequence: number) => {
      const res = await c.send(ApiKey.Produce, produceRequest('idem', 0, batch(values, { ...pid, baseSequence }), -1), { version: 12 });
      return res.responses[0]!.partitionResponses[0]!;
    };
    const first = await produce(['s0', 's1'], 0);
    assert.deepEqual([first.errorCode, first.baseOffset], [0, 0n]);
    const second = await produce(['s2'], 2);
    assert.deepEqual([second.errorCode, second.baseOffset], [0, 2n]);
    // The first batch again (a retry after a lost answer): its original offset, not appended again.
    const dup = await produce(['s0', 's1'], 0);
    assert.equal(dup.errorCode, 0, `duplicate: ${dup.errorCode} ${dup.errorMessage}`);
    assert.equal(dup.baseOffset, 0n);
    assert.equal(await latestOffset(c, 'idem'), 3n);
    // A gap: sequence 5 where 3 is expected.
    const gap = await produce(['s5'], 5);
    assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal(await latestOffset(c, 'idem'), 3n);
    // The expected next sequence still works.
    const next = await produce(['s3'], 3);
    assert.deepEqual([next.errorCode, next.baseOffset], [0, 3n]);
    // A bumped epoch (KIP-360) starts over at sequence 0; the old epoch is fenced.
    const bumped = await c.send(ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, ...pid, enable2Pc: false, keepPreparedTxn: false }, { version: 3 });
    assert.equal(bumped.errorCode, 0);
    assert.equal(bumped.producerEpoch, 1);
    const fresh = await c.send(ApiKey.Produce, produceRequest('idem', 0, batch(['e1'], { producerId: bumped.producerId, producerEpoch: 1, baseSequence: 0 }), -1), { version: 12 });
    assert.equal(fresh.responses[0]!.partitionResponses[0]!.errorCode, 0);
    const stale = await produce(['old'], 4);
    assert.equal(stale.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    const f = await fetchAt(undefined, { topic: 'idem', offset: 0 });
    assert.deepEqual(f.records.map((r) => r.value), ['s0', 's1', 's2', 's3', 'e1']);
  });
});

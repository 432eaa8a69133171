// The pool of fetch read buffers (src/storage/read-buffers.ts), and the broker handing them back
// only after the socket has taken a response: many concurrent fetches, from files and from the
// tail ring, each checked record by record against what was produced.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { decodeRecordSetSync } from '../../src/protocol/records/index.js';
import { SLAB_BYTES, freeReadBuffers, readBuffer, releaseReadBuffer } from '../../src/storage/read-buffers.js';
import { batch, connect, createTopic, fetchRequest, produceRequest, startBroker, topicId, type TestBroker } from './helpers/broker-client.js';

describe('read buffer pool', () => {
  test('a released slab is reused; a second release and foreign buffers are ignored', () => {
    while (freeReadBuffers() > 0) readBuffer(1); // start with no free slab (those taken are collected)
    const a = readBuffer(1000);
    assert.equal(a.length, 1000);
    assert.equal(a.buffer.byteLength, SLAB_BYTES);
    const before = freeReadBuffers();
    releaseReadBuffer(a.subarray(10, 20)); // any view of the slab gives it back
    assert.equal(freeReadBuffers(), before + 1);
    releaseReadBuffer(a);
    assert.equal(freeReadBuffers(), before + 1, 'a second release must not put the slab in the free list twice');
    const b = readBuffer(SLAB_BYTES);
    assert.equal(b.buffer, a.buffer, 'the free slab is reused');
    const c = readBuffer(10);
    assert.notEqual(c.buffer, b.buffer, 'a slab in use is never handed out again');
    releaseReadBuffer(Buffer.from('not pooled'));
    releaseReadBuffer(Buffer.alloc(0));
    assert.equal(freeReadBuffers(), before);
    const big = readBuffer(SLAB_BYTES + 1);
    assert.equal(big.length, SLAB_BYTES + 1);
    releaseReadBuffer(big);
    assert.equal(freeReadBuffers(), before, 'larger reads are plain allocations');
    releaseReadBuffer(b);
    releaseReadBuffer(c);
  });
});

describe('fetches with pooled read buffers', () => {
  let tb: TestBroker;
  const conns: Connection[] = [];
  const topic = 'pooled-reads';
  const PARTS = 3;
  // Values per partition, in offset order: big batches (~40 KB, past the tail ring's 32 KiB limit,
  // so read from the segment file) and small ones (served from the tail ring).
  const values: string[][] = Array.from({ length: PARTS }, () => []);
  let id = '';

  before(async () => {
    tb = await startBroker();
    for (let i = 0; i < 3; i++) conns.push(await connect(tb));
    await createTopic(conns[0]!, topic, PARTS);
    id = await topicId(conns[0]!, topic);
    for (let p = 0; p < PARTS; p++) {
      for (let b = 0; b < 24; b++) {
        const n = b % 3 === 0 ? 5 : 40;
        const size = b % 3 === 0 ? 50 : 1000;
        const vs = Array.from({ length: n }, (_v, i) => `p${p}-b${b}-r${i}-`.padEnd(size, String.fromCharCode(97 + ((p + b + i) % 26))));
        const res = await conns[0]!.send(ApiKey.Produce, produceRequest(topic, p, batch(vs)), { version: 12 });
        assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
        values[p]!.push(...vs);
      }
    }
  });
  after(async () => {
    for (const c of conns) c.destroy();
    await tb.close();
  });

  test('200 concurrent fetches on 3 connections all get exactly the records asked for', async () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const jobs: Array<Promise<void>> = [];
    for (let i = 0; i < 200; i++) {
      const p = rnd(PARTS);
      const offset = rnd(values[p]!.length);
      const maxBytes = [2_000, 60_000, 300_000][rnd(3)]!;
      const conn = conns[i % conns.length]!;
      jobs.push(
        conn.send(ApiKey.Fetch, fetchRequest({ topic, topicId: id, partition: p, offset, partitionMaxBytes: maxBytes })).then((res) => {
          const part = res.responses[0]!.partitions[0]!;
          assert.equal(part.errorCode, ErrorCode.NONE);
          const recs = decodeRecordSetSync(part.records ?? Buffer.alloc(0)).flatMap((b) => b.records);
          assert.ok(recs.length > 0, `fetch of partition ${p} at ${offset} returned nothing`);
          const first = recs.findIndex((r) => r.offset === offset);
          assert.ok(first >= 0, `offset ${offset} missing from the answer`);
          for (const r of recs) assert.equal(r.value?.toString(), values[p]![r.offset], `partition ${p} offset ${r.offset}`);
        }),
      );
    }
    await Promise.all(jobs);
    assert.ok(freeReadBuffers() > 0, 'the fetches gave their buffers back');
  });
});

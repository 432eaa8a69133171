// Produce requests pipelined on one connection run together but keep their order: an idempotent
// producer's 50 in-flight batches all land, in sequence order, and every answer comes back; on a
// compacted topic too, where a gzip batch's records are decoded off the event loop before it is appended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { batch, connect, createTopic, produceRequest, startBroker } from './helpers/broker-client.js';
import { ZERO_UUID } from '../../src/protocol/primitives/index.js';
import { Compression } from '../../src/protocol/records/index.js';

test('pipelined idempotent produce requests keep their order', async () => {
  const tb = await startBroker();
  const c = await connect(tb);
  try {
    await createTopic(c, 'p', 1);
    const init = await c.send(ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false });
    assert.equal(init.errorCode, ErrorCode.NONE);
    const sends = Array.from({ length: 50 }, (_v, i) =>
      c.send(
        ApiKey.Produce,
        produceRequest('p', 0, batch([`m${i}`, `n${i}`], { producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: 2 * i }), -1),
        { version: 12 },
      ),
    );
    // A metadata request in the middle waits for the produce requests before it, and is answered.
    const meta = c.send(ApiKey.Metadata, { topics: [{ topicId: ZERO_UUID, name: 'p' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const more = c.send(ApiKey.Produce, produceRequest('p', 0, batch(['last'], { producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: 100 }), -1), { version: 12 });
    const results = await Promise.all(sends);
    results.forEach((r, i) => {
      const p = r.responses[0]!.partitionResponses[0]!;
      assert.equal(p.errorCode, ErrorCode.NONE, `request ${i}`);
      assert.equal(p.baseOffset, BigInt(2 * i), `request ${i} landed in order`);
    });
    assert.equal((await meta).topics[0]!.errorCode, ErrorCode.NONE);
    assert.equal((await more).responses[0]!.partitionResponses[0]!.baseOffset, 100n);
  } finally {
    await c.close();
    await tb.close();
  }
});

test('pipelined idempotent produce requests to a compacted topic keep their order while a gzip batch is decoded', async () => {
  const tb = await startBroker();
  const c = await connect(tb);
  try {
    await createTopic(c, 'pc', 1, { 'cleanup.policy': 'compact' });
    const init = await c.send(ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false });
    const id = { producerId: init.producerId, producerEpoch: init.producerEpoch };
    // The first batch takes the decoder a while (2,000 records, gzip); the next ones decode at once.
    const big = Array.from({ length: 2000 }, (_v, i) => ({ key: `k${i}`, value: `v${i}`.repeat(50) }));
    const sends = [c.send(ApiKey.Produce, produceRequest('pc', 0, batch(big, { ...id, baseSequence: 0, compression: Compression.Gzip }), -1), { version: 9 })];
    for (let i = 0; i < 5; i++) {
      sends.push(c.send(ApiKey.Produce, produceRequest('pc', 0, batch([{ key: `s${i}`, value: 'x' }], { ...id, baseSequence: 2000 + i }), -1), { version: 9 }));
    }
    const offsets = (await Promise.all(sends)).map((r) => {
      const p = r.responses[0]!.partitionResponses[0]!;
      assert.equal(p.errorCode, ErrorCode.NONE, p.errorMessage ?? '');
      return Number(p.baseOffset);
    });
    assert.deepEqual(offsets, [0, 2000, 2001, 2002, 2003, 2004]);
  } finally {
    await c.close();
    await tb.close();
  }
});

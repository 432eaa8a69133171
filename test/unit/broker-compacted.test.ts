// Produce to a cleanup.policy=compact topic: a record without a key is refused as Kafka refuses it
// (INVALID_RECORD, record_errors, error_message), a keyed one is written.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { Compression, decodeRecordSetSync } from '../../src/protocol/records/index.js';
import { batch, connect, createTopic, fetchRequest, produceRequest, startBroker, type TestBroker } from './helpers/broker-client.js';

describe('produce to a compacted topic', () => {
  let tb: TestBroker;
  let c: Connection;
  const noKey = 'Compacted topic cannot accept message without key in topic partition compacted-0';

  before(async () => {
    tb = await startBroker();
    c = await connect(tb);
    await createTopic(c, 'compacted', 1, { 'cleanup.policy': 'compact' });
    await createTopic(c, 'plain');
  });
  after(async () => {
    await c.close();
    await tb.close();
  });

  async function produce(topic: string, records: Buffer, version = 9) {
    const res = await c.send(ApiKey.Produce, produceRequest(topic, 0, records), { version });
    return res.responses[0]!.partitionResponses[0]!;
  }

  test('a keyless record is refused with INVALID_RECORD, its record error and Kafka\'s error_message; a keyed one is written', async () => {
    const refused = await produce('compacted', batch([{ key: 'k1', value: 'kept?' }, { key: null, value: 'no key' }]));
    assert.equal(refused.errorCode, ErrorCode.INVALID_RECORD);
    assert.deepEqual(refused.recordErrors, [{ batchIndex: 1, batchIndexErrorMessage: noKey }]);
    assert.equal(
      refused.errorMessage,
      `One or more records have been rejected due to 1 record errors in total, and only showing the first three errors at most: [RecordError(batchIndex=1, message='${noKey}')]`,
    );
    assert.equal(refused.baseOffset, -1n);
    assert.equal(refused.logStartOffset, 0n);

    // Compressed batches are looked into as well.
    const gz = await produce('compacted', batch([{ value: 'no key either' }], { compression: Compression.Gzip }));
    assert.equal(gz.errorCode, ErrorCode.INVALID_RECORD);
    assert.deepEqual(gz.recordErrors, [{ batchIndex: 0, batchIndexErrorMessage: noKey }]);

    // Before v8 the response has no record_errors or error_message: the code alone.
    const v7 = await produce('compacted', batch([{ value: 'no key' }]), 7);
    assert.equal(v7.errorCode, ErrorCode.INVALID_RECORD);

    const written = await produce('compacted', batch([{ key: 'k1', value: 'a' }, { key: 'k2', value: 'b' }], { compression: Compression.Snappy }));
    assert.equal(written.errorCode, ErrorCode.NONE);
    assert.equal(written.baseOffset, 0n);
    assert.deepEqual(written.recordErrors, []);
    assert.equal(written.errorMessage, null);

    const f = await c.send(ApiKey.Fetch, fetchRequest({ topic: 'compacted', offset: 0 }), { version: 12 });
    const p = f.responses[0]!.partitions[0]!;
    assert.equal(p.highWatermark, 2n);
    const got = decodeRecordSetSync(p.records ?? Buffer.alloc(0)).flatMap((d) => d.records.map((r) => [r.offset, r.key?.toString(), r.value?.toString()]));
    assert.deepEqual(got, [
      [0, 'k1', 'a'],
      [1, 'k2', 'b'],
    ]);
  });

  test('a topic that is not compacted takes keyless records', async () => {
    const p = await produce('plain', batch([{ value: 'no key' }]));
    assert.equal(p.errorCode, ErrorCode.NONE);
  });
});

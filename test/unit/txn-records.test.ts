// __transaction_state's record schema (protocol/transaction-log.ts): round trips of both value
// versions with and without tagged fields, byte layout of v0 as Kafka writes it, and the decoders
// fuzzed with random and mutated input (only DecodeError may come out).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DecodeError } from '../../src/protocol/primitives/errors.js';
import { decodeTransactionLogKey, decodeTransactionLogValue, encodeTransactionLogKey, encodeTransactionLogValue, type TransactionLogValue } from '../../src/protocol/transaction-log.js';
import { fromLogValue, toLogValue } from '../../src/broker/coordinator/txn-metadata.js';

const value: TransactionLogValue = {
  producerId: 4000n,
  previousProducerId: 3999n,
  nextProducerId: -1n,
  producerEpoch: 7,
  nextProducerEpoch: -1,
  transactionTimeoutMs: 60_000,
  transactionStatus: 1,
  transactionPartitions: [
    { topic: 'out', partitionIds: [0, 2] },
    { topic: '__consumer_offsets', partitionIds: [13] },
  ],
  transactionLastUpdateTimestampMs: 1_700_000_001_000n,
  transactionStartTimestampMs: 1_700_000_000_000n,
  clientTransactionVersion: 2,
};

test('TransactionLogKey v0: int16 version, then the id as a string', () => {
  const k = encodeTransactionLogKey('tx');
  assert.deepEqual([...k], [0, 0, 0, 2, 0x74, 0x78]);
  assert.deepEqual(decodeTransactionLogKey(k), { type: 'transaction', transactionalId: 'tx' });
  assert.deepEqual(decodeTransactionLogKey(Buffer.from([0, 9, 0, 0])), { type: 'unknown', version: 9 });
});

test('TransactionLogValue round trips: v1 keeps the tagged fields, v0 drops them', () => {
  assert.deepEqual(decodeTransactionLogValue(encodeTransactionLogValue(value, 1)), { version: 1, value });
  const v0 = decodeTransactionLogValue(encodeTransactionLogValue(value, 0));
  assert.equal(v0.version, 0);
  assert.deepEqual(v0.value, { ...value, previousProducerId: -1n, clientTransactionVersion: 0 });
  const empty = { ...value, transactionPartitions: null, nextProducerEpoch: 3, nextProducerId: 5n };
  assert.deepEqual(decodeTransactionLogValue(encodeTransactionLogValue(empty, 1)).value, empty);
  // v0 layout: version, pid, epoch, timeout, status, partitions (int32 count), two timestamps.
  const b = encodeTransactionLogValue({ ...value, transactionPartitions: null }, 0);
  assert.equal(b.length, 2 + 8 + 2 + 4 + 1 + 4 + 8 + 8);
  assert.equal(b.readInt32BE(17), -1);
});

test('the coordinator state maps to the record and back (the last epoch is not stored)', () => {
  const m = fromLogValue('tx', value);
  assert.equal(m.state, 'Ongoing');
  assert.deepEqual(m.partitions, [
    { topic: '__consumer_offsets', partition: 13 },
    { topic: 'out', partition: 0 },
    { topic: 'out', partition: 2 },
  ]);
  assert.equal(m.lastProducerEpoch, -1);
  const again = toLogValue(m);
  assert.deepEqual(fromLogValue('tx', again), m);
});

test('fuzz: the decoders throw only DecodeError on hostile input', () => {
  const good = [encodeTransactionLogValue(value, 0), encodeTransactionLogValue(value, 1), encodeTransactionLogKey('some-id')];
  const check = (buf: Buffer): void => {
    for (const decode of [decodeTransactionLogValue, decodeTransactionLogKey]) {
      try {
        decode(buf);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
      }
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => check(Buffer.from(bytes))), { seed: 890, numRuns: 3000 });
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(), (which, flips, cut) => {
      const b = Buffer.from(good[which]!);
      for (const [at, v] of flips) b[at % b.length] = v;
      check(b.subarray(0, b.length - (cut % (b.length + 1))));
    }),
    { seed: 891, numRuns: 5000 },
  );
  // Hostile lengths: an INT32_MAX partition count, a huge compact array.
  const huge = Buffer.from(encodeTransactionLogValue({ ...value, transactionPartitions: [] }, 0));
  huge.writeInt32BE(0x7fffffff, 17);
  check(huge);
});

// The storage's LogValidator: every check of a produced batch, both timestamp types, the
// compacted-topic key check with Kafka's record_errors, and offset assignment on append.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/errors.js';
import {
  ATTR_TIMESTAMP_TYPE,
  BATCH_HEADER_SIZE,
  Compression,
  OFF,
  batchCrcValid,
  computeBatchCrc,
  decodeRecordBatch,
  decodeRecordSetSync,
  encodeRecordBatch,
  readBatchHeader,
  type EncodeBatchOptions,
  type ProducerRecord,
} from '../../src/protocol/records/index.js';
import { DEFAULT_LOG_CONFIG, NEVER } from '../../src/storage/config.js';
import { CorruptRecordError, RecordListTooLargeError } from '../../src/storage/errors.js';
import {
  analyzeAppend,
  assignOffset,
  noKeyMessage,
  validateRecords,
  writeAssignedHeaders,
  type RecordValidation,
  type RejectedRecords,
  type ValidatedRecords,
  type ValidationContext,
  type ValidatorConfig,
} from '../../src/storage/log-validator.js';

const T0 = 1_700_000_000_000;

/** Four records, keys on 1 and 2 only; timestamps T0, T0-1, T0+20, T0-3. */
function sampleRecords(n = 4): ProducerRecord[] {
  const out: ProducerRecord[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ key: i % 3 === 0 ? null : `key-${i}`, value: `value-${i}`, timestamp: T0 + (i % 2 === 0 ? i * 10 : -i) });
  }
  return out;
}

function one(extra: Partial<EncodeBatchOptions> = {}): Promise<Buffer> {
  return encodeRecordBatch({ records: sampleRecords(), now: T0, ...extra });
}

function recrc(b: Buffer, at = 0): Buffer {
  b.writeUint32BE(computeBatchCrc(b, at, b.readInt32BE(at + OFF.batchLength) + 12), at + OFF.crc);
  return b;
}

const cfg: ValidatorConfig = {
  maxMessageBytes: 1_000_000,
  segmentBytes: DEFAULT_LOG_CONFIG.segmentBytes,
  messageTimestampType: 'CreateTime',
  messageTimestampBeforeMaxMs: NEVER,
  messageTimestampAfterMaxMs: 3_600_000,
  compact: false,
};
const ctx: ValidationContext = { topic: 'orders', partition: 3, produceVersion: 9, now: T0 };

/** The header-only path answers synchronously. */
function sync(v: RecordValidation | Promise<RecordValidation>): RecordValidation {
  assert.ok(!(v instanceof Promise), 'expected a synchronous answer');
  return v;
}

function check(buf: Buffer, c: Partial<ValidatorConfig> = {}, x: Partial<ValidationContext> = {}): RecordValidation {
  return sync(validateRecords(buf, { ...cfg, ...c }, { ...ctx, ...x }));
}

function assertOk(v: RecordValidation): asserts v is ValidatedRecords {
  if (!v.ok) assert.fail(`expected ok, got ${v.errorCode}: ${v.message}`);
}

function assertErr(v: RecordValidation, code: number, re?: RegExp): asserts v is RejectedRecords {
  assert.equal(v.ok, false, 'expected an error');
  if (v.ok) return;
  assert.equal(v.errorCode, code, v.message);
  if (re) assert.match(v.message, re);
}

describe('LogValidator: header checks', () => {
  test('a good batch: headers and totals', async () => {
    const b = await one({ compression: Compression.Snappy, producerId: 3n, producerEpoch: 0, baseSequence: 0 });
    const v = check(b);
    assertOk(v);
    assert.equal(v.batches.length, 1);
    assert.deepEqual(v.positions, [0]);
    assert.equal(v.recordCount, 4);
    assert.equal(v.compression, Compression.Snappy);
    assert.equal(v.batches[0]!.producerId, 3n);
    assert.equal(v.maxTimestamp, T0 + 20);
    assert.equal(v.logAppendTime, undefined);
  });

  test('several batches are fine without a produce version', async () => {
    const set = Buffer.concat([await one(), await one({ compression: Compression.Gzip })]);
    const v = check(set, {}, { produceVersion: undefined });
    assertOk(v);
    assert.equal(v.recordCount, 8);
    assert.deepEqual(v.positions, [0, v.batches[0]!.size]);
  });

  test('empty → INVALID_RECORD', () => {
    assertErr(check(Buffer.alloc(0)), ErrorCode.INVALID_RECORD);
  });

  test('more than one batch with produce v3+ → INVALID_RECORD', async () => {
    assertErr(check(Buffer.concat([await one(), await one()])), ErrorCode.INVALID_RECORD, /exactly one/);
  });

  test('truncated batch or trailing bytes → CORRUPT_MESSAGE', async () => {
    const b = await one();
    assertErr(check(b.subarray(0, b.length - 1)), ErrorCode.CORRUPT_MESSAGE, /truncated/);
    assertErr(check(b.subarray(0, 10)), ErrorCode.CORRUPT_MESSAGE);
    assertErr(check(Buffer.concat([b, Buffer.alloc(5)]), {}, { produceVersion: undefined }), ErrorCode.CORRUPT_MESSAGE, /trailing/);
  });

  test('batch length below minimum → CORRUPT_MESSAGE', async () => {
    const b = await one();
    b.writeInt32BE(13, OFF.batchLength);
    assertErr(check(b), ErrorCode.CORRUPT_MESSAGE);
    b.writeInt32BE(40, OFF.batchLength); // >= 14 but below the v2 header
    assertErr(check(b.subarray(0, 52)), ErrorCode.CORRUPT_MESSAGE, /header/);
    b.writeInt32BE(-5, OFF.batchLength);
    assertErr(check(b), ErrorCode.CORRUPT_MESSAGE);
  });

  test('magic: 0/1 → INVALID_RECORD (v3+) or UNSUPPORTED_FOR_MESSAGE_FORMAT; 3 → CORRUPT_MESSAGE', async () => {
    const b = await one();
    b[OFF.magic] = 1;
    assertErr(check(b), ErrorCode.INVALID_RECORD, /magic/);
    assertErr(check(b, {}, { produceVersion: undefined }), ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    b[OFF.magic] = 3;
    assertErr(check(b), ErrorCode.CORRUPT_MESSAGE, /magic/);
  });

  test('CRC mismatch → CORRUPT_MESSAGE', async () => {
    const b = await one();
    b[b.length - 1]! ^= 0xff;
    assertErr(check(b), ErrorCode.CORRUPT_MESSAGE, /crc/);
  });

  test('batch larger than max.message.bytes → MESSAGE_TOO_LARGE', async () => {
    const b = await one();
    assertErr(check(b, { maxMessageBytes: b.length - 1 }), ErrorCode.MESSAGE_TOO_LARGE);
    assertOk(check(b, { maxMessageBytes: b.length }));
  });

  test('record set larger than segment.bytes → RECORD_LIST_TOO_LARGE', async () => {
    const b = await one();
    assertErr(check(b, { segmentBytes: b.length - 1 }), ErrorCode.RECORD_LIST_TOO_LARGE);
  });

  test('baseOffset != 0 from a client → INVALID_RECORD; other origins may', async () => {
    const b = await one({ baseOffset: 5 });
    assertErr(check(b), ErrorCode.INVALID_RECORD, /baseOffset/);
    assertOk(check(b, {}, { origin: 'coordinator' }));
  });

  test('lastOffsetDelta / recordCount inconsistencies → INVALID_RECORD', async () => {
    const b = await one();
    b.writeInt32BE(2, OFF.lastOffsetDelta);
    assertErr(check(recrc(b)), ErrorCode.INVALID_RECORD, /does not match/);
    b.writeInt32BE(-1, OFF.lastOffsetDelta);
    assertErr(check(recrc(b)), ErrorCode.INVALID_RECORD, /offset range/);
    b.writeInt32BE(3, OFF.lastOffsetDelta);
    b.writeInt32BE(0, OFF.recordCount);
    assertErr(check(recrc(b)), ErrorCode.INVALID_RECORD, /record count/);
    b.writeInt32BE(-7, OFF.recordCount);
    assertErr(check(recrc(b)), ErrorCode.INVALID_RECORD);
  });

  test('control batch from a client → INVALID_RECORD', async () => {
    const b = await one({ control: true, transactional: true, producerId: 1n, producerEpoch: 0, baseSequence: 0 });
    assertErr(check(b), ErrorCode.INVALID_RECORD, /control/);
  });

  test('producer id with negative sequence, transactional without producer id → INVALID_RECORD', async () => {
    assertErr(check(await one({ producerId: 9n, producerEpoch: 0 })), ErrorCode.INVALID_RECORD, /sequence/);
    assertErr(check(await one({ transactional: true })), ErrorCode.INVALID_RECORD, /transactional/);
    assertOk(check(await one({ transactional: true, producerId: 9n, producerEpoch: 0, baseSequence: 0 })));
  });

  test('unknown codec → CORRUPT_MESSAGE; zstd before produce v7 → UNSUPPORTED_COMPRESSION_TYPE', async () => {
    const b = await one();
    b.writeInt16BE(6, OFF.attributes);
    assertErr(check(recrc(b)), ErrorCode.CORRUPT_MESSAGE, /codec/);
    const z = await one({ compression: Compression.Zstd });
    assertErr(check(z, {}, { produceVersion: 6 }), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    assertOk(check(z, {}, { produceVersion: 7 }));
  });

  test('header errors carry a message but no record_errors (no record was looked at)', async () => {
    const b = await one();
    b[b.length - 1]! ^= 0xff;
    const v = check(b);
    assertErr(v, ErrorCode.CORRUPT_MESSAGE);
    assert.deepEqual(v.recordErrors, []);
  });
});

describe('LogValidator: timestamps', () => {
  test('CreateTime: message.timestamp.after.max.ms and before.max.ms against the header max → INVALID_TIMESTAMP', async () => {
    const b = await one(); // timestamps T0-3 .. T0+20
    assertErr(check(b, { messageTimestampAfterMaxMs: 1000 }, { now: T0 - 10_000 }), ErrorCode.INVALID_TIMESTAMP, /after/);
    assertErr(check(b, { messageTimestampBeforeMaxMs: 1000 }, { now: T0 + 100_000 }), ErrorCode.INVALID_TIMESTAMP, /before/);
    assertOk(check(b, { messageTimestampAfterMaxMs: 1000, messageTimestampBeforeMaxMs: 1000 }, { now: T0 }));
    // The defaults (Kafka 4: before never, after one hour).
    assertOk(check(b, {}, { now: T0 + 10 * 365 * 86_400_000 }));
    assertErr(check(b, {}, { now: T0 - 3_600_021 }), ErrorCode.INVALID_TIMESTAMP);
    assertOk(check(b, {}, { now: T0 - 3_599_980 }));
  });

  test('CreateTime: the header check lets one old record in a newer batch pass (records are not looked at)', async () => {
    const b = await encodeRecordBatch({ records: [{ key: 'a', value: 'old', timestamp: T0 - 10_000 }, { key: 'b', value: 'new', timestamp: T0 }], now: T0 });
    assertOk(check(b, { messageTimestampBeforeMaxMs: 1000 }));
  });

  test('LogAppendTime: client timestamps are not checked; the stamp is the broker clock', async () => {
    const b = await one();
    const v = check(b, { messageTimestampType: 'LogAppendTime', messageTimestampBeforeMaxMs: 1 }, { now: T0 + 1e9 });
    assertOk(v);
    assert.equal(v.logAppendTime, BigInt(T0 + 1e9));
  });

  test('a batch sent with the LogAppendTime bit: refused on a LogAppendTime topic, cleared on a CreateTime topic', async () => {
    const lat = await one({ timestampType: 'LogAppendTime' });
    const untouched = Buffer.from(lat);
    assertErr(check(lat, { messageTimestampType: 'LogAppendTime' }), ErrorCode.INVALID_TIMESTAMP, /LogAppendTime/);
    assert.deepEqual(lat, untouched, 'a refused batch is left as it came');
    const v = check(lat);
    assertOk(v);
    const h = readBatchHeader(lat);
    assert.equal(h.attributes & ATTR_TIMESTAMP_TYPE, 0);
    assert.equal(v.batches[0]!.attributes & ATTR_TIMESTAMP_TYPE, 0);
    assert.ok(batchCrcValid(lat, 0, lat.length));
    // Without a timestamp Kafka refuses it on a CreateTime topic too.
    const noTs = await encodeRecordBatch({ records: [{ value: 'x', timestamp: -1 }], now: T0, timestampType: 'LogAppendTime' });
    assertErr(check(noTs), ErrorCode.INVALID_TIMESTAMP, /LogAppendTime/);
  });
});

describe('LogValidator: compacted topics', () => {
  const compact = { compact: true };
  const tp = 'orders-3';
  const noKey = `Compacted topic cannot accept message without key in topic partition ${tp}`;

  test("Kafka's message for a record without a key", () => {
    assert.equal(noKeyMessage(tp), noKey);
  });

  test('keyless records → INVALID_RECORD with one record error per keyless record and Kafka\'s summary', async () => {
    for (const compression of [Compression.None, Compression.Gzip, Compression.Zstd]) {
      const b = await one({ compression });
      const untouched = Buffer.from(b);
      const p = validateRecords(b, { ...cfg, ...compact }, ctx);
      assert.ok(p instanceof Promise, 'a compacted topic looks at the records');
      const v = await p;
      assertErr(v, ErrorCode.INVALID_RECORD);
      assert.deepEqual(v.recordErrors, [
        { batchIndex: 0, message: noKey },
        { batchIndex: 3, message: noKey },
      ]);
      assert.equal(
        v.message,
        'One or more records have been rejected due to 2 record errors in total, and only showing the first three errors at most: ' +
          `[RecordError(batchIndex=0, message='${noKey}'), RecordError(batchIndex=3, message='${noKey}')]`,
      );
      assert.deepEqual(b, untouched);
    }
  });

  test('the summary shows the first three of many record errors; record_errors has them all', async () => {
    const b = await encodeRecordBatch({ records: [0, 1, 2, 3, 4].map((i) => ({ value: `v${i}` })), now: T0 });
    const v = await validateRecords(b, { ...cfg, ...compact }, ctx);
    assertErr(v, ErrorCode.INVALID_RECORD, /due to 5 record errors in total/);
    assert.deepEqual(v.recordErrors.map((e) => e.batchIndex), [0, 1, 2, 3, 4]);
    assert.equal(v.message.match(/RecordError\(/g)?.length, 3);
  });

  test('every record keyed → accepted, on either timestamp type', async () => {
    const records = sampleRecords().map((r, i) => ({ ...r, key: `k${i}` }));
    const b = await encodeRecordBatch({ records, now: T0, compression: Compression.Lz4 });
    assertOk(await validateRecords(b, { ...cfg, ...compact }, ctx));
    const v = await validateRecords(b, { ...cfg, ...compact, messageTimestampType: 'LogAppendTime' }, ctx);
    assertOk(v);
    assert.equal(v.logAppendTime, BigInt(T0));
  });

  test('a topic that is not compacted takes keyless records without looking inside', async () => {
    assertOk(check(await one({ compression: Compression.Gzip })));
  });

  test('CreateTime bounds are checked record by record: Kafka\'s INVALID_TIMESTAMP with record errors', async () => {
    const b = await encodeRecordBatch({
      records: [
        { key: 'a', value: 'new', timestamp: T0 },
        { key: 'b', value: 'old', timestamp: T0 - 10_000 },
        { value: 'keyless', timestamp: T0 },
      ],
      now: T0,
    });
    const v = await validateRecords(b, { ...cfg, ...compact, messageTimestampBeforeMaxMs: 1000 }, ctx);
    assertErr(v, ErrorCode.INVALID_TIMESTAMP);
    assert.equal(v.message, 'One or more records have been rejected due to invalid timestamp');
    assert.deepEqual(v.recordErrors, [
      {
        batchIndex: 1,
        message: `Timestamp ${T0 - 10_000} of message with offset 1 is out of range. The timestamp should be within [${T0 - 1000}, ${T0 + 3_600_000}]`,
      },
      { batchIndex: 2, message: noKey },
    ]);
    // "never" prints as Kafka prints Long.MAX_VALUE arithmetic.
    const future = await encodeRecordBatch({ records: [{ key: 'a', value: 'x', timestamp: T0 + 7_200_000 }], now: T0 });
    const f = await validateRecords(future, { ...cfg, ...compact }, ctx);
    assertErr(f, ErrorCode.INVALID_TIMESTAMP);
    const lo = BigInt.asIntN(64, BigInt(T0) - 9223372036854775807n);
    assert.equal(f.recordErrors[0]!.message, `Timestamp ${T0 + 7_200_000} of message with offset 0 is out of range. The timestamp should be within [${lo}, ${T0 + 3_600_000}]`);
    // LogAppendTime topics do not check them: only the key error remains.
    const lat = await validateRecords(b, { ...cfg, ...compact, messageTimestampType: 'LogAppendTime', messageTimestampBeforeMaxMs: 1000 }, ctx);
    assertErr(lat, ErrorCode.INVALID_RECORD);
    assert.deepEqual(lat.recordErrors, [{ batchIndex: 2, message: noKey }]);
  });

  test('records that do not decode → CORRUPT_MESSAGE', async () => {
    const b = await one({ compression: Compression.Gzip });
    b[BATCH_HEADER_SIZE + 3]! ^= 0xff;
    recrc(b);
    const v = await validateRecords(b, { ...cfg, ...compact }, ctx);
    assertErr(v, ErrorCode.CORRUPT_MESSAGE);
    assert.deepEqual(v.recordErrors, []);
  });
});

describe('LogValidator: the append path', () => {
  test('analyzeAppend refuses what is not whole v2 batches, or more than a segment', async () => {
    const b = await one();
    assert.throws(() => analyzeAppend(Buffer.alloc(0), 1 << 30), CorruptRecordError);
    assert.throws(() => analyzeAppend(b.subarray(0, 40), 1 << 30), /truncated batch header/);
    assert.throws(() => analyzeAppend(b.subarray(0, b.length - 1), 1 << 30), /bad batch length/);
    const legacy = Buffer.from(b);
    legacy[OFF.magic] = 1;
    assert.throws(() => analyzeAppend(legacy, 1 << 30), /magic/);
    assert.throws(() => analyzeAppend(b, b.length - 1), RecordListTooLargeError);
    assert.deepEqual(analyzeAppend(Buffer.concat([b, b]), 1 << 30).map((x) => x.at), [0, b.length]);
  });

  test('CreateTime: base offsets rewritten, nothing under the CRC touched', async () => {
    const set = Buffer.concat([
      await encodeRecordBatch({ records: sampleRecords(3), now: T0 }),
      await encodeRecordBatch({ records: sampleRecords(2), now: T0, compression: Compression.Zstd }),
    ]);
    const before = Buffer.from(set);
    const batches = analyzeAppend(set, 1 << 30);
    let next = 100;
    for (const b of batches) next = assignOffset(b, next, undefined);
    assert.equal(next, 105);
    assert.deepEqual(set, before, 'assignOffset changes the parsed headers only');
    writeAssignedHeaders(set, batches, undefined);
    for (let i = 0; i < set.length; i++) {
      const rel = i < batches[0]!.h.size ? i : i - batches[0]!.h.size;
      if (rel < OFF.batchLength) continue;
      assert.equal(set[i], before[i], `byte ${i} changed`);
    }
    assert.deepEqual(decodeRecordSetSync(set).flatMap((d) => d.records.map((r) => r.offset)), [100, 101, 102, 103, 104]);
  });

  test('LogAppendTime: the bit and maxTimestamp set, the CRC recomputed, every record reads the stamp', async () => {
    const b = await encodeRecordBatch({ records: sampleRecords(3), now: T0, compression: Compression.Lz4 });
    const oldCrc = readBatchHeader(b).crc;
    const stamp = BigInt(T0 + 5000);
    const batches = analyzeAppend(b, 1 << 30);
    assert.equal(assignOffset(batches[0]!, 7, stamp), 10);
    writeAssignedHeaders(b, batches, stamp);
    const h = readBatchHeader(b);
    assert.notEqual(h.crc, oldCrc);
    assert.ok(batchCrcValid(b, 0, b.length));
    assert.equal(h.attributes & ATTR_TIMESTAMP_TYPE, ATTR_TIMESTAMP_TYPE);
    assert.equal(h.attributes & 7, Compression.Lz4);
    assert.equal(h.maxTimestamp, stamp);
    assert.equal(h.baseTimestamp, BigInt(T0)); // untouched, as in Kafka
    const d = await decodeRecordBatch(b);
    assert.equal(d.timestampType, 'LogAppendTime');
    assert.deepEqual(d.records.map((r) => [r.offset, r.timestamp]), [[7, T0 + 5000], [8, T0 + 5000], [9, T0 + 5000]]);
  });
});

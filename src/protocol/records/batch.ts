/**
 * RecordBatch v2: building batches (producer), reading them (consumer), and the broker's
 * produce-path checks that look only at the 61-byte header (validateRecordSet, assignOffsets).
 */
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  BATCH_HEADER_SIZE,
  Compression,
  LOG_OVERHEAD,
  OFF,
  batchCrcValid,
  computeBatchCrc,
  isControl,
  isLogAppendTime,
  readBatchHeader,
  type BatchHeader,
} from './batch-header.js';
import { compress, compressSync, decompress, decompressSync, compressionName, type DecompressOptions } from './compression.js';
import { CompressionError, CorruptRecordError, RecordErrorCode } from './errors.js';
import { MIN_RECORD_SIZE, RecordReader, sizeOfRecordBody, sizeOfVarint, writeRecord, type Record, type RecordHeader } from './record.js';
import { crc32c } from '../primitives/crc32c.js';

export const MAGIC_V2 = 2;
/** Partition leader epoch a producer writes (RecordBatch.NO_PARTITION_LEADER_EPOCH). */
export const NO_PARTITION_LEADER_EPOCH = -1;
/** Timestamp of a record that has none (RecordBatch.NO_TIMESTAMP). */
export const NO_TIMESTAMP = -1;
/** The smallest batchLength Kafka accepts before looking at the magic (LegacyRecord.RECORD_OVERHEAD_V0). */
const MIN_LEGACY_RECORD_SIZE = 14;
/** Bytes needed to read an entry's magic byte. */
const HEADER_SIZE_UP_TO_MAGIC = OFF.magic + 1;

export type TimestampType = 'CreateTime' | 'LogAppendTime';

// =============================================================================================
// Encoding (producer side)

export interface ProducerRecordHeader {
  key: string;
  value: Buffer | string | null;
}

/** A record as a producer hands it over; offsets and deltas are filled in by the encoder. */
export interface ProducerRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: readonly ProducerRecordHeader[];
  /** Milliseconds since the epoch; default `now` of the batch. */
  timestamp?: number;
}

export interface EncodeBatchOptions {
  /** At least one record. */
  records: readonly ProducerRecord[];
  compression?: Compression;
  /** Codec level (gzip 1-9, zstd 1-22). */
  compressionLevel?: number;
  /** Default 0: producers send 0 and the broker assigns the real offset. */
  baseOffset?: number;
  /** Default -1 (NO_PARTITION_LEADER_EPOCH), as the Java producer writes. */
  partitionLeaderEpoch?: number;
  /** Idempotent/transactional producers set these; defaults -1 (none). */
  producerId?: bigint | number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  /** Control batches carry transaction markers; only the broker writes them. */
  control?: boolean;
  /** Default CreateTime. A broker writing LogAppendTime batches sets maxTimestamp to the append time. */
  timestampType?: TimestampType;
  /** Timestamp for records without one; default Date.now(). */
  now?: number;
}

function toBuf(v: Buffer | string | null | undefined): Buffer | null {
  if (v == null) return null;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

interface PreparedRecords {
  body: Buffer;
  count: number;
  baseTimestamp: number;
  maxTimestamp: number;
}

function prepareRecords(opts: EncodeBatchOptions): PreparedRecords {
  const input = opts.records;
  const count = input.length;
  if (count === 0) throw new RangeError('a record batch needs at least one record');
  const now = opts.now ?? Date.now();
  const baseTimestamp = input[0]!.timestamp ?? now;
  let maxTimestamp = -Infinity;
  const records: Record[] = new Array<Record>(count);
  const sizes: number[] = new Array<number>(count);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const p = input[i]!;
    const ts = p.timestamp ?? now;
    if (!Number.isSafeInteger(ts)) throw new RangeError(`record timestamp ${ts} is not an integer`);
    if (ts > maxTimestamp) maxTimestamp = ts;
    const headers: RecordHeader[] = p.headers ? p.headers.map((h) => ({ key: h.key, value: toBuf(h.value) })) : [];
    const r: Record = { offsetDelta: i, timestampDelta: ts - baseTimestamp, key: toBuf(p.key), value: toBuf(p.value), headers };
    records[i] = r;
    const bodySize = sizeOfRecordBody(r);
    sizes[i] = bodySize;
    total += sizeOfVarint(bodySize) + bodySize;
  }
  const body = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < count; i++) pos = writeRecord(body, pos, records[i]!, sizes[i]);
  return { body, count, baseTimestamp, maxTimestamp };
}

function attributesOf(opts: EncodeBatchOptions): number {
  let a = (opts.compression ?? Compression.None) & ATTR_COMPRESSION_MASK;
  if (opts.timestampType === 'LogAppendTime') a |= ATTR_TIMESTAMP_TYPE;
  if (opts.transactional) a |= ATTR_TRANSACTIONAL;
  if (opts.control) a |= ATTR_CONTROL;
  return a;
}

function assemble(opts: EncodeBatchOptions, prep: PreparedRecords, payload: Buffer): Buffer {
  const size = BATCH_HEADER_SIZE + payload.length;
  const buf = Buffer.allocUnsafe(size);
  buf.writeBigInt64BE(BigInt(opts.baseOffset ?? 0), OFF.baseOffset);
  buf.writeInt32BE(size - LOG_OVERHEAD, OFF.batchLength);
  buf.writeInt32BE(opts.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, OFF.partitionLeaderEpoch);
  buf.writeInt8(MAGIC_V2, OFF.magic);
  buf.writeInt16BE(attributesOf(opts), OFF.attributes);
  buf.writeInt32BE(prep.count - 1, OFF.lastOffsetDelta);
  buf.writeBigInt64BE(BigInt(prep.baseTimestamp), OFF.baseTimestamp);
  buf.writeBigInt64BE(BigInt(prep.maxTimestamp), OFF.maxTimestamp);
  buf.writeBigInt64BE(BigInt(opts.producerId ?? -1), OFF.producerId);
  buf.writeInt16BE(opts.producerEpoch ?? -1, OFF.producerEpoch);
  buf.writeInt32BE(opts.baseSequence ?? -1, OFF.baseSequence);
  buf.writeInt32BE(prep.count, OFF.recordCount);
  payload.copy(buf, BATCH_HEADER_SIZE);
  buf.writeUint32BE(computeBatchCrc(buf, 0, size), OFF.crc);
  return buf;
}

/** Builds a complete RecordBatch v2 (header, CRC32C, compressed records). */
export async function encodeRecordBatch(opts: EncodeBatchOptions): Promise<Buffer> {
  const prep = prepareRecords(opts);
  const codec = opts.compression ?? Compression.None;
  const level = opts.compressionLevel !== undefined ? { level: opts.compressionLevel } : undefined;
  const payload = codec === Compression.None ? prep.body : await compress(codec, prep.body, level);
  return assemble(opts, prep, payload);
}

/** encodeRecordBatch, compressing on the calling thread. */
export function encodeRecordBatchSync(opts: EncodeBatchOptions): Buffer {
  const prep = prepareRecords(opts);
  const codec = opts.compression ?? Compression.None;
  const level = opts.compressionLevel !== undefined ? { level: opts.compressionLevel } : undefined;
  const payload = codec === Compression.None ? prep.body : compressSync(codec, prep.body, level);
  return assemble(opts, prep, payload);
}

// =============================================================================================
// Decoding (consumer side)

/** A record with its absolute offset and timestamp. */
export interface BatchRecord extends Record {
  offset: number;
  timestamp: number;
}

export interface DecodedBatch {
  header: BatchHeader;
  timestampType: TimestampType;
  records: BatchRecord[];
}

export interface DecodeBatchOptions extends DecompressOptions {
  /** Verify the CRC32C (default true). */
  verifyCrc?: boolean;
}

/** Checks the parts of a batch that can be checked without its records. Returns the header. */
function checkBatchFrame(buf: Buffer, at: number, verifyCrc: boolean): BatchHeader {
  const left = buf.length - at;
  if (at < 0 || left < HEADER_SIZE_UP_TO_MAGIC) throw new CorruptRecordError(`truncated batch: ${Math.max(left, 0)} bytes`, at);
  const magic = buf.readInt8(at + OFF.magic);
  if (magic !== MAGIC_V2) {
    const legacy = magic === 0 || magic === 1;
    throw new CorruptRecordError(
      legacy ? `legacy message format (magic ${magic}) is not supported` : `invalid magic ${magic}`,
      at + OFF.magic,
      legacy ? RecordErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT : RecordErrorCode.CORRUPT_MESSAGE,
    );
  }
  const batchLength = buf.readInt32BE(at + OFF.batchLength);
  if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) throw new CorruptRecordError(`batch length ${batchLength} is below the header size`, at + OFF.batchLength);
  if (left < BATCH_HEADER_SIZE || batchLength > left - LOG_OVERHEAD) {
    throw new CorruptRecordError(`truncated batch: length ${batchLength}, ${left - LOG_OVERHEAD} bytes left`, at + OFF.batchLength);
  }
  const h = readBatchHeader(buf, at);
  if (verifyCrc && !batchCrcValid(buf, at, h.size)) {
    throw new CorruptRecordError(`CRC mismatch: stored ${h.crc >>> 0}, computed ${computeBatchCrc(buf, at, h.size)}`, at + OFF.crc);
  }
  if (h.recordCount < 0) throw new CorruptRecordError(`negative record count ${h.recordCount}`, at + OFF.recordCount);
  if ((h.attributes & ATTR_COMPRESSION_MASK) > Compression.Zstd) {
    throw new CorruptRecordError(`unknown compression codec ${h.attributes & ATTR_COMPRESSION_MASK}`, at + OFF.attributes);
  }
  return h;
}

function parseRecords(h: BatchHeader, data: Buffer, start: number, end: number, errorBase: number): DecodedBatch {
  const count = h.recordCount;
  if (count > (end - start) / MIN_RECORD_SIZE) {
    throw new CorruptRecordError(`${count} records cannot fit in ${end - start} bytes`, errorBase + start);
  }
  const logAppend = isLogAppendTime(h.attributes);
  const base = Number(h.baseTimestamp);
  const max = Number(h.maxTimestamp);
  const reader = new RecordReader(data, start, end, errorBase);
  const records: BatchRecord[] = new Array<BatchRecord>(count);
  for (let i = 0; i < count; i++) {
    const r = reader.readRecord() as BatchRecord;
    r.offset = h.baseOffset + r.offsetDelta;
    r.timestamp = logAppend ? max : base + r.timestampDelta;
    records[i] = r;
  }
  if (reader.pos !== end) {
    throw new CorruptRecordError(`${end - reader.pos} bytes left after the batch's ${count} records`, errorBase + reader.pos);
  }
  return { header: h, timestampType: logAppend ? 'LogAppendTime' : 'CreateTime', records };
}

function payloadOf(buf: Buffer, at: number, h: BatchHeader): Buffer {
  return buf.subarray(at + BATCH_HEADER_SIZE, at + h.size);
}

function wrapCodecError(e: unknown, at: number): never {
  if (e instanceof CompressionError) {
    const err = new CorruptRecordError(`cannot decompress records: ${e.message}`, at + BATCH_HEADER_SIZE, e.errorCode);
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
  throw e;
}

/**
 * Decodes the batch at `at`: checks magic, length and CRC, decompresses (bounded by maxBytes) and
 * reads every record. Throws CorruptRecordError (a DecodeError) on any malformed input.
 */
export async function decodeRecordBatch(buf: Buffer, at = 0, opts: DecodeBatchOptions = {}): Promise<DecodedBatch> {
  const h = checkBatchFrame(buf, at, opts.verifyCrc ?? true);
  const codec = (h.attributes & ATTR_COMPRESSION_MASK) as Compression;
  if (codec === Compression.None) return parseRecords(h, buf, at + BATCH_HEADER_SIZE, at + h.size, 0);
  let data: Buffer;
  try {
    data = await decompress(codec, payloadOf(buf, at, h), opts);
  } catch (e) {
    wrapCodecError(e, at);
  }
  return parseRecords(h, data, 0, data.length, at + BATCH_HEADER_SIZE);
}

/** decodeRecordBatch on the calling thread. */
export function decodeRecordBatchSync(buf: Buffer, at = 0, opts: DecodeBatchOptions = {}): DecodedBatch {
  const h = checkBatchFrame(buf, at, opts.verifyCrc ?? true);
  const codec = (h.attributes & ATTR_COMPRESSION_MASK) as Compression;
  if (codec === Compression.None) return parseRecords(h, buf, at + BATCH_HEADER_SIZE, at + h.size, 0);
  let data: Buffer;
  try {
    data = decompressSync(codec, payloadOf(buf, at, h), opts);
  } catch (e) {
    wrapCodecError(e, at);
  }
  return parseRecords(h, data, 0, data.length, at + BATCH_HEADER_SIZE);
}

/** Where one entry of a record set sits. `magic` may be 0/1 for legacy message sets. */
export interface BatchSpan {
  position: number;
  size: number;
  magic: number;
}

/**
 * Walks a record set (batches back to back, as in a fetch response or a segment) and yields each
 * complete entry. A partial entry at the end is ignored, as Kafka's consumers do: fetch responses
 * may end in a truncated batch. A batch length below any valid size throws CorruptRecordError.
 */
export function* recordSetSpans(buf: Buffer, start = 0, end = buf.length): Generator<BatchSpan> {
  let pos = start;
  while (end - pos >= HEADER_SIZE_UP_TO_MAGIC) {
    const batchLength = buf.readInt32BE(pos + OFF.batchLength);
    if (batchLength < MIN_LEGACY_RECORD_SIZE) throw new CorruptRecordError(`batch length ${batchLength} is below the minimum`, pos + OFF.batchLength);
    const size = batchLength + LOG_OVERHEAD;
    if (size > end - pos) return; // partial trailing batch
    yield { position: pos, size, magic: buf.readInt8(pos + OFF.magic) };
    pos += size;
  }
}

/**
 * Decodes every complete batch in a record set, in order, ignoring a partial trailing batch.
 * Legacy (magic 0/1) entries throw unless `skipLegacy` is set.
 */
export async function* decodeRecordSet(
  buf: Buffer,
  opts: DecodeBatchOptions & { skipLegacy?: boolean } = {},
): AsyncGenerator<DecodedBatch> {
  for (const span of recordSetSpans(buf)) {
    if (span.magic !== MAGIC_V2 && opts.skipLegacy && (span.magic === 0 || span.magic === 1)) continue;
    yield await decodeRecordBatch(buf, span.position, opts);
  }
}

/** decodeRecordSet, synchronously, into an array. */
export function decodeRecordSetSync(buf: Buffer, opts: DecodeBatchOptions & { skipLegacy?: boolean } = {}): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  for (const span of recordSetSpans(buf)) {
    if (span.magic !== MAGIC_V2 && opts.skipLegacy && (span.magic === 0 || span.magic === 1)) continue;
    out.push(decodeRecordBatchSync(buf, span.position, opts));
  }
  return out;
}

/** The key of a control record (transaction marker): version int16, type int16 (0 abort, 1 commit). */
export interface ControlRecordKey {
  version: number;
  type: number;
}
export const CONTROL_ABORT = 0;
export const CONTROL_COMMIT = 1;

export function parseControlRecordKey(key: Buffer | null): ControlRecordKey {
  if (key === null || key.length < 4) throw new CorruptRecordError('control record key shorter than 4 bytes', 0);
  return { version: key.readInt16BE(0), type: key.readInt16BE(2) };
}

// =============================================================================================
// Broker produce path: header-only validation and offset assignment

export interface RecordSetLimits {
  /** max.message.bytes of the topic (message.max.bytes of the broker): the largest batch. */
  maxMessageBytes: number;
  /**
   * The Produce request version. From v3 Kafka requires exactly one magic-2 batch per partition
   * (INVALID_RECORD otherwise) and zstd needs v7 (UNSUPPORTED_COMPRESSION_TYPE).
   */
  produceVersion?: number;
  /** log.segment.bytes: a record set larger than a segment gets RECORD_LIST_TOO_LARGE. */
  maxSegmentBytes?: number;
  /** Batches from a client (default) must have baseOffset 0, no control flag, sane sequences. */
  fromClient?: boolean;
  /** message.timestamp.type; CreateTime enables the timestamp bounds below. */
  timestampType?: TimestampType;
  /** message.timestamp.before.max.ms / after.max.ms (CreateTime only; unset = unbounded). */
  timestampBeforeMaxMs?: number;
  timestampAfterMaxMs?: number;
  /** Clock for the timestamp bounds; default Date.now(). */
  now?: number;
}

export interface RecordSetInfo {
  ok: true;
  batches: BatchHeader[];
  /** Byte position of each batch in the record set. */
  positions: number[];
  recordCount: number;
  bytes: number;
  /** The largest maxTimestamp of the batches (CreateTime as sent). */
  maxTimestamp: number;
  /** Codec of the last compressed batch, or None (Kafka's "sourceCompression"). */
  compression: Compression;
}

export interface RecordSetError {
  ok: false;
  errorCode: RecordErrorCode;
  message: string;
  /** Index of the offending batch, when one is to blame. */
  batchIndex?: number;
}

export type RecordSetValidation = RecordSetInfo | RecordSetError;

function invalid(errorCode: RecordErrorCode, message: string, batchIndex?: number): RecordSetError {
  return batchIndex === undefined ? { ok: false, errorCode, message } : { ok: false, errorCode, message, batchIndex };
}

/**
 * The broker's checks of a produce request's records, without decompressing anything. Follows
 * Kafka (ProduceRequest.validateRecords, UnifiedLog.analyzeAndValidateRecords, LogValidator
 * .validateBatch), in Kafka's order:
 *  - structure: no batch → INVALID_RECORD; batchLength below 14 or below the v2 header, a
 *    truncated batch or trailing bytes → CORRUPT_MESSAGE (Kafka silently trims a partial tail; we
 *    refuse it); magic outside 0..2 → CORRUPT_MESSAGE; magic 0/1 → INVALID_RECORD for produce v3+,
 *    UNSUPPORTED_FOR_MESSAGE_FORMAT otherwise; unknown codec → CORRUPT_MESSAGE; zstd before
 *    produce v7 → UNSUPPORTED_COMPRESSION_TYPE; more than one batch in produce v3+ → INVALID_RECORD;
 *  - per batch: baseOffset != 0 from a client → INVALID_RECORD; size > maxMessageBytes →
 *    MESSAGE_TOO_LARGE; CRC32C mismatch → CORRUPT_MESSAGE; recordCount <= 0, lastOffsetDelta + 1 <=
 *    0 or != recordCount → INVALID_RECORD; a control batch from a client → INVALID_RECORD; a
 *    producer id with a negative base sequence → INVALID_RECORD; transactional without a producer
 *    id → INVALID_RECORD (stricter than Kafka, which never sees one from real clients);
 *  - CreateTime bounds: Kafka checks every record; from the header we can only check maxTimestamp
 *    (a record's timestamp): above now + after.max.ms, or (for all records) below now -
 *    before.max.ms → INVALID_TIMESTAMP. No false positives, but a single old record in a batch
 *    with a newer max passes;
 *  - the whole set above maxSegmentBytes → RECORD_LIST_TOO_LARGE.
 * Records inside compressed batches are not looked at (Kafka decompresses to validate them; by
 * design we do not, as with compression.type=producer we append the producer's bytes as they are).
 */
export function validateRecordSet(buf: Buffer, limits: RecordSetLimits): RecordSetValidation {
  const version = limits.produceVersion;
  const strictV3 = version !== undefined && version >= 3;
  const fromClient = limits.fromClient ?? true;
  const batches: BatchHeader[] = [];
  const positions: number[] = [];

  // Structure first (ProduceRequest.validateRecords and the batch iterator).
  let pos = 0;
  if (buf.length === 0) return invalid(RecordErrorCode.INVALID_RECORD, 'produce request has no record batch');
  while (pos < buf.length) {
    const i = positions.length;
    const left = buf.length - pos;
    if (left < HEADER_SIZE_UP_TO_MAGIC) {
      return invalid(RecordErrorCode.CORRUPT_MESSAGE, `${left} trailing bytes after ${i} batches`, i);
    }
    const batchLength = buf.readInt32BE(pos + OFF.batchLength);
    if (batchLength < MIN_LEGACY_RECORD_SIZE) {
      return invalid(RecordErrorCode.CORRUPT_MESSAGE, `batch length ${batchLength} is less than the minimum record overhead`, i);
    }
    if (batchLength > left - LOG_OVERHEAD) {
      return invalid(RecordErrorCode.CORRUPT_MESSAGE, `truncated batch: length ${batchLength}, ${left - LOG_OVERHEAD} bytes left`, i);
    }
    const magic = buf.readInt8(pos + OFF.magic);
    if (magic < 0 || magic > MAGIC_V2) return invalid(RecordErrorCode.CORRUPT_MESSAGE, `invalid magic ${magic}`, i);
    if (magic !== MAGIC_V2) {
      return strictV3
        ? invalid(RecordErrorCode.INVALID_RECORD, `produce v${version} only allows magic 2 batches, got magic ${magic}`, i)
        : invalid(RecordErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `legacy message format (magic ${magic}) is not supported`, i);
    }
    if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) {
      return invalid(RecordErrorCode.CORRUPT_MESSAGE, `batch length ${batchLength} is below the v2 header size`, i);
    }
    const h = readBatchHeader(buf, pos);
    const codec = h.attributes & ATTR_COMPRESSION_MASK;
    if (codec > Compression.Zstd) return invalid(RecordErrorCode.CORRUPT_MESSAGE, `unknown compression codec ${codec}`, i);
    if (codec === Compression.Zstd && version !== undefined && version < 7) {
      return invalid(RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `produce v${version} may not use zstd (needs v7)`, i);
    }
    if (strictV3 && i > 0) {
      return invalid(RecordErrorCode.INVALID_RECORD, `produce v${version} allows exactly one record batch per partition`, i);
    }
    batches.push(h);
    positions.push(pos);
    pos += h.size;
  }

  let recordCount = 0;
  let maxTimestamp = NO_TIMESTAMP;
  let compression = Compression.None;
  const createTime = (limits.timestampType ?? 'CreateTime') === 'CreateTime';
  const now = limits.now ?? Date.now();
  for (let i = 0; i < batches.length; i++) {
    const h = batches[i]!;
    if (fromClient && h.baseOffset !== 0) {
      return invalid(RecordErrorCode.INVALID_RECORD, `batch baseOffset should be 0, but it is ${h.baseOffset}`, i);
    }
    if (h.size > limits.maxMessageBytes) {
      return invalid(RecordErrorCode.MESSAGE_TOO_LARGE, `batch of ${h.size} bytes exceeds max.message.bytes ${limits.maxMessageBytes}`, i);
    }
    if (!batchCrcValid(buf, positions[i]!, h.size)) {
      return invalid(RecordErrorCode.CORRUPT_MESSAGE, `record batch is corrupt (stored crc = ${h.crc >>> 0})`, i);
    }
    if (fromClient) {
      const countFromOffsets = h.lastOffsetDelta + 1;
      if (countFromOffsets <= 0) return invalid(RecordErrorCode.INVALID_RECORD, `invalid offset range: lastOffsetDelta ${h.lastOffsetDelta}`, i);
      if (h.recordCount <= 0) return invalid(RecordErrorCode.INVALID_RECORD, `invalid record count ${h.recordCount}`, i);
      if (countFromOffsets !== h.recordCount) {
        return invalid(RecordErrorCode.INVALID_RECORD, `lastOffsetDelta ${h.lastOffsetDelta} does not match record count ${h.recordCount}`, i);
      }
      if (isControl(h.attributes)) return invalid(RecordErrorCode.INVALID_RECORD, 'clients may not write control batches', i);
      if (h.producerId >= 0n && h.baseSequence < 0) {
        return invalid(RecordErrorCode.INVALID_RECORD, `invalid sequence ${h.baseSequence} for producer id ${h.producerId}`, i);
      }
      if ((h.attributes & ATTR_TRANSACTIONAL) !== 0 && h.producerId < 0n) {
        return invalid(RecordErrorCode.INVALID_RECORD, 'transactional batch without a producer id', i);
      }
    } else if (h.recordCount < 0) {
      return invalid(RecordErrorCode.CORRUPT_MESSAGE, `negative record count ${h.recordCount}`, i);
    }
    const batchMax = Number(h.maxTimestamp);
    if (createTime && batchMax !== NO_TIMESTAMP) {
      if (limits.timestampAfterMaxMs !== undefined && batchMax > now + limits.timestampAfterMaxMs) {
        return invalid(RecordErrorCode.INVALID_TIMESTAMP, `timestamp ${batchMax} is more than ${limits.timestampAfterMaxMs} ms after now (${now})`, i);
      }
      if (limits.timestampBeforeMaxMs !== undefined && batchMax < now - limits.timestampBeforeMaxMs) {
        return invalid(RecordErrorCode.INVALID_TIMESTAMP, `timestamp ${batchMax} is more than ${limits.timestampBeforeMaxMs} ms before now (${now})`, i);
      }
    }
    if (batchMax > maxTimestamp) maxTimestamp = batchMax;
    recordCount += Math.max(h.recordCount, 0);
    const codec = (h.attributes & ATTR_COMPRESSION_MASK) as Compression;
    if (codec !== Compression.None) compression = codec;
  }
  if (limits.maxSegmentBytes !== undefined && buf.length > limits.maxSegmentBytes) {
    return invalid(RecordErrorCode.RECORD_LIST_TOO_LARGE, `record set of ${buf.length} bytes exceeds the segment size ${limits.maxSegmentBytes}`);
  }
  return { ok: true, batches, positions, recordCount, bytes: buf.length, maxTimestamp, compression };
}

export interface AssignOffsetsOptions {
  /** message.timestamp.type of the topic; default CreateTime. */
  timestampType?: TimestampType;
  /** The append time for LogAppendTime; default Date.now(). */
  now?: number;
  /** When set, written into each batch (outside the CRC), as the leader does on append. */
  partitionLeaderEpoch?: number;
  /** Byte position of the first batch in `buf` (default 0); batches follow back to back. */
  position?: number;
}

export interface AssignedOffsets {
  firstOffset: number;
  lastOffset: number;
  /** The log end offset after this append. */
  nextOffset: number;
  /** Largest timestamp in the appended batches (the append time under LogAppendTime). */
  maxTimestamp: number;
  /** Last offset of the batch holding maxTimestamp (what the time index records for magic 2). */
  offsetOfMaxTimestamp: number;
  /** The append time under LogAppendTime, else -1 (the Produce response's log_append_time_ms). */
  logAppendTime: number;
}

/**
 * Rewrites each batch's header in place, as Kafka's leader does on append, touching nothing but
 * the 61-byte headers:
 *  - baseOffset = the next offset (outside the CRC: no recompute);
 *  - partitionLeaderEpoch when given (outside the CRC);
 *  - LogAppendTime: set the timestamp-type bit and maxTimestamp = append time, recompute the CRC
 *    (baseTimestamp is left alone, as Kafka's DefaultRecordBatch.setMaxTimestamp does; readers
 *    take every record's timestamp from maxTimestamp for such batches);
 *  - CreateTime: a batch that arrived with the LogAppendTime bit set gets it cleared (and a new
 *    CRC), as Kafka does; otherwise the CRC-covered bytes are untouched.
 * `headers` (from validateRecordSet) are updated to match.
 */
export function assignOffsets(buf: Buffer, headers: BatchHeader[], firstOffset: number, opts: AssignOffsetsOptions = {}): AssignedOffsets {
  const logAppend = opts.timestampType === 'LogAppendTime';
  const appendTime = logAppend ? (opts.now ?? Date.now()) : NO_TIMESTAMP;
  let pos = opts.position ?? 0;
  let next = firstOffset;
  let maxTimestamp = NO_TIMESTAMP;
  let offsetOfMaxTimestamp = -1;
  for (const h of headers) {
    buf.writeBigInt64BE(BigInt(next), pos + OFF.baseOffset);
    h.baseOffset = next;
    if (opts.partitionLeaderEpoch !== undefined) {
      buf.writeInt32BE(opts.partitionLeaderEpoch, pos + OFF.partitionLeaderEpoch);
      h.partitionLeaderEpoch = opts.partitionLeaderEpoch;
    }
    const hadLogAppend = isLogAppendTime(h.attributes);
    let crcDirty = false;
    if (logAppend) {
      const attrs = h.attributes | ATTR_TIMESTAMP_TYPE;
      if (attrs !== h.attributes || h.maxTimestamp !== BigInt(appendTime)) {
        h.attributes = attrs;
        h.maxTimestamp = BigInt(appendTime);
        buf.writeInt16BE(attrs, pos + OFF.attributes);
        buf.writeBigInt64BE(h.maxTimestamp, pos + OFF.maxTimestamp);
        crcDirty = true;
      }
    } else if (hadLogAppend) {
      h.attributes &= ~ATTR_TIMESTAMP_TYPE;
      buf.writeInt16BE(h.attributes, pos + OFF.attributes);
      crcDirty = true;
    }
    if (crcDirty) {
      h.crc = crc32c(buf.subarray(pos + OFF.attributes, pos + h.size));
      buf.writeUint32BE(h.crc, pos + OFF.crc);
    }
    const lastOffset = next + Math.max(h.lastOffsetDelta, 0);
    const ts = Number(h.maxTimestamp);
    if (offsetOfMaxTimestamp < 0 || ts > maxTimestamp) {
      maxTimestamp = ts;
      offsetOfMaxTimestamp = lastOffset;
    }
    next = lastOffset + 1;
    pos += h.size;
  }
  return { firstOffset, lastOffset: next - 1, nextOffset: next, maxTimestamp, offsetOfMaxTimestamp, logAppendTime: appendTime };
}

export { compressionName };

export interface DeepValidationOptions extends DecompressOptions {
  /** cleanup.policy contains compact: every record needs a key (INVALID_RECORD otherwise). */
  compacted?: boolean;
  timestampType?: TimestampType;
  timestampBeforeMaxMs?: number;
  timestampAfterMaxMs?: number;
  now?: number;
}

/**
 * The per-record checks Kafka's LogValidator makes after decompressing a batch, for callers that
 * choose to pay for them (the produce hot path does not): the batch decodes (CORRUPT_MESSAGE),
 * offset deltas run 0..n-1 (INVALID_RECORD; Kafka would rebuild the batch, we cannot without
 * recompressing), keys present on compacted topics (INVALID_RECORD), and CreateTime timestamps
 * within bounds (INVALID_TIMESTAMP). Returns null when the batch passes.
 */
export async function validateBatchRecords(buf: Buffer, at: number, opts: DeepValidationOptions = {}): Promise<RecordSetError | null> {
  let d: DecodedBatch;
  try {
    d = await decodeRecordBatch(buf, at, opts);
  } catch (e) {
    if (e instanceof CorruptRecordError) return invalid(e.errorCode, e.message);
    throw e;
  }
  const createTime = (opts.timestampType ?? 'CreateTime') === 'CreateTime';
  const now = opts.now ?? Date.now();
  for (let i = 0; i < d.records.length; i++) {
    const r = d.records[i]!;
    if (r.offsetDelta !== i) return invalid(RecordErrorCode.INVALID_RECORD, `record ${i} has offset delta ${r.offsetDelta}`);
    if (opts.compacted && r.key === null) return invalid(RecordErrorCode.INVALID_RECORD, 'compacted topic cannot accept a record without a key');
    if (createTime && r.timestamp !== NO_TIMESTAMP) {
      if (opts.timestampAfterMaxMs !== undefined && r.timestamp > now + opts.timestampAfterMaxMs) {
        return invalid(RecordErrorCode.INVALID_TIMESTAMP, `timestamp ${r.timestamp} of record ${i} is too far in the future`);
      }
      if (opts.timestampBeforeMaxMs !== undefined && r.timestamp < now - opts.timestampBeforeMaxMs) {
        return invalid(RecordErrorCode.INVALID_TIMESTAMP, `timestamp ${r.timestamp} of record ${i} is too old`);
      }
    }
  }
  return null;
}

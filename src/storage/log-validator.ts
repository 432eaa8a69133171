/**
 * Kafka's LogValidator, with the record checks Kafka makes before it (ProduceRequest
 * .validateRecords, UnifiedLog.analyzeAndValidateRecords): the one place a produced batch is
 * checked and given offsets.
 *
 *  - validateRecords(): what the produce handler calls before appending, with the topic's
 *    resolved LogConfig. It reads the 61-byte headers only (DESIGN habit 10), except on a
 *    compacted topic, whose records it decodes (decompressing them if need be) to refuse those
 *    without a key, as Kafka does.
 *  - analyzeAppend(), assignOffset(), writeAssignedHeaders(): what Log.append calls inside the
 *    partition's writer queue, for any origin: the structural check of the bytes, then offset
 *    assignment (and the LogAppendTime stamp) in the headers.
 *
 * Error codes are the generated ErrorCode names; nothing here writes a number for one.
 */
import { ErrorCode } from '../protocol/errors.js';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_TIMESTAMP_TYPE,
  BATCH_HEADER_SIZE,
  Compression,
  LOG_OVERHEAD,
  OFF,
  batchCrcValid,
  computeBatchCrc,
  isControl,
  isLogAppendTime,
  isTransactional,
  readBatchHeader,
  type BatchHeader,
} from '../protocol/records/batch-header.js';
import { MAGIC_V2, NO_TIMESTAMP, decodeRecordBatch, type DecodedBatch } from '../protocol/records/batch.js';
import { CorruptRecordError as CorruptBatchError, CompressionError } from '../protocol/records/errors.js';
import { checkDecompressedSize } from '../protocol/records/compression.js';
import type { LogConfig } from './config.js';
import { NEVER } from './config.js';
import { CorruptRecordError, RecordListTooLargeError } from './errors.js';
import type { AppendOrigin } from './partition-log.js';

/** The smallest batchLength Kafka accepts before looking at the magic (LegacyRecord.RECORD_OVERHEAD_V0). */
const MIN_LEGACY_RECORD_SIZE = 14;
/** Bytes needed to read an entry's magic byte. */
const HEADER_SIZE_UP_TO_MAGIC = OFF.magic + 1;
/** Java's Long.MAX_VALUE, what "never" (NEVER) stands for in Kafka's messages. */
const JAVA_LONG_MAX = 9223372036854775807n;

// =============================================================================================
// The produce path: validateRecords

/** The topic's effective values the validator applies: the log's resolved LogConfig will do. */
export type ValidatorConfig = Pick<
  LogConfig,
  'maxMessageBytes' | 'segmentBytes' | 'messageTimestampType' | 'messageTimestampBeforeMaxMs' | 'messageTimestampAfterMaxMs' | 'compact'
>;

/** What the validator needs to know about the request rather than the topic. */
export interface ValidationContext {
  /** The partition, for messages (Kafka writes a TopicPartition as `<topic>-<partition>`). */
  topic: string;
  partition: number;
  /**
   * The Produce request version. From v3 Kafka requires exactly one magic-2 batch per partition
   * (INVALID_RECORD otherwise) and zstd needs v7 (UNSUPPORTED_COMPRESSION_TYPE). Unset: neither.
   */
  produceVersion?: number;
  /** 'client' (default): the batch must look as a producer sends it (baseOffset 0, no control flag ...). */
  origin?: AppendOrigin;
  /** The broker's clock (ms): timestamp bounds and the LogAppendTime stamp. Default Date.now(). */
  now?: number;
  /**
   * The most a compressed batch may decompress to (the broker passes socket.request.max.bytes):
   * above it the set is refused with INVALID_RECORD (what Kafka answers for the bombs it cannot
   * parse; non-retriable for producers, where CORRUPT_MESSAGE is retriable) before anything of that
   * size is allocated (decompression bombs, CVE-2023-34455). A payload the codec refuses is
   * CORRUPT_MESSAGE. Unset: compressed batches are not looked into.
   */
  maxDecompressedBytes?: number;
}

/** One entry of the Produce response's record_errors (Kafka's ProduceResponse.RecordError). */
export interface RecordError {
  /** The index of the offending record in its batch (Kafka's batch_index). */
  batchIndex: number;
  message: string;
}

export interface ValidatedRecords {
  ok: true;
  batches: BatchHeader[];
  /** Byte position of each batch in the record set. */
  positions: number[];
  recordCount: number;
  /** The largest maxTimestamp of the batches, as sent. */
  maxTimestamp: number;
  /** Codec of the last compressed batch, or None (Kafka's "sourceCompression"). */
  compression: Compression;
  /** The stamp Log.append writes into every batch: the append time under LogAppendTime, else undefined. */
  logAppendTime: bigint | undefined;
}

export interface RejectedRecords {
  ok: false;
  errorCode: ErrorCode;
  /** The Produce response's error_message. */
  message: string;
  /** The Produce response's record_errors: filled when records were looked at one by one, as Kafka does. */
  recordErrors: RecordError[];
}

export type RecordValidation = ValidatedRecords | RejectedRecords;

function reject(errorCode: ErrorCode, message: string, recordErrors: RecordError[] = []): RejectedRecords {
  return { ok: false, errorCode, message, recordErrors };
}

/**
 * Checks a produce request's record set for one partition, in Kafka's order, and decides the
 * LogAppendTime stamp. Never throws on bad input; the bytes are only changed when they pass (a
 * client's LogAppendTime bit cleared on a CreateTime topic, as Kafka does).
 *
 * Header checks (every topic; no decompression):
 *  - structure: no batch → INVALID_RECORD; batchLength below 14 or below the v2 header, a
 *    truncated batch or trailing bytes → CORRUPT_MESSAGE (Kafka silently trims a partial tail; we
 *    refuse it); magic outside 0..2 → CORRUPT_MESSAGE; magic 0/1 → INVALID_RECORD for produce v3+,
 *    UNSUPPORTED_FOR_MESSAGE_FORMAT otherwise; unknown codec → CORRUPT_MESSAGE; zstd before
 *    produce v7 → UNSUPPORTED_COMPRESSION_TYPE; more than one batch in produce v3+ → INVALID_RECORD;
 *  - per batch: baseOffset != 0 from a client → INVALID_RECORD; size > max.message.bytes →
 *    MESSAGE_TOO_LARGE; CRC32C mismatch → CORRUPT_MESSAGE; recordCount <= 0, lastOffsetDelta + 1 <=
 *    0 or != recordCount → INVALID_RECORD; a control batch from a client → INVALID_RECORD; a
 *    producer id with a negative base sequence → INVALID_RECORD; transactional without a producer
 *    id → INVALID_RECORD (stricter than Kafka, which never sees one from real clients);
 *  - timestamp type: a batch sent with the LogAppendTime bit → INVALID_TIMESTAMP on a
 *    LogAppendTime topic, and on a CreateTime topic when it has no timestamp (Kafka: "Producer
 *    should not set timestamp type to LogAppendTime"); otherwise a CreateTime topic clears the bit;
 *  - CreateTime bounds (message.timestamp.before/after.max.ms): Kafka checks every record; from the
 *    header only maxTimestamp can be checked: above now + after, or (then every record is) below
 *    now - before → INVALID_TIMESTAMP. No false positives, but a single old record in a batch with
 *    a newer max passes;
 *  - the whole set above segment.bytes → RECORD_LIST_TOO_LARGE.
 * Record checks (compacted topics only, after the header checks pass): every record is decoded; a
 * record without a key, or (CreateTime) with a timestamp out of bounds, is a record error, as in
 * Kafka's LogValidator.validateRecord. Errors are collected per batch and reported as Kafka's
 * RecordValidationException: INVALID_TIMESTAMP if any is a timestamp error, else INVALID_RECORD,
 * with every record error in record_errors and Kafka's summary in error_message.
 *
 * Returns a promise only when the records are decoded (compacted topics).
 */
export function validateRecords(buf: Buffer, cfg: ValidatorConfig, ctx: ValidationContext): RecordValidation | Promise<RecordValidation> {
  const now = ctx.now ?? Date.now();
  const checked = checkHeaders(buf, cfg, ctx, now);
  if (!checked.ok) return checked;
  if (ctx.maxDecompressedBytes !== undefined && checked.compression !== Compression.None) {
    const bomb = checkDecompressedSizes(buf, checked, ctx.maxDecompressedBytes);
    if (bomb) return bomb;
  }
  if (!cfg.compact) return accept(buf, checked, cfg, now);
  return checkRecords(buf, checked, cfg, ctx, now).then((rejected) => rejected ?? accept(buf, checked, cfg, now));
}

/**
 * Each compressed batch must decompress to at most `maxBytes`, checked without holding the output
 * (compression.ts checkDecompressedSize), synchronously: INVALID_RECORD beyond it; a codec that
 * refuses the payload is CORRUPT_MESSAGE.
 */
function checkDecompressedSizes(buf: Buffer, v: ValidatedRecords, maxBytes: number): RejectedRecords | null {
  for (let i = 0; i < v.batches.length; i++) {
    const h = v.batches[i]!;
    const codec = (h.attributes & ATTR_COMPRESSION_MASK) as Compression;
    if (codec === Compression.None) continue;
    const at = v.positions[i]!;
    try {
      checkDecompressedSize(codec, buf.subarray(at + BATCH_HEADER_SIZE, at + h.size), maxBytes);
    } catch (e) {
      if (!(e instanceof CompressionError)) throw e;
      if (e.reason === 'too-large') return reject(ErrorCode.INVALID_RECORD, `compressed records expand beyond the broker's limit of ${maxBytes} bytes (${e.message})`);
      return reject(e.errorCode, `cannot decompress records: ${e.message}`);
    }
  }
  return null;
}

/** The set passed: clear a client's LogAppendTime bit on a CreateTime topic, decide the stamp. */
function accept(buf: Buffer, v: ValidatedRecords, cfg: ValidatorConfig, now: number): ValidatedRecords {
  if (cfg.messageTimestampType === 'LogAppendTime') {
    v.logAppendTime = BigInt(now);
    return v;
  }
  for (let i = 0; i < v.batches.length; i++) {
    const h = v.batches[i]!;
    if (!isLogAppendTime(h.attributes)) continue;
    const at = v.positions[i]!;
    h.attributes &= ~ATTR_TIMESTAMP_TYPE;
    buf.writeInt16BE(h.attributes, at + OFF.attributes);
    h.crc = computeBatchCrc(buf, at, h.size);
    buf.writeUint32BE(h.crc, at + OFF.crc);
  }
  return v;
}

/** The structure of the set (ProduceRequest.validateRecords and the batch iterator). */
function checkStructure(buf: Buffer, version: number | undefined): { batches: BatchHeader[]; positions: number[] } | RejectedRecords {
  const strictV3 = version !== undefined && version >= 3;
  const batches: BatchHeader[] = [];
  const positions: number[] = [];
  if (buf.length === 0) return reject(ErrorCode.INVALID_RECORD, 'produce request has no record batch');
  let pos = 0;
  while (pos < buf.length) {
    const i = positions.length;
    const left = buf.length - pos;
    if (left < HEADER_SIZE_UP_TO_MAGIC) return reject(ErrorCode.CORRUPT_MESSAGE, `${left} trailing bytes after ${i} batches`);
    const batchLength = buf.readInt32BE(pos + OFF.batchLength);
    if (batchLength < MIN_LEGACY_RECORD_SIZE) {
      return reject(ErrorCode.CORRUPT_MESSAGE, `batch length ${batchLength} is less than the minimum record overhead`);
    }
    if (batchLength > left - LOG_OVERHEAD) {
      return reject(ErrorCode.CORRUPT_MESSAGE, `truncated batch: length ${batchLength}, ${left - LOG_OVERHEAD} bytes left`);
    }
    const magic = buf.readInt8(pos + OFF.magic);
    if (magic < 0 || magic > MAGIC_V2) return reject(ErrorCode.CORRUPT_MESSAGE, `invalid magic ${magic}`);
    if (magic !== MAGIC_V2) {
      return strictV3
        ? reject(ErrorCode.INVALID_RECORD, `produce v${version} only allows magic 2 batches, got magic ${magic}`)
        : reject(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `legacy message format (magic ${magic}) is not supported`);
    }
    if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) {
      return reject(ErrorCode.CORRUPT_MESSAGE, `batch length ${batchLength} is below the v2 header size`);
    }
    const h = readBatchHeader(buf, pos);
    const codec = h.attributes & ATTR_COMPRESSION_MASK;
    if (codec > Compression.Zstd) return reject(ErrorCode.CORRUPT_MESSAGE, `unknown compression codec ${codec}`);
    if (codec === Compression.Zstd && version !== undefined && version < 7) {
      return reject(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `produce v${version} may not use zstd (needs v7)`);
    }
    if (strictV3 && i > 0) return reject(ErrorCode.INVALID_RECORD, `produce v${version} allows exactly one record batch per partition`);
    batches.push(h);
    positions.push(pos);
    pos += h.size;
  }
  return { batches, positions };
}

/** Kafka's LogValidator.validateBatch for a client's batch, from the header. */
function checkClientBatch(h: BatchHeader): RejectedRecords | null {
  const countFromOffsets = h.lastOffsetDelta + 1;
  if (countFromOffsets <= 0) return reject(ErrorCode.INVALID_RECORD, `invalid offset range: lastOffsetDelta ${h.lastOffsetDelta}`);
  if (h.recordCount <= 0) return reject(ErrorCode.INVALID_RECORD, `invalid record count ${h.recordCount}`);
  if (countFromOffsets !== h.recordCount) {
    return reject(ErrorCode.INVALID_RECORD, `lastOffsetDelta ${h.lastOffsetDelta} does not match record count ${h.recordCount}`);
  }
  if (isControl(h.attributes)) return reject(ErrorCode.INVALID_RECORD, 'clients may not write control batches');
  if (h.producerId >= 0n && h.baseSequence < 0) {
    return reject(ErrorCode.INVALID_RECORD, `invalid sequence ${h.baseSequence} for producer id ${h.producerId}`);
  }
  if (isTransactional(h.attributes) && h.producerId < 0n) return reject(ErrorCode.INVALID_RECORD, 'transactional batch without a producer id');
  return null;
}

/** The timestamp type and (unless the records are checked one by one) the CreateTime bounds. */
function checkBatchTimestamps(h: BatchHeader, cfg: ValidatorConfig, now: number, bounds: boolean): RejectedRecords | null {
  const batchMax = Number(h.maxTimestamp);
  const createTime = cfg.messageTimestampType === 'CreateTime';
  if (isLogAppendTime(h.attributes) && (!createTime || batchMax === NO_TIMESTAMP)) {
    return reject(ErrorCode.INVALID_TIMESTAMP, 'Producer should not set timestamp type to LogAppendTime.');
  }
  if (!bounds || !createTime || batchMax === NO_TIMESTAMP) return null;
  const after = cfg.messageTimestampAfterMaxMs;
  const before = cfg.messageTimestampBeforeMaxMs;
  if (batchMax > now + after) return reject(ErrorCode.INVALID_TIMESTAMP, `timestamp ${batchMax} is more than ${after} ms after now (${now})`);
  if (batchMax < now - before) return reject(ErrorCode.INVALID_TIMESTAMP, `timestamp ${batchMax} is more than ${before} ms before now (${now})`);
  return null;
}

function checkHeaders(buf: Buffer, cfg: ValidatorConfig, ctx: ValidationContext, now: number): ValidatedRecords | RejectedRecords {
  const structure = checkStructure(buf, ctx.produceVersion);
  if ('ok' in structure) return structure;
  const { batches, positions } = structure;
  const fromClient = (ctx.origin ?? 'client') === 'client';
  // Compacted topics check each record's timestamp (checkRecords) instead of the header's bound.
  const headerBounds = !cfg.compact;
  let recordCount = 0;
  let maxTimestamp = NO_TIMESTAMP;
  let compression = Compression.None;
  for (let i = 0; i < batches.length; i++) {
    const h = batches[i]!;
    if (fromClient && h.baseOffset !== 0) return reject(ErrorCode.INVALID_RECORD, `batch baseOffset should be 0, but it is ${h.baseOffset}`);
    if (h.size > cfg.maxMessageBytes) {
      return reject(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${h.size} bytes exceeds max.message.bytes ${cfg.maxMessageBytes}`);
    }
    if (!batchCrcValid(buf, positions[i]!, h.size)) return reject(ErrorCode.CORRUPT_MESSAGE, `record batch is corrupt (stored crc = ${h.crc >>> 0})`);
    if (fromClient) {
      const problem = checkClientBatch(h);
      if (problem) return problem;
    } else if (h.recordCount < 0) {
      return reject(ErrorCode.CORRUPT_MESSAGE, `negative record count ${h.recordCount}`);
    }
    const tsProblem = checkBatchTimestamps(h, cfg, now, headerBounds);
    if (tsProblem) return tsProblem;
    const batchMax = Number(h.maxTimestamp);
    if (batchMax > maxTimestamp) maxTimestamp = batchMax;
    recordCount += Math.max(h.recordCount, 0);
    const codec = (h.attributes & ATTR_COMPRESSION_MASK) as Compression;
    if (codec !== Compression.None) compression = codec;
  }
  if (buf.length > cfg.segmentBytes) {
    return reject(ErrorCode.RECORD_LIST_TOO_LARGE, `record set of ${buf.length} bytes exceeds the segment size ${cfg.segmentBytes}`);
  }
  return { ok: true, batches, positions, recordCount, maxTimestamp, compression, logAppendTime: undefined };
}

/** Kafka's message for a record without a key on a compacted topic (LogValidator.validateKey). */
export function noKeyMessage(topicPartition: string): string {
  return `Compacted topic cannot accept message without key in topic partition ${topicPartition}`;
}

/** A Java long as Kafka computes it: NEVER stands for Long.MAX_VALUE, and sums wrap. */
function javaLong(n: bigint): bigint {
  return BigInt.asIntN(64, n);
}
function asJavaMs(ms: number): bigint {
  return ms >= NEVER ? JAVA_LONG_MAX : BigInt(ms);
}

interface FoundRecordError {
  code: ErrorCode;
  error: RecordError;
}

/** Kafka's LogValidator.validateRecord for one decoded batch: the key, then the timestamp. */
function recordErrorsOf(d: DecodedBatch, cfg: ValidatorConfig, ctx: ValidationContext, now: number): FoundRecordError[] {
  const out: FoundRecordError[] = [];
  const createTime = cfg.messageTimestampType === 'CreateTime';
  const after = cfg.messageTimestampAfterMaxMs;
  const before = cfg.messageTimestampBeforeMaxMs;
  for (let i = 0; i < d.records.length; i++) {
    const r = d.records[i]!;
    if (cfg.compact && r.key === null) {
      out.push({ code: ErrorCode.INVALID_RECORD, error: { batchIndex: i, message: noKeyMessage(`${ctx.topic}-${ctx.partition}`) } });
      continue;
    }
    if (!createTime || r.timestamp === NO_TIMESTAMP) continue;
    if (now - r.timestamp > before || r.timestamp - now > after) {
      const lo = javaLong(BigInt(now) - asJavaMs(before));
      const hi = javaLong(BigInt(now) + asJavaMs(after));
      const message = `Timestamp ${r.timestamp} of message with offset ${r.offset} is out of range. The timestamp should be within [${lo}, ${hi}]`;
      out.push({ code: ErrorCode.INVALID_TIMESTAMP, error: { batchIndex: i, message } });
    }
  }
  return out;
}

/** Kafka's RecordError.toString, for the summary in error_message. */
function describeRecordError(e: RecordError): string {
  return `RecordError(batchIndex=${e.batchIndex}, message='${e.message}')`;
}

/** Kafka's LogValidator.processRecordErrors: one rejection for all the record errors of a batch. */
function rejectRecords(found: FoundRecordError[]): RejectedRecords {
  const errors = found.map((f) => f.error);
  if (found.some((f) => f.code === ErrorCode.INVALID_TIMESTAMP)) {
    return reject(ErrorCode.INVALID_TIMESTAMP, 'One or more records have been rejected due to invalid timestamp', errors);
  }
  const shown = errors.slice(0, 3).map(describeRecordError).join(', ');
  return reject(
    ErrorCode.INVALID_RECORD,
    `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: [${shown}]`,
    errors,
  );
}

/** The record checks of a compacted topic: decodes each batch (decompressing it) and checks every record. */
async function checkRecords(buf: Buffer, v: ValidatedRecords, cfg: ValidatorConfig, ctx: ValidationContext, now: number): Promise<RejectedRecords | null> {
  for (const at of v.positions) {
    let d: DecodedBatch;
    try {
      d = await decodeRecordBatch(buf, at, { verifyCrc: false, ...(ctx.maxDecompressedBytes === undefined ? {} : { maxBytes: ctx.maxDecompressedBytes }) });
    } catch (e) {
      if (e instanceof CorruptBatchError) return reject(e.errorCode, e.message);
      throw e;
    }
    const found = recordErrorsOf(d, cfg, ctx, now);
    if (found.length > 0) return rejectRecords(found);
  }
  return null;
}

// =============================================================================================
// The append path (inside the partition's writer queue): analyzeAppend, assignOffset,
// writeAssignedHeaders

/** A batch of an append: its parsed header (offsets assigned in place) and where it starts. */
export interface AppendBatch {
  at: number;
  h: BatchHeader;
}

/**
 * The check Log.append makes of whatever bytes it is handed (any origin): whole v2 batches back to
 * back, none with a negative lastOffsetDelta, and no larger than a segment. Throws
 * CorruptRecordError or RecordListTooLargeError.
 */
export function analyzeAppend(records: Buffer, segmentBytes: number): AppendBatch[] {
  const out: AppendBatch[] = [];
  let at = 0;
  while (at < records.length) {
    if (records.length - at < BATCH_HEADER_SIZE) throw new CorruptRecordError(`truncated batch header at byte ${at}`);
    const h = readBatchHeader(records, at);
    if (h.magic !== MAGIC_V2) throw new CorruptRecordError(`unsupported magic ${h.magic} at byte ${at}`);
    if (h.size < BATCH_HEADER_SIZE || at + h.size > records.length) throw new CorruptRecordError(`bad batch length at byte ${at}`);
    if (h.lastOffsetDelta < 0) throw new CorruptRecordError(`negative lastOffsetDelta at byte ${at}`);
    out.push({ at, h });
    at += h.size;
  }
  if (out.length === 0) throw new CorruptRecordError('no record batches to append');
  if (records.length > segmentBytes) {
    throw new RecordListTooLargeError(`append of ${records.length} bytes exceeds segment.bytes ${segmentBytes}`);
  }
  return out;
}

/**
 * Gives a batch its base offset and, under LogAppendTime, the stamp, in the parsed header only
 * (the bytes are written by writeAssignedHeaders once the whole append passed). Returns the next
 * offset.
 */
export function assignOffset(b: AppendBatch, baseOffset: number, logAppendTime: bigint | undefined): number {
  b.h.baseOffset = baseOffset;
  if (logAppendTime !== undefined) {
    b.h.attributes |= ATTR_TIMESTAMP_TYPE;
    b.h.maxTimestamp = logAppendTime;
  }
  return baseOffset + b.h.lastOffsetDelta + 1;
}

/** Rewrites a batch's base offset in place (outside the CRC), without a BigInt. */
function writeBaseOffset(buf: Buffer, at: number, offset: number): void {
  buf.writeInt32BE(Math.floor(offset / 4294967296), at + OFF.baseOffset);
  buf.writeUInt32BE(offset >>> 0, at + OFF.baseOffset + 4);
}

/**
 * Writes what assignOffset decided into the bytes, as Kafka's leader does on append, touching
 * nothing but the 61-byte headers: the base offset (outside the CRC: no recompute); under
 * LogAppendTime the timestamp-type bit and maxTimestamp = the stamp, and a new CRC (baseTimestamp
 * is left alone, as Kafka's DefaultRecordBatch.setMaxTimestamp does; readers take every record's
 * timestamp from maxTimestamp for such batches).
 */
export function writeAssignedHeaders(records: Buffer, batches: readonly AppendBatch[], logAppendTime: bigint | undefined): void {
  for (const b of batches) {
    writeBaseOffset(records, b.at, b.h.baseOffset);
    if (logAppendTime !== undefined) {
      records.writeInt16BE(b.h.attributes, b.at + OFF.attributes);
      records.writeBigInt64BE(logAppendTime, b.at + OFF.maxTimestamp);
      records.writeUInt32BE(computeBatchCrc(records, b.at, b.h.size), b.at + OFF.crc);
    }
  }
}

/**
 * RecordBatch v2: building batches (producer) and reading them (consumer). The broker's checks of
 * a produced batch live in src/storage/log-validator.ts.
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
  isLogAppendTime,
  readBatchHeader,
  type BatchHeader,
} from './batch-header.js';
import { compress, compressSync, decompress, decompressSync, compressionName, type DecompressOptions } from './compression.js';
import { CompressionError, CorruptRecordError, RecordErrorCode } from './errors.js';
import { MIN_RECORD_SIZE, RecordReader, sizeOfRecordBody, sizeOfVarint, writeRecord, type Record, type RecordHeader } from './record.js';

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

export { compressionName };

/**
 * Storage errors. Each carries the Kafka error code the broker should put in the partition's
 * response, so handlers map them without knowing storage internals. Codes are the generated
 * ErrorCode names (../protocol/errors.ts), never numbers written here.
 */
import { ErrorCode, errorInfo, type ErrorName } from '../protocol/errors.js';

export class StorageError extends Error {
  override name = 'StorageError';
  /** Kafka's name for `code`, e.g. OFFSET_OUT_OF_RANGE. */
  readonly errorName: ErrorName;
  constructor(
    message: string,
    /** The Kafka error code. */
    readonly code: ErrorCode,
  ) {
    super(message);
    this.errorName = errorInfo(code).name;
  }
}

/** Fetch/DeleteRecords offset outside [logStartOffset, logEndOffset]: OFFSET_OUT_OF_RANGE. */
export class OffsetOutOfRangeError extends StorageError {
  override name = 'OffsetOutOfRangeError';
  constructor(
    readonly offset: number,
    readonly logStartOffset: number,
    readonly logEndOffset: number,
  ) {
    super(`offset ${offset} is out of range [${logStartOffset}, ${logEndOffset}]`, ErrorCode.OFFSET_OUT_OF_RANGE);
  }
}

/** Bytes handed to append() are not a sequence of whole v2 batches: CORRUPT_MESSAGE. */
export class CorruptRecordError extends StorageError {
  override name = 'CorruptRecordError';
  constructor(message: string) {
    super(message, ErrorCode.CORRUPT_MESSAGE);
  }
}

/** The append is larger than segment.bytes: RECORD_LIST_TOO_LARGE. */
export class RecordListTooLargeError extends StorageError {
  override name = 'RecordListTooLargeError';
  constructor(message: string) {
    super(message, ErrorCode.RECORD_LIST_TOO_LARGE);
  }
}

/** Idempotent-producer check failures: OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, ... */
export class ProducerStateError extends StorageError {
  override name = 'ProducerStateError';
}

/** The log (or the log manager) was closed or deleted: KAFKA_STORAGE_ERROR. */
export class LogClosedError extends StorageError {
  override name = 'LogClosedError';
  constructor(what: string) {
    super(`${what} is closed`, ErrorCode.KAFKA_STORAGE_ERROR);
  }
}

/**
 * appendAsFollower: a batch does not start where it must (the first at the log end offset, each
 * later one right after the previous). Nothing was appended. When the first batch starts below
 * an empty log's end and holds that offset, the leader's log start fell inside a batch (after
 * DeleteRecords): Kafka's follower then restarts its log at the batch's base offset
 * (truncateFullyAndStartAt(baseOffset)) and appends again.
 */
export class OffsetMismatchError extends StorageError {
  override name = 'OffsetMismatchError';
  constructor(
    /** Where the batch had to start. */
    readonly expectedOffset: number,
    readonly baseOffset: number,
    readonly lastOffset: number,
    /** The batch's position in the records handed over (0: the first). */
    readonly batchIndex: number,
  ) {
    super(`batch ${batchIndex} spans offsets ${baseOffset}..${lastOffset}, expected it to start at ${expectedOffset}`, ErrorCode.UNKNOWN_SERVER_ERROR);
  }
}

/**
 * A write or fsync of a log's files failed (a full disk, an I/O error): KAFKA_STORAGE_ERROR, with
 * Kafka's message. The append it belonged to left nothing visible; later appends try again.
 */
export class StorageIoError extends StorageError {
  override name = 'StorageIoError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ErrorCode.KAFKA_STORAGE_ERROR);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** An error from the file system as the StorageError a handler answers with; StorageErrors pass through. */
export function asStorageError(e: unknown, topic: string, partition: number, dir: string): unknown {
  if (e instanceof StorageError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return e;
  return new StorageIoError(`Error while appending records to ${topic}-${partition} in dir ${dir}: ${(e as Error).message}`, { cause: e });
}

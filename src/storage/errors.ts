/**
 * Storage errors. Each carries the Kafka error code the broker should put in the partition's
 * response, so handlers map them without knowing storage internals.
 */
export class StorageError extends Error {
  override name = 'StorageError';
  constructor(
    message: string,
    /** Kafka error code (see ../shared/kafka-reference/error-codes.tsv). */
    readonly code: number,
    /** Kafka error name, e.g. OFFSET_OUT_OF_RANGE. */
    readonly errorName: string,
  ) {
    super(message);
  }
}

/** Fetch/DeleteRecords offset outside [logStartOffset, logEndOffset]. Kafka code 1. */
export class OffsetOutOfRangeError extends StorageError {
  override name = 'OffsetOutOfRangeError';
  constructor(
    readonly offset: number,
    readonly logStartOffset: number,
    readonly logEndOffset: number,
  ) {
    super(
      `offset ${offset} is out of range [${logStartOffset}, ${logEndOffset}]`,
      1,
      'OFFSET_OUT_OF_RANGE',
    );
  }
}

/** Bytes handed to append() are not a sequence of whole v2 batches. Kafka code 2. */
export class CorruptRecordError extends StorageError {
  override name = 'CorruptRecordError';
  constructor(message: string) {
    super(message, 2, 'CORRUPT_MESSAGE');
  }
}

/** The append is larger than segment.bytes. Kafka code 18. */
export class RecordListTooLargeError extends StorageError {
  override name = 'RecordListTooLargeError';
  constructor(message: string) {
    super(message, 18, 'RECORD_LIST_TOO_LARGE');
  }
}

/** Idempotent-producer check failures: OUT_OF_ORDER_SEQUENCE_NUMBER (45), INVALID_PRODUCER_EPOCH (47), ... */
export class ProducerStateError extends StorageError {
  override name = 'ProducerStateError';
}

/** The log (or the log manager) was closed or deleted. Kafka code 56 (KAFKA_STORAGE_ERROR). */
export class LogClosedError extends StorageError {
  override name = 'LogClosedError';
  constructor(what: string) {
    super(`${what} is closed`, 56, 'KAFKA_STORAGE_ERROR');
  }
}

export const ERR_OUT_OF_ORDER_SEQUENCE_NUMBER = 45;
export const ERR_INVALID_PRODUCER_EPOCH = 47;
export const ERR_UNKNOWN_PRODUCER_ID = 59;
export const ERR_PRODUCER_FENCED = 90;

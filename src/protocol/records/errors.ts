import { DecodeError } from '../primitives/errors.js';
import { ErrorCode } from '../errors.js';

/** The Kafka error codes the record layer reports: a subset of the generated ErrorCode. */
export const RecordErrorCode = {
  NONE: ErrorCode.NONE,
  CORRUPT_MESSAGE: ErrorCode.CORRUPT_MESSAGE,
  MESSAGE_TOO_LARGE: ErrorCode.MESSAGE_TOO_LARGE,
  RECORD_LIST_TOO_LARGE: ErrorCode.RECORD_LIST_TOO_LARGE,
  INVALID_TIMESTAMP: ErrorCode.INVALID_TIMESTAMP,
  UNSUPPORTED_VERSION: ErrorCode.UNSUPPORTED_VERSION,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
  UNSUPPORTED_COMPRESSION_TYPE: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
  INVALID_RECORD: ErrorCode.INVALID_RECORD,
} as const;
export type RecordErrorCode = (typeof RecordErrorCode)[keyof typeof RecordErrorCode];

export type CompressionFailure = 'corrupt' | 'too-large' | 'unsupported';

/**
 * A codec refused its input: corrupt or truncated compressed data, output above the caller's
 * limit (a "zip bomb"), or a variant of the format Kafka clients do not use.
 */
export class CompressionError extends Error {
  override readonly name = 'CompressionError';
  constructor(
    readonly codec: string,
    readonly reason: CompressionFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${codec}: ${message}`, options);
  }
  /** The Kafka error code a broker would answer with for this input. */
  get errorCode(): RecordErrorCode {
    return this.reason === 'unsupported' ? RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE : RecordErrorCode.CORRUPT_MESSAGE;
  }
}

/**
 * A record batch that cannot be read: bad CRC, unknown magic, records that do not fit the batch.
 * A DecodeError, so callers that already catch DecodeError see it; `errorCode` is the Kafka code.
 */
export class CorruptRecordError extends DecodeError {
  constructor(
    message: string,
    offset: number,
    readonly errorCode: RecordErrorCode = RecordErrorCode.CORRUPT_MESSAGE,
  ) {
    super(message, offset);
    // DecodeError types `name` as the literal 'DecodeError'; set ours at runtime.
    Object.defineProperty(this, 'name', { value: 'CorruptRecordError' });
  }
}

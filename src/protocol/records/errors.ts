import { DecodeError } from '../primitives/errors.js';

/**
 * Kafka error codes the record layer reports. Numbers from kafka-reference/error-codes.tsv.
 * TODO: switch to the generated ErrorCode in src/protocol/errors.ts once it lands.
 */
export const RecordErrorCode = {
  NONE: 0,
  CORRUPT_MESSAGE: 2,
  MESSAGE_TOO_LARGE: 10,
  RECORD_LIST_TOO_LARGE: 18,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_VERSION: 35,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  INVALID_RECORD: 87,
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

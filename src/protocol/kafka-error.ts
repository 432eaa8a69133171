import { errorInfo, type ErrorName } from './errors.js';

/**
 * A Kafka error code as an exception, with a stable `code`, Kafka's name for it (`errorName`) and
 * whether retrying can help (`retriable`), all from Kafka's error table (errors.ts, generated from
 * error-codes.tsv). The one class for Kafka errors, in the generated codecs and the client alike;
 * the client's own failures are its ClientErrors, and its retry decision is isRetriable (both in
 * client/errors.ts). Codes Kafka does not define keep their number, with the name of
 * UNKNOWN_SERVER_ERROR.
 */
export class KafkaProtocolError extends Error {
  override readonly name = 'KafkaProtocolError';
  readonly errorName: ErrorName;
  readonly retriable: boolean;

  constructor(
    readonly code: number,
    message?: string,
    options?: { cause?: unknown },
  ) {
    const info = errorInfo(code);
    super(message ?? (info.message || info.name), options);
    this.errorName = info.name;
    this.retriable = info.retriable;
  }
}

import { errorInfo, type ErrorName } from './errors.js';

/**
 * A Kafka error code as an exception, with a stable `code`, Kafka's name for it (`errorName`) and
 * whether retrying can help (`retriable`). Codes Kafka does not define keep their number, with
 * the name of UNKNOWN_SERVER_ERROR.
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

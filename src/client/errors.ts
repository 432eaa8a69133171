import { errorInfo, type ErrorName } from '../protocol/errors.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';

export { KafkaProtocolError } from '../protocol/kafka-error.js';

/**
 * Stable codes of the client's own errors (not Kafka error codes: those arrive as
 * KafkaProtocolError, whose `code` is Kafka's number).
 */
export const ClientErrorCode = {
  CONNECTION_FAILED: 'TRIBUTARY_CONNECTION_FAILED',
  CONNECTION_TIMEOUT: 'TRIBUTARY_CONNECTION_TIMEOUT',
  CONNECTION_CLOSED: 'TRIBUTARY_CONNECTION_CLOSED',
  REQUEST_TIMEOUT: 'TRIBUTARY_REQUEST_TIMEOUT',
  REQUEST_ABORTED: 'TRIBUTARY_REQUEST_ABORTED',
  RESPONSE_TOO_LARGE: 'TRIBUTARY_RESPONSE_TOO_LARGE',
  PROTOCOL: 'TRIBUTARY_PROTOCOL',
  CLIENT_CLOSED: 'TRIBUTARY_CLIENT_CLOSED',
  ILLEGAL_STATE: 'TRIBUTARY_ILLEGAL_STATE',
  PRODUCER_FENCED: 'TRIBUTARY_PRODUCER_FENCED',
  TRANSACTION_FATAL: 'TRIBUTARY_TRANSACTION_FATAL',
  TRANSACTION_ABORTABLE: 'TRIBUTARY_TRANSACTION_ABORTABLE',
  TRANSACTION_ABORTED: 'TRIBUTARY_TRANSACTION_ABORTED',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/**
 * Base of the client's own errors: a stable string `code`, the closest Kafka error name where one
 * applies (NETWORK_EXCEPTION, REQUEST_TIMED_OUT) or null, and whether retrying can help.
 */
export abstract class ClientError extends Error {
  abstract override readonly name: string;
  abstract readonly code: ClientErrorCode;
  abstract readonly errorName: ErrorName | null;
  abstract readonly retriable: boolean;
}

/** The TCP connection could not be established (refused, unreachable, DNS). */
export class ConnectionError extends ClientError {
  override readonly name = 'ConnectionError';
  readonly code = ClientErrorCode.CONNECTION_FAILED;
  readonly errorName = 'NETWORK_EXCEPTION' as const;
  readonly retriable = true;
}

/** The connection (TCP plus ApiVersions negotiation) did not complete within connectTimeoutMs. */
export class ConnectionTimeoutError extends ClientError {
  override readonly name = 'ConnectionTimeoutError';
  readonly code = ClientErrorCode.CONNECTION_TIMEOUT;
  readonly errorName = 'NETWORK_EXCEPTION' as const;
  readonly retriable = true;
}

/** The connection closed (by either side) while the request was pending, or before it was sent. */
export class ConnectionClosedError extends ClientError {
  override readonly name = 'ConnectionClosedError';
  readonly code = ClientErrorCode.CONNECTION_CLOSED;
  readonly errorName = 'NETWORK_EXCEPTION' as const;
  readonly retriable = true;
}

/** No response within the request's timeout. The connection stays open; a late answer is dropped. */
export class RequestTimeoutError extends ClientError {
  override readonly name = 'RequestTimeoutError';
  readonly code = ClientErrorCode.REQUEST_TIMEOUT;
  readonly errorName = 'REQUEST_TIMED_OUT' as const;
  readonly retriable = true;
}

/** The caller's AbortSignal fired before the response arrived. */
export class RequestAbortedError extends ClientError {
  override readonly name = 'RequestAbortedError';
  readonly code = ClientErrorCode.REQUEST_ABORTED;
  readonly errorName = null;
  readonly retriable = false;
}

/** A response frame announced more bytes than maxResponseBytes; the connection is closed. */
export class ResponseTooLargeError extends ClientError {
  override readonly name = 'ResponseTooLargeError';
  readonly code = ClientErrorCode.RESPONSE_TOO_LARGE;
  readonly errorName = null;
  readonly retriable = false;
}

/** The broker's bytes do not make sense: an undecodable response or an unknown correlation id. */
export class ProtocolError extends ClientError {
  override readonly name = 'ProtocolError';
  readonly code = ClientErrorCode.PROTOCOL;
  readonly errorName = null;
  readonly retriable = false;
}

/** The producer or consumer was closed before (or while) the call ran. */
export class ClientClosedError extends ClientError {
  override readonly name = 'ClientClosedError';
  readonly code = ClientErrorCode.CLIENT_CLOSED;
  readonly errorName = null;
  readonly retriable = false;
}

/**
 * A call the client's state does not allow (as the Java client's IllegalStateException): subscribe()
 * without a groupId, mixing assign() and subscribe(), commit() outside a group, seek() of a
 * partition that is not assigned.
 */
export class IllegalStateError extends ClientError {
  override readonly name = 'IllegalStateError';
  readonly code = ClientErrorCode.ILLEGAL_STATE;
  readonly errorName = null;
  readonly retriable = false;
}

/**
 * A transactional producer hit an error it cannot recover from (as the Java client's fatal state):
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED, INVALID_TXN_STATE, an unexpected answer of the
 * coordinator, ... Every later call of the producer rejects with it; close the producer. `cause`
 * is the broker's error (a KafkaProtocolError) where there is one.
 */
export class TransactionFatalError extends ClientError {
  override readonly name: string = 'TransactionFatalError';
  readonly code: ClientErrorCode = ClientErrorCode.TRANSACTION_FATAL;
  readonly errorName: ErrorName | null;
  readonly retriable = false;
  constructor(message: string, errorName: ErrorName | null = null, options?: ErrorOptions) {
    super(message, options);
    this.errorName = errorName;
  }
}

/**
 * Another producer with the same transactionalId started (InitProducerId gave it a newer epoch):
 * this one is a zombie. PRODUCER_FENCED, or INVALID_PRODUCER_EPOCH on a transactional producer.
 * Fatal: close the producer (a new one may take over with initTransactions()).
 */
export class ProducerFencedError extends TransactionFatalError {
  override readonly name = 'ProducerFencedError';
  override readonly code = ClientErrorCode.PRODUCER_FENCED;
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'PRODUCER_FENCED', options);
  }
}

/**
 * The current transaction cannot commit (a record that could not be written, a rejected offset
 * commit, TRANSACTION_ABORTABLE, ...): abortTransaction() and go on with a new one. `cause` is the
 * first error that put the transaction in this state.
 */
export class TransactionAbortableError extends ClientError {
  override readonly name = 'TransactionAbortableError';
  readonly code = ClientErrorCode.TRANSACTION_ABORTABLE;
  readonly errorName: ErrorName | null;
  readonly retriable = false;
  constructor(message: string, errorName: ErrorName | null = null, options?: ErrorOptions) {
    super(message, options);
    this.errorName = errorName;
  }
}

/** A record of a transaction that was aborted before the record was sent: it was never written. */
export class TransactionAbortedError extends ClientError {
  override readonly name = 'TransactionAbortedError';
  readonly code = ClientErrorCode.TRANSACTION_ABORTED;
  readonly errorName = null;
  readonly retriable = false;
}

/**
 * Whether the same request, sent again (after a backoff, to a freshly looked-up leader or
 * coordinator), can succeed. The one retry decision of the client: the producer, the consumer,
 * the group member and the coordinator lookup all ask here.
 *
 * - a number is a Kafka error code, retriable as Kafka's error table says (an unknown code is
 *   UNKNOWN_SERVER_ERROR: no);
 * - a KafkaProtocolError carries that same flag from the table;
 * - a ClientError its own: a failed or dropped connection and a timeout yes; an abort, an
 *   oversized or undecodable response, a closed client or a misuse no;
 * - anything else (a RangeError for a bad option, a decode error of a record batch, ...) no.
 */
export function isRetriable(err: unknown): boolean {
  if (typeof err === 'number') return errorInfo(err).retriable;
  return (err instanceof KafkaProtocolError || err instanceof ClientError) && err.retriable;
}

/** The broker could not be connected to (down, or not there). */
export function isUnreachable(err: unknown): boolean {
  return err instanceof ConnectionError || err instanceof ConnectionTimeoutError;
}

/** Some of the topics or resources of one call failed; `failures` says which and why. */
export class AdminError extends Error {
  override readonly name = 'AdminError';
  constructor(
    readonly operation: string,
    readonly failures: ReadonlyArray<{ resource: string; error: KafkaProtocolError }>,
  ) {
    super(`${operation} failed for ${failures.map((f) => `${f.resource} (${f.error.errorName}: ${f.error.message})`).join(', ')}`);
  }
}

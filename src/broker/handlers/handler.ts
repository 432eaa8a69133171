import type { ApiKeyNumber, RequestOf, ResponseOf } from '../../protocol/messages/index.js';
import type { BrokerContext, ConnectionInfo } from '../context.js';
import type { RequestQuota } from '../quota/request-quota.js';

/** What a handler knows about the request besides its body. */
export interface RequestContext {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly conn: ConnectionInfo;
  readonly broker: BrokerContext;
  /** Client quotas of this request: what Produce and Fetch record, and the throttle earned. */
  readonly quota: RequestQuota;
  /** Ask the network layer to close this connection after this request (acks=0 produce errors). */
  requestClose(reason: string): void;
  /** Send the response, then close the connection (a failed SASL login, as Kafka does). */
  closeAfterResponse(reason: string): void;
  /**
   * Runs `fn` once the socket no longer needs the response's buffers: after it has taken the
   * response, or at once when there is none. Not run when the connection closes first. The fetch
   * handler gives its read buffers back to the pool this way.
   */
  afterResponse(fn: () => void): void;
}

/**
 * One API's handler: decoded request in, response out (or null for no response, as with acks=0).
 * Handlers never see sockets. Each file under handlers/ defines one, opening with the versions it
 * supports; ApiVersions advertises exactly these ranges.
 */
export interface Handler<K extends ApiKeyNumber = ApiKeyNumber> {
  readonly apiKey: K;
  readonly minVersion: number;
  readonly maxVersion: number;
  handle(req: RequestOf<K>, ctx: RequestContext): Promise<ResponseOf<K> | null> | ResponseOf<K> | null;
}

export function defineHandler<K extends ApiKeyNumber>(h: Handler<K>): Handler<K> {
  return h;
}

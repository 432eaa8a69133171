import { DecodeError, Reader, Writer } from '../../protocol/primitives/index.js';
import { apis, decodeRequestHeader, encodeResponseHeader, requestHeaderVersion, responseHeaderVersion, ApiKey } from '../../protocol/messages/index.js';
import { encodeApiVersionsResponse } from '../../protocol/messages/18-api-versions.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { Handler, RequestContext } from '../handlers/handler.js';
import { apiVersionsResponse } from '../handlers/18-api-versions.js';
import type { BrokerContext, ConnectionInfo } from '../context.js';
import type { FrameResult } from './connection.js';
import type { Logger } from '../logger.js';
import { evaluateSaslToken } from '../security/sasl/evaluate.js';
import { RequestQuota } from '../quota/request-quota.js';

/** The APIs a SASL listener answers before authentication. */
const SASL_APIS: ReadonlySet<number> = new Set([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

/**
 * Turns a request frame into a response frame: header, version check, body decoding, handler,
 * response encoding. No sockets here. A frame that cannot be parsed, an unknown API key or an
 * unsupported version closes the connection (as Kafka does), except ApiVersions, which answers an
 * unknown version with UNSUPPORTED_VERSION and the supported ranges in v0 format (KIP-511).
 */
export class Router {
  private readonly handlers = new Map<number, Handler>();

  constructor(
    handlers: readonly Handler[],
    private readonly broker: BrokerContext,
    private readonly log: Logger,
  ) {
    for (const h of handlers) {
      const codec = apis.get(h.apiKey);
      if (!codec || h.minVersion < codec.minVersion || h.maxVersion > codec.maxVersion) {
        throw new Error(`handler for API ${h.apiKey} declares versions ${h.minVersion}-${h.maxVersion} outside its codec's range`);
      }
      this.handlers.set(h.apiKey, h);
    }
  }

  /** The version ranges ApiVersions advertises: exactly what the handlers register. */
  supportedVersions(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
    return [...this.handlers.values()]
      .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey);
  }

  handleFrame = async (frame: Buffer, conn: ConnectionInfo): Promise<FrameResult> => {
    const sasl = conn.sasl;
    if (sasl && sasl.state === 'raw') return this.rawSaslToken(frame, conn);
    if (frame.length < 8) return { kind: 'close', reason: `request frame of ${frame.length} bytes is shorter than a request header` };
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const handler = this.handlers.get(apiKey);
    const codec = apis.get(apiKey);
    if (!handler || !codec) return { kind: 'close', reason: `unsupported API key ${apiKey}` };
    if (sasl && !SASL_APIS.has(apiKey)) {
      // Kafka's SaslServerAuthenticator: nothing but ApiVersions and the SASL APIs before a login.
      if (!sasl.authenticated) return { kind: 'close', reason: `${codec.name} request before SASL authentication` };
      if (sasl.expired(this.broker.now())) return { kind: 'close', reason: 'SASL session expired without re-authentication (connections.max.reauth.ms)' };
    }

    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === ApiKey.ApiVersions) return this.apiVersionsFallback(correlationId);
      return { kind: 'close', reason: `unsupported version ${apiVersion} of ${codec.name} (supported ${handler.minVersion}-${handler.maxVersion})` };
    }

    const r = new Reader(frame);
    let request: unknown;
    let clientId: string | null;
    try {
      const header = decodeRequestHeader(r, requestHeaderVersion(apiKey, apiVersion));
      clientId = header.clientId;
      request = codec.decodeRequest(r, apiVersion);
    } catch (err) {
      if (err instanceof DecodeError) {
        if (apiKey === ApiKey.ApiVersions) return this.apiVersionsFallback(correlationId);
        return { kind: 'close', reason: `malformed ${codec.name} v${apiVersion} request: ${err.message}` };
      }
      throw err;
    }

    let closeReason: string | undefined;
    let closeAfter: string | undefined;
    let after: Array<() => void> | undefined;
    const quota = new RequestQuota(this.broker.quotas, apiKey, conn.principal, clientId, frame.length, this.broker.now);
    const ctx: RequestContext = {
      apiKey,
      apiVersion,
      correlationId,
      clientId,
      conn,
      broker: this.broker,
      quota,
      requestClose: (reason) => {
        closeReason = reason;
      },
      closeAfterResponse: (reason) => {
        closeAfter = reason;
      },
      afterResponse: (fn) => {
        (after ??= []).push(fn);
      },
    };
    const response: unknown = await (handler.handle as (req: unknown, ctx: RequestContext) => unknown)(request, ctx);
    const requestThrottle = quota.requestThrottleMs();
    const throttle = quota.throttleMs > 0 ? { throttleUntil: performance.now() + quota.throttleMs } : {};
    if (closeReason !== undefined || response === null) {
      if (after) for (const fn of after) fn();
      return closeReason !== undefined ? { kind: 'close', reason: closeReason } : { kind: 'none', ...throttle };
    }
    if (requestThrottle > 0) withThrottleTime(response, requestThrottle);

    const w = new Writer(256);
    encodeResponseHeader(w, { correlationId }, responseHeaderVersion(apiKey, apiVersion));
    codec.encodeResponse(w, response, apiVersion);
    const chunks = w.toChunks();
    const fns = after;
    return { kind: 'respond', chunks, ...(fns ? { written: () => fns.forEach((fn) => fn()) } : {}), ...(closeAfter !== undefined ? { closeAfter } : {}), ...throttle };
  };

  /** A token of the unframed exchange (after SaslHandshake v0): answered with the raw response token. */
  private async rawSaslToken(frame: Buffer, conn: ConnectionInfo): Promise<FrameResult> {
    const result = await evaluateSaslToken(conn, frame, this.broker);
    if (!result.ok) return { kind: 'close', reason: `SASL authentication failed: ${result.message}` };
    return { kind: 'respond', chunks: [result.response] };
  }

  private apiVersionsFallback(correlationId: number): FrameResult {
    const w = new Writer(256);
    encodeResponseHeader(w, { correlationId }, 0);
    encodeApiVersionsResponse(w, apiVersionsResponse(ErrorCode.UNSUPPORTED_VERSION, this.supportedVersions()), 0);
    this.log.debug({ correlationId }, 'ApiVersions request of an unsupported version: answered in v0');
    return { kind: 'respond', chunks: w.toChunks() };
  }
}

/** Raises a response's throttle_time_ms to `ms` (every response but a few old ones has the field). */
function withThrottleTime(response: unknown, ms: number): void {
  const r = response as { throttleTimeMs?: unknown };
  if (typeof r.throttleTimeMs === 'number' && r.throttleTimeMs < ms) r.throttleTimeMs = ms;
}

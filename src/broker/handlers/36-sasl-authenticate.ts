/**
 * SaslAuthenticate v0-v2: one token of the login the handshake started. A failed login is
 * answered with SASL_AUTHENTICATION_FAILED and its reason (after
 * connection.failed.authentication.delay.ms), then the connection closes. v1+ tells the client
 * how long the login lasts (connections.max.reauth.ms, KIP-368; 0: no limit).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { evaluateSaslToken } from '../security/sasl/evaluate.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 36,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const sasl = ctx.conn.sasl;
    const none = Buffer.alloc(0);
    if (!sasl || sasl.state !== 'authenticate') {
      const message = !sasl ? 'SaslAuthenticate on a listener without SASL' : sasl.state === 'authenticated' ? 'SaslAuthenticate request received after successful authentication' : 'SaslAuthenticate before SaslHandshake';
      if (sasl && sasl.state !== 'authenticated') ctx.closeAfterResponse(message);
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: message, authBytes: none, sessionLifetimeMs: 0n };
    }
    const r = await evaluateSaslToken(ctx.conn, req.authBytes, ctx.broker);
    if (!r.ok) {
      ctx.closeAfterResponse(`SASL authentication failed: ${r.message}`);
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: r.message, authBytes: none, sessionLifetimeMs: 0n };
    }
    const lifetime = r.done && sasl.expiresAt !== null ? BigInt(Math.max(0, sasl.expiresAt - ctx.broker.now())) : 0n;
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: r.response, sessionLifetimeMs: lifetime };
  },
});

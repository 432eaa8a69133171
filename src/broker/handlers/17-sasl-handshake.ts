/**
 * SaslHandshake v0-v1: picks the mechanism of the login on a SASL listener. v0 means the tokens
 * follow unframed (raw size-prefixed), v1 that they come in SaslAuthenticate requests. An
 * unsupported mechanism is answered with the enabled ones, then the connection closes, as in
 * Kafka. On a listener without SASL, or after a login that does not expire (no re-authentication), ILLEGAL_SASL_STATE.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 17,
  minVersion: 0,
  maxVersion: 1,
  handle(req, ctx) {
    const sasl = ctx.conn.sasl;
    if (!sasl) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    const mechanisms = [...sasl.config.mechanisms];
    if (sasl.state === 'authenticated' && sasl.expiresAt === null) {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    }
    if (sasl.state === 'authenticate' || sasl.state === 'raw') {
      ctx.closeAfterResponse('SaslHandshake during a SASL exchange');
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    }
    const problem = sasl.handshake(req.mechanism, ctx.apiVersion);
    if (problem !== null) {
      ctx.broker.log.info({ conn: ctx.conn.id, listener: ctx.conn.listenerName, mechanism: req.mechanism }, problem);
      ctx.closeAfterResponse(problem);
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    }
    return { errorCode: ErrorCode.NONE, mechanisms };
  },
});

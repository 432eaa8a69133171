import type { BrokerContext, ConnectionInfo } from '../../context.js';
import { AuthenticationError } from './mechanism.js';

export type TokenResult = { ok: true; response: Buffer; done: boolean } | { ok: false; message: string };

/**
 * Runs one client token through the connection's SASL exchange. A failed login is logged (user
 * name and reason, never the token) and answered only after connection.failed.authentication.delay.ms,
 * which slows down password guessing, as Kafka does.
 */
export async function evaluateSaslToken(conn: ConnectionInfo, token: Buffer, broker: BrokerContext): Promise<TokenResult> {
  const sasl = conn.sasl;
  if (!sasl) return { ok: false, message: 'not a SASL listener' };
  try {
    const r = sasl.evaluate(token, broker.now());
    if (r.done) broker.log.info({ conn: conn.id, listener: conn.listenerName, mechanism: sasl.mechanism, principal: conn.principal }, 'SASL authentication succeeded');
    return { ok: true, response: r.response, done: r.done };
  } catch (err) {
    if (!(err instanceof AuthenticationError)) throw err;
    broker.log.info({ conn: conn.id, remote: `${conn.remoteAddress}:${conn.remotePort}`, listener: conn.listenerName, mechanism: sasl.mechanism, reason: err.detail ?? err.message }, 'SASL authentication failed');
    const delay = sasl.config.failedAuthenticationDelayMs;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const message = err.generic ? `Authentication failed during authentication due to invalid credentials with SASL mechanism ${sasl.mechanism}` : err.message;
    return { ok: false, message };
  }
}

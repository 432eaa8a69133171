/**
 * SASL/OAUTHBEARER server (RFC 7628, Kafka's KIP-255): the client's first message carries a
 * bearer token (and optional KIP-342 extensions), which the listener's validator checks. A
 * refused token is answered with the JSON error (`{"status":"invalid_token"}`) as a challenge;
 * the client acknowledges with a single 0x01 and the login then fails with that JSON as the
 * message, as in Kafka. The login lasts until the token's `exp` (KIP-368 re-authentication).
 */
import { CONTROL_A, errorResponse, OAuthBearerFormatError, parseClientResponse } from '../../../protocol/sasl/oauthbearer.js';
import { TokenValidationError, type TokenValidator } from '../oauth/token.js';
import { AuthenticationError, type SaslResult, type SaslServer } from './mechanism.js';

export class OAuthBearerServer implements SaslServer {
  private pendingError: { json: string; reason: string } | null = null;
  private done = false;
  /** The extensions of the accepted login (every one is accepted, as Kafka's validators do). */
  extensions: ReadonlyMap<string, string> = new Map();

  constructor(private readonly validator: TokenValidator) {}

  evaluate(token: Buffer, now: number): SaslResult {
    if (this.done) throw new AuthenticationError('OAUTHBEARER exchange already complete');
    if (this.pendingError !== null && token.length === 1 && token[0] === CONTROL_A[0]) {
      const e = this.pendingError;
      this.done = true;
      throw new AuthenticationError(e.json, false, e.reason);
    }
    this.pendingError = null;
    let parsed;
    try {
      parsed = parseClientResponse(token);
    } catch (err) {
      if (err instanceof OAuthBearerFormatError) throw new AuthenticationError(err.message, true);
      throw err;
    }
    let t;
    try {
      t = this.validator.validate(parsed.token, now);
    } catch (err) {
      if (!(err instanceof TokenValidationError)) throw err;
      const json = errorResponse(err.status, err.scope);
      this.pendingError = { json, reason: err.message };
      return { response: Buffer.from(json, 'utf8'), done: false };
    }
    if (parsed.authorizationId !== '' && parsed.authorizationId !== t.principal) {
      throw new AuthenticationError(`Authentication failed: Client requested an authorization id (${parsed.authorizationId}) that is different from the token's principal name (${t.principal})`);
    }
    this.done = true;
    this.extensions = parsed.extensions;
    return { response: Buffer.alloc(0), done: true, user: t.principal, expiresAtMs: t.expiresAtMs };
  }
}

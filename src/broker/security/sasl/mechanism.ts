/** What one token of a login gives: the response, and once done the user (and when the credential expires). */
export interface SaslResult {
  response: Buffer;
  done: boolean;
  user?: string;
  /** When the credential expires (OAUTHBEARER: the token's exp), ms since the epoch. */
  expiresAtMs?: number;
}

/** One SASL mechanism's server side for one login. */
export interface SaslServer {
  /** The response to the client's next token; `done` with the authenticated user once complete. Throws AuthenticationError. */
  evaluate(token: Buffer, now: number): SaslResult;
}

/**
 * A login that failed: the message goes to the log, never a secret. The client gets it too,
 * unless `generic`: then, as Kafka answers a SaslException of the mechanism, only "Authentication
 * failed during authentication due to invalid credentials with SASL mechanism <m>". `detail`, when
 * given, is what the log says instead of the message.
 */
export class AuthenticationError extends Error {
  constructor(
    message: string,
    readonly generic = false,
    readonly detail?: string,
  ) {
    super(message);
  }
}
/** A token that breaks the mechanism's syntax (SASL_AUTHENTICATION_FAILED for the client too). */
export class IllegalSaslStateError extends AuthenticationError {}

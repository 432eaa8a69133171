/** One SASL mechanism's server side for one login. */
export interface SaslServer {
  /** The response to the client's next token; `done` with the authenticated user once complete. Throws AuthenticationError. */
  evaluate(token: Buffer): { response: Buffer; done: boolean; user?: string };
}

/** A login that failed: the message goes to the client and the log, never a secret. */
export class AuthenticationError extends Error {}
/** A token that breaks the mechanism's syntax (SASL_AUTHENTICATION_FAILED for the client too). */
export class IllegalSaslStateError extends AuthenticationError {}

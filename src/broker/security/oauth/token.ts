/**
 * What a broker knows of a validated OAuth bearer token, and how a token is refused. The two
 * validators (unsecured.ts for development, jwt.ts for signed tokens against a JWKS) share this.
 */
import type { JsonObject, JsonValue } from '../../../protocol/jose/jws.js';

export interface OAuthToken {
  /** The principal's name (the `sub` claim or the configured one). */
  principal: string;
  /** When the token expires, ms since the epoch (the `exp` claim). */
  expiresAtMs: number;
  /** The `iat` claim in ms, when present. */
  issuedAtMs: number | null;
  scope: ReadonlySet<string>;
}

/**
 * A refused token. `status` and `scope` go to the client in the RFC 7628 JSON error
 * (`invalid_token`, or `insufficient_scope` with the required scope); the message is for the log.
 */
export class TokenValidationError extends Error {
  constructor(
    message: string,
    readonly status: 'invalid_token' | 'insufficient_scope' = 'invalid_token',
    readonly scope?: string,
  ) {
    super(message);
  }
}

export interface TokenValidator {
  /** Throws TokenValidationError. `now` in ms since the epoch. */
  validate(token: string, now: number): OAuthToken;
  /** Stops background work (a JWKS refresh timer). */
  close(): void;
}

export function claim(claims: JsonObject, name: string): JsonValue | undefined {
  return Object.prototype.hasOwnProperty.call(claims, name) ? claims[name] : undefined;
}

/**
 * A NumericDate claim (seconds since the epoch, fractions allowed) in ms, not rounded (comparisons
 * use it as Kafka does: `1000 * value`); undefined when absent.
 */
export function numericDateMs(claims: JsonObject, name: string): number | undefined {
  const v = claim(claims, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TokenValidationError(`The '${name}' claim was not of type Number`);
  return v * 1000;
}

/**
 * The scope claim as Kafka reads it: a string is one scope element (not split on spaces), a list
 * gives its non-blank elements, trimmed; anything else or nothing is no scope.
 */
export function scopeOf(claims: JsonObject, name: string): Set<string> {
  const v = claim(claims, name);
  if (typeof v === 'string') return v.trim() === '' ? new Set() : new Set([v.trim()]);
  if (Array.isArray(v)) {
    const out = new Set<string>();
    for (const e of v) {
      if (typeof e !== 'string') throw new TokenValidationError(`The '${name}' claim has an element that is not a string`);
      if (e.trim() !== '') out.add(e.trim());
    }
    return out;
  }
  if (v === undefined || v === null) return new Set();
  throw new TokenValidationError(`The '${name}' claim was not of type String or List`);
}

/**
 * Signed JWT validation against a JWKS, as Kafka's OAuthBearerValidatorCallbackHandler (its
 * BrokerJwtValidator, built on jose4j) does it:
 * - the JWS algorithm is one the key set can verify (never `none`, never HS*), the key is found
 *   by `kid` (or, without one, any key of the algorithm's type), and the signature verifies;
 * - `exp` and `iat` are required, `exp` not before `iat`; `exp` and `nbf` are checked with
 *   `sasl.oauthbearer.clock.skew.seconds` of leeway (an `iat` in the future is accepted, as jose4j does);
 * - `sasl.oauthbearer.expected.audience` (a list): `aud` must name one of them. Without it a
 *   token that carries an `aud` is refused, as jose4j's default does;
 * - `sasl.oauthbearer.expected.issuer`: `iss` must equal it;
 * - the principal is `sasl.oauthbearer.sub.claim.name` (default sub), a non-blank string,
 *   trimmed; the scope is `sasl.oauthbearer.scope.claim.name` (default scope), without duplicates.
 */
import { JwsFormatError, parseCompactJws, type JsonObject } from '../../../protocol/jose/jws.js';
import { candidateKeys, JWS_ALGORITHMS, verifySignature } from '../../../protocol/jose/jwk.js';
import type { JwksSource } from './jwks-source.js';
import { claim, numericDateMs, TokenValidationError, type OAuthToken, type TokenValidator } from './token.js';

export interface JwtValidatorOptions {
  expectedAudience: readonly string[];
  expectedIssuer: string | null;
  subClaimName: string;
  scopeClaimName: string;
  clockSkewSeconds: number;
}

const fail = (why: string): never => {
  throw new TokenValidationError(`Could not validate the access token: ${why}`);
};

export class JwtValidator implements TokenValidator {
  constructor(
    private readonly o: JwtValidatorOptions,
    private readonly jwks: JwksSource,
  ) {}

  validate(token: string, now: number): OAuthToken {
    let jws;
    try {
      jws = parseCompactJws(token);
    } catch (err) {
      if (err instanceof JwsFormatError) return fail(err.message);
      throw err;
    }
    const alg = claim(jws.header, 'alg');
    if (typeof alg !== 'string') return fail('the JWS header has no "alg"');
    if (!JWS_ALGORITHMS.has(alg)) return fail(`the JWS algorithm ${JSON.stringify(alg)} is not allowed (${[...JWS_ALGORITHMS.keys()].join(', ')})`);
    const crit = claim(jws.header, 'crit');
    if (crit !== undefined) return fail('the JWS header names critical extensions ("crit") that are not understood');
    const kidValue = claim(jws.header, 'kid');
    const kid = typeof kidValue === 'string' ? kidValue : null;
    const keys = candidateKeys(this.jwks.keys(), alg, kid);
    if (keys.length === 0) {
      if (kid !== null) this.jwks.unknownKid(kid);
      return fail(`Unable to find a suitable verification key for the JWS header (alg ${alg}, kid ${kid === null ? 'none' : JSON.stringify(kid.slice(0, 100))}) in the JWKS from ${this.jwks.location}`);
    }
    if (!keys.some((k) => verifySignature(alg, k.key, jws.signingInput, jws.signature))) return fail('JWS signature is invalid');
    return this.checkClaims(jws.claims, now);
  }

  private checkClaims(claims: JsonObject, now: number): OAuthToken {
    const skew = this.o.clockSkewSeconds * 1000;
    const num = (name: string): number | undefined => {
      try {
        return numericDateMs(claims, name);
      } catch (err) {
        return fail((err as Error).message);
      }
    };
    const exp = num('exp');
    if (exp === undefined) return fail('No Expiration Time (exp) claim present');
    const iat = num('iat');
    if (iat === undefined) return fail('No Issued At (iat) claim present');
    const nbf = num('nbf');
    if (now - skew >= exp) return fail(`The JWT is no longer valid - the evaluation time ${now} ms is on or after the Expiration Time (exp=${exp} ms) with ${this.o.clockSkewSeconds} s of allowed clock skew`);
    if (nbf !== undefined && now + skew < nbf) return fail(`The JWT is not yet valid as the evaluation time ${now} ms is before the Not Before (nbf=${nbf} ms) with ${this.o.clockSkewSeconds} s of allowed clock skew`);
    if (exp < iat) return fail(`The Expiration Time (exp=${exp} ms) claim value cannot be before the Issued At (iat=${iat} ms) claim value`);
    if (exp < 0) return fail('exp value must be non-negative');
    if (iat < 0) return fail('iat value must be null or non-negative');

    const aud = claim(claims, 'aud');
    const audiences = aud === undefined || aud === null ? null : typeof aud === 'string' ? [aud] : Array.isArray(aud) && aud.every((a) => typeof a === 'string') ? (aud as string[]) : fail('the Audience (aud) claim is not a string or a list of strings');
    if (this.o.expectedAudience.length > 0) {
      if (audiences === null) return fail('No Audience (aud) claim present');
      if (!audiences.some((a) => this.o.expectedAudience.includes(a))) return fail(`Audience (aud) claim ${JSON.stringify(audiences)} doesn't contain an acceptable identifier (expected ${JSON.stringify(this.o.expectedAudience)})`);
    } else if (audiences !== null && audiences.length > 0) {
      return fail(`Audience (aud) claim ${JSON.stringify(audiences)} present but no expected audience is configured (sasl.oauthbearer.expected.audience)`);
    }
    if (this.o.expectedIssuer !== null) {
      const iss = claim(claims, 'iss');
      if (iss === undefined || iss === null) return fail('No Issuer (iss) claim present');
      if (iss !== this.o.expectedIssuer) return fail(`Issuer (iss) claim value (${JSON.stringify(iss)}) doesn't match expected value of ${this.o.expectedIssuer}`);
    }

    const sub = claim(claims, this.o.subClaimName);
    if (sub === undefined || sub === null) return fail(`${this.o.subClaimName} value must be non-null`);
    if (typeof sub !== 'string') return fail(`Could not extract the '${this.o.subClaimName}' claim from the access token`);
    if (sub.trim() === '') return fail(`${this.o.subClaimName} value must not be empty or only whitespace`);

    const rawScope = claim(claims, this.o.scopeClaimName);
    const scopeList = typeof rawScope === 'string' ? [rawScope] : Array.isArray(rawScope) ? rawScope : [];
    const scope = new Set<string>();
    for (const s of scopeList) {
      if (typeof s !== 'string' || s.trim() === '') return fail(`${this.o.scopeClaimName} value must be non-empty strings`);
      if (scope.has(s.trim())) return fail(`${this.o.scopeClaimName} value must not contain duplicates - ${s.trim()} already present`);
      scope.add(s.trim());
    }
    return { principal: sub.trim(), expiresAtMs: Math.round(exp), issuedAtMs: Math.round(iat), scope };
  }

  close(): void {
    this.jwks.close();
  }
}

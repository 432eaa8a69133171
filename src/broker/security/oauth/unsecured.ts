/**
 * Kafka's default OAUTHBEARER validator (OAuthBearerUnsecuredValidatorCallbackHandler), for
 * development only: the token is an unsecured JWS (`alg` "none", empty signature) whose claims
 * are taken as they are. Options come from the listener's
 * `listener.name.<l>.oauthbearer.sasl.jaas.config`:
 *   unsecuredValidatorPrincipalClaimName   the principal's claim (default sub)
 *   unsecuredValidatorScopeClaimName       the scope claim (default scope)
 *   unsecuredValidatorRequiredScope        space-separated scope every token must have
 *   unsecuredValidatorAllowableClockSkewMs clock skew allowed for iat and exp (default 0)
 */
import { JwsFormatError, parseCompactJws } from '../../../protocol/jose/jws.js';
import { claim, numericDateMs, scopeOf, TokenValidationError, type OAuthToken, type TokenValidator } from './token.js';

const SCOPE_ITEM = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export interface UnsecuredValidatorOptions {
  principalClaimName: string;
  scopeClaimName: string;
  requiredScope: readonly string[];
  allowableClockSkewMs: number;
}

/** The options from the JAAS login module's options; throws Error on a bad value. */
export function unsecuredValidatorOptions(options: ReadonlyMap<string, string>): UnsecuredValidatorOptions {
  const opt = (k: string): string => (options.get(k) ?? '').trim();
  const skewText = opt('unsecuredValidatorAllowableClockSkewMs');
  const skew = skewText === '' ? 0 : Number(skewText);
  if (!Number.isInteger(skew) || skew < 0 || skew > 2 ** 31 - 1) throw new Error(`unsecuredValidatorAllowableClockSkewMs must be a non-negative integer: ${skewText}`);
  const requiredScope = opt('unsecuredValidatorRequiredScope')
    .split(' ')
    .filter((s) => s !== '');
  for (const s of requiredScope) if (!SCOPE_ITEM.test(s)) throw new Error(`Invalid scope value: ${s}`);
  return {
    principalClaimName: opt('unsecuredValidatorPrincipalClaimName') || 'sub',
    scopeClaimName: opt('unsecuredValidatorScopeClaimName') || 'scope',
    requiredScope,
    allowableClockSkewMs: skew,
  };
}

export class UnsecuredValidator implements TokenValidator {
  constructor(private readonly o: UnsecuredValidatorOptions) {}

  validate(token: string, now: number): OAuthToken {
    if (token.includes('..')) throw new TokenValidationError("Malformed compact serialization contains '..'");
    let jws;
    try {
      jws = parseCompactJws(token);
    } catch (err) {
      if (err instanceof JwsFormatError) throw new TokenValidationError(err.message);
      throw err;
    }
    const alg = claim(jws.header, 'alg');
    if (alg === undefined || alg === null) throw new TokenValidationError('JWS header must have an Algorithm value');
    if (alg !== 'none') throw new TokenValidationError("Unsecured JWS must have 'none' for an algorithm");
    if (jws.signature.length > 0) throw new TokenValidationError('Unsecured JWS must not contain a digital signature');
    const claims = jws.claims;
    const scope = scopeOf(claims, this.o.scopeClaimName);
    const exp = numericDateMs(claims, 'exp');
    if (exp === undefined) throw new TokenValidationError('No expiration time in JWT');
    const principal = claim(claims, this.o.principalClaimName);
    if (principal === undefined || principal === null) throw new TokenValidationError(`Required claim missing: ${this.o.principalClaimName}`);
    if (typeof principal !== 'string') throw new TokenValidationError(`The ${this.o.principalClaimName} claim had the incorrect type`);
    if (principal.trim() === '') throw new TokenValidationError(`No principal name in JWT claim: ${this.o.principalClaimName}`);
    const iat = numericDateMs(claims, 'iat');
    const skew = this.o.allowableClockSkewMs;
    if (iat !== undefined && iat > now + skew) throw new TokenValidationError(`The Issued At value (${iat} ms) was after the indicated time (${now} ms) plus allowable clock skew (${skew} ms)`);
    if (now - skew >= exp) throw new TokenValidationError(`The indicated time (${now} ms) minus allowable clock skew (${skew} ms) was on or after the Expiration Time value (${exp} ms)`);
    if (iat !== undefined && exp <= iat) throw new TokenValidationError(`The Expiration Time (${exp} ms) was not after the Issued At time (${iat} ms)`);
    for (const required of this.o.requiredScope) {
      if (!scope.has(required)) {
        throw new TokenValidationError(`The provided scope (${[...scope].join(' ')}) was missing a required scope (${required})`, 'insufficient_scope', `[${this.o.requiredScope.join(', ')}]`);
      }
    }
    return { principal, expiresAtMs: Math.round(exp), issuedAtMs: iat === undefined ? null : Math.round(iat), scope };
  }

  close(): void {}
}

/**
 * The client side of SASL/OAUTHBEARER (RFC 7628, Kafka's KIP-255): the token comes from a
 * provider callback, called for every login, so it can hand out a fresh token from the identity
 * provider. `unsecuredToken` makes the unsigned development tokens that Kafka's default broker
 * validator accepts, as Kafka's unsecured login module (`unsecuredLoginStringClaim_sub="alice"`)
 * does.
 */
import { CONTROL_A, encodeClientResponse } from '../protocol/sasl/oauthbearer.js';
import { encodeUnsignedJws, type JsonObject } from '../protocol/jose/jws.js';

export interface OAuthBearerToken {
  /** The compact JWT (or any bearer token the broker's validator understands). */
  value: string;
  /** When it expires (ms since the epoch), when known. */
  expiresAtMs?: number;
}

export interface OAuthBearerOptions {
  mechanism: 'OAUTHBEARER';
  /** Called for each login: a token (or its compact string). */
  token: () => Promise<OAuthBearerToken | string> | OAuthBearerToken | string;
  /** SASL extensions (KIP-342): names of letters only, `auth` reserved. */
  extensions?: Readonly<Record<string, string>>;
}

/** One login's client: the initial response, then 0x01 to acknowledge a server error. */
export class OAuthBearerClient {
  constructor(private readonly initial: Buffer) {}

  static async create(o: OAuthBearerOptions): Promise<OAuthBearerClient> {
    const t = await o.token();
    const value = typeof t === 'string' ? t : t.value;
    return new OAuthBearerClient(encodeClientResponse(value, new Map(Object.entries(o.extensions ?? {}))));
  }

  first(): Buffer {
    return this.initial;
  }

  /** An empty answer ends the login; a JSON error is acknowledged (the broker then fails the login with it). */
  next(serverToken: Buffer): Buffer | null {
    return serverToken.length === 0 ? null : CONTROL_A;
  }
}

export interface UnsecuredTokenOptions {
  /** The principal (the claim named by principalClaimName, default `sub`). */
  principal: string;
  principalClaimName?: string;
  /** Lifetime in seconds (default 3600). */
  lifetimeSeconds?: number;
  /** Scope, written to the `scope` claim (or scopeClaimName) as a list. */
  scope?: readonly string[];
  scopeClaimName?: string;
  /** Other claims (`iat` and `exp` are set here). */
  claims?: Readonly<Record<string, string | number | readonly string[]>>;
  now?: number;
}

/** An unsecured JWS (`alg` none) for development brokers; never for production. */
export function unsecuredToken(o: UnsecuredTokenOptions): OAuthBearerToken {
  const now = o.now ?? Date.now();
  const lifetime = o.lifetimeSeconds ?? 3600;
  const claims: JsonObject = {};
  for (const [k, v] of Object.entries(o.claims ?? {})) {
    if (k === 'iat' || k === 'exp') throw new Error(`Cannot explicitly set the '${k}' claim`);
    claims[k] = typeof v === 'string' || typeof v === 'number' ? v : [...v];
  }
  claims.iat = now / 1000;
  claims.exp = now / 1000 + lifetime;
  claims[o.principalClaimName ?? 'sub'] = o.principal;
  if (o.scope) claims[o.scopeClaimName ?? 'scope'] = [...o.scope];
  return { value: encodeUnsignedJws({ alg: 'none' }, claims), expiresAtMs: Math.round(now + lifetime * 1000) };
}

/**
 * Kafka's unsecured login module options (OAuthBearerLoginModule in a JAAS line) as a token
 * provider and extensions: unsecuredLoginStringClaim_<name>, unsecuredLoginNumberClaim_<name>,
 * unsecuredLoginListClaim_<name> (the first character is the separator), unsecuredLoginLifetimeSeconds,
 * unsecuredLoginPrincipalClaimName, unsecuredLoginScopeClaimName, unsecuredLoginExtension_<name>.
 */
export function unsecuredLoginFromJaas(options: ReadonlyMap<string, string>): { token: () => OAuthBearerToken; extensions: Record<string, string> } {
  const claims: Record<string, string | number | string[]> = {};
  const extensions: Record<string, string> = {};
  for (const [k, v] of options) {
    let m;
    if ((m = /^unsecuredLoginStringClaim_(.+)$/.exec(k))) claims[m[1]!] = v;
    else if ((m = /^unsecuredLoginNumberClaim_(.+)$/.exec(k))) {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new Error(`${k}: ${v} is not a number`);
      claims[m[1]!] = n;
    } else if ((m = /^unsecuredLoginListClaim_(.+)$/.exec(k))) claims[m[1]!] = v.length <= 1 ? [] : v.slice(1).split(v[0]!);
    else if ((m = /^unsecuredLoginExtension_(.+)$/.exec(k))) extensions[m[1]!] = v;
  }
  const principalClaimName = (options.get('unsecuredLoginPrincipalClaimName') ?? '').trim() || 'sub';
  const scopeClaimName = (options.get('unsecuredLoginScopeClaimName') ?? '').trim() || 'scope';
  const lifetimeText = options.get('unsecuredLoginLifetimeSeconds') ?? '3600';
  const lifetimeSeconds = Number(lifetimeText);
  if (!Number.isInteger(lifetimeSeconds)) throw new Error(`unsecuredLoginLifetimeSeconds: ${lifetimeText} is not an integer`);
  const principal = claims[principalClaimName];
  if (typeof principal !== 'string' || principal.trim() === '') throw new Error(`the unsecured login options give no principal (unsecuredLoginStringClaim_${principalClaimName})`);
  for (const k of ['iat', 'exp']) if (k in claims) throw new Error(`Cannot explicitly set the '${k}' claim`);
  const rest = { ...claims };
  delete rest[principalClaimName];
  return { token: () => unsecuredToken({ principal, principalClaimName, scopeClaimName, lifetimeSeconds, claims: rest }), extensions };
}

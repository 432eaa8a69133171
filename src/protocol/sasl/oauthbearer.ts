/**
 * The OAUTHBEARER client response (RFC 7628 section 3.1, as Kafka's KIP-255 uses it):
 *   gs2-header  `n,` [`a=` authzid] `,`
 *   then        ^A `auth=Bearer <token>` ^A [key=value ^A ...] ^A
 * where ^A is 0x01. Kafka's SASL extensions (KIP-342) are the extra key=value pairs; `auth` is
 * reserved. A server that refuses the token answers a JSON error, and the client then sends a
 * single ^A to end the exchange (RFC 7628 section 3.2.3).
 */
export const SEPARATOR = '\u0001';
/** The client's answer to the server's error message. */
export const CONTROL_A = Buffer.from([1]);

const KEY = /^[A-Za-z]+$/;
const VALUE = /^[\x21-\x7e \t\r\n]+$/;
const SASLNAME = /^(?:[\x01-\x2b\x2d-\x3c\x3e-\x7f]|=2C|=3D)+$/;
const AUTH = /^(\w+) +([-_~+/.a-zA-Z0-9]+=*)$/;

export class OAuthBearerFormatError extends Error {}

export interface OAuthBearerClientResponse {
  token: string;
  authorizationId: string;
  extensions: Map<string, string>;
}

/** Checks extension names and values as Kafka does: an error message, or null. */
export function extensionProblem(extensions: ReadonlyMap<string, string>): string | null {
  for (const [k, v] of extensions) {
    if (k === 'auth') return 'Extension name auth is invalid';
    if (!KEY.test(k)) return `Extension name ${k} is invalid`;
    if (!VALUE.test(v)) return `Extension value (${v}) for extension ${k} is invalid`;
  }
  return null;
}

export function encodeClientResponse(token: string, extensions: ReadonlyMap<string, string> = new Map(), authorizationId = ''): Buffer {
  const problem = extensionProblem(extensions);
  if (problem !== null) throw new OAuthBearerFormatError(problem);
  if (!AUTH.test(`Bearer ${token}`)) throw new OAuthBearerFormatError('OAUTHBEARER: the token has characters a bearer token cannot have');
  if (authorizationId !== '' && !SASLNAME.test(authorizationId)) throw new OAuthBearerFormatError('OAUTHBEARER: invalid authorization id');
  let kv = `auth=Bearer ${token}${SEPARATOR}`;
  for (const [k, v] of extensions) kv += `${k}=${v}${SEPARATOR}`;
  return Buffer.from(`n,${authorizationId === '' ? '' : `a=${authorizationId}`},${SEPARATOR}${kv}${SEPARATOR}`, 'utf8');
}

/** Parses a client's first message; throws OAuthBearerFormatError. */
export function parseClientResponse(bytes: Buffer): OAuthBearerClientResponse {
  const msg = bytes.toString('utf8');
  const invalid = 'Invalid OAUTHBEARER client first message';
  const m = /^n,(?:a=([^,]*))?,\u0001([\s\S]*)\u0001$/.exec(msg);
  if (!m) throw new OAuthBearerFormatError(invalid);
  const authorizationId = m[1] ?? '';
  if (m[1] !== undefined && !SASLNAME.test(authorizationId)) throw new OAuthBearerFormatError(invalid);
  const body = m[2]!;
  const pairs = new Map<string, string>();
  if (body !== '') {
    if (!body.endsWith(SEPARATOR)) throw new OAuthBearerFormatError(invalid);
    for (const part of body.slice(0, -1).split(SEPARATOR)) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new OAuthBearerFormatError(invalid);
      const k = part.slice(0, eq);
      const v = part.slice(eq + 1);
      if (!KEY.test(k) || !VALUE.test(v)) throw new OAuthBearerFormatError(invalid);
      pairs.set(k, v);
    }
  }
  const auth = pairs.get('auth');
  if (auth === undefined) throw new OAuthBearerFormatError(`${invalid}: 'auth' not specified`);
  pairs.delete('auth');
  const problem = extensionProblem(pairs);
  if (problem !== null) throw new OAuthBearerFormatError(problem);
  const a = AUTH.exec(auth);
  if (!a) throw new OAuthBearerFormatError(`${invalid}: invalid 'auth' format`);
  if (a[1]!.toLowerCase() !== 'bearer') throw new OAuthBearerFormatError(`Invalid scheme in OAUTHBEARER client first message: ${a[1]}`);
  return { token: a[2]!, authorizationId, extensions: pairs };
}

/** Kafka's JSON error for a refused token (RFC 7628 section 3.2.2). */
export function errorResponse(status: string, scope?: string, openidConfiguration?: string): string {
  const o: Record<string, string> = { status };
  if (scope !== undefined) o.scope = scope;
  if (openidConfiguration !== undefined) o['openid-configuration'] = openidConfiguration;
  return JSON.stringify(o);
}

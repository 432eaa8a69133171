/**
 * JWS compact serialization (RFC 7515 section 7.1) as JWTs use it (RFC 7519):
 * `base64url(header) . base64url(claims) . base64url(signature)`, each part unpadded base64url.
 * The header and the claims must be JSON objects. Nothing here verifies a signature.
 */
export class JwsFormatError extends Error {}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
export type JsonObject = { [k: string]: JsonValue };

export interface CompactJws {
  header: JsonObject;
  claims: JsonObject;
  /** The bytes the signature covers: the first two parts with their dot, as ASCII. */
  signingInput: Buffer;
  signature: Buffer;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/** Strict unpadded base64url; a length of 1 mod 4 cannot encode whole bytes. */
export function decodeBase64Url(part: string, what: string): Buffer {
  if (!B64URL.test(part) || part.length % 4 === 1) throw new JwsFormatError(`malformed Base64 URL encoded value (${what})`);
  return Buffer.from(part, 'base64url');
}

function jsonObject(part: string, what: string): JsonObject {
  const text = decodeBase64Url(part, what).toString('utf8');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new JwsFormatError(`malformed JSON (${what})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new JwsFormatError(`the ${what} is not a JSON object`);
  return v as JsonObject;
}

export function parseCompactJws(token: string): CompactJws {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwsFormatError('a JWS compact serialization has 3 dot-separated Base64URL-encoded values');
  const [h, c, s] = parts as [string, string, string];
  if (h === '' || c === '') throw new JwsFormatError('Malformed compact serialization contains an empty header or payload');
  return {
    header: jsonObject(h, 'header'),
    claims: jsonObject(c, 'claims'),
    signingInput: Buffer.from(`${h}.${c}`, 'ascii'),
    signature: decodeBase64Url(s, 'signature'),
  };
}

export function encodeUnsignedJws(header: JsonObject, claims: JsonObject): string {
  const enc = (o: JsonObject): string => Buffer.from(JSON.stringify(o), 'utf8').toString('base64url');
  return `${enc(header)}.${enc(claims)}.`;
}

// Signed JWTs for tests: key pairs from node:crypto, their public JWKs, and compact JWS signing.
import { generateKeyPairSync, sign, constants, type KeyObject } from 'node:crypto';

export interface TestKey {
  kid: string;
  alg: string;
  privateKey: KeyObject;
  /** The public JWK (with kid, alg, use). */
  jwk: Record<string, unknown>;
}

export function testKey(alg: 'RS256' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA', kid: string): TestKey {
  const pair =
    alg === 'RS256' || alg === 'PS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : alg === 'ES384'
          ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
          : generateKeyPairSync('ed25519');
  return { kid, alg, privateKey: pair.privateKey, jwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } };
}

export function jwks(...keys: TestKey[]): string {
  return JSON.stringify({ keys: keys.map((k) => k.jwk) });
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

/** A compact JWS of `claims` signed with `key` (header alg/kid from the key unless overridden). */
export function signJwt(key: TestKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const h = { alg: key.alg, typ: 'JWT', kid: key.kid, ...header };
  const input = `${b64(h)}.${b64(claims)}`;
  const alg = String(h.alg);
  let sig: Buffer;
  if (alg === 'ES256' || alg === 'ES384') sig = sign(alg === 'ES256' ? 'sha256' : 'sha384', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  else if (alg === 'PS256') sig = sign('sha256', Buffer.from(input), { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
  else if (alg === 'EdDSA') sig = sign(null, Buffer.from(input), key.privateKey);
  else sig = sign('sha256', Buffer.from(input), key.privateKey);
  return `${input}.${sig.toString('base64url')}`;
}

/** Standard claims valid at `nowMs` for an hour. */
export function claimsFor(sub: string, nowMs: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { sub, iat: Math.floor(nowMs / 1000), exp: Math.floor(nowMs / 1000) + 3600, iss: 'https://issuer.test', aud: 'kafka', ...extra };
}

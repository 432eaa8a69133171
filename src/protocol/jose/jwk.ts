/**
 * JSON Web Keys (RFC 7517) for verifying JWS signatures (RFC 7518) with node:crypto, which
 * imports public JWKs natively. Supported: RS256/384/512, PS256/384/512, ES256/384/512 and
 * EdDSA (Ed25519/Ed448). Symmetric (HS*) and `none` are not: a broker checks tokens against an
 * identity provider's public keys.
 */
import { createPublicKey, verify as cryptoVerify, constants, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { JsonObject } from './jws.js';

export interface Jwk {
  kid: string | null;
  kty: string;
  alg: string | null;
  use: string | null;
  crv: string | null;
  key: KeyObject;
}

interface AlgSpec {
  kty: string;
  hash: string | null;
  pss?: boolean;
  /** ECDSA: the curve and the size of the raw r||s signature. */
  crv?: string;
  sigLength?: number;
}

export const JWS_ALGORITHMS: ReadonlyMap<string, AlgSpec> = new Map([
  ['RS256', { kty: 'RSA', hash: 'sha256' }],
  ['RS384', { kty: 'RSA', hash: 'sha384' }],
  ['RS512', { kty: 'RSA', hash: 'sha512' }],
  ['PS256', { kty: 'RSA', hash: 'sha256', pss: true }],
  ['PS384', { kty: 'RSA', hash: 'sha384', pss: true }],
  ['PS512', { kty: 'RSA', hash: 'sha512', pss: true }],
  ['ES256', { kty: 'EC', hash: 'sha256', crv: 'P-256', sigLength: 64 }],
  ['ES384', { kty: 'EC', hash: 'sha384', crv: 'P-384', sigLength: 96 }],
  ['ES512', { kty: 'EC', hash: 'sha512', crv: 'P-521', sigLength: 132 }],
  ['EdDSA', { kty: 'OKP', hash: null }],
]);

const str = (o: JsonObject, k: string): string | null => (typeof o[k] === 'string' ? (o[k] as string) : null);

/**
 * The usable public keys of a JWK Set document. Keys that cannot be imported (unknown kty,
 * private or symmetric keys, broken numbers) are left out and named in `skipped`.
 */
export function parseJwks(text: string): { keys: Jwk[]; skipped: string[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`JWKS is not valid JSON: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || !Array.isArray((doc as { keys?: unknown }).keys)) throw new Error('JWKS has no "keys" array');
  const keys: Jwk[] = [];
  const skipped: string[] = [];
  for (const raw of (doc as { keys: unknown[] }).keys) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      skipped.push('(not an object)');
      continue;
    }
    const o = raw as JsonObject;
    const kid = str(o, 'kid');
    const kty = str(o, 'kty');
    const name = kid ?? `(no kid, kty ${kty ?? '?'})`;
    if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') {
      skipped.push(name);
      continue;
    }
    if ('d' in o) {
      // A private key has no place in a verification key set; use only its public part.
      delete (o as Record<string, unknown>).d;
    }
    const members = kty === 'RSA' ? ['n', 'e'] : kty === 'EC' ? ['x', 'y'] : ['x'];
    if (!members.every((m) => typeof o[m] === 'string' && /^[A-Za-z0-9_-]+$/.test(o[m] as string))) {
      skipped.push(name);
      continue;
    }
    try {
      const key = createPublicKey({ key: o as JsonWebKey, format: 'jwk' });
      keys.push({ kid, kty, alg: str(o, 'alg'), use: str(o, 'use'), crv: str(o, 'crv'), key });
    } catch {
      skipped.push(name);
    }
  }
  return { keys, skipped };
}

/** The keys that may have made a signature with `alg` and `kid` (the JWS header's). */
export function candidateKeys(keys: readonly Jwk[], alg: string, kid: string | null): Jwk[] {
  const spec = JWS_ALGORITHMS.get(alg);
  if (!spec) return [];
  return keys.filter(
    (k) =>
      (kid === null || k.kid === kid) &&
      k.kty === spec.kty &&
      (k.use === null || k.use === 'sig') &&
      (k.alg === null || k.alg === alg) &&
      (spec.crv === undefined || k.crv === spec.crv) &&
      (spec.kty !== 'OKP' || k.crv === 'Ed25519' || k.crv === 'Ed448'),
  );
}

/** Verifies a JWS signature over `input` with `key` under `alg`. */
export function verifySignature(alg: string, key: KeyObject, input: Buffer, signature: Buffer): boolean {
  const spec = JWS_ALGORITHMS.get(alg);
  if (!spec) return false;
  if (spec.sigLength !== undefined && signature.length !== spec.sigLength) return false;
  try {
    if (spec.kty === 'EC') return cryptoVerify(spec.hash, input, { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (spec.pss) return cryptoVerify(spec.hash, input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
    return cryptoVerify(spec.hash, input, key, signature);
  } catch {
    return false;
  }
}

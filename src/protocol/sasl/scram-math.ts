/**
 * SCRAM arithmetic (RFC 5802 section 3) for SHA-256 and SHA-512 (RFC 7677): SaltedPassword by
 * PBKDF2, ClientKey, StoredKey, ServerKey, and the signatures over the AuthMessage.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];
/** Kafka's ScramMechanism: 4096 iterations at least (RFC 7677 recommends that), 16384 at most. */
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 16384;

export function hashName(m: ScramMechanism): 'sha256' | 'sha512' {
  return m === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
}
export function hashLength(m: ScramMechanism): number {
  return m === 'SCRAM-SHA-256' ? 32 : 64;
}

/** What the broker keeps of a SCRAM password: never the password itself. */
export interface ScramCredential {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
  iterations: number;
}

export function hmac(m: ScramMechanism, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(hashName(m), key).update(data).digest();
}
export function hash(m: ScramMechanism, data: Buffer): Buffer {
  return createHash(hashName(m)).update(data).digest();
}
export function saltedPassword(m: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations, hashLength(m), hashName(m));
}
export function clientKey(m: ScramMechanism, salted: Buffer): Buffer {
  return hmac(m, salted, 'Client Key');
}
export function serverKey(m: ScramMechanism, salted: Buffer): Buffer {
  return hmac(m, salted, 'Server Key');
}

/** The credential of a salted password (AlterUserScramCredentials sends salt and salted password). */
export function credentialFromSalted(m: ScramMechanism, salt: Buffer, salted: Buffer, iterations: number): ScramCredential {
  return { salt, storedKey: hash(m, clientKey(m, salted)), serverKey: serverKey(m, salted), iterations };
}

export function newCredential(m: ScramMechanism, password: string, iterations: number, salt: Buffer = randomBytes(32)): ScramCredential {
  return credentialFromSalted(m, salt, saltedPassword(m, password, salt, iterations), iterations);
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A saslname with an '=' that is not =2C or =3D. */
export class SaslNameError extends Error {}

/** RFC 5802 saslname: `=2C` is ',' and `=3D` is '='; any other '=' is invalid. */
export function decodeSaslName(s: string): string {
  if (/=(?!2C|3D)/.test(s)) throw new SaslNameError('Invalid username encoding');
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}
export function encodeSaslName(s: string): string {
  return s.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

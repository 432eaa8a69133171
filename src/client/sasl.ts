/**
 * The client side of SASL logins: PLAIN, SCRAM-SHA-256/512 (RFC 5802) and OAUTHBEARER
 * (RFC 7628, oauthbearer.ts), run over SaslHandshake v1 and SaslAuthenticate right after the
 * connection's ApiVersions.
 */
import { randomBytes } from 'node:crypto';
import { clientKey, hash, hmac, saltedPassword, safeEqual, serverKey, xor, type ScramMechanism } from '../protocol/sasl/scram-math.js';
import { encodeSaslName } from '../protocol/sasl/scram-math.js';

import { OAuthBearerClient, type OAuthBearerOptions } from './oauthbearer.js';

export type PasswordMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export type SaslMechanism = PasswordMechanism | 'OAUTHBEARER';

export interface PasswordSaslOptions {
  mechanism: PasswordMechanism;
  username: string;
  password: string;
}

export type SaslOptions = PasswordSaslOptions | OAuthBearerOptions;

/** A client's half of one login: the first token, then one answer per server token until done. */
export interface SaslClient {
  first(): Buffer;
  /** The next token for a server token; null when the exchange is complete (the server's last token checked). */
  next(serverToken: Buffer): Buffer | null;
}

export function plainClient(o: PasswordSaslOptions): SaslClient {
  return {
    first: () => Buffer.from(`\u0000${o.username}\u0000${o.password}`, 'utf8'),
    next: () => null,
  };
}

export class ScramClient implements SaslClient {
  private readonly clientFirstBare: string;
  private authMessage = '';
  private serverKeyValue: Buffer | null = null;
  private step = 0;

  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly username: string,
    private readonly password: string,
    private readonly nonce: string = randomBytes(24).toString('base64url'),
  ) {
    this.clientFirstBare = `n=${encodeSaslName(username)},r=${nonce}`;
  }

  first(): Buffer {
    return Buffer.from(`n,,${this.clientFirstBare}`, 'utf8');
  }

  next(serverToken: Buffer): Buffer | null {
    const msg = serverToken.toString('utf8');
    if (this.step === 0) {
      this.step = 1;
      const attrs = new Map(msg.split(',').map((p) => [p.slice(0, 1), p.slice(2)] as [string, string]));
      const nonce = attrs.get('r');
      const salt = attrs.get('s');
      const iterations = Number(attrs.get('i'));
      if (!nonce || !nonce.startsWith(this.nonce) || nonce.length === this.nonce.length) throw new Error('SCRAM: the server nonce does not extend the client nonce');
      if (salt === undefined || !Number.isInteger(iterations) || iterations < 1) throw new Error('SCRAM: invalid server first message');
      const salted = saltedPassword(this.mechanism, this.password, Buffer.from(salt, 'base64'), iterations);
      const withoutProof = `c=biws,r=${nonce}`;
      this.authMessage = `${this.clientFirstBare},${msg},${withoutProof}`;
      const ck = clientKey(this.mechanism, salted);
      const proof = xor(ck, hmac(this.mechanism, hash(this.mechanism, ck), this.authMessage));
      this.serverKeyValue = serverKey(this.mechanism, salted);
      return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
    }
    if (this.step === 1) {
      this.step = 2;
      if (msg.startsWith('e=')) throw new Error(`SCRAM: server error ${msg.slice(2)}`);
      if (!msg.startsWith('v=')) throw new Error('SCRAM: invalid server final message');
      const expected = hmac(this.mechanism, this.serverKeyValue!, this.authMessage);
      if (!safeEqual(Buffer.from(msg.slice(2), 'base64'), expected)) throw new Error('SCRAM: the server signature does not verify (wrong server or credentials)');
      return null;
    }
    throw new Error('SCRAM: unexpected server token after the exchange completed');
  }
}

/** The client of one login (OAUTHBEARER asks its token provider first). */
export async function saslClient(o: SaslOptions): Promise<SaslClient> {
  if (o.mechanism === 'PLAIN') return plainClient(o);
  if (o.mechanism === 'SCRAM-SHA-256' || o.mechanism === 'SCRAM-SHA-512') return new ScramClient(o.mechanism, o.username, o.password);
  if (o.mechanism === 'OAUTHBEARER') return OAuthBearerClient.create(o);
  throw new Error(`SASL mechanism ${String((o as { mechanism: unknown }).mechanism)} is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER)`);
}

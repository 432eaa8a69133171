/**
 * The SASL state of one connection on a SASL_PLAINTEXT or SASL_SSL listener (Kafka's
 * SaslServerAuthenticator): SaslHandshake names a mechanism, then SaslAuthenticate requests
 * (handshake v1+) or raw size-prefixed tokens (handshake v0, the old unframed exchange) carry
 * the tokens until the mechanism is satisfied. Only then does the connection serve other APIs.
 * With connections.max.reauth.ms (KIP-368) a login lasts that long (an OAUTHBEARER login at most
 * until its token expires); a new handshake on the connection re-authenticates with the same
 * mechanism and user.
 */
import { PlainServer } from './plain.js';
import { ScramServer } from './scram.js';
import { OAuthBearerServer } from './oauthbearer.js';
import { AuthenticationError, type SaslServer } from './mechanism.js';
import type { TokenValidator } from '../oauth/token.js';
import { SCRAM_MECHANISMS, type ScramCredential, type ScramMechanism } from '../../../protocol/sasl/scram-math.js';

export const SUPPORTED_MECHANISMS: readonly string[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];

/** What a listener's logins need: built once per listener by the broker. */
export interface SaslListenerConfig {
  /** sasl.enabled.mechanisms of the listener that this broker supports, in the configured order. */
  mechanisms: readonly string[];
  /** PLAIN's users (listener.name.<l>.plain.sasl.jaas.config, user_<name>="<password>"). */
  plainUsers: ReadonlyMap<string, string>;
  scramCredential(user: string, mechanism: ScramMechanism): ScramCredential | undefined;
  /** OAUTHBEARER's token validator (unsecured JWS or JWT against a JWKS); null when not enabled. */
  oauthValidator?: TokenValidator | null;
  /** sasl.server.max.receive.size: the largest frame before authentication. */
  maxReceiveSize: number;
  /** connection.failed.authentication.delay.ms. */
  failedAuthenticationDelayMs: number;
  /** connections.max.reauth.ms; 0: a login never expires. */
  maxReauthMs: number;
}

export type SaslState = 'handshake' | 'authenticate' | 'raw' | 'authenticated';

export class SaslSession {
  state: SaslState = 'handshake';
  mechanism: string | null = null;
  private server: SaslServer | null = null;
  /** The authenticated user of the first login; a re-authentication must be the same. */
  user: string | null = null;
  /** When the login expires (ms since the epoch); null: never. */
  expiresAt: number | null = null;
  /** True while a re-authentication runs on an authenticated connection. */
  reauthenticating = false;

  constructor(
    readonly config: SaslListenerConfig,
    /** Called once a login completes (first and re-authentication). */
    private readonly onAuthenticated: (user: string) => void,
  ) {}

  get authenticated(): boolean {
    return this.user !== null && (this.state === 'authenticated' || this.reauthenticating);
  }

  /** SaslHandshake: an error message for a mechanism that cannot be used, or null. */
  handshake(mechanism: string, version: number): string | null {
    if (!this.config.mechanisms.includes(mechanism)) return `Unsupported SASL mechanism ${mechanism}`;
    if (this.state === 'authenticated') {
      if (version === 0) return 'Re-authentication needs SaslHandshake v1 or later';
      if (mechanism !== this.mechanism) return `Re-authentication must use the mechanism of the first login (${this.mechanism})`;
      this.reauthenticating = true;
    }
    this.mechanism = mechanism;
    this.server = this.newServer(mechanism);
    this.state = version === 0 ? 'raw' : 'authenticate';
    return null;
  }

  private newServer(mechanism: string): SaslServer {
    if (mechanism === 'PLAIN') return new PlainServer(this.config.plainUsers);
    if (mechanism === 'OAUTHBEARER') {
      const v = this.config.oauthValidator;
      if (!v) throw new Error('OAUTHBEARER is enabled without a token validator');
      return new OAuthBearerServer(v);
    }
    return new ScramServer(mechanism as ScramMechanism, (u, m) => this.config.scramCredential(u, m));
  }

  /** One token of the exchange; throws AuthenticationError. */
  evaluate(token: Buffer, now: number): { response: Buffer; done: boolean } {
    if (!this.server || (this.state !== 'authenticate' && this.state !== 'raw')) throw new Error('no SASL exchange in progress');
    const r = this.server.evaluate(token, now);
    if (!r.done) return { response: r.response, done: false };
    if (this.reauthenticating && r.user !== this.user) {
      throw new ReauthenticationPrincipalChange(this.user ?? '', r.user ?? '');
    }
    this.user = r.user!;
    this.server = null;
    this.state = 'authenticated';
    this.reauthenticating = false;
    // KIP-368: the login lasts connections.max.reauth.ms, and never past the credential's expiry
    // (an OAuth token's exp), whichever comes first.
    const byConfig = this.config.maxReauthMs > 0 ? now + this.config.maxReauthMs : null;
    const byCredential = r.expiresAtMs ?? null;
    this.expiresAt = byConfig === null ? byCredential : byCredential === null ? byConfig : Math.min(byConfig, byCredential);
    this.onAuthenticated(this.user);
    return { response: r.response, done: true };
  }

  /** True when a login has expired without re-authentication (KIP-368). */
  expired(now: number): boolean {
    return this.expiresAt !== null && now > this.expiresAt && !this.reauthenticating;
  }
}

export class ReauthenticationPrincipalChange extends AuthenticationError {
  constructor(before: string, after: string) {
    super(`Cannot change principals during re-authentication from User:${before} to User:${after}`);
  }
}

export function isScramMechanism(m: string): m is ScramMechanism {
  return (SCRAM_MECHANISMS as readonly string[]).includes(m);
}

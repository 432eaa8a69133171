/**
 * The SCRAM credentials of users (AlterUserScramCredentials, kafka-configs --entity-type users):
 * salt, StoredKey, ServerKey and iterations per user and mechanism, never the password. Kept in
 * the metadata file (tributary-metadata.json, `scramCredentials`), so they survive restarts.
 */
import type { ScramCredential, ScramMechanism } from '../../protocol/sasl/scram-math.js';

/** As stored in JSON: base64 fields. */
export interface StoredScramCredential {
  salt: string;
  storedKey: string;
  serverKey: string;
  iterations: number;
}
export type ScramCredentialsState = Record<string, Partial<Record<ScramMechanism, StoredScramCredential>>>;

export class ScramCredentialStore {
  constructor(
    private readonly state: ScramCredentialsState,
    private readonly persist: () => Promise<void>,
  ) {}

  get(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    const s = Object.hasOwn(this.state, user) ? this.state[user]![mechanism] : undefined;
    if (!s) return undefined;
    return { salt: Buffer.from(s.salt, 'base64'), storedKey: Buffer.from(s.storedKey, 'base64'), serverKey: Buffer.from(s.serverKey, 'base64'), iterations: s.iterations };
  }

  /** The mechanisms and iterations of each user (all users when `users` is null). */
  describe(user: string): Array<{ mechanism: ScramMechanism; iterations: number }> {
    const u = Object.hasOwn(this.state, user) ? this.state[user]! : {};
    return (Object.entries(u) as Array<[ScramMechanism, StoredScramCredential]>).map(([mechanism, c]) => ({ mechanism, iterations: c.iterations }));
  }

  users(): string[] {
    return Object.keys(this.state).filter((u) => Object.keys(this.state[u]!).length > 0).sort();
  }

  has(user: string, mechanism: ScramMechanism): boolean {
    return this.get(user, mechanism) !== undefined;
  }

  /** Applies deletions then upsertions, then saves once. */
  async apply(deletions: Array<{ user: string; mechanism: ScramMechanism }>, upsertions: Array<{ user: string; mechanism: ScramMechanism; credential: ScramCredential }>): Promise<void> {
    for (const d of deletions) {
      if (!Object.hasOwn(this.state, d.user)) continue;
      delete this.state[d.user]![d.mechanism];
      if (Object.keys(this.state[d.user]!).length === 0) delete this.state[d.user];
    }
    for (const u of upsertions) {
      if (!Object.hasOwn(this.state, u.user)) this.state[u.user] = {};
      const c = u.credential;
      this.state[u.user]![u.mechanism] = { salt: c.salt.toString('base64'), storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'), iterations: c.iterations };
    }
    if (deletions.length + upsertions.length > 0) await this.persist();
  }
}

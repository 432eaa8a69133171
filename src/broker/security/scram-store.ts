/**
 * The SCRAM credentials of users (AlterUserScramCredentials, kafka-configs --entity-type users):
 * salt, StoredKey, ServerKey and iterations per user and mechanism, never the password. On a
 * single node they are kept in the metadata file (tributary-metadata.json, `scramCredentials`,
 * `fileScramWriter`); in a cluster in etcd (cluster/cluster-security.ts), where the state read
 * here is the cluster view's, updated by the watch. Either way they survive restarts.
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

export interface ScramDeletion {
  user: string;
  mechanism: ScramMechanism;
}
export interface ScramUpsertion {
  user: string;
  mechanism: ScramMechanism;
  credential: ScramCredential;
}
/** Makes deletions then upsertions durable and visible in the state the store reads; called only with something to do. */
export type ScramWriter = (deletions: readonly ScramDeletion[], upsertions: readonly ScramUpsertion[]) => Promise<void>;

export function storedCredential(c: ScramCredential): StoredScramCredential {
  return { salt: c.salt.toString('base64'), storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'), iterations: c.iterations };
}

/** The single node's writer: changes `state` in place, then saves the metadata file. */
export function fileScramWriter(state: ScramCredentialsState, persist: () => Promise<void>): ScramWriter {
  return async (deletions, upsertions) => {
    for (const d of deletions) {
      if (!Object.hasOwn(state, d.user)) continue;
      delete state[d.user]![d.mechanism];
      if (Object.keys(state[d.user]!).length === 0) delete state[d.user];
    }
    for (const u of upsertions) {
      if (!Object.hasOwn(state, u.user)) Object.defineProperty(state, u.user, { value: {}, enumerable: true, writable: true, configurable: true });
      state[u.user]![u.mechanism] = storedCredential(u.credential);
    }
    await persist();
  };
}

export class ScramCredentialStore {
  constructor(
    private readonly state: ScramCredentialsState,
    private readonly write: ScramWriter,
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

  /** Applies deletions then upsertions, durably, in one write. */
  async apply(deletions: ScramDeletion[], upsertions: ScramUpsertion[]): Promise<void> {
    if (deletions.length + upsertions.length > 0) await this.write(deletions, upsertions);
  }
}

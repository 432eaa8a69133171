/**
 * The broker's ACLs: the authorizer (when `authorizer.class.name` names Kafka's StandardAuthorizer)
 * and where its bindings are kept: the metadata store on a single node (tributary-metadata.json,
 * `fileAclStorage`), etcd in a cluster (cluster/cluster-security.ts, where every broker's
 * authorizer follows the watch).
 */
import type { BrokerConfig } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import type { ClusterState, MetadataStore } from '../metadata/store.js';
import { ACCEPTED_AUTHORIZER_CLASSES, AclAuthorizer } from './acl-authorizer.js';
import type { AclBinding, AclFilter } from './acl.js';

/** Where bindings live. Each call resolves once the change is durable and `authorizer` decides by it. */
export interface AclStorage {
  /** The bindings stored now (the authorizer starts with them). */
  initial(): readonly AclBinding[];
  /** Called once with the authorizer, before any request: a cluster's storage keeps it in step with etcd. */
  attach(authorizer: AclAuthorizer): void;
  add(authorizer: AclAuthorizer, bindings: readonly AclBinding[]): Promise<void>;
  remove(authorizer: AclAuthorizer, bindings: readonly AclBinding[]): Promise<void>;
}

/** The single node's storage: the authorizer changes in place, then the metadata file is saved. */
export function fileAclStorage(state: ClusterState, store: MetadataStore): AclStorage {
  const save = async (a: AclAuthorizer): Promise<void> => {
    state.acls = a.bindings();
    await store.save(state);
  };
  return {
    initial: () => state.acls ?? [],
    attach: () => undefined,
    async add(a, bindings) {
      let changed = false;
      for (const b of bindings) changed = a.add(b) || changed;
      if (changed) await save(a);
    },
    async remove(a, bindings) {
      let changed = false;
      for (const b of bindings) changed = a.remove(b) || changed;
      if (changed) await save(a);
    },
  };
}

export class Acls {
  private constructor(
    /** Null: no authorizer configured; the ACL APIs answer SECURITY_DISABLED. */
    readonly authorizer: AclAuthorizer | null,
    private readonly storage: AclStorage,
  ) {}

  static fromConfig(config: BrokerConfig, storage: AclStorage): Acls {
    const cls = (config.get('authorizer.class.name') ?? '').trim();
    if (cls === '') return new Acls(null, storage);
    if (!ACCEPTED_AUTHORIZER_CLASSES.includes(cls)) {
      throw new ConfigError('authorizer.class.name', `Invalid value ${cls} for configuration authorizer.class.name: this broker's authorizer is enabled with ${ACCEPTED_AUTHORIZER_CLASSES[0]}`);
    }
    const superUsers = (config.get('super.users') ?? '').split(';').map((s) => s.trim()).filter((s) => s !== '');
    const allowEveryone = (config.get('allow.everyone.if.no.acl.found') ?? 'false').trim().toLowerCase() === 'true';
    const authorizer = new AclAuthorizer({ superUsers, allowEveryoneIfNoAclFound: allowEveryone }, storage.initial());
    storage.attach(authorizer);
    return new Acls(authorizer, storage);
  }

  /** Adds the bindings and persists them before answering. */
  async create(bindings: readonly AclBinding[]): Promise<void> {
    await this.storage.add(this.required(), bindings);
  }

  /** Removes, for each filter, the bindings it matches; persisted before answering. */
  async delete(filters: readonly AclFilter[]): Promise<AclBinding[][]> {
    const a = this.required();
    const out = filters.map((f) => a.matching(f));
    const all = new Map<string, AclBinding>();
    for (const list of out) for (const b of list) all.set(JSON.stringify(b), b);
    if (all.size > 0) await this.storage.remove(a, [...all.values()]);
    return out;
  }

  private required(): AclAuthorizer {
    if (!this.authorizer) throw new Error('no authorizer configured');
    return this.authorizer;
  }
}

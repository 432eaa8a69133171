/**
 * The broker's ACLs: the authorizer (when `authorizer.class.name` names Kafka's StandardAuthorizer)
 * and their persistence in the metadata store (tributary-metadata.json on a single node).
 */
import type { BrokerConfig } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import type { ClusterState, MetadataStore } from '../metadata/store.js';
import { ACCEPTED_AUTHORIZER_CLASSES, AclAuthorizer } from './acl-authorizer.js';
import type { AclBinding, AclFilter } from './acl.js';

export class Acls {
  private constructor(
    /** Null: no authorizer configured; the ACL APIs answer SECURITY_DISABLED. */
    readonly authorizer: AclAuthorizer | null,
    private readonly state: ClusterState,
    private readonly store: MetadataStore,
  ) {}

  static fromConfig(config: BrokerConfig, state: ClusterState, store: MetadataStore): Acls {
    const cls = (config.get('authorizer.class.name') ?? '').trim();
    if (cls === '') return new Acls(null, state, store);
    if (!ACCEPTED_AUTHORIZER_CLASSES.includes(cls)) {
      throw new ConfigError('authorizer.class.name', `Invalid value ${cls} for configuration authorizer.class.name: this broker's authorizer is enabled with ${ACCEPTED_AUTHORIZER_CLASSES[0]}`);
    }
    const superUsers = (config.get('super.users') ?? '').split(';').map((s) => s.trim()).filter((s) => s !== '');
    const allowEveryone = (config.get('allow.everyone.if.no.acl.found') ?? 'false').trim().toLowerCase() === 'true';
    return new Acls(new AclAuthorizer({ superUsers, allowEveryoneIfNoAclFound: allowEveryone }, state.acls ?? []), state, store);
  }

  /** Adds the bindings and persists them before answering. */
  async create(bindings: readonly AclBinding[]): Promise<void> {
    const a = this.required();
    let changed = false;
    for (const b of bindings) changed = a.add(b) || changed;
    if (changed) await this.persist();
  }

  /** Removes, for each filter, the bindings it matches; persisted before answering. */
  async delete(filters: readonly AclFilter[]): Promise<AclBinding[][]> {
    const a = this.required();
    const out = filters.map((f) => a.matching(f));
    let changed = false;
    for (const list of out) for (const b of list) changed = a.remove(b) || changed;
    if (changed) await this.persist();
    return out;
  }

  private async persist(): Promise<void> {
    this.state.acls = this.required().bindings();
    await this.store.save(this.state);
  }

  private required(): AclAuthorizer {
    if (!this.authorizer) throw new Error('no authorizer configured');
    return this.authorizer;
  }
}

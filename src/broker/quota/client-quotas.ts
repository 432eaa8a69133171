/**
 * The client quotas set with AlterClientQuotas (kafka-configs --entity-type users|clients|ips):
 * each entity's values by key. They live in the metadata store, saved through a
 * ClientQuotaPersistence: on a single node the metadata file (ClusterState.clientQuotas); a
 * cluster plugs in its coordination store and calls `replaceAll` when the stored set changes.
 */
import { javaHashMapOrder } from '../../util/java-hash-map.js';
import { entityJavaHash, entityKey, type QuotaEntity, type QuotaKey, type StoredClientQuota } from './entity.js';

/** Where the quotas are kept. `save` gets the whole set and resolves once it is durable. */
export interface ClientQuotaPersistence {
  save(quotas: readonly StoredClientQuota[]): Promise<void>;
}

export interface QuotaAlteration {
  entity: QuotaEntity;
  /** value null: remove the key. */
  ops: ReadonlyArray<{ key: string; value: number | null }>;
}

interface Entry {
  entity: QuotaEntity;
  values: Map<string, number>;
}

export class ClientQuotas {
  private readonly entries = new Map<string, Entry>();
  /** Per quota key: entity key -> value. What the quota managers resolve against. */
  private readonly byKey = new Map<string, Map<string, number>>();
  /** Bumped at every change: the managers' cached resolutions are stale when it moves. */
  version = 0;
  /** Called after every change (an alteration or a replaced set). */
  readonly listeners = new Set<() => void>();

  constructor(
    initial: readonly StoredClientQuota[],
    private readonly persistence: ClientQuotaPersistence,
  ) {
    this.load(initial);
  }

  /** Whether any entity has a value for the key (when none has, nobody is measured for it). */
  hasAny(key: QuotaKey): boolean {
    const m = this.byKey.get(key);
    return m !== undefined && m.size > 0;
  }

  /** The value of `key` set on the entity with this entityKey, if any. */
  value(key: QuotaKey, ek: string): number | undefined {
    return this.byKey.get(key)?.get(ek);
  }

  /** The values of one entity (empty when it has none). */
  values(entity: QuotaEntity): ReadonlyMap<string, number> {
    return this.entries.get(entityKey(entity))?.values ?? new Map();
  }

  list(): StoredClientQuota[] {
    return [...this.entries.values()].map((e) => ({
      entity: Object.keys(e.entity).map((type) => ({ type, name: e.entity[type]! })),
      values: Object.fromEntries([...e.values].map(([k, v]) => [k, v === Infinity ? 'Infinity' : v])),
    }));
  }

  /** Applies validated alterations (a null value removes the key) and saves once if anything changed. */
  async alter(alterations: readonly QuotaAlteration[]): Promise<void> {
    let changed = false;
    for (const a of alterations) {
      for (const op of a.ops) changed = this.set(a.entity, op.key, op.value) || changed;
    }
    if (changed) {
      this.version++;
      for (const l of this.listeners) l();
      await this.persistence.save(this.list());
    }
  }

  /** Replaces every quota with the stored set (a cluster's watch on its store). */
  replaceAll(stored: readonly StoredClientQuota[]): void {
    this.entries.clear();
    this.byKey.clear();
    this.load(stored);
    this.version++;
    for (const l of this.listeners) l();
  }

  /** The `connection_creation_rate` of each ip entity (ip null: the default of every address). */
  ipConnectionRates(): Array<{ ip: string | null; rate: number }> {
    const out: Array<{ ip: string | null; rate: number }> = [];
    for (const e of this.entries.values()) {
      const rate = e.values.get('connection_creation_rate');
      if (rate !== undefined && Object.hasOwn(e.entity, 'ip')) out.push({ ip: e.entity.ip ?? null, rate });
    }
    return out;
  }

  private load(stored: readonly StoredClientQuota[]): void {
    for (const s of stored) {
      const entity: Record<string, string | null> = {};
      for (const e of s.entity) entity[e.type] = e.name;
      for (const [k, v] of Object.entries(s.values)) if (v === 'Infinity' || typeof v === 'number') this.set(entity, k, v === 'Infinity' ? Infinity : v);
    }
  }

  private set(entity: QuotaEntity, key: string, value: number | null): boolean {
    const ek = entityKey(entity);
    let e = this.entries.get(ek);
    if (value === null) {
      if (!e || !e.values.has(key)) return false;
      e.values.delete(key);
      if (e.values.size === 0) this.entries.delete(ek);
      this.byKey.get(key)?.delete(ek);
      return true;
    }
    if (e?.values.get(key) === value) return false;
    if (!e) {
      e = { entity: { ...entity }, values: new Map() };
      this.entries.set(ek, e);
    }
    e.values.set(key, value);
    let m = this.byKey.get(key);
    if (!m) this.byKey.set(key, (m = new Map()));
    m.set(ek, value);
    return true;
  }

  /**
   * The entities a DescribeClientQuotas filter matches (Kafka's rules): every `exact` type with
   * that name (null: the default entity), every `specified` type present with any name, and with
   * `strict` no other type. In the order Kafka's metadata image (a java.util.HashMap) lists them,
   * so tools print what they print against Kafka.
   */
  matching(exact: ReadonlyMap<string, string | null>, specified: ReadonlySet<string>, strict: boolean): Array<{ entity: QuotaEntity; values: ReadonlyMap<string, number> }> {
    const out: Array<{ entity: QuotaEntity; values: ReadonlyMap<string, number> }> = [];
    for (const e of javaHashMapOrder([...this.entries.values()], (x) => entityJavaHash(x.entity))) {
      const types = Object.keys(e.entity);
      if (strict && types.length !== exact.size + specified.size) continue;
      let ok = true;
      for (const [t, name] of exact) if (!Object.hasOwn(e.entity, t) || e.entity[t] !== name) ok = false;
      for (const t of specified) if (!Object.hasOwn(e.entity, t)) ok = false;
      if (ok) out.push({ entity: e.entity, values: e.values });
    }
    return out;
  }
}

import { BROKER_CONFIG_BY_NAME, ConfigSource, TOPIC_CONFIG_BY_NAME, topicConfigDef, type ConfigDef, type TopicConfigDef } from './defs.js';
import { checkValue, ConfigError, javaHashSetString } from './validate.js';

export { ConfigError } from './validate.js';

/** Checks a value against its definition as Kafka does (type, then validator); returns it as DescribeConfigs shows it. */
export function validateConfigValue(def: ConfigDef, raw: string): string {
  return checkValue(def, raw);
}

export function toNumber(v: string): number {
  return Number(v);
}

/** The resolved value of a topic-level key, and where it came from (for DescribeConfigs). */
export interface ResolvedConfig {
  name: string;
  value: string | null;
  source: number;
  /** The chain consulted, most specific first: [name, value, source]. */
  synonyms: Array<{ name: string; value: string | null; source: number }>;
}

const camelToKey = new Map<string, string>();
for (const k of BROKER_CONFIG_BY_NAME.keys()) camelToKey.set(k.replace(/\.(\w)/g, (_m, c: string) => c.toUpperCase()), k);

/** Maps `logDirs` or `log.dirs` to the Kafka key `log.dirs`; unknown camelCase names stay as they are. */
export function configKey(name: string): string {
  return camelToKey.get(name) ?? name;
}

/** Where a dynamic broker value lives: this broker's own, or the cluster-wide default (resource ""). */
/** The authorizer's own keys (Kafka's StandardAuthorizer reads them; they are not in the broker table). */
const AUTHORIZER_KEYS: ReadonlySet<string> = new Set(['super.users', 'allow.everyone.if.no.acl.found']);

export type DynamicScope = 'broker' | 'default';

/**
 * The broker's configuration: static values from server.properties (and --override), plus dynamic
 * values set through the admin APIs, over Kafka's defaults.
 */
export class BrokerConfig {
  private readonly staticValues = new Map<string, string>();
  /** Dynamic values of this broker (a broker resource named by its id). */
  private readonly dynamicValues = new Map<string, string>();
  /** Dynamic cluster-wide defaults (the broker resource named ""), below this broker's own. */
  private readonly dynamicDefaults = new Map<string, string>();
  readonly warnings: string[] = [];

  constructor(values: Iterable<[string, string]>) {
    for (const [rawKey, raw] of values) {
      const key = configKey(rawKey);
      const listenerBase = /^listener\.name\.[^.]+\.(?:(?:plain|scram-sha-256|scram-sha-512|oauthbearer|gssapi)\.)?(.+)$/.exec(key)?.[1];
      const def = BROKER_CONFIG_BY_NAME.get(key) ?? topicConfigDef(key) ?? (listenerBase !== undefined ? BROKER_CONFIG_BY_NAME.get(listenerBase) : undefined);
      if (!def) {
        if (!AUTHORIZER_KEYS.has(key)) this.warnings.push(`Unknown configuration key ${key} is ignored`);
        this.staticValues.set(key, raw);
        continue;
      }
      this.staticValues.set(key, validateConfigValue(def, raw));
    }
    this.checkCrossKeys();
  }

  private checkCrossKeys(): void {
    if (this.int('message.max.bytes') > this.int('socket.request.max.bytes')) {
      throw new ConfigError('message.max.bytes', `Invalid value ${this.get('message.max.bytes')} for configuration message.max.bytes: must not exceed socket.request.max.bytes (${this.get('socket.request.max.bytes')})`);
    }
    if (this.int('max.connections.per.ip') === 0 && (this.get('max.connections.per.ip.overrides') ?? '').trim() === '') {
      throw new ConfigError('max.connections.per.ip', 'requirement failed: max.connections.per.ip can be set to zero only if max.connections.per.ip.overrides property is set.');
    }
    const brokerId = this.staticValues.get('broker.id');
    const nodeId = this.staticValues.get('node.id');
    if (brokerId !== undefined && nodeId !== undefined && brokerId !== nodeId && brokerId !== '-1') {
      throw new ConfigError('broker.id', 'requirement failed: You must set `node.id` to the same value as `broker.id`.');
    }
  }

  /** The raw value with its source: this broker's dynamic value, the cluster default, static, Kafka's default. */
  lookup(name: string): { value: string | null; source: number } {
    const dyn = this.dynamicValues.get(name);
    if (dyn !== undefined) return { value: dyn, source: ConfigSource.DYNAMIC_BROKER_CONFIG };
    const dd = this.dynamicDefaults.get(name);
    if (dd !== undefined) return { value: dd, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG };
    const st = this.staticValues.get(name);
    if (st !== undefined) return { value: st, source: ConfigSource.STATIC_BROKER_CONFIG };
    const def = BROKER_CONFIG_BY_NAME.get(name);
    return { value: def?.default ?? null, source: ConfigSource.DEFAULT_CONFIG };
  }

  /** Every value set for `name`, highest precedence first: this broker's dynamic, the cluster default, static. */
  layers(name: string): Array<{ value: string; source: number }> {
    const out: Array<{ value: string; source: number }> = [];
    const dyn = this.dynamicValues.get(name);
    if (dyn !== undefined) out.push({ value: dyn, source: ConfigSource.DYNAMIC_BROKER_CONFIG });
    const dd = this.dynamicDefaults.get(name);
    if (dd !== undefined) out.push({ value: dd, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    const st = this.staticValues.get(name);
    if (st !== undefined) out.push({ value: st, source: ConfigSource.STATIC_BROKER_CONFIG });
    return out;
  }

  get(name: string): string | null {
    return this.lookup(name).value;
  }
  isSet(name: string): boolean {
    return this.dynamicValues.has(name) || this.dynamicDefaults.has(name) || this.staticValues.has(name);
  }
  int(name: string): number {
    const v = this.get(name);
    if (v === null) throw new ConfigError(name, `Missing required configuration "${name}" which has no default value.`);
    return Number(v);
  }
  bool(name: string): boolean {
    return this.get(name) === 'true';
  }
  list(name: string): string[] {
    const v = this.get(name);
    return v ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : [];
  }

  get nodeId(): number {
    if (this.staticValues.has('node.id')) return this.int('node.id');
    const b = this.staticValues.get('broker.id');
    return b !== undefined && b !== '-1' ? Number(b) : this.int('node.id');
  }

  get logDirs(): string[] {
    const dirs = this.list('log.dirs');
    return dirs.length > 0 ? dirs : this.list('log.dir');
  }

  /** Dynamic values (IncrementalAlterConfigs): this broker's, or the cluster-wide defaults. */
  dynamicEntries(scope: DynamicScope = 'broker'): Array<[string, string]> {
    return [...(scope === 'broker' ? this.dynamicValues : this.dynamicDefaults)];
  }
  staticEntries(): Array<[string, string]> {
    return [...this.staticValues];
  }
  /**
   * Sets (or with null removes) a dynamic value. A key Kafka knows must be dynamic and valid; one
   * it does not know (a plugin's, a listener-prefixed one) is kept as it is, as Kafka keeps it.
   * The admin handlers check a whole change first, with Kafka's messages (dynamic-broker.ts).
   */
  setDynamic(name: string, value: string | null, scope: DynamicScope = 'broker'): void {
    const layer = scope === 'broker' ? this.dynamicValues : this.dynamicDefaults;
    if (value === null) {
      layer.delete(name);
      return;
    }
    const def = BROKER_CONFIG_BY_NAME.get(name);
    if (!def || def.kafka === false) {
      layer.set(name, value);
      return;
    }
    if (!def.dynamic) throw new ConfigError(name, `Cannot update these configs dynamically: ${javaHashSetString([name])}`);
    layer.set(name, validateConfigValue(def, value));
  }

  /** The default a topic key gets from the broker: the first synonym set, else Kafka's default. */
  resolveTopicDefault(def: TopicConfigDef): ResolvedConfig {
    const synonyms: ResolvedConfig['synonyms'] = [];
    let chosen: { value: string; source: number } | undefined;
    for (const syn of def.synonyms) {
      for (const { value, source } of this.layers(syn.name)) {
        synonyms.push({ name: syn.name, value, source });
        if (!chosen) {
          const converted = syn.factor ? (BigInt(value) * BigInt(syn.factor)).toString() : value;
          chosen = { value: converted, source };
        }
      }
    }
    synonyms.push({ name: def.synonyms[0]?.name ?? def.name, value: def.default, source: ConfigSource.DEFAULT_CONFIG });
    if (chosen) return { name: def.name, value: chosen.value, source: chosen.source, synonyms };
    return { name: def.name, value: def.default, source: ConfigSource.DEFAULT_CONFIG, synonyms };
  }

  /** A topic's effective value for `name`, given its overrides. */
  resolveTopicConfig(name: string, overrides: ReadonlyMap<string, string>): ResolvedConfig {
    const def = TOPIC_CONFIG_BY_NAME.get(name);
    if (!def) throw new ConfigError(name, `Unknown topic config name: ${name}`);
    const base = this.resolveTopicDefault(def);
    const own = overrides.get(name);
    if (own === undefined) return base;
    return {
      name,
      value: own,
      source: ConfigSource.TOPIC_CONFIG,
      synonyms: [{ name, value: own, source: ConfigSource.TOPIC_CONFIG }, ...base.synonyms],
    };
  }
}

/**
 * Validates a set of topic overrides as Kafka does: every name first ("Unknown topic config
 * name"), then every value; returns them normalised or throws ConfigError (INVALID_CONFIG).
 */
export function validateTopicConfigs(entries: Iterable<[string, string | null]>): Map<string, string> {
  const list = [...entries];
  for (const [name, value] of list) if (value === null) throw new ConfigError(name, `Null value not supported for topic configs: ${name}`);
  for (const [name] of list) if (!topicConfigDef(name)) throw new ConfigError(name, `Unknown topic config name: ${name}`);
  const out = new Map<string, string>();
  for (const [name, value] of list) out.set(name, validateConfigValue(topicConfigDef(name)!, value!));
  return out;
}

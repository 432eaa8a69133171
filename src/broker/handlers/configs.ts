/**
 * What DescribeConfigs, AlterConfigs and IncrementalAlterConfigs share: resource types, the
 * description of one key, and applying a set of changes to a topic or to this broker.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { ConfigError, validateConfigValue, type BrokerConfig, type DynamicScope } from '../config/config.js';
import { BROKER_CONFIGS, BROKER_CONFIG_BY_NAME, ConfigSource, ConfigTypeCode, TOPIC_CONFIGS, TOPIC_CONFIG_BY_NAME } from '../config/defs.js';
import type { BrokerContext } from '../context.js';

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;
export const ConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: Array<{ name: string; value: string | null; source: number }>;
  configType: number;
  documentation: string | null;
}

export interface ResourceResult {
  errorCode: number;
  errorMessage: string | null;
}
export const OK: ResourceResult = { errorCode: ErrorCode.NONE, errorMessage: null };

/** Checks that a broker resource names this broker ("" is the cluster-wide default). */
export function brokerResourceProblem(b: BrokerContext, name: string): ResourceResult | null {
  if (name === '' || name === String(b.nodeId)) return null;
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${b.nodeId} or empty string, but received ${name}` };
}

export function describeTopicConfigs(b: BrokerContext, topic: string, keys: readonly string[] | null, synonyms: boolean): DescribedConfig[] {
  const t = b.topics.get(topic)!;
  const overrides = new Map(Object.entries(t.configs));
  const names = keys ?? TOPIC_CONFIGS.map((d) => d.name);
  const out: DescribedConfig[] = [];
  for (const name of names) {
    const def = TOPIC_CONFIG_BY_NAME.get(name);
    if (!def) continue;
    const r = b.config.resolveTopicConfig(name, overrides);
    out.push({
      name,
      value: def.sensitive ? null : r.value,
      readOnly: false,
      isDefault: r.source === ConfigSource.DEFAULT_CONFIG,
      configSource: r.source,
      isSensitive: def.sensitive ?? false,
      synonyms: synonyms ? r.synonyms : [],
      configType: ConfigTypeCode[def.type],
      documentation: null,
    });
  }
  return out;
}

/**
 * A broker resource's configs. This broker (resource named by its id): every key, with the source
 * of its value. The cluster default (resource ""): only the dynamic defaults set, as Kafka answers.
 */
export function describeBrokerConfigs(b: BrokerContext, keys: readonly string[] | null, synonyms: boolean, scope: DynamicScope = 'broker'): DescribedConfig[] {
  const defaults = new Map(b.config.dynamicEntries('default'));
  const names = keys ?? (scope === 'broker' ? BROKER_CONFIGS.map((d) => d.name) : [...defaults.keys()].sort());
  const own = new Map(b.config.dynamicEntries('broker'));
  const out: DescribedConfig[] = [];
  for (const name of names) {
    const def = BROKER_CONFIG_BY_NAME.get(name);
    if (!def) continue;
    if (scope === 'default' && !defaults.has(name)) continue;
    const { value, source } = scope === 'broker' ? b.config.lookup(name) : { value: defaults.get(name)!, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG };
    const chain: DescribedConfig['synonyms'] = [];
    if (synonyms) {
      if (scope === 'broker' && own.has(name)) chain.push({ name, value: own.get(name)!, source: ConfigSource.DYNAMIC_BROKER_CONFIG });
      if (defaults.has(name)) chain.push({ name, value: defaults.get(name)!, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
      const st = b.config.staticEntries().find(([k]) => k === name);
      if (st) chain.push({ name, value: st[1], source: ConfigSource.STATIC_BROKER_CONFIG });
      if (def.default !== null) chain.push({ name, value: def.default, source: ConfigSource.DEFAULT_CONFIG });
    }
    out.push({
      name,
      value: def.sensitive ? null : value,
      readOnly: !def.dynamic,
      isDefault: source === ConfigSource.DEFAULT_CONFIG,
      configSource: source,
      isSensitive: def.sensitive ?? false,
      synonyms: chain,
      configType: ConfigTypeCode[def.type],
      documentation: null,
    });
  }
  return out;
}

/** A change to one key: a new value, or null to remove the override. */
export type ConfigChange = Map<string, string | null>;

/**
 * Applies incremental operations to the current overrides. APPEND and SUBTRACT only work on list
 * keys, as in Kafka.
 */
export function applyIncremental(
  current: Map<string, string>,
  ops: ReadonlyArray<{ name: string; configOperation: number; value: string | null }>,
  listType: (name: string) => boolean | undefined,
  effective: (name: string) => string | null,
): Map<string, string | null> {
  const next = new Map<string, string | null>(current);
  const seen = new Set<string>();
  for (const op of ops) {
    if (seen.has(op.name)) throw new ConfigError(op.name, 'appears more than once in the request');
    seen.add(op.name);
    const isList = listType(op.name);
    if (isList === undefined) throw new ConfigError(op.name, 'is not a known configuration');
    switch (op.configOperation) {
      case ConfigOp.SET:
        if (op.value === null) throw new ConfigError(op.name, 'null value for SET');
        next.set(op.name, op.value);
        break;
      case ConfigOp.DELETE:
        next.delete(op.name);
        break;
      case ConfigOp.APPEND:
      case ConfigOp.SUBTRACT: {
        if (!isList) throw new ConfigError(op.name, 'APPEND and SUBTRACT apply only to list configurations');
        const base = (next.get(op.name) ?? effective(op.name) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
        const items = (op.value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
        const result = op.configOperation === ConfigOp.APPEND ? [...base, ...items.filter((i) => !base.includes(i))] : base.filter((i) => !items.includes(i));
        next.set(op.name, result.join(','));
        break;
      }
      default:
        throw new ConfigError(op.name, `unknown operation ${op.configOperation}`);
    }
  }
  return next;
}

/** The dynamic layer a broker resource name addresses: "" the cluster default, the id this broker. */
export function brokerScope(name: string): DynamicScope {
  return name === '' ? 'default' : 'broker';
}

/** Replaces the dynamic configs of one layer with `next` (validated first, all or nothing). */
export async function setBrokerDynamic(b: BrokerContext, config: BrokerConfig, next: Map<string, string | null>, validateOnly: boolean, scope: DynamicScope = 'broker'): Promise<ResourceResult> {
  try {
    for (const [name, value] of next) {
      const def = BROKER_CONFIG_BY_NAME.get(name);
      if (!def) throw new ConfigError(name, 'is not a known broker configuration');
      if (!def.dynamic) throw new ConfigError(name, 'cannot be updated dynamically (read-only)');
      if (value !== null) validateConfigValue(def, value);
    }
  } catch (err) {
    if (err instanceof ConfigError) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: err.message };
    throw err;
  }
  if (validateOnly) return OK;
  for (const [name] of config.dynamicEntries(scope)) if (!next.has(name)) config.setDynamic(name, null, scope);
  for (const [name, value] of next) config.setDynamic(name, value, scope);
  await b.topics.brokerConfigChanged();
  return OK;
}

export function configErrorResult(err: unknown): ResourceResult {
  if (err instanceof ConfigError) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: err.message };
  throw err;
}

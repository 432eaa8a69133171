/**
 * What DescribeConfigs, AlterConfigs and IncrementalAlterConfigs share: resource types, the
 * description of one key, and applying a set of changes to a topic, this broker or a group, with
 * Kafka 4.3.1's checks and messages (config/validate.ts, config/dynamic-broker.ts,
 * config/group-configs.ts).
 */
import { AclOperation, clusterAllowed, groupAllowed, topicAllowed } from './auth.js';
import type { RequestContext } from './handler.js';
import { ErrorCode, errorInfo } from '../../protocol/errors.js';
import { ConfigError, type BrokerConfig, type DynamicScope } from '../config/config.js';
import {
  BROKER_CONFIGS,
  BROKER_CONFIG_BY_NAME,
  ConfigSource,
  ConfigTypeCode,
  GROUP_CONFIGS,
  GROUP_CONFIG_BY_NAME,
  TOPIC_CONFIGS,
  TOPIC_CONFIG_BY_NAME,
  UNKNOWN_CONFIG_TYPE,
  type ConfigType,
} from '../config/defs.js';
import { dynamicBrokerProblem } from '../config/dynamic-broker.js';
import type { BrokerContext } from '../context.js';

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, GROUP: 32 } as const;
export const ConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
const OP_NAMES: Record<number, string> = { [ConfigOp.APPEND]: 'APPEND', [ConfigOp.SUBTRACT]: 'SUBTRACT' };

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
const invalidRequest = (errorMessage: string): ResourceResult => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage });
const invalidConfig = (errorMessage: string): ResourceResult => ({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage });

/** Kafka's answer for a resource type it does not take in AlterConfigs and IncrementalAlterConfigs. */
export function unknownResourceType(type: number): ResourceResult {
  return invalidRequest(`Unknown resource type ${type}`);
}

/** Checks that a broker resource names this broker ("" is the cluster-wide default), in Kafka's words for a describe or an alter. */
export function brokerResourceProblem(b: BrokerContext, name: string, describing = false): ResourceResult | null {
  if (name === '' || name === String(b.nodeId)) return null;
  if (!/^-?[0-9]+$/.test(name)) return invalidRequest(`${describing ? 'Broker' : 'Node'} id must be an integer, but it is: ${name}`);
  return invalidRequest(`Unexpected broker id, expected ${b.nodeId}${describing ? ' or empty string' : ''}, but received ${name}`);
}

/** A group resource must name a group (there is no default group). */
export function groupResourceProblem(name: string, describing: boolean): ResourceResult | null {
  if (name !== '') return null;
  return invalidRequest(describing ? 'Group name must not be empty' : 'Default group resources are not allowed.');
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
 * A broker resource's configs. This broker (resource named by its id): every documented key, with
 * the source of its value, and any key Kafka does not know that was set dynamically. The cluster
 * default (resource ""): only the dynamic defaults set, as Kafka answers. A key Kafka does not
 * know is described as Kafka describes one: sensitive, read-only, no value, type UNKNOWN.
 */
export function describeBrokerConfigs(b: BrokerContext, keys: readonly string[] | null, synonyms: boolean, scope: DynamicScope = 'broker'): DescribedConfig[] {
  const defaults = new Map(b.config.dynamicEntries('default'));
  const own = new Map(b.config.dynamicEntries('broker'));
  const unknownSet = [...new Set([...(scope === 'broker' ? own.keys() : []), ...defaults.keys()])].filter((k) => !BROKER_CONFIG_BY_NAME.get(k) || BROKER_CONFIG_BY_NAME.get(k)!.internal);
  const names = keys ?? (scope === 'broker' ? [...BROKER_CONFIGS.filter((d) => !d.internal).map((d) => d.name), ...unknownSet.sort()] : [...defaults.keys()].sort());
  const out: DescribedConfig[] = [];
  for (const name of names) {
    const known = BROKER_CONFIG_BY_NAME.get(name);
    const def = known && !known.internal ? known : undefined;
    if (!def && !own.has(name) && !defaults.has(name)) continue;
    if (scope === 'default' && !defaults.has(name)) continue;
    const { value, source } = scope === 'broker' ? b.config.lookup(name) : { value: defaults.get(name)!, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG };
    const sensitive = def ? (def.sensitive ?? false) : true;
    const chain: DescribedConfig['synonyms'] = [];
    if (synonyms) {
      if (scope === 'broker' && own.has(name)) chain.push({ name, value: own.get(name)!, source: ConfigSource.DYNAMIC_BROKER_CONFIG });
      if (defaults.has(name)) chain.push({ name, value: defaults.get(name)!, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
      const st = b.config.staticEntries().find(([k]) => k === name);
      if (st && def) chain.push({ name, value: st[1], source: ConfigSource.STATIC_BROKER_CONFIG });
      if (def && def.default !== null) chain.push({ name, value: def.default, source: ConfigSource.DEFAULT_CONFIG });
      if (sensitive) for (const s of chain) s.value = null;
    }
    out.push({
      name,
      value: sensitive ? null : value,
      readOnly: def ? !def.dynamic : true,
      isDefault: source === ConfigSource.DEFAULT_CONFIG,
      configSource: source,
      isSensitive: sensitive,
      synonyms: chain,
      configType: def ? ConfigTypeCode[def.type] : UNKNOWN_CONFIG_TYPE,
      documentation: null,
    });
  }
  return out;
}

/** A group's configs: every group key (or `keys`), the group's own value or the broker's. */
export function describeGroupConfigs(b: BrokerContext, groupId: string, keys: readonly string[] | null, synonyms: boolean): DescribedConfig[] {
  const out: DescribedConfig[] = [];
  for (const name of keys ?? GROUP_CONFIGS.map((d) => d.name)) {
    const def = GROUP_CONFIG_BY_NAME.get(name);
    if (!def) continue;
    const r = b.groupConfigs.resolve(groupId, def);
    out.push({
      name,
      value: r.value,
      readOnly: false,
      isDefault: false,
      configSource: r.source,
      isSensitive: false,
      synonyms: synonyms ? r.synonyms : [],
      configType: ConfigTypeCode[def.type],
      documentation: null,
    });
  }
  return out;
}

interface AlterOp {
  name: string;
  configOperation: number;
  value: string | null;
}

/** Problems of a request's list of changes as such: a key twice, a null value to set (INVALID_REQUEST). */
export function changesProblem(changes: ReadonlyArray<{ name: string; value: string | null; configOperation?: number }>): ResourceResult | null {
  const names = new Set<string>();
  for (const c of changes) {
    if (names.has(c.name)) return invalidRequest('Error due to duplicate config keys');
    names.add(c.name);
  }
  for (const c of changes) {
    if ((c.configOperation ?? ConfigOp.SET) === ConfigOp.SET && c.value === null) return invalidRequest(`Null value not supported for : ${c.name}`);
  }
  return null;
}

const splitList = (s: string | null): string[] =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

/**
 * Applies incremental operations to the current values. APPEND and SUBTRACT only work on list
 * keys; `typeOf` is undefined for a key the resource does not know. `appendProblem` says why an
 * APPEND or SUBTRACT is refused (the message differs between brokers and topics or groups).
 */
export function applyIncremental(
  current: ReadonlyMap<string, string>,
  ops: readonly AlterOp[],
  typeOf: (name: string) => ConfigType | undefined,
  effective: (name: string) => string | null,
  appendProblem: (op: AlterOp, type: ConfigType | undefined) => ConfigError,
): Map<string, string> {
  const next = new Map<string, string>(current);
  for (const op of ops) {
    switch (op.configOperation) {
      case ConfigOp.SET:
        next.set(op.name, op.value!);
        break;
      case ConfigOp.DELETE:
        next.delete(op.name);
        break;
      case ConfigOp.APPEND:
      case ConfigOp.SUBTRACT: {
        const type = typeOf(op.name);
        if (type !== 'list') throw appendProblem(op, type);
        const base = splitList(next.get(op.name) ?? effective(op.name));
        const items = splitList(op.value);
        const result = op.configOperation === ConfigOp.APPEND ? [...base, ...items.filter((i) => !base.includes(i))] : base.filter((i) => !items.includes(i));
        next.set(op.name, result.join(','));
        break;
      }
      default:
        throw new ConfigError(op.name, `Unknown alter config operation type ${op.configOperation} for config key: ${op.name}`);
    }
  }
  return next;
}

/** Topics and groups: "Can't APPEND to key K because its type is not LIST." */
export function notListProblem(op: AlterOp): ConfigError {
  return new ConfigError(op.name, `Can't ${OP_NAMES[op.configOperation]} to key ${op.name} because its type is not LIST.`);
}

/** Brokers: an unknown key, or one that is not a list. */
export function brokerAppendProblem(op: AlterOp, type: ConfigType | undefined): ConfigError {
  if (type === undefined) return new ConfigError(op.name, `Unknown config name: ${op.name}`);
  return new ConfigError(op.name, `Config value ${OP_NAMES[op.configOperation]!.toLowerCase()} is not allowed for config key: ${op.name}`);
}

/** The dynamic layer a broker resource name addresses: "" the cluster default, the id this broker. */
export function brokerScope(name: string): DynamicScope {
  return name === '' ? 'default' : 'broker';
}

/** Replaces the dynamic configs of one layer with `next`, checked first as Kafka does (all or nothing). */
export async function setBrokerDynamic(b: BrokerContext, config: BrokerConfig, next: ReadonlyMap<string, string>, validateOnly: boolean, scope: DynamicScope = 'broker'): Promise<ResourceResult> {
  const problem = dynamicBrokerProblem(config, scope, next);
  if (problem) return invalidRequest(problem.message);
  // New certificates of a TLS listener are loaded (and checked) before anything is applied.
  const before = new Map(config.dynamicEntries(scope));
  const changed = [...new Set([...before.keys(), ...next.keys()])].filter((k) => before.get(k) !== next.get(k));
  const scopeSource = scope === 'broker' ? ConfigSource.DYNAMIC_BROKER_CONFIG : ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG;
  // The configs as they will be: this layer replaced by `next`, the other layers as they are.
  const reader = {
    get: (k: string): string | null => {
      const layers = config.layers(k).filter((l) => l.source !== scopeSource);
      if (next.has(k)) layers.push({ value: next.get(k)!, source: scopeSource });
      layers.sort((x, y) => x.source - y.source);
      return layers[0]?.value ?? (config.layers(k).length === 0 ? config.get(k) : null);
    },
    isSet: (k: string): boolean => next.has(k) || config.layers(k).some((l) => l.source !== scopeSource && l.source !== ConfigSource.DEFAULT_CONFIG),
  };
  const reload = changed.length > 0 ? b.tlsConfigChange(reader, changed) : null;
  if (typeof reload === 'string') return invalidRequest(reload);
  if (validateOnly) return OK;
  for (const [name] of config.dynamicEntries(scope)) if (!next.has(name)) config.setDynamic(name, null, scope);
  for (const [name, value] of next) config.setDynamic(name, value, scope);
  reload?.();
  b.connectionLimitsChanged();
  await b.topics.brokerConfigChanged();
  return OK;
}

/** Replaces a group's own configs with `next`, checked first as Kafka does. */
export async function setGroupConfigs(b: BrokerContext, groupId: string, next: ReadonlyMap<string, string>, validateOnly: boolean): Promise<ResourceResult> {
  try {
    await b.groupConfigs.set(groupId, next, validateOnly);
    return OK;
  } catch (err) {
    return configErrorResult(err);
  }
}

/** A ConfigError as INVALID_CONFIG with its message; anything else is a bug and propagates. */
export function configErrorResult(err: unknown): ResourceResult {
  if (err instanceof ConfigError) return invalidConfig(err.message);
  throw err;
}

/**
 * Whether the principal may describe (DESCRIBE_CONFIGS) or alter (ALTER_CONFIGS) the config
 * resource, as Kafka checks it: a topic's on the topic, a broker's (or broker logger's) on the
 * cluster, a group's on the group. Null when allowed; else the resource's error.
 */
export function configAuthProblem(ctx: RequestContext, resourceType: number, name: string, alter: boolean): ResourceResult | null {
  const op = alter ? AclOperation.ALTER_CONFIGS : AclOperation.DESCRIBE_CONFIGS;
  const fail = (errorCode: number): ResourceResult => ({ errorCode, errorMessage: alter ? null : errorInfo(errorCode).message });
  if (resourceType === ResourceType.TOPIC) return topicAllowed(ctx, op, name) ? null : fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  if (resourceType === ResourceType.BROKER || resourceType === ResourceType.BROKER_LOGGER) return clusterAllowed(ctx, op) ? null : fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  if (resourceType === ResourceType.GROUP) return groupAllowed(ctx, op, name) ? null : fail(ErrorCode.GROUP_AUTHORIZATION_FAILED);
  return null;
}

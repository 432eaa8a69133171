/**
 * What Kafka 4.3.1 checks before it takes a new set of dynamic broker configs (a broker resource:
 * this broker's id, or "" for the cluster-wide default), in its order and with its messages
 * (DynamicBrokerConfig.validate, then the KafkaConfig it would build and the reconfigurable
 * components' own checks). Every problem here is INVALID_REQUEST, as from Kafka.
 *
 *  1. keys Kafka knows that are not dynamic: "Cannot update these configs dynamically: [...]";
 *  2. SSL keystore/truststore keys without a listener prefix;
 *  3. each value, as ConfigDef parses and validates it (a listener-prefixed key,
 *     listener.name.<listener>.<key>, by its base key);
 *  4. for the cluster default, per-broker keys: "Cannot update these configs at default cluster
 *     level, broker id must be specified: [...]";
 *  5. KafkaConfig's cross-checks that dynamic keys can break ("requirement failed: ...");
 *  6. thread counts may at most halve or double ("Dynamic thread count update validation failed
 *     for ...").
 *
 * A key Kafka does not know (a plugin's) is accepted and kept, as Kafka does.
 */
import type { BrokerConfig, DynamicScope } from './config.js';
import { BROKER_CONFIG_BY_NAME, NOT_DYNAMIC_HERE } from './defs.js';
import { checkValue, ConfigError, javaHashSetString } from './validate.js';

const LISTENER_CONFIG = /^listener\.name\.[^.]*\.(.*)$/;

/** SslConfigs.RECONFIGURABLE_CONFIGS: only per listener (listener.name.<l>.ssl.keystore.location ...). */
const LISTENER_ONLY_SECURITY_CONFIGS = new Set([
  'ssl.key.password',
  'ssl.keystore.certificate.chain',
  'ssl.keystore.key',
  'ssl.keystore.location',
  'ssl.keystore.password',
  'ssl.keystore.type',
  'ssl.truststore.certificates',
  'ssl.truststore.location',
  'ssl.truststore.password',
  'ssl.truststore.type',
]);

/** Listener-prefixed keys that may be cluster defaults; every other listener-prefixed key is per broker. */
const CLUSTER_LEVEL_LISTENER_CONFIGS = new Set(['max.connections', 'max.connection.creation.rate', 'num.network.threads']);

/** Thread pools a running Kafka resizes: at least half and at most double the current size. */
const THREAD_POOLS = [
  'background.threads',
  'num.io.threads',
  'num.network.threads',
  'num.recovery.threads.per.data.dir',
  'num.replica.fetchers',
  'remote.log.manager.copier.thread.pool.size',
  'remote.log.manager.expiration.thread.pool.size',
  'remote.log.manager.follower.thread.pool.size',
  'remote.log.reader.threads',
];

const problem = (message: string): ConfigError => new ConfigError('', message);
const invalidDynamic = (message: string): ConfigError =>
  problem(`Invalid value org.apache.kafka.common.config.ConfigException: ${message} for configuration Invalid dynamic configuration`);

/** True for a key Kafka's KafkaConfig defines (documented or internal). */
function kafkaKnows(name: string): boolean {
  const def = BROKER_CONFIG_BY_NAME.get(name);
  return def !== undefined && def.kafka !== false;
}

/**
 * The problem with making `layer` the whole dynamic layer `scope` of `config`, or null. Values
 * in `layer` are as the request gave them.
 */
export function dynamicBrokerProblem(config: BrokerConfig, scope: DynamicScope, layer: ReadonlyMap<string, string>): ConfigError | null {
  const names = [...layer.keys()];
  const base = (name: string): string => LISTENER_CONFIG.exec(name)?.[1] ?? name;

  // Tributary's listeners cannot change while it runs; as the cluster default Kafka refuses them as per-broker keys (step 4).
  const readOnly = names.filter((n) => !LISTENER_CONFIG.test(n) && kafkaKnows(n) && !BROKER_CONFIG_BY_NAME.get(n)!.dynamic && !(scope === 'default' && NOT_DYNAMIC_HERE.has(n)));
  if (readOnly.length > 0) return problem(`Cannot update these configs dynamically: ${javaHashSetString(readOnly)}`);

  const unprefixed = names.filter((n) => LISTENER_ONLY_SECURITY_CONFIGS.has(n));
  if (unprefixed.length > 0) return problem(`These security configs can be dynamically updated only per-listener using the listener prefix: ${javaHashSetString(unprefixed)}`);

  const normalised = new Map<string, string>();
  for (const [name, value] of layer) {
    const def = BROKER_CONFIG_BY_NAME.get(base(name));
    if (!def || def.kafka === false) {
      normalised.set(name, value);
      continue;
    }
    try {
      normalised.set(name, checkValue(def, value));
    } catch (err) {
      if (err instanceof ConfigError) return problem(err.message);
      throw err;
    }
  }

  if (scope === 'default') {
    const perBroker = names.filter((n) => {
      const m = LISTENER_CONFIG.exec(n);
      if (m) return !CLUSTER_LEVEL_LISTENER_CONFIGS.has(m[1]!);
      return BROKER_CONFIG_BY_NAME.get(n)?.perBroker === true;
    });
    if (perBroker.length > 0) return problem(`Cannot update these configs at default cluster level, broker id must be specified: ${javaHashSetString(perBroker)}`);
  }

  const before = (name: string): string | null => config.get(name);
  const after = effectiveAfter(config, scope, normalised);
  const touched = new Set(names);
  return requirementProblem(touched, after) ?? connectionOverridesProblem(touched, after) ?? resizeProblem(before, after);
}

function effectiveAfter(config: BrokerConfig, scope: DynamicScope, layer: ReadonlyMap<string, string>): (name: string) => string | null {
  const own = scope === 'broker' ? layer : new Map(config.dynamicEntries('broker'));
  const clusterDefault = scope === 'default' ? layer : new Map(config.dynamicEntries('default'));
  const statics = new Map(config.staticEntries());
  return (name) => own.get(name) ?? clusterDefault.get(name) ?? statics.get(name) ?? BROKER_CONFIG_BY_NAME.get(name)?.default ?? null;
}

/**
 * KafkaConfig's `require`s that dynamic keys can break, each checked when the change touches one
 * of its keys (a static value Kafka would refuse at startup is not reported on every change).
 */
function requirementProblem(touched: ReadonlySet<string>, get: (name: string) => string | null): ConfigError | null {
  const num = (name: string): number | null => {
    const v = get(name);
    return v === null ? null : Number(v);
  };
  const touches = (...names: string[]): boolean => names.some((n) => touched.has(n));
  const failed = (message: string): ConfigError => problem(`requirement failed: ${message}`);
  if (touches('log.roll.ms') && (num('log.roll.ms') ?? num('log.roll.hours')! * 3_600_000) < 1) return failed('log.roll.ms must be greater than or equal to 1');
  if (touches('log.roll.jitter.ms') && (num('log.roll.jitter.ms') ?? num('log.roll.jitter.hours')! * 3_600_000) < 0) {
    return failed('log.roll.jitter.ms must be greater than or equal to 0');
  }
  if (touches('log.retention.ms')) {
    const minutes = num('log.retention.minutes');
    const ms = num('log.retention.ms') ?? (minutes !== null ? minutes * 60_000 : num('log.retention.hours')! * 3_600_000);
    if (ms === 0) return failed('log.retention.ms must be unlimited (-1) or, greater than or equal to 1');
  }
  if (touches('log.cleaner.dedupe.buffer.size', 'log.cleaner.threads')) {
    const threads = num('log.cleaner.threads')!;
    if (threads > 0 && num('log.cleaner.dedupe.buffer.size')! / threads < 1024 * 1024) return failed('log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread.');
  }
  if (touches('max.connections.per.ip', 'max.connections.per.ip.overrides') && num('max.connections.per.ip') === 0 && (get('max.connections.per.ip.overrides') ?? '').trim() === '') {
    return failed('max.connections.per.ip can be set to zero only if max.connections.per.ip.overrides property is set.');
  }
  if (touches('cordoned.log.dirs')) {
    const cordoned = (get('cordoned.log.dirs') ?? '').split(',').filter((s) => s !== '');
    if (cordoned.includes('*')) {
      if (cordoned.length > 1) return failed('When cordoned.log.dirs is set to *, it must not contain other values');
    } else {
      const dirs = (get('log.dirs') ?? get('log.dir') ?? '').split(',').map((s) => s.trim());
      const missing = cordoned.filter((d) => !dirs.includes(d));
      if (missing.length > 0) return failed(`All entries in cordoned.log.dirs must be present in log.dirs or log.dir. Missing entries : ${missing.join(',')}`);
    }
  }
  return null;
}

/**
 * max.connections.per.ip.overrides ("host:count,..."), as KafkaConfig parses it (CoreUtils.parseCsvMap,
 * then Integer.parseInt) and the connection quotas check the hosts.
 */
function connectionOverridesProblem(touched: ReadonlySet<string>, get: (name: string) => string | null): ConfigError | null {
  const key = 'max.connections.per.ip.overrides';
  if (!touched.has(key)) return null;
  const value = (get(key) ?? '').trim();
  if (value === '') return null;
  const entries = value.split(/\s*,\s*/);
  while (entries.length > 0 && entries[entries.length - 1] === '') entries.pop(); // Java's split drops trailing empty strings
  const hosts: string[] = [];
  for (const e of entries) {
    const colon = e.lastIndexOf(':');
    if (colon < 0) return problem(`Error parsing configuration property '${key}': begin 0, end -1, length ${e.length}`);
    const count = e.slice(colon + 1).trim();
    if (!/^[+-]?[0-9]+$/.test(count) || Math.abs(Number(count)) > 2 ** 31) return problem(`For input string: "${count}"`);
    hosts.push(e.slice(0, colon).trim());
  }
  const invalid = [...new Set(hosts.filter((h) => !/^[0-9a-zA-Z\-%._:]*$/.test(h)))];
  if (invalid.length > 0) return problem(`${key} contains invalid addresses : ${invalid.join(',')}`);
  return null;
}

/** DynamicThreadPool's and the log cleaner's limits on resizing. */
function resizeProblem(before: (name: string) => string | null, after: (name: string) => string | null): ConfigError | null {
  for (const name of THREAD_POOLS) {
    const oldValue = Number(before(name));
    const newValue = Number(after(name));
    if (newValue === oldValue) continue;
    const what = `Dynamic thread count update validation failed for ${name}=${newValue}`;
    if (newValue <= 0) return invalidDynamic(`${what}, value should be at least 1`);
    if (newValue < Math.trunc(oldValue / 2)) return invalidDynamic(`${what}, value should be at least half the current value ${oldValue}`);
    if (newValue > oldValue * 2) return invalidDynamic(`${what}, value should not be greater than double the current value ${oldValue}`);
  }
  const oldThreads = Number(before('log.cleaner.threads'));
  const newThreads = Number(after('log.cleaner.threads'));
  if (newThreads !== oldThreads) {
    // Kafka divides the dedupe buffer by the thread count before it checks the count.
    if (newThreads === 0) return problem('/ by zero');
    if (newThreads < Math.trunc(oldThreads / 2)) return invalidDynamic(`Log cleaner threads cannot be reduced to less than half the current value ${oldThreads}`);
    if (newThreads > oldThreads * 2) return invalidDynamic(`Log cleaner threads cannot be increased to more than double the current value ${oldThreads}`);
  }
  return null;
}

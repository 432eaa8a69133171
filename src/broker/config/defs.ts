/**
 * The configuration keys Tributary knows: every broker, topic and group key of Apache Kafka
 * 4.3.1 (kafka-table.ts, generated from Kafka's docs), with Kafka's names, types, defaults,
 * valid values and update modes, plus what is Tributary's own: which keys it acts on (`effect`),
 * the few defaults that differ for a single node, and how topic keys take their defaults from
 * broker keys. Values are kept as strings (as Kafka's DescribeConfigs shows them) and parsed when
 * read; validate.ts checks them as Kafka does.
 *
 * A key Kafka knows but Tributary does not act on (`effect: false`: thread counts, SSL and SASL,
 * quotas, replication settings of a single node) is accepted, validated, stored and described,
 * so existing Kafka config files and admin scripts work unchanged; it does nothing here.
 */
import { KAFKA_BROKER_KEYS, KAFKA_GROUP_KEYS, KAFKA_TOPIC_KEYS, type KafkaBrokerKey } from './kafka-table.js';

export type ConfigType = 'boolean' | 'short' | 'int' | 'long' | 'double' | 'string' | 'list' | 'password' | 'class';

export interface ConfigDef {
  name: string;
  type: ConfigType;
  /** Default as a string, or null when there is none (the synonym chain decides). */
  default: string | null;
  /** Kafka's "Valid Values" text ('' when any value of the type will do); see validate.ts. */
  validValues: string;
  /** Whether IncrementalAlterConfigs and AlterConfigs may change it on a running broker. */
  dynamic?: boolean;
  /** Kafka's "per-broker" update mode: refused as the cluster-wide default. */
  perBroker?: boolean;
  /** false: accepted, validated, stored and described, with no effect in this version. */
  effect?: boolean;
  /** Passwords: DescribeConfigs shows no value. */
  sensitive?: boolean;
  /** Kafka has it (false: only old config files have it; Kafka 4 does not know it). */
  kafka?: boolean;
  /** Kafka defines it but does not document it (ConfigDef.defineInternal); never described. */
  internal?: boolean;
}

export const LONG_MAX = '9223372036854775807';

/** A topic-level key and the broker keys that supply its default, first match wins. */
export interface TopicConfigDef extends ConfigDef {
  /** Broker keys supplying the default, with the multiplier that converts them (hours to ms...). */
  synonyms: ReadonlyArray<{ name: string; factor?: number }>;
}

/** Topic keys whose default comes from more than their "Server Default Property" (Kafka's synonyms). */
const TOPIC_SYNONYMS: Readonly<Record<string, TopicConfigDef['synonyms']>> = {
  'flush.ms': [{ name: 'log.flush.interval.ms' }, { name: 'log.flush.scheduler.interval.ms' }],
  'retention.ms': [{ name: 'log.retention.ms' }, { name: 'log.retention.minutes', factor: 60_000 }, { name: 'log.retention.hours', factor: 3_600_000 }],
  'segment.jitter.ms': [{ name: 'log.roll.jitter.ms' }, { name: 'log.roll.jitter.hours', factor: 3_600_000 }],
  'segment.ms': [{ name: 'log.roll.ms' }, { name: 'log.roll.hours', factor: 3_600_000 }],
};

/** Topic keys Tributary does not act on (single node, no tiered storage, no preallocation). */
const TOPIC_NO_EFFECT = new Set([
  'follower.replication.throttled.replicas',
  'local.retention.bytes',
  'local.retention.ms',
  'preallocate',
  'remote.log.copy.disable',
  'remote.log.delete.on.disable',
  'remote.storage.enable',
]);

export const TOPIC_CONFIGS: readonly TopicConfigDef[] = KAFKA_TOPIC_KEYS.map((k) => ({
  name: k.name,
  type: k.type,
  default: k.default,
  validValues: k.validValues,
  synonyms: TOPIC_SYNONYMS[k.name] ?? (k.serverDefault ? [{ name: k.serverDefault }] : []),
  ...(TOPIC_NO_EFFECT.has(k.name) ? { effect: false } : {}),
  ...(k.type === 'password' ? { sensitive: true } : {}),
}));

export const TOPIC_CONFIG_BY_NAME: ReadonlyMap<string, TopicConfigDef> = new Map(TOPIC_CONFIGS.map((d) => [d.name, d]));

/**
 * Kafka's undocumented topic key for tests (LogConfig's internal.segment.bytes): a segment size
 * below segment.bytes' 1 MiB minimum. Accepted in topic overrides, never described.
 */
export const INTERNAL_SEGMENT_BYTES: TopicConfigDef = { name: 'internal.segment.bytes', type: 'int', default: null, validValues: '', synonyms: [], internal: true };

/** Every topic key an override may set: the documented ones and internal.segment.bytes. */
export function topicConfigDef(name: string): TopicConfigDef | undefined {
  return TOPIC_CONFIG_BY_NAME.get(name) ?? (name === INTERNAL_SEGMENT_BYTES.name ? INTERNAL_SEGMENT_BYTES : undefined);
}

/** Broker keys Tributary acts on (read at startup, or through a topic key's default). */
const BROKER_EFFECT = new Set([
  'advertised.listeners',
  'auto.create.topics.enable',
  'auto.leader.rebalance.enable',
  'broker.id',
  'broker.rack',
  'compression.gzip.level',
  'compression.lz4.level',
  'compression.type',
  'compression.zstd.level',
  'controlled.shutdown.enable',
  'controlled.shutdown.max.retries',
  'controlled.shutdown.retry.backoff.ms',
  'default.replication.factor',
  'delete.topic.enable',
  'etcd.connect',
  'group.consumer.assignors',
  'group.consumer.heartbeat.interval.ms',
  'group.consumer.max.heartbeat.interval.ms',
  'group.consumer.max.session.timeout.ms',
  'group.consumer.max.size',
  'group.consumer.min.heartbeat.interval.ms',
  'group.consumer.min.session.timeout.ms',
  'group.consumer.session.timeout.ms',
  'group.initial.rebalance.delay.ms',
  'group.max.session.timeout.ms',
  'group.max.size',
  'group.min.session.timeout.ms',
  'leader.imbalance.check.interval.seconds',
  'leader.replication.throttled.rate',
  'leader.imbalance.per.broker.percentage',
  'listeners',
  'log.cleaner.backoff.ms',
  'log.cleaner.dedupe.buffer.size',
  'log.cleaner.delete.retention.ms',
  'log.cleaner.enable',
  'log.cleaner.io.buffer.load.factor',
  'log.cleaner.io.buffer.size',
  'log.cleaner.max.compaction.lag.ms',
  'log.cleaner.min.cleanable.ratio',
  'log.cleaner.min.compaction.lag.ms',
  'log.cleaner.threads',
  'log.cleanup.policy',
  'log.dir',
  'log.dirs',
  'log.flush.interval.messages',
  'log.flush.interval.ms',
  'log.flush.offset.checkpoint.interval.ms',
  'log.flush.scheduler.interval.ms',
  'log.flush.start.offset.checkpoint.interval.ms',
  'log.index.interval.bytes',
  'log.index.size.max.bytes',
  'log.message.timestamp.after.max.ms',
  'log.message.timestamp.before.max.ms',
  'log.message.timestamp.type',
  'log.retention.bytes',
  'log.retention.check.interval.ms',
  'log.retention.hours',
  'log.retention.minutes',
  'log.retention.ms',
  'log.roll.hours',
  'log.roll.jitter.hours',
  'log.roll.jitter.ms',
  'log.roll.ms',
  'log.segment.bytes',
  'log.segment.delete.delay.ms',
  'max.connection.creation.rate',
  'max.connections',
  'max.connections.per.ip',
  'max.connections.per.ip.overrides',
  'max.incremental.fetch.session.cache.slots',
  'message.max.bytes',
  'metadata.log.dir',
  'min.insync.replicas',
  'node.id',
  'num.partitions',
  'offset.metadata.max.bytes',
  'offsets.retention.check.interval.ms',
  'offsets.retention.minutes',
  'offsets.commit.timeout.ms',
  'offsets.topic.num.partitions',
  'offsets.topic.replication.factor',
  'offsets.topic.segment.bytes',
  'queued.max.requests',
  'quota.window.num',
  'quota.window.size.seconds',
  'replica.fetch.backoff.ms',
  'replica.fetch.max.bytes',
  'replica.fetch.min.bytes',
  'replica.fetch.response.max.bytes',
  'replica.fetch.wait.max.ms',
  'replica.high.watermark.checkpoint.interval.ms',
  'replica.lag.time.max.ms',
  'replica.socket.timeout.ms',
  'sasl.oauthbearer.clock.skew.seconds',
  'sasl.oauthbearer.expected.audience',
  'sasl.oauthbearer.expected.issuer',
  'sasl.oauthbearer.jwks.endpoint.refresh.ms',
  'sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms',
  'sasl.oauthbearer.jwks.endpoint.retry.backoff.ms',
  'sasl.oauthbearer.jwks.endpoint.url',
  'sasl.oauthbearer.scope.claim.name',
  'sasl.oauthbearer.sub.claim.name',
  'sasl.server.callback.handler.class',
  'socket.listen.backlog.size',
  'socket.request.max.bytes',
  'unclean.leader.election.enable',
  'zookeeper.connect',
  'zookeeper.session.timeout.ms',
]);

/** Where a single node's defaults differ from Kafka's (Kafka has none for the first four). */
const BROKER_DEFAULTS: Readonly<Record<string, string | null>> = {
  'node.id': '1',
  'process.roles': 'broker,controller',
  'broker.id': null,
  'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
  // no streams or share groups here
  'group.coordinator.rebalance.protocols': 'classic,consumer',
};

/**
 * Keys Kafka updates dynamically that Tributary cannot change while running (it binds its
 * listeners at startup): refused as read-only for this broker, where Kafka accepts a per-broker
 * value (as the cluster default both refuse them as per-broker keys).
 */
export const NOT_DYNAMIC_HERE = new Set(['listeners', 'listener.security.protocol.map']);

/** Kafka 4.3.1's undocumented broker keys (ConfigDef.defineInternal): known, read-only. */
const INTERNAL_BROKER_KEYS: ReadonlyArray<[string, ConfigType, string | null, string]> = [
  ['controller.performance.always.log.threshold.ms', 'long', '2000', '[0,...]'],
  ['controller.performance.sample.period.ms', 'long', '60000', '[100,...]'],
  ['group.consumer.regex.refresh.interval.ms', 'int', '600000', '[10000,...]'],
  ['group.share.initialize.retry.interval.ms', 'int', '30000', '[1,...]'],
  ['group.share.persister.class.name', 'string', 'org.apache.kafka.server.share.persister.DefaultStatePersister', ''],
  ['internal.metadata.delete.delay.millis', 'long', '60000', ''],
  ['internal.metadata.log.segment.bytes', 'int', null, ''],
  ['internal.metadata.max.batch.size.in.bytes', 'int', '8388608', ''],
  ['log.initial.task.delay.ms', 'long', '30000', '[0,...]'],
  ['producer.id.expiration.check.interval.ms', 'int', '600000', '[1,...]'],
  ['remote.log.index.file.cache.ttl.ms', 'long', '900000', '[-1,...]'],
  ['remote.log.manager.task.retry.backoff.max.ms', 'long', '30000', '[1,...]'],
  ['remote.log.manager.task.retry.backoff.ms', 'long', '500', '[1,...]'],
  ['remote.log.manager.task.retry.jitter', 'double', '0.2', '[0,...,0.5]'],
  ['server.max.startup.time.ms', 'long', LONG_MAX, '[0,...]'],
  ['share.coordinator.cold.partition.snapshot.interval.ms', 'int', '300000', '[1,...]'],
  ['share.coordinator.state.topic.prune.interval.ms', 'int', '300000', '[1,...]'],
  ['unclean.leader.election.interval.ms', 'long', '300000', '[1,...]'],
  ['unstable.api.versions.enable', 'boolean', 'false', ''],
  ['unstable.feature.versions.enable', 'boolean', 'false', ''],
];

/**
 * Keys Kafka 4 does not know: older versions' still found in config files (the seed's among
 * them; zookeeper.connect names the coordination service, which here is etcd), and Tributary's
 * own etcd.connect (host:port[,host:port...][/chroot]: cluster mode).
 */
const OLD_BROKER_KEYS: ReadonlyArray<[string, ConfigType, string | null]> = [
  ['controlled.shutdown.max.retries', 'int', '3'],
  ['controlled.shutdown.retry.backoff.ms', 'long', '5000'],
  ['etcd.connect', 'string', null],
  ['leader.imbalance.per.broker.percentage', 'int', '10'],
  ['zookeeper.connect', 'string', null],
  ['zookeeper.connection.timeout.ms', 'int', null],
  ['zookeeper.session.timeout.ms', 'int', '18000'],
];

function brokerDef(k: KafkaBrokerKey): ConfigDef {
  const dynamic = k.updateMode !== 'read-only' && !NOT_DYNAMIC_HERE.has(k.name);
  return {
    name: k.name,
    type: k.type,
    default: k.name in BROKER_DEFAULTS ? BROKER_DEFAULTS[k.name]! : k.default,
    validValues: k.validValues,
    ...(dynamic ? { dynamic: true } : {}),
    ...(k.updateMode === 'per-broker' ? { perBroker: true } : {}),
    ...(BROKER_EFFECT.has(k.name) ? {} : { effect: false }),
    ...(k.type === 'password' ? { sensitive: true } : {}),
  };
}

export const BROKER_CONFIGS: readonly ConfigDef[] = [
  ...KAFKA_BROKER_KEYS.map(brokerDef),
  ...INTERNAL_BROKER_KEYS.map(([name, type, dflt, validValues]): ConfigDef => ({ name, type, default: dflt, validValues, effect: false, internal: true })),
  ...OLD_BROKER_KEYS.map(([name, type, dflt]): ConfigDef => ({ name, type, default: dflt, validValues: '', ...(BROKER_EFFECT.has(name) ? {} : { effect: false }), kafka: false })),
].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

export const BROKER_CONFIG_BY_NAME: ReadonlyMap<string, ConfigDef> = new Map(BROKER_CONFIGS.map((c) => [c.name, c]));

/** A group-level key (ConfigResource type GROUP) and the broker key that supplies its default. */
export interface GroupConfigDef extends ConfigDef {
  /** The broker key whose value is the default (group.<name> when Kafka has one, else none). */
  brokerSynonym: string | null;
}

/** Group keys Tributary acts on: a KIP-848 consumer group's session timeout and heartbeat interval. */
const GROUP_EFFECT = new Set(['consumer.heartbeat.interval.ms', 'consumer.session.timeout.ms']);

export const GROUP_CONFIGS: readonly GroupConfigDef[] = KAFKA_GROUP_KEYS.map((k) => ({
  name: k.name,
  type: k.type,
  default: k.default,
  validValues: k.validValues,
  brokerSynonym: BROKER_CONFIG_BY_NAME.has(`group.${k.name}`) ? `group.${k.name}` : null,
  ...(GROUP_EFFECT.has(k.name) ? {} : { effect: false }),
}));

export const GROUP_CONFIG_BY_NAME: ReadonlyMap<string, GroupConfigDef> = new Map(GROUP_CONFIGS.map((d) => [d.name, d]));

/** DescribeConfigs' ConfigSource values. */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  CLIENT_METRICS_CONFIG: 7,
  GROUP_CONFIG: 8,
} as const;

/** DescribeConfigs' ConfigType values (KIP-569); 0 is a key Kafka does not know. */
export const ConfigTypeCode: Record<ConfigType, number> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
};
export const UNKNOWN_CONFIG_TYPE = 0;

/**
 * The configuration keys Tributary knows, with Kafka's names, types and defaults. Values are kept
 * as strings (as Kafka's DescribeConfigs shows them) and parsed when read.
 *
 * `effect: false` marks keys that are accepted so existing Kafka config files start unchanged, but
 * that have no effect in this version (thread counts, ZooKeeper-era keys, replication settings of a
 * single node). They are listed in README's configuration table.
 */
export type ConfigType = 'boolean' | 'short' | 'int' | 'long' | 'double' | 'string' | 'list' | 'password' | 'class';

export interface ConfigDef {
  name: string;
  type: ConfigType;
  /** Default as a string, or null when Kafka has none (the synonym chain decides). */
  default: string | null;
  min?: number;
  max?: number;
  validValues?: readonly string[];
  /** Whether IncrementalAlterConfigs may change it on a running broker. */
  dynamic?: boolean;
  effect?: boolean;
  sensitive?: boolean;
}

export const LONG_MAX = '9223372036854775807';
const INT_MAX = 2147483647;

/** A topic-level key and the broker keys that supply its default, first match wins. */
export interface TopicConfigDef extends ConfigDef {
  /** Broker keys supplying the default, with the multiplier that converts them (hours to ms...). */
  synonyms: ReadonlyArray<{ name: string; factor?: number }>;
}

export const TOPIC_CONFIGS: readonly TopicConfigDef[] = [
  { name: 'cleanup.policy', type: 'list', default: 'delete', validValues: ['delete', 'compact'], synonyms: [{ name: 'log.cleanup.policy' }] },
  { name: 'compression.type', type: 'string', default: 'producer', validValues: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'], synonyms: [{ name: 'compression.type' }] },
  { name: 'compression.gzip.level', type: 'int', default: '-1', min: -1, max: 9, synonyms: [{ name: 'compression.gzip.level' }] },
  { name: 'compression.lz4.level', type: 'int', default: '9', min: 1, max: 17, synonyms: [{ name: 'compression.lz4.level' }] },
  { name: 'compression.zstd.level', type: 'int', default: '3', min: -131072, max: 22, synonyms: [{ name: 'compression.zstd.level' }] },
  { name: 'delete.retention.ms', type: 'long', default: '86400000', min: 0, synonyms: [{ name: 'log.cleaner.delete.retention.ms' }] },
  { name: 'file.delete.delay.ms', type: 'long', default: '60000', min: 0, synonyms: [{ name: 'log.segment.delete.delay.ms' }] },
  { name: 'flush.messages', type: 'long', default: LONG_MAX, min: 1, synonyms: [{ name: 'log.flush.interval.messages' }] },
  { name: 'flush.ms', type: 'long', default: LONG_MAX, min: 0, synonyms: [{ name: 'log.flush.interval.ms' }, { name: 'log.flush.scheduler.interval.ms' }] },
  { name: 'follower.replication.throttled.replicas', type: 'list', default: '', effect: false, synonyms: [] },
  { name: 'index.interval.bytes', type: 'int', default: '4096', min: 0, synonyms: [{ name: 'log.index.interval.bytes' }] },
  { name: 'leader.replication.throttled.replicas', type: 'list', default: '', effect: false, synonyms: [] },
  { name: 'local.retention.bytes', type: 'long', default: '-2', effect: false, synonyms: [{ name: 'log.local.retention.bytes' }] },
  { name: 'local.retention.ms', type: 'long', default: '-2', effect: false, synonyms: [{ name: 'log.local.retention.ms' }] },
  { name: 'max.compaction.lag.ms', type: 'long', default: LONG_MAX, min: 1, synonyms: [{ name: 'log.cleaner.max.compaction.lag.ms' }] },
  { name: 'max.message.bytes', type: 'int', default: '1048588', min: 0, synonyms: [{ name: 'message.max.bytes' }] },
  { name: 'message.timestamp.after.max.ms', type: 'long', default: '3600000', min: 0, synonyms: [{ name: 'log.message.timestamp.after.max.ms' }] },
  { name: 'message.timestamp.before.max.ms', type: 'long', default: LONG_MAX, min: 0, synonyms: [{ name: 'log.message.timestamp.before.max.ms' }] },
  { name: 'message.timestamp.type', type: 'string', default: 'CreateTime', validValues: ['CreateTime', 'LogAppendTime'], synonyms: [{ name: 'log.message.timestamp.type' }] },
  { name: 'min.cleanable.dirty.ratio', type: 'double', default: '0.5', min: 0, max: 1, synonyms: [{ name: 'log.cleaner.min.cleanable.ratio' }] },
  { name: 'min.compaction.lag.ms', type: 'long', default: '0', min: 0, synonyms: [{ name: 'log.cleaner.min.compaction.lag.ms' }] },
  { name: 'min.insync.replicas', type: 'int', default: '1', min: 1, synonyms: [{ name: 'min.insync.replicas' }] },
  { name: 'preallocate', type: 'boolean', default: 'false', effect: false, synonyms: [{ name: 'log.preallocate' }] },
  { name: 'remote.storage.enable', type: 'boolean', default: 'false', effect: false, synonyms: [] },
  { name: 'retention.bytes', type: 'long', default: '-1', synonyms: [{ name: 'log.retention.bytes' }] },
  {
    name: 'retention.ms',
    type: 'long',
    default: '604800000',
    min: -1,
    synonyms: [{ name: 'log.retention.ms' }, { name: 'log.retention.minutes', factor: 60_000 }, { name: 'log.retention.hours', factor: 3_600_000 }],
  },
  { name: 'segment.bytes', type: 'int', default: '1073741824', min: 14, synonyms: [{ name: 'log.segment.bytes' }] },
  { name: 'segment.index.bytes', type: 'int', default: '10485760', min: 4, synonyms: [{ name: 'log.index.size.max.bytes' }] },
  { name: 'segment.jitter.ms', type: 'long', default: '0', min: 0, synonyms: [{ name: 'log.roll.jitter.ms' }, { name: 'log.roll.jitter.hours', factor: 3_600_000 }] },
  { name: 'segment.ms', type: 'long', default: '604800000', min: 1, synonyms: [{ name: 'log.roll.ms' }, { name: 'log.roll.hours', factor: 3_600_000 }] },
  { name: 'unclean.leader.election.enable', type: 'boolean', default: 'false', effect: false, synonyms: [{ name: 'unclean.leader.election.enable' }] },
];

export const TOPIC_CONFIG_BY_NAME: ReadonlyMap<string, TopicConfigDef> = new Map(TOPIC_CONFIGS.map((d) => [d.name, d]));

const d = (def: ConfigDef): ConfigDef => def;

export const BROKER_CONFIGS: readonly ConfigDef[] = [
  // Identity and listeners
  d({ name: 'node.id', type: 'int', default: '1', min: 0 }),
  d({ name: 'broker.id', type: 'int', default: null, min: -1 }),
  d({ name: 'listeners', type: 'list', default: 'PLAINTEXT://:9092' }),
  d({ name: 'advertised.listeners', type: 'list', default: null }),
  d({ name: 'listener.security.protocol.map', type: 'list', default: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT', effect: false }),
  d({ name: 'inter.broker.listener.name', type: 'string', default: null, effect: false }),
  d({ name: 'controller.listener.names', type: 'list', default: null, effect: false }),
  d({ name: 'controller.quorum.voters', type: 'list', default: '', effect: false }),
  d({ name: 'controller.quorum.bootstrap.servers', type: 'list', default: '', effect: false }),
  d({ name: 'process.roles', type: 'list', default: 'broker,controller', effect: false }),
  d({ name: 'broker.rack', type: 'string', default: null }),
  // Storage
  d({ name: 'log.dirs', type: 'list', default: null }),
  d({ name: 'log.dir', type: 'string', default: '/tmp/kafka-logs' }),
  d({ name: 'metadata.log.dir', type: 'string', default: null }),
  // Topics
  d({ name: 'num.partitions', type: 'int', default: '1', min: 1 }),
  d({ name: 'default.replication.factor', type: 'int', default: '1', min: 1 }),
  d({ name: 'auto.create.topics.enable', type: 'boolean', default: 'true' }),
  d({ name: 'delete.topic.enable', type: 'boolean', default: 'true' }),
  // Size limits and request handling
  d({ name: 'message.max.bytes', type: 'int', default: '1048588', min: 0, dynamic: true }),
  d({ name: 'socket.request.max.bytes', type: 'int', default: '104857600', min: 1 }),
  d({ name: 'queued.max.requests', type: 'int', default: '500', min: 1 }),
  d({ name: 'socket.send.buffer.bytes', type: 'int', default: '102400' }),
  d({ name: 'socket.receive.buffer.bytes', type: 'int', default: '102400' }),
  d({ name: 'connections.max.idle.ms', type: 'long', default: '600000' }),
  d({ name: 'num.network.threads', type: 'int', default: '3', min: 1, effect: false }),
  d({ name: 'num.io.threads', type: 'int', default: '8', min: 1, effect: false }),
  d({ name: 'background.threads', type: 'int', default: '10', min: 1, effect: false }),
  d({ name: 'num.recovery.threads.per.data.dir', type: 'int', default: '2', min: 1, effect: false }),
  d({ name: 'num.replica.fetchers', type: 'int', default: '1', effect: false }),
  // Segments and indexes
  d({ name: 'log.segment.bytes', type: 'int', default: '1073741824', min: 14, dynamic: true }),
  d({ name: 'log.roll.ms', type: 'long', default: null, min: 1, dynamic: true }),
  d({ name: 'log.roll.hours', type: 'int', default: '168', min: 1 }),
  d({ name: 'log.roll.jitter.ms', type: 'long', default: null, dynamic: true }),
  d({ name: 'log.roll.jitter.hours', type: 'int', default: '0', min: 0 }),
  d({ name: 'log.index.size.max.bytes', type: 'int', default: '10485760', min: 4, dynamic: true }),
  d({ name: 'log.index.interval.bytes', type: 'int', default: '4096', min: 0, dynamic: true }),
  d({ name: 'log.preallocate', type: 'boolean', default: 'false', effect: false }),
  d({ name: 'log.segment.delete.delay.ms', type: 'long', default: '60000', min: 0, dynamic: true }),
  // Flushing
  d({ name: 'log.flush.interval.messages', type: 'long', default: LONG_MAX, min: 1, dynamic: true }),
  d({ name: 'log.flush.interval.ms', type: 'long', default: null, dynamic: true }),
  d({ name: 'log.flush.scheduler.interval.ms', type: 'long', default: LONG_MAX }),
  d({ name: 'log.flush.offset.checkpoint.interval.ms', type: 'int', default: '60000', min: 0 }),
  d({ name: 'log.flush.start.offset.checkpoint.interval.ms', type: 'int', default: '60000', min: 0 }),
  // Retention (enforced: Log.deleteOldSegments) and cleaning (compaction parsed, not enforced yet)
  d({ name: 'log.retention.ms', type: 'long', default: null, dynamic: true }),
  d({ name: 'log.retention.minutes', type: 'int', default: null }),
  d({ name: 'log.retention.hours', type: 'int', default: '168' }),
  d({ name: 'log.retention.bytes', type: 'long', default: '-1', dynamic: true }),
  d({ name: 'log.retention.check.interval.ms', type: 'long', default: '300000', min: 1 }),
  d({ name: 'log.cleanup.policy', type: 'list', default: 'delete', validValues: ['delete', 'compact'], dynamic: true }),
  d({ name: 'log.cleaner.enable', type: 'boolean', default: 'true' }),
  d({ name: 'log.cleaner.threads', type: 'int', default: '1', min: 0, effect: false }),
  d({ name: 'log.cleaner.backoff.ms', type: 'long', default: '15000', min: 0 }),
  d({ name: 'log.cleaner.dedupe.buffer.size', type: 'long', default: '134217728' }),
  d({ name: 'log.cleaner.io.buffer.size', type: 'int', default: '524288', min: 0 }),
  d({ name: 'log.cleaner.io.buffer.load.factor', type: 'double', default: '0.9' }),
  d({ name: 'log.cleaner.io.max.bytes.per.second', type: 'double', default: '1.7976931348623157E308' }),
  d({ name: 'log.cleaner.min.cleanable.ratio', type: 'double', default: '0.5', min: 0, max: 1, dynamic: true }),
  d({ name: 'log.cleaner.delete.retention.ms', type: 'long', default: '86400000', min: 0, dynamic: true }),
  d({ name: 'log.cleaner.min.compaction.lag.ms', type: 'long', default: '0', min: 0, dynamic: true }),
  d({ name: 'log.cleaner.max.compaction.lag.ms', type: 'long', default: LONG_MAX, min: 1, dynamic: true }),
  d({ name: 'log.local.retention.ms', type: 'long', default: '-2', effect: false }),
  d({ name: 'log.local.retention.bytes', type: 'long', default: '-2', effect: false }),
  // Message format
  d({ name: 'log.message.timestamp.type', type: 'string', default: 'CreateTime', validValues: ['CreateTime', 'LogAppendTime'], dynamic: true }),
  d({ name: 'log.message.timestamp.before.max.ms', type: 'long', default: LONG_MAX, min: 0, dynamic: true }),
  d({ name: 'log.message.timestamp.after.max.ms', type: 'long', default: '3600000', min: 0, dynamic: true }),
  d({ name: 'compression.type', type: 'string', default: 'producer', validValues: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'], dynamic: true }),
  d({ name: 'compression.gzip.level', type: 'int', default: '-1', min: -1, max: 9, dynamic: true }),
  d({ name: 'compression.lz4.level', type: 'int', default: '9', min: 1, max: 17, dynamic: true }),
  d({ name: 'compression.zstd.level', type: 'int', default: '3', min: -131072, max: 22, dynamic: true }),
  // Replication (single node: accepted, no effect)
  d({ name: 'min.insync.replicas', type: 'int', default: '1', min: 1, dynamic: true }),
  d({ name: 'unclean.leader.election.enable', type: 'boolean', default: 'false', effect: false }),
  d({ name: 'replica.lag.time.max.ms', type: 'long', default: '30000', effect: false }),
  d({ name: 'replica.fetch.max.bytes', type: 'int', default: '1048576', effect: false }),
  d({ name: 'replica.fetch.wait.max.ms', type: 'int', default: '500', effect: false }),
  d({ name: 'replica.fetch.min.bytes', type: 'int', default: '1', effect: false }),
  d({ name: 'replica.socket.timeout.ms', type: 'int', default: '30000', effect: false }),
  d({ name: 'replica.socket.receive.buffer.bytes', type: 'int', default: '65536', effect: false }),
  d({ name: 'replica.high.watermark.checkpoint.interval.ms', type: 'long', default: '5000', effect: false }),
  d({ name: 'auto.leader.rebalance.enable', type: 'boolean', default: 'true', effect: false }),
  d({ name: 'leader.imbalance.per.broker.percentage', type: 'int', default: '10', effect: false }),
  d({ name: 'leader.imbalance.check.interval.seconds', type: 'long', default: '300', effect: false }),
  d({ name: 'controlled.shutdown.enable', type: 'boolean', default: 'true', effect: false }),
  // Group coordinator and internal topics (used by the group coordinator)
  d({ name: 'offsets.topic.num.partitions', type: 'int', default: '50', min: 1 }),
  d({ name: 'offsets.topic.replication.factor', type: 'short', default: '3', min: 1 }),
  d({ name: 'offsets.topic.segment.bytes', type: 'int', default: '104857600', min: 1 }),
  d({ name: 'offsets.retention.minutes', type: 'int', default: '10080', min: 1 }),
  d({ name: 'offsets.retention.check.interval.ms', type: 'long', default: '600000', min: 1 }),
  d({ name: 'offset.metadata.max.bytes', type: 'int', default: '4096' }),
  d({ name: 'group.initial.rebalance.delay.ms', type: 'int', default: '3000', min: 0 }),
  d({ name: 'group.min.session.timeout.ms', type: 'int', default: '6000' }),
  d({ name: 'group.max.session.timeout.ms', type: 'int', default: '1800000' }),
  d({ name: 'group.max.size', type: 'int', default: String(INT_MAX), min: 1 }),
  // KIP-848 consumer groups (ConsumerGroupHeartbeat)
  d({ name: 'group.consumer.heartbeat.interval.ms', type: 'int', default: '5000', min: 1 }),
  d({ name: 'group.consumer.min.heartbeat.interval.ms', type: 'int', default: '5000', min: 1, effect: false }),
  d({ name: 'group.consumer.max.heartbeat.interval.ms', type: 'int', default: '15000', min: 1, effect: false }),
  d({ name: 'group.consumer.session.timeout.ms', type: 'int', default: '45000', min: 1 }),
  d({ name: 'group.consumer.min.session.timeout.ms', type: 'int', default: '45000', min: 1, effect: false }),
  d({ name: 'group.consumer.max.session.timeout.ms', type: 'int', default: '60000', min: 1, effect: false }),
  d({ name: 'group.consumer.max.size', type: 'int', default: String(INT_MAX), min: 1 }),
  d({ name: 'group.consumer.assignors', type: 'list', default: 'uniform,range' }),
  d({ name: 'transaction.state.log.num.partitions', type: 'int', default: '50', min: 1 }),
  d({ name: 'transaction.state.log.replication.factor', type: 'short', default: '3', min: 1 }),
  d({ name: 'transaction.state.log.min.isr', type: 'int', default: '2', min: 1 }),
  d({ name: 'transaction.max.timeout.ms', type: 'int', default: '900000', min: 1 }),
  d({ name: 'transactional.id.expiration.ms', type: 'int', default: '604800000', min: 1 }),
  d({ name: 'producer.id.expiration.ms', type: 'int', default: '86400000', min: 1 }),
  d({ name: 'max.incremental.fetch.session.cache.slots', type: 'int', default: '1000', min: 0 }),
  // ZooKeeper-era keys still found in old config files (the seed's among them)
  d({ name: 'zookeeper.connect', type: 'string', default: null, effect: false }),
  d({ name: 'zookeeper.connection.timeout.ms', type: 'int', default: null, effect: false }),
  d({ name: 'zookeeper.session.timeout.ms', type: 'int', default: '18000', effect: false }),
  d({ name: 'group.coordinator.rebalance.protocols', type: 'list', default: 'classic,consumer', effect: false }),
];

export const BROKER_CONFIG_BY_NAME: ReadonlyMap<string, ConfigDef> = new Map(BROKER_CONFIGS.map((c) => [c.name, c]));

/** DescribeConfigs' ConfigSource values. */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

/** DescribeConfigs' ConfigType values (KIP-569). */
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

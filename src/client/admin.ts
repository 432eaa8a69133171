/**
 * The admin client: topics, partitions, configs and the cluster, over one connection to a
 * bootstrap broker, against Tributary or Apache Kafka. Each call sends the highest version both
 * sides know (Connection.versionFor) and fills the request for it.
 *
 * Requests go to the bootstrap broker. In a Kafka 4 cluster that is enough for the topic and
 * config calls here: a broker forwards CreateTopics, DeleteTopics, CreatePartitions and
 * IncrementalAlterConfigs to the controller; a broker resource's configs must be asked of that
 * broker (connect to it).
 *
 * Errors: a call that fails as a whole rejects with the connection's error (ClientError or
 * KafkaProtocolError). A call about several topics or resources applies what it can; when any of
 * them failed it then rejects with an AdminError that lists each failure (as the Java
 * AdminClient fails each topic's future), never silently.
 */
import { ErrorCode } from '../protocol/errors.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import { ApiKey } from '../protocol/messages/index.js';
import { parseHostPort } from './brokers.js';
import { Connection, type ConnectionOptions } from './connection.js';

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const RESOURCE_TYPE = { topic: 2, broker: 4 } as const;
// The names of the Java AdminClient's ConfigEntry.ConfigSource (the protocol's TOPIC_CONFIG is DYNAMIC_TOPIC_CONFIG there).
const CONFIG_SOURCES = ['UNKNOWN', 'DYNAMIC_TOPIC_CONFIG', 'DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG', 'DEFAULT_CONFIG', 'DYNAMIC_BROKER_LOGGER_CONFIG', 'DYNAMIC_CLIENT_METRICS_CONFIG', 'DYNAMIC_GROUP_CONFIG'] as const;
const ALTER_OPS = { set: 0, delete: 1, append: 2, subtract: 3 } as const;

export interface AdminOptions extends Partial<Omit<ConnectionOptions, 'host' | 'port'>> {
  /** `host:port` of a broker. */
  bootstrap: string;
  /** How long the broker may take for topic creation and deletion (the requests' timeoutMs). Default 30000. */
  operationTimeoutMs?: number;
}

export interface NewTopic {
  name: string;
  /** Default: the broker's num.partitions (-1 in the request). */
  partitions?: number;
  /** Default: the broker's default.replication.factor (-1 in the request). */
  replicationFactor?: number;
  configs?: Readonly<Record<string, string>>;
}

export interface PartitionDescription {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offline: number[];
}

export interface TopicDescription {
  name: string;
  topicId: string;
  internal: boolean;
  partitions: PartitionDescription[];
}

export type ConfigResource = { type: keyof typeof RESOURCE_TYPE; name: string };

export type ConfigSourceName = (typeof CONFIG_SOURCES)[number];

export interface ConfigEntry {
  name: string;
  value: string | null;
  source: ConfigSourceName;
  isDefault: boolean;
  readOnly: boolean;
  sensitive: boolean;
  /** Where else the value could come from, highest precedence first (only with includeSynonyms). */
  synonyms: Array<{ name: string; value: string | null; source: ConfigSourceName }>;
}

export interface AlterConfigOp {
  name: string;
  /** `set` (default), `delete` (back to the default), `append` / `subtract` (list values). */
  op?: keyof typeof ALTER_OPS;
  value?: string | null;
}

export interface ClusterDescription {
  clusterId: string;
  controllerId: number;
  brokers: Array<{ nodeId: number; host: string; port: number; rack: string | null }>;
}

/** Some of the topics or resources of one call failed; `failures` says which and why. */
export class AdminError extends Error {
  override readonly name = 'AdminError';
  constructor(
    readonly operation: string,
    readonly failures: ReadonlyArray<{ resource: string; error: KafkaProtocolError }>,
  ) {
    super(`${operation} failed for ${failures.map((f) => `${f.resource} (${f.error.errorName}: ${f.error.message})`).join(', ')}`);
  }
}

type Outcome = { resource: string; errorCode: number; errorMessage: string | null };

function check(operation: string, outcomes: readonly Outcome[]): void {
  const failures = outcomes
    .filter((o) => o.errorCode !== ErrorCode.NONE)
    .map((o) => ({ resource: o.resource, error: new KafkaProtocolError(o.errorCode, o.errorMessage ?? undefined) }));
  if (failures.length > 0) throw new AdminError(operation, failures);
}

export class Admin {
  private constructor(
    private readonly conn: Connection,
    private readonly timeoutMs: number,
  ) {}

  static async connect(opts: AdminOptions): Promise<Admin> {
    const { bootstrap, operationTimeoutMs, ...rest } = opts;
    const conn = await Connection.connect({ clientId: 'tributary-admin', ...rest, ...parseHostPort(bootstrap) });
    return new Admin(conn, operationTimeoutMs ?? 30_000);
  }

  async close(): Promise<void> {
    await this.conn.close();
  }

  /** Creates the topics (validateOnly: only checks them). Rejects with AdminError if any failed. */
  async createTopics(topics: readonly NewTopic[], opts: { validateOnly?: boolean } = {}): Promise<void> {
    const res = await this.conn.send(ApiKey.CreateTopics, {
      topics: topics.map((t) => ({
        name: t.name,
        numPartitions: t.partitions ?? -1,
        replicationFactor: t.replicationFactor ?? -1,
        assignments: [],
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
      timeoutMs: this.timeoutMs,
      validateOnly: opts.validateOnly ?? false,
    });
    check('createTopics', res.topics.map((t) => ({ resource: t.name, errorCode: t.errorCode, errorMessage: t.errorMessage })));
  }

  /** Deletes the topics by name. Rejects with AdminError if any failed (UNKNOWN_TOPIC_OR_PARTITION, ...). */
  async deleteTopics(names: readonly string[]): Promise<void> {
    const byId = this.conn.versionFor(ApiKey.DeleteTopics) >= 6;
    const res = await this.conn.send(ApiKey.DeleteTopics, {
      topics: byId ? names.map((name) => ({ name, topicId: ZERO_UUID })) : [],
      topicNames: byId ? [] : [...names],
      timeoutMs: this.timeoutMs,
    });
    check('deleteTopics', res.responses.map((r) => ({ resource: r.name ?? r.topicId, errorCode: r.errorCode, errorMessage: r.errorMessage })));
  }

  /** The names of all topics, sorted; internal ones (`__consumer_offsets`) only with includeInternal. */
  async listTopics(opts: { includeInternal?: boolean } = {}): Promise<string[]> {
    const md = await this.metadata(null);
    return md.topics
      .filter((t) => t.errorCode === ErrorCode.NONE && t.name !== null && (opts.includeInternal || !t.isInternal))
      .map((t) => t.name!)
      .sort();
  }

  /** Partitions, leaders and replicas of the topics. Rejects with AdminError for unknown ones. */
  async describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    const md = await this.metadata(names);
    check('describeTopics', md.topics.map((t) => ({ resource: t.name ?? t.topicId, errorCode: t.errorCode, errorMessage: null })));
    return md.topics.map((t) => ({
      name: t.name!,
      topicId: t.topicId,
      internal: t.isInternal,
      partitions: t.partitions
        .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes, offline: p.offlineReplicas }))
        .sort((a, b) => a.partition - b.partition),
    }));
  }

  /** Raises each topic's partition count to `count`. Rejects with AdminError if any failed. */
  async createPartitions(topics: ReadonlyArray<{ topic: string; count: number }>, opts: { validateOnly?: boolean } = {}): Promise<void> {
    const res = await this.conn.send(ApiKey.CreatePartitions, {
      topics: topics.map((t) => ({ name: t.topic, count: t.count, assignments: null })),
      timeoutMs: this.timeoutMs,
      validateOnly: opts.validateOnly ?? false,
    });
    check('createPartitions', res.results.map((r) => ({ resource: r.name, errorCode: r.errorCode, errorMessage: r.errorMessage })));
  }

  /** The configs of topics or brokers (all keys, or `keys`), with where each value comes from. */
  async describeConfigs(
    resources: readonly ConfigResource[],
    opts: { keys?: readonly string[]; includeSynonyms?: boolean } = {},
  ): Promise<Array<{ resource: ConfigResource; entries: ConfigEntry[] }>> {
    const res = await this.conn.send(ApiKey.DescribeConfigs, {
      resources: resources.map((r) => ({ resourceType: RESOURCE_TYPE[r.type], resourceName: r.name, configurationKeys: opts.keys ? [...opts.keys] : null })),
      includeSynonyms: opts.includeSynonyms ?? false,
      includeDocumentation: false,
    });
    check('describeConfigs', res.results.map((r) => ({ resource: r.resourceName, errorCode: r.errorCode, errorMessage: r.errorMessage })));
    return res.results.map((r, i) => ({
      resource: resources[i] ?? { type: r.resourceType === RESOURCE_TYPE.broker ? 'broker' : 'topic', name: r.resourceName },
      entries: r.configs
        .map((c) => ({
          name: c.name,
          value: c.value,
          source: CONFIG_SOURCES[c.configSource] ?? 'UNKNOWN',
          isDefault: c.configSource === 5 || (c.configSource < 0 && c.isDefault),
          readOnly: c.readOnly,
          sensitive: c.isSensitive,
          synonyms: c.synonyms.map((y) => ({ name: y.name, value: y.value, source: CONFIG_SOURCES[y.source] ?? 'UNKNOWN' })),
        }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    }));
  }

  /** Sets, deletes, appends to or subtracts from config values of one topic or broker. */
  async incrementalAlterConfigs(resource: ConfigResource, ops: readonly AlterConfigOp[], opts: { validateOnly?: boolean } = {}): Promise<void> {
    const res = await this.conn.send(ApiKey.IncrementalAlterConfigs, {
      resources: [
        {
          resourceType: RESOURCE_TYPE[resource.type],
          resourceName: resource.name,
          configs: ops.map((o) => ({ name: o.name, configOperation: ALTER_OPS[o.op ?? 'set'], value: o.op === 'delete' ? null : (o.value ?? null) })),
        },
      ],
      validateOnly: opts.validateOnly ?? false,
    });
    check('incrementalAlterConfigs', res.responses.map((r) => ({ resource: r.resourceName, errorCode: r.errorCode, errorMessage: r.errorMessage })));
  }

  /** The cluster id, the controller and the brokers, from Metadata. */
  async describeCluster(): Promise<ClusterDescription> {
    const md = await this.metadata([]);
    return {
      clusterId: md.clusterId ?? '',
      controllerId: md.controllerId,
      brokers: md.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })).sort((a, b) => a.nodeId - b.nodeId),
    };
  }

  /** Metadata for these topics (null: all, []: none), never creating any. */
  private metadata(names: readonly string[] | null) {
    const v0 = this.conn.versionFor(ApiKey.Metadata) === 0;
    if (v0 && names !== null && names.length === 0) throw new KafkaProtocolError(ErrorCode.UNSUPPORTED_VERSION, 'Metadata v0 cannot ask for no topics');
    return this.conn.send(ApiKey.Metadata, {
      topics: names === null ? (v0 ? [] : null) : names.map((name) => ({ topicId: ZERO_UUID, name })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
  }
}

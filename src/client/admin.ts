/**
 * The admin client: topics, partitions, configs, consumer groups and the cluster, against
 * Tributary or Apache Kafka. Each call sends the highest version both sides know
 * (Connection.versionFor) and fills the request for it.
 *
 * Topic, config and cluster requests go to the bootstrap broker. In a Kafka 4 cluster that is
 * enough: a broker forwards CreateTopics, DeleteTopics, CreatePartitions and
 * IncrementalAlterConfigs to the controller; a broker resource's configs must be asked of that
 * broker (connect to it). Group calls go to the group's coordinator (FindCoordinator), listGroups
 * asks every broker and listOffsets each partition's leader, over connections kept per broker.
 *
 * Errors: a call that fails as a whole rejects with the connection's error (ClientError or
 * KafkaProtocolError). A call about several topics or resources applies what it can; when any of
 * them failed it then rejects with an AdminError that lists each failure (as the Java
 * AdminClient fails each topic's future), never silently.
 */
import { ErrorCode } from '../protocol/errors.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import { ApiKey } from '../protocol/messages/index.js';
import { ZERO_UUID } from '../protocol/primitives/index.js';
import { commitOffsets, decodeAssignment, fetchCommitted, findCoordinator, type TopicPartitionRef } from './consumer-protocol.js';
import { Connection, parseHostPort, type ConnectionOptions } from './connection.js';
import { alterUserScram, describeUserScram, type ScramAlteration, type UserScramCredentials } from './admin-scram.js';
import { alterQuotas, describeQuotas, type ClientQuotaAlteration, type ClientQuotaEntry, type ClientQuotaFilter } from './admin-quotas.js';
import { AdminError, isUnreachable } from './errors.js';
export { AdminError } from './errors.js';
import {
  alterPartitionReassignments,
  describeTopicPartitions,
  electLeaders,
  listPartitionReassignments,
  type ElectionType,
  type LogDirReplica,
  type PartitionOutcome,
  type PartitionReassignment,
  type ReassignmentTarget,
} from './admin-replicas.js';
export type { ElectionType, LogDirReplica, PartitionOutcome, PartitionReassignment, ReassignmentTarget } from './admin-replicas.js';
import type { AbortTransactionSpec, ListTransactionsFilters, ProducerState, TransactionDescription, TransactionListing } from './admin-txn.js';
import * as txn from './admin-txn-cluster.js';
import type { HangingSearch, HangingTransaction, TxnAdminDeps } from './admin-txn-cluster.js';
export type { AbortTransactionSpec, ListTransactionsFilters, ProducerState, TransactionDescription, TransactionListing } from './admin-txn.js';
export type { HangingSearch, HangingTransaction } from './admin-txn-cluster.js';
import * as logDirs from './admin-log-dirs.js';
import type { LogDirAdminDeps } from './admin-log-dirs.js';
import { deleteRecordsOn, listOffsetsOn, type LogDirDescription, type PartitionResult } from './admin-records.js';
export type { LogDirDescription, PartitionResult, ReplicaInfo } from './admin-records.js';
import { createAcls, deleteAcls, describeAcls, type AclBinding, type AclBindingFilter } from './admin-acls.js';
export { ACL_FILTER_ANY, type AclBinding, type AclBindingFilter } from './admin-acls.js';
export type { ClientQuotaAlteration, ClientQuotaEntity, ClientQuotaEntry, ClientQuotaFilter, ClientQuotaFilterComponent } from './admin-quotas.js';
const RESOURCE_TYPE = { topic: 2, broker: 4, group: 32 } as const;
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
  /** The replicas of each partition (partition i: assignments[i], its first the preferred leader); replaces partitions and replicationFactor. */
  assignments?: ReadonlyArray<readonly number[]>;
  configs?: Readonly<Record<string, string>>;
}

export interface PartitionDescription {
  partition: number;
  /** -1: no leader (the partition is offline). */
  leader: number;
  leaderEpoch: number;
  /** The assigned replicas, the first the preferred leader. */
  replicas: number[];
  isr: number[];
  /** Eligible leader replicas (KIP-966); null when the broker does not say (it lacks DescribeTopicPartitions). */
  elr: number[] | null;
  lastKnownElr: number[] | null;
  /** Replicas on a broker that is down or whose log directory failed. */
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

export interface GroupListing {
  groupId: string;
  /** `consumer` for consumer groups (either protocol), '' for groups that only keep offsets. */
  protocolType: string;
  state: string;
  /** `classic` or `consumer` (KIP-848), where the broker says (ListGroups v5+). */
  type: string;
}

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** The partitions its consumer-protocol assignment gives it (empty for other protocols). */
  assignment: TopicPartitionRef[];
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  /** The assignor the group chose (`range`, `cooperative-sticky`, ...). */
  protocol: string;
  members: GroupMemberDescription[];
}

export interface CommittedOffset extends TopicPartitionRef {
  offset: bigint;
  metadata: string | null;
}

type Outcome = { resource: string; errorCode: number; errorMessage: string | null };

function check(operation: string, outcomes: readonly Outcome[]): void {
  const failures = outcomes
    .filter((o) => o.errorCode !== ErrorCode.NONE)
    .map((o) => ({ resource: o.resource, error: new KafkaProtocolError(o.errorCode, o.errorMessage ?? undefined) }));
  if (failures.length > 0) throw new AdminError(operation, failures);
}

export class Admin {
  private bootstrapNode: number | undefined;
  private readonly others = new Map<number, Connection>();

  private constructor(
    private readonly conn: Connection,
    private readonly timeoutMs: number,
    private readonly connOpts: Partial<ConnectionOptions>,
  ) {}

  static async connect(opts: AdminOptions): Promise<Admin> {
    const { bootstrap, operationTimeoutMs, ...rest } = opts;
    const conn = await Connection.connect({ clientId: 'tributary-admin', ...rest, ...parseHostPort(bootstrap) });
    return new Admin(conn, operationTimeoutMs ?? 30_000, { clientId: 'tributary-admin', ...rest });
  }

  async close(): Promise<void> {
    await Promise.all([...this.others.values()].map((c) => c.close()));
    await this.conn.close();
  }

  /** Creates the topics (validateOnly: only checks them). Rejects with AdminError if any failed. */
  async createTopics(topics: readonly NewTopic[], opts: { validateOnly?: boolean } = {}): Promise<void> {
    const res = await this.conn.send(ApiKey.CreateTopics, {
      topics: topics.map((t) => ({
        name: t.name,
        numPartitions: t.assignments ? -1 : (t.partitions ?? -1),
        replicationFactor: t.assignments ? -1 : (t.replicationFactor ?? -1),
        assignments: (t.assignments ?? []).map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds: [...brokerIds] })),
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

  /**
   * Partitions, leaders, replicas, ISR and offline replicas of the topics, in the order asked;
   * eligible leader replicas too where the broker serves DescribeTopicPartitions (as the Java
   * AdminClient, Metadata otherwise). Rejects with AdminError for unknown ones.
   */
  async describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    if (names.length > 0 && this.conn.apiVersions?.has(ApiKey.DescribeTopicPartitions)) {
      const views = await describeTopicPartitions(this.conn, names);
      check('describeTopics', views.map((t) => ({ resource: t.name, errorCode: t.errorCode, errorMessage: null })));
      const byName = new Map(views.map((v) => [v.name, v]));
      return names.flatMap((n) => {
        const v = byName.get(n);
        return v ? [{ name: v.name, topicId: v.topicId, internal: v.internal, partitions: v.partitions }] : [];
      });
    }
    const md = await this.metadata(names);
    check('describeTopics', md.topics.map((t) => ({ resource: t.name ?? t.topicId, errorCode: t.errorCode, errorMessage: null })));
    return md.topics.map((t) => ({
      name: t.name!,
      topicId: t.topicId,
      internal: t.isInternal,
      partitions: t.partitions
        .map((p) => ({
          partition: p.partitionIndex,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          elr: null,
          lastKnownElr: null,
          offline: p.offlineReplicas,
        }))
        .sort((a, b) => a.partition - b.partition),
    }));
  }

  /**
   * Raises each topic's partition count to `count`; `assignments` places the new partitions (one
   * replica list each, in partition order). Rejects with AdminError if any failed.
   */
  async createPartitions(
    topics: ReadonlyArray<{ topic: string; count: number; assignments?: ReadonlyArray<readonly number[]> }>,
    opts: { validateOnly?: boolean } = {},
  ): Promise<void> {
    const res = await this.conn.send(ApiKey.CreatePartitions, {
      topics: topics.map((t) => ({ name: t.topic, count: t.count, assignments: t.assignments ? t.assignments.map((b) => ({ brokerIds: [...b] })) : null })),
      timeoutMs: this.timeoutMs,
      validateOnly: opts.validateOnly ?? false,
    });
    check('createPartitions', res.results.map((r) => ({ resource: r.name, errorCode: r.errorCode, errorMessage: r.errorMessage })));
  }

  /** The configs of topics, brokers or groups (all keys, or `keys`), with where each value comes from. */
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
      resource: resources[i] ?? { type: r.resourceType === RESOURCE_TYPE.broker ? 'broker' : r.resourceType === RESOURCE_TYPE.group ? 'group' : 'topic', name: r.resourceName },
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

  /** Sets, deletes, appends to or subtracts from config values of one topic, broker or group. */
  async incrementalAlterConfigs(resource: ConfigResource, ops: readonly AlterConfigOp[], opts: { validateOnly?: boolean } = {}): Promise<void> {
    const res = await (await this.resourceConnection(resource)).send(ApiKey.IncrementalAlterConfigs, {
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

  /**
   * Where a config request about `resource` goes: one broker's own configs to that broker (a
   * broker refuses another's id, as Kafka's do), everything else to the bootstrap broker.
   */
  private async resourceConnection(resource: ConfigResource): Promise<Connection> {
    if (resource.type !== 'broker' || !/^\d+$/.test(resource.name)) return this.conn;
    const b = (await this.metadata([])).brokers.find((x) => x.nodeId === Number(resource.name));
    return b ? this.brokerConnection(b.nodeId, b.host, b.port) : this.conn;
  }

  // -------------------------------------------------------------------------------------------
  // Leaders and replica placement: the requests go to the controller Metadata names (in a Kafka 4
  // cluster any broker, which forwards them); a NOT_CONTROLLER answer is retried once on the new one.

  /**
   * Elects leaders: PREFERRED gives each partition back to its first replica, UNCLEAN elects any
   * live replica where there is no leader. partitions null: every partition the election applies
   * to (the broker reports only those it acted on). Each partition's outcome comes back, error
   * ELECTION_NOT_NEEDED when its leader was already right; a failure of the whole call rejects.
   */
  /** Creates ACL bindings (CreateAcls); throws the first binding's error. */
  createAcls(bindings: readonly AclBinding[]): Promise<void> {
    return createAcls(this.conn, bindings);
  }

  /** The ACL bindings that match the filter (DescribeAcls). */
  describeAcls(filter: AclBindingFilter): Promise<AclBinding[]> {
    return describeAcls(this.conn, filter);
  }

  /** Deletes the ACL bindings each filter matches (DeleteAcls); returns them, per filter. */
  deleteAcls(filters: readonly AclBindingFilter[]): Promise<AclBinding[][]> {
    return deleteAcls(this.conn, filters);
  }

  electLeaders(type: ElectionType, partitions: readonly TopicPartitionRef[] | null): Promise<PartitionOutcome[]> {
    return this.onController((c) => electLeaders(c, type, partitions, this.timeoutMs));
  }

  /**
   * Starts moving partitions to new replica lists (replicas null cancels a partition's ongoing
   * move). Rejects with AdminError naming each partition (`topic-partition`) that failed, after
   * the others started.
   */
  async alterPartitionReassignments(targets: readonly ReassignmentTarget[], opts: { allowReplicationFactorChange?: boolean } = {}): Promise<void> {
    const results = await this.onController((c) => alterPartitionReassignments(c, targets, { timeoutMs: this.timeoutMs, ...opts }));
    check('alterPartitionReassignments', results.map((r) => ({ resource: `${r.topic}-${r.partition}`, errorCode: r.error?.code ?? ErrorCode.NONE, errorMessage: r.error?.message ?? null })));
  }

  /** The ongoing reassignments (of these partitions, or all), sorted by topic and partition. */
  listPartitionReassignments(partitions: readonly TopicPartitionRef[] | null = null): Promise<PartitionReassignment[]> {
    return this.onController((c) => listPartitionReassignments(c, partitions, this.timeoutMs));
  }

  /**
   * Where each broker keeps its replicas of these topics (DescribeLogDirs on every broker that
   * holds one): the current directory, and the future one of a replica being moved between them.
   */
  describeReplicaLogDirs(topics: readonly string[]): Promise<Array<LogDirReplica & { broker: number }>> {
    return logDirs.describeReplicaLogDirs(this.logDirDeps(), topics);
  }

  /** Moves replicas between the log directories of their broker. Rejects with AdminError (`topic-partition-broker`) for those that failed. */
  async alterReplicaLogDirs(moves: ReadonlyArray<TopicPartitionRef & { broker: number; logDir: string }>): Promise<void> {
    check('alterReplicaLogDirs', await logDirs.alterReplicaLogDirs(this.logDirDeps(), moves));
  }

  /**
   * Runs `call` on the controller's connection, once more on the new controller after
   * NOT_CONTROLLER. A controller that cannot be reached (a broker that died and is not fenced yet
   * is still named) is passed over for the bootstrap broker, which in Kafka 4 forwards the request.
   */
  private async onController<T>(call: (c: Connection) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const md = await this.metadata([]);
      const b = md.brokers.find((x) => x.nodeId === md.controllerId);
      let conn = this.conn;
      if (b) conn = await this.brokerConnection(b.nodeId, b.host, b.port).catch((err: unknown) => (isUnreachable(err) ? this.conn : Promise.reject(err)));
      try {
        return await call(conn);
      } catch (err) {
        if (attempt === 0 && err instanceof KafkaProtocolError && err.code === ErrorCode.NOT_CONTROLLER) continue;
        throw err;
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Consumer groups: each call goes to the group's coordinator (FindCoordinator).

  /** Every group of the cluster's brokers, sorted by id (optionally only in these states). */
  async listGroups(opts: { states?: readonly string[] } = {}): Promise<GroupListing[]> {
    const out: GroupListing[] = [];
    const cluster = await this.describeCluster();
    for (const b of cluster.brokers) {
      const conn = await this.brokerConnection(b.nodeId, b.host, b.port);
      const res = await conn.send(ApiKey.ListGroups, { statesFilter: opts.states ? [...opts.states] : [], typesFilter: [] });
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(res.errorCode, `ListGroups on broker ${b.nodeId}`);
      for (const g of res.groups) out.push({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState, type: g.groupType });
    }
    return out.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /** State, members and their assignments. An unknown group comes back in state Dead, as from Kafka. */
  async describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    const out: GroupDescription[] = [];
    const failed: Outcome[] = [];
    for (const groupId of groupIds) {
      const conn = await this.coordinator(groupId);
      const res = await conn.send(ApiKey.DescribeGroups, { groups: [groupId], includeAuthorizedOperations: false });
      const g = res.groups[0];
      if (!g) continue;
      if (g.errorCode !== ErrorCode.NONE && g.errorCode !== ErrorCode.GROUP_ID_NOT_FOUND) {
        failed.push({ resource: groupId, errorCode: g.errorCode, errorMessage: null });
        continue;
      }
      out.push({
        groupId,
        state: g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND ? 'Dead' : g.groupState,
        protocolType: g.protocolType,
        protocol: g.protocolData,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          assignment: g.protocolType === 'consumer' ? decodeAssignment(m.memberAssignment) : [],
        })),
      });
    }
    check('describeGroups', failed);
    return out;
  }

  /** The group's committed offsets, sorted by topic and partition. */
  async listConsumerGroupOffsets(groupId: string): Promise<CommittedOffset[]> {
    try {
      return await fetchCommitted(await this.coordinator(groupId), groupId);
    } catch (err) {
      if (err instanceof KafkaProtocolError) throw new AdminError('listConsumerGroupOffsets', [{ resource: groupId, error: err }]);
      throw err;
    }
  }

  /** Commits offsets for a group that has no active members (as kafka-consumer-groups --reset-offsets does). */
  async alterConsumerGroupOffsets(groupId: string, offsets: ReadonlyArray<TopicPartitionRef & { offset: bigint }>): Promise<void> {
    const results = await commitOffsets(await this.coordinator(groupId), groupId, offsets);
    check('alterConsumerGroupOffsets', results.map((r) => ({ resource: `${r.topic}-${r.partition}`, errorCode: r.errorCode, errorMessage: null })));
  }

  /** The SCRAM mechanisms and iterations of users (all users with credentials when `users` is omitted). */
  async describeUserScramCredentials(users?: readonly string[]): Promise<UserScramCredentials[]> {
    const { described, outcomes } = await describeUserScram(this.conn, users ?? null);
    check('describeUserScramCredentials', outcomes);
    return described;
  }

  /** Adds, replaces or deletes users' SCRAM credentials (the password is salted here, never sent). */
  async alterUserScramCredentials(alterations: readonly ScramAlteration[]): Promise<void> {
    check('alterUserScramCredentials', await alterUserScram(this.conn, alterations));
  }

  /** The client quotas of the entities the filter matches (Kafka's Admin.describeClientQuotas). */
  async describeClientQuotas(filter: ClientQuotaFilter): Promise<ClientQuotaEntry[]> {
    const { entries, outcomes } = await describeQuotas(this.conn, filter);
    check('describeClientQuotas', outcomes);
    return entries;
  }

  /** Sets (value) and removes (value null) client quotas; rejects with AdminError naming each failed entity. */
  async alterClientQuotas(alterations: readonly ClientQuotaAlteration[], options: { validateOnly?: boolean } = {}): Promise<void> {
    check('alterClientQuotas', await alterQuotas(this.conn, alterations, options.validateOnly === true));
  }

  /** Deletes groups (they must be empty). Rejects with AdminError if any failed (NON_EMPTY_GROUP, ...). */
  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    const outcomes: Outcome[] = [];
    for (const groupId of groupIds) {
      const conn = await this.coordinator(groupId);
      const res = await conn.send(ApiKey.DeleteGroups, { groupsNames: [groupId] });
      for (const r of res.results) outcomes.push({ resource: r.groupId, errorCode: r.errorCode, errorMessage: null });
    }
    check('deleteGroups', outcomes);
  }

  /** Offsets by time for partitions (from their leaders): 'earliest', 'latest' or the first at a timestamp. */
  async listOffsets(specs: ReadonlyArray<TopicPartitionRef & { at: 'earliest' | 'latest' | { timestamp: number } }>): Promise<Array<TopicPartitionRef & { offset: bigint }>> {
    const md = await this.metadata([...new Set(specs.map((s) => s.topic))]);
    const leaders = new Map<string, number>();
    for (const t of md.topics) for (const p of t.partitions) leaders.set(`${t.name}\u0000${p.partitionIndex}`, p.leaderId);
    const hosts = new Map(md.brokers.map((b) => [b.nodeId, b]));
    const out: Array<TopicPartitionRef & { offset: bigint }> = [];
    const failed: Outcome[] = [];
    for (const s of specs) {
      const leader = leaders.get(`${s.topic}\u0000${s.partition}`);
      const b = leader !== undefined ? hosts.get(leader) : undefined;
      if (!b) {
        failed.push({ resource: `${s.topic}-${s.partition}`, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null });
        continue;
      }
      const conn = await this.brokerConnection(b.nodeId, b.host, b.port);
      const ts = s.at === 'earliest' ? -2n : s.at === 'latest' ? -1n : BigInt(s.at.timestamp);
      const res = await conn.send(ApiKey.ListOffsets, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: s.topic, partitions: [{ partitionIndex: s.partition, currentLeaderEpoch: -1, timestamp: ts, maxNumOffsets: 1 }] }],
        timeoutMs: this.timeoutMs,
      });
      const p = res.topics[0]?.partitions[0];
      if (!p || p.errorCode !== ErrorCode.NONE) {
        failed.push({ resource: `${s.topic}-${s.partition}`, errorCode: p?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null });
        continue;
      }
      out.push({ topic: s.topic, partition: s.partition, offset: p.offset >= 0n ? p.offset : (p.oldStyleOffsets[0] ?? -1n) });
    }
    check('listOffsets', failed);
    return out;
  }

  /** Every log directory of each of these brokers (DescribeLogDirs), by broker id; brokers not in the cluster are left out. */
  describeLogDirs(brokers: readonly number[]): Promise<Map<number, LogDirDescription[]>> {
    return logDirs.describeBrokerLogDirs(this.logDirDeps(), brokers);
  }

  /**
   * Sends `call` for each partition to its leader, grouped by leader; a partition with no known
   * leader answers UNKNOWN_TOPIC_OR_PARTITION (LEADER_NOT_AVAILABLE when it has none now).
   */
  private async perLeader<S extends TopicPartitionRef, T>(
    specs: readonly S[],
    call: (conn: Connection, mine: readonly S[]) => Promise<Array<PartitionResult<T>>>,
  ): Promise<Array<PartitionResult<T>>> {
    const md = await this.metadata([...new Set(specs.map((s) => s.topic))]);
    const leaders = new Map<string, number>();
    for (const t of md.topics) for (const p of t.partitions) leaders.set(`${t.name}\u0000${p.partitionIndex}`, p.leaderId);
    const hosts = new Map(md.brokers.map((b) => [b.nodeId, b]));
    const byLeader = new Map<number, S[]>();
    const out: Array<PartitionResult<T>> = [];
    for (const s of specs) {
      const leader = leaders.get(`${s.topic}\u0000${s.partition}`);
      if (leader === undefined || !hosts.has(leader)) {
        const code = leader === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.LEADER_NOT_AVAILABLE;
        out.push({ topic: s.topic, partition: s.partition, value: null, error: new KafkaProtocolError(code) });
        continue;
      }
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), s]);
    }
    for (const [leader, mine] of byLeader) {
      const b = hosts.get(leader)!;
      out.push(...(await call(await this.brokerConnection(b.nodeId, b.host, b.port), mine)));
    }
    return out;
  }

  /** DeleteRecords: each partition's log start moves up to its offset (-1: the high watermark); the new low watermark, or the partition's error. */
  deleteRecords(specs: ReadonlyArray<TopicPartitionRef & { offset: bigint }>): Promise<Array<PartitionResult<bigint>>> {
    return this.perLeader(specs, (c, mine) => deleteRecordsOn(c, mine, this.timeoutMs));
  }

  /** ListOffsets at one timestamp (-1 latest, -2 earliest, -3 max-timestamp, or ms), per partition: the offset (-1: none), or its error. */
  listOffsetsAt(parts: readonly TopicPartitionRef[], timestamp: bigint): Promise<Array<PartitionResult<bigint>>> {
    return this.perLeader(parts, (c, mine) => listOffsetsOn(c, mine, timestamp, this.timeoutMs));
  }

  /** A connection to a broker: the bootstrap one when it is that broker, else one of its own (kept). */
  private async brokerConnection(nodeId: number, host: string, port: number): Promise<Connection> {
    if (this.bootstrapNode === undefined) this.bootstrapNode = await this.bootstrapNodeId();
    if (nodeId === this.bootstrapNode) return this.conn;
    let c = this.others.get(nodeId);
    if (!c || c.isClosed) {
      c = await Connection.connect({ ...this.connOpts, host, port } as ConnectionOptions);
      this.others.set(nodeId, c);
    }
    return c;
  }

  /** Which node the bootstrap connection reaches (the broker whose advertised port it is). */
  private async bootstrapNodeId(): Promise<number> {
    const md = await this.metadata([]);
    const { host, port } = parseHostPort(this.conn.address);
    const samePort = md.brokers.filter((b) => b.port === port);
    // A broker may advertise a name for the address we dialled: one broker on that port is it.
    return (samePort.find((b) => b.host === host) ?? (samePort.length === 1 ? samePort[0] : undefined))?.nodeId ?? -1;
  }

  /** The broker that coordinates a group. */
  findCoordinator(groupId: string): Promise<{ nodeId: number; host: string; port: number }> {
    return findCoordinator(this.conn, groupId, this.timeoutMs);
  }

  /** The connection to a group's coordinator. */
  private async coordinator(groupId: string): Promise<Connection> {
    const c = await this.findCoordinator(groupId);
    return this.brokerConnection(c.nodeId, c.host, c.port);
  }

  /** What the log-directory calls (admin-log-dirs.ts) need: the cluster view and the connections. */
  private logDirDeps(): LogDirAdminDeps {
    return {
      describeCluster: () => this.describeCluster(),
      describeTopics: (names) => this.describeTopics(names),
      connectTo: (b) => this.brokerConnection(b.nodeId, b.host, b.port),
    };
  }

  // --- transactions (admin-txn-cluster.ts) ---------------------------------------------------

  private txnDeps(): TxnAdminDeps {
    return {
      bootstrap: this.conn,
      timeoutMs: this.timeoutMs,
      describeCluster: () => this.describeCluster(),
      describeTopics: (names) => this.describeTopics(names),
      listTopics: (opts) => this.listTopics(opts),
      connectTo: (b) => this.brokerConnection(b.nodeId, b.host, b.port),
    };
  }

  /** The transactions every broker coordinates (ListTransactions to each), filtered; sorted by id. */
  listTransactions(filters: ListTransactionsFilters = {}): Promise<TransactionListing[]> {
    return txn.listTransactions(this.txnDeps(), filters);
  }

  /** The state of these transactional ids, from each one's coordinator. AdminError for ids that failed (TRANSACTIONAL_ID_NOT_FOUND, ...). */
  describeTransactions(ids: readonly string[]): Promise<TransactionDescription[]> {
    return txn.describeTransactions(this.txnDeps(), ids);
  }

  /** The producers of these partitions as their leader (or `brokerId`, a replica) keeps them (DescribeProducers). */
  describeProducers(partitions: readonly TopicPartitionRef[], opts: { brokerId?: number } = {}): Promise<Array<TopicPartitionRef & { producers: ProducerState[] }>> {
    return txn.describeProducers(this.txnDeps(), partitions, opts);
  }

  /** Aborts a producer's open transaction on one partition (WriteTxnMarkers to its leader), as Kafka's Admin.abortTransaction. */
  abortTransaction(spec: AbortTransactionSpec): Promise<void> {
    return txn.abortTransaction(this.txnDeps(), spec);
  }

  /** Open transactions that will never end (TransactionsCommand's find-hanging); see admin-txn-cluster.ts. */
  findHangingTransactions(opts: HangingSearch): Promise<HangingTransaction[]> {
    return txn.findHangingTransactions(this.txnDeps(), opts);
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

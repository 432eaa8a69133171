import { BrokerConfig, configKey } from './config/config.js';
import { Acls, fileAclStorage } from './acl/acls.js';
import { GroupConfigs } from './config/group-configs.js';
import { createLogger, type Logger } from './logger.js';
import type { BrokerContext } from './context.js';
import { handlers } from './handlers/index.js';
import { FileMetadataStore, type ClusterState } from './metadata/store.js';
import { TopicManager } from './metadata/topics.js';
import { parseListeners, type ListenerSpec } from './config/listeners.js';
import { Router } from './network/router.js';
import { NetworkServer } from './network/server.js';
import { ConnectionQuotas } from './network/connection-quotas.js';
import { ProducerIdManager, fileBlocks } from './producer-ids.js';
import { FetchSessionCache } from './fetch-sessions.js';
import { Waits } from './waits.js';
import { GroupCoordinator, groupCoordinatorConfig } from './coordinator/group-coordinator.js';
import { InternalTopicStorage, offsetsTopicSpec, OFFSETS_TOPIC } from './coordinator/storage.js';
import { systemClock, type Clock } from './coordinator/clock.js';
import { TransactionCoordinator, TRANSACTION_STATE_TOPIC, transactionTopicSpec, txnCoordinatorConfig } from './coordinator/txn-coordinator.js';
import { BrokerMarkerWriter } from './coordinator/txn-marker-writer.js';
import { LogManager } from '../storage/log-manager.js';
import { SingleNodeReplicas, type Replicas } from './replicas.js';
import { ClusterNode, clusterConnectString } from './cluster/cluster-node.js';
import { PeerConnections } from './network/peers.js';
import { interBrokerListenerName, interBrokerSecurity } from './network/inter-broker.js';
import { ReplicationThrottle } from './replication-throttle.js';
import { decompress } from '../protocol/records/compression.js';
import { verifyTxnOffsetCommit } from './txn-verification.js';
import { reportRecovery } from './recovery-report.js';
import { fileScramWriter, ScramCredentialStore } from './security/scram-store.js';
import { etcdAclStorage, etcdQuotaStorage, etcdScramWriter } from './cluster/cluster-security.js';
import { BrokerQuotas } from './quota/quotas.js';
import { listenerSetups, tlsReloads } from './network/listener-setup.js';
import { systemPropertiesOf } from './security/oauth/allowed.js';

/** A config value as the embedding API accepts it; arrays become comma-separated lists. */
export type BrokerOptionValue = string | number | boolean | readonly string[];

/**
 * Broker configuration for `Broker.start`: Kafka's keys (`'num.partitions': 3`) or their
 * camelCase forms (`numPartitions: 3`, `logDirs: [...]`, `listeners: 'PLAINTEXT://127.0.0.1:0'`).
 */
export type BrokerOptions = Record<string, BrokerOptionValue | undefined>;

export interface BrokerRuntimeOptions {
  logger?: Logger;
  now?: () => number;
  /** Time and timers for the coordinators (tests inject a manual clock); default: wall clock from `now`. */
  clock?: Clock;
  /**
   * TEST SEAM, not a Kafka feature: gives each new connection a principal from its listener name
   * and address, so tests can exercise ACLs over PLAINTEXT without SASL. Default: User:ANONYMOUS.
   */
  principalBuilder?: (c: { listenerName: string; remoteAddress: string; remotePort: number }) => string;
  /**
   * Kafka's JVM system properties that the broker honours (the OAuth allow lists,
   * org.apache.kafka.sasl.oauthbearer.allowed.urls). Default: the -D flags of KAFKA_OPTS.
   */
  systemProperties?: ReadonlyMap<string, string>;
}

function toProperties(options: BrokerOptions): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    out.push([configKey(k), Array.isArray(v) ? v.join(',') : String(v)]);
  }
  return out;
}

/**
 * A Kafka-compatible broker: `const b = await Broker.start({ listeners, logDirs })`, then
 * `await b.close()`. One node by default; with `etcd.connect` (or `zookeeper.connect`) a member
 * of a cluster coordinated by etcd (cluster/cluster-node.ts).
 */
export class Broker {
  private constructor(
    readonly config: BrokerConfig,
    readonly log: Logger,
    private readonly network: NetworkServer,
    private readonly logManager: LogManager,
    readonly topics: TopicManager,
    /** The group coordinator (tests await `groups.loaded` after a restart). */
    readonly groups: GroupCoordinator,
    /** The transaction coordinator (tests await `txns.loaded` after a restart). */
    readonly txns: TransactionCoordinator,
    /** The requests waiting in the broker (fetch long polls); close() cancels them. */
    private readonly waits: Waits,
    private readonly advertisedList: ListenerSpec[],
    /** The cluster membership; null on a single node. */
    readonly cluster: ClusterNode | null,
    private readonly peers: PeerConnections | null,
  ) {}

  static async start(options: BrokerOptions = {}, runtime: BrokerRuntimeOptions = {}): Promise<Broker> {
    const config = new BrokerConfig(toProperties(options));
    const log = runtime.logger ?? createLogger();
    for (const w of config.warnings) log.warn(w);
    const now = runtime.now ?? Date.now;
    const listeners = parseListeners(config.list('listeners'));
    if (listeners.length === 0) throw new Error('listeners is empty');

    const store = new FileMetadataStore(config.get('metadata.log.dir') ?? config.logDirs[0]!);
    const state: ClusterState = await store.load();
    for (const [scope, values] of [['broker', state.brokerConfigs], ['default', state.brokerDefaultConfigs]] as const) {
      for (const [k, v] of Object.entries(values)) {
        try {
          config.setDynamic(k, v, scope);
        } catch (err) {
          log.warn({ err }, `ignoring stored dynamic config ${k}`);
        }
      }
    }
    const connect = clusterConnectString(config, log);
    // The listener and security peers are reached with (inter.broker.listener.name and friends); checked before joining.
    const interBroker = connect ? interBrokerSecurity(config, interBrokerListenerName(config, configuredAdvertised(config, listeners))) : null;
    const cluster = connect ? await ClusterNode.open(connect, config, log) : null;
    const clusterId = cluster ? cluster.clusterId : state.clusterId;
    // A log dir of another cluster (meta.properties) refuses to open: leave etcd before failing.
    const logManager = await LogManager.open({
      logDirs: config.logDirs,
      nodeId: config.nodeId,
      clusterId,
      now,
      decompress: (codec, data) => decompress(codec, data),
      recoveryCheckpointIntervalMs: config.int('log.flush.offset.checkpoint.interval.ms'),
      logStartOffsetCheckpointIntervalMs: config.int('log.flush.start.offset.checkpoint.interval.ms'),
      retentionCheckIntervalMs: config.int('log.retention.check.interval.ms'),
      replicated: cluster !== null,
      replicaHighWatermarkCheckpointIntervalMs: config.int('replica.high.watermark.checkpoint.interval.ms'),
      cleaner: {
        enabled: config.bool('log.cleaner.enable'),
        threads: config.int('log.cleaner.threads'),
        dedupeBufferSize: config.int('log.cleaner.dedupe.buffer.size'),
        ioBufferSize: config.int('log.cleaner.io.buffer.size'),
        loadFactor: Number(config.get('log.cleaner.io.buffer.load.factor') ?? '0.9'),
        backoffMs: config.int('log.cleaner.backoff.ms'),
      },
      logger: { info: (m) => log.info(m), warn: (m) => log.warn(m) },
      onLogLoaded: (l) => reportRecovery(log, l),
    }).catch(async (err: unknown) => {
      await cluster?.close();
      throw err;
    });
    const topics = new TopicManager(state, store, logManager, config, log, cluster ? cluster.topicBackend : null);
    await topics.openAll();

    const waits = new Waits();
    const advertised: ListenerSpec[] = [];
    const producerIds = new ProducerIdManager(
      cluster
        ? (size) => cluster.store.claimProducerIdBlock(config.nodeId, size)
        : fileBlocks(state.producerIdsReservedUpTo, async (upTo) => {
            state.producerIdsReservedUpTo = upTo;
            await store.save(state);
          }),
    );
    const peers = cluster && interBroker
      ? new PeerConnections(
          config.nodeId,
          (id) => {
            const b = cluster.store.view.brokers.get(id);
            return b && (b.endpoints ? b.endpoints.find((e) => e.name === interBroker.listener) : b);
          },
          config.int('replica.socket.timeout.ms'),
          interBroker,
        )
      : null;
    if (cluster && peers) {
      cluster.attach({
        topics,
        peers,
        now,
        hooks: {
          // Called only once the broker has joined, after `groups` exists.
          onLeader: (topic, partition) => {
            if (topic === OFFSETS_TOPIC) void groups.load(partition);
            if (topic === TRANSACTION_STATE_TOPIC) void txns.load(partition);
          },
          onResign: (topic, partition) => {
            if (topic === OFFSETS_TOPIC) groups.unload(partition);
            if (topic === TRANSACTION_STATE_TOPIC) txns.unload(partition);
          },
        },
      });
    }
    const replicas: Replicas = cluster ? cluster.replicas : new SingleNodeReplicas(config.nodeId, topics);
    const groupConfigs = new GroupConfigs(state, store, config);
    // ACLs, SCRAM users and client quotas: in etcd for a cluster (every broker follows its watch), else in the metadata file.
    const fileCredentials = (state.scramCredentials ??= {});
    const scram = cluster
      ? new ScramCredentialStore(cluster.store.view.scramCredentials, etcdScramWriter(cluster.store))
      : new ScramCredentialStore(fileCredentials, fileScramWriter(fileCredentials, () => store.save(state)));
    const setups = await listenerSetups(config, listeners, scram, log, runtime.systemProperties ?? systemPropertiesOf(process.env.KAFKA_OPTS));
    const tlsListeners = setups.filter((s) => s.tls !== null).map((s) => s.name);
    const acls = Acls.fromConfig(config, cluster ? etcdAclStorage(cluster.store) : fileAclStorage(state, store));
    const quotaStorage = cluster ? etcdQuotaStorage(cluster.store) : null;
    const quotas = BrokerQuotas.fromConfig(
      config,
      quotaStorage ? quotaStorage.initial() : (state.clientQuotas ?? []),
      quotaStorage ?? {
        save: async (entries) => {
          state.clientQuotas = [...entries];
          await store.save(state);
        },
      },
    );
    quotaStorage?.follow((entries) => quotas.clientQuotas.replaceAll(entries));
    const groups = new GroupCoordinator({
      storage: new InternalTopicStorage(topics, offsetsTopicSpec(config, cluster !== null), replicas),
      clock: runtime.clock ?? systemClock(now),
      config: groupCoordinatorConfig(config),
      log,
      topicPartitions: (name) => topics.get(name)?.partitions,
      topics: () => topics.list().map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions, internal: topics.isInternal(t.name) })),
      groupConfig: (groupId) => groupConfigs.coordinatorOverrides(groupId),
      authorizerEnabled: () => acls.authorizer !== null,
      followLeadership: cluster !== null,
      // Called for requests only, once `context` below exists.
      verifyTransaction: (r) => verifyTxnOffsetCommit(context, r),
    });
    groups.start();
    const txns = new TransactionCoordinator({
      storage: new InternalTopicStorage(topics, transactionTopicSpec(config, cluster !== null), replicas),
      clock: runtime.clock ?? systemClock(now),
      config: txnCoordinatorConfig(config),
      log,
      nextProducerId: () => producerIds.nextId(),
      markers: new BrokerMarkerWriter({ nodeId: config.nodeId, replicas, topics, groups, peers, timeoutMs: config.int('request.timeout.ms'), log, now }),
      coordinatorEpoch: (partition) => Math.max(0, replicas.partition(TRANSACTION_STATE_TOPIC, partition).leaderEpoch),
      followLeadership: cluster !== null,
    });
    txns.start();
    const context: BrokerContext = {
      config,
      log,
      nodeId: config.nodeId,
      clusterId,
      advertised,
      topics,
      replicas,
      controller: cluster ? cluster.controller : null,
      peers,
      replicationThrottle: new ReplicationThrottle(() => config.int('leader.replication.throttled.rate'), now),
      producerIds,
      groups,
      txns,
      groupConfigs,
      scram,
      tlsConfigChange: (reader, changed) => {
        const reloads = tlsReloads(reader, changed, tlsListeners);
        if (typeof reloads === 'string') return reloads;
        return () => {
          for (const r of reloads) {
            if (network.reloadTls(r.listener, r.tls)) log.info({ listener: r.listener }, 'TLS certificates reloaded');
            // The inter-broker listener's stores are also what this broker presents to its peers: new connections use the new ones.
            if (peers && interBroker?.ssl && r.listener === interBroker.listener) peers.reloadTls(r.tls.context);
          }
        };
      },
      connectionLimitsChanged: () => connectionQuotas.configChanged(),
      fetchSessions: new FetchSessionCache(config.int('max.incremental.fetch.session.cache.slots'), now),
      authorizer: acls.authorizer,
      acls,
      quotas,
      supportedVersions: () => router.supportedVersions(),
      waits,
      now,
    };
    const router = new Router(handlers, context, log);
    const connectionQuotas = new ConnectionQuotas({
      config,
      // In a cluster the listener peers use (network/inter-broker.ts); a single node has no peers but keeps Kafka's naming.
      interBrokerListener: interBroker?.listener ?? (config.get('inter.broker.listener.name') ?? config.get('security.inter.broker.protocol') ?? 'PLAINTEXT').toUpperCase(),
      log,
    });
    // connection_creation_rate on ip entities (AlterClientQuotas) throttles new connections.
    const syncIpRates = (): void => connectionQuotas.replaceIpConnectionRates(quotas.clientQuotas.ipConnectionRates());
    syncIpRates();
    quotas.clientQuotas.listeners.add(syncIpRates);
    const network = new NetworkServer(
      {
        maxRequestBytes: config.int('socket.request.max.bytes'),
        maxQueuedRequests: config.int('queued.max.requests'),
        ...(runtime.principalBuilder ? { principalBuilder: runtime.principalBuilder } : {}),
      },
      router.handleFrame,
      log,
      connectionQuotas,
    );
    try {
      await network.listen(setups);
      advertised.push(...resolveAdvertised(config, network.bound));
      if (cluster) await cluster.join(advertised, interBroker!.listener, [...logManager.directoryIds.values()].sort().join(','));
    } catch (err) {
      groups.close();
      txns.close();
      await network.close().catch(() => undefined);
      await cluster?.close();
      await peers?.close();
      await logManager.close();
      throw err;
    }
    log.info({ nodeId: config.nodeId, clusterId, logDirs: config.logDirs, cluster: cluster !== null }, 'broker started');
    return new Broker(config, log, network, logManager, topics, groups, txns, waits, advertised, cluster, peers);
  }

  /** The bound listeners (ephemeral ports resolved). */
  get listeners(): readonly ListenerSpec[] {
    return this.network.bound;
  }
  /** The advertised listeners, as clients see them in metadata. */
  get advertised(): readonly ListenerSpec[] {
    return this.advertisedList;
  }
  /** `host:port` of the first advertised listener, for a client's bootstrap.servers. */
  get bootstrap(): string {
    const l = this.advertisedList[0]!;
    return `${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`;
  }
  get port(): number {
    return this.network.bound[0]!.port;
  }
  /** Connections counted by the connection limits (total, per listener) and those waiting for a slot. */
  get connectionCounts(): ReturnType<NetworkServer['connectionCounts']> {
    return this.network.connectionCounts();
  }
  /** How many requests are waiting in the broker now (fetch long polls). */
  get waitingRequests(): number {
    return this.waits.size;
  }

  async close(): Promise<void> {
    // Controlled shutdown first, while still serving: clients move to the new leaders.
    if (this.cluster && this.peers) await this.cluster.controlledShutdown(this.peers);
    this.waits.close();
    this.groups.close();
    this.txns.close();
    await this.network.close();
    // Leaving the cluster revokes the session: the controller moves this broker's leaderships at once.
    await this.cluster?.close();
    await this.peers?.close();
    await this.logManager.close();
  }
}

/** The advertised listeners' names as configured (before binding): advertised.listeners, or listeners. */
function configuredAdvertised(config: BrokerConfig, listeners: readonly ListenerSpec[]): ListenerSpec[] {
  const explicit = config.list('advertised.listeners');
  return explicit.length > 0 ? parseListeners(explicit) : [...listeners];
}

/**
 * advertised.listeners, or the bound listeners when unset. A listener bound to every interface
 * is advertised as localhost; port 0 is replaced by the port actually bound.
 */
function resolveAdvertised(config: BrokerConfig, bound: readonly ListenerSpec[]): ListenerSpec[] {
  const explicit = config.list('advertised.listeners');
  const base = explicit.length > 0 ? parseListeners(explicit) : bound.map((l) => ({ ...l }));
  return base.map((l) => {
    const b = bound.find((x) => x.name === l.name);
    const host = l.host === '' || l.host === '0.0.0.0' || l.host === '::' ? 'localhost' : l.host;
    const port = l.port === 0 && b ? b.port : l.port;
    return { name: l.name, host, port };
  });
}

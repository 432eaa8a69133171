import { BrokerConfig, configKey } from './config/config.js';
import { GroupConfigs } from './config/group-configs.js';
import { createLogger, type Logger } from './logger.js';
import type { BrokerContext } from './context.js';
import { handlers } from './handlers/index.js';
import { FileMetadataStore, type ClusterState } from './metadata/store.js';
import { TopicManager } from './metadata/topics.js';
import { parseListeners, type ListenerSpec } from './config/listeners.js';
import { Router } from './network/router.js';
import { NetworkServer } from './network/server.js';
import { ProducerIdManager, fileBlocks } from './producer-ids.js';
import { FetchSessionCache } from './fetch-sessions.js';
import { Waits } from './waits.js';
import { GroupCoordinator, groupCoordinatorConfig } from './coordinator/group-coordinator.js';
import { InternalTopicStorage, offsetsTopicSpec } from './coordinator/storage.js';
import { systemClock, type Clock } from './coordinator/clock.js';
import { LogManager } from '../storage/log-manager.js';
import { decompress } from '../protocol/records/compression.js';

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
 * A single-node Kafka-compatible broker: `const b = await Broker.start({ listeners, logDirs })`,
 * then `await b.close()`.
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
    /** The requests waiting in the broker (fetch long polls); close() cancels them. */
    private readonly waits: Waits,
    private readonly advertisedList: ListenerSpec[],
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
    const logManager = await LogManager.open({
      logDirs: config.logDirs,
      nodeId: config.nodeId,
      clusterId: state.clusterId,
      now,
      decompress: (codec, data) => decompress(codec, data),
      recoveryCheckpointIntervalMs: config.int('log.flush.offset.checkpoint.interval.ms'),
      logStartOffsetCheckpointIntervalMs: config.int('log.flush.start.offset.checkpoint.interval.ms'),
      retentionCheckIntervalMs: config.int('log.retention.check.interval.ms'),
    });
    const topics = new TopicManager(state, store, logManager, config, log);
    await topics.openAll();

    const waits = new Waits();
    const advertised: ListenerSpec[] = [];
    const producerIds = new ProducerIdManager(
      fileBlocks(state.producerIdsReservedUpTo, async (upTo) => {
        state.producerIdsReservedUpTo = upTo;
        await store.save(state);
      }),
    );
    const groupConfigs = new GroupConfigs(state, store, config);
    const groups = new GroupCoordinator({
      storage: new InternalTopicStorage(topics, offsetsTopicSpec(config)),
      clock: runtime.clock ?? systemClock(now),
      config: groupCoordinatorConfig(config),
      log,
      topicPartitions: (name) => topics.get(name)?.partitions,
      topics: () => topics.list().map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions, internal: topics.isInternal(t.name) })),
      groupConfig: (groupId) => groupConfigs.coordinatorOverrides(groupId),
    });
    groups.start();
    const context: BrokerContext = {
      config,
      log,
      nodeId: config.nodeId,
      clusterId: state.clusterId,
      advertised,
      topics,
      producerIds,
      groups,
      groupConfigs,
      fetchSessions: new FetchSessionCache(config.int('max.incremental.fetch.session.cache.slots'), now),
      authorizer: null,
      supportedVersions: () => router.supportedVersions(),
      waits,
      now,
    };
    const router = new Router(handlers, context, log);
    const network = new NetworkServer(
      { maxRequestBytes: config.int('socket.request.max.bytes'), maxQueuedRequests: config.int('queued.max.requests') },
      router.handleFrame,
      log,
    );
    try {
      await network.listen(listeners);
    } catch (err) {
      groups.close();
      await logManager.close();
      throw err;
    }
    advertised.push(...resolveAdvertised(config, network.bound));
    log.info({ nodeId: config.nodeId, clusterId: state.clusterId, logDirs: config.logDirs }, 'broker started');
    return new Broker(config, log, network, logManager, topics, groups, waits, advertised);
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
  /** How many requests are waiting in the broker now (fetch long polls). */
  get waitingRequests(): number {
    return this.waits.size;
  }

  async close(): Promise<void> {
    this.waits.close();
    this.groups.close();
    await this.network.close();
    await this.logManager.close();
  }
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

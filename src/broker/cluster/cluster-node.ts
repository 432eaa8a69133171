/**
 * A broker's membership of a cluster on etcd, wired in three steps so the broker can start in
 * order:
 *
 *  1. `open`: connects to etcd (etcd.connect, or zookeeper.connect taken as the same key), reads
 *     the cluster state and takes the cluster id (the first broker of a new cluster makes it).
 *  2. `attach`: the replica manager (leading and following) and the controller logic, given the
 *     broker's topics, its connections to the other brokers and the group coordinator.
 *  3. `join` (once the listeners are bound): registers the broker on its session lease, then acts
 *     on the view — now and after every change the watch brings: the topics are applied (logs
 *     opened or deleted), partition roles follow (replica-manager.ts), and the controller, when
 *     this broker is it, decides.
 *
 * A lost session (a pause past the session timeout, etcd unreachable) means the cluster has
 * already moved on without this broker: it registers again (a new broker epoch) as soon as it
 * can, and the view it then sees makes it a follower where others took over.
 */
import type { BrokerConfig } from '../config/config.js';
import type { Logger } from '../logger.js';
import type { TopicManager } from '../metadata/topics.js';
import { newClusterId } from '../metadata/store.js';
import type { Peers } from './peers.js';
import { parseConnectString } from '../../util/connect-string.js';
import { EtcdClusterStore } from './etcd-store.js';
import { EtcdTopicBackend, topicsFromView } from './cluster-topics.js';
import { Controller } from './controller.js';
import { ReplicaManager } from './replica-manager.js';
import { ApiKey } from '../../protocol/messages/index.js';

export interface ClusterHooks {
  /** This broker leads a partition now / no longer (coordinators load and unload). */
  onLeader: (topic: string, partition: number) => void;
  onResign: (topic: string, partition: number) => void;
}

/** The connect string that turns cluster mode on, or null for a single node. */
export function clusterConnectString(config: BrokerConfig, log: Logger): string | null {
  const etcd = config.get('etcd.connect');
  if (etcd) return etcd;
  const zk = config.get('zookeeper.connect');
  if (zk) {
    log.info({ 'zookeeper.connect': zk }, 'zookeeper.connect names the coordination service: Tributary coordinates through etcd, and connects to etcd there');
    return zk;
  }
  return null;
}

export class ClusterNode {
  private replicaManager: ReplicaManager | null = null;
  private controllerLogic: Controller | null = null;
  private brokerEpoch = -1n;
  private joined = false;
  private closed = false;
  private applying: Promise<void> | null = null;
  private again = false;
  private topics: TopicManager | null = null;
  private advertised: { host: string; port: number } | null = null;
  private incarnation = '';

  private constructor(
    readonly store: EtcdClusterStore,
    readonly clusterId: string,
    private readonly config: BrokerConfig,
    private readonly log: Logger,
  ) {}

  static async open(connect: string, config: BrokerConfig, log: Logger): Promise<ClusterNode> {
    const spec = parseConnectString(connect);
    let node: ClusterNode | null = null;
    const store = await EtcdClusterStore.open(spec, {
      sessionTimeoutMs: config.int('zookeeper.session.timeout.ms'),
      onChange: () => node?.changed(),
      onSessionLost: (err) => node?.sessionLost(err),
    });
    let clusterId: string;
    try {
      clusterId = await store.clusterId(newClusterId);
    } catch (err) {
      await store.close();
      throw err;
    }
    node = new ClusterNode(store, clusterId, config, log);
    log.info({ etcd: spec.endpoints, chroot: spec.prefix === '' ? '/' : `/${spec.prefix}`, clusterId }, 'joined the cluster coordination store (etcd)');
    return node;
  }

  get topicBackend(): EtcdTopicBackend {
    return new EtcdTopicBackend(this.store);
  }

  get replicas(): ReplicaManager {
    if (!this.replicaManager) throw new Error('ClusterNode.attach has not run');
    return this.replicaManager;
  }

  get controller(): Controller {
    if (!this.controllerLogic) throw new Error('ClusterNode.attach has not run');
    return this.controllerLogic;
  }

  attach(deps: { topics: TopicManager; peers: Peers; hooks: ClusterHooks; now: () => number }): void {
    const c = this.config;
    const nodeId = c.nodeId;
    this.topics = deps.topics;
    this.replicaManager = new ReplicaManager({
      nodeId,
      view: this.store.view,
      topics: deps.topics,
      peers: deps.peers,
      log: this.log,
      now: deps.now,
      lagTimeMaxMs: c.int('replica.lag.time.max.ms'),
      brokerEpoch: () => this.brokerEpoch,
      fetcher: {
        maxWaitMs: c.int('replica.fetch.wait.max.ms'),
        minBytes: c.int('replica.fetch.min.bytes'),
        maxBytes: c.int('replica.fetch.response.max.bytes'),
        partitionMaxBytes: c.int('replica.fetch.max.bytes'),
        backoffMs: c.int('replica.fetch.backoff.ms'),
        requestTimeoutMs: c.int('replica.socket.timeout.ms'),
      },
      onLeader: deps.hooks.onLeader,
      onResign: deps.hooks.onResign,
    });
    this.controllerLogic = new Controller(this.store, {
      brokerId: nodeId,
      log: this.log,
      ...(c.bool('auto.leader.rebalance.enable')
        ? { rebalance: { intervalMs: c.int('leader.imbalance.check.interval.seconds') * 1000, percentage: c.int('leader.imbalance.per.broker.percentage') } }
        : {}),
      unclean: (topic) => {
        const t = deps.topics.get(topic);
        return t ? deps.topics.effectiveConfig(t).get('unclean.leader.election.enable') === 'true' : c.bool('unclean.leader.election.enable');
      },
    });
  }

  /** Registers this broker (its advertised address) and starts acting on the view. */
  async join(advertised: { host: string; port: number }, incarnation: string): Promise<void> {
    this.advertised = advertised;
    this.incarnation = incarnation;
    await this.register();
    this.joined = true;
    await this.changed();
  }

  private async register(): Promise<void> {
    const a = this.advertised!;
    const rack = this.config.get('broker.rack');
    this.brokerEpoch = await this.store.registerBroker({ id: this.config.nodeId, host: a.host, port: a.port, rack: rack === '' ? null : rack }, this.incarnation);
    this.log.info({ broker: this.config.nodeId, epoch: String(this.brokerEpoch), host: a.host, port: a.port }, 'registered in the cluster');
  }

  /** After every change of the view: topics, then roles, then the controller. Passes never overlap. */
  private changed(): Promise<void> {
    if (!this.joined || this.closed) return Promise.resolve();
    if (this.applying) {
      this.again = true;
      return this.applying;
    }
    this.applying = (async () => {
      do {
        this.again = false;
        try {
          await this.topics!.applyCluster(topicsFromView(this.store.view));
          this.replicas.reconcile();
        } catch (err) {
          this.log.error({ err }, 'acting on the cluster view failed');
        }
        this.controller.changed();
      } while (this.again && !this.closed);
    })().finally(() => {
      this.applying = null;
    });
    return this.applying;
  }

  private sessionLost(err: Error): void {
    if (this.closed) return;
    this.log.warn({ err: err.message }, 'lost the etcd session: registering again');
    void (async () => {
      for (let attempt = 0; !this.closed; attempt++) {
        try {
          await this.register();
          await this.changed();
          return;
        } catch (e) {
          this.log.warn({ err: e instanceof Error ? e.message : String(e), attempt }, 'registering again failed; retrying');
          await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** Math.min(attempt, 5))));
        }
      }
    })();
  }

  /**
   * Controlled shutdown (controlled.shutdown.enable): asks the controller to move this broker's
   * leaderships away, and again (controlled.shutdown.max.retries, controlled.shutdown.retry.backoff.ms)
   * while some remain, so clients find the new leaders before this broker stops answering.
   * True when nothing is left here.
   */
  async controlledShutdown(peers: Peers): Promise<boolean> {
    if (!this.joined || this.closed || !this.config.bool('controlled.shutdown.enable')) return false;
    const me = this.config.nodeId;
    const retries = this.config.int('controlled.shutdown.max.retries');
    let before = -1;
    for (let attempt = 0; attempt <= retries; attempt++) {
      const controller = this.store.view.controller;
      try {
        if (controller === null) throw new Error('no controller elected');
        const remaining =
          controller === me
            ? (await this.controller.controlledShutdown(me, this.brokerEpoch)).remaining.length
            : (await peers.send(controller, ApiKey.ControlledShutdown, { brokerId: me, brokerEpoch: this.brokerEpoch }, { version: 3, timeoutMs: 10_000 })).remainingPartitions.length;
        if (remaining === 0) {
          this.log.info({ broker: me }, 'controlled shutdown: leaderships moved away');
          return true;
        }
        this.log.info({ broker: me, remaining, attempt }, 'controlled shutdown: partitions still led here');
        // Nothing moved since the last answer: they have nowhere to go (this broker is their only in-sync replica).
        if (remaining === before) return false;
        before = remaining;
      } catch (err) {
        this.log.warn({ err: err instanceof Error ? err.message : String(err), attempt }, 'controlled shutdown request failed');
        // The controller went away (often it is stopping too): ask its successor as soon as one is elected.
        if (attempt < retries) await this.controllerChange(controller, this.config.int('controlled.shutdown.retry.backoff.ms'));
        continue;
      }
      if (attempt < retries) await new Promise((r) => setTimeout(r, this.config.int('controlled.shutdown.retry.backoff.ms')));
    }
    return false;
  }

  /** Resolves when the elected controller is another than `from`, or after `maxMs`. */
  private async controllerChange(from: number | null, maxMs: number): Promise<void> {
    const until = Date.now() + maxMs;
    while (Date.now() < until) {
      const now = this.store.view.controller;
      if (now !== null && now !== from) return;
      await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, until - Date.now()))));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.controllerLogic?.stop(true).catch(() => undefined);
    await this.replicaManager?.close();
    await this.applying?.catch(() => undefined);
    await this.store.close();
  }
}

import { ErrorCode } from '../../protocol/errors.js';
import type { BrokerConfig } from '../config/config.js';
import { validateTopicConfigs, ConfigError } from '../config/config.js';
import { INTERNAL_SEGMENT_BYTES, LONG_MAX, TOPIC_CONFIGS } from '../config/defs.js';
import { parseTopicConfig, type LogConfig } from '../../storage/config.js';
import type { PartitionLog } from '../../storage/partition-log.js';
import type { LogManager } from '../../storage/log-manager.js';
import type { Logger } from '../logger.js';
import { newTopicId, type ClusterState, type MetadataStore, type TopicRecord } from './store.js';
import { collisionKey, INTERNAL_TOPICS, topicNameProblem } from './topic-names.js';
import type { ClusterTopicBackend } from './topic-backend.js';
import { assignReplicas } from './assignment.js';

/** The outcome of an admin operation on one topic: Kafka's error code and message. */
export interface TopicResult {
  errorCode: number;
  errorMessage: string | null;
}

const OK: TopicResult = { errorCode: ErrorCode.NONE, errorMessage: null };
const fail = (errorCode: number, errorMessage: string): TopicResult => ({ errorCode, errorMessage });

export const MAX_PARTITIONS = 100_000;

/**
 * Topics of this broker: their metadata (ids, partition counts, replicas, config overrides) and
 * the partition logs this broker holds (in the LogManager). Every change goes through here so
 * the two never disagree. On a single node the metadata is persisted in the MetadataStore; in a
 * cluster it lives in the coordination store (`cluster`), and `applyCluster` brings every change
 * here, the broker's own included.
 */
export class TopicManager {
  private readonly byName = new Map<string, TopicRecord>();
  private readonly byId = new Map<string, TopicRecord>();
  private readonly logs = new Map<string, Array<PartitionLog | undefined>>();
  /** Serialises metadata changes (create/delete/alter), as a controller would. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Serialises applyCluster passes (each opens and deletes logs). */
  private applying: Promise<unknown> = Promise.resolve();
  /** Waiting for a cluster change of this broker's to come back through the watch. */
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly state: ClusterState,
    private readonly store: MetadataStore,
    readonly logManager: LogManager,
    private readonly config: BrokerConfig,
    private readonly log: Logger,
    /** The coordination store's topic writes; null on a single node. */
    private readonly cluster: ClusterTopicBackend | null = null,
  ) {
    if (cluster) return;
    for (const t of state.topics) {
      this.byName.set(t.name, t);
      this.byId.set(t.topicId, t);
    }
  }

  /** The node id partitions are hosted for. */
  private get nodeId(): number {
    return this.config.nodeId;
  }

  /** The partition's replicas: from the cluster, or this broker alone. */
  replicasOf(t: TopicRecord, partition: number): readonly number[] {
    return t.replicas?.[partition] ?? [this.nodeId];
  }

  /** Opens the logs of every known topic (at startup). */
  async openAll(): Promise<void> {
    for (const t of this.byName.values()) await this.openLogs(t, 0);
  }

  /** Opens the logs of the partitions from `from` on that this broker holds a replica of. */
  private async openLogs(t: TopicRecord, from: number): Promise<void> {
    const logs = this.logs.get(t.name) ?? [];
    const cfg = this.logConfigOf(t);
    const topicId = Buffer.from(t.topicId.replace(/-/g, ''), 'hex').toString('base64url');
    for (let p = from; p < t.partitions; p++) {
      if (!this.replicasOf(t, p).includes(this.nodeId)) continue;
      logs[p] ??= await this.logManager.getOrCreateLog(t.name, p, { config: cfg, topicId });
    }
    this.logs.set(t.name, logs);
  }

  /**
   * Brings the cluster's topics here (after every change the coordination store's watch
   * delivered): new topics and partitions, replica moves and config overrides. Logs of
   * partitions this broker now holds are opened; logs of deleted topics, and of partitions moved
   * away, are deleted (Kafka's stray replicas), and so are logs on disk of topics the cluster
   * does not have.
   */
  applyCluster(topics: readonly TopicRecord[]): Promise<void> {
    const run = this.applying.then(async () => {
      const next = new Map(topics.map((t) => [t.name, t]));
      for (const [name, old] of [...this.byName]) {
        const t = next.get(name);
        if (t && t.topicId === old.topicId) continue;
        this.byName.delete(name);
        this.byId.delete(old.topicId);
        this.effective.delete(name);
        this.logs.delete(name);
        for (let p = 0; p < old.partitions; p++) await this.logManager.deleteLog(name, p);
        this.log.info({ topic: name }, 'deleted topic');
      }
      for (const t of next.values()) {
        const old = this.byName.get(t.name);
        const configsChanged = old !== undefined && JSON.stringify(old.configs) !== JSON.stringify(t.configs);
        this.byName.set(t.name, t);
        this.byId.set(t.topicId, t);
        if (configsChanged) this.effective.delete(t.name);
        await this.openLogs(t, 0);
        const logs = this.logs.get(t.name) ?? [];
        const cfg = this.logConfigOf(t);
        for (let p = 0; p < logs.length; p++) {
          const l = logs[p];
          if (!l) continue;
          if (p >= t.partitions || !this.replicasOf(t, p).includes(this.nodeId)) {
            logs[p] = undefined;
            await this.logManager.deleteLog(t.name, p);
            this.log.info({ topic: t.name, partition: p }, 'deleted replica moved away');
          } else if (!old || configsChanged) l.updateConfig(cfg);
        }
      }
      for (const l of this.logManager.allLogs()) {
        const t = next.get(l.topic);
        if (!t || l.partition >= t.partitions || !this.replicasOf(t, l.partition).includes(this.nodeId)) {
          this.log.info({ topic: l.topic, partition: l.partition }, 'deleted stray replica');
          await this.logManager.deleteLog(l.topic, l.partition);
        }
      }
      for (const w of [...this.waiters]) w();
    });
    this.applying = run.catch((err: unknown) => this.log.error({ err }, 'applying the cluster topics failed'));
    return run;
  }

  /** Resolves once `done()` holds after a cluster change (or the timeout passes: false). */
  private until(done: () => boolean, timeoutMs = 30_000): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!done()) return;
        finish(true);
      };
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(ok);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.waiters.add(check);
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  get clusterId(): string {
    return this.state.clusterId;
  }

  list(): TopicRecord[] {
    return [...this.byName.values()];
  }
  get(name: string): TopicRecord | undefined {
    return this.byName.get(name);
  }
  getById(id: string): TopicRecord | undefined {
    return this.byId.get(id);
  }
  /** The log of a partition this broker holds a replica of. */
  partitionLog(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(topic)?.[partition];
  }
  isInternal(name: string): boolean {
    return INTERNAL_TOPICS.has(name);
  }

  /** effectiveConfig results, dropped whenever a topic or broker config changes. */
  private readonly effective = new Map<string, ReadonlyMap<string, string>>();

  /** The effective value of every topic-level key, resolved against the broker's defaults. */
  effectiveConfig(t: TopicRecord): ReadonlyMap<string, string> {
    let cached = this.effective.get(t.name);
    if (!cached) {
      cached = this.resolveEffective(t);
      this.effective.set(t.name, cached);
    }
    return cached;
  }

  private resolveEffective(t: TopicRecord): Map<string, string> {
    const overrides = new Map(Object.entries(t.configs));
    const out = new Map<string, string>();
    for (const def of TOPIC_CONFIGS) {
      const v = this.config.resolveTopicConfig(def.name, overrides).value;
      if (v !== null) out.set(def.name, v);
    }
    return out;
  }

  logConfigOf(t: TopicRecord): Partial<LogConfig> {
    const cfg = parseTopicConfig(Object.fromEntries(this.effectiveConfig(t)));
    // Kafka's internal.segment.bytes (tests' small segments) wins over segment.bytes.
    const internal = t.configs[INTERNAL_SEGMENT_BYTES.name];
    if (internal !== undefined) cfg.segmentBytes = Number(internal);
    return cfg;
  }

  /**
   * Kafka's checks of a topic's overrides as a whole (LogConfig.validate): names and values, then
   * min.compaction.lag.ms against max.compaction.lag.ms, then tiered storage (not here). Returns
   * the overrides normalised, or throws ConfigError.
   */
  private checkOverrides(entries: Iterable<[string, string | null]>): Map<string, string> {
    const configs = validateTopicConfigs(entries);
    const value = (name: string): string | null => this.config.resolveTopicConfig(name, configs).value;
    const minLag = BigInt(value('min.compaction.lag.ms') ?? '0');
    const maxLag = BigInt(value('max.compaction.lag.ms') ?? LONG_MAX);
    if (minLag > maxLag) throw new ConfigError('min.compaction.lag.ms', `conflict topic config setting min.compaction.lag.ms (${minLag}) > max.compaction.lag.ms (${maxLag})`);
    if (value('remote.storage.enable') === 'true') {
      throw new ConfigError('remote.storage.enable', 'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.');
    }
    return configs;
  }

  /** Checks a create request without changing anything. */
  validateCreate(name: string, partitions: number, replicationFactor: number, configs: Array<[string, string | null]>): TopicResult {
    const problem = topicNameProblem(name);
    if (problem) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
    if (this.byName.has(name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const key = collisionKey(name);
    for (const other of this.byName.keys()) {
      if (collisionKey(other) === key) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${name}' collides with existing topic: ${other}`);
    }
    if (partitions < 1 || partitions > MAX_PARTITIONS) return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be between 1 and ${MAX_PARTITIONS}, was ${partitions}.`);
    if (replicationFactor < 1) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
    const live = this.cluster ? this.cluster.liveBrokers().length : 1;
    if (replicationFactor > live) {
      return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${live} broker(s) are registered.`);
    }
    try {
      this.checkOverrides(configs);
    } catch (err) {
      if (err instanceof ConfigError) return fail(ErrorCode.INVALID_CONFIG, err.message);
      throw err;
    }
    return OK;
  }

  /** The replication factor a request's -1 stands for: default.replication.factor (1 on a single node). */
  defaultReplicationFactor(): number {
    return this.cluster ? this.config.int('default.replication.factor') : Math.min(this.config.int('default.replication.factor'), 1);
  }

  /** A manual assignment's problem (brokers must be registered, no duplicates, one factor), or null. */
  private assignmentProblem(assignment: readonly number[][]): TopicResult | null {
    const live = new Set(this.cluster ? this.cluster.liveBrokers().map((b) => b.id) : [this.nodeId]);
    for (const [p, replicas] of assignment.entries()) {
      if (replicas.length === 0 || replicas.length !== assignment[0]!.length) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Partition ${p} has ${replicas.length} replicas where the others have ${assignment[0]!.length}.`);
      if (new Set(replicas).size !== replicas.length) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Duplicate brokers not allowed in replica assignment: ${replicas.join(', ')} for partition id ${p}.`);
      const unknown = replicas.find((id) => !live.has(id));
      if (unknown !== undefined) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${unknown}, but no such broker is registered.`);
    }
    return null;
  }

  /** Replicas for `count` new partitions from `first` on, spread over the live brokers. */
  private placeReplicas(count: number, rf: number, first: number, start = Math.floor(Math.random() * 1_000_000)): number[][] {
    const brokers = this.cluster ? this.cluster.liveBrokers().map((b) => b.id) : [this.nodeId];
    return assignReplicas(brokers, count, rf, { start, firstPartition: first });
  }

  /**
   * Creates a topic; partitions -1 and replicationFactor -1 take the broker defaults. `assignment`
   * (CreateTopics' manual assignment) names each partition's replicas instead.
   */
  create(name: string, partitions: number, replicationFactor: number, configs: Array<[string, string | null]>, validateOnly = false, assignment?: number[][]): Promise<TopicResult & { topic?: TopicRecord }> {
    return this.exclusive(async () => {
      const p = assignment ? assignment.length : partitions === -1 ? this.config.int('num.partitions') : partitions;
      const rf = assignment ? (assignment[0]?.length ?? 0) : replicationFactor === -1 ? this.defaultReplicationFactor() : replicationFactor;
      const check = (assignment && this.assignmentProblem(assignment)) || this.validateCreate(name, p, rf, configs);
      if (check.errorCode !== ErrorCode.NONE || validateOnly) return check;
      const t: TopicRecord = {
        name,
        topicId: newTopicId(),
        partitions: p,
        replicationFactor: rf,
        configs: Object.fromEntries(this.checkOverrides(configs)),
      };
      if (this.cluster) {
        const replicas = assignment ?? this.placeReplicas(p, rf, 0);
        if (!(await this.cluster.create({ ...t, replicas }))) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
        await this.until(() => this.byName.get(name)?.topicId === t.topicId);
        this.log.info({ topic: name, partitions: p, replicationFactor: rf, topicId: t.topicId }, 'created topic');
        return { ...OK, topic: this.byName.get(name) ?? { ...t, replicas } };
      }
      this.byName.set(name, t);
      this.byId.set(t.topicId, t);
      this.state.topics.push(t);
      await this.persist();
      await this.openLogs(t, 0);
      this.log.info({ topic: name, partitions: p, topicId: t.topicId }, 'created topic');
      return { ...OK, topic: t };
    });
  }

  /** Auto-creation on metadata requests (auto.create.topics.enable). */
  async autoCreate(name: string): Promise<TopicResult> {
    const existing = this.byName.get(name);
    if (existing) return OK;
    const res = await this.create(name, -1, -1, []);
    if (res.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) return OK;
    return res;
  }

  delete(name: string): Promise<TopicResult> {
    return this.exclusive(async () => {
      const t = this.byName.get(name);
      if (!t) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
      if (!this.config.bool('delete.topic.enable')) return fail(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
      if (this.isInternal(name)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot delete internal topic ${name}`);
      if (this.cluster) {
        await this.cluster.delete(name);
        await this.until(() => this.byName.get(name)?.topicId !== t.topicId);
        return OK;
      }
      this.byName.delete(name);
      this.byId.delete(t.topicId);
      this.effective.delete(name);
      this.state.topics = this.state.topics.filter((x) => x !== t);
      await this.persist();
      this.logs.delete(name);
      for (let p = 0; p < t.partitions; p++) await this.logManager.deleteLog(name, p);
      this.log.info({ topic: name }, 'deleted topic');
      return OK;
    });
  }

  addPartitions(name: string, count: number, validateOnly: boolean): Promise<TopicResult> {
    return this.exclusive(async () => {
      const t = this.byName.get(name);
      if (!t) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
      if (count < t.partitions) return fail(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${t.partitions} partitions, which is higher than the requested ${count}.`);
      if (count === t.partitions) return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${t.partitions} partitions.`);
      if (count > MAX_PARTITIONS) return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be at most ${MAX_PARTITIONS}.`);
      if (validateOnly) return OK;
      const from = t.partitions;
      if (this.cluster) {
        const existing = t.replicas ?? [];
        const added = this.placeReplicas(count - from, existing[0]?.length ?? t.replicationFactor, from, existing[0] ? Math.max(0, [...this.cluster.liveBrokers().map((b) => b.id)].sort((a, b) => a - b).indexOf(existing[0][0]!)) : 0);
        if (!(await this.cluster.setReplicas(t, [...existing, ...added]))) return fail(ErrorCode.REASSIGNMENT_IN_PROGRESS, `The topic '${name}' changed meanwhile; try again.`);
        await this.until(() => (this.byName.get(name)?.partitions ?? 0) >= count);
        return OK;
      }
      t.partitions = count;
      await this.persist();
      await this.openLogs(t, from);
      return OK;
    });
  }

  /** Replaces (AlterConfigs) or edits (IncrementalAlterConfigs) a topic's overrides. */
  alterConfigs(name: string, next: (current: Map<string, string>) => Map<string, string | null>, validateOnly: boolean): Promise<TopicResult> {
    return this.exclusive(async () => {
      const t = this.byName.get(name);
      let configs: Map<string, string>;
      try {
        // As Kafka: the values are checked before the topic is looked up.
        const proposed = next(new Map(Object.entries(t?.configs ?? {})));
        configs = this.checkOverrides([...proposed].filter((e): e is [string, string] => e[1] !== null));
      } catch (err) {
        if (err instanceof ConfigError) return fail(ErrorCode.INVALID_CONFIG, err.message);
        throw err;
      }
      if (!t) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
      if (validateOnly) return OK;
      if (this.cluster) {
        const want = JSON.stringify(Object.fromEntries(configs));
        await this.cluster.alterConfigs(name, Object.fromEntries(configs));
        await this.until(() => JSON.stringify(this.byName.get(name)?.configs ?? {}) === want);
        return OK;
      }
      t.configs = Object.fromEntries(configs);
      this.effective.delete(name);
      await this.persist();
      const cfg = this.logConfigOf(t);
      for (const l of this.logs.get(name) ?? []) l?.updateConfig(cfg);
      return OK;
    });
  }

  /** Re-applies broker defaults to every log after a dynamic broker config change. */
  async brokerConfigChanged(): Promise<void> {
    this.state.brokerConfigs = Object.fromEntries(this.config.dynamicEntries('broker'));
    this.state.brokerDefaultConfigs = Object.fromEntries(this.config.dynamicEntries('default'));
    this.effective.clear();
    await this.persist();
    for (const t of this.byName.values()) {
      const cfg = this.logConfigOf(t);
      for (const l of this.logs.get(t.name) ?? []) l?.updateConfig(cfg);
    }
  }

  private persist(): Promise<void> {
    return this.store.save(this.state);
  }
}

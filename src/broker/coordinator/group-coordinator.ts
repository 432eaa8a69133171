/**
 * The group coordinator: a thin router from the group APIs to the shard of the group's
 * __consumer_offsets partition (abs(javaHash(groupId)) % partitions, as Kafka computes it), on the
 * coordinator runtime (runtime.ts). Requests that may write go through `runtime.write`, serialized
 * per group id: their records are stored and replayed before they are answered. Reads, and the
 * classic protocol's steps that write nothing (Heartbeat, LeaveGroup), are answered at once from
 * the shard. While a partition loads, its groups get COORDINATOR_LOAD_IN_PROGRESS.
 *
 *   classic.ts   JoinGroup/SyncGroup/Heartbeat/LeaveGroup (the classic protocol's state machine)
 *   consumer.ts  ConsumerGroupHeartbeat/ConsumerGroupDescribe (KIP-848)
 *   offsets.ts   OffsetCommit/TxnOffsetCommit/OffsetFetch/OffsetDelete, retention, deleted topics
 *
 * Transactions: TxnOffsetCommit is a transactional write of the producer (its offsets stay
 * pending), and `completeTransaction` writes the COMMIT or ABORT marker the transaction
 * coordinator sends for a __consumer_offsets partition (WriteTxnMarkers), whose replay makes the
 * pending offsets the group's committed ones or drops them.
 *   group-shard.ts  a partition's groups and offsets, and `replay` (record -> state)
 *   records.ts   the records' schemas; assignors.ts the KIP-848 server-side assignors
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { Logger } from '../logger.js';
import type { Clock } from './clock.js';
import { partitionForGroup } from './hash.js';
import { CoordinatorRuntime } from './runtime.js';
import type { CoordinatorStorage } from './storage.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG, type GroupConfigOverrides, type GroupCoordinatorConfig } from './group-config.js';
import { GroupShard, type TopicInfo } from './group-shard.js';
import { joinError, syncError } from './classic.js';
import { hbError } from './consumer.js';
import type { ClassicGroup, GroupState, JoinGroupResult, SyncGroupResult } from './group.js';
import type { ConsumerGroup } from './consumer-group.js';
import type {
  ConsumerGroupHeartbeatRequestData,
  ConsumerGroupHeartbeatResult,
  DescribedConsumerGroup,
  DescribedGroup,
  HeartbeatRequestData,
  JoinGroupRequestData,
  LeaveGroupResult,
  LeaveMember,
  ListedGroup,
  OffsetCommitRequestData,
  OffsetFetchResult,
  SyncGroupRequestData,
  TopicPartitionsError,
  TxnOffsetCommitRequestData,
  TxnOffsetCommitVerifier,
} from './group-types.js';

export * from './group-config.js';
export * from './group-types.js';

export interface GroupCoordinatorOptions {
  storage: CoordinatorStorage;
  clock: Clock;
  config?: Partial<GroupCoordinatorConfig>;
  log?: Logger;
  /** Partition count of a topic, undefined when it does not exist (OffsetCommit/OffsetDelete checks). */
  topicPartitions?: (topic: string) => number | undefined;
  /** Every topic with its id (KIP-848 groups: assignment by topic id, regex subscriptions). */
  topics?: () => readonly TopicInfo[];
  /** Tests: check after every write that replaying its records gave the state the operation computed. */
  checkReplay?: boolean;
  /** A group's own configs (group configs), looked up whenever they apply. */
  groupConfig?: (groupId: string) => GroupConfigOverrides | undefined;
  /** Whether an authorizer decides (then a KIP-848 member's regex matches are filtered by its DESCRIBE rights). Default: no. */
  authorizerEnabled?: () => boolean;
  /**
   * In a cluster: partitions load and unload as this broker gains and loses their leadership
   * (`load`/`unload`), never all at once. Default false (a single node leads them all).
   */
  followLeadership?: boolean;
  /**
   * KIP-890: checks a TxnOffsetCommit with the transaction coordinator before its write (the
   * transaction coordinator's seam). Default: every TxnOffsetCommit goes on.
   */
  verifyTransaction?: TxnOffsetCommitVerifier;
}

export class GroupCoordinator {
  private readonly runtime: CoordinatorRuntime<GroupShard>;
  private readonly storage: CoordinatorStorage;
  private readonly log: Logger | undefined;
  private closed = false;
  /** Creating (when missing) and loading __consumer_offsets; null until either is needed. */
  private ready: Promise<void> | null = null;
  private creating: Promise<void> | null = null;
  private readonly followLeadership: boolean;
  /**
   * KIP-890's check of a TxnOffsetCommit with the transaction coordinator (the broker wires
   * txn-verification.ts here). Public so a test of the group side alone, with made-up producers,
   * can replace it.
   */
  verifyTransaction: TxnOffsetCommitVerifier;

  constructor(opts: GroupCoordinatorOptions) {
    this.followLeadership = opts.followLeadership ?? false;
    this.verifyTransaction = opts.verifyTransaction ?? (() => Promise.resolve(ErrorCode.NONE));
    const cfg = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...opts.config };
    if (cfg.consumerAssignors.length === 0) cfg.consumerAssignors = DEFAULT_GROUP_COORDINATOR_CONFIG.consumerAssignors;
    const env = { cfg, topicPartitions: opts.topicPartitions ?? (() => 0x7fffffff), topics: opts.topics ?? (() => []), checkReplay: opts.checkReplay ?? false, groupConfig: opts.groupConfig ?? (() => undefined), authorizerEnabled: opts.authorizerEnabled ?? (() => false) };
    this.storage = opts.storage;
    this.log = opts.log;
    this.runtime = new CoordinatorRuntime<GroupShard>({
      name: '__consumer_offsets',
      storage: opts.storage,
      clock: opts.clock,
      ...(opts.log ? { log: opts.log } : {}),
      newShard: (ctx) => new GroupShard(ctx, env),
    });
  }

  // ===========================================================================================
  // Lifecycle

  /** Loads every partition of __consumer_offsets, when the topic exists (a single broker leads them all). */
  start(): void {
    if (this.storage.exists() && !this.followLeadership) this.ready = this.loadAll();
  }

  /** Resolves once every partition of __consumer_offsets is loaded. */
  get loaded(): Promise<void> {
    return this.ready ?? Promise.resolve();
  }

  private async loadAll(): Promise<void> {
    // Every partition is marked loading at once (its groups get COORDINATOR_LOAD_IN_PROGRESS).
    await Promise.all(Array.from({ length: this.storage.numPartitions() }, (_, p) => this.runtime.load(p)));
  }

  /** The partition moves here (leadership) or away. */
  load(partition: number): Promise<void> {
    return this.runtime.load(partition);
  }

  unload(partition: number): void {
    this.runtime.unload(partition);
  }

  /** Answers pending JoinGroup/SyncGroup requests with NOT_COORDINATOR and stops every timer. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.runtime.close();
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.storage.numPartitions());
  }

  /** NONE, or why requests for this group cannot be served now. */
  groupAccessError(groupId: string): number {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    if (!this.storage.exists()) return ErrorCode.NONE;
    return this.runtime.status(this.partitionFor(groupId));
  }

  /** Creates __consumer_offsets when missing (FindCoordinator does this, as in Kafka) and loads its partitions. */
  async ensureStorage(): Promise<number> {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    // Loading already under way (start-up): requests see COORDINATOR_LOAD_IN_PROGRESS meanwhile.
    if (this.ready && this.storage.exists()) return ErrorCode.NONE;
    if (this.followLeadership) {
      // Loading follows leadership; only the topic has to exist.
      try {
        await this.storage.ensure();
        return ErrorCode.NONE;
      } catch (err) {
        this.log?.warn({ err }, 'cannot create the offsets topic yet');
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      }
    }
    const creating = (this.creating ??= (async () => {
      await this.storage.ensure();
      this.ready = this.loadAll();
      await this.ready;
    })());
    try {
      await creating;
      return ErrorCode.NONE;
    } catch (err) {
      if (this.creating === creating) this.creating = null;
      this.log?.error({ err }, 'cannot create the offsets topic');
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  private shardOf(groupId: string): GroupShard | undefined {
    return this.runtime.shard(this.partitionFor(groupId));
  }

  /** A classic group (tests, describe). */
  group(groupId: string): ClassicGroup | undefined {
    return this.shardOf(groupId)?.classicGroups.get(groupId);
  }

  /** A consumer group (tests, describe). */
  consumerGroup(groupId: string): ConsumerGroup | undefined {
    return this.shardOf(groupId)?.consumerGroups.get(groupId);
  }

  get groupCount(): number {
    let n = 0;
    for (const s of this.runtime.shards()) n += s.classicGroups.size + s.consumerGroups.size;
    return n;
  }

  /** The stored state of every loaded partition (tests: a reload must give the same). */
  snapshot(): unknown[] {
    return this.runtime.shards().map((s) => s.snapshot());
  }

  /** With `checkReplay`: every write whose records did not replay into the state it computed. */
  replayMismatches(): string[] {
    return this.runtime.shards().flatMap((s) => s.replayMismatches);
  }

  // ===========================================================================================
  // The classic protocol

  async joinGroup(req: JoinGroupRequestData): Promise<JoinGroupResult> {
    const storageError = await this.ensureStorage();
    if (storageError !== ErrorCode.NONE) return joinError(req.memberId, storageError);
    const accessError = this.groupAccessError(req.groupId);
    if (accessError !== ErrorCode.NONE) return joinError(req.memberId, accessError);
    if (req.groupId === '') return joinError(req.memberId, ErrorCode.INVALID_GROUP_ID);
    const cfg = this.runtime.shard(this.partitionFor(req.groupId))!.env.cfg;
    if (req.sessionTimeoutMs < cfg.minSessionTimeoutMs || req.sessionTimeoutMs > cfg.maxSessionTimeoutMs) return joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT);
    return this.runtime.write(this.partitionFor(req.groupId), req.groupId, (s) => s.classic.join(req), (e) => joinError(req.memberId, e));
  }

  async syncGroup(req: SyncGroupRequestData): Promise<SyncGroupResult> {
    const accessError = this.groupAccessError(req.groupId);
    if (accessError !== ErrorCode.NONE) return syncError(accessError);
    return this.runtime.write(this.partitionFor(req.groupId), req.groupId, (s) => s.classic.sync(req), syncError);
  }

  heartbeat(req: HeartbeatRequestData): number {
    const accessError = this.groupAccessError(req.groupId);
    if (accessError !== ErrorCode.NONE) return accessError;
    const shard = this.shardOf(req.groupId);
    return shard ? shard.classic.heartbeat(req) : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  leaveGroup(groupId: string, members: readonly LeaveMember[]): LeaveGroupResult {
    const accessError = this.groupAccessError(groupId);
    if (accessError !== ErrorCode.NONE) return { errorCode: accessError, members: [] };
    const shard = this.shardOf(groupId);
    return shard ? shard.classic.leave(groupId, members) : { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] };
  }

  // ===========================================================================================
  // KIP-848

  async consumerGroupHeartbeat(req: ConsumerGroupHeartbeatRequestData): Promise<ConsumerGroupHeartbeatResult> {
    const storageError = await this.ensureStorage();
    if (storageError !== ErrorCode.NONE) return hbError(storageError);
    const accessError = this.groupAccessError(req.groupId);
    if (accessError !== ErrorCode.NONE) return hbError(accessError);
    const p = this.partitionFor(req.groupId);
    const bad = this.runtime.shard(p)!.consumer.validate(req);
    if (bad) return bad;
    return this.runtime.write(p, req.groupId, (s) => s.consumer.heartbeat(req), (e) => hbError(e));
  }

  describeConsumerGroup(groupId: string): DescribedConsumerGroup {
    const accessError = this.groupAccessError(groupId);
    const shard = this.shardOf(groupId);
    if (accessError !== ErrorCode.NONE || !shard) {
      return { errorCode: accessError !== ErrorCode.NONE ? accessError : ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: null, groupId, groupState: accessError !== ErrorCode.NONE ? '' : 'Dead', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] };
    }
    return shard.consumer.describe(groupId);
  }

  // ===========================================================================================
  // Offsets

  async commitOffsets(req: OffsetCommitRequestData): Promise<TopicPartitionsError[]> {
    const all = (errorCode: number): TopicPartitionsError[] =>
      req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
    const storageError = await this.ensureStorage();
    if (storageError !== ErrorCode.NONE) return all(storageError);
    const accessError = this.groupAccessError(req.groupId);
    if (accessError !== ErrorCode.NONE) return all(accessError);
    return this.runtime.write(this.partitionFor(req.groupId), req.groupId, (s) => s.offsetOps.commit(req), all);
  }

  /**
   * TxnOffsetCommit: after the transaction coordinator's check (KIP-890, `verifyTransaction`), the
   * offsets are written in a transactional batch of the producer; they stay pending until
   * `completeTransaction` commits or aborts them. A log that knows a newer producer epoch refuses
   * the batch (INVALID_PRODUCER_EPOCH, passed on).
   */
  async txnOffsetCommit(req: TxnOffsetCommitRequestData): Promise<TopicPartitionsError[]> {
    const all = (errorCode: number): TopicPartitionsError[] =>
      req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
    if (req.groupId === '') return all(ErrorCode.INVALID_GROUP_ID);
    const storageError = await this.ensureStorage();
    if (storageError !== ErrorCode.NONE) return all(storageError);
    const accessError = this.groupAccessError(req.groupId);
    if (accessError !== ErrorCode.NONE) return all(accessError);
    const partition = this.partitionFor(req.groupId);
    const verified = await this.verifyTransaction({ transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch, groupId: req.groupId, partition, apiVersion: req.apiVersion });
    // (NETWORK_EXCEPTION from the verification: older clients retry COORDINATOR_LOAD_IN_PROGRESS correctly, as Kafka answers.)
    if (verified !== ErrorCode.NONE) return all(verified === ErrorCode.NETWORK_EXCEPTION ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : verified);
    return this.runtime.writeTransactional(partition, req.groupId, { producerId: req.producerId, producerEpoch: req.producerEpoch }, (s) => s.offsetOps.txnCommit(req), all);
  }

  /**
   * The transaction coordinator's marker for a __consumer_offsets partition (WriteTxnMarkers):
   * the marker is written through the runtime and replayed, so the producer's pending offsets of
   * that partition become committed (commit) or go (abort). Resolves to NONE, or NOT_COORDINATOR /
   * COORDINATOR_LOAD_IN_PROGRESS / COORDINATOR_NOT_AVAILABLE as for other group writes, or the
   * log's refusal (INVALID_PRODUCER_EPOCH for an older producer epoch, TRANSACTION_COORDINATOR_FENCED
   * for an older coordinator epoch). `transactionVersion` is WriteTxnMarkers' (v2+), passed to the
   * log's epoch check as Kafka 4 does. WriteTxnMarkers answers the coordinator errors as
   * NOT_LEADER_OR_FOLLOWER (Kafka: the transaction coordinator retries those).
   */
  completeTransaction(partition: number, producerId: bigint, producerEpoch: number, coordinatorEpoch: number, commit: boolean, timeoutMs: number, transactionVersion?: number): Promise<number> {
    if (this.closed) return Promise.resolve(ErrorCode.NOT_COORDINATOR);
    return this.runtime.completeTransaction(partition, { producerId, producerEpoch, coordinatorEpoch, commit }, timeoutMs, transactionVersion);
  }

  /**
   * Committed offsets of a group: the requested partitions, or all of them when topics is null.
   * `requireStable` (OffsetFetch v7+): partitions with an offset pending in an open transaction
   * answer UNSTABLE_OFFSET_COMMIT.
   */
  fetchOffsets(
    groupId: string,
    topics: ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null,
    requireStable = false,
    member: { memberId: string | null; memberEpoch: number } | null = null,
  ): OffsetFetchResult {
    const accessError = this.groupAccessError(groupId);
    if (accessError !== ErrorCode.NONE) return { errorCode: accessError, topics: [] };
    const shard = this.shardOf(groupId);
    if (!shard) return { errorCode: ErrorCode.NONE, topics: topics === null ? [] : topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE })) })) };
    return shard.offsetOps.fetch(groupId, topics, member, requireStable);
  }

  async deleteOffsets(groupId: string, topics: ReadonlyArray<{ name: string; partitions: ReadonlyArray<{ partitionIndex: number }> }>): Promise<{ errorCode: number; topics: TopicPartitionsError[] }> {
    const accessError = this.groupAccessError(groupId);
    if (accessError !== ErrorCode.NONE) return { errorCode: accessError, topics: [] };
    if (!this.storage.exists()) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    return this.runtime.write(this.partitionFor(groupId), groupId, (s) => s.offsetOps.delete(groupId, topics), (errorCode) => ({ errorCode, topics: [] }));
  }

  /** Runs the offset retention check now on every loaded partition; resolves to how many offsets expired. */
  async cleanupExpiredOffsets(): Promise<number> {
    const writes: Array<Promise<number>> = [];
    for (const s of this.runtime.shards()) for (const id of s.groupIds()) writes.push(this.runtime.write(s.ctx.partition, id, () => s.offsetOps.expire(id), () => 0));
    const expired = (await Promise.all(writes)).reduce((a, b) => a + b, 0);
    if (expired > 0) this.log?.info({ expired }, 'removed expired offsets');
    return expired;
  }

  /**
   * Kafka's onPartitionsDeleted: the committed offsets of deleted topics are removed from every
   * group, with tombstones in __consumer_offsets. Returns how many offsets went.
   */
  async onTopicsDeleted(topics: readonly string[]): Promise<number> {
    if (topics.length === 0 || this.closed) return 0;
    const writes: Array<Promise<number>> = [];
    for (const s of this.runtime.shards()) for (const id of s.groupIds()) writes.push(this.runtime.write(s.ctx.partition, id, () => s.offsetOps.deleteTopics(id, topics), () => 0));
    const removed = (await Promise.all(writes)).reduce((a, b) => a + b, 0);
    if (removed > 0) this.log?.info({ topics, removed }, 'removed the committed offsets of deleted topics');
    return removed;
  }

  // ===========================================================================================
  // ListGroups, DescribeGroups, DeleteGroups

  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): { errorCode: number; groups: ListedGroup[] } {
    if (this.closed) return { errorCode: ErrorCode.NOT_COORDINATOR, groups: [] };
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const errorCode = this.runtime.loading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
    return { errorCode, groups: this.runtime.shards().flatMap((s) => s.listGroups(states, types)) };
  }

  describeGroup(groupId: string): DescribedGroup {
    const accessError = this.groupAccessError(groupId);
    if (accessError !== ErrorCode.NONE) return { errorCode: accessError, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
    const shard = this.shardOf(groupId);
    if (!shard) return { errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    return shard.describeGroup(groupId);
  }

  async deleteGroups(groupIds: readonly string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    const out: Array<{ groupId: string; errorCode: number }> = [];
    for (const groupId of groupIds) {
      const accessError = this.groupAccessError(groupId);
      if (accessError !== ErrorCode.NONE) out.push({ groupId, errorCode: accessError });
      else if (!this.storage.exists()) out.push({ groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
      else out.push({ groupId, errorCode: await this.runtime.write(this.partitionFor(groupId), groupId, (s) => s.deleteGroup(groupId), (e) => e) });
    }
    return out;
  }

  /** The states a ListGroups/DescribeGroups answer may carry (for the handlers' docs and tests). */
  static readonly STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];
}

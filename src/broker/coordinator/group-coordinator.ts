/**
 * The classic group coordinator, after Apache Kafka's GroupCoordinator / GroupMetadataManager:
 *
 *  - Group states Empty -> PreparingRebalance -> CompletingRebalance -> Stable (and Dead), a
 *    generation id bumped on every completed join phase, the protocol chosen by the members' votes
 *    among the protocols they all support, the leader given every member's metadata and everyone
 *    their assignment through SyncGroup.
 *  - Timers from an injected Clock: session expiry per member, the join phase bounded by the
 *    longest rebalance timeout, group.initial.rebalance.delay.ms for a group that starts from Empty
 *    (extended while new members keep arriving, up to the rebalance timeout), a sync deadline after
 *    the join phase, a new-member join timeout, and the offsets retention check.
 *  - KIP-394 (MEMBER_ID_REQUIRED), KIP-345 static membership (a rejoining instance takes its old
 *    member's place and assignment without a rebalance; an old instance is fenced).
 *  - Offsets and group metadata are records of __consumer_offsets (see records.ts); a group's
 *    partition is abs(hash(groupId)) % partitions. Everything is loaded back at startup, while
 *    requests for a partition being loaded get COORDINATOR_LOAD_IN_PROGRESS.
 *
 * KIP-848 consumer groups (ConsumerGroupHeartbeat, ConsumerGroupDescribe) live beside the classic
 * ones: a group id is either a classic group (`groups`) or a consumer group (`consumerGroups`).
 * An empty group of one type is converted when a member of the other protocol arrives (its
 * offsets kept); a non-empty one refuses (GROUP_ID_NOT_FOUND to a heartbeat,
 * INCONSISTENT_GROUP_PROTOCOL to a JoinGroup). OffsetCommit/OffsetFetch/OffsetDelete, ListGroups,
 * DescribeGroups and DeleteGroups serve both. See consumer-group.ts for the epochs and the
 * reconciliation, assignors.ts for the server-side assignors. Consumer groups are written as
 * Kafka's records (key versions 3-8, see records.ts) and loaded back at startup.
 * Simplifications against Kafka: a heartbeat's in-memory changes are not rolled back when its
 * records cannot be written (the member gets the error and retries with a full request); no
 * rack-aware assignment; classic-protocol members cannot join a non-empty consumer group (Kafka's
 * group.consumer.migration.policy mixed groups); the time a consumer group became empty (offset
 * retention) is not persisted, a reload counts from the load.
 *
 * Transactional offset commits (TxnOffsetCommit) will add pending offsets that make OffsetFetch
 * with requireStable answer UNSTABLE_OFFSET_COMMIT.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors.js';
import type { Logger } from '../logger.js';
import type { BrokerConfig } from '../config/config.js';
import type { Clock, Cancel } from './clock.js';
import { partitionForGroup } from './hash.js';
import { Writer } from '../../protocol/primitives/index.js';
import { ClassicGroup, EMPTY_BYTES, GroupOffsets, Member, type GroupState, type JoinGroupResult, type OffsetEntry, type Protocol, type SyncGroupResult } from './group.js';
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsKey,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  type GroupMetadataValue,
  type OffsetCommitValue,
} from './records.js';
import type { CoordinatorStorage, StoredRecord } from './storage.js';
import {
  ConsumerGroup,
  ConsumerGroupMember,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  MemberState,
  assignmentEquals,
  assignmentFromList,
  assignmentToList,
  emptyAssignment,
  isSubset,
  reconcile,
  type MemberStateValue,
  type TopicMetadata,
  type TopicPartitions,
} from './consumer-group.js';
import { ASSIGNORS, type AssignorMember } from './assignors.js';
import {
  ConsumerGroupRecordKind as CGK,
  decodeConsumerGroupCurrentMemberAssignmentValue,
  decodeConsumerGroupMemberMetadataValue,
  decodeConsumerGroupPartitionMetadataValue,
  decodeConsumerGroupTargetAssignmentMemberValue,
  decodeEpochValue,
  encodeConsumerGroupCurrentMemberAssignmentValue,
  encodeConsumerGroupKey,
  encodeConsumerGroupMemberMetadataValue,
  encodeConsumerGroupPartitionMetadataValue,
  encodeConsumerGroupTargetAssignmentMemberValue,
  encodeEpochValue,
  type ConsumerGroupCurrentMemberAssignmentValue,
  type ConsumerGroupMemberMetadataValue,
  type TopicPartitionsRow,
} from './records.js';

export interface GroupCoordinatorConfig {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxGroupSize: number;
  offsetMetadataMaxBytes: number;
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  /** How long a new member's JoinGroup may wait (Kafka's fixed 5 minutes). */
  newMemberJoinTimeoutMs: number;
  /** KIP-848: group.consumer.heartbeat.interval.ms */
  consumerHeartbeatIntervalMs: number;
  /** KIP-848: group.consumer.session.timeout.ms */
  consumerSessionTimeoutMs: number;
  /** KIP-848: group.consumer.max.size */
  consumerMaxSize: number;
  /** KIP-848: group.consumer.assignors (names; the first is the default). */
  consumerAssignors: readonly string[];
}

export const DEFAULT_GROUP_COORDINATOR_CONFIG: GroupCoordinatorConfig = {
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  maxGroupSize: 0x7fffffff,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMs: 7 * 24 * 3600 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  newMemberJoinTimeoutMs: 300_000,
  consumerHeartbeatIntervalMs: 5000,
  consumerSessionTimeoutMs: 45_000,
  consumerMaxSize: 0x7fffffff,
  consumerAssignors: ['uniform', 'range'],
};

/** Kafka's assignor class names map to our assignors' names. */
function assignorName(entry: string): string {
  const e = entry.trim();
  if (/UniformAssignor$/.test(e)) return 'uniform';
  if (/RangeAssignor$/.test(e)) return 'range';
  return e;
}

export function groupCoordinatorConfig(config: BrokerConfig): GroupCoordinatorConfig {
  return {
    initialRebalanceDelayMs: config.int('group.initial.rebalance.delay.ms'),
    minSessionTimeoutMs: config.int('group.min.session.timeout.ms'),
    maxSessionTimeoutMs: config.int('group.max.session.timeout.ms'),
    maxGroupSize: config.int('group.max.size'),
    offsetMetadataMaxBytes: config.int('offset.metadata.max.bytes'),
    offsetsRetentionMs: config.int('offsets.retention.minutes') * 60_000,
    offsetsRetentionCheckIntervalMs: config.int('offsets.retention.check.interval.ms'),
    newMemberJoinTimeoutMs: DEFAULT_GROUP_COORDINATOR_CONFIG.newMemberJoinTimeoutMs,
    consumerHeartbeatIntervalMs: config.int('group.consumer.heartbeat.interval.ms'),
    consumerSessionTimeoutMs: config.int('group.consumer.session.timeout.ms'),
    consumerMaxSize: config.int('group.consumer.max.size'),
    consumerAssignors: config.list('group.consumer.assignors').map(assignorName).filter((a) => ASSIGNORS.has(a)),
  };
}

export interface GroupCoordinatorOptions {
  storage: CoordinatorStorage;
  clock: Clock;
  config?: Partial<GroupCoordinatorConfig>;
  log?: Logger;
  /** Partition count of a topic, undefined when it does not exist (OffsetCommit/OffsetDelete checks). */
  topicPartitions?: (topic: string) => number | undefined;
  /** Every topic with its id (KIP-848 groups: assignment by topic id, regex subscriptions). */
  topics?: () => ReadonlyArray<{ name: string; topicId: string; partitions: number; internal?: boolean }>;
}

export interface ConsumerGroupHeartbeatRequestData {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  topicPartitions: Array<{ topicId: string; partitions: number[] }> | null;
  clientId: string;
  clientHost: string;
  /** v0: the coordinator may pick the member id; v1+: the member brings it. */
  apiVersion: number;
}

export interface ConsumerGroupHeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: TopicPartitionsRow[] } | null;
}

export interface DescribedConsumerGroupAssignment {
  topicPartitions: Array<{ topicId: string; topicName: string; partitions: number[] }>;
}

export interface DescribedConsumerGroup {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  groupState: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: Array<{
    memberId: string;
    instanceId: string | null;
    rackId: string | null;
    memberEpoch: number;
    clientId: string;
    clientHost: string;
    subscribedTopicNames: string[];
    subscribedTopicRegex: string | null;
    assignment: DescribedConsumerGroupAssignment;
    targetAssignment: DescribedConsumerGroupAssignment;
  }>;
}

export interface JoinGroupRequestData {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  clientId: string;
  clientHost: string;
  /** JoinGroup v4+: a member without id gets MEMBER_ID_REQUIRED and a member id first (KIP-394). */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: a static leader rejoining a stable group may be told to skip the assignment. */
  supportsSkipAssignment: boolean;
  reason?: string | null;
}

export interface SyncGroupRequestData {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface HeartbeatRequestData {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveMember {
  memberId: string;
  groupInstanceId: string | null;
  reason?: string | null;
}

export interface LeaveGroupResult {
  errorCode: number;
  members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }>;
}

export interface OffsetCommitRequestData {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2-v4; -1 = broker retention. */
  retentionTimeMs: number;
  topics: Array<{
    name: string;
    partitions: Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; commitTimestamp: bigint; committedMetadata: string | null }>;
  }>;
  /** v9+ answers a missing group with GROUP_ID_NOT_FOUND instead of ILLEGAL_GENERATION. */
  apiVersion: number;
}

export interface TopicPartitionsError {
  name: string;
  partitions: Array<{ partitionIndex: number; errorCode: number }>;
}

export interface FetchedOffset {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export interface OffsetFetchResult {
  errorCode: number;
  topics: Array<{ name: string; partitions: FetchedOffset[] }>;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; memberMetadata: Buffer; memberAssignment: Buffer }>;
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

const MAX_EPOCH_GENERATION = 0x7fffffff;

function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

export class GroupCoordinator {
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly consumerGroups = new Map<string, ConsumerGroup>();
  private readonly loading = new Set<number>();
  private readonly cfg: GroupCoordinatorConfig;
  private readonly storage: CoordinatorStorage;
  private readonly clock: Clock;
  private readonly log: Logger | undefined;
  private readonly topicPartitions: (topic: string) => number | undefined;
  private readonly topicList: () => ReadonlyArray<{ name: string; topicId: string; partitions: number; internal?: boolean }>;
  private retentionTimer: Cancel | null = null;
  private closed = false;
  /** Resolves once every partition of __consumer_offsets is loaded. */
  loaded: Promise<void> = Promise.resolve();

  constructor(opts: GroupCoordinatorOptions) {
    this.cfg = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...opts.config };
    this.storage = opts.storage;
    this.clock = opts.clock;
    this.log = opts.log;
    this.topicPartitions = opts.topicPartitions ?? (() => 0x7fffffff);
    this.topicList = opts.topics ?? (() => []);
    if (this.cfg.consumerAssignors.length === 0) this.cfg.consumerAssignors = DEFAULT_GROUP_COORDINATOR_CONFIG.consumerAssignors;
  }

  // ===========================================================================================
  // Lifecycle

  /** Starts loading __consumer_offsets (when it exists) and the retention check. */
  start(): void {
    if (this.storage.exists()) {
      const n = this.storage.numPartitions();
      for (let p = 0; p < n; p++) this.loading.add(p);
      this.loaded = this.loadAll(n);
    }
    this.scheduleRetentionCheck();
  }

  private async loadAll(n: number): Promise<void> {
    for (let p = 0; p < n; p++) {
      if (this.closed) return;
      try {
        await this.loadPartition(p);
      } catch (err) {
        this.log?.error({ err, partition: p }, 'failed to load __consumer_offsets partition');
      }
      this.loading.delete(p);
    }
  }

  /** Answers pending JoinGroup/SyncGroup requests with NOT_COORDINATOR and stops every timer. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.retentionTimer?.();
    for (const g of this.groups.values()) {
      g.joinTimer?.();
      g.syncTimer?.();
      for (const c of g.pendingMembers.values()) c();
      for (const m of g.members.values()) {
        m.expiry?.();
        this.respondJoin(m, joinError(m.memberId, ErrorCode.NOT_COORDINATOR));
        this.respondSync(m, syncError(ErrorCode.NOT_COORDINATOR));
      }
    }
    for (const g of this.consumerGroups.values()) for (const m of g.members.values()) m.cancelTimers();
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.storage.numPartitions());
  }

  /** NONE, or why requests for this group cannot be served now. */
  groupAccessError(groupId: string): number {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    if (this.loading.size > 0 && this.loading.has(this.partitionFor(groupId))) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  /** Creates __consumer_offsets when missing (FindCoordinator does this, as in Kafka). */
  async ensureStorage(): Promise<number> {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    try {
      await this.storage.ensure();
      return ErrorCode.NONE;
    } catch (err) {
      this.log?.error({ err }, 'cannot create the offsets topic');
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  /** A group (tests, describe). */
  group(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }

  get groupCount(): number {
    return this.groups.size + this.consumerGroups.size;
  }

  // ===========================================================================================
  // JoinGroup

  async joinGroup(req: JoinGroupRequestData): Promise<JoinGroupResult> {
    const storageError = await this.ensureStorage();
    if (storageError !== ErrorCode.NONE) return joinError(req.memberId, storageError);
    const accessError = this.groupAccessError(req.groupId);
    if (accessError !== ErrorCode.NONE) return joinError(req.memberId, accessError);
    if (req.groupId === '') return joinError(req.memberId, ErrorCode.INVALID_GROUP_ID);
    if (req.sessionTimeoutMs < this.cfg.minSessionTimeoutMs || req.sessionTimeoutMs > this.cfg.maxSessionTimeoutMs) {
      return joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    const unknownMember = req.memberId === '';
    let group = this.groups.get(req.groupId);
    if (!group) {
      const cg = this.consumerGroups.get(req.groupId);
      if (cg && cg.members.size > 0) return joinError(req.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      if (!unknownMember) return joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
      group = new ClassicGroup(req.groupId, this.clock.now());
      if (cg) {
        // An empty consumer group becomes a classic group; its offsets stay.
        for (const [t, parts] of cg.offsets) for (const [p, e] of parts) group.setOffset(t, p, e);
        void this.deleteConsumerGroupRecords(cg);
        this.log?.info({ group: req.groupId }, 'converted an empty consumer group to a classic group');
      }
      this.groups.set(req.groupId, group);
    }
    const g = group;
    if (g.is('Dead')) return joinError(req.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (!g.supportsProtocols(req.protocolType, req.protocols)) return joinError(req.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

    const knownInstance = req.groupInstanceId !== null && g.staticMembers.has(req.groupInstanceId);
    const isNewToGroup = !g.members.has(req.memberId) && !g.pendingMembers.has(req.memberId) && !knownInstance;
    if (isNewToGroup && g.members.size + g.pendingMembers.size >= this.cfg.maxGroupSize) {
      return joinError(req.memberId, ErrorCode.GROUP_MAX_SIZE_REACHED);
    }
    return new Promise<JoinGroupResult>((resolve) => {
      if (unknownMember) this.joinUnknownMember(g, req, resolve);
      else this.joinKnownMember(g, req, resolve);
    });
  }

  private joinUnknownMember(g: ClassicGroup, req: JoinGroupRequestData, cb: (r: JoinGroupResult) => void): void {
    const newMemberId = `${req.clientId}-${randomUUID()}`;
    if (req.groupInstanceId !== null) {
      const oldId = g.staticMembers.get(req.groupInstanceId);
      if (oldId !== undefined) this.updateStaticMemberAndRebalance(g, oldId, newMemberId, req, cb);
      else this.addMemberAndRebalance(g, newMemberId, req, cb);
      return;
    }
    if (req.requireKnownMemberId) {
      // KIP-394: hand out the id; the member must come back with it within its session timeout.
      const cancel = this.clock.setTimeout(() => {
        if (g.pendingMembers.delete(newMemberId)) {
          this.tryCompleteJoin(g);
          this.maybeDropGroup(g);
        }
      }, req.sessionTimeoutMs);
      g.pendingMembers.set(newMemberId, cancel);
      cb(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
      return;
    }
    this.addMemberAndRebalance(g, newMemberId, req, cb);
  }

  private joinKnownMember(g: ClassicGroup, req: JoinGroupRequestData, cb: (r: JoinGroupResult) => void): void {
    const pending = g.pendingMembers.get(req.memberId);
    if (pending) {
      pending();
      g.pendingMembers.delete(req.memberId);
      this.addMemberAndRebalance(g, req.memberId, req, cb);
      return;
    }
    if (req.groupInstanceId !== null) {
      const id = g.staticMembers.get(req.groupInstanceId);
      if (id === undefined) return cb(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      if (id !== req.memberId) return cb(joinError(req.memberId, ErrorCode.FENCED_INSTANCE_ID));
    }
    const member = g.members.get(req.memberId);
    if (!member) return cb(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    switch (g.state) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(g, member, req, cb);
        return;
      case 'CompletingRebalance':
        // A retried JoinGroup whose response was lost: the same answer again.
        if (member.matches(req.protocols)) cb(this.currentJoinResult(g, member));
        else this.updateMemberAndRebalance(g, member, req, cb);
        return;
      case 'Stable':
        // The leader rejoining (e.g. it saw new partitions) or changed metadata rebalance the group;
        // a follower rejoining with the same metadata just gets the current generation.
        if (g.isLeader(member.memberId) || !member.matches(req.protocols)) this.updateMemberAndRebalance(g, member, req, cb);
        else {
          this.scheduleExpiry(g, member, member.sessionTimeoutMs);
          cb(this.currentJoinResult(g, member));
        }
        return;
      default:
        cb(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private currentJoinResult(g: ClassicGroup, member: Member): JoinGroupResult {
    const leader = g.isLeader(member.memberId);
    return {
      errorCode: ErrorCode.NONE,
      generationId: g.generationId,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      leader: g.leaderId ?? '',
      skipAssignment: false,
      memberId: member.memberId,
      members: leader ? this.memberList(g) : [],
    };
  }

  private memberList(g: ClassicGroup): JoinGroupResult['members'] {
    return [...g.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(g.protocolName) }));
  }

  private addMemberAndRebalance(g: ClassicGroup, memberId: string, req: JoinGroupRequestData, cb: (r: JoinGroupResult) => void): void {
    const m = new Member(memberId, req.groupInstanceId, req.clientId, req.clientHost, req.rebalanceTimeoutMs, req.sessionTimeoutMs, req.protocolType, req.protocols);
    m.isNew = true;
    m.joinWaiter = cb;
    if (g.is('PreparingRebalance') && g.generationId === 0) g.newMemberAdded = true;
    g.add(m);
    // A new member cannot heartbeat before its JoinGroup is answered; bound its wait instead.
    this.scheduleExpiry(g, m, this.cfg.newMemberJoinTimeoutMs);
    if (g.is('PreparingRebalance')) this.tryCompleteJoin(g);
    else this.maybePrepareRebalance(g, `new member ${memberId} joined`);
  }

  private updateMemberAndRebalance(g: ClassicGroup, m: Member, req: JoinGroupRequestData, cb: (r: JoinGroupResult) => void): void {
    if (m.joinWaiter) this.respondJoin(m, joinError(m.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    m.protocols = req.protocols;
    m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    m.sessionTimeoutMs = req.sessionTimeoutMs;
    m.clientId = req.clientId;
    m.clientHost = req.clientHost;
    m.joinWaiter = cb;
    if (g.is('PreparingRebalance')) this.tryCompleteJoin(g);
    else this.maybePrepareRebalance(g, `member ${m.memberId} rejoined`);
  }

  /** KIP-345: a static member came back without its member id (restart): it takes the old one's place. */
  private updateStaticMemberAndRebalance(g: ClassicGroup, oldId: string, newId: string, req: JoinGroupRequestData, cb: (r: JoinGroupResult) => void): void {
    const m = g.members.get(oldId)!;
    const currentLeader = g.leaderId;
    // The old instance, if still waiting somewhere, is fenced.
    this.respondJoin(m, joinError(oldId, ErrorCode.FENCED_INSTANCE_ID));
    this.respondSync(m, syncError(ErrorCode.FENCED_INSTANCE_ID));
    const old = { protocols: m.protocols, rebalanceTimeoutMs: m.rebalanceTimeoutMs, sessionTimeoutMs: m.sessionTimeoutMs, clientId: m.clientId, clientHost: m.clientHost };
    g.replaceStaticMember(req.groupInstanceId!, oldId, newId);
    m.protocols = req.protocols;
    m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    m.sessionTimeoutMs = req.sessionTimeoutMs;
    m.clientId = req.clientId;
    m.clientHost = req.clientHost;
    this.scheduleExpiry(g, m, m.sessionTimeoutMs);
    switch (g.state) {
      case 'Stable': {
        let selected: string | null = null;
        try {
          selected = g.selectProtocol();
        } catch {
          selected = null;
        }
        if (selected !== null && selected === g.protocolName) {
          // Same protocol: persist the new member id and answer with the current generation, no rebalance.
          const generation = g.generationId;
          void this.storeGroup(g).then((err) => {
            if (err !== ErrorCode.NONE) {
              if (g.members.get(newId) === m) {
                g.replaceStaticMember(req.groupInstanceId!, newId, oldId);
                Object.assign(m, old);
              }
              cb(joinError('', err));
              return;
            }
            const leaderSkips = req.supportsSkipAssignment && g.isLeader(newId);
            cb({
              errorCode: ErrorCode.NONE,
              generationId: generation,
              protocolType: g.protocolType,
              protocolName: g.protocolName,
              // The old leader id (not the new member's), so a rejoining leader does not reassign
              // partitions a stable group would not hand out; v9+ tells it explicitly.
              leader: leaderSkips ? newId : (currentLeader ?? ''),
              skipAssignment: leaderSkips,
              memberId: newId,
              members: leaderSkips ? this.memberList(g) : [],
            });
          });
        } else {
          m.joinWaiter = cb;
          this.maybePrepareRebalance(g, `static member ${req.groupInstanceId} rejoined with different protocols`);
        }
        return;
      }
      case 'CompletingRebalance':
        // The leader may already have the old member id: rebalance so the assignment matches.
        m.joinWaiter = cb;
        this.prepareRebalance(g, `static member ${req.groupInstanceId} rejoined during CompletingRebalance`);
        return;
      case 'PreparingRebalance':
        m.joinWaiter = cb;
        this.tryCompleteJoin(g);
        return;
      default:
        cb(joinError(newId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  // ===========================================================================================
  // Rebalancing

  private maybePrepareRebalance(g: ClassicGroup, reason: string): void {
    if (g.is('Stable') || g.is('CompletingRebalance') || g.is('Empty')) this.prepareRebalance(g, reason);
  }

  private prepareRebalance(g: ClassicGroup, reason: string): void {
    if (g.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(g, ErrorCode.REBALANCE_IN_PROGRESS);
    g.syncTimer?.();
    g.syncTimer = null;
    g.pendingSync.clear();
    const wasEmpty = g.is('Empty');
    g.transitionTo('PreparingRebalance', this.clock.now());
    this.log?.info({ group: g.groupId, generation: g.generationId, reason }, 'preparing to rebalance group');
    g.joinTimer?.();
    if (wasEmpty) {
      g.initialDelay = true;
      const delay = this.cfg.initialRebalanceDelayMs;
      this.scheduleInitialDelayedJoin(g, delay, Math.max(g.rebalanceTimeoutMs() - delay, 0));
    } else {
      g.initialDelay = false;
      g.joinTimer = this.clock.setTimeout(() => {
        g.joinTimer = null;
        this.completeJoin(g);
      }, g.rebalanceTimeoutMs());
      this.tryCompleteJoin(g);
    }
  }

  /** The initial delay: waits, and waits again (up to the rebalance timeout) while new members arrive. */
  private scheduleInitialDelayedJoin(g: ClassicGroup, delayMs: number, remainingMs: number): void {
    g.joinTimer = this.clock.setTimeout(() => {
      g.joinTimer = null;
      if (g.newMemberAdded && remainingMs !== 0) {
        g.newMemberAdded = false;
        const delay = Math.min(this.cfg.initialRebalanceDelayMs, remainingMs);
        this.scheduleInitialDelayedJoin(g, delay, Math.max(remainingMs - this.cfg.initialRebalanceDelayMs, 0));
      } else {
        g.initialDelay = false;
        this.completeJoin(g);
      }
    }, delayMs);
  }

  private tryCompleteJoin(g: ClassicGroup): void {
    if (g.is('PreparingRebalance') && !g.initialDelay && g.hasAllMembersJoined()) this.completeJoin(g);
  }

  /** The join phase ends: members that did not rejoin are dropped, the next generation starts. */
  private completeJoin(g: ClassicGroup): void {
    g.joinTimer?.();
    g.joinTimer = null;
    g.initialDelay = false;
    g.newMemberAdded = false;
    if (!g.is('PreparingRebalance')) return;
    for (const m of [...g.members.values()]) {
      // Static members may miss a rebalance: they stay until their session expires.
      if (!m.joinWaiter && !m.isStatic) {
        m.expiry?.();
        m.expiry = null;
        g.remove(m.memberId);
      }
    }
    const now = this.clock.now();
    g.generationId = g.generationId >= MAX_EPOCH_GENERATION ? 1 : g.generationId + 1;
    if (g.members.size === 0) {
      g.protocolName = null;
      g.leaderId = null;
      g.transitionTo('Empty', now);
      this.log?.info({ group: g.groupId, generation: g.generationId }, 'group is now empty');
      void this.storeGroup(g);
      return;
    }
    try {
      g.protocolName = g.selectProtocol();
    } catch {
      g.protocolName = [...g.members.values()][0]!.protocols[0]?.name ?? null;
    }
    if (g.leaderId === null || !g.members.has(g.leaderId)) g.leaderId = g.members.keys().next().value ?? null;
    g.transitionTo('CompletingRebalance', now);
    this.log?.info({ group: g.groupId, generation: g.generationId, members: g.members.size, protocol: g.protocolName }, 'group completed its join phase');
    for (const m of g.members.values()) {
      g.pendingSync.add(m.memberId);
      if (!m.joinWaiter) continue;
      const result = this.currentJoinResult(g, m);
      m.isNew = false;
      this.respondJoin(m, result);
      this.scheduleExpiry(g, m, m.sessionTimeoutMs);
    }
    // Members that do not send SyncGroup within the rebalance timeout are removed.
    const generation = g.generationId;
    g.syncTimer = this.clock.setTimeout(() => {
      g.syncTimer = null;
      if (g.generationId !== generation || !(g.is('CompletingRebalance') || g.is('Stable'))) return;
      const late = [...g.pendingSync];
      g.pendingSync.clear();
      for (const id of late) {
        const m = g.members.get(id);
        if (m) this.removeMemberAndUpdateGroup(g, m, 'no SyncGroup within the rebalance timeout');
      }
    }, g.rebalanceTimeoutMs());
  }

  private resetAndPropagateAssignmentError(g: ClassicGroup, errorCode: number): void {
    for (const m of g.members.values()) {
      m.assignment = EMPTY_BYTES;
      this.respondSync(m, syncError(errorCode));
    }
  }

  private propagateAssignment(g: ClassicGroup, assignments: ReadonlyMap<string, Buffer>): void {
    for (const m of g.members.values()) {
      m.assignment = assignments.get(m.memberId) ?? EMPTY_BYTES;
      if (m.syncWaiter) {
        this.respondSync(m, { errorCode: ErrorCode.NONE, protocolType: g.protocolType, protocolName: g.protocolName, assignment: m.assignment });
        this.scheduleExpiry(g, m, m.sessionTimeoutMs);
      }
    }
  }

  private respondJoin(m: Member, r: JoinGroupResult): void {
    const w = m.joinWaiter;
    m.joinWaiter = null;
    w?.(r);
  }

  private respondSync(m: Member, r: SyncGroupResult): void {
    const w = m.syncWaiter;
    m.syncWaiter = null;
    w?.(r);
  }

  private scheduleExpiry(g: ClassicGroup, m: Member, ms: number): void {
    m.expiry?.();
    if (this.closed) return;
    m.expiry = this.clock.setTimeout(() => {
      m.expiry = null;
      if (g.members.get(m.memberId) !== m) return;
      // Members waiting for a JoinGroup or SyncGroup answer cannot heartbeat: keep them, unless
      // a new member waited past the new-member join timeout.
      if ((m.joinWaiter && !m.isNew) || m.syncWaiter) {
        this.scheduleExpiry(g, m, m.sessionTimeoutMs);
        return;
      }
      this.log?.info({ group: g.groupId, member: m.memberId }, 'member session expired');
      this.removeMemberAndUpdateGroup(g, m, 'session timeout');
    }, ms);
  }

  private removeMemberAndUpdateGroup(g: ClassicGroup, m: Member, reason: string): void {
    m.expiry?.();
    m.expiry = null;
    this.respondJoin(m, joinError(m.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    this.respondSync(m, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    g.remove(m.memberId);
    switch (g.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.maybePrepareRebalance(g, `removing member ${m.memberId}: ${reason}`);
        break;
      case 'PreparingRebalance':
        this.tryCompleteJoin(g);
        break;
      default:
        break;
    }
  }

  /** A group with nothing in it (no members, offsets or pending members) and never used is forgotten. */
  private maybeDropGroup(g: ClassicGroup): void {
    if (g.is('Empty') && g.members.size === 0 && g.pendingMembers.size === 0 && !g.hasOffsets() && g.generationId === 0 && this.groups.get(g.groupId) === g) {
      this.groups.delete(g.groupId);
    }
  }

  // ===========================================================================================
  // SyncGroup, Heartbeat, LeaveGroup

  async syncGroup(req: SyncGroupRequestData): Promise<SyncGroupResult> {
    const accessError = this.groupAccessError(req.groupId);
    if (accessError !== ErrorCode.NONE) return syncError(accessError);
    const g = this.groups.get(req.groupId);
    if (!g) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    if (g.is('Dead')) return syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const fenced = this.staticFenceError(g, req.groupInstanceId, req.memberId);
    if (fenced !== ErrorCode.NONE) return syncError(fenced);
    const m = g.members.get(req.memberId);
    if (!m) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    if (req.generationId !== g.generationId) return syncError(ErrorCode.ILLEGAL_GENERATION);
    if ((req.protocolType !== null && req.protocolType !== g.protocolType) || (req.protocolName !== null && req.protocolName !== g.protocolName)) {
      return syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    switch (g.state) {
      case 'PreparingRebalance':
        return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
        g.pendingSync.delete(m.memberId);
        this.scheduleExpiry(g, m, m.sessionTimeoutMs);
        return { errorCode: ErrorCode.NONE, protocolType: g.protocolType, protocolName: g.protocolName, assignment: m.assignment };
      case 'CompletingRebalance':
        break;
      default:
        return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    }
    return new Promise<SyncGroupResult>((resolve) => {
      if (m.syncWaiter) this.respondSync(m, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      m.syncWaiter = resolve;
      g.pendingSync.delete(m.memberId);
      if (!g.isLeader(m.memberId)) return;
      const assignments = new Map<string, Buffer>();
      for (const a of req.assignments) if (g.members.has(a.memberId)) assignments.set(a.memberId, a.assignment);
      const generation = g.generationId;
      void this.storeGroup(g, assignments).then((err) => {
        if (g.generationId !== generation || !g.is('CompletingRebalance')) return;
        if (err !== ErrorCode.NONE) {
          this.resetAndPropagateAssignmentError(g, err);
          this.maybePrepareRebalance(g, 'failed to store the group assignment');
          return;
        }
        this.propagateAssignment(g, assignments);
        g.transitionTo('Stable', this.clock.now());
        this.log?.info({ group: g.groupId, generation: g.generationId }, 'group is stable');
      });
    });
  }

  private staticFenceError(g: ClassicGroup, instanceId: string | null, memberId: string): number {
    if (instanceId === null) return ErrorCode.NONE;
    const id = g.staticMembers.get(instanceId);
    if (id !== undefined && id !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    return ErrorCode.NONE;
  }

  heartbeat(req: HeartbeatRequestData): number {
    const accessError = this.groupAccessError(req.groupId);
    if (accessError !== ErrorCode.NONE) return accessError;
    const g = this.groups.get(req.groupId);
    if (!g) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (g.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (g.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID;
    const fenced = this.staticFenceError(g, req.groupInstanceId, req.memberId);
    if (fenced !== ErrorCode.NONE) return fenced;
    const m = g.members.get(req.memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (req.generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.scheduleExpiry(g, m, m.sessionTimeoutMs);
    return g.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leaveGroup(groupId: string, members: readonly LeaveMember[]): LeaveGroupResult {
    const accessError = this.groupAccessError(groupId);
    if (accessError !== ErrorCode.NONE) return { errorCode: accessError, members: [] };
    const g = this.groups.get(groupId);
    if (!g) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] };
    if (g.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const out: LeaveGroupResult['members'] = [];
    for (const lm of members) {
      let errorCode: number = ErrorCode.NONE;
      if (lm.groupInstanceId !== null) {
        const id = g.staticMembers.get(lm.groupInstanceId);
        if (id === undefined) errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
        else if (lm.memberId !== '' && lm.memberId !== id) errorCode = ErrorCode.FENCED_INSTANCE_ID;
        else this.removeMemberAndUpdateGroup(g, g.members.get(id)!, `static member left: ${lm.reason ?? 'no reason given'}`);
      } else if (g.pendingMembers.has(lm.memberId)) {
        g.pendingMembers.get(lm.memberId)!();
        g.pendingMembers.delete(lm.memberId);
        this.tryCompleteJoin(g);
      } else {
        const m = g.members.get(lm.memberId);
        if (!m) errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
        else this.removeMemberAndUpdateGroup(g, m, `member left: ${lm.reason ?? 'no reason given'}`);
      }
      out.push({ memberId: lm.memberId, groupInstanceId: lm.groupInstanceId, errorCode });
    }
    return { errorCode: ErrorCode.NONE, members: out };
  }

  // ===========================================================================================
  // KIP-848 consumer groups: ConsumerGroupHeartbeat

  /** A consumer group (tests, describe). */
  consumerGroup(groupId: string): ConsumerGroup | undefined {
    return this.consumerGroups.get(groupId);
  }

  private hbError(errorCode: number, errorMessage: string | null = null, memberId: string | null = null, memberEpoch = 0): ConsumerGroupHeartbeatResult {
    return { errorCode, errorMessage, memberId, memberEpoch, heartbeatIntervalMs: 0, assignment: null };
  }

  /** Kafka's request checks; null when the request is well formed. */
  private validateHeartbeat(req: ConsumerGroupHeartbeatRequestData): ConsumerGroupHeartbeatResult | null {
    const invalid = (msg: string): ConsumerGroupHeartbeatResult => this.hbError(ErrorCode.INVALID_REQUEST, msg);
    if (req.groupId === '') return invalid('GroupId can not be empty.');
    if (req.rackId !== null && req.rackId === '') return invalid('RackId can not be empty.');
    if (req.memberEpoch < LEAVE_GROUP_STATIC_MEMBER_EPOCH) return invalid(`MemberEpoch ${req.memberEpoch} is invalid.`);
    if (req.memberId === '' && (req.memberEpoch !== 0 || req.apiVersion >= 1)) return invalid('MemberId can not be empty.');
    if (req.memberEpoch === 0) {
      if (req.rebalanceTimeoutMs === -1) return invalid('RebalanceTimeoutMs must be provided in first request.');
      if (req.topicPartitions === null || req.topicPartitions.some((t) => t.partitions.length > 0)) return invalid('TopicPartitions must be empty when (re-)joining.');
      if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null) return invalid('SubscribedTopicNames or SubscribedTopicRegex must be set in first request.');
    }
    if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH && req.instanceId === null) return invalid('InstanceId can not be null when MemberEpoch is -2.');
    if (req.serverAssignor !== null && !this.cfg.consumerAssignors.includes(req.serverAssignor)) {
      return this.hbError(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${this.cfg.consumerAssignors.join(', ')}.`);
    }
    if (req.subscribedTopicRegex !== null && req.subscribedTopicRegex !== '' && compileRegex(req.subscribedTopicRegex) === null) {
      return this.hbError(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex \`${req.subscribedTopicRegex}\` is not a valid regular expression.`);
    }
    return null;
  }

  async consumerGroupHeartbeat(req: ConsumerGroupHeartbeatRequestData): Promise<ConsumerGroupHeartbeatResult> {
    const bad = this.validateHeartbeat(req);
    if (bad) return bad;
    const storageError = await this.ensureStorage();
    if (storageError !== ErrorCode.NONE) return this.hbError(storageError);
    const accessError = this.groupAccessError(req.groupId);
    if (accessError !== ErrorCode.NONE) return this.hbError(accessError);
    const records: StoredRecord[] = [];
    if (req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) return this.consumerGroupLeave(req);

    // The group: found, created by a joining member, or converted from an empty classic group.
    let g = this.consumerGroups.get(req.groupId);
    if (!g) {
      const classic = this.groups.get(req.groupId);
      if (classic && !classic.is('Dead') && (classic.members.size > 0 || classic.pendingMembers.size > 0)) {
        return this.hbError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} is not a consumer group.`);
      }
      if (req.memberEpoch !== 0) return this.hbError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      g = new ConsumerGroup(req.groupId, this.clock.now());
      if (classic) {
        for (const [t, parts] of classic.offsets) for (const [p, e] of parts) g.setOffset(t, p, e);
        classic.transitionTo('Dead', this.clock.now());
        this.groups.delete(req.groupId);
        records.push({ key: encodeGroupMetadataKey(req.groupId), value: null });
        this.log?.info({ group: req.groupId }, 'converted an empty classic group to a consumer group');
      }
      this.consumerGroups.set(req.groupId, g);
    }
    const now = this.clock.now();

    // The member: new, replacing a static member that left temporarily, rejoining, or known.
    let member: ConsumerGroupMember | undefined;
    let isNew = false;
    if (req.memberEpoch === 0) {
      if (req.instanceId !== null) {
        const oldId = g.staticMembers.get(req.instanceId);
        const old = oldId !== undefined ? g.members.get(oldId) : undefined;
        if (old && old.memberId !== req.memberId) {
          if (old.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
            return this.hbError(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${old.memberId} with instance id ${req.instanceId} is still active in group ${req.groupId}; it must leave first.`);
          }
          // KIP-848 static membership: the new member takes the old one's place and target assignment.
          const newId = req.memberId || newMemberId();
          const target = g.targetAssignment.get(old.memberId) ?? emptyAssignment();
          this.removeConsumerMemberRecords(g, old, records);
          g.removeMember(old.memberId, now);
          member = new ConsumerGroupMember(newId);
          Object.assign(member, {
            instanceId: old.instanceId,
            rackId: old.rackId,
            clientId: old.clientId,
            clientHost: old.clientHost,
            rebalanceTimeoutMs: old.rebalanceTimeoutMs,
            subscribedTopicNames: old.subscribedTopicNames,
            subscribedTopicRegex: old.subscribedTopicRegex,
            serverAssignor: old.serverAssignor,
          });
          g.addMember(member);
          g.targetAssignment.set(newId, target);
          records.push(this.targetMemberRecord(g, newId, target));
          isNew = true; // a new member record, but no new epoch unless its subscription changed
          this.log?.info({ group: g.groupId, instance: req.instanceId, old: old.memberId, member: newId }, 'static member replaced');
        }
      }
      if (!member) {
        const id = req.memberId || newMemberId();
        member = g.members.get(id);
        if (member) {
          // Rejoining with epoch 0 (e.g. after being fenced): it holds nothing any more.
          member.rebalanceTimer?.();
          member.rebalanceTimer = null;
          member.memberEpoch = 0;
          member.previousMemberEpoch = -1;
          member.state = MemberState.STABLE;
          member.assigned = emptyAssignment();
          member.pendingRevocation = emptyAssignment();
        } else {
          if (g.members.size >= this.cfg.consumerMaxSize) {
            return this.hbError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.cfg.consumerMaxSize} members.`);
          }
          member = new ConsumerGroupMember(id);
          member.instanceId = req.instanceId;
          g.addMember(member);
          isNew = true;
        }
      }
    } else {
      member = g.members.get(req.memberId);
      if (!member) return this.hbError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      if (req.instanceId !== null) {
        const id = g.staticMembers.get(req.instanceId);
        if (id === undefined) return this.hbError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`);
        if (id !== req.memberId) return this.hbError(ErrorCode.FENCED_INSTANCE_ID, `Instance id ${req.instanceId} belongs to another member.`);
      }
      const owned = req.topicPartitions === null ? null : assignmentFromList(req.topicPartitions);
      if (req.memberEpoch > member.memberEpoch) {
        return this.hbError(ErrorCode.FENCED_MEMBER_EPOCH, `The member epoch ${req.memberEpoch} is newer than the coordinator's ${member.memberEpoch}. The member must abandon all its partitions and rejoin.`);
      }
      if (req.memberEpoch < member.memberEpoch && (req.memberEpoch !== member.previousMemberEpoch || !isSubset(owned, member.assigned))) {
        return this.hbError(ErrorCode.FENCED_MEMBER_EPOCH, `The member epoch ${req.memberEpoch} is older than the coordinator's ${member.memberEpoch}. The member must abandon all its partitions and rejoin.`);
      }
    }
    const m = member;

    // Member metadata: every non-null field of the request replaces the stored one.
    const before = memberMetadataValue(m);
    if (req.rackId !== null) m.rackId = req.rackId;
    if (req.rebalanceTimeoutMs !== -1) m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    if (req.subscribedTopicNames !== null) m.subscribedTopicNames = [...req.subscribedTopicNames];
    if (req.subscribedTopicRegex !== null) m.subscribedTopicRegex = req.subscribedTopicRegex === '' ? null : req.subscribedTopicRegex;
    if (req.serverAssignor !== null) m.serverAssignor = req.serverAssignor;
    m.clientId = req.clientId;
    m.clientHost = req.clientHost;
    const after = memberMetadataValue(m);
    const subscriptionChanged =
      before.subscribedTopicNames.join('\u0000') !== after.subscribedTopicNames.join('\u0000') ||
      before.subscribedTopicRegex !== after.subscribedTopicRegex ||
      before.serverAssignor !== after.serverAssignor;
    if (isNew || JSON.stringify(before) !== JSON.stringify(after)) {
      records.push({ key: encodeConsumerGroupKey(CGK.MEMBER_METADATA, g.groupId, m.memberId), value: encodeConsumerGroupMemberMetadataValue(after) });
    }
    let bump = (isNew && !(req.instanceId !== null && g.targetAssignment.has(m.memberId) && !subscriptionChanged)) || subscriptionChanged;
    if (this.refreshSubscriptionMetadata(g, records)) bump = true;
    if (bump) this.bumpGroupEpoch(g, records);
    if (g.groupEpoch > g.assignmentEpoch) this.computeTargetAssignment(g, records);

    // Reconcile the member towards its target.
    const owned = req.topicPartitions === null ? null : assignmentFromList(req.topicPartitions);
    const prevAssigned = m.assigned;
    this.reconcileMember(g, m, owned, records);
    this.scheduleConsumerSession(g, m);

    const full = req.memberEpoch === 0 || (req.rebalanceTimeoutMs !== -1 && req.subscribedTopicNames !== null && req.topicPartitions !== null);
    const result: ConsumerGroupHeartbeatResult = {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: m.memberId,
      memberEpoch: m.memberEpoch,
      heartbeatIntervalMs: this.cfg.consumerHeartbeatIntervalMs,
      assignment: full || isNew || !assignmentEquals(prevAssigned, m.assigned) ? { topicPartitions: assignmentToList(m.assigned) } : null,
    };
    if (records.length > 0) {
      const err = await this.append(g.groupId, records);
      if (err !== ErrorCode.NONE) return this.hbError(err);
    }
    return result;
  }

  /** Epoch -1: the member leaves; epoch -2: a static member leaves for now and keeps its partitions. */
  private async consumerGroupLeave(req: ConsumerGroupHeartbeatRequestData): Promise<ConsumerGroupHeartbeatResult> {
    const g = this.consumerGroups.get(req.groupId);
    if (!g) return this.hbError(ErrorCode.UNKNOWN_MEMBER_ID, `Group ${req.groupId} has no member ${req.memberId}.`);
    const records: StoredRecord[] = [];
    let m: ConsumerGroupMember | undefined;
    if (req.instanceId !== null) {
      const id = g.staticMembers.get(req.instanceId);
      if (id === undefined) return this.hbError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`);
      if (id !== req.memberId) return this.hbError(ErrorCode.FENCED_INSTANCE_ID, `Instance id ${req.instanceId} belongs to another member.`);
      m = g.members.get(id);
    } else {
      m = g.members.get(req.memberId);
    }
    if (!m) return this.hbError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
    if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      // Its partitions stay assigned until it comes back (or its session expires).
      m.rebalanceTimer?.();
      m.rebalanceTimer = null;
      m.previousMemberEpoch = m.memberEpoch;
      m.memberEpoch = LEAVE_GROUP_STATIC_MEMBER_EPOCH;
      records.push(this.currentAssignmentRecord(g, m));
      this.scheduleConsumerSession(g, m);
      this.log?.info({ group: g.groupId, member: m.memberId, instance: m.instanceId }, 'static member left temporarily');
    } else {
      this.removeConsumerMember(g, m, records);
      this.log?.info({ group: g.groupId, member: m.memberId }, 'member left the group');
    }
    const err = await this.append(g.groupId, records);
    if (err !== ErrorCode.NONE) return this.hbError(err);
    return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: req.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: null };
  }

  private bumpGroupEpoch(g: ConsumerGroup, records: StoredRecord[]): void {
    g.groupEpoch = g.groupEpoch >= MAX_EPOCH_GENERATION ? 1 : g.groupEpoch + 1;
    records.push({ key: encodeConsumerGroupKey(CGK.METADATA, g.groupId), value: encodeEpochValue(g.groupEpoch) });
  }

  /** Topics of this broker by name. */
  private topicsByName(): Map<string, { name: string; topicId: string; partitions: number; internal?: boolean }> {
    return new Map(this.topicList().map((t) => [t.name, t]));
  }

  /** The existing topics a member subscribes to: its names plus the regex's matches (internal topics excluded). */
  private memberTopics(m: ConsumerGroupMember, byName: ReadonlyMap<string, { name: string; internal?: boolean }>): Set<string> {
    const out = new Set<string>();
    for (const t of m.subscribedTopicNames) if (byName.has(t)) out.add(t);
    if (m.subscribedTopicRegex !== null) {
      const re = compileRegex(m.subscribedTopicRegex);
      if (re) for (const t of byName.values()) if (!t.internal && re.test(t.name)) out.add(t.name);
    }
    return out;
  }

  /** Recomputes the subscribed topics' metadata; true (and a record) when it changed. */
  private refreshSubscriptionMetadata(g: ConsumerGroup, records: StoredRecord[]): boolean {
    const byName = this.topicsByName();
    const next = new Map<string, TopicMetadata>();
    for (const m of g.members.values()) {
      for (const name of this.memberTopics(m, byName)) {
        const t = byName.get(name)!;
        next.set(name, { topicId: t.topicId, topicName: name, numPartitions: t.partitions });
      }
    }
    const same =
      next.size === g.subscriptionMetadata.size &&
      [...next].every(([n, t]) => {
        const o = g.subscriptionMetadata.get(n);
        return o !== undefined && o.topicId === t.topicId && o.numPartitions === t.numPartitions;
      });
    if (same) return false;
    g.subscriptionMetadata = next;
    records.push({
      key: encodeConsumerGroupKey(CGK.PARTITION_METADATA, g.groupId),
      value: encodeConsumerGroupPartitionMetadataValue({ topics: [...next.values()].sort((a, b) => (a.topicName < b.topicName ? -1 : 1)) }),
    });
    return true;
  }

  /** Runs the group's assignor; the assignment epoch catches up with the group epoch. */
  private computeTargetAssignment(g: ConsumerGroup, records: StoredRecord[]): void {
    const name = g.preferredAssignor(this.cfg.consumerAssignors[0]!);
    const assignor = ASSIGNORS.get(name) ?? ASSIGNORS.get(this.cfg.consumerAssignors[0]!)!;
    const byName = this.topicsByName();
    const topics = new Map<string, number>();
    for (const t of g.subscriptionMetadata.values()) topics.set(t.topicId, t.numPartitions);
    const members: AssignorMember[] = [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      subscribedTopicIds: new Set(
        [...this.memberTopics(m, byName)].map((n) => g.subscriptionMetadata.get(n)?.topicId).filter((id): id is string => id !== undefined),
      ),
    }));
    const result = assignor.assign({ members, topics, previous: g.targetAssignment });
    for (const m of members) {
      const next = result.get(m.memberId) ?? emptyAssignment();
      const prev = g.targetAssignment.get(m.memberId);
      if (!prev || !assignmentEquals(prev, next)) {
        g.targetAssignment.set(m.memberId, next);
        records.push(this.targetMemberRecord(g, m.memberId, next));
      }
    }
    g.assignmentEpoch = g.groupEpoch;
    g.assignorName = assignor.name;
    records.push({ key: encodeConsumerGroupKey(CGK.TARGET_ASSIGNMENT_METADATA, g.groupId), value: encodeEpochValue(g.assignmentEpoch) });
    this.log?.debug({ group: g.groupId, epoch: g.assignmentEpoch, assignor: assignor.name }, 'computed a new target assignment');
  }

  private targetMemberRecord(g: ConsumerGroup, memberId: string, a: TopicPartitions): StoredRecord {
    return { key: encodeConsumerGroupKey(CGK.TARGET_ASSIGNMENT_MEMBER, g.groupId, memberId), value: encodeConsumerGroupTargetAssignmentMemberValue(assignmentToList(a)) };
  }

  private currentAssignmentRecord(g: ConsumerGroup, m: ConsumerGroupMember): StoredRecord {
    const v: ConsumerGroupCurrentMemberAssignmentValue = {
      memberEpoch: m.memberEpoch,
      previousMemberEpoch: m.previousMemberEpoch,
      state: m.state,
      assignedPartitions: assignmentToList(m.assigned),
      partitionsPendingRevocation: assignmentToList(m.pendingRevocation),
    };
    return { key: encodeConsumerGroupKey(CGK.CURRENT_MEMBER_ASSIGNMENT, g.groupId, m.memberId), value: encodeConsumerGroupCurrentMemberAssignmentValue(v) };
  }

  /** One reconciliation step; a revocation starts the member's rebalance timeout. */
  private reconcileMember(g: ConsumerGroup, m: ConsumerGroupMember, owned: TopicPartitions | null, records: StoredRecord[]): void {
    const target = g.targetAssignment.get(m.memberId) ?? emptyAssignment();
    const r = reconcile(m, g.assignmentEpoch, target, owned, g.heldByOther(m.memberId));
    const changed =
      r.memberEpoch !== m.memberEpoch ||
      r.previousMemberEpoch !== m.previousMemberEpoch ||
      r.state !== m.state ||
      !assignmentEquals(r.assigned, m.assigned) ||
      !assignmentEquals(r.pendingRevocation, m.pendingRevocation);
    if (!changed) return;
    const wasRevoking = m.state === MemberState.UNREVOKED_PARTITIONS;
    m.memberEpoch = r.memberEpoch;
    m.previousMemberEpoch = r.previousMemberEpoch;
    m.state = r.state as MemberStateValue;
    m.assigned = r.assigned;
    m.pendingRevocation = r.pendingRevocation;
    records.push(this.currentAssignmentRecord(g, m));
    if (m.state === MemberState.UNREVOKED_PARTITIONS) {
      if (!wasRevoking) this.scheduleRebalanceTimeout(g, m);
    } else {
      m.rebalanceTimer?.();
      m.rebalanceTimer = null;
    }
  }

  private scheduleConsumerSession(g: ConsumerGroup, m: ConsumerGroupMember): void {
    m.sessionTimer?.();
    m.sessionTimer = null;
    if (this.closed) return;
    m.sessionTimer = this.clock.setTimeout(() => {
      m.sessionTimer = null;
      if (g.members.get(m.memberId) !== m) return;
      this.log?.info({ group: g.groupId, member: m.memberId }, 'member session expired');
      this.fenceConsumerMember(g, m, 'session timeout');
    }, this.cfg.consumerSessionTimeoutMs);
  }

  private scheduleRebalanceTimeout(g: ConsumerGroup, m: ConsumerGroupMember): void {
    m.rebalanceTimer?.();
    m.rebalanceTimer = null;
    if (this.closed || m.rebalanceTimeoutMs < 0) return;
    const epoch = m.memberEpoch;
    m.rebalanceTimer = this.clock.setTimeout(() => {
      m.rebalanceTimer = null;
      if (g.members.get(m.memberId) !== m || m.state !== MemberState.UNREVOKED_PARTITIONS || m.memberEpoch !== epoch) return;
      this.log?.info({ group: g.groupId, member: m.memberId }, 'member did not revoke its partitions within the rebalance timeout');
      this.fenceConsumerMember(g, m, 'rebalance timeout');
    }, m.rebalanceTimeoutMs);
  }

  /** Removes a member that stopped heartbeating (or revoking); its partitions are freed. */
  private fenceConsumerMember(g: ConsumerGroup, m: ConsumerGroupMember, reason: string): void {
    const records: StoredRecord[] = [];
    this.removeConsumerMember(g, m, records);
    this.log?.debug({ group: g.groupId, member: m.memberId, reason }, 'member fenced');
    void this.append(g.groupId, records);
  }

  private removeConsumerMemberRecords(g: ConsumerGroup, m: ConsumerGroupMember, records: StoredRecord[]): void {
    records.push(
      { key: encodeConsumerGroupKey(CGK.CURRENT_MEMBER_ASSIGNMENT, g.groupId, m.memberId), value: null },
      { key: encodeConsumerGroupKey(CGK.TARGET_ASSIGNMENT_MEMBER, g.groupId, m.memberId), value: null },
      { key: encodeConsumerGroupKey(CGK.MEMBER_METADATA, g.groupId, m.memberId), value: null },
    );
  }

  /** The member goes (tombstones), the group epoch moves on so the others get its partitions. */
  private removeConsumerMember(g: ConsumerGroup, m: ConsumerGroupMember, records: StoredRecord[]): void {
    this.removeConsumerMemberRecords(g, m, records);
    g.removeMember(m.memberId, this.clock.now());
    this.refreshSubscriptionMetadata(g, records);
    this.bumpGroupEpoch(g, records);
  }

  // ===========================================================================================
  // ConsumerGroupDescribe

  describeConsumerGroup(groupId: string): DescribedConsumerGroup {
    const base: DescribedConsumerGroup = { errorCode: ErrorCode.NONE, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] };
    const accessError = this.groupAccessError(groupId);
    if (accessError !== ErrorCode.NONE) return { ...base, errorCode: accessError };
    const g = this.consumerGroups.get(groupId);
    if (!g || g.dead) {
      const classic = this.groups.get(groupId);
      const msg = classic && !classic.is('Dead') ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`;
      return { ...base, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: msg, groupState: 'Dead' };
    }
    const names = new Map<string, string>();
    for (const t of this.topicList()) names.set(t.topicId, t.name);
    for (const t of g.subscriptionMetadata.values()) names.set(t.topicId, t.topicName);
    const describe = (a: TopicPartitions): DescribedConsumerGroupAssignment => ({
      topicPartitions: assignmentToList(a).map((r) => ({ topicId: r.topicId, topicName: names.get(r.topicId) ?? '', partitions: r.partitions })),
    });
    return {
      ...base,
      groupState: g.state(),
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      assignorName: g.assignorName || g.preferredAssignor(this.cfg.consumerAssignors[0]!),
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: m.subscribedTopicNames,
        subscribedTopicRegex: m.subscribedTopicRegex,
        assignment: describe(m.assigned),
        targetAssignment: describe(g.targetAssignment.get(m.memberId) ?? emptyAssignment()),
      })),
    };
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
    const cg = this.consumerGroups.get(req.groupId);
    let g: GroupOffsets | undefined = cg ?? this.groups.get(req.groupId);
    let created = false;
    if (cg) {
      const err = this.validateConsumerCommit(cg, req);
      if (err !== ErrorCode.NONE) return all(err);
    } else if (!g) {
      if (req.generationId >= 0 || req.memberId !== '') {
        return all(req.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
      }
      // A consumer that assigns partitions itself: the group exists only to keep its offsets.
      const standalone = new ClassicGroup(req.groupId, this.clock.now());
      this.groups.set(req.groupId, standalone);
      g = standalone;
      created = true;
    } else {
      const err = this.validateCommit(g as ClassicGroup, req);
      if (err !== ErrorCode.NONE) return all(err);
    }
    const group: GroupOffsets = g!;
    const now = this.clock.now();
    const results: TopicPartitionsError[] = [];
    const records: StoredRecord[] = [];
    const accepted: Array<{ topic: string; partition: number; entry: OffsetEntry; result: { errorCode: number } }> = [];
    for (const t of req.topics) {
      const partitions = this.topicPartitions(t.name);
      const rt: TopicPartitionsError = { name: t.name, partitions: [] };
      results.push(rt);
      for (const p of t.partitions) {
        const result = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE as number };
        rt.partitions.push(result);
        if (partitions === undefined || p.partitionIndex < 0 || p.partitionIndex >= partitions) {
          result.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          continue;
        }
        const metadata = p.committedMetadata ?? '';
        if (metadata.length > this.cfg.offsetMetadataMaxBytes) {
          result.errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
          continue;
        }
        const commitTimestamp = p.commitTimestamp >= 0n ? Number(p.commitTimestamp) : now;
        const entry: OffsetEntry = {
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata,
          commitTimestamp,
          expireTimestamp: req.retentionTimeMs >= 0 ? now + req.retentionTimeMs : -1,
        };
        const value: OffsetCommitValue = { ...entry };
        records.push({ key: encodeOffsetCommitKey(req.groupId, t.name, p.partitionIndex), value: encodeOffsetCommitValue(value) });
        accepted.push({ topic: t.name, partition: p.partitionIndex, entry, result });
      }
    }
    if (records.length > 0) {
      const err = await this.append(req.groupId, records);
      if (err !== ErrorCode.NONE) {
        for (const a of accepted) a.result.errorCode = err;
      } else if (this.isCurrentGroup(req.groupId, group)) {
        for (const a of accepted) group.setOffset(a.topic, a.partition, a.entry);
      }
    }
    if (created) this.maybeDropGroup(group as ClassicGroup);
    return results;
  }

  /** Whether `g` is still the live group of that id (not deleted, converted or dead meanwhile). */
  private isCurrentGroup(groupId: string, g: GroupOffsets): boolean {
    if (g instanceof ConsumerGroup) return !g.dead && this.consumerGroups.get(groupId) === g;
    return g instanceof ClassicGroup && !g.is('Dead') && this.groups.get(groupId) === g;
  }

  /**
   * A commit to a consumer group: members commit with their member epoch as the generation
   * (STALE_MEMBER_EPOCH otherwise, and OffsetCommit v9+ is required); with no members, anyone
   * may commit with epoch -1 (admin tools, consumers that assign themselves).
   */
  private validateConsumerCommit(g: ConsumerGroup, req: OffsetCommitRequestData): number {
    if (g.dead) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (req.generationId < 0 && g.members.size === 0) return ErrorCode.NONE;
    const m = g.members.get(req.memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (req.apiVersion < 9) return ErrorCode.UNSUPPORTED_VERSION;
    if (req.generationId !== m.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
    return ErrorCode.NONE;
  }

  private validateCommit(g: ClassicGroup, req: OffsetCommitRequestData): number {
    if (g.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    // The group only keeps offsets (no group management): anyone may commit.
    if (req.generationId < 0 && g.is('Empty')) return ErrorCode.NONE;
    const fenced = this.staticFenceError(g, req.groupInstanceId, req.memberId);
    if (fenced !== ErrorCode.NONE) return fenced;
    if (g.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    if (!g.members.has(req.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (req.generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    return ErrorCode.NONE;
  }

  /** Committed offsets of a group: the requested partitions, or all of them when topics is null. */
  fetchOffsets(
    groupId: string,
    topics: ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null,
    _requireStable = false,
    member: { memberId: string | null; memberEpoch: number } | null = null,
  ): OffsetFetchResult {
    const accessError = this.groupAccessError(groupId);
    if (accessError !== ErrorCode.NONE) return { errorCode: accessError, topics: [] };
    const cg = this.consumerGroups.get(groupId);
    if (cg && member && member.memberId !== null && member.memberId !== '' && member.memberEpoch >= 0) {
      // OffsetFetch v9 from a consumer-protocol member: it must be a member at that epoch.
      const m = cg.members.get(member.memberId);
      if (!m) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, topics: [] };
      if (m.memberEpoch !== member.memberEpoch) return { errorCode: ErrorCode.STALE_MEMBER_EPOCH, topics: [] };
    }
    const g: GroupOffsets | undefined = cg ?? this.groups.get(groupId);
    const fetched = (partitionIndex: number, e: OffsetEntry | undefined): FetchedOffset =>
      e
        ? { partitionIndex, committedOffset: e.offset, committedLeaderEpoch: e.leaderEpoch, metadata: e.metadata, errorCode: ErrorCode.NONE }
        : { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
    if (topics === null) {
      if (!g) return { errorCode: ErrorCode.NONE, topics: [] };
      return {
        errorCode: ErrorCode.NONE,
        topics: [...g.offsets].map(([name, parts]) => ({
          name,
          partitions: [...parts].sort((a, b) => a[0] - b[0]).map(([p, e]) => fetched(p, e)),
        })),
      };
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => fetched(p, g?.offset(t.name, p))) })),
    };
  }

  async deleteOffsets(groupId: string, topics: ReadonlyArray<{ name: string; partitions: ReadonlyArray<{ partitionIndex: number }> }>): Promise<{ errorCode: number; topics: TopicPartitionsError[] }> {
    const accessError = this.groupAccessError(groupId);
    if (accessError !== ErrorCode.NONE) return { errorCode: accessError, topics: [] };
    const cg = this.consumerGroups.get(groupId);
    const classic = cg ? undefined : this.groups.get(groupId);
    if (cg ? cg.dead : !classic || classic.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    const g: GroupOffsets = (cg ?? classic)!;
    const empty = cg ? cg.members.size === 0 : classic!.is('Empty');
    let subscribed: Set<string> | null = null;
    if (cg && !empty) {
      const byName = this.topicsByName();
      subscribed = new Set();
      for (const m of cg.members.values()) for (const t of [...m.subscribedTopicNames, ...this.memberTopics(m, byName)]) subscribed.add(t);
    } else if (classic && !empty) {
      if (classic.protocolType !== 'consumer') return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
      subscribed = classic.subscribedTopics();
    }
    const records: StoredRecord[] = [];
    const deleted: Array<{ topic: string; partition: number; result: { errorCode: number } }> = [];
    const out: TopicPartitionsError[] = topics.map((t) => {
      const known = this.topicPartitions(t.name);
      // Unknown subscriptions (unreadable metadata) count as subscribed to everything.
      const isSubscribed = !empty && (subscribed === null || subscribed.has(t.name));
      return {
        name: t.name,
        partitions: t.partitions.map((p) => {
          const result = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE as number };
          if (known === undefined || p.partitionIndex < 0 || p.partitionIndex >= known) result.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          else if (isSubscribed) result.errorCode = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC;
          else if (g.offset(t.name, p.partitionIndex)) {
            records.push({ key: encodeOffsetCommitKey(groupId, t.name, p.partitionIndex), value: null });
            deleted.push({ topic: t.name, partition: p.partitionIndex, result });
          }
          return result;
        }),
      };
    });
    if (records.length > 0) {
      const err = await this.append(groupId, records);
      if (err !== ErrorCode.NONE) return { errorCode: err, topics: [] };
      for (const d of deleted) g.deleteOffset(d.topic, d.partition);
    }
    return { errorCode: ErrorCode.NONE, topics: out };
  }

  /**
   * Kafka's onPartitionsDeleted: the committed offsets of deleted topics are removed from every
   * group, with tombstones in __consumer_offsets, so a topic created again under the same name
   * does not start its consumers at stale positions. Returns how many offsets went.
   */
  async onTopicsDeleted(topics: readonly string[]): Promise<number> {
    if (topics.length === 0 || this.closed) return 0;
    let removed = 0;
    const writes: Array<Promise<number>> = [];
    const groups: Array<ClassicGroup | ConsumerGroup> = [...this.groups.values(), ...this.consumerGroups.values()];
    for (const g of groups) {
      if (this.groupAccessError(g.groupId) !== ErrorCode.NONE) continue;
      const records: StoredRecord[] = [];
      for (const topic of topics) {
        const parts = g.offsets.get(topic);
        if (!parts) continue;
        for (const p of [...parts.keys()]) {
          g.deleteOffset(topic, p);
          records.push({ key: encodeOffsetCommitKey(g.groupId, topic, p), value: null });
          removed++;
        }
      }
      if (records.length > 0) writes.push(this.append(g.groupId, records));
    }
    await Promise.all(writes);
    if (removed > 0) this.log?.info({ topics, removed }, 'removed the committed offsets of deleted topics');
    return removed;
  }

  // ===========================================================================================
  // ListGroups, DescribeGroups, DeleteGroups

  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): { errorCode: number; groups: ListedGroup[] } {
    if (this.closed) return { errorCode: ErrorCode.NOT_COORDINATOR, groups: [] };
    const errorCode = this.loading.size > 0 ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const groups: ListedGroup[] = [];
    if (types.size === 0 || types.has('classic')) {
      for (const g of this.groups.values()) {
        if (g.is('Dead')) continue;
        if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
        groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' });
      }
    }
    if (types.size === 0 || types.has('consumer')) {
      for (const g of this.consumerGroups.values()) {
        const state = g.state();
        if (state === 'Dead') continue;
        if (states.size > 0 && !states.has(state.toLowerCase())) continue;
        groups.push({ groupId: g.groupId, protocolType: 'consumer', groupState: state, groupType: 'consumer' });
      }
    }
    return { errorCode, groups };
  }

  describeGroup(groupId: string): DescribedGroup {
    const base: DescribedGroup = { errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    const accessError = this.groupAccessError(groupId);
    if (accessError !== ErrorCode.NONE) return { ...base, errorCode: accessError, groupState: '' };
    const cg = this.consumerGroups.get(groupId);
    if (cg && !cg.dead) return this.describeConsumerGroupClassically(cg);
    const g = this.groups.get(groupId);
    if (!g || g.is('Dead')) return base;
    const stable = g.is('Stable');
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: g.state,
      protocolType: g.protocolType ?? '',
      protocolData: stable ? (g.protocolName ?? '') : '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadataFor(g.protocolName) : EMPTY_BYTES,
        memberAssignment: stable ? m.assignment : EMPTY_BYTES,
      })),
    };
  }

  /**
   * DescribeGroups (v0-v5) of a consumer group: its state, protocol type "consumer", the assignor
   * as protocol, and each member's subscription and current assignment encoded as the classic
   * consumer protocol's ConsumerProtocolSubscription / ConsumerProtocolAssignment v0, so tools
   * that decode them (kafka-python's admin) can.
   */
  private describeConsumerGroupClassically(g: ConsumerGroup): DescribedGroup {
    const names = new Map<string, string>();
    for (const t of this.topicList()) names.set(t.topicId, t.name);
    for (const t of g.subscriptionMetadata.values()) names.set(t.topicId, t.topicName);
    return {
      errorCode: ErrorCode.NONE,
      groupId: g.groupId,
      groupState: g.state(),
      protocolType: 'consumer',
      protocolData: g.assignorName,
      members: [...g.members.values()].map((m) => {
        const sub = new Writer(64).writeInt16(0).writeArray(m.subscribedTopicNames, (w, t) => w.writeString(t)).writeNullableBytes(null).toBuffer();
        const rows = assignmentToList(m.assigned).filter((r) => names.has(r.topicId));
        const asg = new Writer(64)
          .writeInt16(0)
          .writeArray(rows, (w, r) => w.writeString(names.get(r.topicId)!).writeArray(r.partitions, (w2, p) => w2.writeInt32(p)))
          .writeNullableBytes(null)
          .toBuffer();
        return { memberId: m.memberId, groupInstanceId: m.instanceId, clientId: m.clientId, clientHost: m.clientHost, memberMetadata: sub, memberAssignment: asg };
      }),
    };
  }

  /** Tombstones for a consumer group's group-level records (its members must be gone already). */
  private deleteConsumerGroupRecords(g: ConsumerGroup): Promise<number> {
    g.dead = true;
    for (const m of g.members.values()) m.cancelTimers();
    if (this.consumerGroups.get(g.groupId) === g) this.consumerGroups.delete(g.groupId);
    const records: StoredRecord[] = [];
    for (const m of g.members.values()) this.removeConsumerMemberRecords(g, m, records);
    records.push(
      { key: encodeConsumerGroupKey(CGK.TARGET_ASSIGNMENT_METADATA, g.groupId), value: null },
      { key: encodeConsumerGroupKey(CGK.PARTITION_METADATA, g.groupId), value: null },
      { key: encodeConsumerGroupKey(CGK.METADATA, g.groupId), value: null },
    );
    return this.append(g.groupId, records);
  }

  async deleteGroups(groupIds: readonly string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    const out: Array<{ groupId: string; errorCode: number }> = [];
    for (const groupId of groupIds) {
      const accessError = this.groupAccessError(groupId);
      if (accessError !== ErrorCode.NONE) {
        out.push({ groupId, errorCode: accessError });
        continue;
      }
      const cg = this.consumerGroups.get(groupId);
      if (cg) {
        if (cg.members.size > 0) out.push({ groupId, errorCode: ErrorCode.NON_EMPTY_GROUP });
        else {
          const offsets: StoredRecord[] = [];
          for (const [topic, parts] of cg.offsets) for (const p of parts.keys()) offsets.push({ key: encodeOffsetCommitKey(groupId, topic, p), value: null });
          const err = offsets.length > 0 ? await this.append(groupId, offsets) : ErrorCode.NONE;
          out.push({ groupId, errorCode: err !== ErrorCode.NONE ? err : await this.deleteConsumerGroupRecords(cg) });
        }
        continue;
      }
      const g = this.groups.get(groupId);
      if (!g || g.is('Dead')) out.push({ groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
      else if (!g.is('Empty')) out.push({ groupId, errorCode: ErrorCode.NON_EMPTY_GROUP });
      else out.push({ groupId, errorCode: await this.removeGroup(g) });
    }
    return out;
  }

  /** Tombstones for the group's offsets and metadata; the group is Dead and forgotten. */
  private async removeGroup(g: ClassicGroup): Promise<number> {
    const records: StoredRecord[] = [];
    for (const [topic, parts] of g.offsets) for (const p of parts.keys()) records.push({ key: encodeOffsetCommitKey(g.groupId, topic, p), value: null });
    records.push({ key: encodeGroupMetadataKey(g.groupId), value: null });
    for (const c of g.pendingMembers.values()) c();
    g.pendingMembers.clear();
    g.transitionTo('Dead', this.clock.now());
    if (this.groups.get(g.groupId) === g) this.groups.delete(g.groupId);
    return this.append(g.groupId, records);
  }

  // ===========================================================================================
  // Offset retention (KIP-211)

  private scheduleRetentionCheck(): void {
    if (this.closed) return;
    this.retentionTimer = this.clock.setTimeout(() => {
      this.retentionTimer = null;
      this.scheduleRetentionCheck();
      void this.cleanupExpiredOffsets();
    }, this.cfg.offsetsRetentionCheckIntervalMs);
  }

  /**
   * Removes expired offsets: every offset of an Empty group once the group has been empty for the
   * retention period; a standalone (offsets-only) group's offsets by commit time; in a Stable
   * consumer group, offsets of topics nobody subscribes to any more (KIP-496). An explicit expiry
   * (OffsetCommit v2-v4) wins. A group left Empty without offsets is deleted. Returns how many
   * offsets expired.
   */
  async cleanupExpiredOffsets(): Promise<number> {
    const now = this.clock.now();
    const retention = this.cfg.offsetsRetentionMs;
    let expiredCount = 0;
    const writes: Array<Promise<number>> = [];
    for (const g of [...this.groups.values()]) {
      if (this.groupAccessError(g.groupId) !== ErrorCode.NONE) continue;
      let base: ((e: OffsetEntry) => number) | null = null;
      let keepTopics: Set<string> = new Set();
      if (g.protocolType === null) base = (e) => e.commitTimestamp;
      else if (g.is('Empty')) base = () => g.currentStateTimestamp;
      else if (g.protocolType === 'consumer' && g.is('Stable')) {
        const subscribed = g.subscribedTopics();
        if (subscribed !== null) {
          base = (e) => e.commitTimestamp;
          keepTopics = subscribed;
        }
      }
      const records: StoredRecord[] = [];
      if (base !== null) {
        for (const [topic, parts] of [...g.offsets]) {
          if (keepTopics.has(topic)) continue;
          for (const [p, e] of [...parts]) {
            const expired = e.expireTimestamp >= 0 ? now >= e.expireTimestamp : now - base(e) >= retention;
            if (!expired) continue;
            g.deleteOffset(topic, p);
            records.push({ key: encodeOffsetCommitKey(g.groupId, topic, p), value: null });
            expiredCount++;
          }
        }
      }
      if (g.is('Empty') && !g.hasOffsets() && g.members.size === 0 && g.pendingMembers.size === 0) {
        g.transitionTo('Dead', now);
        this.groups.delete(g.groupId);
        records.push({ key: encodeGroupMetadataKey(g.groupId), value: null });
      }
      if (records.length > 0) writes.push(this.append(g.groupId, records));
    }
    for (const g of [...this.consumerGroups.values()]) {
      if (this.groupAccessError(g.groupId) !== ErrorCode.NONE) continue;
      const empty = g.members.size === 0;
      const keep = new Set<string>();
      if (!empty) {
        const byName = this.topicsByName();
        for (const m of g.members.values()) for (const t of [...m.subscribedTopicNames, ...this.memberTopics(m, byName)]) keep.add(t);
      }
      const records: StoredRecord[] = [];
      for (const [topic, parts] of [...g.offsets]) {
        if (keep.has(topic)) continue;
        for (const [p, e] of [...parts]) {
          const base = empty ? Math.max(g.emptySince, e.commitTimestamp) : e.commitTimestamp;
          const expired = e.expireTimestamp >= 0 ? now >= e.expireTimestamp : now - base >= retention;
          if (!expired) continue;
          g.deleteOffset(topic, p);
          records.push({ key: encodeOffsetCommitKey(g.groupId, topic, p), value: null });
          expiredCount++;
        }
      }
      if (records.length > 0) writes.push(this.append(g.groupId, records));
      if (empty && !g.hasOffsets() && now - g.emptySince >= retention) writes.push(this.deleteConsumerGroupRecords(g));
    }
    await Promise.all(writes);
    if (expiredCount > 0) this.log?.info({ expired: expiredCount }, 'removed expired offsets');
    return expiredCount;
  }

  // ===========================================================================================
  // Persistence

  private async append(groupId: string, records: StoredRecord[]): Promise<number> {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    try {
      await this.storage.append(this.partitionFor(groupId), records, this.clock.now());
      return ErrorCode.NONE;
    } catch (err) {
      this.log?.error({ err, group: groupId }, 'cannot write to __consumer_offsets');
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  /** Writes the group's metadata record (members with their assignments). */
  private storeGroup(g: ClassicGroup, assignments?: ReadonlyMap<string, Buffer>): Promise<number> {
    const value: GroupMetadataValue = {
      protocolType: g.protocolType ?? '',
      generation: g.generationId,
      protocol: g.protocolName,
      leader: g.leaderId,
      currentStateTimestamp: g.currentStateTimestamp,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: m.metadataFor(g.protocolName),
        assignment: assignments ? (assignments.get(m.memberId) ?? EMPTY_BYTES) : m.assignment,
      })),
    };
    return this.append(g.groupId, [{ key: encodeGroupMetadataKey(g.groupId), value: encodeGroupMetadataValue(value) }]);
  }

  private async loadPartition(partition: number): Promise<void> {
    const offsets = new Map<string, Map<string, { topic: string; partition: number; value: OffsetCommitValue } | null>>();
    const metadata = new Map<string, GroupMetadataValue | null>();
    const consumer = new Map<string, LoadedConsumerGroup>();
    const cgOf = (id: string): LoadedConsumerGroup => {
      let c = consumer.get(id);
      if (!c) consumer.set(id, (c = { epoch: null, topics: null, assignmentEpoch: 0, members: new Map(), targets: new Map(), current: new Map() }));
      return c;
    };
    let bad = 0;
    await this.storage.load(partition, (rec) => {
      try {
        const key = decodeOffsetsKey(rec.key);
        if (key.type === 'offset') {
          let m = offsets.get(key.group);
          if (!m) offsets.set(key.group, (m = new Map()));
          const k = `${key.partition}:${key.topic}`;
          if (rec.value === null) m.delete(k);
          else m.set(k, { topic: key.topic, partition: key.partition, value: decodeOffsetCommitValue(rec.value) });
        } else if (key.type === 'group') {
          metadata.set(key.group, rec.value === null ? null : decodeGroupMetadataValue(rec.value));
        } else if (key.type === 'consumer-group') {
          const c = cgOf(key.group);
          const v = rec.value;
          const member = key.member ?? '';
          switch (key.kind) {
            case CGK.METADATA:
              if (v === null) consumer.delete(key.group);
              else c.epoch = decodeEpochValue(v);
              break;
            case CGK.PARTITION_METADATA:
              c.topics = v === null ? null : decodeConsumerGroupPartitionMetadataValue(v).topics;
              break;
            case CGK.MEMBER_METADATA:
              if (v === null) c.members.delete(member);
              else c.members.set(member, decodeConsumerGroupMemberMetadataValue(v));
              break;
            case CGK.TARGET_ASSIGNMENT_METADATA:
              c.assignmentEpoch = v === null ? 0 : decodeEpochValue(v);
              break;
            case CGK.TARGET_ASSIGNMENT_MEMBER:
              if (v === null) c.targets.delete(member);
              else c.targets.set(member, decodeConsumerGroupTargetAssignmentMemberValue(v));
              break;
            case CGK.CURRENT_MEMBER_ASSIGNMENT:
              if (v === null) c.current.delete(member);
              else c.current.set(member, decodeConsumerGroupCurrentMemberAssignmentValue(v));
              break;
          }
        }
      } catch {
        bad++;
      }
    });
    if (bad > 0) this.log?.warn({ partition, bad }, 'skipped unreadable records in __consumer_offsets');
    const now = this.clock.now();
    const ids = new Set<string>([...offsets.keys(), ...[...metadata].filter(([, v]) => v !== null).map(([k]) => k)]);
    for (const [id, c] of consumer) {
      if (c.epoch === null) continue;
      const g = new ConsumerGroup(id, now);
      g.groupEpoch = c.epoch;
      g.assignmentEpoch = c.assignmentEpoch;
      for (const t of c.topics ?? []) g.subscriptionMetadata.set(t.topicName, { ...t });
      for (const [memberId, md] of c.members) {
        const m = new ConsumerGroupMember(memberId);
        Object.assign(m, memberMetadataValueToFields(md));
        const cur = c.current.get(memberId);
        if (cur) {
          m.memberEpoch = cur.memberEpoch;
          m.previousMemberEpoch = cur.previousMemberEpoch;
          m.state = (Object.values(MemberState) as number[]).includes(cur.state) ? (cur.state as MemberStateValue) : MemberState.UNKNOWN;
          m.assigned = assignmentFromList(cur.assignedPartitions);
          m.pendingRevocation = assignmentFromList(cur.partitionsPendingRevocation);
        }
        g.addMember(m);
        const target = c.targets.get(memberId);
        if (target) g.targetAssignment.set(memberId, assignmentFromList(target));
      }
      g.assignorName = g.preferredAssignor(this.cfg.consumerAssignors[0]!);
      const offs = offsets.get(id);
      if (offs) for (const o of offs.values()) if (o) g.setOffset(o.topic, o.partition, { ...o.value });
      this.consumerGroups.set(id, g);
      // Loaded members must heartbeat within their session timeout.
      for (const m of g.members.values()) this.scheduleConsumerSession(g, m);
    }
    for (const id of ids) {
      if (this.consumerGroups.has(id)) continue;
      const v = metadata.get(id) ?? null;
      const offs = offsets.get(id);
      if (!v && (!offs || offs.size === 0)) continue;
      const g = new ClassicGroup(id, now);
      if (v) {
        g.protocolType = v.protocolType === '' ? null : v.protocolType;
        g.generationId = v.generation;
        g.protocolName = v.protocol;
        g.leaderId = v.leader;
        if (v.currentStateTimestamp >= 0) g.currentStateTimestamp = v.currentStateTimestamp;
        for (const mr of v.members) {
          const m = new Member(
            mr.memberId,
            mr.groupInstanceId,
            mr.clientId,
            mr.clientHost,
            mr.rebalanceTimeout,
            mr.sessionTimeout,
            g.protocolType ?? '',
            v.protocol !== null ? [{ name: v.protocol, metadata: mr.subscription }] : [],
          );
          m.assignment = mr.assignment;
          g.add(m);
        }
        if (g.leaderId !== null && !g.members.has(g.leaderId)) g.leaderId = g.members.keys().next().value ?? null;
        g.state = g.members.size > 0 ? 'Stable' : 'Empty';
      }
      if (offs) {
        for (const o of offs.values()) if (o) g.setOffset(o.topic, o.partition, { ...o.value });
      }
      this.groups.set(id, g);
      // Loaded members must heartbeat (or rejoin) within their session timeout.
      for (const m of g.members.values()) this.scheduleExpiry(g, m, m.sessionTimeoutMs);
    }
  }

  /** The states a ListGroups/DescribeGroups answer may carry (for the handlers' docs and tests). */
  static readonly STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];
}

function newMemberId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * A subscription regex. Kafka evaluates them with RE2/J; here they are JavaScript RegExps matched
 * against the whole topic name (RE2/J `matches()`), which agree on the common syntax (no
 * backreferences or lookaround in RE2). Null when it does not compile.
 */
function compileRegex(source: string): RegExp | null {
  try {
    return new RegExp(`^(?:${source})$`, 'u');
  } catch {
    return null;
  }
}

function memberMetadataValue(m: ConsumerGroupMember): ConsumerGroupMemberMetadataValue {
  return {
    instanceId: m.instanceId,
    rackId: m.rackId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    subscribedTopicNames: m.subscribedTopicNames,
    subscribedTopicRegex: m.subscribedTopicRegex,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs,
    serverAssignor: m.serverAssignor,
  };
}

interface LoadedConsumerGroup {
  epoch: number | null;
  topics: Array<{ topicId: string; topicName: string; numPartitions: number }> | null;
  assignmentEpoch: number;
  members: Map<string, ConsumerGroupMemberMetadataValue>;
  targets: Map<string, TopicPartitionsRow[]>;
  current: Map<string, ConsumerGroupCurrentMemberAssignmentValue>;
}

function memberMetadataValueToFields(v: ConsumerGroupMemberMetadataValue): Partial<ConsumerGroupMember> {
  return {
    instanceId: v.instanceId,
    rackId: v.rackId,
    clientId: v.clientId,
    clientHost: v.clientHost,
    subscribedTopicNames: v.subscribedTopicNames,
    subscribedTopicRegex: v.subscribedTopicRegex,
    rebalanceTimeoutMs: v.rebalanceTimeoutMs,
    serverAssignor: v.serverAssignor,
  };
}

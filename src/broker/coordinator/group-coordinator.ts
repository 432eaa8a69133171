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
 * Not here yet: KIP-848 consumer groups (ConsumerGroupHeartbeat). The seam: groups are looked up
 * by id in one map, a future ConsumerGroup type would sit beside ClassicGroup and the handlers
 * would dispatch on the group's type; ListGroups already reports the "classic" type.
 * Transactional offset commits (TxnOffsetCommit) will add pending offsets that make OffsetFetch
 * with requireStable answer UNSTABLE_OFFSET_COMMIT.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors.js';
import type { Logger } from '../logger.js';
import type { BrokerConfig } from '../config/config.js';
import type { Clock, Cancel } from './clock.js';
import { partitionForGroup } from './hash.js';
import { ClassicGroup, EMPTY_BYTES, Member, type GroupState, type JoinGroupResult, type OffsetEntry, type Protocol, type SyncGroupResult } from './group.js';
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
};

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
  };
}

export interface GroupCoordinatorOptions {
  storage: CoordinatorStorage;
  clock: Clock;
  config?: Partial<GroupCoordinatorConfig>;
  log?: Logger;
  /** Partition count of a topic, undefined when it does not exist (OffsetCommit/OffsetDelete checks). */
  topicPartitions?: (topic: string) => number | undefined;
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
  private readonly loading = new Set<number>();
  private readonly cfg: GroupCoordinatorConfig;
  private readonly storage: CoordinatorStorage;
  private readonly clock: Clock;
  private readonly log: Logger | undefined;
  private readonly topicPartitions: (topic: string) => number | undefined;
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
    return this.groups.size;
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
      if (!unknownMember) return joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
      group = new ClassicGroup(req.groupId, this.clock.now());
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
    this.log?.debug({ group: g.groupId, generation: g.generationId, reason }, 'preparing to rebalance group');
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
  // Offsets

  async commitOffsets(req: OffsetCommitRequestData): Promise<TopicPartitionsError[]> {
    const all = (errorCode: number): TopicPartitionsError[] =>
      req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
    const storageError = await this.ensureStorage();
    if (storageError !== ErrorCode.NONE) return all(storageError);
    const accessError = this.groupAccessError(req.groupId);
    if (accessError !== ErrorCode.NONE) return all(accessError);
    let g = this.groups.get(req.groupId);
    let created = false;
    if (!g) {
      if (req.generationId >= 0 || req.memberId !== '') {
        return all(req.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
      }
      // A consumer that assigns partitions itself: the group exists only to keep its offsets.
      g = new ClassicGroup(req.groupId, this.clock.now());
      this.groups.set(req.groupId, g);
      created = true;
    } else {
      const err = this.validateCommit(g, req);
      if (err !== ErrorCode.NONE) return all(err);
    }
    const group = g;
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
      } else if (!group.is('Dead') && this.groups.get(req.groupId) === group) {
        for (const a of accepted) group.setOffset(a.topic, a.partition, a.entry);
      }
    }
    if (created) this.maybeDropGroup(group);
    return results;
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
  fetchOffsets(groupId: string, topics: ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null, _requireStable = false): OffsetFetchResult {
    const accessError = this.groupAccessError(groupId);
    if (accessError !== ErrorCode.NONE) return { errorCode: accessError, topics: [] };
    const g = this.groups.get(groupId);
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
    const g = this.groups.get(groupId);
    if (!g || g.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    let subscribed: Set<string> | null = null;
    if (!g.is('Empty')) {
      if (g.protocolType !== 'consumer') return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
      subscribed = g.subscribedTopics();
    }
    const records: StoredRecord[] = [];
    const deleted: Array<{ topic: string; partition: number; result: { errorCode: number } }> = [];
    const out: TopicPartitionsError[] = topics.map((t) => {
      const known = this.topicPartitions(t.name);
      // Unknown subscriptions (unreadable metadata) count as subscribed to everything.
      const isSubscribed = !g.is('Empty') && (subscribed === null || subscribed.has(t.name));
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

  // ===========================================================================================
  // ListGroups, DescribeGroups, DeleteGroups

  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): { errorCode: number; groups: ListedGroup[] } {
    if (this.closed) return { errorCode: ErrorCode.NOT_COORDINATOR, groups: [] };
    const errorCode = this.loading.size > 0 ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const groups: ListedGroup[] = [];
    if (types.size > 0 && !types.has('classic')) return { errorCode, groups };
    for (const g of this.groups.values()) {
      if (g.is('Dead')) continue;
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' });
    }
    return { errorCode, groups };
  }

  describeGroup(groupId: string): DescribedGroup {
    const base: DescribedGroup = { errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    const accessError = this.groupAccessError(groupId);
    if (accessError !== ErrorCode.NONE) return { ...base, errorCode: accessError, groupState: '' };
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

  async deleteGroups(groupIds: readonly string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    const out: Array<{ groupId: string; errorCode: number }> = [];
    for (const groupId of groupIds) {
      const accessError = this.groupAccessError(groupId);
      if (accessError !== ErrorCode.NONE) {
        out.push({ groupId, errorCode: accessError });
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
        }
      } catch {
        bad++;
      }
    });
    if (bad > 0) this.log?.warn({ partition, bad }, 'skipped unreadable records in __consumer_offsets');
    const now = this.clock.now();
    const ids = new Set<string>([...offsets.keys(), ...[...metadata].filter(([, v]) => v !== null).map(([k]) => k)]);
    for (const id of ids) {
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

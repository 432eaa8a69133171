/**
 * The classic group protocol's state machine (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), after
 * Apache Kafka's ClassicGroup handling in GroupMetadataManager:
 *
 *  - Group states Empty -> PreparingRebalance -> CompletingRebalance -> Stable (and Dead), a
 *    generation id bumped on every completed join phase, the protocol chosen by the members' votes
 *    among the protocols they all support, the leader given every member's metadata and everyone
 *    their assignment through SyncGroup.
 *  - Timers (named per partition, see timer.ts): session expiry per member, the join phase bounded
 *    by the longest rebalance timeout, group.initial.rebalance.delay.ms for a group that starts
 *    from Empty (extended while new members keep arriving, up to the rebalance timeout), a sync
 *    deadline after the join phase, and a KIP-394 pending member's join deadline.
 *  - KIP-394 (MEMBER_ID_REQUIRED), KIP-345 static membership (a rejoining instance takes its old
 *    member's place and assignment without a rebalance; an old instance is fenced).
 *
 * What is stored, and when: the group record (GroupMetadataValue) is written when a generation
 * completes (the leader's SyncGroup: the runtime stores it, replays it, which makes the group
 * Stable with the assignments, then the members get them), when a static member takes its old
 * place in a Stable group, and when a join phase ends with nobody (the group is Empty). The rebalance
 * in between (members joining, the generation being formed) lives in memory only, as in Kafka: a
 * coordinator that moves or restarts loads the last completed generation and members rejoin.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors.js';
import type { CoordinatorResult } from './runtime.js';
import type { GroupShard } from './group-shard.js';
import type { DescribedGroup, HeartbeatRequestData, JoinGroupRequestData, LeaveGroupResult, LeaveMember, SyncGroupRequestData } from './group-types.js';
import { ClassicGroup, EMPTY_BYTES, Member, groupMetadataValue, type JoinGroupResult, type SyncGroupResult } from './group.js';
import { encodeGroupMetadataKey, encodeGroupMetadataValue, type GroupMetadataValue } from '../../protocol/coordinator-records.js';
import type { StoredRecord } from './storage.js';

const MAX_GENERATION = 0x7fffffff;
/** How long to wait before storing an emptied group again after a failed write. */
const STORE_RETRY_MS = 1000;

export function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

export function groupRecord(groupId: string, v: GroupMetadataValue): StoredRecord {
  return { key: encodeGroupMetadataKey(groupId), value: encodeGroupMetadataValue(v) };
}

const memberTimer = (g: ClassicGroup, memberId: string): string => `classic-session/${g.groupId}/${memberId}`;
const pendingTimer = (g: ClassicGroup, memberId: string): string => `classic-pending/${g.groupId}/${memberId}`;
const joinTimer = (g: ClassicGroup): string => `classic-join/${g.groupId}`;
const syncTimer = (g: ClassicGroup): string => `classic-sync/${g.groupId}`;
const storeTimer = (g: ClassicGroup): string => `classic-store/${g.groupId}`;

const NOTHING: CoordinatorResult<undefined> = { records: [], response: undefined };

export class ClassicGroups {
  constructor(private readonly shard: GroupShard) {}

  private get cfg() {
    return this.shard.env.cfg;
  }

  private get ctx() {
    return this.shard.ctx;
  }

  /** A timer of the group whose firing runs `fn` as a write of the group (no records). */
  private schedule(g: ClassicGroup, name: string, ms: number, fn: () => void): void {
    this.ctx.schedule(name, ms, g.groupId, () => {
      if (this.shard.classicGroups.get(g.groupId) === g) fn();
      return NOTHING;
    });
  }

  // ===========================================================================================
  // JoinGroup

  join(req: JoinGroupRequestData): CoordinatorResult<JoinGroupResult> {
    const now = (r: JoinGroupResult): CoordinatorResult<JoinGroupResult> => ({ records: [], response: r });
    const unknownMember = req.memberId === '';
    let g = this.shard.classicGroups.get(req.groupId);
    if (!g) {
      const cg = this.shard.consumerGroups.get(req.groupId);
      if (cg && cg.members.size > 0) return now(joinError(req.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      if (!unknownMember) return now(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      if (cg) {
        // An empty consumer group becomes a classic group (its offsets stay): its records go first.
        let answer!: (r: JoinGroupResult | Promise<JoinGroupResult>) => void;
        return {
          records: this.shard.consumer.deleteRecords(cg),
          response: new Promise<JoinGroupResult>((r) => (answer = r)),
          committed: () => {
            this.ctx.log?.info({ group: req.groupId }, 'converted an empty consumer group to a classic group');
            answer(this.join(req).response);
          },
        };
      }
      g = new ClassicGroup(req.groupId, this.ctx.clock.now());
      this.shard.classicGroups.set(req.groupId, g);
    }
    const group = g;
    if (group.is('Dead')) return now(joinError(req.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(req.protocolType, req.protocols)) {
      this.shard.maybeDropClassicGroup(group); // a group this request just made goes again
      return now(joinError(req.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const knownInstance = req.groupInstanceId !== null && group.staticMembers.has(req.groupInstanceId);
    const isNewToGroup = !group.members.has(req.memberId) && !group.pendingMembers.has(req.memberId) && !knownInstance;
    if (isNewToGroup && group.members.size + group.pendingMembers.size >= this.cfg.maxGroupSize) {
      return now(joinError(req.memberId, ErrorCode.GROUP_MAX_SIZE_REACHED));
    }
    if (unknownMember && req.groupInstanceId !== null) {
      const oldId = group.staticMembers.get(req.groupInstanceId);
      if (oldId !== undefined && group.is('Stable')) {
        const stored = this.staticRejoinWithoutRebalance(group, oldId, req);
        if (stored) return stored;
      }
    }
    let resolve!: (r: JoinGroupResult) => void;
    const response = new Promise<JoinGroupResult>((r) => (resolve = r));
    if (unknownMember) this.joinUnknownMember(group, req, resolve);
    else this.joinKnownMember(group, req, resolve);
    return { records: [], response };
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
      g.pendingMembers.add(newMemberId);
      this.schedule(g, pendingTimer(g, newMemberId), req.sessionTimeoutMs, () => {
        if (g.pendingMembers.delete(newMemberId)) {
          this.tryCompleteJoin(g);
          this.shard.maybeDropClassicGroup(g);
        }
      });
      cb(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
      return;
    }
    this.addMemberAndRebalance(g, newMemberId, req, cb);
  }

  private joinKnownMember(g: ClassicGroup, req: JoinGroupRequestData, cb: (r: JoinGroupResult) => void): void {
    if (g.pendingMembers.delete(req.memberId)) {
      this.ctx.cancel(pendingTimer(g, req.memberId));
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

  /**
   * KIP-345: a static member restarted (no member id) and the group is Stable with the same
   * protocol: it takes its old member's place without a rebalance. The new member id is stored
   * first; the old instance is fenced and the answer goes out once it is. Null when the protocol
   * would change (a rebalance then).
   */
  private staticRejoinWithoutRebalance(g: ClassicGroup, oldId: string, req: JoinGroupRequestData): CoordinatorResult<JoinGroupResult> | null {
    const m = g.members.get(oldId)!;
    const newId = `${req.clientId}-${randomUUID()}`;
    let selected: string | null = null;
    const saved = m.protocols;
    m.protocols = req.protocols;
    try {
      selected = g.selectProtocol();
    } catch {
      selected = null;
    }
    m.protocols = saved;
    if (selected === null || selected !== g.protocolName) return null;
    const currentLeader = g.leaderId;
    const generation = g.generationId;
    const value = groupMetadataValue(g);
    value.members = value.members.map((mr) =>
      mr.memberId !== oldId
        ? mr
        : {
            ...mr,
            memberId: newId,
            clientId: req.clientId,
            clientHost: req.clientHost,
            rebalanceTimeout: req.rebalanceTimeoutMs,
            sessionTimeout: req.sessionTimeoutMs,
            subscription: req.protocols.find((p) => p.name === selected)?.metadata ?? EMPTY_BYTES,
          },
    );
    if (value.leader === oldId) value.leader = newId;
    let answer!: (r: JoinGroupResult) => void;
    return {
      records: [groupRecord(g.groupId, value)],
      response: new Promise<JoinGroupResult>((r) => (answer = r)),
      committed: () => {
        const member = g.members.get(newId);
        if (!member) return answer(joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
        this.shard.checkClassicReplay(g, value, 'static rejoin');
        // The old instance, if still waiting somewhere, is fenced.
        this.ctx.cancel(memberTimer(g, oldId));
        this.respondJoin(member, joinError(oldId, ErrorCode.FENCED_INSTANCE_ID));
        this.respondSync(member, syncError(ErrorCode.FENCED_INSTANCE_ID));
        member.protocols = req.protocols;
        this.scheduleExpiry(g, member, member.sessionTimeoutMs);
        const leaderSkips = req.supportsSkipAssignment && g.isLeader(newId);
        answer({
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
      },
    };
  }

  /** KIP-345: a static member came back without its member id while the group rebalances: it takes the old one's place. */
  private updateStaticMemberAndRebalance(g: ClassicGroup, oldId: string, newId: string, req: JoinGroupRequestData, cb: (r: JoinGroupResult) => void): void {
    const m = g.members.get(oldId)!;
    // The old instance, if still waiting somewhere, is fenced.
    this.respondJoin(m, joinError(oldId, ErrorCode.FENCED_INSTANCE_ID));
    this.respondSync(m, syncError(ErrorCode.FENCED_INSTANCE_ID));
    this.ctx.cancel(memberTimer(g, oldId));
    g.replaceStaticMember(req.groupInstanceId!, oldId, newId);
    m.protocols = req.protocols;
    m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    m.sessionTimeoutMs = req.sessionTimeoutMs;
    m.clientId = req.clientId;
    m.clientHost = req.clientHost;
    this.scheduleExpiry(g, m, m.sessionTimeoutMs);
    m.joinWaiter = cb;
    switch (g.state) {
      case 'Stable':
        this.maybePrepareRebalance(g, `static member ${req.groupInstanceId} rejoined with different protocols`);
        return;
      case 'CompletingRebalance':
        // The leader may already have the old member id: rebalance so the assignment matches.
        this.prepareRebalance(g, `static member ${req.groupInstanceId} rejoined during CompletingRebalance`);
        return;
      case 'PreparingRebalance':
        this.tryCompleteJoin(g);
        return;
      default:
        this.respondJoin(m, joinError(newId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  // ===========================================================================================
  // Rebalancing

  private maybePrepareRebalance(g: ClassicGroup, reason: string): void {
    if (g.is('Stable') || g.is('CompletingRebalance') || g.is('Empty')) this.prepareRebalance(g, reason);
  }

  private prepareRebalance(g: ClassicGroup, reason: string): void {
    if (g.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(g, ErrorCode.REBALANCE_IN_PROGRESS);
    this.ctx.cancel(syncTimer(g));
    g.pendingSync.clear();
    const wasEmpty = g.is('Empty');
    g.transitionTo('PreparingRebalance', this.ctx.clock.now());
    this.ctx.log?.info({ group: g.groupId, generation: g.generationId, reason }, 'preparing to rebalance group');
    if (wasEmpty) {
      g.initialDelay = true;
      const delay = this.cfg.initialRebalanceDelayMs;
      this.scheduleInitialDelayedJoin(g, delay, Math.max(g.rebalanceTimeoutMs() - delay, 0));
    } else {
      g.initialDelay = false;
      this.schedule(g, joinTimer(g), g.rebalanceTimeoutMs(), () => this.completeJoin(g));
      this.tryCompleteJoin(g);
    }
  }

  /** The initial delay: waits, and waits again (up to the rebalance timeout) while new members arrive. */
  private scheduleInitialDelayedJoin(g: ClassicGroup, delayMs: number, remainingMs: number): void {
    this.schedule(g, joinTimer(g), delayMs, () => {
      if (g.newMemberAdded && remainingMs !== 0) {
        g.newMemberAdded = false;
        const delay = Math.min(this.cfg.initialRebalanceDelayMs, remainingMs);
        this.scheduleInitialDelayedJoin(g, delay, Math.max(remainingMs - this.cfg.initialRebalanceDelayMs, 0));
      } else {
        g.initialDelay = false;
        this.completeJoin(g);
      }
    });
  }

  private tryCompleteJoin(g: ClassicGroup): void {
    if (g.is('PreparingRebalance') && !g.initialDelay && g.hasAllMembersJoined()) this.completeJoin(g);
  }

  /** The join phase ends: members that did not rejoin are dropped, the next generation starts. */
  private completeJoin(g: ClassicGroup): void {
    this.ctx.cancel(joinTimer(g));
    g.initialDelay = false;
    g.newMemberAdded = false;
    if (!g.is('PreparingRebalance')) return;
    for (const m of [...g.members.values()]) {
      // Static members may miss a rebalance: they stay until their session expires.
      if (!m.joinWaiter && !m.isStatic) {
        this.ctx.cancel(memberTimer(g, m.memberId));
        g.remove(m.memberId);
      }
    }
    const now = this.ctx.clock.now();
    g.generationId = g.generationId >= MAX_GENERATION ? 1 : g.generationId + 1;
    if (g.members.size === 0) {
      g.protocolName = null;
      g.leaderId = null;
      g.transitionTo('Empty', now);
      this.ctx.log?.info({ group: g.groupId, generation: g.generationId }, 'group is now empty');
      this.store(g);
      return;
    }
    try {
      g.protocolName = g.selectProtocol();
    } catch {
      g.protocolName = [...g.members.values()][0]!.protocols[0]?.name ?? null;
    }
    if (g.leaderId === null || !g.members.has(g.leaderId)) g.leaderId = g.members.keys().next().value ?? null;
    g.transitionTo('CompletingRebalance', now);
    this.ctx.log?.info({ group: g.groupId, generation: g.generationId, members: g.members.size, protocol: g.protocolName }, 'group completed its join phase');
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
    this.schedule(g, syncTimer(g), g.rebalanceTimeoutMs(), () => {
      if (g.generationId !== generation || !(g.is('CompletingRebalance') || g.is('Stable'))) return;
      const late = [...g.pendingSync];
      g.pendingSync.clear();
      for (const id of late) {
        const m = g.members.get(id);
        if (m) this.removeMemberAndUpdateGroup(g, m, 'no SyncGroup within the rebalance timeout');
      }
    });
  }

  /**
   * Stores the group as it is now (an emptied group), as a write of its own; retried while it
   * fails and the group is still the same, so the log catches up with memory.
   */
  private store(g: ClassicGroup): void {
    const op = (): CoordinatorResult<undefined> => {
      if (this.shard.classicGroups.get(g.groupId) !== g || !g.is('Empty')) return NOTHING;
      const generation = g.generationId;
      const value = groupMetadataValue(g);
      return {
        records: [groupRecord(g.groupId, value)],
        response: undefined,
        committed: () => this.shard.checkClassicReplay(g, value, 'store'),
        failed: () => {
          if (g.generationId === generation) this.ctx.schedule(storeTimer(g), STORE_RETRY_MS, g.groupId, op);
        },
      };
    };
    this.ctx.write(g.groupId, op);
  }

  private resetAndPropagateAssignmentError(g: ClassicGroup, errorCode: number): void {
    for (const m of g.members.values()) {
      m.assignment = EMPTY_BYTES;
      this.respondSync(m, syncError(errorCode));
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
    const memberId = m.memberId;
    this.schedule(g, memberTimer(g, memberId), ms, () => {
      if (g.members.get(memberId) !== m) return;
      // Members waiting for a JoinGroup or SyncGroup answer cannot heartbeat: keep them, unless
      // a new member waited past the new-member join timeout.
      if ((m.joinWaiter && !m.isNew) || m.syncWaiter) {
        this.scheduleExpiry(g, m, m.sessionTimeoutMs);
        return;
      }
      this.ctx.log?.info({ group: g.groupId, member: memberId }, 'member session expired');
      this.removeMemberAndUpdateGroup(g, m, 'session timeout');
    });
  }

  private removeMemberAndUpdateGroup(g: ClassicGroup, m: Member, reason: string): void {
    this.ctx.cancel(memberTimer(g, m.memberId));
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

  // ===========================================================================================
  // SyncGroup, Heartbeat, LeaveGroup

  private staticFenceError(g: ClassicGroup, instanceId: string | null, memberId: string): number {
    if (instanceId === null) return ErrorCode.NONE;
    const id = g.staticMembers.get(instanceId);
    if (id !== undefined && id !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    return ErrorCode.NONE;
  }

  sync(req: SyncGroupRequestData): CoordinatorResult<SyncGroupResult> {
    const now = (r: SyncGroupResult): CoordinatorResult<SyncGroupResult> => ({ records: [], response: r });
    const g = this.shard.classicGroups.get(req.groupId);
    if (!g) return now(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (g.is('Dead')) return now(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const fenced = this.staticFenceError(g, req.groupInstanceId, req.memberId);
    if (fenced !== ErrorCode.NONE) return now(syncError(fenced));
    const m = g.members.get(req.memberId);
    if (!m) return now(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (req.generationId !== g.generationId) return now(syncError(ErrorCode.ILLEGAL_GENERATION));
    if ((req.protocolType !== null && req.protocolType !== g.protocolType) || (req.protocolName !== null && req.protocolName !== g.protocolName)) {
      return now(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    switch (g.state) {
      case 'PreparingRebalance':
        return now(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'Stable':
        g.pendingSync.delete(m.memberId);
        this.scheduleExpiry(g, m, m.sessionTimeoutMs);
        return now({ errorCode: ErrorCode.NONE, protocolType: g.protocolType, protocolName: g.protocolName, assignment: m.assignment });
      case 'CompletingRebalance':
        break;
      default:
        return now(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    }
    if (m.syncWaiter) this.respondSync(m, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    const response = new Promise<SyncGroupResult>((resolve) => (m.syncWaiter = resolve));
    g.pendingSync.delete(m.memberId);
    if (!g.isLeader(m.memberId)) return { records: [], response };
    // The leader's assignment completes the generation: stored, replayed (Stable), then handed out.
    const assignments = new Map<string, Buffer>();
    for (const a of req.assignments) if (g.members.has(a.memberId)) assignments.set(a.memberId, a.assignment);
    const generation = g.generationId;
    const value = groupMetadataValue(g, assignments);
    value.currentStateTimestamp = this.ctx.clock.now();
    return {
      records: [groupRecord(g.groupId, value)],
      response,
      committed: () => {
        if (g.generationId !== generation || !g.is('Stable')) return;
        this.shard.checkClassicReplay(g, value, 'SyncGroup');
        for (const member of g.members.values()) {
          if (!member.syncWaiter) continue;
          this.respondSync(member, { errorCode: ErrorCode.NONE, protocolType: g.protocolType, protocolName: g.protocolName, assignment: member.assignment });
          this.scheduleExpiry(g, member, member.sessionTimeoutMs);
        }
        this.ctx.log?.info({ group: g.groupId, generation: g.generationId }, 'group is stable');
      },
      failed: (code) => {
        if (g.generationId !== generation || !g.is('CompletingRebalance')) return;
        this.resetAndPropagateAssignmentError(g, code);
        this.maybePrepareRebalance(g, 'failed to store the group assignment');
      },
    };
  }

  heartbeat(req: HeartbeatRequestData): number {
    const g = this.shard.classicGroups.get(req.groupId);
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

  leave(groupId: string, members: readonly LeaveMember[]): LeaveGroupResult {
    const g = this.shard.classicGroups.get(groupId);
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
      } else if (g.pendingMembers.delete(lm.memberId)) {
        this.ctx.cancel(pendingTimer(g, lm.memberId));
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

  describe(g: ClassicGroup): DescribedGroup {
    const stable = g.is('Stable');
    return {
      errorCode: ErrorCode.NONE,
      groupId: g.groupId,
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

  // ===========================================================================================
  // Loading and unloading

  /** Loaded members must heartbeat (or rejoin) within their session timeout. */
  onLoaded(): void {
    for (const g of this.shard.classicGroups.values()) for (const m of g.members.values()) this.scheduleExpiry(g, m, m.sessionTimeoutMs);
  }

  /** The group is gone (deleted, converted): its timers stop. */
  forget(g: ClassicGroup): void {
    this.ctx.cancel(joinTimer(g));
    this.ctx.cancel(syncTimer(g));
    this.ctx.cancel(storeTimer(g));
    for (const id of g.pendingMembers) this.ctx.cancel(pendingTimer(g, id));
    for (const id of g.members.keys()) this.ctx.cancel(memberTimer(g, id));
    g.pendingMembers.clear();
  }

  /** The partition goes away: members waiting for an answer get NOT_COORDINATOR. */
  onUnloaded(): void {
    for (const g of this.shard.classicGroups.values()) {
      for (const m of g.members.values()) {
        this.respondJoin(m, joinError(m.memberId, ErrorCode.NOT_COORDINATOR));
        this.respondSync(m, syncError(ErrorCode.NOT_COORDINATOR));
      }
    }
  }
}

/**
 * KIP-848 consumer groups: ConsumerGroupHeartbeat (join, heartbeat, leave), fencing on session
 * and rebalance timeouts, and ConsumerGroupDescribe. See consumer-group.ts for the epochs and the
 * reconciliation, assignors.ts for the server-side assignors.
 *
 * An operation never changes the group: it works on a copy (`ConsumerGroup.clone`) and returns
 * the records that describe what changed; the runtime stores them and replays them into the group
 * (`applyConsumerGroupRecord`). Timers are started once the records are stored.
 *
 * A group id is either a classic group or a consumer group. An empty group of one protocol is
 * converted when a member of the other arrives (its offsets, kept by group id, stay); a non-empty
 * one refuses (GROUP_ID_NOT_FOUND to a heartbeat, INCONSISTENT_GROUP_PROTOCOL to a JoinGroup).
 * Simplifications against Kafka: no rack-aware assignment; classic-protocol members cannot join a
 * non-empty consumer group (Kafka's group.consumer.migration.policy mixed groups); the time a
 * consumer group became empty (offset retention) is not stored, a reload counts from the load.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors.js';
import { Writer } from '../../protocol/primitives/index.js';
import type { CoordinatorResult } from './runtime.js';
import { compileRe2, Re2SyntaxError, type Re2Pattern } from './re2.js';
import type { StoredRecord } from './storage.js';
import type { GroupShard } from './group-shard.js';
import type { ConsumerGroupHeartbeatRequestData, ConsumerGroupHeartbeatResult, DescribedConsumerGroup, DescribedConsumerGroupAssignment, DescribedGroup } from './group-types.js';
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
  encodeConsumerGroupCurrentMemberAssignmentValue,
  encodeConsumerGroupKey,
  encodeConsumerGroupMemberMetadataValue,
  encodeConsumerGroupPartitionMetadataValue,
  encodeConsumerGroupTargetAssignmentMemberValue,
  encodeEpochValue,
  encodeGroupMetadataKey,
  type ConsumerGroupMemberMetadataValue,
} from '../../protocol/coordinator-records.js';

const MAX_EPOCH = 0x7fffffff;

export function hbError(errorCode: number, errorMessage: string | null = null, memberId: string | null = null, memberEpoch = 0): ConsumerGroupHeartbeatResult {
  return { errorCode, errorMessage, memberId, memberEpoch, heartbeatIntervalMs: 0, assignment: null };
}

/** Compiled subscription regexes by source (a heartbeat re-evaluates them), bounded. */
const regexCache = new Map<string, Re2Pattern | null>();
const REGEX_CACHE_SIZE = 256;

/**
 * A subscription regex, compiled as Kafka compiles it: RE2/J syntax, matched against the whole
 * topic name (RE2/J `matches()`); see re2.ts. Null when RE2/J refuses it (or it is too large).
 */
export function compileRegex(source: string): Re2Pattern | null {
  if (regexCache.has(source)) return regexCache.get(source)!;
  let re: Re2Pattern | null;
  try {
    re = compileRe2(source);
  } catch (err) {
    if (!(err instanceof Re2SyntaxError)) throw err;
    re = null;
  }
  if (regexCache.size >= REGEX_CACHE_SIZE) regexCache.delete(regexCache.keys().next().value!);
  regexCache.set(source, re);
  return re;
}

/** Why a subscription regex does not compile (RE2/J's description), or null when it does. */
export function regexProblem(source: string): string | null {
  try {
    compileRe2(source);
    return null;
  } catch (err) {
    if (!(err instanceof Re2SyntaxError)) throw err;
    return err.description;
  }
}

function newMemberId(): string {
  return randomBytes(16).toString('base64url');
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

const sessionTimer = (groupId: string, memberId: string): string => `consumer-session/${groupId}/${memberId}`;
const rebalanceTimer = (groupId: string, memberId: string): string => `consumer-rebalance/${groupId}/${memberId}`;

export class ConsumerGroups {
  /** The member epoch each running rebalance timer was started for, by timer name. */
  private readonly rebalanceEpochs = new Map<string, number>();

  constructor(private readonly shard: GroupShard) {}

  private get cfg() {
    return this.shard.env.cfg;
  }

  /** Kafka's request checks; null when the request is well formed. */
  validate(req: ConsumerGroupHeartbeatRequestData): ConsumerGroupHeartbeatResult | null {
    const invalid = (msg: string): ConsumerGroupHeartbeatResult => hbError(ErrorCode.INVALID_REQUEST, msg);
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
      return hbError(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${this.cfg.consumerAssignors.join(', ')}.`);
    }
    if (req.subscribedTopicRegex !== null && req.subscribedTopicRegex !== '' && compileRegex(req.subscribedTopicRegex) === null) {
      return hbError(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex \`${req.subscribedTopicRegex}\` is not a valid regular expression.`);
    }
    return null;
  }

  heartbeat(req: ConsumerGroupHeartbeatRequestData): CoordinatorResult<ConsumerGroupHeartbeatResult> {
    if (req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) return this.leave(req);
    const fail = (r: ConsumerGroupHeartbeatResult): CoordinatorResult<ConsumerGroupHeartbeatResult> => ({ records: [], response: r });
    const records: StoredRecord[] = [];
    const now = this.shard.ctx.clock.now();

    // The group: found, created by a joining member, or converted from an empty classic group.
    const existing = this.shard.consumerGroups.get(req.groupId);
    let g: ConsumerGroup;
    if (existing) g = existing.clone();
    else {
      const classic = this.shard.classicGroups.get(req.groupId);
      if (classic && !classic.is('Dead') && (classic.members.size > 0 || classic.pendingMembers.size > 0)) {
        return fail(hbError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} is not a consumer group.`));
      }
      if (req.memberEpoch !== 0) return fail(hbError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`));
      g = new ConsumerGroup(req.groupId, now);
      g.defaultAssignor = this.cfg.consumerAssignors[0]!;
      if (classic) records.push({ key: encodeGroupMetadataKey(req.groupId), value: null });
    }

    // The member: new, replacing a static member that left temporarily, rejoining, or known.
    let member: ConsumerGroupMember | undefined;
    let isNew = false;
    if (req.memberEpoch === 0) {
      if (req.instanceId !== null) {
        const oldId = g.staticMembers.get(req.instanceId);
        const old = oldId !== undefined ? g.members.get(oldId) : undefined;
        if (old && old.memberId !== req.memberId) {
          if (old.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
            return fail(hbError(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${old.memberId} with instance id ${req.instanceId} is still active in group ${req.groupId}; it must leave first.`));
          }
          // KIP-848 static membership: the new member takes the old one's place and target assignment.
          const newId = req.memberId || newMemberId();
          const target = g.targetAssignment.get(old.memberId) ?? emptyAssignment();
          this.removeMemberRecords(g, old, records);
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
          this.shard.ctx.log?.info({ group: g.groupId, instance: req.instanceId, old: old.memberId, member: newId }, 'static member replaced');
        }
      }
      if (!member) {
        const id = req.memberId || newMemberId();
        member = g.members.get(id);
        if (member) {
          // Rejoining with epoch 0 (e.g. after being fenced): it holds nothing any more.
          member.memberEpoch = 0;
          member.previousMemberEpoch = -1;
          member.state = MemberState.STABLE;
          member.assigned = emptyAssignment();
          member.pendingRevocation = emptyAssignment();
          records.push(this.currentAssignmentRecord(g, member));
        } else {
          if (g.members.size >= this.cfg.consumerMaxSize) {
            return fail(hbError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.cfg.consumerMaxSize} members.`));
          }
          member = new ConsumerGroupMember(id);
          member.instanceId = req.instanceId;
          g.addMember(member);
          isNew = true;
        }
      }
    } else {
      member = g.members.get(req.memberId);
      if (!member) return fail(hbError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`));
      if (req.instanceId !== null) {
        const id = g.staticMembers.get(req.instanceId);
        if (id === undefined) return fail(hbError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`));
        if (id !== req.memberId) return fail(hbError(ErrorCode.FENCED_INSTANCE_ID, `Instance id ${req.instanceId} belongs to another member.`));
      }
      const owned = req.topicPartitions === null ? null : assignmentFromList(req.topicPartitions);
      if (req.memberEpoch > member.memberEpoch) {
        return fail(hbError(ErrorCode.FENCED_MEMBER_EPOCH, `The member epoch ${req.memberEpoch} is newer than the coordinator's ${member.memberEpoch}. The member must abandon all its partitions and rejoin.`));
      }
      if (req.memberEpoch < member.memberEpoch && (req.memberEpoch !== member.previousMemberEpoch || !isSubset(owned, member.assigned))) {
        return fail(hbError(ErrorCode.FENCED_MEMBER_EPOCH, `The member epoch ${req.memberEpoch} is older than the coordinator's ${member.memberEpoch}. The member must abandon all its partitions and rejoin.`));
      }
    }
    const m = member;

    // Member metadata: every non-null field of the request replaces the stored one.
    const before = memberMetadataValue(m);
    if (req.rackId !== null) m.rackId = req.rackId;
    if (req.rebalanceTimeoutMs !== -1) m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    if (req.subscribedTopicNames !== null) m.subscribedTopicNames = [...req.subscribedTopicNames];
    if (req.subscribedTopicRegex !== null) m.subscribedTopicRegex = req.subscribedTopicRegex === '' ? null : req.subscribedTopicRegex;
    if (req.topicDescribable) m.regexTopicFilter = req.topicDescribable;
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

    const full = req.memberEpoch === 0 || (req.rebalanceTimeoutMs !== -1 && req.subscribedTopicNames !== null && req.topicPartitions !== null);
    const response: ConsumerGroupHeartbeatResult = {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: m.memberId,
      memberEpoch: m.memberEpoch,
      heartbeatIntervalMs: this.shard.env.groupConfig(g.groupId)?.consumerHeartbeatIntervalMs ?? this.cfg.consumerHeartbeatIntervalMs,
      assignment: full || isNew || !assignmentEquals(prevAssigned, m.assigned) ? { topicPartitions: assignmentToList(m.assigned) } : null,
    };
    return {
      records,
      response,
      committed: () => {
        this.shard.checkReplay(g, 'heartbeat');
        this.afterHeartbeat(g.groupId, m.memberId);
      },
    };
  }

  /** Once a heartbeat is stored: the member's session restarts; a revocation starts its rebalance timeout. */
  private afterHeartbeat(groupId: string, memberId: string): void {
    const g = this.shard.consumerGroups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return;
    this.scheduleSession(g.groupId, m.memberId);
    this.syncRebalanceTimer(g, m);
  }

  /** Epoch -1: the member leaves; epoch -2: a static member leaves for now and keeps its partitions. */
  private leave(req: ConsumerGroupHeartbeatRequestData): CoordinatorResult<ConsumerGroupHeartbeatResult> {
    const fail = (r: ConsumerGroupHeartbeatResult): CoordinatorResult<ConsumerGroupHeartbeatResult> => ({ records: [], response: r });
    const existing = this.shard.consumerGroups.get(req.groupId);
    if (!existing) return fail(hbError(ErrorCode.UNKNOWN_MEMBER_ID, `Group ${req.groupId} has no member ${req.memberId}.`));
    const g = existing.clone();
    const records: StoredRecord[] = [];
    let m: ConsumerGroupMember | undefined;
    if (req.instanceId !== null) {
      const id = g.staticMembers.get(req.instanceId);
      if (id === undefined) return fail(hbError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`));
      if (id !== req.memberId) return fail(hbError(ErrorCode.FENCED_INSTANCE_ID, `Instance id ${req.instanceId} belongs to another member.`));
      m = g.members.get(id);
    } else {
      m = g.members.get(req.memberId);
    }
    if (!m) return fail(hbError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`));
    const memberId = m.memberId;
    let committed: () => void;
    if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      // Its partitions stay assigned until it comes back (or its session expires).
      m.previousMemberEpoch = m.memberEpoch;
      m.memberEpoch = LEAVE_GROUP_STATIC_MEMBER_EPOCH;
      records.push(this.currentAssignmentRecord(g, m));
      committed = () => {
        this.shard.checkReplay(g, 'static leave');
        this.shard.ctx.cancel(rebalanceTimer(g.groupId, memberId));
        this.rebalanceEpochs.delete(rebalanceTimer(g.groupId, memberId));
        this.scheduleSession(g.groupId, memberId);
        this.shard.ctx.log?.info({ group: g.groupId, member: memberId, instance: req.instanceId }, 'static member left temporarily');
      };
    } else {
      this.removeMember(g, m, records);
      committed = () => {
        this.shard.checkReplay(g, 'leave');
        this.cancelTimers(g.groupId, memberId);
        this.shard.ctx.log?.info({ group: g.groupId, member: memberId }, 'member left the group');
      };
    }
    return { records, committed, response: { errorCode: ErrorCode.NONE, errorMessage: null, memberId: req.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: null } };
  }

  private bumpGroupEpoch(g: ConsumerGroup, records: StoredRecord[]): void {
    g.groupEpoch = g.groupEpoch >= MAX_EPOCH ? 1 : g.groupEpoch + 1;
    records.push({ key: encodeConsumerGroupKey(CGK.METADATA, g.groupId), value: encodeEpochValue(g.groupEpoch) });
  }

  /** Recomputes the subscribed topics' metadata; true (and a record) when it changed. */
  private refreshSubscriptionMetadata(g: ConsumerGroup, records: StoredRecord[]): boolean {
    const byName = this.shard.topicsByName();
    const next = new Map<string, TopicMetadata>();
    for (const m of g.members.values()) {
      for (const name of this.shard.memberTopics(m, byName)) {
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
    const assignor = ASSIGNORS.get(g.assignorName) ?? ASSIGNORS.get(this.cfg.consumerAssignors[0]!)!;
    const byName = this.shard.topicsByName();
    const topics = new Map<string, number>();
    for (const t of g.subscriptionMetadata.values()) topics.set(t.topicId, t.numPartitions);
    const members: AssignorMember[] = [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      subscribedTopicIds: new Set(
        [...this.shard.memberTopics(m, byName)].map((n) => g.subscriptionMetadata.get(n)?.topicId).filter((id): id is string => id !== undefined),
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
    records.push({ key: encodeConsumerGroupKey(CGK.TARGET_ASSIGNMENT_METADATA, g.groupId), value: encodeEpochValue(g.assignmentEpoch) });
    this.shard.ctx.log?.debug({ group: g.groupId, epoch: g.assignmentEpoch, assignor: assignor.name }, 'computed a new target assignment');
  }

  private targetMemberRecord(g: ConsumerGroup, memberId: string, a: TopicPartitions): StoredRecord {
    return { key: encodeConsumerGroupKey(CGK.TARGET_ASSIGNMENT_MEMBER, g.groupId, memberId), value: encodeConsumerGroupTargetAssignmentMemberValue(assignmentToList(a)) };
  }

  private currentAssignmentRecord(g: ConsumerGroup, m: ConsumerGroupMember): StoredRecord {
    return {
      key: encodeConsumerGroupKey(CGK.CURRENT_MEMBER_ASSIGNMENT, g.groupId, m.memberId),
      value: encodeConsumerGroupCurrentMemberAssignmentValue({
        memberEpoch: m.memberEpoch,
        previousMemberEpoch: m.previousMemberEpoch,
        state: m.state,
        assignedPartitions: assignmentToList(m.assigned),
        partitionsPendingRevocation: assignmentToList(m.pendingRevocation),
      }),
    };
  }

  /** One reconciliation step (on the working copy); a record when the member's assignment changed. */
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
    m.memberEpoch = r.memberEpoch;
    m.previousMemberEpoch = r.previousMemberEpoch;
    m.state = r.state as MemberStateValue;
    m.assigned = r.assigned;
    m.pendingRevocation = r.pendingRevocation;
    const last = records.findIndex((x) => x.key.equals(encodeConsumerGroupKey(CGK.CURRENT_MEMBER_ASSIGNMENT, g.groupId, m.memberId)));
    if (last >= 0) records.splice(last, 1);
    records.push(this.currentAssignmentRecord(g, m));
  }

  /** The rebalance timeout runs while the member owes a revocation, from when it started owing. */
  private syncRebalanceTimer(g: ConsumerGroup, m: ConsumerGroupMember): void {
    const name = rebalanceTimer(g.groupId, m.memberId);
    if (m.state !== MemberState.UNREVOKED_PARTITIONS || m.rebalanceTimeoutMs < 0) {
      this.shard.ctx.cancel(name);
      this.rebalanceEpochs.delete(name);
      return;
    }
    const epoch = m.memberEpoch;
    if (this.shard.ctx.isScheduled(name) && this.rebalanceEpochs.get(name) === epoch) return;
    const memberId = m.memberId;
    this.rebalanceEpochs.set(name, epoch);
    this.shard.ctx.schedule(name, m.rebalanceTimeoutMs, g.groupId, () => {
      this.rebalanceEpochs.delete(name);
      const cur = this.shard.consumerGroups.get(g.groupId)?.members.get(memberId);
      if (!cur || cur.state !== MemberState.UNREVOKED_PARTITIONS || cur.memberEpoch !== epoch) return { records: [], response: undefined };
      this.shard.ctx.log?.info({ group: g.groupId, member: memberId }, 'member did not revoke its partitions within the rebalance timeout');
      return this.fence(g.groupId, memberId, 'rebalance timeout');
    });
  }

  scheduleSession(groupId: string, memberId: string): void {
    const sessionTimeoutMs = this.shard.env.groupConfig(groupId)?.consumerSessionTimeoutMs ?? this.cfg.consumerSessionTimeoutMs;
    this.shard.ctx.schedule(sessionTimer(groupId, memberId), sessionTimeoutMs, groupId, () => {
      if (!this.shard.consumerGroups.get(groupId)?.members.has(memberId)) return { records: [], response: undefined };
      this.shard.ctx.log?.info({ group: groupId, member: memberId }, 'member session expired');
      return this.fence(groupId, memberId, 'session timeout');
    });
  }

  cancelTimers(groupId: string, memberId: string): void {
    this.shard.ctx.cancel(sessionTimer(groupId, memberId));
    this.shard.ctx.cancel(rebalanceTimer(groupId, memberId));
    this.rebalanceEpochs.delete(rebalanceTimer(groupId, memberId));
  }

  /** Removes a member that stopped heartbeating (or revoking); its partitions are freed. */
  private fence(groupId: string, memberId: string, reason: string): CoordinatorResult<undefined> {
    const g = this.shard.consumerGroups.get(groupId)!.clone();
    const records: StoredRecord[] = [];
    this.removeMember(g, g.members.get(memberId)!, records);
    return {
      records,
      response: undefined,
      committed: () => {
        this.shard.checkReplay(g, 'fence');
        this.cancelTimers(groupId, memberId);
        this.shard.ctx.log?.debug({ group: groupId, member: memberId, reason }, 'member fenced');
      },
    };
  }

  private removeMemberRecords(g: ConsumerGroup, m: ConsumerGroupMember, records: StoredRecord[]): void {
    records.push(
      { key: encodeConsumerGroupKey(CGK.CURRENT_MEMBER_ASSIGNMENT, g.groupId, m.memberId), value: null },
      { key: encodeConsumerGroupKey(CGK.TARGET_ASSIGNMENT_MEMBER, g.groupId, m.memberId), value: null },
      { key: encodeConsumerGroupKey(CGK.MEMBER_METADATA, g.groupId, m.memberId), value: null },
    );
  }

  /** The member goes (tombstones), the group epoch moves on so the others get its partitions. */
  private removeMember(g: ConsumerGroup, m: ConsumerGroupMember, records: StoredRecord[]): void {
    this.removeMemberRecords(g, m, records);
    g.removeMember(m.memberId, this.shard.ctx.clock.now());
    this.refreshSubscriptionMetadata(g, records);
    this.bumpGroupEpoch(g, records);
  }

  /** Tombstones for an empty consumer group's records (DeleteGroups, retention, conversion); its offsets stay. */
  deleteRecords(g: ConsumerGroup): StoredRecord[] {
    const records: StoredRecord[] = [];
    for (const m of g.members.values()) this.removeMemberRecords(g, m, records);
    records.push(
      { key: encodeConsumerGroupKey(CGK.TARGET_ASSIGNMENT_METADATA, g.groupId), value: null },
      { key: encodeConsumerGroupKey(CGK.PARTITION_METADATA, g.groupId), value: null },
      { key: encodeConsumerGroupKey(CGK.METADATA, g.groupId), value: null },
    );
    return records;
  }

  /** Loaded members must heartbeat within their session timeout. */
  onLoaded(): void {
    for (const g of this.shard.consumerGroups.values()) for (const m of g.members.values()) this.scheduleSession(g.groupId, m.memberId);
  }

  // ===========================================================================================
  // Describing

  private topicNames(g: ConsumerGroup): Map<string, string> {
    const names = new Map<string, string>();
    for (const t of this.shard.env.topics()) names.set(t.topicId, t.name);
    for (const t of g.subscriptionMetadata.values()) names.set(t.topicId, t.topicName);
    return names;
  }

  describe(groupId: string): DescribedConsumerGroup {
    const base: DescribedConsumerGroup = { errorCode: ErrorCode.NONE, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] };
    const g = this.shard.consumerGroups.get(groupId);
    if (!g || g.dead) {
      const classic = this.shard.classicGroups.get(groupId);
      const msg = classic && !classic.is('Dead') ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`;
      return { ...base, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: msg, groupState: 'Dead' };
    }
    const names = this.topicNames(g);
    const describe = (a: TopicPartitions): DescribedConsumerGroupAssignment => ({
      topicPartitions: assignmentToList(a).map((r) => ({ topicId: r.topicId, topicName: names.get(r.topicId) ?? '', partitions: r.partitions })),
    });
    return {
      ...base,
      groupState: g.state(),
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      assignorName: g.assignorName,
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

  /**
   * DescribeGroups (v0-v5) of a consumer group: its state, protocol type "consumer", the assignor
   * as protocol, and each member's subscription and current assignment encoded as the classic
   * consumer protocol's ConsumerProtocolSubscription / ConsumerProtocolAssignment v0, so tools
   * that decode them (kafka-python's admin) can.
   */
  describeClassically(g: ConsumerGroup): DescribedGroup {
    const names = this.topicNames(g);
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
}

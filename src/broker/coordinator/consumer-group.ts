/**
 * KIP-848 consumer groups (ConsumerGroupHeartbeat): the data the coordinator works on, and the
 * member reconciliation step (Kafka's CurrentAssignmentBuilder, re-derived from KIP-848):
 *
 *  - The group epoch is bumped whenever something that changes the assignment changes: a member
 *    joins or leaves (or is fenced), a member's subscription or preferred server assignor
 *    changes, or the subscribed topics' metadata (partition counts, ids) changes.
 *  - When the group epoch is ahead of the assignment epoch, the server-side assignor computes a
 *    new target assignment for every member, and the assignment epoch catches up.
 *  - Each member then converges towards its target one heartbeat at a time. Partitions it must
 *    give up are first revoked (the member keeps its epoch, state UNREVOKED_PARTITIONS) until a
 *    heartbeat reports they are no longer owned; only then does it move to the target epoch.
 *    Partitions it should get while another member still holds them (assigned, or pending
 *    revocation) are withheld (state UNRELEASED_PARTITIONS) until they are free. So a partition
 *    never has two owners.
 *
 * Partitions are keyed by topic id (a UUID string, as the protocol carries it).
 */
import {
  ConsumerGroupRecordKind as CGK,
  decodeConsumerGroupCurrentMemberAssignmentValue,
  decodeConsumerGroupMemberMetadataValue,
  decodeConsumerGroupPartitionMetadataValue,
  decodeConsumerGroupTargetAssignmentMemberValue,
  decodeEpochValue,
  type ConsumerGroupRecordKind,
} from '../../protocol/coordinator-records.js';

/** topic id -> partition indexes */
export type TopicPartitions = Map<string, Set<number>>;

/** Kafka's MemberState byte values (ConsumerGroupCurrentMemberAssignmentValue.State). */
export const MemberState = {
  STABLE: 0,
  UNREVOKED_PARTITIONS: 1,
  UNRELEASED_PARTITIONS: 2,
  UNKNOWN: 127,
} as const;
export type MemberStateValue = (typeof MemberState)[keyof typeof MemberState];

export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead';

/** Member epoch of a leaving member (ConsumerGroupHeartbeat). */
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
/** Member epoch of a static member leaving temporarily (it will rejoin with the same instance id). */
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

export function emptyAssignment(): TopicPartitions {
  return new Map();
}

export function cloneAssignment(a: TopicPartitions): TopicPartitions {
  const out: TopicPartitions = new Map();
  for (const [t, ps] of a) if (ps.size > 0) out.set(t, new Set(ps));
  return out;
}

export function assignmentEquals(a: TopicPartitions, b: TopicPartitions): boolean {
  const size = (x: TopicPartitions): number => {
    let n = 0;
    for (const ps of x.values()) n += ps.size;
    return n;
  };
  if (size(a) !== size(b)) return false;
  for (const [t, ps] of a) {
    const other = b.get(t);
    for (const p of ps) if (!other?.has(p)) return false;
  }
  return true;
}

export function assignmentSize(a: TopicPartitions): number {
  let n = 0;
  for (const ps of a.values()) n += ps.size;
  return n;
}

/** Sorted [topicId, partitions] rows, empty topics left out. */
export function assignmentToList(a: TopicPartitions): Array<{ topicId: string; partitions: number[] }> {
  return [...a]
    .filter(([, ps]) => ps.size > 0)
    .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
    .map(([topicId, ps]) => ({ topicId, partitions: [...ps].sort((x, y) => x - y) }));
}

export function assignmentFromList(rows: ReadonlyArray<{ topicId: string; partitions: readonly number[] }> | null | undefined): TopicPartitions {
  const out: TopicPartitions = new Map();
  for (const r of rows ?? []) {
    if (r.partitions.length === 0) continue;
    let s = out.get(r.topicId);
    if (!s) out.set(r.topicId, (s = new Set()));
    for (const p of r.partitions) s.add(p);
  }
  return out;
}

function addPartition(a: TopicPartitions, topicId: string, p: number): void {
  let s = a.get(topicId);
  if (!s) a.set(topicId, (s = new Set()));
  s.add(p);
}

/** Whether `owned` (null: unknown, i.e. assume still owned) holds any partition of `of`. */
export function ownsAnyOf(owned: TopicPartitions | null, of: TopicPartitions): boolean {
  if (owned === null) return assignmentSize(of) > 0;
  for (const [t, ps] of of) {
    const o = owned.get(t);
    if (!o) continue;
    for (const p of ps) if (o.has(p)) return true;
  }
  return false;
}

/** Whether every partition of `sub` is in `sup` (null `sub`: unknown, not a subset). */
export function isSubset(sub: TopicPartitions | null, sup: TopicPartitions): boolean {
  if (sub === null) return false;
  for (const [t, ps] of sub) {
    const s = sup.get(t);
    for (const p of ps) if (!s?.has(p)) return false;
  }
  return true;
}

export interface TopicMetadata {
  topicId: string;
  topicName: string;
  numPartitions: number;
}

export class ConsumerGroupMember {
  instanceId: string | null = null;
  rackId: string | null = null;
  clientId = '';
  clientHost = '';
  rebalanceTimeoutMs = -1;
  subscribedTopicNames: string[] = [];
  subscribedTopicRegex: string | null = null;
  /**
   * Whether the member's principal may DESCRIBE a topic (from its last heartbeat; not stored):
   * regex matches it may not describe are not assigned. Null: no heartbeat since the group was
   * loaded, or no authorizer.
   */
  regexTopicFilter: ((topic: string) => boolean) | null = null;
  serverAssignor: string | null = null;
  memberEpoch = 0;
  previousMemberEpoch = -1;
  state: MemberStateValue = MemberState.STABLE;
  /** Partitions the member may use now (what the heartbeat response carries). */
  assigned: TopicPartitions = emptyAssignment();
  /** Partitions the member still holds and must give up. */
  pendingRevocation: TopicPartitions = emptyAssignment();

  constructor(readonly memberId: string) {}

  clone(): ConsumerGroupMember {
    const m = new ConsumerGroupMember(this.memberId);
    Object.assign(m, this);
    m.subscribedTopicNames = [...this.subscribedTopicNames];
    m.assigned = cloneAssignment(this.assigned);
    m.pendingRevocation = cloneAssignment(this.pendingRevocation);
    return m;
  }
}

/** The outcome of a reconciliation step (the member's new current assignment). */
export interface Reconciled {
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberStateValue;
  assigned: TopicPartitions;
  pendingRevocation: TopicPartitions;
}

/**
 * One reconciliation step for a member towards its target assignment (Kafka's
 * CurrentAssignmentBuilder). `owned` is what the member reported owning in this heartbeat, null
 * when it did not say (no change since its last report). `heldByOther(topicId, p)` tells whether
 * another member still holds a partition (assigned or pending revocation).
 */
export function reconcile(
  m: Pick<ConsumerGroupMember, 'memberEpoch' | 'previousMemberEpoch' | 'state' | 'assigned' | 'pendingRevocation'>,
  targetEpoch: number,
  target: TopicPartitions,
  owned: TopicPartitions | null,
  heldByOther: (topicId: string, partition: number) => boolean,
): Reconciled {
  const unchanged: Reconciled = {
    memberEpoch: m.memberEpoch,
    previousMemberEpoch: m.previousMemberEpoch,
    state: m.state,
    assigned: m.assigned,
    pendingRevocation: m.pendingRevocation,
  };
  switch (m.state) {
    case MemberState.STABLE:
      if (m.memberEpoch === targetEpoch) return unchanged;
      return nextAssignment(m, m.memberEpoch, targetEpoch, target, owned, heldByOther);
    case MemberState.UNREVOKED_PARTITIONS:
      // Progress only once the member confirms it no longer owns the revoked partitions.
      if (ownsAnyOf(owned, m.pendingRevocation)) return unchanged;
      return nextAssignment(m, m.memberEpoch, targetEpoch, target, owned, heldByOther);
    case MemberState.UNRELEASED_PARTITIONS:
      // Check again whether the partitions it waits for were released (or the target moved).
      return nextAssignment(m, m.memberEpoch, targetEpoch, target, owned, heldByOther);
    default:
      return nextAssignment(m, m.memberEpoch, targetEpoch, target, owned, heldByOther);
  }
}

function nextAssignment(
  m: Pick<ConsumerGroupMember, 'memberEpoch' | 'previousMemberEpoch' | 'assigned'>,
  memberEpoch: number,
  targetEpoch: number,
  target: TopicPartitions,
  owned: TopicPartitions | null,
  heldByOther: (topicId: string, partition: number) => boolean,
): Reconciled {
  const kept: TopicPartitions = new Map();
  const revoke: TopicPartitions = new Map();
  const incoming: TopicPartitions = new Map();
  let unreleased = false;
  const topics = new Set([...target.keys(), ...m.assigned.keys()]);
  for (const t of topics) {
    const want = target.get(t) ?? new Set<number>();
    const have = m.assigned.get(t) ?? new Set<number>();
    for (const p of have) {
      if (want.has(p)) addPartition(kept, t, p);
      else addPartition(revoke, t, p);
    }
    for (const p of want) {
      if (have.has(p)) continue;
      if (heldByOther(t, p)) unreleased = true;
      else addPartition(incoming, t, p);
    }
  }
  const bump = (epoch: number): number => (epoch !== m.memberEpoch ? m.memberEpoch : m.previousMemberEpoch);
  if (assignmentSize(revoke) > 0 && ownsAnyOf(owned, revoke)) {
    // Revoke first: the member keeps its epoch and only what it keeps; nothing new until it confirms.
    return { memberEpoch, previousMemberEpoch: bump(memberEpoch), state: MemberState.UNREVOKED_PARTITIONS, assigned: kept, pendingRevocation: revoke };
  }
  for (const [t, ps] of incoming) for (const p of ps) addPartition(kept, t, p);
  return {
    memberEpoch: targetEpoch,
    previousMemberEpoch: bump(targetEpoch),
    state: unreleased ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE,
    assigned: kept,
    pendingRevocation: emptyAssignment(),
  };
}

export class ConsumerGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerGroupMember>();
  /** instance id -> member id */
  readonly staticMembers = new Map<string, string>();
  /** member id -> target assignment */
  readonly targetAssignment = new Map<string, TopicPartitions>();
  /** The subscribed topics' metadata the current group epoch was computed with, by topic name. */
  subscriptionMetadata = new Map<string, TopicMetadata>();
  /** The assignor used when no member asks for one (the first of group.consumer.assignors). */
  defaultAssignor = 'uniform';
  /** When the group last became empty (offset retention of an empty group); not stored, as in Kafka. */
  emptySince: number;
  dead = false;

  constructor(
    readonly groupId: string,
    now: number,
  ) {
    this.emptySince = now;
  }

  /** A copy an operation may change freely to work out its records (the group itself stays as is). */
  clone(): ConsumerGroup {
    const g = new ConsumerGroup(this.groupId, this.emptySince);
    g.groupEpoch = this.groupEpoch;
    g.assignmentEpoch = this.assignmentEpoch;
    for (const m of this.members.values()) g.addMember(m.clone());
    for (const [id, a] of this.targetAssignment) g.targetAssignment.set(id, cloneAssignment(a));
    for (const [n, t] of this.subscriptionMetadata) g.subscriptionMetadata.set(n, { ...t });
    g.dead = this.dead;
    g.defaultAssignor = this.defaultAssignor;
    return g;
  }

  state(): ConsumerGroupState {
    if (this.dead) return 'Dead';
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch !== this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) {
      if (m.memberEpoch !== this.assignmentEpoch || m.state !== MemberState.STABLE) return 'Reconciling';
    }
    return 'Stable';
  }

  addMember(m: ConsumerGroupMember): void {
    this.members.set(m.memberId, m);
    if (m.instanceId !== null) this.staticMembers.set(m.instanceId, m.memberId);
  }

  removeMember(memberId: string, now: number): ConsumerGroupMember | undefined {
    const m = this.members.get(memberId);
    if (!m) return undefined;
    this.members.delete(memberId);
    this.targetAssignment.delete(memberId);
    if (m.instanceId !== null && this.staticMembers.get(m.instanceId) === memberId) this.staticMembers.delete(m.instanceId);
    if (this.members.size === 0) this.emptySince = now;
    return m;
  }

  /** Whether a member other than `except` holds the partition (assigned or pending revocation). */
  heldByOther(except: string): (topicId: string, partition: number) => boolean {
    const held = new Map<string, Set<number>>();
    for (const m of this.members.values()) {
      if (m.memberId === except) continue;
      for (const a of [m.assigned, m.pendingRevocation]) for (const [t, ps] of a) for (const p of ps) addPartition(held, t, p);
    }
    return (t, p) => held.get(t)?.has(p) ?? false;
  }

  /** Topic names any member subscribes to by name (regex matches come from the coordinator). */
  subscribedTopicNames(): Set<string> {
    const out = new Set<string>();
    for (const m of this.members.values()) for (const t of m.subscribedTopicNames) out.add(t);
    return out;
  }

  /** The assignor the target assignment is computed with (derived, as Kafka does not store it). */
  get assignorName(): string {
    return this.preferredAssignor(this.defaultAssignor);
  }

  /** The preferred assignor: the one most members ask for, else `fallback`. */
  preferredAssignor(fallback: string): string {
    const votes = new Map<string, number>();
    for (const m of this.members.values()) if (m.serverAssignor) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    let best = fallback;
    let n = 0;
    for (const [a, c] of votes) if (c > n) [best, n] = [a, c];
    return best;
  }
}

/**
 * Replays one stored consumer-group record (key versions 3-8) into `g`, the one route from those
 * records to a group: after each write and while loading. Any record but a tombstone of the group
 * itself creates what it names; a member-level tombstone removes the member.
 */
export function applyConsumerGroupRecord(g: ConsumerGroup, kind: ConsumerGroupRecordKind, memberId: string | null, v: Buffer | null, now: number): void {
  const member = (): ConsumerGroupMember => {
    const id = memberId ?? '';
    let m = g.members.get(id);
    if (!m) {
      m = new ConsumerGroupMember(id);
      g.addMember(m);
    }
    return m;
  };
  switch (kind) {
    case CGK.METADATA:
      if (v === null) g.dead = true;
      else g.groupEpoch = decodeEpochValue(v);
      return;
    case CGK.PARTITION_METADATA:
      g.subscriptionMetadata = new Map((v === null ? [] : decodeConsumerGroupPartitionMetadataValue(v).topics).map((t) => [t.topicName, { ...t }]));
      return;
    case CGK.MEMBER_METADATA: {
      if (v === null) {
        if (memberId !== null) g.removeMember(memberId, now);
        return;
      }
      const md = decodeConsumerGroupMemberMetadataValue(v);
      const m = member();
      if (m.instanceId !== null && m.instanceId !== md.instanceId && g.staticMembers.get(m.instanceId) === m.memberId) g.staticMembers.delete(m.instanceId);
      Object.assign(m, {
        instanceId: md.instanceId,
        rackId: md.rackId,
        clientId: md.clientId,
        clientHost: md.clientHost,
        subscribedTopicNames: [...md.subscribedTopicNames],
        subscribedTopicRegex: md.subscribedTopicRegex,
        rebalanceTimeoutMs: md.rebalanceTimeoutMs,
        serverAssignor: md.serverAssignor,
      });
      if (m.instanceId !== null) g.staticMembers.set(m.instanceId, m.memberId);
      return;
    }
    case CGK.TARGET_ASSIGNMENT_METADATA:
      g.assignmentEpoch = v === null ? 0 : decodeEpochValue(v);
      return;
    case CGK.TARGET_ASSIGNMENT_MEMBER:
      if (memberId === null) return;
      if (v === null) g.targetAssignment.delete(memberId);
      else g.targetAssignment.set(memberId, assignmentFromList(decodeConsumerGroupTargetAssignmentMemberValue(v)));
      return;
    case CGK.CURRENT_MEMBER_ASSIGNMENT: {
      if (v === null) {
        if (memberId !== null) g.removeMember(memberId, now);
        return;
      }
      const cur = decodeConsumerGroupCurrentMemberAssignmentValue(v);
      const m = member();
      m.memberEpoch = cur.memberEpoch;
      m.previousMemberEpoch = cur.previousMemberEpoch;
      m.state = (Object.values(MemberState) as number[]).includes(cur.state) ? (cur.state as MemberStateValue) : MemberState.UNKNOWN;
      m.assigned = assignmentFromList(cur.assignedPartitions);
      m.pendingRevocation = assignmentFromList(cur.partitionsPendingRevocation);
      return;
    }
  }
}

/** A canonical picture of what a consumer group's records decide (tests compare two of them). */
export function consumerGroupState(g: ConsumerGroup): unknown {
  const list = (a: TopicPartitions): string => JSON.stringify(assignmentToList(a));
  return {
    id: g.groupId,
    epoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    topics: [...g.subscriptionMetadata.values()].map((t) => ({ ...t })).sort((a, b) => (a.topicName < b.topicName ? -1 : 1)),
    members: [...g.members.values()]
      .sort((a, b) => (a.memberId < b.memberId ? -1 : 1))
      .map((m) => ({
        id: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        subscribedTopicNames: m.subscribedTopicNames,
        subscribedTopicRegex: m.subscribedTopicRegex,
        serverAssignor: m.serverAssignor,
        memberEpoch: m.memberEpoch,
        previousMemberEpoch: m.previousMemberEpoch,
        state: m.state,
        assigned: list(m.assigned),
        pendingRevocation: list(m.pendingRevocation),
        target: list(g.targetAssignment.get(m.memberId) ?? emptyAssignment()),
      })),
  };
}

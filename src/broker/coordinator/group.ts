/**
 * A classic consumer group (the JoinGroup/SyncGroup protocol) and its members: the data the
 * coordinator's state machine works on. Kafka's ClassicGroup/ClassicGroupMember, pared down.
 * The transitions live in classic.ts; the stored form (GroupMetadataValue) is applied by
 * `applyGroupMetadata` below, the one route from a record to a classic group.
 *
 * Two kinds of fields: those of the stored record (generation, protocol, leader, members with
 * their timeouts, subscription and assignment), and the rebalance in progress, which Kafka never
 * stores either (members waiting for their JoinGroup/SyncGroup answer, KIP-394 pending member ids,
 * who still owes a SyncGroup). A rebalance moves the first kind forward in memory; the record
 * written when the generation completes (or the group empties) is what a reload sees.
 */
import { subscribedTopics } from './consumer-protocol.js';
import type { GroupMetadataValue } from '../../protocol/coordinator-records.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** Which states may move to which, as in Kafka. */
const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export const EMPTY_BYTES = Buffer.alloc(0);

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
}

export interface SyncGroupResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface OffsetEntry {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Explicit expiry (OffsetCommit v2-v4 retention time), -1 for none. */
  expireTimestamp: number;
}

export class Member {
  assignment: Buffer = EMPTY_BYTES;
  joinWaiter: ((r: JoinGroupResult) => void) | null = null;
  syncWaiter: ((r: SyncGroupResult) => void) | null = null;
  /** Joined but not yet answered: bounded by the new-member join timeout instead of the session. */
  isNew = false;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    public protocolType: string,
    public protocols: Protocol[],
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  metadataFor(protocol: string | null): Buffer {
    if (protocol === null) return EMPTY_BYTES;
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY_BYTES;
  }

  /** Same protocols with the same metadata, in the same order (a retried JoinGroup). */
  matches(protocols: readonly Protocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    for (let i = 0; i < protocols.length; i++) {
      const a = protocols[i]!;
      const b = this.protocols[i]!;
      if (a.name !== b.name || !a.metadata.equals(b.metadata)) return false;
    }
    return true;
  }

  /** The member's first preference among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    for (const p of this.protocols) if (candidates.has(p.name)) return p.name;
    throw new Error(`member ${this.memberId} supports none of the candidate protocols`);
  }
}

export class ClassicGroup {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  currentStateTimestamp: number;
  readonly members = new Map<string, Member>();
  /** group.instance.id -> member id */
  readonly staticMembers = new Map<string, string>();
  /** KIP-394: member ids handed out with MEMBER_ID_REQUIRED (each with a timer). */
  readonly pendingMembers = new Set<string>();
  /** Members that got their JoinGroup response but have not sent SyncGroup yet. */
  readonly pendingSync = new Set<string>();
  /** Set while the initial rebalance delay runs and a new member joined (extends the delay). */
  newMemberAdded = false;
  /** True while the join phase is the initial delayed join (it only completes on its timer). */
  initialDelay = false;
  /** The group as last stored (null: never stored); what a reload of the log would give. */
  stored: GroupMetadataValue | null = null;

  constructor(
    readonly groupId: string,
    now: number,
  ) {
    this.currentStateTimestamp = now;
  }

  is(s: GroupState): boolean {
    return this.state === s;
  }

  transitionTo(s: GroupState, now: number): void {
    if (!VALID_PREVIOUS[s].includes(this.state)) {
      throw new Error(`group ${this.groupId}: illegal transition ${this.state} -> ${s}`);
    }
    this.state = s;
    this.currentStateTimestamp = now;
  }

  get size(): number {
    return this.members.size;
  }

  /** KIP-345: the instance id belongs to another member (the caller is an old, fenced instance). */
  groupInstanceFenced(instanceId: string | null, memberId: string): boolean {
    if (instanceId === null) return false;
    const id = this.staticMembers.get(instanceId);
    return id !== undefined && id !== memberId;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  add(member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    if (this.leaderId === null) this.leaderId = member.memberId;
  }

  remove(memberId: string): Member | undefined {
    const m = this.members.get(memberId);
    if (!m) return undefined;
    this.members.delete(memberId);
    this.pendingSync.delete(memberId);
    if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId) this.staticMembers.delete(m.groupInstanceId);
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    return m;
  }

  /** The member now known as `newId` takes over the static instance `oldId` held. */
  replaceStaticMember(instanceId: string, oldId: string, newId: string): Member {
    const m = this.members.get(oldId)!;
    this.members.delete(oldId);
    m.memberId = newId;
    this.members.set(newId, m);
    this.staticMembers.set(instanceId, newId);
    if (this.leaderId === oldId) this.leaderId = newId;
    if (this.pendingSync.delete(oldId)) this.pendingSync.add(newId);
    return m;
  }

  get numAwaitingJoin(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.joinWaiter) n++;
    return n;
  }

  /** Every member (and no KIP-394 pending member) has sent its JoinGroup for this round. */
  hasAllMembersJoined(): boolean {
    return this.numAwaitingJoin === this.members.size && this.pendingMembers.size === 0;
  }

  /** The longest rebalance timeout among members: how long the join phase may last. */
  rebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  /** Protocol names every member supports. */
  candidateProtocols(): Set<string> {
    const counts = new Map<string, number>();
    for (const m of this.members.values()) for (const p of new Set(m.protocols.map((x) => x.name))) counts.set(p, (counts.get(p) ?? 0) + 1);
    const n = this.members.size;
    return new Set([...counts].filter(([, c]) => c === n).map(([p]) => p));
  }

  /** Each member votes for its most preferred candidate; the most votes win (first voted on a tie). */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = -1;
    for (const [p, n] of votes) {
      if (n > bestVotes) {
        best = p;
        bestVotes = n;
      }
    }
    if (best === null) throw new Error(`group ${this.groupId} has no members to select a protocol`);
    return best;
  }

  /** Whether a member with this protocol type and these protocols may join. */
  supportsProtocols(protocolType: string, protocols: readonly Protocol[]): boolean {
    if (this.is('Empty') || this.members.size === 0) return protocolType !== '' && protocols.length > 0;
    if (protocolType !== this.protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.has(p.name));
  }

  /** Topics the members subscribe to (consumer protocol), or null when unknown. */
  subscribedTopics(): Set<string> | null {
    if (this.protocolType !== 'consumer' || this.protocolName === null) return null;
    const out = new Set<string>();
    for (const m of this.members.values()) {
      const topics = subscribedTopics(m.metadataFor(this.protocolName));
      if (topics === null) return null;
      for (const t of topics) out.add(t);
    }
    return out;
  }
}

/** The stored form of a group now: what `applyGroupMetadata` turns back into this group. */
export function groupMetadataValue(g: ClassicGroup, assignments?: ReadonlyMap<string, Buffer>): GroupMetadataValue {
  return {
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
}

/**
 * Replays a stored GroupMetadataValue into the group (creating it when there is none): the record
 * becomes `stored`, and unless a rebalance has moved the group past that generation, the group is
 * what the record says: Stable with its members and assignments, or Empty. Members already in
 * memory (by member id, or by static instance id after a static member's restart) keep their
 * waiters and full protocol lists. This is both the load path and what completes a SyncGroup.
 */
export function applyGroupMetadata(existing: ClassicGroup | undefined, groupId: string, v: GroupMetadataValue, now: number): ClassicGroup {
  const g = existing ?? new ClassicGroup(groupId, now);
  // A group known only by its offsets (never stored) takes the record; otherwise only a group at
  // the record's generation does (a later rebalance has its own record to write).
  const placeholder = g.stored === null && g.generationId === 0 && g.is('Empty') && g.members.size === 0;
  g.stored = v;
  const atRest = !existing || placeholder || (g.generationId === v.generation && (g.is('Stable') || g.is('CompletingRebalance') || g.is('Empty')));
  if (!atRest) return g;
  g.protocolType = v.protocolType === '' ? null : v.protocolType;
  g.generationId = v.generation;
  g.protocolName = v.protocol;
  if (v.currentStateTimestamp >= 0) g.currentStateTimestamp = v.currentStateTimestamp;
  const keep = new Set<string>();
  for (const mr of v.members) {
    let m = g.members.get(mr.memberId);
    if (!m && mr.groupInstanceId !== null) {
      const oldId = g.staticMembers.get(mr.groupInstanceId);
      if (oldId !== undefined && g.members.has(oldId)) m = g.replaceStaticMember(mr.groupInstanceId, oldId, mr.memberId);
    }
    const protocols = v.protocol !== null ? [{ name: v.protocol, metadata: mr.subscription }] : [];
    if (!m) {
      m = new Member(mr.memberId, mr.groupInstanceId, mr.clientId, mr.clientHost, mr.rebalanceTimeout, mr.sessionTimeout, g.protocolType ?? '', protocols);
      g.add(m);
    } else {
      m.clientId = mr.clientId;
      m.clientHost = mr.clientHost;
      m.rebalanceTimeoutMs = mr.rebalanceTimeout;
      m.sessionTimeoutMs = mr.sessionTimeout;
      if (v.protocol !== null && !m.metadataFor(v.protocol).equals(mr.subscription)) m.protocols = protocols;
    }
    m.assignment = mr.assignment;
    keep.add(mr.memberId);
  }
  for (const id of [...g.members.keys()]) if (!keep.has(id)) g.remove(id);
  g.leaderId = v.leader !== null && g.members.has(v.leader) ? v.leader : (g.members.keys().next().value ?? null);
  g.state = g.members.size > 0 ? 'Stable' : 'Empty';
  return g;
}

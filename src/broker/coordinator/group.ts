/**
 * A classic consumer group (the JoinGroup/SyncGroup protocol) and its members: the data the
 * coordinator's state machine works on. Kafka's ClassicGroup/ClassicGroupMember, pared down.
 * The transitions themselves live in GroupCoordinator.
 */
import type { Cancel } from './clock.js';
import { subscribedTopics } from './consumer-protocol.js';

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
  /** Session (heartbeat) expiry timer. */
  expiry: Cancel | null = null;
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

/** Committed offsets of a group (classic or consumer), by topic and partition. */
export class GroupOffsets {
  readonly offsets = new Map<string, Map<number, OffsetEntry>>();

  hasOffsets(): boolean {
    for (const p of this.offsets.values()) if (p.size > 0) return true;
    return false;
  }

  offset(topic: string, partition: number): OffsetEntry | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  setOffset(topic: string, partition: number, e: OffsetEntry): void {
    let m = this.offsets.get(topic);
    if (!m) this.offsets.set(topic, (m = new Map()));
    m.set(partition, e);
  }

  deleteOffset(topic: string, partition: number): boolean {
    const m = this.offsets.get(topic);
    if (!m) return false;
    const had = m.delete(partition);
    if (m.size === 0) this.offsets.delete(topic);
    return had;
  }
}

export class ClassicGroup extends GroupOffsets {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  currentStateTimestamp: number;
  readonly members = new Map<string, Member>();
  /** group.instance.id -> member id */
  readonly staticMembers = new Map<string, string>();
  /** KIP-394: member ids handed out with MEMBER_ID_REQUIRED, with their expiry timers. */
  readonly pendingMembers = new Map<string, Cancel>();
  /** Members that got their JoinGroup response but have not sent SyncGroup yet. */
  readonly pendingSync = new Set<string>();
  /** Set while the initial rebalance delay runs and a new member joined (extends the delay). */
  newMemberAdded = false;
  joinTimer: Cancel | null = null;
  /** True while the join phase is the initial delayed join (it only completes on its timer). */
  initialDelay = false;
  syncTimer: Cancel | null = null;

  constructor(
    readonly groupId: string,
    now: number,
  ) {
    super();
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

/**
 * A consumer's membership of a classic consumer group, as the Java client's ConsumerCoordinator
 * runs it: FindCoordinator, JoinGroup (KIP-394: a first join gets a member id, the second joins
 * with it), SyncGroup (the leader computes the assignment with a client-side assignor), heartbeats
 * on their own connection to the coordinator every heartbeatIntervalMs, commits with the member's
 * generation, and LeaveGroup on close so the others rebalance at once.
 *
 * The eager protocol: every rebalance revokes the whole assignment first (the consumer commits
 * before rejoining). Heartbeat answers that mean "rebalance" (REBALANCE_IN_PROGRESS) or "you are out"
 * (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID) make the next poll rejoin.
 */
import { ErrorCode } from '../protocol/errors.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import { ApiKey } from '../protocol/messages/index.js';
import type { BrokerPool } from './brokers.js';
import type { Connection } from './connection.js';
import { isRetriable } from './errors.js';
import { assign, commitOffsets, decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, fetchCommitted, findCoordinator, type AssignorName, type TopicPartitionRef } from './consumer-protocol.js';

export interface GroupOptions {
  groupId: string;
  /** Default 45000 (Kafka 4's session.timeout.ms). */
  sessionTimeoutMs?: number;
  /** How long the group waits for members to rejoin (max.poll.interval.ms). Default 300000. */
  rebalanceTimeoutMs?: number;
  /** Default 3000. */
  heartbeatIntervalMs?: number;
  /** Default range, as the Java client's first choice. */
  assignor?: AssignorName;
  /** KIP-345 static membership. */
  groupInstanceId?: string | null;
}

/**
 * Answers that mean "join again": the group is rebalancing, or has moved on to a generation
 * without this member. Kafka's table does not call them retriable (the same request would fail
 * again); the Java client's AbstractCoordinator rejoins on them.
 */
const REJOIN = new Set<number>([ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID]);

/**
 * Whether JoinGroup or SyncGroup goes round again after this error (and a failed commit makes the
 * next poll rejoin): a retriable error (isRetriable: the coordinator is loading, moved or not
 * available, ...) or one that asks for a rejoin. Anything else fails the join.
 */
function joinAgain(code: number): boolean {
  return isRetriable(code) || REJOIN.has(code);
}

export class GroupMember {
  memberId = '';
  generationId = -1;
  /** Set when the group needs this member to join (again) before the next fetch. */
  needsJoin = true;
  private coord: Connection | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly sessionTimeoutMs: number;
  private readonly rebalanceTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly assignor: AssignorName;
  private readonly instanceId: string | null;
  get groupInstanceId(): string | null {
    return this.instanceId;
  }

  constructor(
    private readonly pool: BrokerPool,
    readonly groupId: string,
    private readonly topics: () => readonly string[],
    opts: GroupOptions,
  ) {
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? 45_000;
    this.rebalanceTimeoutMs = opts.rebalanceTimeoutMs ?? 300_000;
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 3_000;
    this.assignor = opts.assignor ?? 'range';
    this.instanceId = opts.groupInstanceId ?? null;
  }

  /** Joins (or rejoins) the group; resolves with this member's partitions once it has them. */
  async join(): Promise<TopicPartitionRef[]> {
    this.stopHeartbeats();
    for (let attempt = 0; ; attempt++) {
      if (attempt > 50) throw new KafkaProtocolError(ErrorCode.REBALANCE_IN_PROGRESS, `could not join group ${this.groupId}`);
      const conn = await this.coordinator();
      const join = await conn.send(
        ApiKey.JoinGroup,
        {
          groupId: this.groupId,
          sessionTimeoutMs: this.sessionTimeoutMs,
          rebalanceTimeoutMs: this.rebalanceTimeoutMs,
          memberId: this.memberId,
          groupInstanceId: this.instanceId,
          protocolType: 'consumer',
          protocols: [{ name: this.assignor, metadata: encodeSubscription(this.topics()) }],
          reason: null,
        },
        { timeoutMs: this.rebalanceTimeoutMs + 5_000 },
      );
      if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = join.memberId;
        continue;
      }
      if (join.errorCode !== ErrorCode.NONE) {
        if (!joinAgain(join.errorCode)) throw new KafkaProtocolError(join.errorCode, `JoinGroup ${this.groupId}`);
        await this.recover(join.errorCode);
        continue;
      }
      this.memberId = join.memberId;
      this.generationId = join.generationId;
      const assignments = join.leader === join.memberId ? await this.leaderAssignment(join.protocolName ?? this.assignor, join.members) : [];
      const sync = await conn.send(
        ApiKey.SyncGroup,
        {
          groupId: this.groupId,
          generationId: this.generationId,
          memberId: this.memberId,
          groupInstanceId: this.instanceId,
          protocolType: 'consumer',
          protocolName: join.protocolName,
          assignments,
        },
        { timeoutMs: this.rebalanceTimeoutMs + 5_000 },
      );
      if (sync.errorCode !== ErrorCode.NONE) {
        if (!joinAgain(sync.errorCode)) throw new KafkaProtocolError(sync.errorCode, `SyncGroup ${this.groupId}`);
        await this.recover(sync.errorCode);
        continue;
      }
      this.needsJoin = false;
      this.startHeartbeats();
      return decodeAssignment(sync.assignment);
    }
  }

  /** The group's committed offsets (requireStable: UNSTABLE_OFFSET_COMMIT while a transaction holds some, KIP-447). */
  async committed(requireStable = false, partitions: readonly TopicPartitionRef[] | null = null): Promise<Map<string, bigint>> {
    const all = await fetchCommitted(await this.coordinator(), this.groupId, requireStable, partitions);
    return new Map(all.map((c) => [`${c.topic}\u0000${c.partition}`, c.offset]));
  }

  /** Commits as this member (its generation); a rebalance meanwhile rejects and makes the next poll rejoin. */
  async commit(offsets: ReadonlyArray<TopicPartitionRef & { offset: bigint }>): Promise<void> {
    if (offsets.length === 0) return;
    const results = await commitOffsets(await this.coordinator(), this.groupId, offsets, { generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.instanceId });
    const bad = results.find((r) => r.errorCode !== ErrorCode.NONE);
    if (!bad) return;
    if (joinAgain(bad.errorCode)) this.needsJoin = true;
    if (bad.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
    throw new KafkaProtocolError(bad.errorCode, `commit of ${bad.topic}-${bad.partition} in group ${this.groupId}`);
  }

  /** Leaves the group (the others rebalance at once) and closes the coordinator connection. */
  async leave(): Promise<void> {
    this.stopHeartbeats();
    const conn = this.coord;
    this.coord = null;
    if (!conn) return;
    try {
      if (this.memberId !== '' && this.instanceId === null) {
        // v3+ names the members (batched); v0-2 the one member id.
        const batched = conn.versionFor(ApiKey.LeaveGroup) >= 3;
        await conn.send(ApiKey.LeaveGroup, {
          groupId: this.groupId,
          memberId: batched ? '' : this.memberId,
          members: batched ? [{ memberId: this.memberId, groupInstanceId: null, reason: 'the consumer is closing' }] : [],
        });
      }
    } catch {
      // best effort, as the Java client: the session timeout removes the member otherwise
    } finally {
      await conn.close();
    }
  }

  private async leaderAssignment(protocol: string, members: ReadonlyArray<{ memberId: string; metadata: Buffer }>): Promise<Array<{ memberId: string; assignment: Buffer }>> {
    const subs = members.map((m) => ({ memberId: m.memberId, topics: decodeSubscription(m.metadata) }));
    const topics = [...new Set(subs.flatMap((s) => s.topics))];
    const md = await this.pool.metadata(topics);
    const counts = new Map<string, number>();
    for (const t of md.topics) if (t.errorCode === ErrorCode.NONE && t.name !== null) counts.set(t.name, t.partitions.length);
    const plan = assign(protocol === 'roundrobin' ? 'roundrobin' : 'range', subs, counts);
    return members.map((m) => ({ memberId: m.memberId, assignment: encodeAssignment(plan.get(m.memberId) ?? []) }));
  }

  /** After a join or sync error: forget what it invalidates, wait a little, find the coordinator again if needed. */
  private async recover(code: number): Promise<void> {
    if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
    if (code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_NOT_AVAILABLE) await this.dropCoordinator();
    if (!REJOIN.has(code)) await new Promise((r) => setTimeout(r, 100)); // a retry: retry.backoff.ms first
  }

  private async coordinator(): Promise<Connection> {
    if (this.coord && !this.coord.isClosed) return this.coord;
    const c = await findCoordinator(await this.pool.bootstrapConnection(), this.groupId, this.sessionTimeoutMs);
    this.coord = await this.pool.open(c.host, c.port);
    return this.coord;
  }

  private async dropCoordinator(): Promise<void> {
    const c = this.coord;
    this.coord = null;
    await c?.close().catch(() => undefined);
  }

  private startHeartbeats(): void {
    this.stopHeartbeats();
    const beat = async (): Promise<void> => {
      const conn = this.coord;
      if (!conn || this.needsJoin) return;
      try {
        const res = await conn.send(ApiKey.Heartbeat, { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.instanceId });
        if (res.errorCode === ErrorCode.NONE) return;
        this.needsJoin = true;
        if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
        if (res.errorCode === ErrorCode.NOT_COORDINATOR || res.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) await this.dropCoordinator();
      } catch {
        // The connection failed or the answer was unusable: rejoin through a fresh coordinator
        // lookup on the next poll. (A timer callback must not throw: nobody would catch it.)
        this.needsJoin = true;
        await this.dropCoordinator();
      }
    };
    this.heartbeat = setInterval(() => void beat(), this.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  private stopHeartbeats(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}

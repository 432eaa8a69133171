/**
 * One partition of __consumer_offsets as the group coordinator holds it (Kafka's
 * GroupCoordinatorShard): the classic groups, the consumer (KIP-848) groups and the committed
 * offsets of every group id that hashes to the partition, the offsets of open transactions
 * (TxnOffsetCommit), and `replay` / `replayEndTransactionMarker`, the functions from a stored
 * record or marker to that state (run by the runtime after each successful write and while
 * loading). The protocols' operations live beside it: classic.ts, consumer.ts, offsets.ts.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { CoordinatorResult, CoordinatorShard, ShardContext } from './runtime.js';
import type { GroupConfigOverrides, GroupCoordinatorConfig } from './group-config.js';
import type { DescribedGroup, ListedGroup } from './group-types.js';
import { ClassicGroup, applyGroupMetadata, groupMetadataValue } from './group.js';
import { ConsumerGroup, applyConsumerGroupRecord, consumerGroupState, type ConsumerGroupMember } from './consumer-group.js';
import { OffsetStore, PendingTxnOffsets } from './offset-store.js';
import { ClassicGroups } from './classic.js';
import { ConsumerGroups, compileRegex } from './consumer.js';
import { Offsets, offsetTombstone } from './offsets.js';
import { decodeGroupMetadataValue, decodeOffsetCommitValue, decodeOffsetsKey, encodeGroupMetadataKey, type GroupMetadataValue } from '../../protocol/coordinator-records.js';
import { NO_PRODUCER_ID, type RecordOrigin, type StoredRecord } from './storage.js';

export interface TopicInfo {
  name: string;
  topicId: string;
  partitions: number;
  internal?: boolean;
}

/** What the group shards need of the broker. */
export interface GroupEnv {
  cfg: GroupCoordinatorConfig;
  /** Tests: after each write, check that replaying its records gave the state the operation computed. */
  checkReplay?: boolean;
  /** Partition count of a topic, undefined when it does not exist. */
  topicPartitions(topic: string): number | undefined;
  /** Every topic with its id (KIP-848 groups: assignment by topic id, regex subscriptions). */
  topics(): readonly TopicInfo[];
  /** A group's own configs, over `cfg` (consumer.session.timeout.ms, consumer.heartbeat.interval.ms). */
  groupConfig(groupId: string): GroupConfigOverrides | undefined;
  /** Whether an authorizer decides: a member's regex matches then need its DESCRIBE right (ConsumerGroupMember.regexTopicFilter). */
  authorizerEnabled?(): boolean;
}

const RETENTION_TIMER = 'offsets-retention';

export class GroupShard implements CoordinatorShard {
  readonly classicGroups = new Map<string, ClassicGroup>();
  readonly consumerGroups = new Map<string, ConsumerGroup>();
  readonly offsets = new OffsetStore();
  /** Offsets committed in transactions not ended yet, per producer id. */
  readonly pendingTxnOffsets = new PendingTxnOffsets();
  readonly classic = new ClassicGroups(this);
  readonly consumer = new ConsumerGroups(this);
  readonly offsetOps = new Offsets(this);
  /** Records that could not be read (skipped, and logged once loaded). */
  unreadable = 0;
  /** With env.checkReplay: operations whose records did not replay into the state they computed. */
  readonly replayMismatches: string[] = [];

  constructor(
    readonly ctx: ShardContext,
    readonly env: GroupEnv,
  ) {}

  // ===========================================================================================
  // Record -> state

  replay(record: StoredRecord, origin: RecordOrigin = { offset: -1, producerId: NO_PRODUCER_ID, producerEpoch: -1 }): void {
    const now = this.ctx.clock.now();
    try {
      const key = decodeOffsetsKey(record.key);
      switch (key.type) {
        case 'offset':
          if (record.value === null) {
            // A tombstone removes the committed offset and every open transaction's offset of the partition.
            this.offsets.delete(key.group, key.topic, key.partition);
            this.pendingTxnOffsets.clear(key.group, key.topic, key.partition);
          } else {
            const entry = { ...decodeOffsetCommitValue(record.value), recordOffset: origin.offset };
            // A transactional offset stays pending until its transaction's marker.
            if (origin.producerId === NO_PRODUCER_ID) this.offsets.set(key.group, key.topic, key.partition, entry);
            else this.pendingTxnOffsets.add(origin.producerId, key.group, key.topic, key.partition, entry);
            // Offsets without a group (a consumer that assigns itself partitions) make an empty classic group.
            if (!this.consumerGroups.has(key.group) && !this.classicGroups.has(key.group)) this.classicGroups.set(key.group, new ClassicGroup(key.group, now));
          }
          return;
        case 'group': {
          const existing = this.classicGroups.get(key.group);
          if (record.value === null) {
            if (existing) {
              existing.state = 'Dead';
              this.classic.forget(existing);
              this.classicGroups.delete(key.group);
            }
            return;
          }
          this.classicGroups.set(key.group, applyGroupMetadata(existing, key.group, decodeGroupMetadataValue(record.value), now));
          return;
        }
        case 'consumer-group': {
          let g = this.consumerGroups.get(key.group);
          if (!g) {
            if (record.value === null) return;
            // A consumer group replaces an empty classic group of the same id (its offsets stay).
            const classic = this.classicGroups.get(key.group);
            if (classic && classic.members.size === 0) {
              this.classic.forget(classic);
              this.classicGroups.delete(key.group);
            }
            g = new ConsumerGroup(key.group, now);
            g.defaultAssignor = this.env.cfg.consumerAssignors[0]!;
            this.consumerGroups.set(key.group, g);
          }
          applyConsumerGroupRecord(g, key.kind, key.member, record.value, now);
          if (g.dead) this.consumerGroups.delete(key.group);
          return;
        }
        default:
          return;
      }
    } catch {
      this.unreadable++;
    }
  }

  /**
   * A transaction of `producerId` ended. On commit its pending offsets become the committed ones,
   * each unless the partition's committed offset comes from a later record (a plain commit made
   * meanwhile wins, whatever the order of replay after compaction); on abort they go.
   */
  replayEndTransactionMarker(producerId: bigint, commit: boolean): void {
    const pending = this.pendingTxnOffsets.take(producerId);
    if (!pending || !commit) return;
    for (const [group, topic, partition, e] of pending.entries()) {
      const existing = this.offsets.get(group, topic, partition);
      if (existing === undefined || e.recordOffset > existing.recordOffset) this.offsets.set(group, topic, partition, e);
    }
  }

  onLoaded(): void {
    if (this.unreadable > 0) this.ctx.log?.warn({ partition: this.ctx.partition, bad: this.unreadable }, 'skipped unreadable records in __consumer_offsets');
    this.classic.onLoaded();
    this.consumer.onLoaded();
    this.scheduleRetention();
  }

  onUnloaded(): void {
    this.classic.onUnloaded();
  }

  /** Every offsets.retention.check.interval.ms, each group's expired offsets go (a write per group). */
  private scheduleRetention(): void {
    this.ctx.schedule(RETENTION_TIMER, this.env.cfg.offsetsRetentionCheckIntervalMs, RETENTION_TIMER, () => {
      this.scheduleRetention();
      for (const id of this.groupIds()) this.ctx.write(id, () => this.offsetOps.expire(id));
      return { records: [], response: undefined };
    });
  }

  /** With env.checkReplay: a classic group at rest after its record was replayed is that record. */
  checkClassicReplay(g: ClassicGroup, stored: GroupMetadataValue, what: string): void {
    if (!this.env.checkReplay || !(g.is('Stable') || g.is('Empty')) || this.classicGroups.get(g.groupId) !== g) return;
    const canon = (v: GroupMetadataValue): string => JSON.stringify({ ...v, currentStateTimestamp: 0, members: v.members.map((m) => ({ ...m, subscription: m.subscription.toString('hex'), assignment: m.assignment.toString('hex') })) });
    const want = canon(stored);
    const got = canon(groupMetadataValue(g));
    if (want !== got) this.replayMismatches.push(`${what} of ${g.groupId}: stored ${want}, replayed ${got}`);
  }

  /** With env.checkReplay: the group the records made must be the working copy the operation made. */
  checkReplay(intended: ConsumerGroup, what: string): void {
    if (!this.env.checkReplay) return;
    const real = this.consumerGroups.get(intended.groupId);
    const want = intended.dead ? null : JSON.stringify(consumerGroupState(intended));
    const got = real ? JSON.stringify(consumerGroupState(real)) : null;
    if (want !== got) this.replayMismatches.push(`${what} of ${intended.groupId}: computed ${want}, replayed ${got}`);
  }

  // ===========================================================================================
  // Lookups the protocols share

  groupIds(): string[] {
    return [...new Set([...this.classicGroups.keys(), ...this.consumerGroups.keys(), ...this.offsets.groupIds()])];
  }

  /** A classic group created by a JoinGroup that never got anywhere (nothing stored, nobody in it) is forgotten. */
  maybeDropClassicGroup(g: ClassicGroup): void {
    if (g.is('Empty') && g.members.size === 0 && g.pendingMembers.size === 0 && !this.offsets.has(g.groupId) && !this.pendingTxnOffsets.hasGroup(g.groupId) && g.generationId === 0 && g.stored === null && this.classicGroups.get(g.groupId) === g) {
      this.classicGroups.delete(g.groupId);
    }
  }

  topicsByName(): Map<string, TopicInfo> {
    return new Map(this.env.topics().map((t) => [t.name, t]));
  }

  /**
   * The existing topics a member subscribes to: its names plus the regex's matches (internal topics
   * excluded). With an authorizer, as in Kafka, only the matches its principal may DESCRIBE (names
   * it subscribes to explicitly were checked by the heartbeat); a member loaded from the log whose
   * rights are not known yet (no heartbeat since) gets no regex matches until its next heartbeat.
   */
  memberTopics(m: ConsumerGroupMember, byName: ReadonlyMap<string, TopicInfo>): Set<string> {
    const out = new Set<string>();
    for (const t of m.subscribedTopicNames) if (byName.has(t)) out.add(t);
    if (m.subscribedTopicRegex !== null) {
      const re = compileRegex(m.subscribedTopicRegex);
      const authorized = m.regexTopicFilter ?? (this.env.authorizerEnabled?.() ? (): boolean => false : (): boolean => true);
      if (re) for (const t of byName.values()) if (!t.internal && re.test(t.name) && authorized(t.name)) out.add(t.name);
    }
    return out;
  }

  /** Every topic a consumer group's members subscribe to, by name or by regex. */
  subscribedTopics(g: ConsumerGroup): Set<string> {
    const byName = this.topicsByName();
    const out = new Set<string>();
    for (const m of g.members.values()) for (const t of [...m.subscribedTopicNames, ...this.memberTopics(m, byName)]) out.add(t);
    return out;
  }

  // ===========================================================================================
  // ListGroups, DescribeGroups, DeleteGroups (both protocols)

  listGroups(states: ReadonlySet<string>, types: ReadonlySet<string>): ListedGroup[] {
    const out: ListedGroup[] = [];
    if (types.size === 0 || types.has('classic')) {
      for (const g of this.classicGroups.values()) {
        if (g.is('Dead')) continue;
        if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
        out.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' });
      }
    }
    if (types.size === 0 || types.has('consumer')) {
      for (const g of this.consumerGroups.values()) {
        const state = g.state();
        if (state === 'Dead') continue;
        if (states.size > 0 && !states.has(state.toLowerCase())) continue;
        out.push({ groupId: g.groupId, protocolType: 'consumer', groupState: state, groupType: 'consumer' });
      }
    }
    return out;
  }

  describeGroup(groupId: string): DescribedGroup {
    const cg = this.consumerGroups.get(groupId);
    if (cg && !cg.dead) return this.consumer.describeClassically(cg);
    const g = this.classicGroups.get(groupId);
    if (!g || g.is('Dead')) return { errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    return this.classic.describe(g);
  }

  /**
   * DeleteGroups of one group: an empty group's offsets and records become tombstones, and so do
   * the partitions only open transactions have offsets for (their pending offsets go with them,
   * as in Kafka; the transactions themselves go on).
   */
  deleteGroup(groupId: string): CoordinatorResult<number> {
    const cg = this.consumerGroups.get(groupId);
    if (cg) {
      if (cg.members.size > 0) return { records: [], response: ErrorCode.NON_EMPTY_GROUP };
      return { records: [...this.offsetTombstones(groupId), ...this.consumer.deleteRecords(cg)], response: ErrorCode.NONE };
    }
    const g = this.classicGroups.get(groupId);
    if (!g || g.is('Dead')) return { records: [], response: ErrorCode.GROUP_ID_NOT_FOUND };
    if (!g.is('Empty')) return { records: [], response: ErrorCode.NON_EMPTY_GROUP };
    return { records: [...this.offsetTombstones(groupId), { key: encodeGroupMetadataKey(groupId), value: null }], response: ErrorCode.NONE };
  }

  /**
   * Tombstones for every offset of the group: the committed ones, and the partitions that only
   * open transactions have offsets for (Kafka's deleteAllOffsets).
   */
  offsetTombstones(groupId: string): StoredRecord[] {
    const records: StoredRecord[] = [];
    for (const [topic, parts] of this.offsets.of(groupId)) for (const p of parts.keys()) records.push(offsetTombstone(groupId, topic, p));
    for (const [t, p] of this.pendingTxnOffsets.partitionsOf(groupId)) if (this.offsets.get(groupId, t, p) === undefined) records.push(offsetTombstone(groupId, t, p));
    return records;
  }

  // ===========================================================================================
  // The stored state, for tests: what a reload of this partition's records gives

  /**
   * A canonical picture of everything records decide: offsets, consumer groups, and classic
   * groups at rest (a classic group in the middle of a rebalance shows its stored generation).
   */
  snapshot(): unknown {
    const hex = (b: Buffer): string => b.toString('hex');
    const sortBy = <T>(xs: T[], k: (x: T) => string): T[] => xs.sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
    const offsets = sortBy(
      this.offsets.groupIds().flatMap((g) => [...this.offsets.of(g)].flatMap(([t, parts]) => [...parts].map(([p, e]) => ({ g, t, p, ...e, offset: String(e.offset) })))),
      (o) => `${o.g}\u0000${o.t}\u0000${o.p}`,
    );
    const classic = sortBy([...this.classicGroups.values()], (g) => g.groupId).flatMap((g) => {
      // At rest the group is what its record says; mid-rebalance, its last stored record counts.
      const v: GroupMetadataValue | null = g.is('Stable') || g.is('Empty') ? groupMetadataValue(g) : g.stored;
      const state = v === null || v.members.length === 0 ? 'Empty' : 'Stable';
      const members = sortBy(
        (v?.members ?? []).map((m) => ({ ...m, subscription: hex(m.subscription), assignment: hex(m.assignment) })),
        (m) => m.memberId,
      );
      const never = (v === null || (v.generation === 0 && members.length === 0)) && !this.offsets.has(g.groupId) && !this.pendingTxnOffsets.hasGroup(g.groupId);
      if (never) return []; // nothing of it was ever stored: a reload does not know it
      return [{ id: g.groupId, state, generation: v?.generation ?? 0, protocolType: v?.protocolType ?? '', protocol: v?.protocol ?? null, leader: v?.leader ?? null, members }];
    });
    const consumer = sortBy([...this.consumerGroups.values()], (g) => g.groupId).map(consumerGroupState);
    const pending = sortBy(
      [...this.pendingTxnOffsets.entries()].map(([pid, g, t, p, e]) => ({ pid: String(pid), g, t, p, ...e, offset: String(e.offset) })),
      (o) => `${o.pid}\u0000${o.g}\u0000${o.t}\u0000${o.p}`,
    );
    return { offsets, classic, consumer, pending };
  }
}

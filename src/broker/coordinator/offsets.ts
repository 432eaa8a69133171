/**
 * Committed offsets: OffsetCommit, TxnOffsetCommit, OffsetFetch, OffsetDelete, retention (KIP-211,
 * KIP-496) and the removal of a deleted topic's offsets, after Kafka's OffsetMetadataManager.
 * Every change is an OffsetCommit record (a tombstone to remove one); the OffsetStore changes only
 * when the runtime replays them. A TxnOffsetCommit writes the same records in a transactional
 * batch of the producer: they stay pending (PendingTxnOffsets) until the transaction's marker
 * commits them (they become the committed offsets) or aborts them. While an offset is pending,
 * OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT for its partition, retention
 * leaves the partition and the group alone, and OffsetDelete, DeleteGroups and deleted topics
 * write tombstones that drop the pending offsets too.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { CoordinatorResult } from './runtime.js';
import type { GroupShard } from './group-shard.js';
import type { FetchedOffset, OffsetCommitRequestData, OffsetFetchResult, TopicPartitionsError, TxnOffsetCommitRequestData } from './group-types.js';
import type { ClassicGroup, OffsetEntry } from './group.js';
import type { ConsumerGroup } from './consumer-group.js';
import { encodeGroupMetadataKey, encodeOffsetCommitKey, encodeOffsetCommitValue } from '../../protocol/coordinator-records.js';
import type { StoredRecord } from './storage.js';

/** JSON.stringify's replacer for bigints. */
const big = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? String(v) : v);

export function offsetTombstone(groupId: string, topic: string, partition: number): StoredRecord {
  return { key: encodeOffsetCommitKey(groupId, topic, partition), value: null };
}

export class Offsets {
  constructor(private readonly shard: GroupShard) {}

  commit(req: OffsetCommitRequestData): CoordinatorResult<TopicPartitionsError[]> {
    const all = (errorCode: number): CoordinatorResult<TopicPartitionsError[]> => ({
      records: [],
      response: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    });
    const cg = this.shard.consumerGroups.get(req.groupId);
    const classic = this.shard.classicGroups.get(req.groupId);
    if (cg) {
      const err = this.validateConsumerCommit(cg, req);
      if (err !== ErrorCode.NONE) return all(err);
    } else if (classic) {
      const err = this.validateClassicCommit(classic, req);
      if (err !== ErrorCode.NONE) return all(err);
    } else if (req.generationId >= 0 || req.memberId !== '') {
      return all(req.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
    }
    // (No group at all: a consumer that assigns itself partitions; the first offset creates it.)
    const cfg = this.shard.env.cfg;
    const now = this.shard.ctx.clock.now();
    const records: StoredRecord[] = [];
    const response: TopicPartitionsError[] = req.topics.map((t) => {
      const partitions = this.shard.env.topicPartitions(t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((p) => {
          if (partitions === undefined || p.partitionIndex < 0 || p.partitionIndex >= partitions) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          const metadata = p.committedMetadata ?? '';
          if (metadata.length > cfg.offsetMetadataMaxBytes) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
          const entry: OffsetEntry = {
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch,
            metadata,
            commitTimestamp: p.commitTimestamp >= 0n ? Number(p.commitTimestamp) : now,
            expireTimestamp: req.retentionTimeMs >= 0 ? now + req.retentionTimeMs : -1,
          };
          records.push({ key: encodeOffsetCommitKey(req.groupId, t.name, p.partitionIndex), value: encodeOffsetCommitValue(entry) });
          return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
        }),
      };
    });
    return { records, response };
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

  private validateClassicCommit(g: ClassicGroup, req: OffsetCommitRequestData): number {
    if (g.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    // The group only keeps offsets (no group management): anyone may commit.
    if (req.generationId < 0 && g.is('Empty')) return ErrorCode.NONE;
    if (g.groupInstanceFenced(req.groupInstanceId, req.memberId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (g.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    if (!g.members.has(req.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (req.generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    return ErrorCode.NONE;
  }

  /**
   * TxnOffsetCommit: the records of the offsets, to be written in the producer's transactional
   * batch (the runtime's writeTransactional). Validated as Kafka validates a transactional commit:
   * no group and generation -1 makes a simple group; a missing group with a generation is
   * ILLEGAL_GENERATION; then the group's own checks (validateTxnCommit). No retention time: the
   * offsets expire by offsets.retention.minutes like v5+ commits.
   */
  txnCommit(req: TxnOffsetCommitRequestData): CoordinatorResult<TopicPartitionsError[]> {
    const all = (errorCode: number): CoordinatorResult<TopicPartitionsError[]> => ({
      records: [],
      response: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    });
    const err = this.validateTxnCommit(req);
    if (err !== ErrorCode.NONE) return all(err);
    const cfg = this.shard.env.cfg;
    const now = this.shard.ctx.clock.now();
    const records: StoredRecord[] = [];
    const written: Array<[string, number, OffsetEntry]> = [];
    const response = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const metadata = p.committedMetadata ?? '';
        if (metadata.length > cfg.offsetMetadataMaxBytes) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE as number };
        const entry: OffsetEntry = { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata, commitTimestamp: now, expireTimestamp: -1 };
        records.push({ key: encodeOffsetCommitKey(req.groupId, t.name, p.partitionIndex), value: encodeOffsetCommitValue(entry) });
        written.push([t.name, p.partitionIndex, entry]);
        return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE as number };
      }),
    }));
    // With checkReplay: the replayed records left exactly these offsets pending for the producer.
    const committed = (): void => {
      if (!this.shard.env.checkReplay) return;
      const last = new Map(written.map(([t, p, e]) => [`${t}\u0000${p}`, { t, p, e }]));
      for (const { t, p, e } of last.values()) {
        const got = this.shard.pendingTxnOffsets.get(req.producerId, req.groupId, t, p);
        const { recordOffset: _r, ...pending } = got ?? { recordOffset: -1 };
        if (JSON.stringify(pending, big) !== JSON.stringify(e, big)) this.shard.replayMismatches.push(`TxnOffsetCommit of ${req.groupId} ${t}-${p}: computed ${JSON.stringify(e, big)}, replayed ${JSON.stringify(got ?? null, big)}`);
      }
    };
    return { records, response, committed };
  }

  /**
   * Kafka's group checks of a transactional commit. A classic group: generation -1 while Empty
   * passes; with a generation, member id or instance id the member must be the group's
   * (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID) at its generation (ILLEGAL_GENERATION); without any
   * (v0-v2) it passes, and a rebalance in progress does not stop it. A consumer (KIP-848) group:
   * epoch -1 passes while it has no members or without a member id or instance id (v0-v2); else
   * the member must exist (UNKNOWN_MEMBER_ID) at its member epoch, where a mismatch is
   * ILLEGAL_GENERATION (Kafka turns the STALE_MEMBER_EPOCH of plain commits into it).
   */
  private validateTxnCommit(req: TxnOffsetCommitRequestData): number {
    const cg = this.shard.consumerGroups.get(req.groupId);
    const g = cg ? undefined : this.shard.classicGroups.get(req.groupId);
    if (!cg && !g) return req.generationId < 0 ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
    if (cg) {
      if (cg.dead) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      if (req.generationId < 0 && cg.members.size === 0) return ErrorCode.NONE;
      if (req.generationId === -1 && req.memberId === '' && req.groupInstanceId === null) return ErrorCode.NONE;
      const m = cg.members.get(req.memberId);
      if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
      return req.generationId === m.memberEpoch ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
    }
    const group = g!;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (req.generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
    if (req.generationId < 0 && req.memberId === '' && req.groupInstanceId === null) return ErrorCode.NONE;
    if (req.groupInstanceId !== null) {
      const staticId = group.staticMembers.get(req.groupInstanceId);
      if (staticId === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (staticId !== req.memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    if (!group.members.has(req.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    return req.generationId === group.generationId ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
  }

  /**
   * Committed offsets of a group: the requested partitions, or all of them when topics is null.
   * With `requireStable` (OffsetFetch v7+) a partition with an offset pending in an open
   * transaction answers UNSTABLE_OFFSET_COMMIT (the consumer retries until the transaction ends).
   */
  fetch(
    groupId: string,
    topics: ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null,
    member: { memberId: string | null; memberEpoch: number } | null,
    requireStable = false,
  ): OffsetFetchResult {
    const cg = this.shard.consumerGroups.get(groupId);
    if (cg && member && member.memberId !== null && member.memberId !== '' && member.memberEpoch >= 0) {
      // OffsetFetch v9 from a consumer-protocol member: it must be a member at that epoch.
      const m = cg.members.get(member.memberId);
      if (!m) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, topics: [] };
      if (m.memberEpoch !== member.memberEpoch) return { errorCode: ErrorCode.STALE_MEMBER_EPOCH, topics: [] };
    }
    const pending = this.shard.pendingTxnOffsets;
    const fetched = (topic: string, partitionIndex: number, e: OffsetEntry | undefined): FetchedOffset =>
      requireStable && pending.has(groupId, topic, partitionIndex)
        ? { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT }
        : e
          ? { partitionIndex, committedOffset: e.offset, committedLeaderEpoch: e.leaderEpoch, metadata: e.metadata, errorCode: ErrorCode.NONE }
          : { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
    if (topics === null) {
      // Every committed offset (a partition with only a pending offset is not listed, as in Kafka).
      return {
        errorCode: ErrorCode.NONE,
        topics: [...this.shard.offsets.of(groupId)].map(([name, parts]) => ({ name, partitions: [...parts].sort((a, b) => a[0] - b[0]).map(([p, e]) => fetched(name, p, e)) })),
      };
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => fetched(t.name, p, this.shard.offsets.get(groupId, t.name, p))) })),
    };
  }

  /** OffsetDelete: an empty group's offsets, or a non-empty group's of topics it does not subscribe to. */
  delete(groupId: string, topics: ReadonlyArray<{ name: string; partitions: ReadonlyArray<{ partitionIndex: number }> }>): CoordinatorResult<{ errorCode: number; topics: TopicPartitionsError[] }> {
    const cg = this.shard.consumerGroups.get(groupId);
    const classic = cg ? undefined : this.shard.classicGroups.get(groupId);
    if (cg ? cg.dead : !classic || classic.is('Dead')) return { records: [], response: { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] } };
    const empty = cg ? cg.members.size === 0 : classic!.is('Empty');
    let subscribed: Set<string> | null = null;
    if (cg && !empty) subscribed = this.shard.subscribedTopics(cg);
    else if (classic && !empty) {
      if (classic.protocolType !== 'consumer') return { records: [], response: { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] } };
      subscribed = classic.subscribedTopics();
    }
    const records: StoredRecord[] = [];
    const out: TopicPartitionsError[] = topics.map((t) => {
      const known = this.shard.env.topicPartitions(t.name);
      // Unknown subscriptions (unreadable metadata) count as subscribed to everything.
      const isSubscribed = !empty && (subscribed === null || subscribed.has(t.name));
      return {
        name: t.name,
        partitions: t.partitions.map((p) => {
          const result = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE as number };
          if (known === undefined || p.partitionIndex < 0 || p.partitionIndex >= known) result.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          else if (isSubscribed) result.errorCode = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC;
          else if (this.shard.offsets.get(groupId, t.name, p.partitionIndex) || this.shard.pendingTxnOffsets.has(groupId, t.name, p.partitionIndex)) {
            // A tombstone also drops what open transactions hold for the partition.
            records.push(offsetTombstone(groupId, t.name, p.partitionIndex));
          }
          return result;
        }),
      };
    });
    return { records, response: { errorCode: ErrorCode.NONE, topics: out } };
  }

  /**
   * Expired offsets of one group: every offset of an Empty group once the group has been empty for
   * the retention period; a standalone (offsets-only) group's offsets by commit time; in a Stable
   * consumer group, offsets of topics nobody subscribes to any more (KIP-496). An explicit expiry
   * (OffsetCommit v2-v4) wins. A group left empty without offsets is deleted too. An offset with a
   * pending transactional offset of its partition stays, and so does a group with any pending. The
   * response is how many offsets expired.
   */
  expire(groupId: string): CoordinatorResult<number> {
    const now = this.shard.ctx.clock.now();
    const retention = this.shard.env.cfg.offsetsRetentionMs;
    const offsets = this.shard.offsets.of(groupId);
    const records: StoredRecord[] = [];
    let expired = 0;
    const pending = this.shard.pendingTxnOffsets;
    const expiredBy = (base: (e: OffsetEntry) => number, keep: ReadonlySet<string>): void => {
      for (const [topic, parts] of offsets) {
        if (keep.has(topic)) continue;
        for (const [p, e] of parts) {
          if (pending.has(groupId, topic, p)) continue;
          if (e.expireTimestamp >= 0 ? now >= e.expireTimestamp : now - base(e) >= retention) {
            records.push(offsetTombstone(groupId, topic, p));
            expired++;
          }
        }
      }
    };
    const cg = this.shard.consumerGroups.get(groupId);
    const g = this.shard.classicGroups.get(groupId);
    let left = 0;
    for (const parts of offsets.values()) left += parts.size;
    // A group is not deleted while a transaction holds offsets of it.
    if (pending.hasGroup(groupId)) left = Infinity;
    if (cg) {
      const empty = cg.members.size === 0;
      expiredBy((e) => (empty ? Math.max(cg.emptySince, e.commitTimestamp) : e.commitTimestamp), empty ? new Set() : this.shard.subscribedTopics(cg));
      if (empty && left === expired && now - cg.emptySince >= retention) records.push(...this.shard.consumer.deleteRecords(cg));
    } else if (g) {
      if (g.protocolType === null) expiredBy((e) => e.commitTimestamp, new Set());
      else if (g.is('Empty')) expiredBy(() => g.currentStateTimestamp, new Set());
      else if (g.protocolType === 'consumer' && g.is('Stable')) {
        const subscribed = g.subscribedTopics();
        if (subscribed !== null) expiredBy((e) => e.commitTimestamp, subscribed);
      }
      if (g.is('Empty') && left === expired && g.members.size === 0 && g.pendingMembers.size === 0) records.push({ key: encodeGroupMetadataKey(groupId), value: null });
    } else {
      expiredBy((e) => e.commitTimestamp, new Set());
    }
    return { records, response: expired };
  }

  /**
   * Kafka's onPartitionsDeleted: the committed offsets of deleted topics go from the group, with
   * tombstones, so a topic created again under the same name does not start its consumers at
   * stale positions. The response is how many went.
   */
  deleteTopics(groupId: string, topics: readonly string[]): CoordinatorResult<number> {
    const offsets = this.shard.offsets.of(groupId);
    const deleted = new Set(topics);
    const records: StoredRecord[] = [];
    for (const topic of topics) for (const p of offsets.get(topic)?.keys() ?? []) records.push(offsetTombstone(groupId, topic, p));
    // Pending transactional offsets of the topics go too (one tombstone a partition).
    for (const [t, p] of this.shard.pendingTxnOffsets.partitionsOf(groupId)) if (deleted.has(t) && !offsets.get(t)?.has(p)) records.push(offsetTombstone(groupId, t, p));
    return { records, response: records.length };
  }
}

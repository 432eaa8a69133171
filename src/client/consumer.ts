/**
 * The consumer, against Tributary or Apache Kafka, in one of two modes:
 * - assign: the application names the partitions and where to start;
 * - subscribe (with `groupId`): a member of a classic consumer group (group-member.ts); the group
 *   hands out the partitions, each starts at the group's committed offset (else at
 *   `autoOffsetReset`), positions are committed every `autoCommitIntervalMs` (at-least-once: a
 *   record's offset is committed after a poll that returned it) or by commit(), before each
 *   rebalance and on close.
 * poll() fetches from the partitions' leaders.
 *
 * - Starting points: an offset, 'earliest' or 'latest' (ListOffsets), or a timestamp's offset.
 * - poll(): one Fetch per leader for all its assigned partitions (long poll up to maxWaitMs),
 *   records decoded and decompressed here, in offset order per partition; control batches
 *   (transaction markers) are skipped, and records below the position (a batch that starts
 *   earlier) are dropped.
 * - isolationLevel 'read_committed': fetches stop at the last stable offset, and the records of
 *   aborted transactions are dropped (read-committed.ts, from the response's aborted_transactions);
 *   a group's committed offsets are read with requireStable (KIP-447), so a partition whose offsets
 *   are part of an open transaction waits for its end. groupMetadata() is what a transactional
 *   producer's sendOffsetsToTransaction() takes.
 * - OFFSET_OUT_OF_RANGE moves the position per `autoOffsetReset` ('earliest' or 'latest'), or
 *   rejects with 'none'. Retriable errors (isRetriable: NOT_LEADER_OR_FOLLOWER, connection
 *   failures, ...) refresh the metadata and are retried by the next poll; others reject poll().
 */
import { ErrorCode } from '../protocol/errors.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import { ApiKey } from '../protocol/messages/index.js';
import { ZERO_UUID } from '../protocol/primitives/index.js';
import { decodeRecordSet, isControl } from '../protocol/records/index.js';
import { BrokerPool, type ClientConnectionOptions } from './brokers.js';
import type { TopicPartitionRef } from './consumer-protocol.js';
import { ClientClosedError, IllegalStateError, isRetriable } from './errors.js';
import { GroupMember, type GroupOptions } from './group-member.js';
import { AbortedTransactionFilter } from './read-committed.js';
import type { GroupMetadata } from './transaction-manager.js';
const EARLIEST = -2n;
const LATEST = -1n;

export interface ConsumerOptions extends ClientConnectionOptions {
  /** `host:port` of a broker, or several comma-separated (tried in turn, also when one dies). */
  bootstrap: string;
  /**
   * Where a position goes when it is out of range, or (in a group) when the group has no committed
   * offset: 'latest' (the default, as the Java client), 'earliest', or 'none' (reject).
   */
  autoOffsetReset?: 'earliest' | 'latest' | 'none';
  /** The consumer group, for subscribe(). */
  groupId?: string;
  /** Group membership settings: session and rebalance timeouts, heartbeat interval, assignor, static id. */
  group?: Omit<GroupOptions, 'groupId'>;
  /** In a group: commit positions every autoCommitIntervalMs from poll(). Default true. */
  autoCommit?: boolean;
  autoCommitIntervalMs?: number;
  /** Called after a rebalance gives this member its partitions. */
  onAssigned?: (partitions: TopicPartitionRef[]) => void | Promise<void>;
  /** Called before a rebalance (and close) takes them away, after their positions are committed. */
  onRevoked?: (partitions: TopicPartitionRef[]) => void | Promise<void>;
  isolationLevel?: 'read_uncommitted' | 'read_committed';
  /** Long-poll wait of a fetch. Default 500. */
  maxWaitMs?: number;
  minBytes?: number;
  /** Per fetch response. Default 50 MiB. */
  maxBytes?: number;
  /** Per partition and fetch. Default 1 MiB. */
  maxPartitionBytes?: number;
}

export type StartAt = bigint | 'earliest' | 'latest' | { timestamp: number };

export interface ConsumerRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: string; value: Buffer | null }>;
}

interface Assigned {
  topic: string;
  partition: number;
  position: bigint;
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class Consumer {
  private readonly assigned = new Map<string, Assigned>();
  private readonly leaders = new Map<string, number>();
  private metadataStale = true;
  private closed = false;
  private member: GroupMember | null = null;
  private subscription: string[] = [];
  /** In a group: the partitions the last join gave, until they are placed (a retriable failure leaves them here). */
  private joined: TopicPartitionRef[] | null = null;
  private nextAutoCommit = 0;

  private constructor(
    private readonly pool: BrokerPool,
    private readonly opts: ConsumerOptions,
  ) {}

  static async connect(opts: ConsumerOptions): Promise<Consumer> {
    const { bootstrap, autoOffsetReset: _r, isolationLevel: _i, maxWaitMs: _w, minBytes: _m, maxBytes: _x, maxPartitionBytes: _p, ...conn } = opts;
    return new Consumer(await BrokerPool.connect(bootstrap, { clientId: 'tributary-consumer', ...conn }), opts);
  }

  /** The partition numbers of a topic (UNKNOWN_TOPIC_OR_PARTITION when it does not exist). */
  async partitionsFor(topic: string): Promise<number[]> {
    const md = await this.pool.metadata([topic]);
    const t = md.topics[0];
    if (!t || t.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(t?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${topic}`);
    return t.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b);
  }

  /** The topics of the cluster (without internal ones). */
  async topics(): Promise<string[]> {
    const md = await this.pool.metadata(null);
    return md.topics.filter((t) => t.errorCode === ErrorCode.NONE && !t.isInternal && t.name !== null).map((t) => t.name!).sort();
  }

  /** Joins the consumer group `groupId` for these topics; the next poll() gets the partitions. */
  subscribe(topics: readonly string[]): void {
    if (!this.opts.groupId) throw new IllegalStateError('subscribe() needs the groupId option');
    if (this.assigned.size > 0 && !this.member) throw new IllegalStateError('this consumer has assigned partitions; use one mode');
    this.subscription = [...topics];
    if (!this.member) this.member = new GroupMember(this.pool, this.opts.groupId, () => this.subscription, { ...this.opts.group, groupId: this.opts.groupId });
    this.member.needsJoin = true;
  }

  /** Whether a group consumer commits positions by itself (autoCommit, default true). */
  get autoCommitEnabled(): boolean {
    return this.opts.autoCommit ?? true;
  }

  /** 'read_committed' or 'read_uncommitted' (the default). */
  get isolationLevel(): 'read_uncommitted' | 'read_committed' {
    return this.opts.isolationLevel ?? 'read_uncommitted';
  }

  /**
   * In a group: who this member is in which generation, for a transactional producer's
   * sendOffsetsToTransaction() (the group coordinator refuses offsets of a member that is no longer
   * in that generation). Read it after poll(): a rebalance changes it.
   */
  groupMetadata(): GroupMetadata {
    if (!this.member) throw new IllegalStateError('groupMetadata() needs a group (subscribe)');
    return { groupId: this.member.groupId, generationId: this.member.generationId, memberId: this.member.memberId, groupInstanceId: this.member.groupInstanceId };
  }

  /** In a group: whether the group asked this member to rejoin (a rebalance is under way); the next poll() rejoins. */
  get rebalancePending(): boolean {
    return this.member?.needsJoin ?? false;
  }

  /** In a group: the group's committed offsets of these partitions (read_committed: stable ones only, KIP-447). */
  async committed(partitions: readonly TopicPartitionRef[]): Promise<Map<string, bigint>> {
    if (!this.member) throw new IllegalStateError('committed() needs a group (subscribe)');
    const all = await this.member.committed(this.isolationLevel === 'read_committed', partitions);
    return new Map(partitions.flatMap((p) => {
      const o = all.get(keyOf(p.topic, p.partition));
      return o === undefined ? [] : [[keyOf(p.topic, p.partition), o] as const];
    }));
  }

  /** The partitions this consumer reads now. */
  assignment(): TopicPartitionRef[] {
    return [...this.assigned.values()].map((a) => ({ topic: a.topic, partition: a.partition }));
  }

  /** In a group: commits the current positions (the offsets after the records poll() returned). */
  async commit(): Promise<void> {
    if (!this.member) throw new IllegalStateError('commit() needs a group (subscribe)');
    await this.member.commit([...this.assigned.values()].map((a) => ({ topic: a.topic, partition: a.partition, offset: a.position })));
  }

  /** Adds partitions to read, each from its starting point (resolved now). */
  async assign(partitions: ReadonlyArray<{ topic: string; partition: number; start?: StartAt }>): Promise<void> {
    if (this.member) throw new IllegalStateError('this consumer is subscribed to a group; use one mode');
    await this.place(partitions);
  }

  private async place(partitions: ReadonlyArray<{ topic: string; partition: number; start?: StartAt }>): Promise<void> {
    await this.refreshMetadata(partitions.map((p) => p.topic));
    for (const p of partitions) {
      if (!this.leaders.has(keyOf(p.topic, p.partition))) throw new KafkaProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${p.topic}-${p.partition}`);
    }
    for (const p of partitions) {
      const position = await this.resolve(p.topic, p.partition, p.start ?? 'latest');
      this.assigned.set(keyOf(p.topic, p.partition), { topic: p.topic, partition: p.partition, position });
    }
  }

  /** The next offset poll() will read for a partition. */
  position(topic: string, partition: number): bigint | undefined {
    return this.assigned.get(keyOf(topic, partition))?.position;
  }

  async seek(topic: string, partition: number, start: StartAt): Promise<void> {
    const a = this.assigned.get(keyOf(topic, partition));
    if (!a) throw new IllegalStateError(`${topic}-${partition} is not assigned`);
    a.position = await this.resolve(topic, partition, start);
  }

  /** Fetches once from every leader of the assigned partitions; the records that arrived, in order per partition. */
  async poll(): Promise<ConsumerRecord[]> {
    if (this.closed) throw new ClientClosedError('the consumer is closed');
    if (this.member) {
      try {
        if (this.member.needsJoin) await this.rebalance();
        if (this.joined) await this.takeAssignment(this.joined);
        else await this.maybeAutoCommit();
      } catch (err) {
        // The coordinator or a leader is unreachable (dead, paused, moving): the next poll goes on
        // from where this one stopped (joins again, or places the assignment it got) on fresh metadata.
        if (!isRetriable(err)) throw err;
        this.metadataStale = true;
        await new Promise((r) => setTimeout(r, Math.min(this.opts.maxWaitMs ?? 500, 100)));
        return [];
      }
    }
    if (this.assigned.size === 0) {
      // Nothing to fetch (yet): wait as a fetch would, so a poll loop does not spin.
      if (this.member) await new Promise((r) => setTimeout(r, Math.min(this.opts.maxWaitMs ?? 500, 100)));
      return [];
    }
    if (this.metadataStale) await this.refreshMetadata([...new Set([...this.assigned.values()].map((a) => a.topic))]).catch(() => undefined);
    const byLeader = new Map<number, Assigned[]>();
    for (const a of this.assigned.values()) {
      const leader = this.leaders.get(keyOf(a.topic, a.partition)) ?? -1;
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), a]);
    }
    const results = await Promise.all([...byLeader].map(([leader, list]) => this.fetchFrom(leader, list)));
    return results.flat();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.member) {
      await this.revoke();
      await this.member.leave();
    }
    await this.pool.close();
  }

  /** In a group: gives the partitions back (committing first) and joins again; takeAssignment() places what it got. */
  private async rebalance(): Promise<void> {
    const member = this.member!;
    await this.revoke();
    this.joined = null;
    this.joined = await member.join();
  }

  /** Starts the partitions a join gave at the committed offsets (once placed, `joined` is cleared). */
  private async takeAssignment(parts: TopicPartitionRef[]): Promise<void> {
    const member = this.member!;
    const committed = parts.length > 0 ? await member.committed(this.isolationLevel === 'read_committed', parts) : new Map<string, bigint>();
    const reset = this.opts.autoOffsetReset === 'earliest' ? 'earliest' : 'latest';
    await this.place(parts.map((p) => ({ ...p, start: committed.get(keyOf(p.topic, p.partition)) ?? reset })));
    this.joined = null;
    this.nextAutoCommit = Date.now() + (this.opts.autoCommitIntervalMs ?? 5_000);
    await this.opts.onAssigned?.(parts);
  }

  private async revoke(): Promise<void> {
    if (this.assigned.size === 0) return;
    const parts = this.assignment();
    if (this.opts.autoCommit ?? true) await this.commit().catch(() => undefined); // a stale generation: the next owner re-reads
    this.assigned.clear();
    await this.opts.onRevoked?.(parts);
  }

  private async maybeAutoCommit(): Promise<void> {
    if (!(this.opts.autoCommit ?? true) || Date.now() < this.nextAutoCommit) return;
    this.nextAutoCommit = Date.now() + (this.opts.autoCommitIntervalMs ?? 5_000);
    await this.commit().catch(() => undefined); // a rebalance meanwhile: needsJoin is set, the next poll rejoins
  }

  // -------------------------------------------------------------------------------------------

  private async fetchFrom(leader: number, list: Assigned[]): Promise<ConsumerRecord[]> {
    let res;
    try {
      if (leader < 0) throw new KafkaProtocolError(ErrorCode.LEADER_NOT_AVAILABLE);
      const conn = await this.pool.connection(leader);
      const byTopic = new Map<string, Assigned[]>();
      for (const a of list) byTopic.set(a.topic, [...(byTopic.get(a.topic) ?? []), a]);
      const ids = conn.versionFor(ApiKey.Fetch) >= 13 ? await this.topicIds([...byTopic.keys()]) : new Map<string, string>();
      res = await conn.send(ApiKey.Fetch, {
        clusterId: null,
        replicaId: -1,
        replicaState: { replicaId: -1, replicaEpoch: -1n },
        maxWaitMs: this.opts.maxWaitMs ?? 500,
        minBytes: this.opts.minBytes ?? 1,
        maxBytes: this.opts.maxBytes ?? 50 * 1024 * 1024,
        isolationLevel: this.opts.isolationLevel === 'read_committed' ? 1 : 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...byTopic].map(([topic, parts]) => ({
          topic,
          topicId: ids.get(topic) ?? ZERO_UUID,
          partitions: parts.map((a) => ({
            partition: a.partition,
            currentLeaderEpoch: -1,
            fetchOffset: a.position,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: this.opts.maxPartitionBytes ?? 1024 * 1024,
            replicaDirectoryId: ZERO_UUID,
            highWatermark: 0x7fffffffffffffffn, // not a replica: the field is not sent
          })),
        })),
        forgottenTopicsData: [],
        rackId: '',
      });
    } catch (err) {
      if (isRetriable(err)) {
        this.metadataStale = true;
        return [];
      }
      throw err;
    }
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(res.errorCode);
    const out: ConsumerRecord[] = [];
    for (const t of res.responses) {
      const topic = t.topic || this.topicNameById(t.topicId);
      for (const p of t.partitions) {
        const a = this.assigned.get(keyOf(topic, p.partitionIndex));
        if (!a) continue;
        if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          const reset = this.opts.autoOffsetReset ?? 'latest';
          if (reset === 'none') throw new KafkaProtocolError(p.errorCode, `${topic}-${p.partitionIndex} offset ${a.position} is out of range`);
          a.position = await this.resolve(topic, p.partitionIndex, reset);
          continue;
        }
        if (p.errorCode !== ErrorCode.NONE) {
          if (!isRetriable(p.errorCode)) {
            const e = new KafkaProtocolError(p.errorCode);
            throw new KafkaProtocolError(p.errorCode, `${topic}-${p.partitionIndex}: ${e.message}`);
          }
          this.metadataStale = true;
          continue;
        }
        const got = await decodeFetchedPartition(topic, a.partition, a.position, p, this.isolationLevel === 'read_committed');
        for (const r of got.records) out.push(r);
        a.position = got.position;
      }
    }
    return out;
  }

  private readonly ids = new Map<string, string>();
  private topicNameById(id: string): string {
    for (const [name, tid] of this.ids) if (tid === id) return name;
    return '';
  }

  private async topicIds(topics: string[]): Promise<Map<string, string>> {
    if (topics.some((t) => !this.ids.has(t))) await this.refreshMetadata(topics);
    return this.ids;
  }

  private async resolve(topic: string, partition: number, start: StartAt): Promise<bigint> {
    if (typeof start === 'bigint') return start;
    const ts = start === 'earliest' ? EARLIEST : start === 'latest' ? LATEST : BigInt(start.timestamp);
    const leader = this.leaders.get(keyOf(topic, partition)) ?? -1;
    const conn = await this.pool.connection(leader);
    const res = await conn.send(ApiKey.ListOffsets, {
      replicaId: -1,
      isolationLevel: this.opts.isolationLevel === 'read_committed' ? 1 : 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: ts, maxNumOffsets: 1 }] }],
      timeoutMs: 30_000,
    });
    const p = res.topics[0]?.partitions[0];
    if (!p) throw new KafkaProtocolError(ErrorCode.UNKNOWN_SERVER_ERROR, 'no ListOffsets answer');
    if (p.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(p.errorCode, `${topic}-${partition}`);
    const offset = p.offset >= 0n ? p.offset : (p.oldStyleOffsets[0] ?? -1n);
    if (offset >= 0n) return offset;
    // A timestamp after every record: the log end, as the console consumer does.
    if (typeof start === 'object') return this.resolve(topic, partition, 'latest');
    throw new KafkaProtocolError(ErrorCode.UNKNOWN_SERVER_ERROR, `no ${String(start)} offset for ${topic}-${partition}`);
  }

  private async refreshMetadata(topics: readonly string[]): Promise<void> {
    const md = await this.pool.metadata([...new Set(topics)]);
    for (const t of md.topics) {
      if (t.errorCode !== ErrorCode.NONE || t.name === null) continue;
      this.ids.set(t.name, t.topicId);
      for (const p of t.partitions) this.leaders.set(keyOf(t.name, p.partitionIndex), p.leaderId);
    }
    this.metadataStale = false;
  }
}

/**
 * The records of one partition of a Fetch response from `position` on, and the position after
 * them: control batches (transaction markers) are skipped, records below the position (a batch
 * that starts earlier) dropped, and with `readCommitted` the batches of aborted transactions too
 * (AbortedTransactionFilter over the response's aborted_transactions).
 */
export async function decodeFetchedPartition(
  topic: string,
  partition: number,
  position: bigint,
  p: { records: Buffer | null; abortedTransactions: ReadonlyArray<{ producerId: bigint; firstOffset: bigint }> | null },
  readCommitted: boolean,
): Promise<{ records: ConsumerRecord[]; position: bigint }> {
  const out: ConsumerRecord[] = [];
  if (!p.records || p.records.length === 0) return { records: out, position };
  const filter = readCommitted ? new AbortedTransactionFilter(p.abortedTransactions) : null;
  for await (const batch of decodeRecordSet(p.records)) {
    const h = batch.header;
    const last = BigInt(h.baseOffset) + BigInt(h.lastOffsetDelta);
    const kept = filter ? filter.keep(h, batch.records[0]?.key ?? null) : !isControl(h.attributes);
    if (!kept) {
      // A control batch, or a batch of an aborted transaction: nothing to return, read on after it.
      if (last >= position) position = last + 1n;
      continue;
    }
    for (const r of batch.records) {
      const offset = BigInt(r.offset);
      if (offset < position) continue;
      out.push({ topic, partition, offset, timestamp: r.timestamp, timestampType: batch.timestampType, key: r.key, value: r.value, headers: r.headers.map((x) => ({ key: x.key, value: x.value })) });
      position = offset + 1n;
    }
    // Compacted-away offsets at the batch's end: continue after the batch.
    if (last >= position) position = last + 1n;
  }
  return { records: out, position };
}

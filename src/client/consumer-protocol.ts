/**
 * What consumer-group clients and tools share: Kafka's consumer protocol (the subscription a member
 * joins with and the assignment the leader hands out), the client-side assignors, and the
 * OffsetFetch / OffsetCommit requests as each version wants them.
 */
import { ErrorCode } from '../protocol/errors.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import { ApiKey } from '../protocol/messages/index.js';
import { DecodeError, Reader, Writer, ZERO_UUID } from '../protocol/primitives/index.js';
import type { Connection } from './connection.js';
import { isRetriable } from './errors.js';

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

/** ConsumerProtocolSubscription v0: the topics a member subscribes to. */
export function encodeSubscription(topics: readonly string[]): Buffer {
  const w = new Writer(64);
  w.writeInt16(0);
  w.writeInt32(topics.length);
  for (const t of topics) w.writeString(t);
  w.writeNullableBytes(null);
  return Buffer.concat(w.toChunks());
}

/** The topics of a ConsumerProtocolSubscription (any version: later fields are ignored); [] when unreadable. */
export function decodeSubscription(buf: Buffer): string[] {
  try {
    const r = new Reader(buf);
    r.readInt16();
    const n = r.readArrayLength(2);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(r.readString());
    return out;
  } catch (err) {
    if (err instanceof DecodeError) return [];
    throw err;
  }
}

/** ConsumerProtocolAssignment v0. */
export function encodeAssignment(parts: readonly TopicPartitionRef[]): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const p of parts) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  const w = new Writer(64);
  w.writeInt16(0);
  w.writeInt32(byTopic.size);
  for (const [t, ps] of byTopic) {
    w.writeString(t);
    w.writeInt32(ps.length);
    for (const p of ps) w.writeInt32(p);
  }
  w.writeNullableBytes(null);
  return Buffer.concat(w.toChunks());
}

/** The partitions of a ConsumerProtocolAssignment; [] when empty or unreadable. */
export function decodeAssignment(buf: Buffer): TopicPartitionRef[] {
  if (buf.length < 2) return [];
  try {
    const r = new Reader(buf);
    r.readInt16();
    const out: TopicPartitionRef[] = [];
    const topics = r.readArrayLength(2);
    for (let i = 0; i < topics; i++) {
      const topic = r.readString();
      const n = r.readArrayLength(4);
      for (let j = 0; j < n; j++) out.push({ topic, partition: r.readInt32() });
    }
    return out;
  } catch (err) {
    if (err instanceof DecodeError) return [];
    throw err;
  }
}

export type AssignorName = 'range' | 'roundrobin';

/**
 * The leader's assignment, as Kafka's RangeAssignor and RoundRobinAssignor compute it: members in
 * member-id order; range splits each topic's partitions into contiguous runs (the first
 * `n % members` get one more); roundrobin deals all partitions, topic by topic, to the members
 * subscribed to each.
 */
export function assign(
  assignor: AssignorName,
  members: ReadonlyArray<{ memberId: string; topics: readonly string[] }>,
  partitionCounts: ReadonlyMap<string, number>,
): Map<string, TopicPartitionRef[]> {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const out = new Map<string, TopicPartitionRef[]>(sorted.map((m) => [m.memberId, []]));
  const topics = [...new Set(sorted.flatMap((m) => m.topics))].filter((t) => partitionCounts.has(t)).sort();
  if (assignor === 'range') {
    for (const topic of topics) {
      const subs = sorted.filter((m) => m.topics.includes(topic));
      const n = partitionCounts.get(topic)!;
      const per = Math.floor(n / subs.length);
      const extra = n % subs.length;
      subs.forEach((m, i) => {
        const start = per * i + Math.min(i, extra);
        const len = per + (i < extra ? 1 : 0);
        for (let p = start; p < start + len; p++) out.get(m.memberId)!.push({ topic, partition: p });
      });
    }
    return out;
  }
  let next = 0;
  for (const topic of topics) {
    for (let p = 0; p < partitionCounts.get(topic)!; p++) {
      for (let k = 0; k < sorted.length; k++) {
        const m = sorted[(next + k) % sorted.length]!;
        if (!m.topics.includes(topic)) continue;
        out.get(m.memberId)!.push({ topic, partition: p });
        next = (next + k + 1) % sorted.length;
        break;
      }
    }
  }
  return out;
}

/**
 * The highest OffsetCommit / OffsetFetch version these helpers speak: v10 names topics by id, and
 * offsets are addressed by name here (Kafka 4.3.1 still serves v9).
 */
const BY_NAME_MAX = 9;

/** A group's committed offsets (all topics), through OffsetFetch at the version `conn` speaks (at most v9). */
export async function fetchCommitted(
  conn: Connection,
  groupId: string,
  requireStable = false,
  partitions: readonly TopicPartitionRef[] | null = null,
): Promise<Array<TopicPartitionRef & { offset: bigint; metadata: string | null }>> {
  const version = Math.min(conn.versionFor(ApiKey.OffsetFetch), BY_NAME_MAX);
  const v8 = version >= 8;
  // Named partitions (a partition whose only offset is pending in a transaction is listed only so).
  let named: Array<{ name: string; partitionIndexes: number[] }> | null = null;
  if (partitions) {
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    named = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
  }
  const res = await conn.send(
    ApiKey.OffsetFetch,
    {
      groupId: v8 ? '' : groupId,
      topics: v8 ? [] : named,
      groups: v8 ? [{ groupId, memberId: null, memberEpoch: -1, topics: named?.map((t) => ({ name: t.name, topicId: ZERO_UUID, partitionIndexes: t.partitionIndexes })) ?? null }] : [],
      requireStable,
    },
    { version },
  );
  const errorCode = v8 ? (res.groups[0]?.errorCode ?? ErrorCode.NONE) : res.errorCode;
  if (errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(errorCode, `committed offsets of group ${groupId}`);
  const topics = v8 ? (res.groups[0]?.topics ?? []) : res.topics;
  const out: Array<TopicPartitionRef & { offset: bigint; metadata: string | null }> = [];
  // requireStable (KIP-447, a read_committed consumer): a partition with offsets of a transaction
  // still open answers UNSTABLE_OFFSET_COMMIT (retriable: ask again once the transaction ends).
  for (const t of topics) for (const p of t.partitions) if (p.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(p.errorCode, `committed offset of ${t.name}-${p.partitionIndex} in group ${groupId}`);
  for (const t of topics) for (const p of t.partitions) if (p.committedOffset >= 0n) out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata });
  return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

/** Commits offsets (generation -1 and no member id: a group without active members). Per-partition errors come back. */
export async function commitOffsets(
  conn: Connection,
  groupId: string,
  offsets: ReadonlyArray<TopicPartitionRef & { offset: bigint }>,
  member: { generationId: number; memberId: string; groupInstanceId: string | null } = { generationId: -1, memberId: '', groupInstanceId: null },
): Promise<Array<TopicPartitionRef & { errorCode: number }>> {
  const byTopic = new Map<string, Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; commitTimestamp: bigint; committedMetadata: string | null }>>();
  for (const o of offsets) {
    const list = byTopic.get(o.topic) ?? [];
    list.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' });
    byTopic.set(o.topic, list);
  }
  const res = await conn.send(
    ApiKey.OffsetCommit,
    {
      groupId,
      generationIdOrMemberEpoch: member.generationId,
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, partitions]) => ({ name, topicId: ZERO_UUID, partitions })),
    },
    { version: Math.min(conn.versionFor(ApiKey.OffsetCommit), BY_NAME_MAX) },
  );
  return res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode })));
}

/**
 * The coordinator of a group, or with keyType 1 of a transactional id (FindCoordinator, batched from v4), retrying retriable answers
 * (isRetriable: what Kafka answers while it creates or loads __consumer_offsets,
 * COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR) every 100 ms for up to
 * `waitMs`.
 */
export async function findCoordinator(conn: Connection, groupId: string, waitMs = 30_000, keyType: 0 | 1 = 0): Promise<{ nodeId: number; host: string; port: number }> {
  const deadline = Date.now() + waitMs;
  const v4 = conn.versionFor(ApiKey.FindCoordinator) >= 4;
  for (;;) {
    const res = await conn.send(ApiKey.FindCoordinator, { key: v4 ? '' : groupId, keyType, coordinatorKeys: v4 ? [groupId] : [] });
    const c = v4 ? res.coordinators[0] : { nodeId: res.nodeId, host: res.host, port: res.port, errorCode: res.errorCode, errorMessage: res.errorMessage };
    const code = c?.errorCode ?? ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (c && code === ErrorCode.NONE) return { nodeId: c.nodeId, host: c.host, port: c.port };
    if (!isRetriable(code) || Date.now() >= deadline) throw new KafkaProtocolError(code, `the coordinator of ${keyType === 1 ? 'transactional id' : 'group'} ${groupId}${c?.errorMessage ? `: ${c.errorMessage}` : ''}`);
    await new Promise((r) => setTimeout(r, 100)); // retry.backoff.ms
  }
}

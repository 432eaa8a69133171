/**
 * The admin requests about where replicas live and who leads: leader elections (ElectLeaders),
 * partition reassignments (AlterPartitionReassignments, ListPartitionReassignments), the
 * per-partition view with eligible leader replicas (DescribeTopicPartitions) and replicas' log
 * directories (DescribeLogDirs, AlterReplicaLogDirs). Each function sends one kind of request on
 * the connection it is given and turns the response into plain values; Admin picks the broker.
 */
import { ErrorCode } from '../protocol/errors.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import { ApiKey, type DescribeTopicPartitionsResponse } from '../protocol/messages/index.js';
import type { Connection } from './connection.js';
import type { TopicPartitionRef } from './consumer-protocol.js';

/** PREFERRED moves leadership back to the first replica; UNCLEAN elects any live replica of a leaderless partition. */
export type ElectionType = 'PREFERRED' | 'UNCLEAN';

const ELECTION_TYPE: Record<ElectionType, number> = { PREFERRED: 0, UNCLEAN: 1 };

/** One partition's outcome; error null: elected. ELECTION_NOT_NEEDED means its leader was already the one asked for. */
export interface PartitionOutcome extends TopicPartitionRef {
  error: KafkaProtocolError | null;
}

export interface PartitionReassignment extends TopicPartitionRef {
  /** Every replica during the move: the target ones and those still to be removed. */
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

/** A replica move to request: replicas null cancels the partition's ongoing reassignment. */
export interface ReassignmentTarget extends TopicPartitionRef {
  replicas: number[] | null;
}

export interface LogDirReplica extends TopicPartitionRef {
  logDir: string;
  /** The copy being written in the directory it moves to (AlterReplicaLogDirs), not yet the current one. */
  isFuture: boolean;
}

export interface TopicPartitionsView {
  name: string;
  topicId: string;
  internal: boolean;
  errorCode: number;
  partitions: Array<{
    partition: number;
    leader: number;
    leaderEpoch: number;
    replicas: number[];
    isr: number[];
    elr: number[] | null;
    lastKnownElr: number[] | null;
    offline: number[];
  }>;
}

const byTopicPartition = (a: TopicPartitionRef, b: TopicPartitionRef): number =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;

/** Partitions grouped by topic, in first-seen order. */
function groupByTopic<T extends TopicPartitionRef>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const list = out.get(it.topic);
    if (list) list.push(it);
    else out.set(it.topic, [it]);
  }
  return out;
}

const outcome = (topic: string, partition: number, code: number, message: string | null): PartitionOutcome => ({
  topic,
  partition,
  error: code === ErrorCode.NONE ? null : new KafkaProtocolError(code, message ?? undefined),
});

/** ElectLeaders: partitions null asks for every partition the election applies to. A request-level error rejects. */
export async function electLeaders(conn: Connection, type: ElectionType, partitions: readonly TopicPartitionRef[] | null, timeoutMs: number): Promise<PartitionOutcome[]> {
  if (type === 'UNCLEAN' && conn.versionFor(ApiKey.ElectLeaders) < 1) {
    throw new KafkaProtocolError(ErrorCode.UNSUPPORTED_VERSION, `broker ${conn.address} only knows preferred leader elections`);
  }
  const res = await conn.send(ApiKey.ElectLeaders, {
    electionType: ELECTION_TYPE[type],
    topicPartitions: partitions === null ? null : [...groupByTopic(partitions)].map(([topic, ps]) => ({ topic, partitions: ps.map((p) => p.partition) })),
    timeoutMs,
  });
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(res.errorCode, 'ElectLeaders');
  return res.replicaElectionResults
    .flatMap((t) => t.partitionResult.map((p) => outcome(t.topic, p.partitionId, p.errorCode, p.errorMessage)))
    .sort(byTopicPartition);
}

/** AlterPartitionReassignments: starts (or, with replicas null, cancels) moves. A request-level error applies to every partition. */
export async function alterPartitionReassignments(
  conn: Connection,
  targets: readonly ReassignmentTarget[],
  opts: { timeoutMs: number; allowReplicationFactorChange?: boolean },
): Promise<PartitionOutcome[]> {
  const allow = opts.allowReplicationFactorChange ?? true;
  if (!allow && conn.versionFor(ApiKey.AlterPartitionReassignments) < 1) {
    throw new KafkaProtocolError(ErrorCode.UNSUPPORTED_VERSION, `broker ${conn.address} cannot refuse replication factor changes`);
  }
  const res = await conn.send(ApiKey.AlterPartitionReassignments, {
    timeoutMs: opts.timeoutMs,
    allowReplicationFactorChange: allow,
    topics: [...groupByTopic(targets)].map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p.partition, replicas: p.replicas })) })),
  });
  if (res.errorCode !== ErrorCode.NONE) return targets.map((t) => outcome(t.topic, t.partition, res.errorCode, res.errorMessage)).sort(byTopicPartition);
  return res.responses.flatMap((t) => t.partitions.map((p) => outcome(t.name, p.partitionIndex, p.errorCode, p.errorMessage))).sort(byTopicPartition);
}

/** ListPartitionReassignments: the ongoing moves (of these partitions, or all), sorted by topic and partition. */
export async function listPartitionReassignments(conn: Connection, partitions: readonly TopicPartitionRef[] | null, timeoutMs: number): Promise<PartitionReassignment[]> {
  const res = await conn.send(ApiKey.ListPartitionReassignments, {
    timeoutMs,
    topics: partitions === null ? null : [...groupByTopic(partitions)].map(([name, ps]) => ({ name, partitionIndexes: ps.map((p) => p.partition) })),
  });
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(res.errorCode, res.errorMessage ?? undefined);
  return res.topics
    .flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas })),
    )
    .sort(byTopicPartition);
}

/** DescribeTopicPartitions, following its cursor until every partition of every topic has come back. */
export async function describeTopicPartitions(conn: Connection, names: readonly string[], pageLimit = 2000): Promise<TopicPartitionsView[]> {
  const byName = new Map<string, TopicPartitionsView>();
  let cursor: { topicName: string; partitionIndex: number } | null = null;
  do {
    const res: DescribeTopicPartitionsResponse = await conn.send(ApiKey.DescribeTopicPartitions, { topics: names.map((name) => ({ name })), responsePartitionLimit: pageLimit, cursor });
    for (const t of res.topics) {
      const name = t.name ?? '';
      let view = byName.get(name);
      if (!view) {
        view = { name, topicId: t.topicId, internal: t.isInternal, errorCode: t.errorCode, partitions: [] };
        byName.set(name, view);
      }
      for (const p of t.partitions) {
        view.partitions.push({
          partition: p.partitionIndex,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          elr: p.eligibleLeaderReplicas,
          lastKnownElr: p.lastKnownElr,
          offline: p.offlineReplicas,
        });
      }
    }
    cursor = res.nextCursor ? { topicName: res.nextCursor.topicName, partitionIndex: res.nextCursor.partitionIndex } : null;
  } while (cursor !== null);
  for (const v of byName.values()) v.partitions.sort((a, b) => a.partition - b.partition);
  return [...byName.values()];
}

/** DescribeLogDirs on one broker: which of its log directories holds each replica (of these topics, or all). */
export async function describeLogDirs(conn: Connection, topics: readonly string[] | null): Promise<LogDirReplica[]> {
  // The request names topics with their partitions; asking for everything and keeping the topics
  // wanted needs no partition counts.
  const res = await conn.send(ApiKey.DescribeLogDirs, { topics: null });
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(res.errorCode, `DescribeLogDirs on ${conn.address}`);
  const out: LogDirReplica[] = [];
  for (const d of res.results) {
    if (d.errorCode !== ErrorCode.NONE) continue; // an offline directory holds nothing we can read
    for (const t of d.topics) {
      if (topics !== null && !topics.includes(t.name)) continue;
      for (const p of t.partitions) out.push({ topic: t.name, partition: p.partitionIndex, logDir: d.logDir, isFuture: p.isFutureKey });
    }
  }
  return out;
}

/** AlterReplicaLogDirs on one broker: moves its replicas of these partitions to the directories given. */
export async function alterReplicaLogDirs(conn: Connection, moves: ReadonlyArray<TopicPartitionRef & { logDir: string }>): Promise<PartitionOutcome[]> {
  const byDir = new Map<string, Array<TopicPartitionRef & { logDir: string }>>();
  for (const m of moves) byDir.set(m.logDir, [...(byDir.get(m.logDir) ?? []), m]);
  const res = await conn.send(ApiKey.AlterReplicaLogDirs, {
    dirs: [...byDir].map(([path, ms]) => ({ path, topics: [...groupByTopic(ms)].map(([name, ps]) => ({ name, partitions: ps.map((p) => p.partition) })) })),
  });
  return res.results.flatMap((t) => t.partitions.map((p) => outcome(t.topicName, p.partitionIndex, p.errorCode, null))).sort(byTopicPartition);
}

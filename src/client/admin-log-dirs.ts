/**
 * The admin client's log-directory calls across the cluster: where each broker keeps its replicas
 * (DescribeLogDirs on every broker that holds one of the topics), moving replicas between a
 * broker's directories (AlterReplicaLogDirs to each broker named), and every directory of chosen
 * brokers. The single requests are in admin-replicas.ts and admin-records.ts; `Admin` supplies
 * the cluster view and the connections through `LogDirAdminDeps`, and turns the outcomes
 * returned here into its AdminError.
 */
import { ErrorCode } from '../protocol/errors.js';
import type { ClusterDescription, TopicDescription } from './admin.js';
import { describeAllLogDirs, type LogDirDescription } from './admin-records.js';
import { alterReplicaLogDirs as alterReplicaLogDirsOn, describeLogDirs, type LogDirReplica } from './admin-replicas.js';
import type { Connection } from './connection.js';
import type { TopicPartitionRef } from './consumer-protocol.js';
import { isUnreachable } from './errors.js';

/** What the calls need of the Admin: its cluster view and its connections. */
export interface LogDirAdminDeps {
  describeCluster(): Promise<ClusterDescription>;
  describeTopics(names: readonly string[]): Promise<TopicDescription[]>;
  connectTo(broker: { nodeId: number; host: string; port: number }): Promise<Connection>;
}

/** Per-replica outcome (`topic-partition-broker`): errorCode 0, or why the move failed. */
export type ReplicaOutcome = { resource: string; errorCode: number; errorMessage: string | null };

/**
 * Where each broker keeps its replicas of these topics (DescribeLogDirs on every broker that
 * holds one): the current directory, and the future one of a replica being moved between them.
 */
export async function describeReplicaLogDirs(d: LogDirAdminDeps, topics: readonly string[]): Promise<Array<LogDirReplica & { broker: number }>> {
  const described = await d.describeTopics(topics);
  const brokers = new Set(described.flatMap((t) => t.partitions.flatMap((p) => p.replicas)));
  const cluster = await d.describeCluster();
  const out: Array<LogDirReplica & { broker: number }> = [];
  for (const b of cluster.brokers.filter((x) => brokers.has(x.nodeId))) {
    // A broker that cannot be reached (down, not fenced yet) reports nothing.
    const conn = await d.connectTo(b).catch((err: unknown) => (isUnreachable(err) ? null : Promise.reject(err)));
    if (conn) for (const r of await describeLogDirs(conn, topics)) out.push({ ...r, broker: b.nodeId });
  }
  return out;
}

/** Moves replicas between the log directories of their broker; the outcomes that failed (a broker not in the cluster: BROKER_NOT_AVAILABLE). */
export async function alterReplicaLogDirs(d: LogDirAdminDeps, moves: ReadonlyArray<TopicPartitionRef & { broker: number; logDir: string }>): Promise<ReplicaOutcome[]> {
  const cluster = await d.describeCluster();
  const failed: ReplicaOutcome[] = [];
  for (const b of cluster.brokers) {
    const mine = moves.filter((m) => m.broker === b.nodeId);
    if (mine.length === 0) continue;
    const conn = await d.connectTo(b);
    for (const r of await alterReplicaLogDirsOn(conn, mine)) {
      if (r.error) failed.push({ resource: `${r.topic}-${r.partition}-${b.nodeId}`, errorCode: r.error.code, errorMessage: null });
    }
  }
  for (const m of moves) {
    if (!cluster.brokers.some((b) => b.nodeId === m.broker)) failed.push({ resource: `${m.topic}-${m.partition}-${m.broker}`, errorCode: ErrorCode.BROKER_NOT_AVAILABLE, errorMessage: null });
  }
  return failed;
}

/** Every log directory of each of these brokers (DescribeLogDirs), by broker id; brokers not in the cluster are left out. */
export async function describeBrokerLogDirs(d: LogDirAdminDeps, brokers: readonly number[]): Promise<Map<number, LogDirDescription[]>> {
  const cluster = await d.describeCluster();
  const out = new Map<number, LogDirDescription[]>();
  for (const b of cluster.brokers) {
    if (!brokers.includes(b.nodeId)) continue;
    out.set(b.nodeId, await describeAllLogDirs(await d.connectTo(b)));
  }
  return out;
}

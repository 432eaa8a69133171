/**
 * Replica moves between a broker's log directories, for the "log_dirs" of a reassignment file
 * (entries other than "any"): starting them (--execute; a replica that has not reached its new
 * broker yet is retried until --timeout) and reporting them (--verify), in Kafka's words.
 */
import { AdminError, type Admin } from '../client/admin.js';
import { ErrorCode } from '../protocol/errors.js';
import type { CommandIO } from './common.js';
import { ANY_LOG_DIR, type PartitionTarget } from './reassign-json.js';

export interface ReplicaDir {
  topic: string;
  partition: number;
  broker: number;
  logDir: string;
}

/** Kafka's TopicPartitionReplica: `topic-partition-broker`. */
export const replicaName = (r: { topic: string; partition: number; broker: number }): string => `${r.topic}-${r.partition}-${r.broker}`;

/** Broker, then topic, then partition. */
const byBrokerTopicPartition = (a: ReplicaDir, b: ReplicaDir): number =>
  a.broker - b.broker || (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition);

/** The replicas a reassignment pins to a directory. */
export function pinnedDirs(targets: readonly PartitionTarget[]): ReplicaDir[] {
  return targets.flatMap((t) => t.replicas.flatMap((broker, i) => (t.logDirs[i] !== ANY_LOG_DIR ? [{ topic: t.topic, partition: t.partition, broker, logDir: t.logDirs[i]! }] : [])));
}

/** A failure Kafka's tool reports tersely (its message only). */
export class MoveTimeoutError extends Error {}

/** Starts the moves, printing each as it starts; REPLICA_NOT_AVAILABLE is retried every 100 ms until timeoutMs. */
export async function executeMoves(admin: Admin, moves: readonly ReplicaDir[], timeoutMs: number, io: CommandIO): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = [...moves];
  for (;;) {
    let notYet = new Set<string>();
    try {
      await admin.alterReplicaLogDirs(pending);
    } catch (err) {
      if (!(err instanceof AdminError)) throw err;
      const hard = err.failures.find((f) => f.error.code !== ErrorCode.REPLICA_NOT_AVAILABLE);
      if (hard) throw new Error(`Failed to alter dir for ${hard.resource}: ${hard.error.message}`, { cause: err });
      notYet = new Set(err.failures.map((f) => f.resource));
    }
    for (const m of pending.filter((x) => !notYet.has(replicaName(x))).sort(byBrokerTopicPartition)) {
      io.out(`Successfully started moving log directory to ${m.logDir} for replica ${m.topic}-${m.partition} with broker ${m.broker} \n`);
    }
    pending = pending.filter((x) => notYet.has(replicaName(x)));
    if (pending.length === 0) return;
    if (Date.now() >= deadline) {
      throw new MoveTimeoutError(`Timed out before log directory move${pending.length === 1 ? '' : 's'} could be started for: ${[...pending].sort(byBrokerTopicPartition).map(replicaName).join(',')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Each pinned replica's state in Kafka's words, sorted by broker; `moving`: some move is still under way. */
export async function moveStates(admin: Admin, moves: readonly ReplicaDir[]): Promise<{ lines: string[]; moving: boolean; active: ReplicaDir[] }> {
  if (moves.length === 0) return { lines: [], moving: false, active: [] };
  const where = new Map<string, { current?: string; future?: string }>();
  for (const topic of new Set(moves.map((m) => m.topic))) {
    let dirs: Awaited<ReturnType<Admin['describeReplicaLogDirs']>> = [];
    try {
      dirs = await admin.describeReplicaLogDirs([topic]);
    } catch (err) {
      if (!(err instanceof AdminError)) throw err; // an unknown topic: its replicas are nowhere
    }
    for (const d of dirs) {
      const key = replicaName(d);
      const w = where.get(key) ?? {};
      if (d.isFuture) w.future = d.logDir;
      else w.current = d.logDir;
      where.set(key, w);
    }
  }
  const lines: string[] = [];
  const active: ReplicaDir[] = [];
  for (const m of [...moves].sort(byBrokerTopicPartition)) {
    const w = where.get(replicaName(m));
    const tp = `${m.topic}-${m.partition}`;
    if (!w || w.current === undefined) lines.push(`Partition ${tp} cannot be found in any live log directory on broker ${m.broker}.`);
    else if (w.future !== undefined) {
      active.push({ ...m, logDir: w.current });
      lines.push(w.future === m.logDir ? `Reassignment of replica ${replicaName(m)} is still in progress.` : `Partition ${tp} on broker ${m.broker} is being moved to log dir ${w.future} instead of ${m.logDir}.`);
    } else if (w.current === m.logDir) lines.push(`Reassignment of replica ${replicaName(m)} completed successfully.`);
    else lines.push(`Partition ${tp} on broker ${m.broker} is not being moved from log dir ${w.current} to ${m.logDir}.`);
  }
  return { lines, moving: active.length > 0, active };
}

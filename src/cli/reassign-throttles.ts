/**
 * The replication throttles kafka-reassign-partitions sets with --execute --throttle and clears
 * with --verify (once nothing moves any more) and --cancel, as Kafka's tool does:
 *   topic configs  leader.replication.throttled.replicas    "partition:broker" of each source replica
 *                  follower.replication.throttled.replicas  "partition:broker" of each replica being added
 *   broker configs leader.replication.throttled.rate and follower.replication.throttled.rate (bytes/s)
 *                  on every broker a move reads from or writes to; replica.alter.log.dirs.io.max.bytes.per.second
 *                  for moves between a broker's log directories.
 */
import type { Admin, PartitionReassignment } from '../client/admin.js';
import type { CommandIO } from './common.js';

const BROKER_THROTTLES = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate', 'replica.alter.log.dirs.io.max.bytes.per.second'];
const TOPIC_THROTTLES = ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'];

interface Move {
  sources: Set<number>;
  destinations: Set<number>;
}

/** topic -> partition -> the replicas a move copies from and to: the ongoing moves, then the proposed ones. */
export function moveMap(
  ongoing: readonly PartitionReassignment[],
  proposed: ReadonlyArray<{ topic: string; partition: number; replicas: readonly number[] }>,
  current: ReadonlyMap<string, readonly number[]>,
): Map<string, Map<number, Move>> {
  const moves = new Map<string, Map<number, Move>>();
  const of = (topic: string): Map<number, Move> => moves.get(topic) ?? moves.set(topic, new Map()).get(topic)!;
  for (const r of ongoing) {
    of(r.topic).set(r.partition, { sources: new Set(r.replicas.filter((x) => !r.addingReplicas.includes(x))), destinations: new Set(r.addingReplicas) });
  }
  for (const p of proposed) {
    const parts = of(p.topic);
    const sources = parts.get(p.partition)?.sources ?? new Set(current.get(`${p.topic}-${p.partition}`) ?? []);
    parts.set(p.partition, { sources, destinations: new Set(p.replicas.filter((x) => !sources.has(x))) });
  }
  return moves;
}

/** The two topic configs per topic, each a sorted list of "partition:broker" (sorted as text, as Kafka does). */
export function topicThrottles(moves: ReadonlyMap<string, ReadonlyMap<number, Move>>): Map<string, { leader: string; follower: string }> {
  const out = new Map<string, { leader: string; follower: string }>();
  for (const [topic, parts] of moves) {
    const leader = new Set<string>();
    const follower = new Set<string>();
    for (const [p, m] of parts) {
      for (const s of m.sources) leader.add(`${p}:${s}`);
      for (const d of m.destinations) if (!m.sources.has(d)) follower.add(`${p}:${d}`);
    }
    out.set(topic, { leader: [...leader].sort().join(','), follower: [...follower].sort().join(',') });
  }
  return out;
}

/** Sets the topic throttles of the moves and the inter-broker rate on every broker they involve. */
export async function setReassignmentThrottle(admin: Admin, moves: ReadonlyMap<string, ReadonlyMap<number, Move>>, rate: number, io: CommandIO): Promise<void> {
  for (const [topic, t] of topicThrottles(moves)) {
    await admin.incrementalAlterConfigs({ type: 'topic', name: topic }, [
      { name: TOPIC_THROTTLES[0]!, value: t.leader },
      { name: TOPIC_THROTTLES[1]!, value: t.follower },
    ]);
  }
  const brokers = new Set<number>();
  for (const parts of moves.values()) for (const m of parts.values()) for (const b of [...m.sources, ...m.destinations]) brokers.add(b);
  for (const b of [...brokers].sort((x, y) => x - y)) {
    await admin.incrementalAlterConfigs({ type: 'broker', name: String(b) }, [
      { name: BROKER_THROTTLES[0]!, value: String(rate) },
      { name: BROKER_THROTTLES[1]!, value: String(rate) },
    ]);
  }
  io.out(`The inter-broker throttle limit was set to ${rate} B/s\n`);
}

/** Sets the log-directory move rate on the brokers that move replicas between their directories. */
export async function setLogDirThrottle(admin: Admin, brokers: ReadonlySet<number>, rate: number, io: CommandIO): Promise<void> {
  for (const b of [...brokers].sort((x, y) => x - y)) {
    await admin.incrementalAlterConfigs({ type: 'broker', name: String(b) }, [{ name: BROKER_THROTTLES[2]!, value: String(rate) }]);
  }
  io.out(`The replica-alter-dir throttle limit was set to ${rate} B/s\n`);
}

/** Removes every throttle from the cluster's brokers (and those the targets name) and from the targets' topics. */
export async function clearAllThrottles(admin: Admin, targets: ReadonlyArray<{ topic: string; replicas: readonly number[] }>, io: CommandIO): Promise<void> {
  const brokers = new Set((await admin.describeCluster()).brokers.map((b) => b.nodeId));
  for (const t of targets) for (const r of t.replicas) brokers.add(r);
  const brokerList = [...brokers].sort((a, b) => a - b);
  io.out(`Clearing broker-level throttles on broker${brokerList.length === 1 ? '' : 's'} ${brokerList.join(',')}\n`);
  for (const b of brokerList) {
    await admin.incrementalAlterConfigs({ type: 'broker', name: String(b) }, BROKER_THROTTLES.map((name) => ({ name, op: 'delete' as const })));
  }
  const topics = [...new Set(targets.map((t) => t.topic))].sort();
  io.out(`Clearing topic-level throttles on topic${topics.length === 1 ? '' : 's'} ${topics.join(',')}\n`);
  for (const topic of topics) {
    await admin.incrementalAlterConfigs({ type: 'topic', name: topic }, TOPIC_THROTTLES.map((name) => ({ name, op: 'delete' as const })));
  }
}

/**
 * What each kafka-reassign-partitions action does and prints, as Kafka's ReassignPartitionsCommand:
 * --generate proposes a placement, --execute starts moves (optionally throttled), --verify reports
 * them and clears the throttles once nothing moves, --cancel stops them, --list shows those under
 * way. Partitions are printed in topic and partition order.
 */
import { AdminError, type Admin } from '../client/admin.js';
import { ErrorCode } from '../protocol/errors.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import type { CommandIO } from './common.js';
import { javaErrorString } from './java-errors.js';
import { duplicates, javaList } from './replica-assignment.js';
import { byTopicPartition, formatReassignment, parseReassignment, parseTopicsToMove, ReassignInputError, tpName, type PartitionTarget } from './reassign-json.js';
import { executeMoves, moveStates, pinnedDirs } from './reassign-log-dirs.js';
import { clearAllThrottles, moveMap, setLogDirThrottle, setReassignmentThrottle } from './reassign-throttles.js';
import { placeReplicas } from './replica-placement.js';

/** A failure Kafka's tool prints as its message alone (TerseException); others print "Error: <message>". */
export class TerseError extends Error {}

const EXISTING =
  'Cannot execute because there is an existing partition assignment.  Use --additional to override this and create a new partition assignment in addition to the existing one. The --additional flag can also be used to change the throttle by resubmitting the current reassignment.';

/** The Java client's UnknownTopicOrPartitionException, as the tool prints it inside "Error: ...". */
function unknownTopicOrPartition(message: string): Error {
  return new Error(javaErrorString(new KafkaProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message)));
}

/** `topic-partition` -> current replicas, for whole topics; an unknown topic fails as in Kafka. */
async function replicasOfTopics(admin: Admin, topics: readonly string[]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const topic of new Set(topics)) {
    try {
      for (const p of (await admin.describeTopics([topic]))[0]!.partitions) out.set(`${topic}-${p.partition}`, p.replicas);
    } catch (err) {
      if (err instanceof AdminError && err.failures[0]?.error.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw unknownTopicOrPartition(`Topic ${topic} not found.`);
      throw err;
    }
  }
  return out;
}

/** The current placement with each replica's log directory ("any" where the broker does not say). */
async function withLogDirs(admin: Admin, parts: ReadonlyArray<{ topic: string; partition: number; replicas: number[] }>): Promise<PartitionTarget[]> {
  const dirs = new Map<string, string>();
  try {
    for (const d of await admin.describeReplicaLogDirs([...new Set(parts.map((p) => p.topic))])) if (!d.isFuture) dirs.set(`${d.topic}-${d.partition}-${d.broker}`, d.logDir);
  } catch (err) {
    if (!(err instanceof KafkaProtocolError && err.code === ErrorCode.UNSUPPORTED_VERSION)) throw err;
  }
  return parts.map((p) => ({ ...p, logDirs: p.replicas.map((b) => dirs.get(`${p.topic}-${p.partition}-${b}`) ?? 'any') }));
}

const splitKey = (key: string): { topic: string; partition: number } => {
  const i = key.lastIndexOf('-');
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
};

export async function generate(admin: Admin, topicsJson: string, brokerList: string, io: CommandIO): Promise<void> {
  const brokers = brokerList.split(',').map((b) => {
    if (!/^[+-]?\d+$/.test(b.trim())) throw new ReassignInputError(`For input string: "${b}"`);
    return Number(b.trim());
  });
  const dupBrokers = duplicates(brokers);
  if (dupBrokers.length > 0) throw new ReassignInputError(`Broker list contains duplicate entries: ${javaList(dupBrokers)}`);
  const topics = parseTopicsToMove(topicsJson);
  const dupTopics = duplicates(topics);
  if (dupTopics.length > 0) throw new ReassignInputError(`List of topics to reassign contains duplicate entries: ${javaList(dupTopics)}`);
  const current = await replicasOfTopics(admin, topics);
  const live = new Set((await admin.describeCluster()).brokers.map((b) => b.nodeId));
  const usable = brokers.filter((b) => live.has(b));
  const proposed: Array<{ topic: string; partition: number; replicas: number[] }> = [];
  for (const topic of [...new Set(topics)].sort()) {
    const count = [...current.keys()].filter((k) => splitKey(k).topic === topic).length;
    const rf = current.get(`${topic}-0`)?.length ?? 0;
    placeReplicas(usable, count, rf).forEach((replicas, partition) => proposed.push({ topic, partition, replicas }));
  }
  const currentParts = await withLogDirs(admin, [...current].map(([k, replicas]) => ({ ...splitKey(k), replicas })));
  io.out(`Current partition replica assignment\n${formatReassignment(currentParts)}\n\n`);
  io.out(`Proposed partition reassignment configuration\n${formatReassignment(proposed)}\n`);
}

/** The targets of a reassignment file, checked as --execute checks them. */
function executeTargets(json: string): PartitionTarget[] {
  const targets = parseReassignment(json);
  if (targets.length === 0) throw new ReassignInputError('Partition reassignment list cannot be empty');
  if (targets.some((t) => t.replicas.length === 0)) throw new ReassignInputError('Partition replica list cannot be empty');
  const dupParts = duplicates(targets.map(tpName));
  if (dupParts.length > 0) throw new ReassignInputError(`Partition reassignment contains duplicate topic partitions: ${dupParts.join(',')}`);
  const dupReplicas = targets.filter((t) => duplicates(t.replicas).length > 0).map((t) => `${tpName(t)} contains multiple entries for ${duplicates(t.replicas).join(',')}`);
  if (dupReplicas.length > 0) throw new ReassignInputError(`Partition replica lists may not contain duplicate entries: ${dupReplicas.join('. ')}`);
  return targets;
}

export interface ExecuteOptions {
  additional: boolean;
  throttle: number;
  logDirThrottle: number;
  timeoutMs: number;
  allowReplicationFactorChange: boolean;
}

export async function execute(admin: Admin, json: string, o: ExecuteOptions, io: CommandIO): Promise<void> {
  const targets = executeTargets(json);
  const ongoing = await admin.listPartitionReassignments();
  if (!o.additional && ongoing.length > 0) throw new TerseError(EXISTING);
  const live = new Set((await admin.describeCluster()).brokers.map((b) => b.nodeId));
  const unknown = targets.flatMap((t) => t.replicas).find((b) => !live.has(b));
  if (unknown !== undefined) throw new ReassignInputError(`Unknown broker id ${unknown}`);
  const current = await replicasOfTopics(admin, targets.map((t) => t.topic));
  const missing = targets.filter((t) => !current.has(tpName(t)));
  if (missing.length > 0) throw unknownTopicOrPartition(`Unable to find partition: ${missing.map(tpName).join(', ')}`);
  const before = await withLogDirs(admin, targets.map((t) => ({ topic: t.topic, partition: t.partition, replicas: current.get(tpName(t))! })));
  io.out(`Current partition replica assignment\n\n${formatReassignment(before)}\n\nSave this to use as the --reassignment-json-file option during rollback\n`);
  const pinned = pinnedDirs(targets);
  if (o.throttle >= 0 || o.logDirThrottle >= 0) {
    io.out('Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.\n');
    if (o.throttle >= 0) await setReassignmentThrottle(admin, moveMap(ongoing, targets, current), o.throttle, io);
    if (o.logDirThrottle >= 0) await setLogDirThrottle(admin, new Set(pinned.map((p) => p.broker)), o.logDirThrottle, io);
  }
  try {
    await admin.alterPartitionReassignments(targets.map((t) => ({ topic: t.topic, partition: t.partition, replicas: t.replicas })), { allowReplicationFactorChange: o.allowReplicationFactorChange });
  } catch (err) {
    if (!(err instanceof AdminError)) throw err;
    throw new TerseError(`Error reassigning partition(s):\n${err.failures.map((f) => `${f.resource}: ${f.error.message}`).join('\n')}`);
  }
  const sorted = [...targets].sort(byTopicPartition);
  io.out(`Successfully started partition reassignment${sorted.length === 1 ? '' : 's'} for ${sorted.map(tpName).join(',')}\n`);
  if (pinned.length > 0) await executeMoves(admin, pinned, o.timeoutMs, io);
}

export async function verify(admin: Admin, json: string, preserveThrottles: boolean, io: CommandIO): Promise<void> {
  const targets = parseReassignment(json);
  const ongoing = await admin.listPartitionReassignments();
  const ongoingByName = new Map(ongoing.map((r) => [tpName(r), r]));
  const lines = ['Status of partition reassignment:'];
  for (const t of [...targets].sort(byTopicPartition)) {
    if (ongoingByName.has(tpName(t))) {
      lines.push(`Reassignment of partition ${tpName(t)} is still in progress.`);
      continue;
    }
    let replicas: number[] = [];
    try {
      replicas = (await admin.describeTopics([t.topic]))[0]!.partitions.find((p) => p.partition === t.partition)?.replicas ?? [];
    } catch (err) {
      if (!(err instanceof AdminError && err.failures[0]?.error.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) throw err;
    }
    lines.push(
      replicas.join(',') === t.replicas.join(',')
        ? `Reassignment of partition ${tpName(t)} is completed.`
        : `There is no active reassignment of partition ${tpName(t)}, but replica set is ${replicas.join(',')} rather than ${t.replicas.join(',')}.`,
    );
  }
  io.out(`${lines.join('\n')}\n`);
  const moves = await moveStates(admin, pinnedDirs(targets));
  io.out(`${moves.lines.join('\n')}\n`);
  if (ongoing.length === 0 && !moves.moving && !preserveThrottles) await clearThrottles(admin, targets, io);
}

/** Clears the throttles; a topic that does not exist fails as Kafka's call does. */
async function clearThrottles(admin: Admin, targets: readonly PartitionTarget[], io: CommandIO): Promise<void> {
  try {
    await clearAllThrottles(admin, targets, io);
  } catch (err) {
    if (err instanceof AdminError) throw new Error(javaErrorString(err.failures[0]!.error), { cause: err });
    throw err;
  }
}

export async function cancel(admin: Admin, json: string, preserveThrottles: boolean, timeoutMs: number, io: CommandIO): Promise<void> {
  const targets = parseReassignment(json);
  const active = (await admin.listPartitionReassignments(targets.map((t) => ({ topic: t.topic, partition: t.partition })))).filter(
    (r) => r.addingReplicas.length === 0 || r.removingReplicas.length > 0,
  );
  if (active.length > 0) {
    try {
      await admin.alterPartitionReassignments(active.map((r) => ({ topic: r.topic, partition: r.partition, replicas: null })));
    } catch (err) {
      if (!(err instanceof AdminError)) throw err;
      const s = err.failures.length === 1 ? '' : 's';
      throw new TerseError(`Error cancelling partition reassignment${s} for:\n${err.failures.map((f) => `${f.resource}: ${f.error.message}`).join('\n')}`);
    }
    io.out(`Successfully cancelled partition reassignment${active.length === 1 ? '' : 's'} for: ${active.map(tpName).join(',')}\n`);
  } else {
    io.out('None of the specified partition reassignments are active.\n');
  }
  const moves = await moveStates(admin, pinnedDirs(targets));
  // Kafka's tool ends this sentence without a line break; the next output follows on the same line.
  if (moves.active.length === 0) io.out('None of the specified partition moves are active.');
  else await executeMoves(admin, moves.active, timeoutMs, io);
  if (!preserveThrottles) await clearThrottles(admin, targets, io);
}

export async function list(admin: Admin, io: CommandIO): Promise<void> {
  const ongoing = await admin.listPartitionReassignments();
  if (ongoing.length === 0) {
    io.out('No partition reassignments found.\n');
    return;
  }
  const lines = ongoing.map(
    (r) =>
      `${tpName(r)}: replicas: ${r.replicas.join(',')}.` +
      (r.addingReplicas.length > 0 ? ` adding: ${r.addingReplicas.join(',')}.` : '') +
      (r.removingReplicas.length > 0 ? ` removing: ${r.removingReplicas.join(',')}.` : ''),
  );
  io.out(`Current partition reassignments:\n${lines.join('\n')}\n`);
}

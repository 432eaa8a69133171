/**
 * Partition reassignment (AlterPartitionReassignments, kafka-reassign-partitions.sh), driven by
 * the controller in two steps per partition, as Kafka moves replicas:
 *
 *  1. The assignment becomes target + the replicas being removed (target first, so the
 *     preferred leader is the target's). The new replicas open the partition, follow the leader
 *     and join the ISR once caught up (the leader's AlterPartition).
 *  2. Once every target replica is in the ISR: the assignment becomes the target, the ISR loses
 *     the removed replicas, and if the leader is being removed an in-sync target replica takes
 *     over (leader epoch + 1). The removed replicas delete their copies (stray replicas).
 *
 * Cancelling reassigns back to the original replicas by the same two steps. Pure decisions here;
 * controller.ts writes them.
 */
import type { ClusterView, PartitionState, Reassignment } from './view.js';

export interface ReassignmentStep {
  /** The partition's new replicas, when they change. */
  assignment?: number[];
  /** The partition's new state, when it changes. */
  state?: PartitionState;
  /** The reassignment is complete (or moot): drop it from the list. */
  done: boolean;
}

const sameSet = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

/** The next step of one reassignment, or null while it waits for the new replicas to catch up. */
export function planReassignment(view: ClusterView, r: Reassignment, controllerEpoch: number): ReassignmentStep | null {
  const current = view.topics.get(r.topic)?.replicas[r.partition];
  const s = view.partition(r.topic, r.partition);
  if (!current || !s || view.deleting.has(r.topic)) return { done: true };
  const target = r.target;
  if (current.length === target.length && current.every((b, i) => b === target[i])) return { done: true };
  const full = [...target, ...current.filter((b) => !target.includes(b))];
  if (!sameSet(current, full) || current.some((b, i) => b !== full[i])) return { assignment: full, done: false };
  if (!target.every((b) => s.isr.includes(b) && view.brokers.has(b))) return null;
  const isr = s.isr.filter((b) => target.includes(b));
  let leader = s.leader;
  if (!target.includes(leader) || !view.brokers.has(leader)) {
    const next = target.find((b) => isr.includes(b) && view.brokers.has(b));
    if (next === undefined) return null;
    leader = next;
  }
  const state: PartitionState = {
    leader,
    leaderEpoch: leader !== s.leader ? s.leaderEpoch + 1 : s.leaderEpoch,
    isr,
    controllerEpoch,
    partitionEpoch: s.partitionEpoch + 1,
  };
  return { assignment: [...target], state, done: true };
}

/** ListPartitionReassignments' view of one: current replicas, those being added and removed. */
export function describeReassignment(view: ClusterView, r: Reassignment): { replicas: number[]; adding: number[]; removing: number[] } {
  const replicas = view.topics.get(r.topic)?.replicas[r.partition] ?? [];
  return {
    replicas: [...replicas],
    adding: r.target.filter((b) => !r.original.includes(b)),
    removing: r.original.filter((b) => !r.target.includes(b)),
  };
}

/**
 * The controller's partition-state decisions, as a pure function of the cluster view (Kafka's
 * PartitionStateMachine and its leader election strategies, ZooKeeper era):
 *
 *  - A partition without state gets one: its live replicas (assignment order) are the ISR, the
 *    first of them leads, leader epoch 0. With no live replica it starts offline (leader -1).
 *  - A leader that is not live is replaced by the first replica (assignment order, so the
 *    preferred leader first) that is live and in the ISR; the ISR loses the dead brokers and
 *    the leader epoch grows. With no live ISR member the partition goes offline (leader -1) and
 *    keeps its ISR, so a member that comes back leads again and nothing acknowledged is lost;
 *    only with `unclean.leader.election.enable` does a live replica outside the ISR take over
 *    (its ISR is itself).
 *  - A live leader whose followers died loses them from the ISR (never the last member).
 *
 * A broker in controlled shutdown counts as gone for leadership and ISR membership while it
 * is still registered: its partitions move to other ISR members before it stops (a partition
 * whose only ISR member it is stays with it). Every change bumps the partition epoch, which
 * AlterPartition requests are checked against.
 */
import type { ClusterView, PartitionState } from './view.js';

export interface ElectionOptions {
  controllerEpoch: number;
  /** unclean.leader.election.enable, per topic. */
  unclean: (topic: string) => boolean;
  /** Brokers in controlled shutdown. */
  shuttingDown?: ReadonlySet<number>;
}

export interface StateChange {
  topic: string;
  partition: number;
  /** null: the partition has no state yet. */
  previous: PartitionState | null;
  next: PartitionState;
}

export function planPartitionStates(view: ClusterView, opts: ElectionOptions): StateChange[] {
  const live = (b: number): boolean => view.brokers.has(b) && !(opts.shuttingDown?.has(b) ?? false);
  const out: StateChange[] = [];
  for (const t of view.topics.values()) {
    if (view.deleting.has(t.name)) continue;
    t.replicas.forEach((replicas, partition) => {
      const prev = view.partition(t.name, partition) ?? null;
      const next = nextState(replicas, prev, live, opts.unclean(t.name), opts.controllerEpoch, (b) => view.brokers.has(b));
      if (next) out.push({ topic: t.name, partition, previous: prev, next });
    });
  }
  return out;
}

function nextState(
  replicas: readonly number[],
  prev: PartitionState | null,
  live: (b: number) => boolean,
  unclean: boolean,
  controllerEpoch: number,
  stillRegistered: (b: number) => boolean,
): PartitionState | null {
  if (prev === null) {
    const isr = replicas.filter(live);
    return { leader: isr[0] ?? -1, leaderEpoch: 0, isr: isr.length > 0 ? isr : [...replicas], controllerEpoch, partitionEpoch: 0 };
  }
  const bump = (leader: number, isr: number[]): PartitionState => ({
    leader,
    leaderEpoch: leader !== prev.leader ? prev.leaderEpoch + 1 : prev.leaderEpoch,
    isr,
    controllerEpoch,
    partitionEpoch: prev.partitionEpoch + 1,
  });
  if (prev.leader >= 0 && live(prev.leader)) {
    // The leader stays; dead followers leave the ISR.
    const isr = prev.isr.filter((b) => b === prev.leader || live(b));
    return isr.length !== prev.isr.length ? bump(prev.leader, isr) : null;
  }
  const clean = replicas.find((b) => live(b) && prev.isr.includes(b));
  if (clean !== undefined) return bump(clean, prev.isr.filter(live));
  if (prev.leader >= 0 && stillRegistered(prev.leader)) {
    // Shutting down, but nobody else in the ISR can take over: it keeps leading until it stops.
    return null;
  }
  if (unclean) {
    const any = replicas.find(live);
    if (any !== undefined) return bump(any, [any]);
  }
  // Offline: no leader, the ISR as it was (its members hold everything acknowledged).
  return prev.leader === -1 ? null : bump(-1, prev.isr);
}

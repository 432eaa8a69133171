/**
 * Elections an operator asks for (ElectLeaders, kafka-leader-election.sh) and the automatic
 * preferred-leader rebalance (auto.leader.rebalance.enable), as pure decisions on the view:
 *
 *  - PREFERRED: the first replica of the assignment leads again, if it is live and in the ISR
 *    (else PREFERRED_LEADER_NOT_AVAILABLE); already leading: ELECTION_NOT_NEEDED.
 *  - UNCLEAN: only for a partition without a live leader: the first live ISR member, else the
 *    first live replica (data may be lost: the operator asked); none live:
 *    ELIGIBLE_LEADERS_NOT_AVAILABLE; a live leader: ELECTION_NOT_NEEDED.
 *  - Rebalance: a broker whose share of partitions it prefers but does not lead is above
 *    leader.imbalance.per.broker.percentage gets those back, where a PREFERRED election can.
 *
 * A new leader means leader epoch + 1 and partition epoch + 1, as every other election.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { ClusterView, PartitionState } from './view.js';

export const PREFERRED = 0;
export const UNCLEAN = 1;

export interface ElectionOutcome {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
  /** The state to write, when there is an election to make. */
  next?: PartitionState;
}

function elect(prev: PartitionState, leader: number, isr: number[], controllerEpoch: number): PartitionState {
  return { leader, leaderEpoch: prev.leaderEpoch + 1, isr, controllerEpoch, partitionEpoch: prev.partitionEpoch + 1 };
}

export function planElection(view: ClusterView, type: number, topic: string, partition: number, controllerEpoch: number): ElectionOutcome {
  const out = (errorCode: number, errorMessage: string | null = null, next?: PartitionState): ElectionOutcome => ({ topic, partition, errorCode, errorMessage, ...(next ? { next } : {}) });
  const replicas = view.topics.get(topic)?.replicas[partition];
  const prev = view.partition(topic, partition);
  const assignment = view.topics.get(topic);
  if (!assignment || view.deleting.has(topic)) return out(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `No such topic as ${topic}`);
  if (!replicas || !prev) return out(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `No such partition as ${topic}-${partition}`);
  const live = (b: number): boolean => view.brokers.has(b);
  if (type === PREFERRED) {
    const preferred = replicas[0]!;
    if (prev.leader === preferred) return out(ErrorCode.ELECTION_NOT_NEEDED, 'Leader election not needed for topic partition.');
    if (!live(preferred) || !prev.isr.includes(preferred)) return out(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, `Failed to elect leader for partition ${topic}-${partition} under strategy PreferredReplicaPartitionLeaderElectionStrategy`);
    return out(ErrorCode.NONE, null, elect(prev, preferred, prev.isr.filter(live), controllerEpoch));
  }
  if (type === UNCLEAN) {
    if (prev.leader >= 0 && live(prev.leader)) return out(ErrorCode.ELECTION_NOT_NEEDED, 'Leader election not needed for topic partition.');
    const clean = replicas.find((b) => live(b) && prev.isr.includes(b));
    if (clean !== undefined) return out(ErrorCode.NONE, null, elect(prev, clean, prev.isr.filter(live), controllerEpoch));
    const any = replicas.find(live);
    if (any === undefined) return out(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, `Failed to elect leader for partition ${topic}-${partition} under strategy UncleanLeaderElectionStrategy`);
    return out(ErrorCode.NONE, null, elect(prev, any, [any], controllerEpoch));
  }
  return out(ErrorCode.INVALID_REQUEST, `Unknown election type ${type}.`);
}

/** The partitions the automatic rebalance gives back to their preferred leaders. */
export function imbalancedPartitions(view: ClusterView, percentage: number): Array<{ topic: string; partition: number }> {
  const byBroker = new Map<number, { preferred: number; notLeading: Array<{ topic: string; partition: number }> }>();
  for (const t of view.topics.values()) {
    if (view.deleting.has(t.name)) continue;
    t.replicas.forEach((replicas, partition) => {
      const preferred = replicas[0];
      const s = view.partition(t.name, partition);
      if (preferred === undefined || !s) return;
      const entry = byBroker.get(preferred) ?? { preferred: 0, notLeading: [] };
      entry.preferred++;
      if (s.leader !== preferred) entry.notLeading.push({ topic: t.name, partition });
      byBroker.set(preferred, entry);
    });
  }
  const out: Array<{ topic: string; partition: number }> = [];
  for (const [broker, e] of byBroker) {
    if (!view.brokers.has(broker) || e.preferred === 0) continue;
    if ((e.notLeading.length * 100) / e.preferred > percentage) out.push(...e.notLeading);
  }
  return out;
}

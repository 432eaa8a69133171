/**
 * Server-side assignors of KIP-848 consumer groups (`group.consumer.assignors`, default
 * "uniform,range"; a member picks one with ConsumerGroupHeartbeat's ServerAssignor, the group uses
 * the one most members ask for, else the first configured):
 *
 *  - uniform: balanced and sticky. Every member keeps the partitions of its previous target that it
 *    still subscribes to, then unassigned partitions go to the eligible (subscribed) member with the
 *    fewest partitions, then partitions move from the fullest to the emptiest eligible member until
 *    no member has two more than another that could take one. With identical subscriptions every
 *    member ends with floor(N/M) or ceil(N/M) partitions and only the partitions that must move do.
 *  - range: per topic, the members subscribed to it in member-id order (instance id first for
 *    static members, so a restarted static member gets its range back) each take a contiguous
 *    range; the first (partitions % members) get one more. Co-partitioned topics line up. Not
 *    sticky beyond that determinism (Kafka's server-side range assignor also tries to keep ranges).
 *
 * Ties are broken by member id so results are deterministic.
 */
import type { TopicPartitions } from './consumer-group.js';

export interface AssignorMember {
  memberId: string;
  instanceId: string | null;
  /** Topic ids the member subscribes to that exist. */
  subscribedTopicIds: ReadonlySet<string>;
}

export interface AssignmentSpec {
  members: readonly AssignorMember[];
  /** topic id -> partition count */
  topics: ReadonlyMap<string, number>;
  /** The previous target assignment, by member id (uniform's stickiness). */
  previous: ReadonlyMap<string, TopicPartitions>;
}

export interface Assignor {
  readonly name: string;
  assign(spec: AssignmentSpec): Map<string, TopicPartitions>;
}

const byId = (a: AssignorMember, b: AssignorMember): number => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0);

function add(a: TopicPartitions, t: string, p: number): void {
  let s = a.get(t);
  if (!s) a.set(t, (s = new Set()));
  s.add(p);
}

export const uniformAssignor: Assignor = {
  name: 'uniform',
  assign(spec) {
    const members = [...spec.members].sort(byId);
    const out = new Map<string, TopicPartitions>(members.map((m) => [m.memberId, new Map()]));
    const count = new Map<string, number>(members.map((m) => [m.memberId, 0]));
    const owner = new Map<string, string>(); // "topic:p" -> member
    const eligible = new Map<string, AssignorMember[]>(); // topic -> members subscribed
    for (const t of spec.topics.keys()) eligible.set(t, members.filter((m) => m.subscribedTopicIds.has(t)));
    // 1. Keep what each member had, when still valid.
    for (const m of members) {
      const prev = spec.previous.get(m.memberId);
      if (!prev) continue;
      for (const [t, ps] of prev) {
        const n = spec.topics.get(t);
        if (n === undefined || !m.subscribedTopicIds.has(t)) continue;
        for (const p of ps) {
          const k = `${t}:${p}`;
          if (p >= n || owner.has(k)) continue;
          owner.set(k, m.memberId);
          add(out.get(m.memberId)!, t, p);
          count.set(m.memberId, count.get(m.memberId)! + 1);
        }
      }
    }
    // 2. Unassigned partitions to the least loaded eligible member.
    const topics = [...spec.topics.keys()].sort();
    for (const t of topics) {
      const el = eligible.get(t)!;
      if (el.length === 0) continue;
      const n = spec.topics.get(t)!;
      for (let p = 0; p < n; p++) {
        const k = `${t}:${p}`;
        if (owner.has(k)) continue;
        let best = el[0]!;
        for (const m of el) if (count.get(m.memberId)! < count.get(best.memberId)!) best = m;
        owner.set(k, best.memberId);
        add(out.get(best.memberId)!, t, p);
        count.set(best.memberId, count.get(best.memberId)! + 1);
      }
    }
    // 3. Balance: move a partition from a member to an eligible one holding at least two fewer.
    for (let guard = 0; guard < 100_000; guard++) {
      let moved = false;
      const order = [...members].sort((a, b) => count.get(b.memberId)! - count.get(a.memberId)! || byId(a, b));
      outer: for (const from of order) {
        const mine = out.get(from.memberId)!;
        for (const t of [...mine.keys()].sort()) {
          const ps = [...mine.get(t)!].sort((a, b) => b - a);
          let to: AssignorMember | null = null;
          for (const m of eligible.get(t)!) {
            if (count.get(m.memberId)! <= count.get(from.memberId)! - 2 && (!to || count.get(m.memberId)! < count.get(to.memberId)!)) to = m;
          }
          if (!to || ps.length === 0) continue;
          const p = ps[0]!;
          mine.get(t)!.delete(p);
          if (mine.get(t)!.size === 0) mine.delete(t);
          add(out.get(to.memberId)!, t, p);
          count.set(from.memberId, count.get(from.memberId)! - 1);
          count.set(to.memberId, count.get(to.memberId)! + 1);
          moved = true;
          break outer;
        }
      }
      if (!moved) break;
    }
    return out;
  },
};

export const rangeAssignor: Assignor = {
  name: 'range',
  assign(spec) {
    const key = (m: AssignorMember): string => (m.instanceId !== null ? `0${m.instanceId}` : `1${m.memberId}`);
    const out = new Map<string, TopicPartitions>(spec.members.map((m) => [m.memberId, new Map()]));
    for (const [t, n] of spec.topics) {
      const el = spec.members.filter((m) => m.subscribedTopicIds.has(t)).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      if (el.length === 0) continue;
      const per = Math.floor(n / el.length);
      const extra = n % el.length;
      let p = 0;
      el.forEach((m, i) => {
        const take = per + (i < extra ? 1 : 0);
        for (let j = 0; j < take; j++) add(out.get(m.memberId)!, t, p++);
      });
    }
    return out;
  },
};

export const ASSIGNORS: ReadonlyMap<string, Assignor> = new Map([
  [uniformAssignor.name, uniformAssignor],
  [rangeAssignor.name, rangeAssignor],
]);

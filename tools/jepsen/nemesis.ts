/**
 * The nemesis: one fault at a time, in random order (seeded), with quiet pauses between.
 * - kill-leader: kill -9 the leader of a random partition; restarted after a hold.
 * - kill-controller: kill -9 the controller (the driver says which node); restarted after a hold.
 * - pause: SIGSTOP a random broker for longer than its session timeout, then SIGCONT.
 * - isolate: cut a random broker off the network (partition.ts) for longer than its session
 *   timeout, then heal (only with a Partitioner: the run must be in its own network namespace).
 * Every action is recorded as a NemesisEvent. heal() undoes whatever is still in effect.
 */
import type { ClusterDriver } from './cluster.js';
import { topicState } from './cluster-info.js';
import type { NemesisEvent } from './history.js';
import type { Partitioner } from './partition.js';

export const FAULTS = ['kill-leader', 'kill-controller', 'pause', 'isolate'] as const;
export type Fault = (typeof FAULTS)[number];

export interface NemesisOptions {
  topic: string;
  partitions: number;
  faults: readonly Fault[];
  /** Pause between faults, ms (uniform in the range). */
  quietMs: readonly [number, number];
  /** How long a killed node stays down, ms. */
  downMs: readonly [number, number];
  random: () => number;
  /** How much longer than the session timeout a pause or an isolation lasts. Default 2000 / 4000. */
  pauseMarginMs?: number;
  isolateMarginMs?: number;
  /** Needed for `isolate`. */
  partitioner?: Partitioner;
}

export class Nemesis {
  readonly events: NemesisEvent[] = [];
  private readonly paused = new Set<number>();
  private readonly killed = new Set<number>();
  private readonly isolated = new Set<number>();

  constructor(
    private readonly cluster: ClusterDriver,
    private readonly o: NemesisOptions,
  ) {}

  /** Faults until `untilMs`; the last one is healed before it returns. */
  async run(untilMs: number): Promise<void> {
    while (Date.now() < untilMs) {
      await this.sleepUntil(Math.min(untilMs, Date.now() + this.between(this.o.quietMs)));
      if (Date.now() >= untilMs || this.o.faults.length === 0) break;
      const fault = this.o.faults[Math.floor(this.o.random() * this.o.faults.length)]!;
      try {
        await this.inject(fault, untilMs);
      } catch (err) {
        this.note('error', null, `${fault}: ${(err as Error).message.split('\n')[0]}`);
      }
      await this.heal();
    }
  }

  /** Resumes paused nodes and restarts killed ones (every node not running). */
  async heal(): Promise<void> {
    for (const n of this.isolated) {
      await this.o.partitioner!.heal(n);
      this.note('heal', n, 'network restored');
    }
    this.isolated.clear();
    for (const n of this.paused) {
      this.cluster.resume(n);
      this.note('resume', n, 'SIGCONT');
    }
    this.paused.clear();
    for (const n of this.cluster.nodeIds) {
      if (this.cluster.isRunning(n)) continue;
      const event = this.note('restart', n, 'starting');
      await this.cluster.restart(n);
      this.killed.delete(n);
      event.detail = `ready after ${((Date.now() - event.atMs) / 1000).toFixed(1)} s`;
    }
  }

  private async inject(fault: Fault, untilMs: number): Promise<void> {
    if (fault === 'pause') {
      const n = this.pick(this.cluster.nodeIds);
      this.cluster.pause(n);
      this.paused.add(n);
      const hold = this.cluster.sessionTimeoutMs + (this.o.pauseMarginMs ?? 2_000);
      this.note('pause', n, `SIGSTOP for ${(hold / 1000).toFixed(1)} s (session timeout ${this.cluster.sessionTimeoutMs} ms)`);
      await this.sleepUntil(Date.now() + hold);
      return;
    }
    if (fault === 'isolate') {
      const p = this.o.partitioner;
      const n = this.pick(this.cluster.nodeIds);
      const pid = this.cluster.pid(n);
      if (!p || pid === null) throw new Error(`cannot isolate node ${n}: ${p ? 'it is not running' : 'no partitioner'}`);
      this.isolated.add(n);
      const how = await p.isolate(n, pid, this.cluster.listenPorts(n));
      const hold = this.cluster.sessionTimeoutMs + (this.o.isolateMarginMs ?? 4_000);
      this.note('isolate', n, `cut off for ${(hold / 1000).toFixed(1)} s (${how})`);
      await this.sleepUntil(Date.now() + hold);
      return;
    }
    let node: number | null;
    let why: string;
    if (fault === 'kill-leader') {
      const p = Math.floor(this.o.random() * this.o.partitions);
      const s = await topicState(this.cluster.bootstrap(), this.o.topic);
      node = s.leaders.get(p) ?? -1;
      why = `leader of partition ${p}`;
      if (node < 0) {
        node = this.pick(this.cluster.nodeIds);
        why = `partition ${p} has no leader: a random node`;
      }
    } else {
      node = await this.cluster.controllerId();
      why = 'the controller';
      if (node === null) {
        node = this.pick(this.cluster.nodeIds);
        why = 'the controller is unknown: a random node';
      }
    }
    await this.cluster.kill(node);
    this.killed.add(node);
    this.note(fault, node, `kill -9 (${why})`);
    await this.sleepUntil(Math.min(untilMs, Date.now() + this.between(this.o.downMs)));
  }

  private note(op: string, node: number | null, detail: string): NemesisEvent {
    const e = { atMs: Date.now(), op, node, detail };
    this.events.push(e);
    return e;
  }

  private pick(xs: readonly number[]): number {
    return xs[Math.floor(this.o.random() * xs.length)]!;
  }

  private between([lo, hi]: readonly [number, number]): number {
    return lo + this.o.random() * (hi - lo);
  }

  private sleepUntil(t: number): Promise<void> {
    return new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
  }
}

/** A small seeded generator (mulberry32), so a schedule can be replayed with --seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

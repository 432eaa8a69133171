/**
 * The controller: one broker at a time (elected through etcd, see etcd-store.ts) turns the
 * cluster view into partition states (elections.ts) and writes them, each as a fenced
 * transaction that also checks the state's mod revision, so a concurrent change makes the write
 * lose and the next pass decide again. Deleted topics (admin/delete_topics/<t>) lose their keys.
 *
 * Every broker runs one: it campaigns whenever there is no controller, and while it is the
 * controller it reconciles after every change of the view. Passes never overlap.
 */
import type { Logger } from '../logger.js';
import type { EtcdClusterStore, WriteOp } from './etcd-store.js';
import { planPartitionStates } from './elections.js';
import { encodeAssignment, encodePartitionState, encodeReassignments, keys, type PartitionState, type Reassignment } from './view.js';
import { planReassignment } from './reassignments.js';
import { ErrorCode } from '../../protocol/errors.js';
import { imbalancedPartitions, planElection, PREFERRED, type ElectionOutcome } from './leader-elections.js';

/** A leader's ISR change (AlterPartition), as the controller receives it. */
export interface IsrChange {
  brokerId: number;
  /** The leader's registration epoch; -1 when the request does not carry one. */
  brokerEpoch: bigint;
  topic: string;
  partition: number;
  leaderEpoch: number;
  partitionEpoch: number;
  newIsr: number[];
}

export interface ControllerOptions {
  brokerId: number;
  /** unclean.leader.election.enable of a topic (its override, else the broker's). */
  unclean: (topic: string) => boolean;
  log?: Logger;
  /** Told after each pass that wrote something (tests). */
  onPass?: (written: number) => void;
  /** auto.leader.rebalance.enable with leader.imbalance.check.interval.seconds (ms) and leader.imbalance.per.broker.percentage. */
  rebalance?: { intervalMs: number; percentage: number };
}

export class Controller {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** Each broker's registration epoch as the last complete pass saw it. */
  private readonly seenEpochs = new Map<number, bigint>();
  /** Brokers in controlled shutdown, with the registration epoch they asked from. */
  private readonly shuttingDown = new Map<number, bigint>();

  private readonly rebalanceTimer: NodeJS.Timeout | null;

  constructor(
    private readonly store: EtcdClusterStore,
    private readonly opts: ControllerOptions,
  ) {
    const r = opts.rebalance;
    this.rebalanceTimer = r ? setInterval(() => void this.rebalance(r.percentage), r.intervalMs) : null;
    this.rebalanceTimer?.unref();
  }

  /**
   * ElectLeaders: elects per leader-elections.ts for the partitions named (null: every partition),
   * each written as any controller write. Partitions whose election is not needed are answered
   * so only when named (as Kafka does for a null list, they are left out).
   */
  async electLeaders(type: number, partitions: Array<{ topic: string; partition: number }> | null): Promise<{ errorCode: number; results: ElectionOutcome[] }> {
    const epoch = this.store.controllerEpoch;
    if (epoch === null) return { errorCode: ErrorCode.NOT_CONTROLLER, results: [] };
    const view = this.store.view;
    const all = partitions === null;
    const targets = partitions ?? [...view.topics.values()].flatMap((t) => t.replicas.map((_r, partition) => ({ topic: t.name, partition })));
    const results: ElectionOutcome[] = [];
    for (const { topic, partition } of targets) {
      const o = planElection(view, type, topic, partition, epoch);
      if (o.next) {
        const key = keys.partitionState(topic, partition);
        const ok = await this.store.controllerWrite(epoch, [{ put: key, value: encodePartitionState(o.next) }], [{ key, modRevision: this.store.revision(key) }]);
        if (!ok) {
          results.push({ topic, partition, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'The partition changed meanwhile or this broker is no longer the controller; try again.' });
          continue;
        }
        this.opts.log?.info({ topic, partition, leader: o.next.leader, epoch: o.next.leaderEpoch, type: type === PREFERRED ? 'preferred' : 'unclean' }, 'partition leader elected on request');
      }
      if (all && o.errorCode === ErrorCode.ELECTION_NOT_NEEDED) continue;
      results.push({ topic, partition, errorCode: o.errorCode, errorMessage: o.errorMessage });
    }
    return { errorCode: ErrorCode.NONE, results };
  }

  /** auto.leader.rebalance.enable: preferred leaders back where the imbalance passes the percentage. */
  private async rebalance(percentage: number): Promise<void> {
    if (this.stopped || this.store.controllerEpoch === null) return;
    const moves = imbalancedPartitions(this.store.view, percentage);
    if (moves.length === 0) return;
    try {
      const r = await this.electLeaders(PREFERRED, moves);
      const moved = r.results.filter((x) => x.errorCode === ErrorCode.NONE).length;
      if (moved > 0) this.opts.log?.info({ moved }, 'automatic preferred leader rebalance');
    } catch (err) {
      this.opts.log?.warn({ err }, 'automatic preferred leader rebalance failed');
    }
  }

  get epoch(): number | null {
    return this.store.controllerEpoch;
  }

  /** Call after every change of the view (and once at start). */
  changed(): void {
    const waiting = [...this.viewChanged];
    this.viewChanged.clear();
    for (const w of waiting) w();
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.pass();
      } catch (err) {
        this.opts.log?.error({ err }, 'controller pass failed');
      }
    } while (this.again && !this.stopped);
  }

  private async pass(): Promise<void> {
    const view = this.store.view;
    if (this.store.controllerEpoch === null) {
      if (view.controller !== null) return;
      const epoch = await this.store.campaign(this.opts.brokerId);
      if (epoch === null) return;
      this.opts.log?.info({ broker: this.opts.brokerId, epoch }, 'elected controller');
    }
    const epoch = this.store.controllerEpoch;
    if (epoch === null) return;
    let written = 0;
    for (const topic of [...view.deleting]) {
      const ops: WriteOp[] = [{ delete: keys.topic(topic) }, { delete: keys.topicConfig(topic) }, { delete: keys.deleteTopic(topic) }];
      const n = view.topics.get(topic)?.replicas.length ?? 0;
      for (let p = 0; p < n; p++) ops.push({ delete: keys.partitionState(topic, p) });
      if (await this.store.controllerWrite(epoch, ops)) written++;
    }
    // A broker that asked and then came back (a new registration) is not shutting down any more.
    for (const [id, e] of this.shuttingDown) if (view.brokers.get(id)?.epoch !== e) this.shuttingDown.delete(id);
    // A broker that restarted between two passes (its registration replaced, a new epoch) lost
    // what it held in memory: as in Kafka, it counts as failed once, so its leaderships move and
    // it leaves the ISRs, then it rejoins as a follower.
    const epochsNow = new Map([...view.brokers.values()].map((b) => [b.id, b.epoch]));
    const bounced = [...view.brokers.values()].filter((b) => this.seenEpochs.has(b.id) && this.seenEpochs.get(b.id) !== b.epoch).map((b) => b.id);
    const away = new Set([...this.shuttingDown.keys(), ...bounced]);
    let complete = true;
    for (const c of planPartitionStates(view, { controllerEpoch: epoch, unclean: this.opts.unclean, shuttingDown: away })) {
      const key = keys.partitionState(c.topic, c.partition);
      const ok = await this.store.controllerWrite(epoch, [{ put: key, value: encodePartitionState(c.next) }], [{ key, modRevision: this.store.revision(key) }]);
      if (!ok) {
        // Fenced, or the state moved meanwhile: the watch brings the news and another pass runs.
        if (this.store.controllerEpoch !== epoch) return;
        complete = false;
        continue;
      }
      written++;
      if (c.previous === null || c.previous.leader !== c.next.leader) {
        this.opts.log?.info({ topic: c.topic, partition: c.partition, leader: c.next.leader, epoch: c.next.leaderEpoch, isr: c.next.isr }, c.next.leader < 0 ? 'partition offline' : 'partition leader elected');
      }
    }
    if (complete) {
      for (const [id, e] of epochsNow) this.seenEpochs.set(id, e);
      // A restarted broker counted as failed for this pass only: pass again at once, where it is
      // live, so it can rejoin, and lead a partition whose ISR is only itself (offline until then).
      // Without writes here no watch event would bring that pass.
      if (bounced.length > 0) this.again = true;
    }
    written += await this.advanceReassignments(epoch);
    if (written > 0) this.opts.onPass?.(written);
  }

  /** Moves every reassignment in progress one step on (reassignments.ts); the number of writes. */
  private async advanceReassignments(epoch: number): Promise<number> {
    const view = this.store.view;
    let written = 0;
    for (const r of [...view.reassignments.values()]) {
      const step = planReassignment(view, r, epoch);
      if (!step) continue;
      const ops: WriteOp[] = [];
      const checks = [{ key: keys.reassignments, modRevision: this.store.revision(keys.reassignments) }];
      const topic = view.topics.get(r.topic);
      if (step.assignment && topic) {
        const replicas = topic.replicas.map((x, p) => (p === r.partition ? step.assignment! : x));
        const key = keys.topic(r.topic);
        ops.push({ put: key, value: encodeAssignment(topic.topicId, replicas) });
        checks.push({ key, modRevision: this.store.revision(key) });
      }
      if (step.state) {
        const key = keys.partitionState(r.topic, r.partition);
        ops.push({ put: key, value: encodePartitionState(step.state) });
        checks.push({ key, modRevision: this.store.revision(key) });
      }
      if (step.done) {
        const rest = [...view.reassignments.values()].filter((x) => x !== r);
        ops.push(rest.length > 0 ? { put: keys.reassignments, value: encodeReassignments(rest) } : { delete: keys.reassignments });
      }
      if (ops.length === 0) continue;
      // One step per pass: the watch brings the result, and the next pass goes on from there.
      if (await this.store.controllerWrite(epoch, ops, checks)) {
        written++;
        this.opts.log?.info({ topic: r.topic, partition: r.partition, replicas: step.assignment, done: step.done }, 'partition reassignment step');
      }
      return written;
    }
    return written;
  }

  /**
   * AlterPartitionReassignments: starts (replicas given) or cancels (null) reassignments. Targets
   * must name registered brokers, each once; a replication factor change only when allowed.
   */
  async alterReassignments(
    changes: ReadonlyArray<{ topic: string; partition: number; replicas: number[] | null }>,
    allowReplicationFactorChange: boolean,
  ): Promise<{ errorCode: number; results: Array<{ topic: string; partition: number; errorCode: number; errorMessage: string | null }> }> {
    const epoch = this.store.controllerEpoch;
    if (epoch === null) return { errorCode: ErrorCode.NOT_CONTROLLER, results: [] };
    const view = this.store.view;
    const next = new Map(view.reassignments);
    const results: Array<{ topic: string; partition: number; errorCode: number; errorMessage: string | null }> = [];
    for (const c of changes) {
      const id = `${c.topic}\u0000${c.partition}`;
      const current = view.topics.get(c.topic)?.replicas[c.partition];
      const fail = (errorCode: number, errorMessage: string): void => void results.push({ topic: c.topic, partition: c.partition, errorCode, errorMessage });
      if (!current || view.deleting.has(c.topic)) {
        fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${c.topic}-${c.partition}.`);
        continue;
      }
      const ongoing = next.get(id);
      if (c.replicas === null) {
        if (!ongoing) fail(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `Unable to cancel reassignment for partition ${c.topic}-${c.partition} because it is not being reassigned.`);
        else {
          next.set(id, { ...ongoing, target: ongoing.original });
          results.push({ topic: c.topic, partition: c.partition, errorCode: ErrorCode.NONE, errorMessage: null });
        }
        continue;
      }
      if (c.replicas.length === 0 || new Set(c.replicas).size !== c.replicas.length) {
        fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment ${JSON.stringify(c.replicas)} contains duplicate or no replicas.`);
        continue;
      }
      const unknown = c.replicas.find((b) => !view.brokers.has(b));
      if (unknown !== undefined) {
        fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${unknown}, but no such broker is registered.`);
        continue;
      }
      const original = ongoing?.original ?? current;
      if (!allowReplicationFactorChange && c.replicas.length !== original.length) {
        fail(ErrorCode.INVALID_REPLICATION_FACTOR, `The replication factor is changed from ${original.length} to ${c.replicas.length} but the request does not allow it.`);
        continue;
      }
      const r: Reassignment = { topic: c.topic, partition: c.partition, target: [...c.replicas], original: [...original] };
      next.set(id, r);
      results.push({ topic: c.topic, partition: c.partition, errorCode: ErrorCode.NONE, errorMessage: null });
    }
    const list = [...next.values()];
    const ok = await this.store.controllerWrite(
      epoch,
      [list.length > 0 ? { put: keys.reassignments, value: encodeReassignments(list) } : { delete: keys.reassignments }],
      [{ key: keys.reassignments, modRevision: this.store.revision(keys.reassignments) }],
    );
    if (!ok) return { errorCode: ErrorCode.NOT_CONTROLLER, results: [] };
    this.changed();
    return { errorCode: ErrorCode.NONE, results };
  }

  /**
   * AlterPartition: a leader asks for a new ISR. Accepted only from the partition's current
   * leader, at its current leader epoch and partition epoch (else FENCED_LEADER_EPOCH /
   * INVALID_UPDATE_VERSION: the leader acts on an old state), from its current registration
   * (STALE_BROKER_EPOCH), with live members only (INELIGIBLE_REPLICA) and the leader among
   * them. The new state is written as any controller write: fenced, checked against the state's
   * revision.
   */
  async alterPartition(c: IsrChange): Promise<{ errorCode: number; state?: PartitionState }> {
    const epoch = this.store.controllerEpoch;
    if (epoch === null) return { errorCode: ErrorCode.NOT_CONTROLLER };
    const view = this.store.view;
    const broker = view.brokers.get(c.brokerId);
    if (!broker || (c.brokerEpoch >= 0n && broker.epoch !== c.brokerEpoch)) return { errorCode: ErrorCode.STALE_BROKER_EPOCH };
    const assignment = view.topics.get(c.topic)?.replicas[c.partition];
    const prev = view.partition(c.topic, c.partition);
    if (!assignment || !prev) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    if (prev.leader !== c.brokerId) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    if (c.leaderEpoch !== prev.leaderEpoch) return { errorCode: c.leaderEpoch < prev.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH };
    if (c.partitionEpoch !== prev.partitionEpoch) return { errorCode: ErrorCode.INVALID_UPDATE_VERSION };
    if (!c.newIsr.includes(c.brokerId) || c.newIsr.some((b) => !assignment.includes(b))) return { errorCode: ErrorCode.INVALID_REQUEST };
    if (c.newIsr.some((b) => !view.brokers.has(b))) return { errorCode: ErrorCode.INELIGIBLE_REPLICA };
    const next: PartitionState = { ...prev, isr: [...c.newIsr], controllerEpoch: epoch, partitionEpoch: prev.partitionEpoch + 1 };
    const key = keys.partitionState(c.topic, c.partition);
    const ok = await this.store.controllerWrite(epoch, [{ put: key, value: encodePartitionState(next) }], [{ key, modRevision: this.store.revision(key) }]);
    if (!ok) return { errorCode: this.store.controllerEpoch === epoch ? ErrorCode.INVALID_UPDATE_VERSION : ErrorCode.NOT_CONTROLLER };
    this.opts.log?.info({ topic: c.topic, partition: c.partition, isr: next.isr, partitionEpoch: next.partitionEpoch }, 'ISR changed by AlterPartition');
    return { errorCode: ErrorCode.NONE, state: next };
  }

  /**
   * ControlledShutdown: the broker is about to stop. Its leaderships move to other ISR members
   * and it leaves the ISRs (the next passes); the answer lists the partitions it still leads
   * (none once the moves are written), and the broker asks again until there are none or it
   * gives up (controlled.shutdown.max.retries).
   */
  async controlledShutdown(brokerId: number, brokerEpoch: bigint): Promise<{ errorCode: number; remaining: Array<{ topic: string; partition: number }> }> {
    if (this.store.controllerEpoch === null) return { errorCode: ErrorCode.NOT_CONTROLLER, remaining: [] };
    const registered = this.store.view.brokers.get(brokerId);
    if (!registered) return { errorCode: ErrorCode.BROKER_NOT_AVAILABLE, remaining: [] };
    if (brokerEpoch >= 0n && registered.epoch !== brokerEpoch) return { errorCode: ErrorCode.STALE_BROKER_EPOCH, remaining: [] };
    this.shuttingDown.set(brokerId, registered.epoch);
    this.changed();
    // The moves are written by the passes; wait (briefly) for the watch to bring them back.
    const deadline = Date.now() + 3000;
    for (;;) {
      while (this.running) await this.running;
      const remaining = this.ledBy(brokerId);
      if (!remaining.some((p) => this.movable(p.topic, p.partition, brokerId)) || Date.now() > deadline) return { errorCode: ErrorCode.NONE, remaining };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.viewChanged.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private readonly viewChanged = new Set<() => void>();

  /** Whether another live ISR member, not shutting down, could lead the partition. */
  private movable(topic: string, partition: number, leader: number): boolean {
    const s = this.store.view.partition(topic, partition);
    return (s?.isr ?? []).some((b) => b !== leader && this.store.view.brokers.has(b) && !this.shuttingDown.has(b));
  }

  private ledBy(brokerId: number): Array<{ topic: string; partition: number }> {
    const out: Array<{ topic: string; partition: number }> = [];
    for (const [k, s] of this.store.view.partitions) {
      if (s.leader !== brokerId) continue;
      const [topic, p] = k.split('\u0000');
      out.push({ topic: topic!, partition: Number(p) });
    }
    return out;
  }

  /** Stops deciding; with `resign`, gives the controllership up so another broker takes it at once. */
  async stop(resign = false): Promise<void> {
    this.stopped = true;
    if (this.rebalanceTimer) clearInterval(this.rebalanceTimer);
    await this.running;
    if (resign) await this.store.resign();
  }
}

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
import { encodePartitionState, keys, type PartitionState } from './view.js';
import { ErrorCode } from '../../protocol/errors.js';

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
}

export class Controller {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** Brokers in controlled shutdown, with the registration epoch they asked from. */
  private readonly shuttingDown = new Map<number, bigint>();

  constructor(
    private readonly store: EtcdClusterStore,
    private readonly opts: ControllerOptions,
  ) {}

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
    for (const c of planPartitionStates(view, { controllerEpoch: epoch, unclean: this.opts.unclean, shuttingDown: new Set(this.shuttingDown.keys()) })) {
      const key = keys.partitionState(c.topic, c.partition);
      const ok = await this.store.controllerWrite(epoch, [{ put: key, value: encodePartitionState(c.next) }], [{ key, modRevision: this.store.revision(key) }]);
      if (!ok) {
        // Fenced, or the state moved meanwhile: the watch brings the news and another pass runs.
        if (this.store.controllerEpoch !== epoch) return;
        continue;
      }
      written++;
      if (c.previous === null || c.previous.leader !== c.next.leader) {
        this.opts.log?.info({ topic: c.topic, partition: c.partition, leader: c.next.leader, epoch: c.next.leaderEpoch, isr: c.next.isr }, c.next.leader < 0 ? 'partition offline' : 'partition leader elected');
      }
    }
    if (written > 0) this.opts.onPass?.(written);
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
    await this.running;
    if (resign) await this.store.resign();
  }
}

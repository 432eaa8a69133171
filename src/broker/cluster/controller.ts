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
import { encodePartitionState, keys } from './view.js';

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

  constructor(
    private readonly store: EtcdClusterStore,
    private readonly opts: ControllerOptions,
  ) {}

  get epoch(): number | null {
    return this.store.controllerEpoch;
  }

  /** Call after every change of the view (and once at start). */
  changed(): void {
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
    for (const c of planPartitionStates(view, { controllerEpoch: epoch, unclean: this.opts.unclean })) {
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

  /** Stops deciding; with `resign`, gives the controllership up so another broker takes it at once. */
  async stop(resign = false): Promise<void> {
    this.stopped = true;
    await this.running;
    if (resign) await this.store.resign();
  }
}

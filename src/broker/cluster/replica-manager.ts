/**
 * A broker's partitions in a cluster (Kafka's ReplicaManager / Partition): for every partition it
 * holds a replica of, whether it leads or follows, at which leader epoch, and what follows from
 * that. It acts on the cluster view (etcd) after every change:
 *
 *  - The view names this broker leader at a newer epoch: it stops fetching the partition, keeps
 *    its followers' progress (replica-state.ts: HW and ISR) and tells the coordinators
 *    (`onLeader`: __consumer_offsets partitions load).
 *  - The view names another leader (or a newer epoch of one): it stops leading (acks=-1 waiters
 *    get NOT_LEADER_OR_FOLLOWER, coordinators unload) and follows the new leader, truncating
 *    first (replica-fetcher.ts).
 *  - Same leader and epoch, new ISR: the leader's HW is recomputed.
 *
 * A leader's ISR changes go to the controller as AlterPartition requests (isr-requests.ts); the
 * answer, and then the view, bring the new ISR. acks=-1 waits until the HW passes the batch.
 */
import { setMaxListeners } from 'node:events';
import { ErrorCode } from '../../protocol/errors.js';
import { StorageError } from '../../storage/errors.js';
import type { AppendResult, PartitionLog } from '../../storage/partition-log.js';
import type { Logger } from '../logger.js';
import type { TopicManager } from '../metadata/topics.js';
import { describeReassignment } from './reassignments.js';
import { epochError, type ReassignmentInfo, type LeaderAppendOptions, type LeaderLookup, type LiveBroker, type PartitionInfo, type Replicas } from '../replicas.js';
import type { Peers } from './peers.js';
import { ReplicaFetcher, type FetcherSettings, type FollowedPartition } from './replica-fetcher.js';
import { LeaderReplicaState } from './replica-state.js';
import { IsrRequests } from './isr-requests.js';
import type { ClusterView, PartitionState } from './view.js';

export interface ReplicaManagerOptions {
  nodeId: number;
  view: ClusterView;
  topics: TopicManager;
  peers: Peers;
  log: Logger;
  now: () => number;
  fetcher: FetcherSettings;
  /** replica.lag.time.max.ms */
  lagTimeMaxMs: number;
  /** This broker's registration epoch (AlterPartition carries it). */
  brokerEpoch: () => bigint;
  /** This broker became the leader of a partition (after the switch), or stopped leading it. */
  onLeader?: (topic: string, partition: number) => void;
  onResign?: (topic: string, partition: number) => void;
}

interface Hosted {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  role: 'leader' | 'follower' | 'none';
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
  replicas: number[];
  isr: number[];
  leaderState: LeaderReplicaState | null;
  /** Aborted when this broker stops leading at this epoch: acks=-1 waiters give up. */
  leadership: AbortController | null;
  followed: FollowedPartition | null;
}

const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };
const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class ReplicaManager implements Replicas {
  readonly clustered = true;
  private readonly hosted = new Map<string, Hosted>();
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  private readonly isrRequests: IsrRequests;
  private readonly shrinkTimer: NodeJS.Timeout;
  private readonly closing = new AbortController();

  constructor(private readonly opts: ReplicaManagerOptions) {
    this.isrRequests = new IsrRequests({
      nodeId: opts.nodeId,
      view: opts.view,
      peers: opts.peers,
      log: opts.log,
      brokerEpoch: opts.brokerEpoch,
      accepted: (topic, partition, leaderEpoch, isr, partitionEpoch) => this.isrAccepted(topic, partition, leaderEpoch, isr, partitionEpoch),
    });
    // Every acks=-1 write waiting listens to this signal (and its partition's leadership one): no limit.
    setMaxListeners(0, this.closing.signal);
    // Kafka checks for lagging followers every half replica.lag.time.max.ms.
    this.shrinkTimer = setInterval(() => this.maybeShrinkIsrs(), Math.max(100, Math.floor(opts.lagTimeMaxMs / 2)));
    this.shrinkTimer.unref();
  }

  // -------------------------------------------------------------------------------------------
  // The view as the handlers see it

  liveBrokers(listener?: string): LiveBroker[] {
    const out: LiveBroker[] = [];
    for (const b of this.opts.view.brokers.values()) {
      // A registration without named endpoints (older) has only its one address.
      const e = listener === undefined || !b.endpoints ? b : b.endpoints.find((x) => x.name === listener);
      if (e) out.push({ id: b.id, host: e.host, port: e.port, rack: b.rack });
    }
    return out.sort((a, b) => a.id - b.id);
  }

  controllerId(): number {
    return this.opts.view.controller ?? -1;
  }

  partition(topic: string, partition: number): PartitionInfo {
    const view = this.opts.view;
    const replicas = view.topics.get(topic)?.replicas[partition] ?? [];
    const s = view.partition(topic, partition);
    const leader = s && view.brokers.has(s.leader) ? s.leader : -1;
    // Without a leader the kept ISR is shown as Kafka 4 shows it: an empty ISR, those replicas eligible.
    const offline = s !== undefined && s.leader < 0;
    return {
      leader,
      leaderEpoch: s?.leaderEpoch ?? -1,
      replicas,
      isr: offline ? [] : (s?.isr ?? []),
      offline: replicas.filter((b) => !view.brokers.has(b)),
      elr: offline ? s.isr : [],
    };
  }

  leaderId(topic: string, partition: number): number {
    return this.partition(topic, partition).leader;
  }

  reassignments(): ReassignmentInfo[] {
    const view = this.opts.view;
    return [...view.reassignments.values()].map((r) => ({ topic: r.topic, partition: r.partition, ...describeReassignment(view, r) }));
  }

  private lookup(topic: string, partition: number, currentLeaderEpoch: number): LeaderLookup & { h?: Hosted } {
    const h = this.hosted.get(key(topic, partition));
    if (!h || h.role !== 'leader' || !h.leaderState) {
      const info = this.partition(topic, partition);
      if (info.replicas.length === 0) return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ...NO_LEADER };
      return { ok: false, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leaderId: info.leader, leaderEpoch: info.leaderEpoch };
    }
    const e = epochError(currentLeaderEpoch, h.leaderEpoch);
    if (e !== ErrorCode.NONE) return { ok: false, errorCode: e, leaderId: this.opts.nodeId, leaderEpoch: h.leaderEpoch };
    return { ok: true, log: h.log, leaderEpoch: h.leaderEpoch, h };
  }

  leader(topic: string, partition: number, currentLeaderEpoch = -1): LeaderLookup {
    const r = this.lookup(topic, partition, currentLeaderEpoch);
    return r.ok ? { ok: true, log: r.log, leaderEpoch: r.leaderEpoch } : r;
  }

  // -------------------------------------------------------------------------------------------
  // Leading: appends, follower progress, the HW

  private minInsync(topic: string): number {
    const t = this.opts.topics.get(topic);
    return t ? Number(this.opts.topics.effectiveConfig(t).get('min.insync.replicas') ?? '1') : 1;
  }

  private updateHighWatermark(h: Hosted): void {
    if (!h.leaderState) return;
    const hw = h.leaderState.advanceHighWatermark(h.log.logEndOffset);
    if (hw > h.log.highWatermark) h.log.setHighWatermark(hw);
  }

  async appendAsLeader(topic: string, partition: number, records: Buffer, opts: LeaderAppendOptions): Promise<AppendResult> {
    const r = this.lookup(topic, partition, -1);
    if (!r.ok || !r.h) throw new StorageError(`This server is not the leader for ${topic}-${partition}.`, r.ok ? ErrorCode.NOT_LEADER_OR_FOLLOWER : (r.errorCode as ErrorCode));
    const h = r.h;
    const minIsr = this.minInsync(topic);
    if (opts.acks === -1 && h.isr.length < minIsr) {
      throw new StorageError(`The size of the current ISR [${h.isr.join(', ')}] is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${topic}-${partition}`, ErrorCode.NOT_ENOUGH_REPLICAS);
    }
    const leadership = h.leadership!;
    const result = await h.log.append(records, {
      leaderEpoch: h.leaderEpoch,
      ...(opts.logAppendTime !== undefined ? { logAppendTime: opts.logAppendTime } : {}),
      ...(opts.origin ? { origin: opts.origin } : {}),
    });
    if (h.leadership === leadership) this.updateHighWatermark(h);
    if (opts.acks !== -1) return result;
    await this.waitForHighWatermark(h, leadership, result.lastOffset, opts.timeoutMs);
    if (leadership.signal.aborted) throw new StorageError(`Leadership of ${topic}-${partition} moved while the write waited for its replicas.`, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (h.log.highWatermark <= result.lastOffset) throw new StorageError(`The write to ${topic}-${partition} was not replicated to the in-sync replicas in time.`, ErrorCode.REQUEST_TIMED_OUT);
    if (h.isr.length < minIsr) {
      throw new StorageError(`The size of the current ISR [${h.isr.join(', ')}] is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${topic}-${partition}`, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    }
    return result;
  }

  /** Resolves once the HW passes `lastOffset`, the timeout passes, leadership moves or the broker closes. */
  private async waitForHighWatermark(h: Hosted, leadership: AbortController, lastOffset: number, timeoutMs: number): Promise<void> {
    if (h.log.highWatermark > lastOffset) return;
    const done = new AbortController();
    const stop = (): void => done.abort();
    const timer = setTimeout(stop, timeoutMs);
    leadership.signal.addEventListener('abort', stop, { once: true });
    this.closing.signal.addEventListener('abort', stop, { once: true });
    try {
      await h.log.waitForHighWatermark(lastOffset, done.signal);
    } finally {
      clearTimeout(timer);
      leadership.signal.removeEventListener('abort', stop);
      this.closing.signal.removeEventListener('abort', stop);
    }
  }

  followerFetch(topic: string, partition: number, replicaId: number, fetchOffset: number, currentLeaderEpoch: number): LeaderLookup {
    const r = this.lookup(topic, partition, currentLeaderEpoch);
    if (!r.ok || !r.h) return r.ok ? { ok: false, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, ...NO_LEADER } : r;
    const h = r.h;
    if (!h.replicas.includes(replicaId)) return { ok: false, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leaderId: this.opts.nodeId, leaderEpoch: h.leaderEpoch };
    const end = h.log.logEndOffset;
    // A follower ahead of this leader's log is answered OFFSET_OUT_OF_RANGE by the read; it does not count as caught up.
    if (fetchOffset <= end) {
      const hw = h.leaderState!.onFollowerFetch(replicaId, fetchOffset, end, this.opts.now());
      if (hw > h.log.highWatermark) h.log.setHighWatermark(hw);
      const wider = h.leaderState!.expandIsr();
      if (wider) this.isrRequests.request(h.topic, h.partition, h.leaderEpoch, h.partitionEpoch, wider);
    }
    return { ok: true, log: h.log, leaderEpoch: h.leaderEpoch };
  }

  private maybeShrinkIsrs(): void {
    const now = this.opts.now();
    for (const h of this.hosted.values()) {
      if (h.role !== 'leader' || !h.leaderState) continue;
      const narrower = h.leaderState.shrinkIsr(now, this.opts.lagTimeMaxMs);
      if (narrower) this.isrRequests.request(h.topic, h.partition, h.leaderEpoch, h.partitionEpoch, narrower);
    }
  }

  /** The controller accepted an ISR change (AlterPartition's answer). */
  private isrAccepted(topic: string, partition: number, leaderEpoch: number, isr: number[], partitionEpoch: number): void {
    const h = this.hosted.get(key(topic, partition));
    if (!h || h.role !== 'leader' || h.leaderEpoch !== leaderEpoch || partitionEpoch <= h.partitionEpoch) return;
    this.setIsr(h, isr, partitionEpoch);
  }

  private setIsr(h: Hosted, isr: readonly number[], partitionEpoch: number): void {
    if (h.isr.join() !== isr.join()) this.opts.log.info({ topic: h.topic, partition: h.partition, from: h.isr, to: isr }, 'ISR changed');
    h.isr = [...isr];
    h.partitionEpoch = partitionEpoch;
    if (h.leaderState) {
      const hw = h.leaderState.setIsr(isr, h.log.logEndOffset);
      if (hw > h.log.highWatermark) h.log.setHighWatermark(hw);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Following the view

  /** Acts on the view: call after every change (and after the topics' logs are open). */
  reconcile(): void {
    const view = this.opts.view;
    const me = this.opts.nodeId;
    const seen = new Set<string>();
    for (const t of view.topics.values()) {
      if (view.deleting.has(t.name)) continue;
      t.replicas.forEach((replicas, p) => {
        if (!replicas.includes(me)) return;
        const log = this.opts.topics.partitionLog(t.name, p);
        if (!log) return;
        const k = key(t.name, p);
        seen.add(k);
        let h = this.hosted.get(k);
        if (h && h.log !== log) {
          // The topic was deleted and made again: a new partition altogether.
          this.stopRole(h);
          h = undefined;
        }
        if (!h) {
          h = { topic: t.name, partition: p, log, role: 'none', leader: -1, leaderEpoch: -1, partitionEpoch: -1, replicas: [...replicas], isr: [], leaderState: null, leadership: null, followed: null };
          this.hosted.set(k, h);
        }
        if (h.replicas.join() !== replicas.join()) {
          h.replicas = [...replicas];
          h.leaderState?.setReplicas(replicas);
        }
        const state = view.partition(t.name, p);
        if (state) this.apply(h, state);
      });
    }
    for (const [k, h] of this.hosted) {
      if (seen.has(k)) continue;
      this.stopRole(h);
      this.hosted.delete(k);
    }
  }

  private apply(h: Hosted, s: PartitionState): void {
    const me = this.opts.nodeId;
    if (s.leaderEpoch < h.leaderEpoch) return;
    if (s.leader === me) {
      if (h.role !== 'leader' || s.leaderEpoch > h.leaderEpoch) this.becomeLeader(h, s);
      else if (s.partitionEpoch > h.partitionEpoch) this.setIsr(h, s.isr, s.partitionEpoch);
      return;
    }
    const changed = h.role === 'leader' || s.leaderEpoch > h.leaderEpoch || s.leader !== h.leader || (h.followed?.parked ?? false);
    h.isr = [...s.isr];
    h.partitionEpoch = s.partitionEpoch;
    if (changed) this.becomeFollower(h, s);
  }

  private becomeLeader(h: Hosted, s: PartitionState): void {
    const wasLeader = h.role === 'leader';
    this.unfollow(h);
    h.leadership?.abort();
    h.role = 'leader';
    h.leader = this.opts.nodeId;
    h.leaderEpoch = s.leaderEpoch;
    h.partitionEpoch = s.partitionEpoch;
    h.isr = [...s.isr];
    h.leadership = new AbortController();
    setMaxListeners(0, h.leadership.signal);
    h.leaderState = new LeaderReplicaState(this.opts.nodeId, h.replicas, s.isr, h.log.logEndOffset, h.log.highWatermark, this.opts.now());
    this.updateHighWatermark(h);
    this.opts.log.info({ topic: h.topic, partition: h.partition, epoch: s.leaderEpoch, isr: s.isr, logEnd: h.log.logEndOffset, hw: h.log.highWatermark }, 'leading partition');
    if (!wasLeader) this.opts.onLeader?.(h.topic, h.partition);
  }

  private becomeFollower(h: Hosted, s: PartitionState): void {
    const wasLeader = h.role === 'leader';
    this.stopRole(h);
    h.leader = s.leader;
    h.leaderEpoch = s.leaderEpoch;
    h.role = s.leader >= 0 ? 'follower' : 'none';
    if (wasLeader) this.opts.log.info({ topic: h.topic, partition: h.partition, leader: s.leader, epoch: s.leaderEpoch }, 'no longer leading partition');
    if (s.leader < 0) return;
    const followed: FollowedPartition = { topic: h.topic, partition: h.partition, log: h.log, leaderEpoch: s.leaderEpoch, truncate: true, parked: false };
    h.followed = followed;
    this.fetcherFor(s.leader).add(followed);
  }

  /** Leaves whatever role the partition had: waiters released, fetching stopped, coordinators told. */
  private stopRole(h: Hosted): void {
    const wasLeader = h.role === 'leader';
    h.leadership?.abort();
    h.leadership = null;
    h.leaderState = null;
    this.unfollow(h);
    h.role = 'none';
    if (wasLeader) this.opts.onResign?.(h.topic, h.partition);
  }

  private unfollow(h: Hosted): void {
    if (!h.followed) return;
    const f = this.fetchers.get(h.leader);
    f?.remove(h.followed);
    h.followed = null;
  }

  private fetcherFor(leaderId: number): ReplicaFetcher {
    let f = this.fetchers.get(leaderId);
    if (!f) {
      f = new ReplicaFetcher(leaderId, this.opts.nodeId, this.opts.peers, this.opts.fetcher, this.opts.log);
      this.fetchers.set(leaderId, f);
    }
    return f;
  }

  /** Partitions this broker leads (controlled shutdown, tests). */
  leading(): Array<{ topic: string; partition: number }> {
    return [...this.hosted.values()].filter((h) => h.role === 'leader').map((h) => ({ topic: h.topic, partition: h.partition }));
  }

  async close(): Promise<void> {
    clearInterval(this.shrinkTimer);
    this.closing.abort();
    for (const h of this.hosted.values()) {
      h.leadership?.abort();
      h.leadership = null;
    }
    await Promise.all([...this.fetchers.values()].map((f) => f.stop()));
    this.fetchers.clear();
  }
}

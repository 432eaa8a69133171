/**
 * What a partition's leader knows of its replicas (Kafka's Partition / Replica): each follower's
 * log end offset, learned from the offset it fetches from, and when it was last caught up. From
 * that come the high watermark and the ISR changes the leader asks the controller for:
 *
 *  - HW = the lowest log end offset in the ISR (the leader's own included); it never goes back.
 *  - A follower is caught up when it fetches from the leader's log end (or from the log end the
 *    leader had at the follower's previous fetch: it fetched everything there was then). One
 *    that has not been caught up for `replica.lag.time.max.ms` leaves the ISR.
 *  - A follower outside the ISR joins it once it has reached the HW and the start of the current
 *    leader epoch (so it holds every record this leader acknowledged).
 *  - acks=-1 completes when the HW passes the batch; an ISR smaller than `min.insync.replicas`
 *    refuses the write (NOT_ENOUGH_REPLICAS), or fails it after the append
 *    (NOT_ENOUGH_REPLICAS_AFTER_APPEND) when the ISR shrank while it waited.
 */

interface Follower {
  logEndOffset: number;
  lastCaughtUpMs: number;
  lastFetchMs: number;
  /** The leader's log end at this follower's previous fetch. */
  leaderEndAtLastFetch: number;
}

export class LeaderReplicaState {
  private readonly followers = new Map<number, Follower>();
  private hw: number;
  isr: number[];

  constructor(
    readonly leaderId: number,
    replicas: readonly number[],
    isr: readonly number[],
    /** The first offset of this leader's epoch. */
    readonly leaderEpochStartOffset: number,
    highWatermark: number,
    now: number,
  ) {
    this.isr = [...isr];
    this.hw = highWatermark;
    for (const r of replicas) {
      if (r === leaderId) continue;
      // Until it fetches, an ISR member counts as caught up since the leader took over.
      this.followers.set(r, { logEndOffset: -1, lastCaughtUpMs: isr.includes(r) ? now : 0, lastFetchMs: 0, leaderEndAtLastFetch: -1 });
    }
  }

  /**
   * The assignment changed (a reassignment adds or removes replicas): new followers start
   * unknown and out of the ISR, removed ones are forgotten.
   */
  setReplicas(replicas: readonly number[]): void {
    for (const id of [...this.followers.keys()]) if (!replicas.includes(id)) this.followers.delete(id);
    for (const r of replicas) {
      if (r === this.leaderId || this.followers.has(r)) continue;
      this.followers.set(r, { logEndOffset: -1, lastCaughtUpMs: 0, lastFetchMs: 0, leaderEndAtLastFetch: -1 });
    }
  }

  get highWatermark(): number {
    return this.hw;
  }

  followerEndOffset(id: number): number {
    return this.followers.get(id)?.logEndOffset ?? -1;
  }

  /** A follower fetched from `fetchOffset` while the leader's log ended at `leaderEnd`. The new HW. */
  onFollowerFetch(id: number, fetchOffset: number, leaderEnd: number, now: number): number {
    const f = this.followers.get(id);
    if (!f) return this.hw;
    f.logEndOffset = fetchOffset;
    if (fetchOffset >= leaderEnd) f.lastCaughtUpMs = now;
    else if (f.leaderEndAtLastFetch >= 0 && fetchOffset >= f.leaderEndAtLastFetch) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs);
    f.leaderEndAtLastFetch = leaderEnd;
    f.lastFetchMs = now;
    return this.advanceHighWatermark(leaderEnd);
  }

  /** The HW after the leader's own log grew or the ISR changed. */
  advanceHighWatermark(leaderEnd: number): number {
    let low = leaderEnd;
    for (const id of this.isr) {
      if (id === this.leaderId) continue;
      low = Math.min(low, Math.max(this.followers.get(id)?.logEndOffset ?? -1, 0));
    }
    if (low > this.hw) this.hw = low;
    return this.hw;
  }

  /** ISR followers not caught up for longer than `lagTimeMaxMs`: the ISR to ask for without them, or null. */
  shrinkIsr(now: number, lagTimeMaxMs: number): number[] | null {
    const out = this.isr.filter((id) => id === this.leaderId || now - (this.followers.get(id)?.lastCaughtUpMs ?? 0) <= lagTimeMaxMs);
    return out.length < this.isr.length ? out : null;
  }

  /** Followers outside the ISR that hold everything it must: the ISR to ask for with them, or null. */
  expandIsr(): number[] | null {
    const joining = [...this.followers].filter(([id, f]) => !this.isr.includes(id) && f.logEndOffset >= this.hw && f.logEndOffset >= this.leaderEpochStartOffset).map(([id]) => id);
    return joining.length > 0 ? [...this.isr, ...joining] : null;
  }

  /** The controller accepted an ISR change. */
  setIsr(isr: readonly number[], leaderEnd: number): number {
    this.isr = [...isr];
    return this.advanceHighWatermark(leaderEnd);
  }

  /** Whether an acks=-1 write may be appended now (NOT_ENOUGH_REPLICAS otherwise). */
  enoughReplicas(minInsyncReplicas: number): boolean {
    return this.isr.length >= minInsyncReplicas;
  }
}

/**
 * The leader's replication throttle (KIP-73), as kafka-reassign-partitions.sh --throttle sets it:
 * a topic's `leader.replication.throttled.replicas` names partitions (`partition:broker` pairs,
 * or `*`) whose leader on that broker sends follower fetches at most
 * `leader.replication.throttled.rate` bytes per second, counted over one-second windows, but only
 * to followers outside the ISR (catching up: a reassignment's new replicas); in-sync followers are
 * never slowed. Over the rate, a throttled partition's data is left out of the fetch response and
 * comes in a later one.
 */
export class ReplicationThrottle {
  private windowStart = 0;
  private bytes = 0;

  constructor(
    /** leader.replication.throttled.rate, read each time (it is a dynamic config). */
    private readonly rate: () => number,
    private readonly now: () => number,
  ) {}

  private roll(): void {
    const t = this.now();
    if (t - this.windowStart >= 1000) {
      this.windowStart = t;
      this.bytes = 0;
    }
  }

  /** Whether throttled data may go out now. */
  allows(): boolean {
    this.roll();
    return this.bytes < this.rate();
  }

  /** Throttled data that went out. */
  record(bytes: number): void {
    this.roll();
    this.bytes += bytes;
  }
}

/** Whether `leader.replication.throttled.replicas` (its list value) throttles this partition on broker `brokerId`. */
export function throttledReplica(list: string | undefined, partition: number, brokerId: number): boolean {
  if (!list) return false;
  return list.split(',').some((e) => {
    const entry = e.trim();
    return entry === '*' || entry === `${partition}:${brokerId}`;
  });
}

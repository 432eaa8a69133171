/**
 * Keyed timers of one coordinator partition (Kafka's CoordinatorTimer). A timer has a name;
 * scheduling a name again replaces the earlier timer, cancelling it is idempotent, and unloading
 * the partition cancels them all. When a timer fires, its operation does not run directly: it is
 * handed to `fire`, which the runtime makes a write operation of the partition, so a timer changes
 * state the way a request does (records, then replay).
 */
import type { Cancel, Clock } from './clock.js';

export class CoordinatorTimers {
  private readonly timers = new Map<string, Cancel>();
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly fire: (name: string, run: () => void) => void,
  ) {}

  /** Runs `run` (through `fire`) after `ms`, replacing any timer of the same name. */
  schedule(name: string, ms: number, run: () => void): void {
    this.cancel(name);
    if (this.closed) return;
    const cancel = this.clock.setTimeout(() => {
      if (this.timers.get(name) !== cancel) return;
      this.timers.delete(name);
      this.fire(name, run);
    }, ms);
    this.timers.set(name, cancel);
  }

  cancel(name: string): void {
    const c = this.timers.get(name);
    if (!c) return;
    this.timers.delete(name);
    c();
  }

  isScheduled(name: string): boolean {
    return this.timers.has(name);
  }

  /** Cancels every timer; later schedules do nothing. */
  close(): void {
    this.closed = true;
    for (const c of this.timers.values()) c();
    this.timers.clear();
  }
}

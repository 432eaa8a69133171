/**
 * Time for the coordinators: `now()` and one-shot timers, injected so tests drive time by hand
 * (ManualClock) instead of sleeping.
 */

/** Cancels a timer; calling it after the timer fired (or twice) does nothing. */
export type Cancel = () => void;

export interface Clock {
  now(): number;
  /** Runs `cb` once after `ms` milliseconds (0 allowed). */
  setTimeout(cb: () => void, ms: number): Cancel;
}

/** Wall-clock time; timers do not keep the process alive. */
export function systemClock(now: () => number = Date.now): Clock {
  return {
    now,
    setTimeout(cb, ms) {
      const t = setTimeout(cb, Math.max(0, Math.min(ms, 0x7fffffff)));
      t.unref();
      return () => clearTimeout(t);
    },
  };
}

interface ManualTimer {
  at: number;
  seq: number;
  cb: () => void;
  cancelled: boolean;
}

/**
 * A clock that only moves when told to. `advance(ms)` runs every timer that falls due, in order of
 * due time (then creation), with `now()` set to each timer's due time while it runs; timers
 * created by callbacks run too if they fall due within the advanced window.
 */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(cb: () => void, ms: number): Cancel {
    const t: ManualTimer = { at: this.time + Math.max(0, ms), seq: this.seq++, cb, cancelled: false };
    this.timers.push(t);
    return () => {
      t.cancelled = true;
    };
  }

  /** Timers still pending. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: ManualTimer | undefined;
      for (const t of this.timers) {
        if (t.at <= until && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      next.cancelled = true;
      this.time = Math.max(this.time, next.at);
      next.cb();
    }
    this.time = until;
  }
}

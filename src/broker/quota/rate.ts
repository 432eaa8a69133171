/**
 * A rate measured over time windows, as Kafka's quota sensors measure it (a `Rate` over a
 * windowed sum with `quota.window.num` samples of `quota.window.size.seconds` each):
 *
 * - a value is added to the current sample; a sample older than one window is complete and the
 *   next one starts (the ring holds `samples + 1`, so the sample overlapping the monitored window
 *   is kept);
 * - a sample with no event for `samples` windows is obsolete and starts over empty;
 * - the rate is the sum of the samples over the elapsed time since the oldest sample started,
 *   counted as at least `samples - 1` full windows (so a new client's first burst is measured
 *   over that span, not over a few milliseconds).
 *
 * `throttleMs` is Kafka's delay for an observed rate O above a bound T over a window W: the time
 * X with O * W / (W + X) = T, that is X = (O - T) / T * W.
 */
interface Sample {
  value: number;
  startMs: number;
  lastEventMs: number;
}

export interface RateWindow {
  /** quota.window.num */
  samples: number;
  /** quota.window.size.seconds, in milliseconds. */
  windowMs: number;
}

export class WindowedRate {
  private readonly ring: Sample[] = [];
  private current = 0;

  constructor(private readonly w: RateWindow) {}

  record(value: number, nowMs: number): void {
    let s = this.currentSample(nowMs);
    if (nowMs - s.startMs >= this.w.windowMs) s = this.advance(nowMs);
    s.value += value;
    s.lastEventMs = nowMs;
  }

  /** The rate per second at `nowMs`. */
  measure(nowMs: number): number {
    this.purge(nowMs);
    let sum = 0;
    for (const s of this.ring) sum += s.value;
    return sum / (this.windowSizeMs(nowMs) / 1000);
  }

  /** The span the rate is computed over, in ms (at least 1). */
  windowSizeMs(nowMs: number): number {
    this.purge(nowMs);
    let elapsed = nowMs - this.oldest(nowMs).startMs;
    const full = Math.floor(elapsed / this.w.windowMs);
    const minFull = this.w.samples - 1;
    if (full < minFull) elapsed += (minFull - full) * this.w.windowMs;
    return Math.max(elapsed, 1);
  }

  /** When the last value was recorded (for expiring idle rates). */
  get lastEventMs(): number {
    return this.ring.length === 0 ? -Infinity : this.ring[this.current]!.lastEventMs;
  }

  private currentSample(nowMs: number): Sample {
    if (this.ring.length === 0) this.ring.push({ value: 0, startMs: nowMs, lastEventMs: nowMs });
    return this.ring[this.current]!;
  }

  private advance(nowMs: number): Sample {
    this.current = (this.current + 1) % (this.w.samples + 1);
    if (this.current >= this.ring.length) {
      const s = { value: 0, startMs: nowMs, lastEventMs: nowMs };
      this.ring.push(s);
      return s;
    }
    const s = this.ring[this.current]!;
    reset(s, nowMs);
    return s;
  }

  private oldest(nowMs: number): Sample {
    const first = this.currentSample(nowMs);
    let oldest = this.ring[0] ?? first;
    for (const s of this.ring) if (s.startMs < oldest.startMs) oldest = s;
    return oldest;
  }

  private purge(nowMs: number): void {
    const expireAge = this.w.samples * this.w.windowMs;
    for (const s of this.ring) if (nowMs - s.lastEventMs >= expireAge) reset(s, nowMs);
  }
}

function reset(s: Sample, nowMs: number): void {
  s.value = 0;
  s.startMs = nowMs;
  s.lastEventMs = nowMs;
}

/**
 * Records `value` and checks the rate against `bound` (Kafka's Sensor.record with quota check:
 * the value counts even when the rate is then above the bound). Returns the throttle time in ms,
 * 0 when the rate is within the bound.
 */
export function recordAndThrottle(rate: WindowedRate, value: number, bound: number, nowMs: number): number {
  rate.record(value, nowMs);
  const observed = rate.measure(nowMs);
  if (observed <= bound) return 0;
  return throttleMs(observed, bound, rate.windowSizeMs(nowMs));
}

/** X = (O - T) / T * W, rounded to the nearest ms (Kafka's QuotaUtils.throttleTime). */
export function throttleMs(observed: number, bound: number, windowSizeMs: number): number {
  return Math.round(((observed - bound) / bound) * windowSizeMs);
}

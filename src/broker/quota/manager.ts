/**
 * One kind of client quota (producer_byte_rate, consumer_byte_rate or request_percentage):
 * a measured rate per set of clients sharing a quota (see resolve.ts), and the throttle time when
 * a client goes above its bound (rate.ts). When no entity has a value for the key, `record` returns
 * at once: clients pay nothing for quotas nobody set. A client with no quota is not measured
 * either (Kafka measures it against an unbounded quota; nothing is throttled the same).
 */
import type { ClientQuotas } from './client-quotas.js';
import type { QuotaKey } from './entity.js';
import { WindowedRate, recordAndThrottle, type RateWindow } from './rate.js';
import { quotaLimit, quotaTags } from './resolve.js';

interface Resolved {
  /** Shared-rate key: user and client id of the tags. */
  tags: string;
  limit: number;
}

const MAX_CACHED = 10_000;

export class ClientQuotaManager {
  private readonly rates = new Map<string, WindowedRate>();
  /** user -> client id -> resolution (two levels: no string built per lookup). */
  private readonly cache = new Map<string, Map<string, Resolved | null>>();
  private cached = 0;
  private cacheVersion = -1;
  private lastSweepMs = 0;

  constructor(
    readonly key: QuotaKey,
    private readonly quotas: ClientQuotas,
    private readonly window: RateWindow,
    /** Kafka bounds the request quota's throttle to one window; byte rates are not bounded. */
    private readonly maxThrottleMs = Infinity,
  ) {}

  /** Whether any quota of this kind is set (if not, nobody is measured). */
  get enabled(): boolean {
    return this.quotas.hasAny(this.key);
  }

  /** The quota that applies to the client: who shares its rate and the bound; null when unlimited. */
  resolve(user: string, clientId: string): Resolved | null {
    if (this.cacheVersion !== this.quotas.version || this.cached > MAX_CACHED) {
      this.cache.clear();
      this.cached = 0;
      this.cacheVersion = this.quotas.version;
    }
    let byClient = this.cache.get(user);
    const hit = byClient?.get(clientId);
    if (hit !== undefined) return hit;
    const get = (ek: string): number | undefined => this.quotas.value(this.key, ek);
    const tags = quotaTags((ek) => get(ek) !== undefined, user, clientId);
    const limit = quotaLimit(get, tags);
    const r = limit === undefined ? null : { tags: `${tags.user}\u0000${tags.clientId}`, limit };
    if (!byClient) this.cache.set(user, (byClient = new Map()));
    byClient.set(clientId, r);
    this.cached++;
    return r;
  }

  /** Records `value` for the client at `nowMs`; returns the throttle time in ms (0: within quota). */
  record(user: string, clientId: string, value: number, nowMs: number): number {
    if (!this.quotas.hasAny(this.key)) return 0;
    const r = this.resolve(user, clientId);
    if (r === null) return 0;
    return Math.min(recordAndThrottle(this.rate(r.tags, nowMs), value, r.limit, nowMs), this.maxThrottleMs);
  }

  /** Takes back a recorded value (a throttled fetch returns nothing, so its bytes do not count). */
  unrecord(user: string, clientId: string, value: number, nowMs: number): void {
    const r = this.quotas.hasAny(this.key) ? this.resolve(user, clientId) : null;
    if (r !== null) this.rate(r.tags, nowMs).record(-value, nowMs);
  }

  /** The most one request may take without being throttled for sure: bound x (samples - 1) windows. */
  maxValueInWindow(user: string, clientId: string): number {
    const r = this.quotas.hasAny(this.key) ? this.resolve(user, clientId) : null;
    return r === null ? Infinity : (r.limit * (this.window.samples - 1) * this.window.windowMs) / 1000;
  }

  /** The observed rate of the client's quota (tests, metrics); 0 when unlimited. */
  observed(user: string, clientId: string, nowMs: number): number {
    const r = this.quotas.hasAny(this.key) ? this.resolve(user, clientId) : null;
    return r === null ? 0 : (this.rates.get(r.tags)?.measure(nowMs) ?? 0);
  }

  private rate(tags: string, nowMs: number): WindowedRate {
    let rate = this.rates.get(tags);
    if (rate) return rate;
    this.sweep(nowMs);
    rate = new WindowedRate(this.window);
    this.rates.set(tags, rate);
    return rate;
  }

  /** Drops rates idle for the whole window span: every sample would start over empty anyway. */
  private sweep(nowMs: number): void {
    const span = this.window.samples * this.window.windowMs;
    if (nowMs - this.lastSweepMs < span) return;
    this.lastSweepMs = nowMs;
    for (const [k, r] of this.rates) if (nowMs - r.lastEventMs >= span) this.rates.delete(k);
  }
}

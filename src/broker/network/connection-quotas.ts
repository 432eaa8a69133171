/**
 * Connection limits, as Kafka's SocketServer ConnectionQuotas applies them at accept time:
 *
 *  - `max.connections.per.ip` and `max.connections.per.ip.overrides` (host:count,...): a new
 *    connection from an address that already has its maximum is closed at once.
 *  - `max.connections` (broker-wide) and `listener.name.<l>.max.connections` (falling back to the
 *    broker-wide value, as Kafka's prefixed override does): when a listener has no slot, its
 *    acceptor waits until a connection closes or the limit is raised; the new connection is not
 *    refused, it waits unanswered as in the kernel backlog. The inter-broker listener
 *    (`inter.broker.listener.name`, else the one named after `security.inter.broker.protocol`) is
 *    protected when there are several listeners: it ignores the broker-wide limit, and when the
 *    broker holds more than `max.connections`, the least recently used connection of another
 *    listener is closed (also after the limit is lowered dynamically).
 *  - `max.connection.creation.rate` (broker-wide, not for the protected listener) and
 *    `listener.name.<l>.max.connection.creation.rate` (falling back to the broker-wide value):
 *    a rate over Kafka's sample windows (`quota.window.num` samples of `quota.window.size.seconds`);
 *    a connection that takes the rate above the limit holds its listener's acceptor for
 *    (rate - limit) / limit of the measured window, at most one window.
 *
 * Differences from Kafka (see README, Security): Node's listening socket cannot stop accepting,
 * so a "blocked" listener takes the TCP connection and keeps it unread (up to
 * `socket.listen.backlog.size` waiting per listener; past that a new one is closed); a waiting
 * connection is counted only when it is let through. Overrides naming a host name are resolved
 * once per value (until then only literal addresses apply). The per-IP creation rate, a client
 * quota in Kafka (`connection_creation_rate` on an ip entity), is applied here
 * (updateIpConnectionRateQuota) but set by whoever serves AlterClientQuotas.
 *
 * Every value is read from the broker config when it is needed, so dynamic updates
 * (IncrementalAlterConfigs) apply to the next connection; configChanged() wakes waiting
 * listeners and closes connections above a lowered `max.connections`.
 */
import { lookup } from 'node:dns';
import { isIP, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { listenerValue, type ConfigReader } from '../config/listeners.js';

const UNLIMITED = 2147483647;
/** Per-address rate sensors kept before idle ones are dropped. */
const MAX_IP_SENSORS = 10_000;

/** Kafka's Rate over SampledStat windows, for one sensor: record() answers the throttle time. */
export class RateSensor {
  private samples: Array<{ start: number; count: number }> = [];
  /** When the last event was recorded. */
  lastRecord = 0;

  constructor(private readonly windowMs: () => number, private readonly numSamples: () => number) {}

  /** Records one event at `now`; returns the delay (ms) Kafka's quota asks for, 0 when within `limit`. */
  record(now: number, limit: number): number {
    const windowMs = this.windowMs();
    const n = this.numSamples();
    this.lastRecord = now;
    let cur = this.samples[this.samples.length - 1];
    if (!cur || now >= cur.start + windowMs) {
      cur = { start: now, count: 0 };
      this.samples.push(cur);
    }
    // Kafka purges samples that ended more than `samples` windows ago.
    this.samples = this.samples.filter((s) => s.start + n * windowMs > now);
    cur.count += 1;
    if (limit >= UNLIMITED) return 0;
    const total = this.samples.reduce((sum, s) => sum + s.count, 0);
    let elapsed = now - this.samples[0]!.start;
    const full = Math.floor(elapsed / windowMs);
    if (full < n - 1) elapsed += (n - 1 - full) * windowMs;
    const rate = total / (elapsed / 1000);
    if (rate <= limit) return 0;
    const throttle = limit === 0 ? Infinity : ((rate - limit) / limit) * elapsed;
    return Math.min(Math.round(throttle), windowMs);
  }

  /** Takes back one recorded event (a connection refused after it was recorded). */
  unrecord(): void {
    const cur = this.samples[this.samples.length - 1];
    if (cur && cur.count > 0) cur.count -= 1;
  }
}

/** An accepted TCP connection while it counts. */
interface Tracked {
  listener: string;
  address: string;
  raw: Socket;
  /** When data last arrived (the LRU order of Kafka's selector). */
  lastUsed: number;
  /** The socket the broker reads (the TLS socket on a TLS listener), once known. */
  app: Socket | null;
  /** Closed by enforceMax, its 'close' not yet seen. */
  closing: boolean;
}

interface Waiting {
  raw: Socket;
  address: string;
  start: () => void;
  /** Set once the creation rate was recorded: the time the listener's acceptor waits until. */
  throttledUntil?: number;
}

interface ListenerState {
  name: string;
  count: number;
  waiting: Waiting[];
  rate: RateSensor;
  timer: NodeJS.Timeout | null;
}

/** The address as Kafka's InetAddress compares it: an IPv4-mapped IPv6 address is the IPv4 one. */
export function normaliseAddress(a: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return (m ? m[1]! : a).toLowerCase();
}

/** max.connections.per.ip.overrides as host -> count (the syntax was checked when the value was set). */
export function parseIpOverrides(value: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of value.split(',')) {
    const e = entry.trim();
    if (e === '') continue;
    const colon = e.lastIndexOf(':');
    if (colon < 0) continue;
    const host = e.slice(0, colon).trim().replace(/^\[|\]$/g, '');
    const count = Number(e.slice(colon + 1).trim());
    if (Number.isInteger(count)) out.set(host, count);
  }
  return out;
}

export interface ConnectionQuotasOptions {
  config: ConfigReader & { int(name: string): number };
  /** The inter-broker listener's name (protected from max.connections), or null. */
  interBrokerListener: string | null;
  log: Logger;
  now?: () => number;
}

export class ConnectionQuotas {
  private readonly listeners = new Map<string, ListenerState>();
  private readonly perIp = new Map<string, number>();
  private readonly tracked = new Map<Socket, Tracked>();
  private readonly byEndpoint = new Map<string, Tracked>();
  private total = 0;
  private readonly brokerRate: RateSensor;
  private overridesValue = '';
  private readonly ipRates = new Map<string, number>();
  private defaultIpRate = UNLIMITED;
  private readonly ipSensors = new Map<string, RateSensor>();
  private overrides = new Map<string, number>();
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly opts: ConnectionQuotasOptions) {
    this.now = opts.now ?? Date.now;
    this.brokerRate = this.sensor();
  }

  private sensor(): RateSensor {
    return new RateSensor(
      () => this.opts.config.int('quota.window.size.seconds') * 1000,
      () => this.opts.config.int('quota.window.num'),
    );
  }

  addListener(name: string): void {
    if (!this.listeners.has(name)) this.listeners.set(name, { name, count: 0, waiting: [], rate: this.sensor(), timer: null });
  }

  /** Connections counted now: total, per listener and per address (for tests and logs). */
  counts(): { total: number; listeners: Record<string, number>; waiting: Record<string, number> } {
    const listeners: Record<string, number> = {};
    const waiting: Record<string, number> = {};
    for (const l of this.listeners.values()) {
      listeners[l.name] = l.count;
      waiting[l.name] = l.waiting.length;
    }
    return { total: this.total, listeners, waiting };
  }

  private listenerInt(listener: string, key: string): number {
    const c = this.opts.config;
    const v = listenerValue((k) => c.get(k), (k) => c.isSet(k), listener, key);
    const n = v === null ? UNLIMITED : Number(v);
    return Number.isFinite(n) ? n : UNLIMITED;
  }

  private isProtected(listener: string): boolean {
    return this.opts.interBrokerListener === listener && this.listeners.size > 1;
  }

  private slotAvailable(l: ListenerState): boolean {
    if (l.count >= this.listenerInt(l.name, 'max.connections')) return false;
    if (this.isProtected(l.name)) return true;
    return this.total < this.opts.config.int('max.connections');
  }

  private maxForAddress(address: string): number {
    const value = this.opts.config.get('max.connections.per.ip.overrides') ?? '';
    if (value !== this.overridesValue) this.loadOverrides(value);
    return this.overrides.get(address) ?? this.opts.config.int('max.connections.per.ip');
  }

  /** Literal addresses apply at once; host names once resolved (Kafka resolves them when configured). */
  private loadOverrides(value: string): void {
    this.overridesValue = value;
    const next = new Map<string, number>();
    for (const [name, count] of parseIpOverrides(value)) {
      const host = name === '' ? 'localhost' : name; // Java's InetAddress.getByName("") is the loopback address
      if (isIP(host) !== 0) {
        next.set(normaliseAddress(host), count);
        continue;
      }
      lookup(host, { all: true }, (err, addresses) => {
        if (err || this.overridesValue !== value) {
          if (err) this.opts.log.warn({ host, err: err.message }, 'max.connections.per.ip.overrides: host name does not resolve');
          return;
        }
        for (const a of addresses) if (!this.overrides.has(normaliseAddress(a.address))) this.overrides.set(normaliseAddress(a.address), count);
      });
    }
    this.overrides = next;
  }

  /**
   * A new TCP connection on `listener` (its socket not yet read): `start` runs once the limits let
   * it through, now or later; or the socket is closed.
   */
  accept(listener: string, raw: Socket, start: () => void): void {
    const l = this.listeners.get(listener);
    if (!l || this.closed) {
      raw.destroy();
      return;
    }
    const address = normaliseAddress(raw.remoteAddress ?? '?');
    const backlog = this.opts.config.int('socket.listen.backlog.size');
    if (l.waiting.length >= backlog) {
      this.opts.log.info({ listener, remote: address, waiting: l.waiting.length }, 'connection closed: listener blocked by connection limits and its backlog is full');
      raw.destroy();
      return;
    }
    const w: Waiting = { raw, address, start };
    l.waiting.push(w);
    raw.once('close', () => {
      const i = l.waiting.indexOf(w);
      if (i >= 0) l.waiting.splice(i, 1);
    });
    this.pump(l);
  }

  /** Lets waiting connections of `l` through while its limits allow, in arrival order. */
  private pump(l: ListenerState): void {
    while (l.waiting.length > 0 && !this.closed) {
      const w = l.waiting[0]!;
      if (w.raw.destroyed) {
        l.waiting.shift();
        continue;
      }
      const now = this.now();
      if (w.throttledUntil === undefined) {
        // Recorded once, when this connection reaches the head: Kafka's acceptor records it, then waits.
        let throttle = l.rate.record(now, this.listenerInt(l.name, 'max.connection.creation.rate'));
        if (!this.isProtected(l.name)) throttle = Math.max(throttle, this.brokerRate.record(now, this.opts.config.int('max.connection.creation.rate')));
        w.throttledUntil = now + throttle;
        if (throttle > 0) this.opts.log.debug({ listener: l.name, throttleMs: throttle }, 'connection creation rate above its limit: acceptor waits');
      }
      if (now < w.throttledUntil) {
        this.wakeAt(l, w.throttledUntil - now);
        return;
      }
      if (!this.slotAvailable(l)) return; // woken by a close or a config change
      l.waiting.shift();
      this.admit(l, w);
    }
  }

  private wakeAt(l: ListenerState, delayMs: number): void {
    if (l.timer) clearTimeout(l.timer);
    l.timer = setTimeout(() => {
      l.timer = null;
      this.pump(l);
    }, delayMs);
    l.timer.unref();
  }

  private admit(l: ListenerState, w: Waiting): void {
    const ipThrottle = this.recordIpConnection(w.address);
    if (ipThrottle > 0) {
      // Kafka: the connection is taken back from the listener's and broker's rates, kept unread and closed after the delay.
      l.rate.unrecord();
      if (!this.isProtected(l.name)) this.brokerRate.unrecord();
      this.opts.log.info({ listener: l.name, remote: w.address, throttleMs: ipThrottle }, `Delaying closing of connection from ${w.address} for ${ipThrottle} ms`);
      const timer = setTimeout(() => w.raw.destroy(), ipThrottle);
      timer.unref();
      w.raw.once('close', () => clearTimeout(timer));
      return;
    }
    const count = this.perIp.get(w.address) ?? 0;
    const max = this.maxForAddress(w.address);
    if (count >= max) {
      this.opts.log.info({ listener: l.name, remote: w.address, max }, `Rejected connection from ${w.address}, address already has the configured maximum of ${max} connections.`);
      w.raw.destroy();
      return;
    }
    this.perIp.set(w.address, count + 1);
    l.count += 1;
    this.total += 1;
    const t: Tracked = { listener: l.name, address: w.address, raw: w.raw, lastUsed: performance.now(), app: null, closing: false };
    this.tracked.set(w.raw, t);
    const endpoint = endpointKey(w.raw);
    this.byEndpoint.set(endpoint, t);
    w.raw.once('close', () => this.release(t, endpoint));
    w.start();
    this.enforceMax();
  }

  /**
   * The connection creation rate of one address (Kafka's `connection_creation_rate` client quota
   * on an `ip` entity, set through AlterClientQuotas): `ip` null sets the default of every address
   * without its own; `rate` null removes the quota. A connection over it is kept unread and closed
   * after the delay the rate asks for (Kafka's ConnectionThrottledException).
   */
  updateIpConnectionRateQuota(ip: string | null, rate: number | null): void {
    if (ip === null) this.defaultIpRate = rate ?? UNLIMITED;
    else if (rate === null) this.ipRates.delete(normaliseAddress(ip));
    else this.ipRates.set(normaliseAddress(ip), rate);
  }

  /** Replaces every address's connection creation rate with these (the client quotas changed). */
  replaceIpConnectionRates(rates: ReadonlyArray<{ ip: string | null; rate: number }>): void {
    this.ipRates.clear();
    this.defaultIpRate = UNLIMITED;
    for (const r of rates) this.updateIpConnectionRateQuota(r.ip, r.rate);
  }

  /** Records a new connection of `address` in its rate; the throttle time (0: within the quota, or no quota). */
  private recordIpConnection(address: string): number {
    const limit = this.ipRates.get(address) ?? this.defaultIpRate;
    if (limit >= UNLIMITED) return 0;
    const now = this.now();
    if (this.ipSensors.size >= MAX_IP_SENSORS) {
      // Sensors of addresses idle for a whole rate window go (Kafka lets them expire).
      const horizon = now - this.opts.config.int('quota.window.num') * this.opts.config.int('quota.window.size.seconds') * 1000;
      for (const [a, sensor] of this.ipSensors) if (sensor.lastRecord < horizon) this.ipSensors.delete(a);
    }
    let sensor = this.ipSensors.get(address);
    if (!sensor) {
      sensor = this.sensor();
      this.ipSensors.set(address, sensor);
    }
    const throttle = sensor.record(now, limit);
    if (throttle > 0) sensor.unrecord();
    return throttle;
  }

  /**
   * The socket the broker reads for an admitted connection (the TLS socket on a TLS listener):
   * its reads mark the connection used (the LRU order), and closing it for the broker-wide limit
   * closes that socket.
   */
  bind(app: Socket): void {
    const t = this.byEndpoint.get(endpointKey(app));
    if (!t) return;
    t.app = app;
    app.prependListener('data', () => {
      t.lastUsed = performance.now();
    });
  }

  private release(t: Tracked, endpoint: string): void {
    if (!this.tracked.delete(t.raw)) return;
    if (this.byEndpoint.get(endpoint) === t) this.byEndpoint.delete(endpoint);
    const c = (this.perIp.get(t.address) ?? 1) - 1;
    if (c <= 0) this.perIp.delete(t.address);
    else this.perIp.set(t.address, c);
    const l = this.listeners.get(t.listener);
    if (l) l.count -= 1;
    this.total -= 1;
    this.pumpAll();
  }

  private pumpAll(): void {
    for (const l of this.listeners.values()) this.pump(l);
  }

  /**
   * Above max.connections (the protected listener took a slot, or the limit was lowered): close the
   * least recently used connection of a listener that is not protected, until within the limit.
   */
  private enforceMax(): void {
    const max = this.opts.config.int('max.connections');
    let closing = 0;
    for (const t of this.tracked.values()) if (t.closing) closing += 1;
    let excess = this.total - closing - max;
    if (excess <= 0) return;
    const candidates = [...this.tracked.values()].filter((t) => !t.closing && !this.isProtected(t.listener)).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const t of candidates) {
      if (excess <= 0) break;
      this.opts.log.info({ listener: t.listener, remote: t.address, max }, 'closing the least recently used connection: the broker holds more than max.connections');
      t.closing = true;
      (t.app ?? t.raw).destroy();
      excess -= 1;
    }
  }

  /** Dynamic configs changed: waiting listeners may go on, a lowered max.connections closes connections. */
  configChanged(): void {
    this.enforceMax();
    this.pumpAll();
  }

  close(): void {
    this.closed = true;
    for (const l of this.listeners.values()) {
      if (l.timer) clearTimeout(l.timer);
      for (const w of l.waiting) w.raw.destroy();
      l.waiting.length = 0;
    }
  }
}

function endpointKey(s: Socket): string {
  return `${s.localPort ?? 0}|${normaliseAddress(s.remoteAddress ?? '?')}|${s.remotePort ?? 0}`;
}

/**
 * What one request knows of quotas (RequestContext.quota): who the client is for quota purposes,
 * its size, and the throttling it has earned. The router creates it and, once the handler has
 * answered, records the request's time against request_percentage (unless the handler did, or
 * the request is exempt), puts the throttle time in the response's throttle_time_ms and hands
 * the connection a mute deadline.
 *
 * As Kafka's broker does (for every response version: only the client decides, by version,
 * whether to back off as well, KIP-219), the response goes out at once and the connection is muted
 * until the throttle time has passed: no further request of it is read.
 */
import type { BrokerQuotas } from './quotas.js';
import { quotaUser } from './entity.js';

/** Request-quota exempt APIs: inter-broker (ClusterAction) and the SASL exchange. */
const EXEMPT: ReadonlySet<number> = new Set([7, 17, 27, 36, 56]);

/** Request time in ms -> percentage of one thread's second (Kafka's nanosToPercentage). */
const MS_TO_PERCENTAGE = 100 / 1000;

export class RequestQuota {
  private userName: string | undefined;
  readonly clientId: string;
  /** The request frame's size (what producer_byte_rate counts). */
  readonly bytes: number;
  private readonly started: number;
  private requestThrottle: number | undefined;
  private exempt: boolean;
  /** The longest throttle any quota asked for, in ms. */
  throttleMs = 0;

  constructor(
    private readonly quotas: BrokerQuotas,
    apiKey: number,
    private readonly principal: string,
    clientId: string | null,
    bytes: number,
    private readonly now: () => number,
  ) {
    this.clientId = clientId ?? '';
    this.bytes = bytes;
    this.exempt = EXEMPT.has(apiKey);
    this.started = quotas.request.enabled && !this.exempt ? performance.now() : -1;
  }

  /** The principal's name, as quotas name users (computed when a quota asks). */
  get user(): string {
    return (this.userName ??= quotaUser(this.principal));
  }

  get brokerQuotas(): BrokerQuotas {
    return this.quotas;
  }

  /** Mutes the connection for at least `ms` from now. */
  throttle(ms: number): void {
    if (ms > this.throttleMs) this.throttleMs = ms;
  }

  /** Not measured against request_percentage (a follower's fetch, as Kafka exempts replication). */
  exemptFromRequestQuota(): void {
    this.exempt = true;
  }

  /**
   * Records the request's handling time so far (minus `excludeMs`, time spent waiting in a long
   * poll) against request_percentage, once; returns its throttle time (0 when none applies).
   */
  requestThrottleMs(excludeMs = 0): number {
    if (this.requestThrottle !== undefined) return this.requestThrottle;
    if (this.exempt || this.started < 0) return (this.requestThrottle = 0);
    const ms = Math.max(0, performance.now() - this.started - excludeMs);
    this.requestThrottle = this.quotas.request.record(this.user, this.clientId, ms * MS_TO_PERCENTAGE, this.now());
    this.throttle(this.requestThrottle);
    return this.requestThrottle;
  }
}

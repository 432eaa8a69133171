/**
 * Byte-rate quotas as the Produce and Fetch handlers apply them (Kafka's KafkaApis):
 *
 * - Produce: the request's size counts against producer_byte_rate and its handling time against
 *   request_percentage (not with acks=0, which has no response); throttle_time_ms is the longer
 *   of the two throttles, and the connection is muted for it (with acks=0 too).
 * - Fetch (consumers; a follower's fetch is replication, never a client quota): the response's
 *   record bytes count against consumer_byte_rate. A fetch throttled by either quota takes its
 *   bytes back and answers with no partitions, only the throttle time, and the connection is muted.
 *   A fetch asks for no more than the quota allows in (samples - 1) windows.
 */
import type { RequestContext } from './handler.js';

export function produceThrottleMs(ctx: RequestContext, acks: number): number {
  const q = ctx.quota;
  const bandwidth = q.brokerQuotas.produce.record(q.user, q.clientId, q.bytes, ctx.broker.now());
  const request = acks === 0 ? 0 : q.requestThrottleMs();
  if (acks === 0) q.exemptFromRequestQuota();
  const ms = Math.max(bandwidth, request);
  q.throttle(ms);
  return ms;
}

/** The fetch's max_bytes, bounded by what the consumer's quota allows in one window span. */
export function fetchMaxBytes(ctx: RequestContext, maxBytes: number): number {
  const q = ctx.quota;
  return Math.min(maxBytes, Math.floor(q.brokerQuotas.fetch.maxValueInWindow(q.user, q.clientId)));
}

/**
 * Records a consumer fetch's response bytes; returns the throttle time (0: answer as read; else
 * answer with nothing, the bytes taken back). `waitedMs`: time spent in the long poll, not
 * counted as request time.
 */
export function fetchThrottleMs(ctx: RequestContext, responseBytes: number, waitedMs: number): number {
  const q = ctx.quota;
  const fetch = q.brokerQuotas.fetch;
  const now = ctx.broker.now();
  const bandwidth = fetch.record(q.user, q.clientId, responseBytes, now);
  const request = q.requestThrottleMs(waitedMs);
  const ms = Math.max(bandwidth, request);
  if (ms > 0) {
    fetch.unrecord(q.user, q.clientId, responseBytes, now);
    q.throttle(ms);
  }
  return ms;
}

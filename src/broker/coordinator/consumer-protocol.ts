/**
 * Reading the "consumer" protocol's subscription (ConsumerProtocolSubscription v0-v3: version
 * int16, topics [string], userData bytes?, then ownedPartitions, generationId, rackId in later
 * versions). The coordinator only needs the topic names (OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC,
 * expiry of offsets of unsubscribed topics). The bytes come from clients: garbage yields null.
 */
import { Reader } from '../../protocol/primitives/index.js';

/** The subscribed topics, or null when the bytes are not a readable subscription. */
export function subscribedTopics(metadata: Buffer): string[] | null {
  try {
    const r = new Reader(metadata);
    const version = r.readInt16();
    if (version < 0) return null;
    const n = r.readArrayLength(2);
    if (n < 0) return null;
    const topics: string[] = [];
    for (let i = 0; i < n; i++) topics.push(r.readString());
    return topics;
  } catch {
    return null;
  }
}

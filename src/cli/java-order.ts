/**
 * The order Java's HashMap iterates its keys in, for output Kafka's tools print straight from one
 * (a topic's configs in kafka-topics --describe): by bucket (the key's String.hashCode, its high
 * half folded into the low, modulo the table size), then in insertion order. The table starts at
 * 16 buckets and doubles whenever it holds more than three quarters of its size.
 */

/** Java's String.hashCode over UTF-16 code units, as a 32-bit integer. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** The table size a HashMap built by putting `entries` keys one by one ends up with. */
export function javaHashMapCapacity(entries: number): number {
  let cap = 16;
  while (entries > cap * 0.75) cap *= 2;
  return cap;
}

/**
 * `items` in the order a HashMap holding `total` keys (items among them, put in this order) would
 * iterate them.
 */
export function javaHashMapOrder<T>(items: readonly T[], key: (t: T) => string, total = items.length): T[] {
  const cap = javaHashMapCapacity(total);
  const bucket = (t: T): number => {
    const h = javaStringHash(key(t));
    return (h ^ (h >>> 16)) & (cap - 1);
  };
  return items.map((t, i) => ({ t, i, b: bucket(t) })).sort((x, y) => x.b - y.b || x.i - y.i).map((x) => x.t);
}

/** Java's TopicPartition.hashCode. */
export function javaTopicPartitionHash(topic: string, partition: number): number {
  return (Math.imul(31, 31 + partition) + javaStringHash(topic)) | 0;
}

/** As javaHashMapOrder, for keys whose Java hashCode is `hash` (Integer: the value; TopicPartition: javaTopicPartitionHash). */
export function javaHashMapOrderByHash<T>(items: readonly T[], hash: (t: T) => number, total = items.length): T[] {
  const cap = javaHashMapCapacity(total);
  const bucket = (t: T): number => {
    const h = hash(t);
    return (h ^ (h >>> 16)) & (cap - 1);
  };
  return items.map((t, i) => ({ t, i, b: bucket(t) })).sort((x, y) => x.b - y.b || x.i - y.i).map((x) => x.t);
}

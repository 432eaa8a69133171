/**
 * The iteration order of a java.util.HashMap, for answers and tool output that list entries in
 * the order Kafka's (Java) code does: by bucket of the final table, then insertion order.
 */
/** Java's String.hashCode over UTF-16 code units: s[0]*31^(n-1) + ... + s[n-1], in int32. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Java's String.hashCode of a possibly null string (null: 0). */
export function javaHash(s: string | null): number {
  return s === null ? 0 : javaStringHashCode(s);
}

/**
 * The order a java.util.HashMap created with `new HashMap<>(n)` and filled with these keys (in
 * this order, distinct) iterates them: by bucket of the final table, then insertion order.
 * `minCapacity`: a map created otherwise (`new HashMap<>()` starts at 16 buckets).
 */
export function javaHashMapOrder<T>(items: readonly T[], hashOf: (item: T) => number, minCapacity = 1): T[] {
  const n = items.length;
  // tableSizeFor(n), then doubled while the size is above the threshold (0.75 of the table).
  let cap = minCapacity;
  while (cap < Math.max(n, 1)) cap *= 2;
  while (n > Math.floor(cap * 0.75)) cap *= 2;
  return items
    .map((item, i) => {
      const h = hashOf(item);
      return { item, i, bucket: (h ^ (h >>> 16)) & (cap - 1) };
    })
    .sort((a, b) => a.bucket - b.bucket || a.i - b.i)
    .map((x) => x.item);
}


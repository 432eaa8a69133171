/** Java's String.hashCode over UTF-16 code units: s[0]*31^(n-1) + ... + s[n-1], in int32. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The __consumer_offsets partition of a group, as Kafka computes it:
 * Utils.abs(groupId.hashCode) % partitions, where Utils.abs(n) is `n & 0x7fffffff` (so
 * Integer.MIN_VALUE maps to 0 rather than staying negative).
 */
export function partitionForGroup(groupId: string, partitions: number): number {
  return (javaStringHashCode(groupId) & 0x7fffffff) % partitions;
}

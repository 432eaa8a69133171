import { javaStringHashCode } from '../../util/java-hash-map.js';

export { javaStringHashCode };

/**
 * The __consumer_offsets partition of a group, as Kafka computes it:
 * Utils.abs(groupId.hashCode) % partitions, where Utils.abs(n) is `n & 0x7fffffff` (so
 * Integer.MIN_VALUE maps to 0 rather than staying negative).
 */
export function partitionForGroup(groupId: string, partitions: number): number {
  return (javaStringHashCode(groupId) & 0x7fffffff) % partitions;
}

/**
 * How Kafka's Java/Scala tools print some values, for output that matches theirs line for line:
 * Double.toString, and the iteration order of a java.util.HashMap (which decides the order of
 * entities and keys in `kafka-configs --describe` of quotas).
 */
import { javaHash } from '../util/java-hash-map.js';

export { javaHash, javaHashMapOrder } from '../util/java-hash-map.js';

/** Java's Double.toString: "1024.0", "12.5", "1.048576E7", "1.0E-4". */
export function javaDouble(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e7) {
    const s = String(v);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exp] = v.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exp.startsWith('+') ? exp.slice(1) : exp}`;
}

/**
 * The order Kafka's tool sees the keys of --add-config in: they go through java.util.Properties,
 * whose table is a ConcurrentHashMap (16 buckets for a few keys): by bucket, then insertion order.
 */
export function javaPropertiesOrder(keys: readonly string[]): string[] {
  let cap = 16;
  while (keys.length >= cap * 0.75) cap *= 2;
  return keys
    .map((k, i) => {
      const h = javaHash(k);
      return { k, i, bucket: (h ^ (h >>> 16)) & 0x7fffffff & (cap - 1) };
    })
    .sort((a, b) => a.bucket - b.bucket || a.i - b.i)
    .map((x) => x.k);
}

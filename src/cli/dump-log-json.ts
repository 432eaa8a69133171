/**
 * Compact JSON as Kafka's tools print it (Jackson's ObjectNode.toString): keys in insertion order,
 * int64 values as exact integers (bigint), bytes as standard base64 strings.
 */
export type JsonValue = string | number | bigint | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export function toJson(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`)
    .join(',')}}`;
}

/** A Kafka Uuid as its toString prints it: url-safe base64 without padding. */
export function uuidString(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/**
 * Kafka 4.x lets the OAuth code read only the URLs and files listed in the JVM system properties
 * `org.apache.kafka.sasl.oauthbearer.allowed.urls` and `...allowed.files` (comma-separated, exact
 * matches; empty by default: nothing allowed). Tributary reads the same properties from the
 * `-Dname=value` flags of the KAFKA_OPTS environment variable, where Kafka's scripts pass them
 * to the JVM.
 */
export const ALLOWED_URLS = 'org.apache.kafka.sasl.oauthbearer.allowed.urls';
export const ALLOWED_FILES = 'org.apache.kafka.sasl.oauthbearer.allowed.files';

/** The `-Dname=value` flags of a JVM options string (quotes around a flag or value are removed). */
export function systemPropertiesOf(opts: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!opts) return out;
  for (const m of opts.matchAll(/(?:^|\s)["']?-D([^=\s"']+)=("[^"]*"|'[^']*'|\S*)/g)) {
    let v = m[2]!;
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    out.set(m[1]!, v.replace(/["']$/, ''));
  }
  return out;
}

/** Throws unless `resource` is one of the entries of the system property `property`. */
export function checkAllowed(props: ReadonlyMap<string, string>, property: string, kind: 'URL' | 'file', resource: string): void {
  const allowed = new Set((props.get(property) ?? '').split(',').map((s) => s.trim()));
  if (!allowed.has(resource)) {
    throw new Error(`The ${kind} ${resource} cannot be accessed due to restrictions. Update the system property '${property}' to allow the ${kind} to be accessed (Tributary reads it from KAFKA_OPTS as -D${property}=...).`);
  }
}

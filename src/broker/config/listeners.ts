/** A parsed listener: `PLAINTEXT://host:port` (host may be empty: all interfaces). */
export interface ListenerSpec {
  name: string;
  host: string;
  port: number;
}

/** Read access to configs (the broker's, or as a pending change would make them). */
export interface ConfigReader {
  get(key: string): string | null;
  isSet(key: string): boolean;
}

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
const PROTOCOLS: ReadonlySet<string> = new Set(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']);

export function parseListeners(items: readonly string[]): ListenerSpec[] {
  return items.map((s) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*):\/\/(\[[^\]]*\]|[^:\/]*):(\d+)$/.exec(s.trim());
    if (!m) throw new Error(`listener ${JSON.stringify(s)} is not of the form NAME://host:port`);
    const port = Number(m[3]);
    if (port > 65535) throw new Error(`listener ${s}: port ${port} is out of range`);
    return { name: m[1]!.toUpperCase(), host: m[2]!.replace(/^\[|\]$/g, ''), port };
  });
}

/**
 * listener.security.protocol.map (`NAME:PROTOCOL,...`) as a map. As in Kafka, a listener named
 * after a security protocol uses that protocol when the map does not name it.
 */
export function parseProtocolMap(items: readonly string[]): Map<string, SecurityProtocol> {
  const out = new Map<string, SecurityProtocol>();
  for (const item of items) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*):([A-Za-z_]+)$/.exec(item.trim());
    if (!m) throw new Error(`listener.security.protocol.map entry ${JSON.stringify(item)} is not of the form NAME:PROTOCOL`);
    const protocol = m[2]!.toUpperCase();
    if (!PROTOCOLS.has(protocol)) throw new Error(`listener.security.protocol.map: unknown security protocol ${m[2]} (one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)`);
    out.set(m[1]!.toUpperCase(), protocol as SecurityProtocol);
  }
  return out;
}

/** The security protocol of a listener name, or an error naming the missing map entry. */
export function securityProtocolOf(name: string, map: ReadonlyMap<string, SecurityProtocol>): SecurityProtocol {
  const p = map.get(name) ?? (PROTOCOLS.has(name) ? (name as SecurityProtocol) : undefined);
  if (!p) throw new Error(`No security protocol defined for listener ${name} (add it to listener.security.protocol.map)`);
  return p;
}

/** Kafka's per-listener prefix: `listener.name.<lowercased name>.`. */
export function listenerPrefix(name: string): string {
  return `listener.name.${name.toLowerCase()}.`;
}

/** A key of one listener: `listener.name.<l>.<key>` when set, else the broker-wide `<key>`. */
export function listenerValue(get: (key: string) => string | null, isSet: (key: string) => boolean, listener: string, key: string): string | null {
  const prefixed = listenerPrefix(listener) + key;
  if (isSet(prefixed)) return get(prefixed);
  return get(key);
}

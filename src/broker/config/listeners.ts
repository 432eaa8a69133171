/** A parsed listener: `PLAINTEXT://host:port` (host may be empty: all interfaces). */
export interface ListenerSpec {
  name: string;
  host: string;
  port: number;
}

export function parseListeners(items: readonly string[]): ListenerSpec[] {
  return items.map((s) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*):\/\/(\[[^\]]*\]|[^:\/]*):(\d+)$/.exec(s.trim());
    if (!m) throw new Error(`listener ${JSON.stringify(s)} is not of the form NAME://host:port`);
    const port = Number(m[3]);
    if (port > 65535) throw new Error(`listener ${s}: port ${port} is out of range`);
    return { name: m[1]!.toUpperCase(), host: m[2]!.replace(/^\[|\]$/g, ''), port };
  });
}

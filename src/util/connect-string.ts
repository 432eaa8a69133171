/**
 * `etcd.connect` (and `zookeeper.connect`, accepted as the same key): `host:port[,host:port...][/chroot]`,
 * as Kafka's ZooKeeper connect string. The chroot is the key prefix the cluster's keys live under, so
 * several clusters can share one etcd; without one, keys start at the root.
 */
export interface ConnectString {
  /** etcd client URLs (http://host:port). */
  endpoints: string[];
  /** The key prefix, ending with '/' (empty for the root). */
  prefix: string;
}

export function parseConnectString(spec: string): ConnectString {
  const text = spec.trim();
  if (text === '') throw new RangeError('etcd.connect is empty');
  const slash = text.indexOf('/');
  const hosts = slash >= 0 ? text.slice(0, slash) : text;
  const chroot = slash >= 0 ? text.slice(slash) : '';
  const endpoints = hosts.split(',').map((h) => {
    const hostPort = h.trim();
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(hostPort);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new RangeError(`etcd.connect: "${hostPort}" is not host:port`);
    return `http://${m[1]}:${m[2]}`;
  });
  if (chroot !== '' && chroot !== '/' && !/^(\/[A-Za-z0-9._-]+)+\/?$/.test(chroot)) throw new RangeError(`etcd.connect: "${chroot}" is not a chroot path`);
  const trimmed = chroot.replace(/\/+$/, '');
  return { endpoints, prefix: trimmed === '' ? '' : `${trimmed.slice(1)}/` };
}

/**
 * The connections of a client that talks to a whole cluster (producer, consumer): one for metadata
 * (and FindCoordinator, InitProducerId), and one per broker, by node id, as the metadata names them.
 * A connection that closed is opened again on next use. (The admin client keeps its own: see admin.ts.)
 *
 * `bootstrap` is one `host:port` or several, comma-separated (bootstrap.servers). The metadata
 * connection goes to the first that answers; when it closes, fails or times out it moves on to the
 * next candidate: the bootstrap servers and every broker the last metadata named, in turn. So a
 * client keeps finding leaders after the broker it bootstrapped from died (kill -9, a pause).
 */
import { ErrorCode } from '../protocol/errors.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import { ApiKey } from '../protocol/messages/index.js';
import { ZERO_UUID } from '../protocol/primitives/index.js';
import { Connection, parseHostPort, type ConnectionOptions, type ResponseOf } from './connection.js';
import { ClientError } from './errors.js';

/** Options of a client that takes `bootstrap` and passes the rest to its connections. */
export type ClientConnectionOptions = Partial<Omit<ConnectionOptions, 'host' | 'port'>>;

/** `host:port[,host:port...]` as bootstrap.servers takes it (RangeError for a bad or empty entry). */
export function parseBootstrap(s: string): Array<{ host: string; port: number }> {
  return s.split(',').map((x) => parseHostPort(x.trim()));
}

type Address = { host: string; port: number };

export class BrokerPool {
  private bootstrapConn: Promise<Connection>;
  private readonly brokers = new Map<number, Address>();
  private readonly conns = new Map<number, Promise<Connection>>();
  /** Where the metadata connection goes next when the current one is gone (rotates). */
  private nextCandidate = 1;

  private constructor(
    private readonly bootstrap: readonly Address[],
    private readonly opts: ClientConnectionOptions,
    first: Connection,
  ) {
    this.bootstrapConn = Promise.resolve(first);
  }

  /** Connects to the first bootstrap server that answers (so wrong addresses fail at once). */
  static async connect(bootstrap: string, opts: ClientConnectionOptions): Promise<BrokerPool> {
    const all = parseBootstrap(bootstrap);
    let last: unknown;
    for (const [i, at] of all.entries()) {
      try {
        const first = await Connection.connect({ ...opts, ...at } as ConnectionOptions);
        const pool = new BrokerPool(all, opts, first);
        pool.nextCandidate = i + 1;
        return pool;
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }

  /**
   * The metadata connection (for metadata, FindCoordinator, InitProducerId): the current one while
   * it is open, else the next candidate that connects (bootstrap servers, then the brokers of the
   * last metadata, round robin). Rejects with the last connect error when none does.
   */
  async bootstrapConnection(): Promise<Connection> {
    const current = this.bootstrapConn;
    const conn = await current.catch(() => null);
    if (conn && !conn.isClosed) return conn;
    if (this.bootstrapConn !== current) return this.bootstrapConnection(); // another caller is reconnecting
    this.bootstrapConn = this.connectCandidate();
    return this.bootstrapConn;
  }

  private async connectCandidate(): Promise<Connection> {
    const seen = new Set<string>();
    const candidates = [...this.bootstrap, ...this.brokers.values()].filter((a) => {
      const k = `${a.host}:${a.port}`;
      return !seen.has(k) && seen.add(k);
    });
    let last: unknown = new Error('no broker to connect to');
    for (let i = 0; i < candidates.length; i++) {
      const at = candidates[(this.nextCandidate + i) % candidates.length]!;
      try {
        const conn = await Connection.connect({ ...this.opts, ...at } as ConnectionOptions);
        this.nextCandidate = (this.nextCandidate + i + 1) % candidates.length;
        return conn;
      } catch (err) {
        last = err;
      }
    }
    this.nextCandidate = (this.nextCandidate + 1) % Math.max(1, candidates.length);
    throw last;
  }

  /** A separate connection to host:port, with this pool's options (the caller closes it). */
  open(host: string, port: number): Promise<Connection> {
    return Connection.connect({ ...this.opts, host, port } as ConnectionOptions);
  }

  /** Metadata for these topics (null: all) from the bootstrap broker; remembers the brokers it names. */
  async metadata(topics: readonly string[] | null, allowAutoTopicCreation = false): Promise<ResponseOf<typeof ApiKey.Metadata>> {
    // A broker that dies or stops answering mid-request: ask the next one, once per candidate.
    const tries = this.bootstrap.length + this.brokers.size;
    for (let attempt = 0; ; attempt++) {
      const conn = await this.bootstrapConnection();
      try {
        const md = await conn.send(ApiKey.Metadata, {
          topics: topics === null ? null : topics.map((name) => ({ topicId: ZERO_UUID, name })),
          allowAutoTopicCreation,
          includeClusterAuthorizedOperations: false,
          includeTopicAuthorizedOperations: false,
        });
        for (const b of md.brokers) this.brokers.set(b.nodeId, { host: b.host, port: b.port });
        return md;
      } catch (err) {
        if (!(err instanceof ClientError && err.retriable) || attempt + 1 >= tries) throw err;
        conn.destroy(); // dead, or silent (paused): the next call moves on to another broker
      }
    }
  }

  /** The connection to a broker of the last metadata. */
  connection(nodeId: number): Promise<Connection> {
    const c = this.conns.get(nodeId);
    if (c) {
      return c.then((conn) => {
        if (!conn.isClosed) return conn;
        if (this.conns.get(nodeId) === c) this.conns.delete(nodeId);
        return this.connection(nodeId);
      });
    }
    const b = this.brokers.get(nodeId);
    if (!b) return Promise.reject(new KafkaProtocolError(ErrorCode.LEADER_NOT_AVAILABLE, `broker ${nodeId} is not in the metadata`));
    const fresh = Connection.connect({ ...this.opts, host: b.host, port: b.port } as ConnectionOptions);
    this.conns.set(nodeId, fresh);
    fresh.catch(() => this.conns.get(nodeId) === fresh && this.conns.delete(nodeId));
    return fresh;
  }

  async close(): Promise<void> {
    const all = await Promise.allSettled([this.bootstrapConn, ...this.conns.values()]);
    await Promise.all(all.map((c) => (c.status === 'fulfilled' ? c.value.close() : undefined)));
  }
}

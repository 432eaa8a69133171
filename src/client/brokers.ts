/**
 * The connections of a client that talks to a whole cluster (producer, consumer): one to the
 * bootstrap broker for metadata, and one per broker, by node id, as the metadata names them. A
 * connection that closed is opened again on next use. (The admin client keeps its own: see admin.ts.)
 */
import { ErrorCode } from '../protocol/errors.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import { ApiKey } from '../protocol/messages/index.js';
import { ZERO_UUID } from '../protocol/primitives/index.js';
import { Connection, parseHostPort, type ConnectionOptions, type ResponseOf } from './connection.js';

/** Options of a client that takes `bootstrap` and passes the rest to its connections. */
export type ClientConnectionOptions = Partial<Omit<ConnectionOptions, 'host' | 'port'>>;

export class BrokerPool {
  private bootstrapConn: Promise<Connection>;
  private readonly brokers = new Map<number, { host: string; port: number }>();
  private readonly conns = new Map<number, Promise<Connection>>();

  private constructor(
    private readonly bootstrap: { host: string; port: number },
    private readonly opts: ClientConnectionOptions,
    first: Connection,
  ) {
    this.bootstrapConn = Promise.resolve(first);
  }

  /** Connects to the bootstrap broker (so a wrong address fails at once). */
  static async connect(bootstrap: string, opts: ClientConnectionOptions): Promise<BrokerPool> {
    const at = parseHostPort(bootstrap);
    const first = await Connection.connect({ ...opts, ...at } as ConnectionOptions);
    return new BrokerPool(at, opts, first);
  }

  /** The bootstrap broker's connection (opened again if it closed), for metadata and FindCoordinator. */
  async bootstrapConnection(): Promise<Connection> {
    const conn = await this.bootstrapConn.catch(() => null);
    if (conn && !conn.isClosed) return conn;
    this.bootstrapConn = Connection.connect({ ...this.opts, ...this.bootstrap } as ConnectionOptions);
    return this.bootstrapConn;
  }

  /** A separate connection to host:port, with this pool's options (the caller closes it). */
  open(host: string, port: number): Promise<Connection> {
    return Connection.connect({ ...this.opts, host, port } as ConnectionOptions);
  }

  /** Metadata for these topics (null: all) from the bootstrap broker; remembers the brokers it names. */
  async metadata(topics: readonly string[] | null, allowAutoTopicCreation = false): Promise<ResponseOf<typeof ApiKey.Metadata>> {
    const conn = await this.bootstrapConnection();
    const md = await conn.send(ApiKey.Metadata, {
      topics: topics === null ? null : topics.map((name) => ({ topicId: ZERO_UUID, name })),
      allowAutoTopicCreation,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    for (const b of md.brokers) this.brokers.set(b.nodeId, { host: b.host, port: b.port });
    return md;
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

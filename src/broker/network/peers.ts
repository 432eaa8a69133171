/**
 * Connections from this broker to the others (Kafka's inter-broker channel): one per peer (and
 * one more per named channel, e.g. the transaction coordinator's), made on first use from the
 * peer's registered address and reused; a failed connection is dropped and
 * made again on the next request. Requests and responses are the Kafka protocol, through the
 * client library's Connection (versions negotiated by ApiVersions), tagged with client id
 * `broker-<id>` so a peer's logs say who asked. Each connection goes to the peer's inter-broker
 * listener with that listener's TLS and the broker's own SASL login (inter-broker.ts).
 */
import { Connection } from '../../client/connection.js';
import type { InterBrokerSecurity } from './inter-broker.js';
import type { SecureContextOptions } from 'node:tls';
import type { ApiKeyNumber, RequestOf, ResponseOf } from '../../protocol/messages/index.js';
import type { PeerSendOptions, Peers } from '../cluster/peers.js';

export interface PeerAddress {
  host: string;
  port: number;
}

export class PeerConnections implements Peers {
  /** By broker id, then by channel ('' the shared one). */
  private readonly conns = new Map<number, Map<string, { address: string; conn: Promise<Connection> }>>();
  private closed = false;

  constructor(
    private readonly selfId: number,
    /** The peer's registered address, or undefined when it is not live. */
    private readonly addressOf: (brokerId: number) => PeerAddress | undefined,
    private readonly requestTimeoutMs: number,
    private security: Pick<InterBrokerSecurity, 'ssl' | 'sasl'> = {},
  ) {}

  private connection(brokerId: number, channel: string, signal?: AbortSignal): Promise<Connection> {
    const a = this.addressOf(brokerId);
    if (!a) return Promise.reject(new Error(`broker ${brokerId} is not registered, or does not advertise the inter-broker listener`));
    const address = `${a.host}:${a.port}`;
    const known = this.conns.get(brokerId)?.get(channel);
    if (known && known.address === address) return known.conn;
    if (known) this.forget(brokerId);
    const conn = Connection.connect({
      host: a.host,
      port: a.port,
      clientId: `broker-${this.selfId}`,
      requestTimeoutMs: this.requestTimeoutMs,
      connectTimeoutMs: Math.min(this.requestTimeoutMs, 10_000),
      ...(this.security.ssl ? { ssl: this.security.ssl } : {}),
      ...(this.security.sasl ? { sasl: this.security.sasl } : {}),
      ...(signal ? { signal } : {}),
    });
    const entry = { address, conn };
    let channels = this.conns.get(brokerId);
    if (!channels) this.conns.set(brokerId, (channels = new Map()));
    channels.set(channel, entry);
    conn.catch(() => {
      if (this.conns.get(brokerId)?.get(channel) === entry) this.conns.get(brokerId)!.delete(channel);
    });
    return conn;
  }

  /**
   * New key and trust stores (a dynamic reload of the inter-broker listener's certificates): the
   * next connections present and trust them; open ones keep their session, as the listener's do.
   */
  reloadTls(context: SecureContextOptions): void {
    if (!this.security.ssl) return;
    const verify = this.security.ssl.checkServerIdentity;
    this.security = { ...this.security, ssl: { ...context, ...(verify ? { checkServerIdentity: verify } : {}) } };
  }

  async send<K extends ApiKeyNumber>(brokerId: number, apiKey: K, request: RequestOf<K>, opts: PeerSendOptions = {}): Promise<ResponseOf<K>> {
    if (this.closed) throw new Error('broker is shutting down');
    const conn = await this.connection(brokerId, opts.channel ?? '', opts.signal);
    try {
      return await conn.send(apiKey, request, { ...(opts.version !== undefined ? { version: opts.version } : {}), ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
    } catch (err) {
      // A dead connection is made again next time; a request-level error leaves it be.
      if (conn.isClosed) this.forget(brokerId);
      throw err;
    }
  }

  forget(brokerId: number): void {
    const channels = this.conns.get(brokerId);
    if (!channels) return;
    this.conns.delete(brokerId);
    for (const known of channels.values()) known.conn.then((c) => c.close(), () => undefined).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.conns.keys()];
    for (const id of all) this.forget(id);
  }
}

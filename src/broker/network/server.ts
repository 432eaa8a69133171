import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import { ANONYMOUS, Connection, type ConnectionLimits, type FrameHandler, type ListenerRuntime } from './connection.js';
import type { ListenerSpec } from '../config/listeners.js';
import type { ListenerTls } from './tls-config.js';
import { mapPrincipal, rfc2253, type MappingRule } from '../security/principal-mapping.js';
import type { ConnectionQuotas } from './connection-quotas.js';

/** One listener to open: where, its protocol and SASL settings, and TLS for SSL and SASL_SSL. */
export interface ListenerSetup extends ListenerSpec {
  runtime: ListenerRuntime;
  tls: ListenerTls | null;
  /** ssl.principal.mapping.rules of the listener (SSL listeners: the principal of a client certificate). */
  principalRules: readonly MappingRule[];
}

/** The socket side of the broker: listens, frames, and hands frames to the router. */
export class NetworkServer {
  private readonly servers: Server[] = [];
  private readonly tlsServers = new Map<string, TlsServer>();
  private readonly connections = new Set<Connection>();
  private nextId = 1;
  /** The bound address of each listener, in the order given (port 0 becomes the real port). */
  readonly bound: ListenerSpec[] = [];

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly handle: FrameHandler,
    private readonly log: Logger,
    /** Connection limits (max.connections and the like); null: none. */
    private readonly quotas: ConnectionQuotas | null = null,
  ) {}

  private readonly setups: ListenerSetup[] = [];

  async listen(listeners: readonly ListenerSetup[]): Promise<void> {
    this.setups.push(...listeners);
    for (const l of listeners) {
      const accept = (socket: Socket, principal: string): void => {
        const conn = new Connection(this.nextId++, socket, l.runtime, principal, this.limits, this.handle, this.log, (c) => this.connections.delete(c));
        this.connections.add(conn);
        this.quotas?.bind(socket);
        this.log.debug({ conn: conn.id, listener: l.name, remote: `${conn.remoteAddress}:${conn.remotePort}`, principal }, 'connection accepted');
      };
      if (l.tls) {
        const tlsServer = createTlsServer(l.tls.server, (socket) => {
          const principal = this.tlsPrincipal(socket, l);
          if (principal === null) {
            socket.destroy();
            return;
          }
          accept(socket, principal);
        });
        tlsServer.on('tlsClientError', (err) => this.log.info({ listener: l.name, err: err.message }, 'TLS handshake failed'));
        this.tlsServers.set(l.name, tlsServer);
      }
      // One TCP server per listener; the connection limits decide when a new socket is read (its
      // TLS handshake included), by handing it to the TLS server or to a Connection.
      const tlsServer = this.tlsServers.get(l.name);
      const start = (raw: Socket): void => {
        if (tlsServer) {
          tlsServer.emit('connection', raw);
        } else {
          accept(raw, ANONYMOUS);
          raw.resume();
        }
      };
      this.quotas?.addListener(l.name);
      const server = createServer({ pauseOnConnect: true }, (raw) => {
        if (this.quotas) this.quotas.accept(l.name, raw, () => start(raw));
        else start(raw);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        const host = l.host === '' ? undefined : l.host;
        server.listen({ port: l.port, host }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.log.error({ err }, 'listener error'));
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : l.port;
      this.bound.push({ name: l.name, host: l.host, port });
      this.servers.push(server);
      this.log.info({ listener: `${l.name}://${l.host}:${port}`, securityProtocol: l.runtime.securityProtocol }, 'listening');
    }
  }

  /**
   * The principal of a TLS connection: on an SSL listener, from the client certificate's subject
   * through ssl.principal.mapping.rules (ANONYMOUS without one); on SASL_SSL, ANONYMOUS until the
   * login. Null: refuse the connection (a certificate that does not verify, or no rule matches).
   */
  private tlsPrincipal(socket: TLSSocket, l: ListenerSetup): string | null {
    const raw = socket.getPeerCertificate(false)?.raw;
    if (!raw || raw.length === 0) return ANONYMOUS;
    if (!socket.authorized) {
      this.log.info({ listener: l.name, remote: socket.remoteAddress, reason: String(socket.authorizationError) }, 'client certificate refused');
      return null;
    }
    if (l.runtime.securityProtocol !== 'SSL') return ANONYMOUS;
    const dn = rfc2253(new X509Certificate(raw).subject);
    const name = mapPrincipal(l.principalRules, dn);
    if (name === null) {
      this.log.info({ listener: l.name, dn }, 'no ssl.principal.mapping.rules rule matches the client certificate');
      return null;
    }
    return `User:${name}`;
  }

  /** Replaces the certificates of a TLS listener without a restart (new connections use them). */
  reloadTls(listener: string, tls: ListenerTls): boolean {
    const server = this.tlsServers.get(listener);
    if (!server) return false;
    server.setSecureContext(tls.server);
    return true;
  }

  /** Connections the limits count, and those waiting for a slot, per listener. */
  connectionCounts(): ReturnType<ConnectionQuotas['counts']> | null {
    return this.quotas?.counts() ?? null;
  }

  async close(): Promise<void> {
    const closing = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    this.quotas?.close();
    for (const c of this.connections) c.destroy();
    for (const l of this.setups) l.runtime.sasl?.oauthValidator?.close();
    await Promise.all(closing);
  }
}

import { createServer, type Server } from 'node:net';
import type { Logger } from 'pino';
import { Connection, type ConnectionLimits, type FrameHandler } from './connection.js';
import type { ListenerSpec } from '../config/listeners.js';

/** The socket side of the broker: listens, frames, and hands frames to the router. */
export class NetworkServer {
  private readonly servers: Server[] = [];
  private readonly connections = new Set<Connection>();
  private nextId = 1;
  /** The bound address of each listener, in the order given (port 0 becomes the real port). */
  readonly bound: ListenerSpec[] = [];

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly handle: FrameHandler,
    private readonly log: Logger,
  ) {}

  async listen(listeners: readonly ListenerSpec[]): Promise<void> {
    for (const l of listeners) {
      const server = createServer((socket) => {
        const conn = new Connection(this.nextId++, socket, l.name, this.limits, this.handle, this.log, (c) => this.connections.delete(c));
        this.connections.add(conn);
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
      this.bound.push({ ...l, port });
      this.servers.push(server);
      this.log.info({ listener: `${l.name}://${l.host}:${port}` }, 'listening');
    }
  }

  async close(): Promise<void> {
    const closing = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const c of this.connections) c.destroy();
    await Promise.all(closing);
  }
}

import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { FrameDecoder } from '../../protocol/framing.js';
import type { ConnectionInfo } from '../context.js';
import type { SecurityProtocol } from '../config/listeners.js';
import { SaslSession, type SaslListenerConfig } from '../security/sasl/session.js';
import { throttleDelay } from './throttle-delay.js';

export const ANONYMOUS = 'User:ANONYMOUS';

/** What a connection knows of its listener. */
export interface ListenerRuntime {
  name: string;
  securityProtocol: SecurityProtocol;
  /** SASL listeners: what logins need. */
  sasl: SaslListenerConfig | null;
}

const PRODUCE_API_KEY = 0;
/** Produce requests of one connection handled at once (a Java producer keeps 5 in flight). */
const MAX_PIPELINED = 16;

/** The router's answer to one frame: bytes to send (in order), nothing (acks=0), or close. */
/** respond: the response frame's chunks, and what to run once the socket has taken them (see RequestContext.afterResponse). */
/** throttleUntil (performance.now() time): a quota's throttle; the connection reads nothing more until then. */
export type FrameResult =
  | { kind: 'respond'; chunks: Buffer[]; written?: () => void; closeAfter?: string; throttleUntil?: number }
  | { kind: 'none'; throttleUntil?: number }
  | { kind: 'close'; reason: string };

export type FrameHandler = (frame: Buffer, conn: ConnectionInfo) => Promise<FrameResult> | FrameResult;

export interface ConnectionLimits {
  /** socket.request.max.bytes: a larger frame closes the connection before it is buffered. */
  maxRequestBytes: number;
  /** queued.max.requests: past this many unprocessed frames the socket stops reading. */
  maxQueuedRequests: number;
  /**
   * TEST SEAM: the principal of a new connection from its listener and address (see
   * BrokerRuntimeOptions.principalBuilder). Absent: User:ANONYMOUS (no authentication yet).
   */
  principalBuilder?: (c: { listenerName: string; remoteAddress: string; remotePort: number }) => string;
}

/**
 * One client connection. Frames are split from the byte stream (protocol/framing.ts) and
 * processed strictly one at a time, in arrival order, as Kafka does: responses go out in request
 * order, and a producer's pipelined batches reach the partition in the order they were sent.
 */
export class Connection implements ConnectionInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly listenerName: string;
  readonly securityProtocol: SecurityProtocol;
  principal: string;
  readonly sasl: SaslSession | null;
  private readonly frames: FrameDecoder;
  private readonly queue: Buffer[] = [];
  /** Answers of started requests, in request order. */
  private readonly inflight: Array<Promise<FrameResult>> = [];
  private inflightAllProduce = true;
  private writing = false;
  private waitingForDrain = false;
  private closed = false;
  private paused = false;
  /** A quota throttle is running: no request is read or started until it ends. */
  private muted = false;
  /**
   * A quota has throttled this connection: from then on its requests run one at a time, as on a
   * Kafka connection, so that a throttle is decided before the next request is read.
   */
  private quotaLimited = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    listener: ListenerRuntime,
    principal: string,
    private readonly limits: ConnectionLimits,
    private readonly handle: FrameHandler,
    private readonly log: Logger,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '?';
    this.remotePort = socket.remotePort ?? 0;
    this.localPort = socket.localPort ?? 0;
    this.listenerName = listener.name;
    this.securityProtocol = listener.securityProtocol;
    this.principal = limits.principalBuilder ? limits.principalBuilder(this) : principal;
    this.sasl = listener.sasl
      ? new SaslSession(listener.sasl, (user) => {
          this.principal = `User:${user}`;
          this.frames.maxFrameBytes = limits.maxRequestBytes;
        })
      : null;
    this.frames = new FrameDecoder({
      // sasl.server.max.receive.size bounds every frame before authentication (CVE-2022-34917).
      maxFrameBytes: listener.sasl ? Math.min(listener.sasl.maxReceiveSize, limits.maxRequestBytes) : limits.maxRequestBytes,
      onFrame: (frame) => this.queue.push(frame),
      onBadSize: (size) => this.close(`request size ${size} is outside 0..${this.frames.maxFrameBytes} (${this.sasl && !this.sasl.authenticated ? 'sasl.server.max.receive.size before authentication' : 'socket.request.max.bytes'})`),
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log.debug({ err, conn: this.id }, 'connection error'));
    socket.on('close', () => {
      this.closed = true;
      this.frames.stop();
      this.queue.length = 0;
      this.onClose(this);
    });
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.frames.push(chunk);
    if (this.closed) return;
    if (this.queue.length > this.limits.maxQueuedRequests && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    this.drain();
  }

  /**
   * Starts handling queued frames. A request normally waits until everything before it on the
   * connection is answered (Kafka's per-connection order). Produce requests are the exception:
   * up to MAX_PIPELINED of them run together, because a producer keeps several in flight. Their
   * order still holds: a handler enqueues its appends on the partition's writer synchronously,
   * before its first await, and handlers start in arrival order.
   */
  private drain(): void {
    while (this.queue.length > 0 && !this.closed && !this.waitingForDrain && !this.muted) {
      const next = this.queue[0]!;
      const isProduce = next.length >= 2 && next.readInt16BE(0) === PRODUCE_API_KEY;
      if (this.inflight.length > 0 && !(isProduce && this.inflightAllProduce && !this.quotaLimited && this.inflight.length < MAX_PIPELINED)) break;
      this.queue.shift();
      if (this.paused && this.queue.length <= this.limits.maxQueuedRequests >>> 1) {
        this.paused = false;
        this.socket.resume();
      }
      this.inflightAllProduce = this.inflight.length === 0 ? isProduce : this.inflightAllProduce && isProduce;
      let result: Promise<FrameResult>;
      try {
        result = Promise.resolve(this.handle(next, this));
      } catch (err) {
        result = Promise.reject(err);
      }
      this.inflight.push(
        result.catch((err: unknown): FrameResult => {
          this.log.error({ err, conn: this.id }, 'request handling failed');
          return { kind: 'close', reason: 'internal error while handling the request' };
        }),
      );
    }
    if (!this.writing && this.inflight.length > 0) void this.writeResponses();
  }

  /** Writes answers strictly in request order, as each one completes. */
  private async writeResponses(): Promise<void> {
    this.writing = true;
    try {
      while (this.inflight.length > 0 && !this.closed) {
        const result = await this.inflight[0]!;
        this.inflight.shift();
        if (this.closed) return;
        if (result.kind === 'close') {
          this.close(result.reason);
          return;
        }
        if (result.kind === 'respond') {
          this.write(result.chunks, result.written);
          if (result.closeAfter !== undefined) {
            this.close(result.closeAfter);
            return;
          }
          // Backpressure: a client that does not read its answers must not make us buffer them
          // without bound. Handle its next request once the socket has drained (Kafka likewise
          // mutes a channel until its response is sent).
          if (this.socket.writableNeedDrain) {
            this.waitingForDrain = true;
            await this.writableDrained();
            this.waitingForDrain = false;
          }
        }
        if (result.throttleUntil !== undefined) await this.throttled(result.throttleUntil);
        this.drain();
      }
    } finally {
      this.writing = false;
    }
  }

  /** Client quotas: the response is out; read nothing more from the client until `until`. */
  private async throttled(until: number): Promise<void> {
    this.muted = true;
    this.quotaLimited = true;
    this.socket.pause();
    await throttleDelay(this.socket, until);
    this.muted = false;
    if (!this.paused && !this.closed) this.socket.resume();
  }

  private writableDrained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  private write(chunks: Buffer[], written?: () => void): void {
    let total = 0;
    for (const c of chunks) total += c.length;
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(total, 0);
    this.socket.cork();
    this.socket.write(len);
    const last = chunks.length - 1;
    // The callback of the last write runs once the whole corked frame has been handed to the kernel
    // (or the write failed and the socket let go of it).
    for (let i = 0; i <= last; i++) this.socket.write(chunks[i]!, i === last ? written : undefined);
    this.socket.uncork();
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.frames.stop();
    this.inflight.length = 0;
    this.log.warn({ conn: this.id, remote: `${this.remoteAddress}:${this.remotePort}`, reason }, 'closing connection');
    this.queue.length = 0;
    this.socket.end();
    this.socket.destroySoon();
  }

  destroy(): void {
    this.closed = true;
    this.frames.stop();
    this.socket.destroy();
  }
}

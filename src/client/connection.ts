/**
 * A connection to one broker: framing, correlation ids, many requests in flight, per-request
 * timeouts and AbortSignals, and ApiVersions negotiation (with the KIP-511 fallback). Producer,
 * consumer and admin clients build on this; each keeps its own connections so a fetch long poll
 * never delays metadata or produce traffic.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { saslClient, type SaslOptions } from './sasl.js';
import { Reader, Writer } from '../protocol/primitives/index.js';
import { FrameDecoder } from '../protocol/framing.js';
import {
  ApiKey,
  apiCodecs,
  apis,
  decodeResponseHeader,
  encodeRequestHeader,
  requestHeaderVersion,
  responseHeaderVersion,
  type ApiCodec,
  type ApiKeyNumber,
  type ApiVersionsResponse,
  type RequestOf,
  type ResponseOf,
} from '../protocol/messages/index.js';
import { ErrorCode } from '../protocol/errors.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import {
  ConnectionClosedError,
  ConnectionError,
  ConnectionTimeoutError,
  ProtocolError,
  RequestAbortedError,
  RequestTimeoutError,
  ResponseTooLargeError,
} from './errors.js';

// Part of the client's API (send's signature); defined with the codecs.
export type { ApiKeyNumber, RequestOf, ResponseOf } from '../protocol/messages/index.js';

/** The version range a broker advertises for one API. */
export interface VersionRange {
  readonly minVersion: number;
  readonly maxVersion: number;
}

export interface ConnectionOptions {
  host: string;
  port: number;
  /** Sent in every request header. Default 'tributary'. */
  clientId?: string | null;
  /** TCP connect plus ApiVersions negotiation. Default 10 s. */
  connectTimeoutMs?: number;
  /** Default per-request timeout (Kafka's request.timeout.ms). Default 30 s. */
  requestTimeoutMs?: number;
  /** Largest response frame accepted; a larger one closes the connection. Default 128 MiB. */
  maxResponseBytes?: number;
  /** Send ApiVersions on connect and choose versions from the answer. Default true. */
  negotiateVersions?: boolean;
  /** ApiVersions v3+ client_software_name / _version. */
  clientSoftwareName?: string;
  clientSoftwareVersion?: string;
  /** Aborts the connection attempt. */
  signal?: AbortSignal;
  /**
   * TLS (security.protocol SSL or SASL_SSL): node:tls options such as `ca`, `cert`, `key`,
   * `passphrase`. The broker's certificate is verified, host name included, unless
   * `rejectUnauthorized: false` or a `checkServerIdentity` of your own says otherwise.
   */
  ssl?: TlsConnectionOptions | true;
  /** A SASL login after ApiVersions (SASL_PLAINTEXT, or SASL_SSL with `ssl`). */
  sasl?: SaslOptions;
}

export interface SendOptions {
  /** An explicit version (tests): used as given, without consulting the broker's ranges. */
  version?: number;
  /** Overrides the connection's requestTimeoutMs for this request. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Whether the broker answers. Default: true, except Produce with acks=0. With false the promise
   * resolves (to undefined) once the request is handed to the socket.
   */
  expectResponse?: boolean;
}

export interface RawSendOptions {
  /**
   * Wait for the response carrying this correlation id (take it from `nextCorrelationId()`) and
   * resolve with the whole response frame, length prefix excluded. Without it, resolves once written.
   */
  correlationId?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

const DEFAULTS = {
  clientId: 'tributary',
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxResponseBytes: 128 * 1024 * 1024,
  clientSoftwareName: 'tributary',
  clientSoftwareVersion: '0.1.0',
};

/** The highest ApiVersions version we send first (the broker falls back per KIP-511). */
const API_VERSIONS_MAX = 4;

interface Pending {
  /** Decodes the frame (header included) and resolves, or rejects on a decode failure. */
  onFrame(frame: Buffer): void;
  reject(err: Error): void;
}

/** Our highest stable version of an API: the codec's max, minus one if the spec marks it unstable. */
export function clientMaxVersion(apiKey: number): number {
  const c = apis.get(apiKey);
  if (!c) throw new RangeError(`unknown API key ${apiKey}`);
  return c.latestVersionUnstable && c.maxVersion > c.minVersion ? c.maxVersion - 1 : c.maxVersion;
}

/**
 * `host:port` as bootstrap.servers takes it: an IPv6 host in brackets, or bare (the last colon
 * starts the port, as in a Connection's `address`). RangeError otherwise.
 */
export function parseHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  const digits = s.slice(i + 1);
  const port = Number(digits);
  if (i <= 0 || !/^\d{1,5}$/.test(digits) || port === 0 || port > 65535) throw new RangeError(`expected host:port, got ${JSON.stringify(s)}`);
  return { host: s.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port };
}

export class Connection {
  private readonly socket: Socket;
  private readonly opts: Required<Omit<ConnectionOptions, 'signal' | 'ssl' | 'sasl'>>;
  private readonly pending = new Map<number, Pending>();
  /** Correlation ids whose caller gave up (timeout, abort): a late answer is dropped quietly. */
  private readonly abandoned = new Set<number>();
  private nextId = 1;
  private versions: Map<number, VersionRange> | null = null;
  private features = new Map<string, number>();
  private closeError: Error | null = null;
  private resolveClosed!: () => void;
  /** Resolves once the socket is closed, for whatever reason. */
  readonly closed: Promise<void>;

  private readonly frames: FrameDecoder;

  private constructor(socket: Socket, opts: Required<Omit<ConnectionOptions, 'signal' | 'ssl' | 'sasl'>>) {
    this.socket = socket;
    this.opts = opts;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.frames = new FrameDecoder({
      maxFrameBytes: opts.maxResponseBytes,
      minFrameBytes: 4,
      onFrame: (frame) => this.dispatch(frame),
      onBadSize: (size) =>
        this.destroy(
          size > opts.maxResponseBytes
            ? new ResponseTooLargeError(`response of ${size} bytes from ${this.address} exceeds maxResponseBytes ${opts.maxResponseBytes}`)
            : new ProtocolError(`response frame of ${size} bytes from ${this.address} is shorter than a response header`),
        ),
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.closeError === null) this.frames.push(chunk);
    });
    socket.on('error', (err) => {
      this.closeError ??= new ConnectionClosedError(`connection to ${this.address} failed: ${err.message}`, { cause: err });
    });
    socket.on('close', () => {
      this.closeError ??= new ConnectionClosedError(`connection to ${this.address} closed by the broker`);
      this.rejectAll(this.closeError);
      this.resolveClosed();
    });
  }

  /**
   * Connects and (unless negotiateVersions is false) negotiates versions with ApiVersions.
   * Accepts options or a 'host:port' string.
   */
  static async connect(target: ConnectionOptions | string, more: Partial<ConnectionOptions> = {}): Promise<Connection> {
    const given: ConnectionOptions = typeof target === 'string' ? { ...parseHostPort(target), ...more } : { ...target, ...more };
    const opts: Required<Omit<ConnectionOptions, 'signal' | 'ssl' | 'sasl'>> = {
      host: given.host,
      port: given.port,
      clientId: given.clientId === undefined ? DEFAULTS.clientId : given.clientId,
      connectTimeoutMs: given.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      requestTimeoutMs: given.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      maxResponseBytes: given.maxResponseBytes ?? DEFAULTS.maxResponseBytes,
      negotiateVersions: given.negotiateVersions ?? true,
      clientSoftwareName: given.clientSoftwareName ?? DEFAULTS.clientSoftwareName,
      clientSoftwareVersion: given.clientSoftwareVersion ?? DEFAULTS.clientSoftwareVersion,
    };
    const address = `${opts.host}:${opts.port}`;
    const deadline = Date.now() + opts.connectTimeoutMs;
    const signal = given.signal;
    if (signal?.aborted) throw new RequestAbortedError(`connecting to ${address} aborted`, { cause: signal.reason });

    const ssl = given.ssl === true ? {} : given.ssl;
    const socket: Socket = ssl
      ? tlsConnect({ ...ssl, host: opts.host, port: opts.port, ...(isIP(opts.host) === 0 && ssl.servername === undefined ? { servername: opts.host } : {}) })
      : netConnect({ host: opts.host, port: opts.port });
    const connectEvent = ssl ? 'secureConnect' : 'connect';
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.off(connectEvent, onConnect);
        socket.off('error', onError);
        if (err) {
          socket.destroy();
          reject(err);
        } else resolve();
      };
      const onConnect = (): void => done();
      const onError = (err: Error): void => done(new ConnectionError(`cannot connect to ${address}: ${err.message}`, { cause: err }));
      const onAbort = (): void => done(new RequestAbortedError(`connecting to ${address} aborted`, { cause: signal?.reason }));
      const timer = setTimeout(
        () => done(new ConnectionTimeoutError(`connecting to ${address} timed out after ${opts.connectTimeoutMs} ms`)),
        opts.connectTimeoutMs,
      );
      socket.once(connectEvent, onConnect);
      socket.once('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
    });

    const conn = new Connection(socket, opts);
    if (opts.negotiateVersions) {
      try {
        await conn.negotiate(Math.max(1, deadline - Date.now()), signal);
      } catch (err) {
        conn.destroy();
        if (err instanceof RequestTimeoutError) {
          throw new ConnectionTimeoutError(`connecting to ${address} timed out during ApiVersions`, { cause: err });
        }
        throw err;
      }
    }
    if (given.sasl) {
      try {
        await conn.authenticate(given.sasl, Math.max(1, deadline - Date.now()), signal);
      } catch (err) {
        conn.destroy();
        throw err;
      }
    }
    return conn;
  }

  /** A SASL login: SaslHandshake v1, then SaslAuthenticate until the mechanism is done. */
  private async authenticate(o: SaslOptions, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    const hs = await this.send(ApiKey.SaslHandshake, { mechanism: o.mechanism }, { version: 1, timeoutMs, ...(signal ? { signal } : {}) });
    if (hs.errorCode !== ErrorCode.NONE) {
      throw new KafkaProtocolError(hs.errorCode, `SASL mechanism ${o.mechanism} refused by ${this.address} (enabled: ${hs.mechanisms.join(', ') || 'none'})`);
    }
    const client = await saslClient(o);
    let token: Buffer | null = client.first();
    while (token !== null) {
      const r = await this.send(ApiKey.SaslAuthenticate, { authBytes: token }, { timeoutMs, ...(signal ? { signal } : {}) });
      if (r.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(r.errorCode, `SASL ${o.mechanism} login to ${this.address} failed: ${r.errorMessage ?? 'no reason given'}`);
      token = client.next(r.authBytes);
    }
  }

  get address(): string {
    return `${this.opts.host}:${this.opts.port}`;
  }

  /** Requests written and still waiting for their response. */
  get inFlight(): number {
    return this.pending.size;
  }

  get isClosed(): boolean {
    return this.closeError !== null;
  }

  /** The broker's advertised ranges by API key, or null when versions were not negotiated. */
  get apiVersions(): ReadonlyMap<number, VersionRange> | null {
    return this.versions;
  }

  /**
   * The broker's finalized features (ApiVersions v3+), by name: the max version level finalized
   * (`transaction.version`, `metadata.version`, `group.version`, ...). Empty without negotiation or
   * from an older broker.
   */
  get finalizedFeatures(): ReadonlyMap<string, number> {
    return this.features;
  }

  /**
   * The version to use for an API: the lowest of our maximum and the broker's. Throws
   * KafkaProtocolError(UNSUPPORTED_VERSION) when the broker does not serve the API or the ranges
   * do not overlap. Without negotiation, our maximum.
   */
  versionFor(apiKey: number): number {
    const ours = apis.get(apiKey);
    if (!ours) throw new RangeError(`unknown API key ${apiKey}`);
    const ourMax = clientMaxVersion(apiKey);
    if (this.versions === null) return ourMax;
    const theirs = this.versions.get(apiKey);
    if (!theirs) {
      throw new KafkaProtocolError(ErrorCode.UNSUPPORTED_VERSION, `broker ${this.address} does not support ${ours.name}`);
    }
    const v = Math.min(ourMax, theirs.maxVersion);
    if (v < Math.max(ours.minVersion, theirs.minVersion)) {
      throw new KafkaProtocolError(
        ErrorCode.UNSUPPORTED_VERSION,
        `no common ${ours.name} version: ours ${ours.minVersion}-${ourMax}, broker's ${theirs.minVersion}-${theirs.maxVersion}`,
      );
    }
    return v;
  }

  /** A fresh correlation id, for building raw frames that sendRaw can match. */
  nextCorrelationId(): number {
    const id = this.nextId;
    this.nextId = this.nextId === 0x7fffffff ? 1 : this.nextId + 1;
    return id;
  }

  /**
   * Sends one request and resolves with its decoded response. Many may be in flight at once;
   * responses are matched by correlation id.
   */
  send<K extends ApiKeyNumber>(apiKey: K, request: RequestOf<K>, options: SendOptions & { expectResponse: false }): Promise<undefined>;
  send<K extends ApiKeyNumber>(apiKey: K, request: RequestOf<K>, options?: SendOptions): Promise<ResponseOf<K>>;
  send<K extends ApiKeyNumber>(apiKey: K, request: RequestOf<K>, options: SendOptions = {}): Promise<ResponseOf<K> | undefined> {
    try {
      if (this.closeError) throw this.closeError;
      const codec = apiCodecs[apiKey] as unknown as ApiCodec<RequestOf<K>, ResponseOf<K>>;
      if (!codec) throw new RangeError(`unknown API key ${apiKey}`);
      const version = options.version ?? this.versionFor(apiKey);
      if (version < codec.minVersion || version > codec.maxVersion) {
        throw new KafkaProtocolError(ErrorCode.UNSUPPORTED_VERSION, `${codec.name} v${version} is outside ${codec.minVersion}-${codec.maxVersion}`);
      }
      const expectResponse =
        options.expectResponse ?? !(apiKey === ApiKey.Produce && (request as RequestOf<typeof ApiKey.Produce>).acks === 0);
      if (options.signal?.aborted) throw new RequestAbortedError(`${codec.name} request aborted`, { cause: options.signal.reason });
      const correlationId = this.nextCorrelationId();
      const w = new Writer(256);
      w.writeInt32(0); // length, patched below
      encodeRequestHeader(
        w,
        { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: this.opts.clientId },
        requestHeaderVersion(apiKey, version),
      );
      codec.encodeRequest(w, request, version);
      const chunks = w.toChunks();
      chunks[0]!.writeInt32BE(w.length - 4, 0);

      if (!expectResponse) return this.write(chunks).then(() => undefined);
      const headerVersion = responseHeaderVersion(apiKey, version);
      const decode = (frame: Buffer): ResponseOf<K> => {
        const r = new Reader(frame);
        decodeResponseHeader(r, headerVersion);
        // KIP-511: a broker that does not know our ApiVersions version answers in v0 format.
        const v = apiKey === ApiKey.ApiVersions && frame.length >= 6 && frame.readInt16BE(4) === ErrorCode.UNSUPPORTED_VERSION ? 0 : version;
        return codec.decodeResponse(r, v);
      };
      return this.request(correlationId, chunks, decode, `${codec.name} v${version}`, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Writes bytes exactly as given (length prefix included: nothing is added), for tests that
   * need malformed or hostile frames. With `correlationId`, resolves with the raw response frame.
   */
  sendRaw(bytes: Buffer, options: RawSendOptions = {}): Promise<Buffer | undefined> {
    if (this.closeError) return Promise.reject(this.closeError);
    if (options.correlationId === undefined) return this.write([bytes]).then(() => undefined);
    return this.request(options.correlationId, [bytes], (frame) => frame, 'raw request', options);
  }

  /** Closes after flushing what was written; requests still waiting reject with ConnectionClosedError. */
  async close(): Promise<void> {
    if (!this.closeError) {
      this.closeError = new ConnectionClosedError(`connection to ${this.address} closed by the client`);
      this.rejectAll(this.closeError);
      this.socket.end(() => this.socket.destroy());
    }
    await this.closed;
  }

  /** Closes at once, rejecting pending requests with `err` (or ConnectionClosedError). */
  destroy(err?: Error): void {
    this.closeError ??= err ?? new ConnectionClosedError(`connection to ${this.address} destroyed`);
    this.frames.stop();
    this.rejectAll(this.closeError);
    this.socket.destroy();
  }

  private async negotiate(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    const ours = apiCodecs[ApiKey.ApiVersions];
    const request = { clientSoftwareName: this.opts.clientSoftwareName, clientSoftwareVersion: this.opts.clientSoftwareVersion };
    const first = Math.min(API_VERSIONS_MAX, ours.maxVersion);
    const opts: SendOptions = { version: first, timeoutMs, ...(signal ? { signal } : {}) };
    let res: ApiVersionsResponse = await this.send(ApiKey.ApiVersions, request, opts);
    if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
      const theirs = res.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions);
      const v = theirs ? Math.min(first, theirs.maxVersion) : 0;
      if (theirs && v < Math.max(ours.minVersion, theirs.minVersion)) {
        throw new KafkaProtocolError(ErrorCode.UNSUPPORTED_VERSION, `no common ApiVersions version with ${this.address}`);
      }
      res = await this.send(ApiKey.ApiVersions, request, { ...opts, version: v });
    }
    if (res.errorCode !== ErrorCode.NONE) {
      throw new KafkaProtocolError(res.errorCode, `ApiVersions to ${this.address} failed`);
    }
    this.versions = new Map(res.apiKeys.map((k) => [k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion }]));
    this.features = new Map(res.finalizedFeatures.map((f) => [f.name, f.maxVersionLevel]));
  }

  private request<T>(
    correlationId: number,
    chunks: Buffer[],
    decode: (frame: Buffer) => T,
    what: string,
    options: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const signal = options.signal;
      const timeoutMs = options.timeoutMs ?? this.opts.requestTimeoutMs;
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(correlationId);
      };
      const giveUp = (err: Error): void => {
        settle();
        this.abandoned.add(correlationId);
        reject(err);
      };
      const onAbort = (): void => giveUp(new RequestAbortedError(`${what} to ${this.address} aborted`, { cause: signal?.reason }));
      const timer = setTimeout(() => giveUp(new RequestTimeoutError(`${what} to ${this.address} timed out after ${timeoutMs} ms`)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(correlationId, {
        onFrame: (frame) => {
          settle();
          let value: T;
          try {
            value = decode(frame);
          } catch (err) {
            reject(new ProtocolError(`cannot decode the ${what} response from ${this.address}: ${(err as Error).message}`, { cause: err }));
            return;
          }
          resolve(value);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      });
      this.writeChunks(chunks);
    });
  }

  /** Writes and resolves once the bytes are handed to the kernel (used when no answer comes). */
  private write(chunks: Buffer[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.writeChunks(chunks, (err) => (err ? reject(this.closeError ?? new ConnectionClosedError(err.message, { cause: err })) : resolve()));
    });
  }

  private writeChunks(chunks: Buffer[], cb?: (err?: Error | null) => void): void {
    const s = this.socket;
    s.cork();
    for (let i = 0; i < chunks.length - 1; i++) s.write(chunks[i]!);
    s.write(chunks[chunks.length - 1]!, cb);
    s.uncork();
  }

  private dispatch(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (p) {
      p.onFrame(frame);
      return;
    }
    if (this.abandoned.delete(correlationId)) return;
    this.destroy(new ProtocolError(`response from ${this.address} with unknown correlation id ${correlationId}`));
  }

  private rejectAll(err: Error): void {
    if (this.pending.size === 0) return;
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }
}

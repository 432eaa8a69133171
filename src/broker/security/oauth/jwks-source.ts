/**
 * Where a broker's JWKS comes from (`sasl.oauthbearer.jwks.endpoint.url`):
 * - file://  read at startup, and read again when the file's modification time changes (as Kafka
 *            4.x's cached file does);
 * - https:// (or http://) fetched at startup (the broker does not start without it), then every
 *            `sasl.oauthbearer.jwks.endpoint.refresh.ms`; a token whose `kid` is unknown asks for
 *            an early refresh (at most once a minute per kid, kids over 1000 characters never),
 *            while that token is refused. A failed fetch is retried with exponential backoff from
 *            `...retry.backoff.ms` for at most `...retry.backoff.max.ms`; the old keys stay.
 * Keys are looked up synchronously: a login never waits on the network.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseJwks, type Jwk } from '../../../protocol/jose/jwk.js';
import type { Logger } from '../../logger.js';

export interface JwksSource {
  keys(): readonly Jwk[];
  /** A token named a kid that no key has: maybe refresh early. */
  unknownKid(kid: string): void;
  readonly location: string;
  close(): void;
}

export class FileJwks implements JwksSource {
  private current: Jwk[] = [];
  private mtimeMs = -1;
  private size = -1;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
  ) {
    this.reload(true);
  }

  get location(): string {
    return this.path;
  }

  private reload(initial: boolean): void {
    let st;
    try {
      st = statSync(this.path);
    } catch (err) {
      if (initial) throw new Error(`JWKS file ${this.path}: ${(err as Error).message}`);
      return;
    }
    if (st.mtimeMs === this.mtimeMs && st.size === this.size) return;
    try {
      const { keys, skipped } = parseJwks(readFileSync(this.path, 'utf8'));
      if (skipped.length > 0) this.log.warn({ jwks: this.path, skipped }, 'JWKS keys that cannot verify signatures are ignored');
      this.current = keys;
      this.mtimeMs = st.mtimeMs;
      this.size = st.size;
      if (!initial) this.log.info({ jwks: this.path, keys: keys.length }, 'JWKS file reloaded');
    } catch (err) {
      if (initial) throw new Error(`JWKS file ${this.path}: ${(err as Error).message}`);
      this.log.warn({ jwks: this.path, err: (err as Error).message }, 'JWKS file changed but cannot be read; keeping the previous keys');
    }
  }

  keys(): readonly Jwk[] {
    this.reload(false);
    return this.current;
  }

  unknownKid(): void {}
  close(): void {}
}

/** TLS for an https:// endpoint: the CA (PEM) to trust, and whether to skip the host name check. */
export interface HttpGetTls {
  ca?: string;
  checkServerIdentity?: () => undefined;
}

/** GET of a URL's body as text (broker/network/http-get.ts: only the network layer opens sockets). */
export type HttpGet = (url: string, tls: HttpGetTls | undefined, timeoutMs: number) => Promise<string>;

export interface HttpJwksOptions {
  url: string;
  refreshMs: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  /** TLS for https:// (the JAAS options' trust store). */
  tls?: HttpGetTls;
  /** Timeout of one fetch. */
  timeoutMs?: number;
  get: HttpGet;
}
const MISSING_KID_CACHE = 16;
const MISSING_KID_WAIT_MS = 60_000;
const MAX_KID_LENGTH = 1000;

export class HttpJwks implements JwksSource {
  private current: Jwk[] = [];
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private readonly missingKids = new Map<string, number>();
  private closed = false;

  private constructor(
    private readonly o: HttpJwksOptions,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /** Fetches the keys once (retrying within the backoff bounds), then refreshes in the background. */
  static async start(o: HttpJwksOptions, log: Logger, now: () => number = Date.now): Promise<HttpJwks> {
    if (!(o.refreshMs > 0)) throw new Error('sasl.oauthbearer.jwks.endpoint.refresh.ms must be positive');
    const j = new HttpJwks(o, log, now);
    j.current = await j.fetchWithRetry();
    j.timer = setInterval(() => void j.refresh(), o.refreshMs);
    j.timer.unref();
    log.info({ jwks: o.url, keys: j.current.length, refreshMs: o.refreshMs }, 'JWKS fetched; refreshing in the background');
    return j;
  }

  get location(): string {
    return this.o.url;
  }

  keys(): readonly Jwk[] {
    return this.current;
  }

  private async fetchOnce(): Promise<Jwk[]> {
    const { keys, skipped } = parseJwks(await this.o.get(this.o.url, this.o.tls, this.o.timeoutMs ?? 10_000));
    if (skipped.length > 0) this.log.warn({ jwks: this.o.url, skipped }, 'JWKS keys that cannot verify signatures are ignored');
    return keys;
  }

  /** Kafka's Retry: waits backoff, 2*backoff, ... while the total stays within backoff.max. */
  private async fetchWithRetry(): Promise<Jwk[]> {
    const end = Date.now() + this.o.retryBackoffMaxMs;
    let wait = this.o.retryBackoffMs;
    for (;;) {
      try {
        return await this.fetchOnce();
      } catch (err) {
        const left = end - Date.now();
        if (this.closed || left <= 0) throw err;
        this.log.warn({ jwks: this.o.url, err: (err as Error).message, retryInMs: Math.min(wait, left) }, 'JWKS fetch failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(wait, left)).unref());
        wait *= 2;
      }
    }
  }

  /** One refresh at a time; a failure keeps the keys we have. */
  refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    this.refreshing = (async () => {
      try {
        const keys = await this.fetchWithRetry();
        for (const k of keys) if (k.kid !== null) this.missingKids.delete(k.kid);
        this.current = keys;
        this.log.info({ jwks: this.o.url, keys: keys.length }, 'JWKS refreshed');
      } catch (err) {
        this.log.warn({ jwks: this.o.url, err: (err as Error).message }, 'JWKS refresh failed; keeping the previous keys');
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  unknownKid(kid: string): void {
    if (this.closed || kid.length > MAX_KID_LENGTH) return;
    const now = this.now();
    const next = this.missingKids.get(kid);
    if (next !== undefined && next > now) return;
    this.missingKids.delete(kid);
    this.missingKids.set(kid, now + MISSING_KID_WAIT_MS);
    while (this.missingKids.size > MISSING_KID_CACHE) this.missingKids.delete(this.missingKids.keys().next().value!);
    void this.refresh();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

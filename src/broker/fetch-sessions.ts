/**
 * Incremental fetch sessions (KIP-227). A consumer with many partitions sends its full partition
 * list once; later requests name only what changed, and answers carry only partitions with news
 * (data, an error, or a moved high watermark, last stable offset or log start offset).
 * Sessions live in a cache of max.incremental.fetch.session.cache.slots entries; when it is full
 * the least recently used session is evicted, and its client gets FETCH_SESSION_ID_NOT_FOUND on
 * its next incremental request and starts over with a full one.
 */
export interface SessionPartition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: number;
  maxBytes: number;
  /** What the client was last told, to decide whether an incremental answer includes it. */
  sentHighWatermark: bigint;
  sentLastStable: bigint;
  sentLogStart: bigint;
}

export class FetchSession {
  /** The epoch the next incremental request must carry. */
  epoch = 1;
  lastUsed: number;
  readonly partitions = new Map<string, SessionPartition>();

  constructor(
    readonly id: number,
    now: number,
  ) {
    this.lastUsed = now;
  }

  static key(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`;
  }
}

export class FetchSessionCache {
  /** Map iteration order is insertion order: re-inserting on use keeps it least-recent first. */
  private readonly sessions = new Map<number, FetchSession>();
  private nextId = 1;

  constructor(
    private readonly maxSlots: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** A new session, or null when sessions are disabled (slots = 0). */
  create(): FetchSession | null {
    if (this.maxSlots <= 0) return null;
    if (this.sessions.size >= this.maxSlots) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    let id = this.nextId;
    while (this.sessions.has(id) || id === 0) id = (id + 1) & 0x7fffffff;
    this.nextId = (id + 1) & 0x7fffffff;
    const s = new FetchSession(id, this.now());
    this.sessions.set(id, s);
    return s;
  }

  /** Looks a session up and marks it used. */
  touch(id: number): FetchSession | undefined {
    const s = this.sessions.get(id);
    if (!s) return undefined;
    this.sessions.delete(id);
    this.sessions.set(id, s);
    s.lastUsed = this.now();
    return s;
  }

  remove(id: number): void {
    this.sessions.delete(id);
  }
}

/**
 * The most recently appended bytes of every segment, kept in memory so that a consumer tailing a
 * partition is served without a pread (no thread-pool hop, no buffer allocation: a fetch of one
 * append's batches is a subarray of the buffer that was written).
 *
 * Each append's buffer becomes a `TailChunk` of its segment (whole batches, contiguous in the
 * file). One process-wide FIFO bounds the memory: when the chunks of all segments exceed the
 * budget, the oldest chunks anywhere are dropped. A segment's chunks are therefore always the
 * newest stretch of its file, ending at its committed size.
 *
 * The buffers are the appenders' own (the Log contract hands them over): they are never written
 * again after the append, so handing out subarrays is safe. A slice of a much larger allocation is
 * copied so it does not pin the rest; what a chunk costs against the budget is the memory it keeps
 * alive.
 */

export interface TailChunk {
  /** Position of the first byte in the segment file. */
  readonly position: number;
  /** Base offset of the first batch. */
  readonly baseOffset: number;
  /** Last offset of the last batch + 1. */
  readonly endOffset: number;
  buf: Buffer;
  readonly cost: number;
  /** Set once dropped (evicted, or its segment closed). */
  dropped: boolean;
  readonly owner: TailOwner;
}

export interface TailOwner {
  /** Drops the owner's oldest chunk (which is `chunk`). */
  evictOldest(chunk: TailChunk): void;
}

const EMPTY = Buffer.alloc(0);
/** A slice whose backing memory is this much larger than itself is copied. */
const PIN_SLACK = 16 * 1024;

export class TailBudget {
  private queue: TailChunk[] = [];
  private head = 0;
  private used = 0;
  private live = 0;

  constructor(private budget: number) {}

  get bytes(): number {
    return this.used;
  }
  get limit(): number {
    return this.budget;
  }

  /** For tests and tuning; evicts down to the new budget. */
  setLimit(bytes: number): void {
    this.budget = bytes;
    this.evict();
  }

  /** Makes a chunk of `buf` (copied when it would pin a much larger allocation) and accounts it. */
  add(owner: TailOwner, buf: Buffer, position: number, baseOffset: number, endOffset: number): TailChunk | undefined {
    if (this.budget <= 0 || buf.length > this.budget) return undefined;
    let keep = buf;
    let cost = buf.buffer.byteLength;
    if (cost > 2 * buf.length + PIN_SLACK) {
      keep = Buffer.allocUnsafeSlow(buf.length);
      buf.copy(keep);
      cost = buf.length;
    }
    const chunk: TailChunk = { position, baseOffset, endOffset, buf: keep, cost, dropped: false, owner };
    this.queue.push(chunk);
    this.used += cost;
    this.live++;
    this.evict();
    return chunk.dropped ? undefined : chunk;
  }

  /** Releases a chunk its owner dropped on its own (close, delete, recovery). */
  release(chunk: TailChunk): void {
    if (chunk.dropped) return;
    chunk.dropped = true;
    chunk.buf = EMPTY;
    this.used -= chunk.cost;
    this.live--;
  }

  private evict(): void {
    const q = this.queue;
    while (this.used > this.budget && this.head < q.length) {
      const c = q[this.head]!;
      q[this.head++] = undefined as unknown as TailChunk;
      if (c.dropped) continue;
      c.owner.evictOldest(c);
      this.release(c);
    }
    // Also skip chunks released by their owners, so the queue does not grow without bound.
    while (this.head < q.length && q[this.head]!.dropped) q[this.head++] = undefined as unknown as TailChunk;
    if (this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    } else if (q.length - this.head > 4 * this.live + 1024) {
      // Many chunks released out of order (segments closed or deleted): forget them.
      this.queue = q.slice(this.head).filter((c) => !c.dropped);
      this.head = 0;
    }
  }
}

/** The process-wide budget (8 MiB): a few hundred appends of a busy partition, or the last KBs of many. */
export const tailBudget = new TailBudget(8 * 1024 * 1024);

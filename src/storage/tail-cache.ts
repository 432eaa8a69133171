/**
 * The most recently appended bytes of every segment, kept in memory so that a consumer tailing a
 * partition is served without a pread (no thread-pool hop).
 *
 * One process-wide ring buffer of fixed size: every append is copied in (one memcpy, no
 * allocation, nothing for the GC: keeping the appenders' own buffers alive instead made produce
 * measurably slower through promotions and old-generation collections). A segment remembers where
 * its recent appends went in the ring (`TailRef`); a ref is valid until the ring's writer has
 * gone a whole lap past it. Eviction is therefore implicit, oldest first across all partitions,
 * and the memory is bounded by the ring's size.
 */

/** Where one append's bytes (whole batches, contiguous in the segment file) sit in the ring. */
export interface TailRef {
  /** Position of the first byte in the segment file. */
  readonly position: number;
  /** Base offset of the first batch. */
  readonly baseOffset: number;
  /** Last offset of the last batch + 1. */
  readonly endOffset: number;
  /** Monotonic ring position of the first byte (physical: modulo the capacity). */
  readonly ringStart: number;
  readonly length: number;
}

const MAX_APPEND = 32 * 1024;

export class TailRing {
  private ring: Buffer | undefined;
  /** Monotonic write position: bytes ever written, plus the ends skipped at each wrap. */
  private w = 0;

  constructor(private capacity: number) {}

  get limit(): number {
    return this.capacity;
  }

  /** For tests and tuning: a new ring (every ref so far becomes invalid). */
  setLimit(bytes: number): void {
    this.w += this.capacity + bytes;
    this.capacity = bytes;
    this.ring = undefined;
  }

  /**
   * Largest append kept: 32 KiB, and at most a quarter of the ring so one append never wipes out
   * everything else. Large appends come from throughput-bound producers, where the copy (~3% of
   * the broker's CPU at 110 MB/s of 64 KB batches) buys little: a consumer following such a stream
   * reads whole large batches with one pread at a remembered position.
   */
  get maxAppend(): number {
    return Math.min(this.capacity >>> 2, MAX_APPEND);
  }

  /** Copies the buffers in back to back; returns the ring position, or -1 when not kept. */
  put(bufs: readonly Buffer[], length: number): number {
    if (length <= 0 || length > this.maxAppend) return -1;
    const cap = this.capacity;
    const ring = (this.ring ??= Buffer.allocUnsafeSlow(cap));
    let phys = this.w % cap;
    if (phys + length > cap) {
      // Keep each append contiguous: skip the end of the ring.
      this.w += cap - phys;
      phys = 0;
    }
    const start = this.w;
    for (const b of bufs) {
      b.copy(ring, phys);
      phys += b.length;
    }
    this.w += length;
    return start;
  }

  /** True while the bytes at `ringStart` have not been overwritten. */
  valid(ringStart: number): boolean {
    return ringStart >= this.w - this.capacity && this.ring !== undefined;
  }

  /** The ring itself and the physical position of `ringStart` (read at once: later puts overwrite). */
  at(ringStart: number): number {
    return ringStart % this.capacity;
  }
  get bytes(): Buffer {
    return this.ring!;
  }
}

/** The process-wide ring (4 MiB): hundreds of recent appends of a busy partition, or the last KBs of many. */
export const tailRing = new TailRing(4 * 1024 * 1024);

/**
 * A segment's newest appends kept in memory, in the process-wide tail ring (tail-cache.ts): refs
 * contiguous in the file and ending at the segment's size, from `refs[head]` on (older refs may
 * have been overwritten by the ring: pruned from the head). Reads inside it need no pread.
 */
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, OFF } from '../protocol/records/batch-header.js';
import { readBuffer } from './read-buffers.js';
import { baseOffsetAt } from './segment-scan.js';
import type { AppendedBatch } from './segment.js';
import { tailRing, type TailRef } from './tail-cache.js';

const EMPTY = Buffer.alloc(0);

export class SegmentTail {
  private refs: TailRef[] = [];
  private head = 0;
  /** Where the latest successful locate() found the offset: ref index (-1: not in the tail) and byte in it. */
  private foundRef = -1;
  private foundAt = 0;

  /** Copies an append (written at file position `start`) into the ring, or forgets the tail when it is too large to keep. */
  add(bufs: Buffer[], len: number, batches: readonly AppendedBatch[], start: number): void {
    const ringStart = batches.length > 0 && bufs[0]!.length >= BATCH_HEADER_SIZE ? tailRing.put(bufs, len) : -1;
    if (ringStart < 0) {
      // The tail must stay contiguous up to the segment's size.
      this.drop();
      return;
    }
    this.prune();
    this.refs.push({ position: start, baseOffset: baseOffsetAt(bufs[0]!, 0), endOffset: batches[batches.length - 1]!.lastOffset + 1, ringStart, length: len });
  }

  /** Forgets the refs the ring has overwritten since (always the oldest ones). */
  private prune(): void {
    const t = this.refs;
    let h = this.head;
    while (h < t.length && !tailRing.valid(t[h]!.ringStart)) h++;
    if (h === t.length) {
      if (t.length > 0) this.refs = [];
      this.head = 0;
    } else if (h > 64 && h * 2 > t.length) {
      this.refs = t.slice(h);
      this.head = 0;
    } else {
      this.head = h;
    }
  }

  drop(): void {
    this.refs = [];
    this.head = 0;
  }

  /** Bytes of the file currently readable from memory. */
  get bytes(): number {
    this.prune();
    let n = 0;
    for (let i = this.head; i < this.refs.length; i++) n += this.refs[i]!.length;
    return n;
  }

  /**
   * The position of the first batch whose last offset >= `offset`, if the tail holds it: a
   * position below `limit` (then read() serves it), `limit` when the offset is past the data
   * below `limit`, or -1 when the tail does not know.
   */
  locate(offset: number, limit: number): number {
    this.foundRef = -1;
    this.prune();
    const t = this.refs;
    const h = this.head;
    if (h < t.length && offset >= t[h]!.baseOffset) {
      let lo = h;
      let hi = t.length - 1;
      let i = h;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if (t[mid]!.baseOffset <= offset) {
          i = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      const c = t[i]!;
      if (offset < c.endOffset) {
        const ring = tailRing.bytes;
        const phys = tailRing.at(c.ringStart);
        let at = 0;
        while (at + BATCH_HEADER_SIZE <= c.length) {
          if (baseOffsetAt(ring, phys + at) + ring.readInt32BE(phys + at + OFF.lastOffsetDelta) >= offset) {
            const pos = c.position + at;
            if (pos >= limit) return limit;
            this.foundRef = i;
            this.foundAt = at;
            return pos;
          }
          at += ring.readInt32BE(phys + at + OFF.batchLength) + LOG_OVERHEAD;
        }
      } else if (i === t.length - 1) {
        // Past the last batch appended (the tail ends at the segment's size).
        return limit;
      }
    }
    return -1;
  }

  /** Whether the latest locate() found its offset in the tail (read() may serve it). */
  get found(): boolean {
    return this.foundRef >= 0;
  }

  /** Serves a read from where the latest locate() found its offset (copied out of the ring). */
  read(maxSize: number, limit: number, minOne: boolean): Buffer {
    const ci = this.foundRef;
    const at = this.foundAt;
    const t = this.refs;
    const ring = tailRing.bytes;
    const first = t[ci]!;
    const firstPhys = tailRing.at(first.ringStart);
    const firstSize = ring.readInt32BE(firstPhys + at + OFF.batchLength) + LOG_OVERHEAD;
    const pos = first.position + at;
    const want = minOne ? Math.max(maxSize, firstSize) : maxSize;
    const len = Math.min(limit - pos, want);
    if (len < firstSize) return EMPTY;
    // Whole batches up to `len` (ref ends are batch ends): count, then copy.
    let total = 0;
    let i = ci;
    let from = at;
    let lastRef = ci;
    let lastEnd = at;
    while (i < t.length && total < len) {
      const c = t[i]!;
      const phys = tailRing.at(c.ringStart);
      let n = 0;
      if (c.length - from <= len - total) n = c.length - from;
      else {
        while (from + n + LOG_OVERHEAD <= c.length) {
          const size = ring.readInt32BE(phys + from + n + OFF.batchLength) + LOG_OVERHEAD;
          if (total + n + size > len) break;
          n += size;
        }
      }
      if (n === 0) break;
      total += n;
      lastRef = i;
      lastEnd = from + n;
      if (from + n < c.length) break;
      i++;
      from = 0;
    }
    const out = readBuffer(total);
    let o = 0;
    for (let k = ci; k <= lastRef; k++) {
      const c = t[k]!;
      const phys = tailRing.at(c.ringStart);
      const s0 = k === ci ? at : 0;
      const e0 = k === lastRef ? lastEnd : c.length;
      o += ring.copy(out, o, phys + s0, phys + e0);
    }
    return out;
  }
}

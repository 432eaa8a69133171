/**
 * Flushing a partition's log with group commit: one fsync pass (the segments from the one holding
 * the recovery point, then the directory) covers every append that finished before it started;
 * callers arriving during a pass share the next one.
 */
import { fsyncDir } from './files.js';
import type { LogSegment } from './segment.js';
import { segmentIndexOf } from './segment-lookup.js';

/** What the flusher reads of the log (live) and tells it. */
export interface FlushHost {
  readonly dir: string;
  segments(): readonly LogSegment[];
  logEndOffset(): number;
  recoveryPoint(): number;
  /** A pass made everything below `upTo` durable. */
  flushed(upTo: number): void;
}

export class GroupFlusher {
  /** `upTo` -1: the log was truncated during the pass, which covers none of the offsets now. */
  private inflight: { upTo: number; done: Promise<void> } | undefined;
  private next: { done: Promise<void> } | undefined;

  constructor(private readonly host: FlushHost) {}

  /** Resolves once everything below `offset` is fsynced. */
  flushUpTo(offset: number): Promise<void> {
    const host = this.host;
    if (offset <= host.recoveryPoint()) return Promise.resolve();
    if (this.inflight && this.inflight.upTo >= offset) return this.inflight.done;
    if (this.inflight) {
      if (!this.next) {
        const after = this.inflight.done.catch(() => undefined);
        const done = after.then(() => {
          this.next = undefined;
          return this.flushUpTo(host.logEndOffset());
        });
        this.next = { done };
      }
      return this.next.done;
    }
    const upTo = host.logEndOffset();
    const segs = host.segments();
    const from = segmentIndexOf(segs, host.recoveryPoint());
    const pass = { upTo, done: Promise.resolve() };
    pass.done = (async () => {
      for (let i = from; i < segs.length; i++) await segs[i]!.flush();
      await fsyncDir(host.dir);
      if (pass.upTo >= 0) host.flushed(upTo);
    })().finally(() => {
      this.inflight = undefined;
    });
    this.inflight = pass;
    return pass.done;
  }

  /**
   * The log was truncated: offsets below the old end may be written again with other bytes, so
   * the pass in flight must neither advance the recovery point nor stand in for later callers
   * (they queue behind it for a pass of their own).
   */
  invalidate(): void {
    if (this.inflight) this.inflight.upTo = -1;
  }
}

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
    const done = (async () => {
      for (let i = from; i < segs.length; i++) await segs[i]!.flush();
      await fsyncDir(host.dir);
      host.flushed(upTo);
    })().finally(() => {
      this.inflight = undefined;
    });
    this.inflight = { upTo, done };
    return done;
  }
}

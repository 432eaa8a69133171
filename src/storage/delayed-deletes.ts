/**
 * Kafka's asynchronous segment delete: a deleted segment's files are renamed to *.deleted at once
 * (LogSegment.markDeleted) and removed file.delete.delay.ms later, so reads in flight finish on the
 * open descriptors. Closing the log removes the pending ones without waiting.
 */
export class DelayedDeletes {
  private readonly pending = new Set<{ timer: NodeJS.Timeout; run: () => Promise<void> }>();

  /** `track` receives the removal when the timer fires (the log waits for it on close). */
  constructor(private readonly track: (p: Promise<unknown>) => void) {}

  schedule(run: () => Promise<void>, delayMs: number): void {
    const entry = {
      run,
      timer: setTimeout(() => {
        this.pending.delete(entry);
        this.track(run());
      }, delayMs),
    };
    entry.timer.unref();
    this.pending.add(entry);
  }

  /** Removes every pending segment now, one after another. */
  async runAll(): Promise<void> {
    for (const d of [...this.pending]) {
      clearTimeout(d.timer);
      this.pending.delete(d);
      await d.run();
    }
  }
}

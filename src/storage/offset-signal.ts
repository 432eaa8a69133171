/**
 * Subscribers to an offset that moves forward: the log end offset (appends) and the high
 * watermark. Waiters need "resolve once the offset passes N, or the log closes, or the caller
 * gives up", which both share.
 */
export type OffsetListener = (offset: number) => void;

export class OffsetSignal {
  private readonly listeners = new Set<OffsetListener>();
  private ended = false;

  /** Subscribes; returns the unsubscribe function. */
  on(listener: OffsetListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells every listener; one that throws does not keep the others from hearing. */
  emit(offset: number): void {
    for (const l of this.listeners) {
      try {
        l(offset);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  /**
   * Resolves once `current()` > offset, at once when it already is, when `end()` is called (the
   * log closed) or when the signal aborts. Never rejects: a waiter looks at the log again anyway.
   */
  waitFor(offset: number, current: () => number, signal?: AbortSignal): Promise<void> {
    if (current() > offset || this.ended || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        off();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const off = this.on((o) => {
        if (o > offset || this.ended) done();
      });
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** The log closed: everyone hears the final offset once, then nobody is subscribed. */
  end(offset: number): void {
    this.ended = true;
    for (const l of [...this.listeners]) {
      try {
        l(offset);
      } catch {
        // as in emit
      }
    }
    this.listeners.clear();
  }
}

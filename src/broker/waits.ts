/**
 * The requests waiting inside the broker (fetch long polls): one registry the broker's close
 * cancels. Each wait adds its cancel callback and removes it when it ends, so the registry holds
 * exactly the waits in progress, and nothing (no listener on a shared AbortSignal, which Node
 * warns about past ten) grows with the number of waiting consumers.
 */
export class Waits {
  private readonly pending = new Set<() => void>();
  private isClosed = false;

  /** True once the broker is closing: no wait should start. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** The number of waits in progress. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Registers a wait: `cancel` runs once if the broker closes before the returned function is
   * called. When already closed, `cancel` runs at once.
   */
  add(cancel: () => void): () => void {
    if (this.isClosed) {
      cancel();
      return () => {};
    }
    // A wrapper per wait, so the same function registered twice is two waits.
    const entry = (): void => cancel();
    this.pending.add(entry);
    return () => void this.pending.delete(entry);
  }

  /** Cancels every wait in progress and every later one. */
  close(): void {
    this.isClosed = true;
    const all = [...this.pending];
    this.pending.clear();
    for (const cancel of all) cancel();
  }
}

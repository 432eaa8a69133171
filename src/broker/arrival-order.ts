/**
 * Appends to one partition in the order their produce requests arrived. A compacted topic's
 * records are checked asynchronously (gzip and zstd decode off the event loop), so the checks of
 * pipelined requests may finish out of order; an idempotent producer's batches must still reach
 * the log in sequence order, as they would from Kafka, which handles a connection's requests one
 * at a time. Each partition keeps a gate: the step of a request starts once its own check is done
 * and every earlier request's step has started (log appends enqueue synchronously, so started is
 * enough). With no check pending the step runs at once, without a promise turn.
 */
export class ArrivalOrder<K extends object> {
  private readonly gates = new WeakMap<K, Promise<void>>();

  run<R, T>(key: K, check: R | Promise<R>, step: (checked: R) => Promise<T>): Promise<T> {
    const before = this.gates.get(key);
    if (before === undefined && !(check instanceof Promise)) return step(check);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    this.gates.set(key, gate);
    const release = (): void => {
      if (this.gates.get(key) === gate) this.gates.delete(key);
      open();
    };
    return (async () => {
      let checked: R;
      try {
        checked = await check;
      } finally {
        await before;
      }
      try {
        return step(checked);
      } finally {
        release();
      }
    })().finally(release);
  }
}

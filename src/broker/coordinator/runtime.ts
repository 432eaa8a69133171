/**
 * The coordinator runtime, after Apache Kafka's CoordinatorRuntime: generic over the shard, so the
 * group coordinator (__consumer_offsets) and the transaction coordinator (__transaction_state) run
 * on the same machinery.
 *
 *  - One shard per partition of the internal topic. `load(p)` creates it and replays every stored
 *    record of the partition into it; while that runs, requests get COORDINATOR_LOAD_IN_PROGRESS.
 *    `unload(p)` drops it (pending requests get NOT_COORDINATOR, timers stop). A single broker
 *    loads every partition at start-up; a cluster loads and unloads with leadership.
 *  - A write operation reads the shard and returns `{ records, response }` without changing it.
 *    The runtime appends the records to the partition as one batch and, only once the append
 *    succeeded, replays them into the shard (the same `replay` that loading uses: one function from
 *    record to state) and then answers. A failed append changes nothing; the caller's `onError`
 *    turns the (retriable) error code into its response.
 *  - Writes are serialized per key (a group id, a transactional id): an operation runs only when
 *    the key's previous operation has been stored and replayed, so it always sees the state its
 *    records will be applied to. Different keys touch disjoint state and run concurrently. An
 *    operation whose key is idle runs at once, synchronously.
 *  - Timers are named per partition (CoordinatorTimers); when one fires, its operation is a write
 *    of its key like any other.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { Logger } from '../logger.js';
import type { Clock } from './clock.js';
import type { CoordinatorStorage, StoredRecord } from './storage.js';
import { CoordinatorTimers } from './timer.js';

/** What a write operation returns: the records to store, and the response once they are stored. */
export interface CoordinatorResult<R> {
  records: StoredRecord[];
  response: R | Promise<R>;
  /** Runs after the records were stored and replayed (answers waiting members, starts timers). */
  committed?: () => void;
  /** Runs when the append failed, with the error code the caller gets. */
  failed?: (errorCode: number) => void;
}

export type WriteOperation<R> = () => CoordinatorResult<R>;

export interface CoordinatorShard {
  /** The one function from a stored record to state, after each write and while loading. */
  replay(record: StoredRecord): void;
  /** Every stored record has been replayed: start what loaded state needs (session timers). */
  onLoaded(): void;
  /** The partition goes away (unload, shutdown): answer waiting requests; timers are already stopped. */
  onUnloaded(): void;
}

/** What a shard may use of its partition: time, named timers, and writes of its own. */
export interface ShardContext {
  readonly partition: number;
  readonly clock: Clock;
  readonly log: Logger | undefined;
  /** Schedules a write of `key` (serialized with its other writes); its response is dropped. */
  write(key: string, op: WriteOperation<unknown>): void;
  /** A named timer whose firing is a write of `key`; scheduling the name again replaces it. */
  schedule(name: string, ms: number, key: string, op: WriteOperation<unknown>): void;
  cancel(name: string): void;
  isScheduled(name: string): boolean;
}

type PartitionState = 'loading' | 'active' | 'failed' | 'unloaded';

class Partition<S extends CoordinatorShard> {
  state: PartitionState = 'loading';
  shard!: S;
  readonly queues = new Map<string, Array<() => Promise<void> | void>>();
  readonly timers: CoordinatorTimers;

  constructor(
    readonly index: number,
    clock: Clock,
    fire: (run: () => void) => void,
  ) {
    this.timers = new CoordinatorTimers(clock, (_name, run) => fire(run));
  }
}

export interface CoordinatorRuntimeOptions<S extends CoordinatorShard> {
  /** The internal topic's name, for logs. */
  name: string;
  storage: CoordinatorStorage;
  clock: Clock;
  log?: Logger;
  newShard: (ctx: ShardContext) => S;
}

export class CoordinatorRuntime<S extends CoordinatorShard> {
  private readonly partitions = new Map<number, Partition<S>>();
  private closed = false;

  constructor(private readonly opts: CoordinatorRuntimeOptions<S>) {}

  /** NONE when the partition's shard serves requests, else the error a request gets. */
  status(partition: number): number {
    const p = this.partitions.get(partition);
    if (this.closed || !p || p.state === 'unloaded') return ErrorCode.NOT_COORDINATOR;
    if (p.state === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    if (p.state === 'failed') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    return ErrorCode.NONE;
  }

  /** The shard of an active partition (reads, and the steps that write nothing), else undefined. */
  shard(partition: number): S | undefined {
    const p = this.partitions.get(partition);
    return p && p.state === 'active' && !this.closed ? p.shard : undefined;
  }

  /** Every active shard. */
  shards(): S[] {
    if (this.closed) return [];
    return [...this.partitions.values()].filter((p) => p.state === 'active').map((p) => p.shard);
  }

  /** True while some partition is loading. */
  get loading(): boolean {
    for (const p of this.partitions.values()) if (p.state === 'loading') return true;
    return false;
  }

  isLoaded(partition: number): boolean {
    const s = this.partitions.get(partition)?.state;
    return s === 'active' || s === 'loading' || s === 'failed';
  }

  /** Creates the partition's shard and replays the partition's records into it. */
  async load(partition: number): Promise<void> {
    if (this.closed || this.isLoaded(partition)) return;
    const p = new Partition<S>(partition, this.opts.clock, (run) => {
      if (p.state === 'active') run();
    });
    p.shard = this.opts.newShard(this.context(p));
    this.partitions.set(partition, p);
    try {
      await this.opts.storage.load(partition, (r) => p.shard.replay(r));
    } catch (err) {
      if (p.state !== 'loading') return;
      p.state = 'failed';
      this.opts.log?.error({ err, partition }, `failed to load ${this.opts.name} partition`);
      return;
    }
    if (p.state !== 'loading' || this.partitions.get(partition) !== p) return;
    p.state = 'active';
    p.shard.onLoaded();
  }

  /** Drops the partition's shard: timers stop, waiting requests get NOT_COORDINATOR. */
  unload(partition: number): void {
    const p = this.partitions.get(partition);
    if (!p) return;
    this.partitions.delete(partition);
    const wasActive = p.state === 'active';
    p.state = 'unloaded';
    p.timers.close();
    if (wasActive) p.shard.onUnloaded();
  }

  close(): void {
    for (const partition of [...this.partitions.keys()]) this.unload(partition);
    this.closed = true;
  }

  /**
   * Runs a write operation of `key` on the partition once the key's earlier writes are done; its
   * records are stored, then replayed, then the response is returned. `onError` makes the response
   * for a partition that is not served here (or no longer) and for a failed append.
   */
  write<R>(partition: number, key: string, op: (shard: S) => CoordinatorResult<R>, onError: (errorCode: number) => R): Promise<R> {
    const status = this.status(partition);
    if (status !== ErrorCode.NONE) return Promise.resolve(onError(status));
    const p = this.partitions.get(partition)!;
    return new Promise<R>((resolve) => {
      this.enqueue(p, key, () => this.run(p, () => op(p.shard), onError, resolve));
    });
  }

  private context(p: Partition<S>): ShardContext {
    return {
      partition: p.index,
      clock: this.opts.clock,
      log: this.opts.log,
      write: (key, op) => {
        if (p.state !== 'active' && p.state !== 'loading') return;
        this.enqueue(p, key, () => this.run(p, op, () => undefined, () => undefined));
      },
      schedule: (name, ms, key, op) => p.timers.schedule(name, ms, () => this.enqueue(p, key, () => this.run(p, op, () => undefined, () => undefined))),
      cancel: (name) => p.timers.cancel(name),
      isScheduled: (name) => p.timers.isScheduled(name),
    };
  }

  /** Per-key FIFO: a task starts when the one before it (of the same key) has finished. */
  private enqueue(p: Partition<S>, key: string, task: () => Promise<void> | void): void {
    const queue = p.queues.get(key);
    if (queue) {
      queue.push(task);
      return;
    }
    const q: Array<() => Promise<void> | void> = [task];
    p.queues.set(key, q);
    const next = (): void => {
      for (;;) {
        const t = q[0];
        if (!t) {
          p.queues.delete(key);
          return;
        }
        let done: Promise<void> | void;
        try {
          done = t();
        } catch (err) {
          this.opts.log?.error({ err, key }, 'coordinator task failed');
          done = undefined;
        }
        if (done) {
          void done.then(() => {
            q.shift();
            next();
          });
          return;
        }
        q.shift();
      }
    };
    next();
  }

  private run<R>(p: Partition<S>, op: WriteOperation<R>, onError: (errorCode: number) => R, resolve: (r: R | Promise<R>) => void): Promise<void> | void {
    if (p.state !== 'active') {
      resolve(onError(p.state === 'loading' ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NOT_COORDINATOR));
      return;
    }
    let result: CoordinatorResult<R>;
    try {
      result = op();
    } catch (err) {
      this.opts.log?.error({ err, partition: p.index }, 'coordinator operation failed');
      resolve(onError(ErrorCode.UNKNOWN_SERVER_ERROR));
      return;
    }
    if (result.records.length === 0) {
      result.committed?.();
      resolve(result.response);
      return;
    }
    return this.opts.storage.append(p.index, result.records, this.opts.clock.now()).then(
      () => {
        if (p.state !== 'active') {
          // Stored, but the partition moved away meanwhile: its next owner replays the records.
          resolve(onError(ErrorCode.NOT_COORDINATOR));
          return;
        }
        for (const r of result.records) p.shard.replay(r);
        result.committed?.();
        resolve(result.response);
      },
      (err: unknown) => {
        this.opts.log?.error({ err, partition: p.index }, `cannot write to ${this.opts.name}`);
        const code = p.state === 'active' ? ErrorCode.COORDINATOR_NOT_AVAILABLE : ErrorCode.NOT_COORDINATOR;
        result.failed?.(code);
        resolve(onError(code));
      },
    );
  }
}

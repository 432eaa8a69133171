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
 *    operation whose key is idle runs at once, synchronously (unless a transaction marker waits).
 *  - Timers are named per partition (CoordinatorTimers); when one fires, its operation is a write
 *    of its key like any other.
 *  - Transactions (Kafka's scheduleTransactionalWriteOperation and scheduleTransactionCompletion):
 *    a transactional write stores its records as one batch of the producer (id, epoch), and the
 *    shard replays them with that producer id, so it keeps them pending. Completing a transaction
 *    writes a marker (COMMIT or ABORT) and then replays it (`replayEndTransactionMarker`). A
 *    marker may touch every key of the partition, so it waits until every write started before it
 *    is stored and replayed, and writes that come after it wait for it: replay follows log order,
 *    as a reload does.
 *  - A failed append answers with Kafka's coordinator mapping of the log's error (a timeout or
 *    missing replicas: COORDINATOR_NOT_AVAILABLE; leadership lost: NOT_COORDINATOR; a fenced
 *    producer epoch and other transaction errors as they are).
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { EndTxnMarker } from '../../protocol/records/index.js';
import type { Logger } from '../logger.js';
import type { Clock } from './clock.js';
import { NO_PRODUCER_ID, type CoordinatorStorage, type RecordOrigin, type StoredRecord, type TxnProducer } from './storage.js';
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
  /**
   * The one function from a stored record to state, after each write and while loading. `origin`
   * says where the record sits and which transactional producer wrote it (NO_PRODUCER_ID if none).
   */
  replay(record: StoredRecord, origin: RecordOrigin): void;
  /** A transaction marker was stored (or loaded): the producer's pending records become state (commit) or go. */
  replayEndTransactionMarker?(producerId: bigint, commit: boolean): void;
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

type Task = () => Promise<void> | void;

/** A partition-wide task (a transaction marker) and the keyed tasks that came after it. */
interface Barrier {
  task: Task;
  running: boolean;
  held: Array<[string, Task]>;
}

class Partition<S extends CoordinatorShard> {
  state: PartitionState = 'loading';
  shard!: S;
  /** Per-key FIFOs of the tasks admitted (a key is present while one of its tasks runs or waits). */
  readonly queues = new Map<string, Task[]>();
  /** Partition-wide tasks, in order: each runs once no keyed task is left, the keyed tasks after it wait. */
  readonly barriers: Barrier[] = [];
  /** True while a finished barrier's held tasks are being admitted (the next barrier waits for all of them). */
  admitting = false;
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
      await this.opts.storage.load(
        partition,
        (r, origin) => p.shard.replay(r, origin),
        (m) => p.shard.replayEndTransactionMarker?.(m.producerId, m.commit),
      );
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

  /**
   * A write of `key` whose records are one transactional batch of the producer: replayed with its
   * producer id, they stay pending until a marker ends the transaction.
   */
  writeTransactional<R>(partition: number, key: string, producer: TxnProducer, op: (shard: S) => CoordinatorResult<R>, onError: (errorCode: number) => R): Promise<R> {
    const status = this.status(partition);
    if (status !== ErrorCode.NONE) return Promise.resolve(onError(status));
    const p = this.partitions.get(partition)!;
    return new Promise<R>((resolve) => {
      this.enqueue(p, key, () => this.run(p, () => op(p.shard), onError, resolve, producer));
    });
  }

  /**
   * Ends a transaction on the partition: writes the marker, then replays it. Runs after every
   * write started before it; writes started meanwhile wait for it. Resolves to NONE or the error.
   */
  completeTransaction(partition: number, marker: EndTxnMarker, timeoutMs?: number, transactionVersion?: number): Promise<number> {
    const status = this.status(partition);
    if (status !== ErrorCode.NONE) return Promise.resolve(status);
    const p = this.partitions.get(partition)!;
    return new Promise<number>((resolve) => {
      this.enqueueBarrier(p, () => {
        if (p.state !== 'active') {
          resolve(p.state === 'loading' ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NOT_COORDINATOR);
          return;
        }
        return this.opts.storage.appendMarker(p.index, marker, this.opts.clock.now(), timeoutMs, transactionVersion).then(
          () => {
            if (p.state !== 'active') {
              resolve(ErrorCode.NOT_COORDINATOR);
              return;
            }
            try {
              p.shard.replayEndTransactionMarker?.(marker.producerId, marker.commit);
            } catch (err) {
              this.opts.log?.error({ err, partition: p.index }, 'replaying a transaction marker failed');
            }
            resolve(ErrorCode.NONE);
          },
          (err: unknown) => {
            this.opts.log?.warn({ err, partition: p.index, producerId: String(marker.producerId) }, `cannot write a transaction marker to ${this.opts.name}`);
            resolve(p.state === 'active' ? appendErrorCode(err) : ErrorCode.NOT_COORDINATOR);
          },
        );
      });
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

  /**
   * Per-key FIFO: a task starts when the one before it (of the same key) has finished. While a
   * partition-wide task waits or runs, new keyed tasks wait behind it.
   */
  private enqueue(p: Partition<S>, key: string, task: Task): void {
    const last = p.barriers.at(-1);
    if (last) last.held.push([key, task]);
    else this.admit(p, key, task);
  }

  /** A partition-wide task: runs alone, after the keyed tasks admitted before it. */
  private enqueueBarrier(p: Partition<S>, task: Task): void {
    p.barriers.push({ task, running: false, held: [] });
    this.runBarrier(p);
  }

  private runBarrier(p: Partition<S>): void {
    const b = p.barriers[0];
    if (!b || b.running || p.admitting || p.queues.size > 0) return;
    b.running = true;
    const finish = (): void => {
      p.barriers.shift();
      // The keyed tasks that waited for it go on (a later barrier waits for them in turn).
      p.admitting = true;
      try {
        for (const [key, task] of b.held) this.admit(p, key, task);
      } finally {
        p.admitting = false;
      }
      this.runBarrier(p);
    };
    let done: Promise<void> | void;
    try {
      done = b.task();
    } catch (err) {
      this.opts.log?.error({ err }, 'coordinator task failed');
      done = undefined;
    }
    if (done) {
      done.then(finish, (err: unknown) => {
        this.opts.log?.error({ err }, 'coordinator task failed');
        finish();
      });
    } else finish();
  }

  private admit(p: Partition<S>, key: string, task: Task): void {
    const queue = p.queues.get(key);
    if (queue) {
      queue.push(task);
      return;
    }
    const q: Task[] = [task];
    p.queues.set(key, q);
    const next = (): void => {
      for (;;) {
        const t = q[0];
        if (!t) {
          p.queues.delete(key);
          if (p.queues.size === 0) this.runBarrier(p);
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
          const advance = (): void => {
            q.shift();
            next();
          };
          done.then(advance, (err: unknown) => {
            this.opts.log?.error({ err, key }, 'coordinator task failed');
            advance();
          });
          return;
        }
        q.shift();
      }
    };
    next();
  }

  private run<R>(p: Partition<S>, op: WriteOperation<R>, onError: (errorCode: number) => R, resolve: (r: R | Promise<R>) => void, producer?: TxnProducer): Promise<void> | void {
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
    return this.opts.storage.append(p.index, result.records, this.opts.clock.now(), producer).then(
      (baseOffset) => {
        if (p.state !== 'active') {
          // Stored, but the partition moved away meanwhile: its next owner replays the records.
          resolve(onError(ErrorCode.NOT_COORDINATOR));
          return;
        }
        const producerId = producer?.producerId ?? NO_PRODUCER_ID;
        const producerEpoch = producer?.producerEpoch ?? -1;
        result.records.forEach((r, i) => p.shard.replay(r, { offset: baseOffset + i, producerId, producerEpoch }));
        result.committed?.();
        resolve(result.response);
      },
      (err: unknown) => {
        this.opts.log?.error({ err, partition: p.index }, `cannot write to ${this.opts.name}`);
        const code = p.state === 'active' ? appendErrorCode(err) : ErrorCode.NOT_COORDINATOR;
        result.failed?.(code);
        resolve(onError(code));
      },
    );
  }
}

/**
 * The error a coordinator request gets when its append failed (Kafka's
 * CoordinatorOperationExceptionHelper): the log's error mapped to the coordinator errors clients
 * retry on; an error without a Kafka code is COORDINATOR_NOT_AVAILABLE.
 */
export function appendErrorCode(err: unknown): number {
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number' ? err.code : null;
  switch (code) {
    case null:
    case ErrorCode.NONE:
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

/**
 * The transaction coordinator: a router from the transaction APIs to the shard of the
 * transactional id's __transaction_state partition (abs(javaHash(transactionalId)) % partitions),
 * on the coordinator runtime (runtime.ts) beside the group coordinator. Writes are serialized per
 * transactional id; their records are stored and replayed before the answer.
 *
 *   txn-metadata.ts  the state machine (Kafka's TransactionMetadata) and the record <-> state mapping
 *   txn-ops.ts       InitProducerId, AddPartitionsToTxn, EndTxn, expiry as operations on a shard
 *   txn-shard.ts     a partition's transactional ids, `replay`, the timeout and expiry scans
 *   txn-markers.ts   marker delivery after PrepareCommit/PrepareAbort, then CompleteCommit/CompleteAbort
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { Logger } from '../logger.js';
import type { Clock } from './clock.js';
import { partitionForGroup } from './hash.js';
import { compileRe2 } from './re2.js';
import { CoordinatorRuntime, type CoordinatorResult } from './runtime.js';
import type { CoordinatorStorage } from './storage.js';
import { DEFAULT_TXN_COORDINATOR_CONFIG, type TxnCoordinatorConfig } from './txn-config.js';
import { MarkerDelivery, type MarkerWriter, type TxnMarker } from './txn-markers.js';
import { isEpochExhausted, prepareComplete, TxnStates, tpKey, type TopicPartition, type TxnMetadata, type TxnState } from './txn-metadata.js';
import { NEED_PRODUCER_ID, addPartitions, endTxn, expireId, fenceAndAbort, initProducerId, txnRecord, verifyPartitions, type EndResult, type InitResult, type OpEnv } from './txn-ops.js';
import { TxnShard } from './txn-shard.js';

export * from './txn-config.js';
export type { TxnMarker, MarkerWriter } from './txn-markers.js';
export type { TopicPartition, TxnMetadata, TxnState } from './txn-metadata.js';
export type { EndResult, InitResult } from './txn-ops.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';

export interface TxnCoordinatorOptions {
  storage: CoordinatorStorage;
  clock: Clock;
  config?: Partial<TxnCoordinatorConfig>;
  log?: Logger;
  /** New producer ids (the broker's ProducerIdManager). */
  nextProducerId(): Promise<bigint>;
  /** How markers reach partitions. */
  markers: MarkerWriter;
  /** The coordinator epoch of a partition as it loads (its leader epoch). Default 0 (a single node). */
  coordinatorEpoch?: (partition: number) => number;
  /** In a cluster: partitions load and unload with leadership (`load`/`unload`). */
  followLeadership?: boolean;
}

export interface InitProducerIdRequest {
  transactionalId: string;
  transactionTimeoutMs: number;
  /** -1/-1 when the producer has none (v0-v2, or a new producer). */
  producerId: bigint;
  producerEpoch: number;
  enable2Pc: boolean;
  keepPreparedTxn: boolean;
}

export interface DescribedTransaction {
  errorCode: number;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: bigint;
  producerId: bigint;
  producerEpoch: number;
  topics: Array<{ topic: string; partitions: number[] }>;
}

export interface ListTransactionsFilter {
  states: readonly string[];
  producerIds: readonly bigint[];
  /** Only transactions running longer than this (ms); < 0: all. */
  durationMs: number;
  /** A RE2/J pattern the whole id must match; null or empty: all. */
  transactionalIdPattern: string | null;
}

export interface ListedTransactions {
  errorCode: number;
  errorMessage?: string;
  unknownStateFilters: string[];
  transactionStates: Array<{ transactionalId: string; producerId: bigint; transactionState: string }>;
}

const initError = (errorCode: number): InitResult => ({ errorCode, producerId: -1n, producerEpoch: -1 });
const endError = (errorCode: number): EndResult => ({ errorCode, producerId: -1n, producerEpoch: -1 });

export class TransactionCoordinator {
  readonly cfg: TxnCoordinatorConfig;
  private readonly runtime: CoordinatorRuntime<TxnShard>;
  private readonly markers: MarkerDelivery;
  private readonly followLeadership: boolean;
  private closed = false;
  private ready: Promise<void> | null = null;
  private creating: Promise<void> | null = null;

  constructor(private readonly opts: TxnCoordinatorOptions) {
    this.cfg = { ...DEFAULT_TXN_COORDINATOR_CONFIG, ...opts.config };
    this.followLeadership = opts.followLeadership ?? false;
    this.markers = new MarkerDelivery({
      writer: opts.markers,
      clock: opts.clock,
      log: opts.log,
      retryBackoffMs: this.cfg.markerRetryBackoffMs,
      complete: (shard, id, marker) => this.complete(shard, id, marker),
    });
    this.runtime = new CoordinatorRuntime<TxnShard>({
      name: TRANSACTION_STATE_TOPIC,
      storage: opts.storage,
      clock: opts.clock,
      ...(opts.log ? { log: opts.log } : {}),
      newShard: (ctx) =>
        new TxnShard(ctx, {
          cfg: this.cfg,
          coordinatorEpoch: opts.coordinatorEpoch ?? (() => 0),
          resumeMarkers: (shard, m) => {
            opts.log?.info({ transactionalId: m.transactionalId, state: m.state, partition: shard.ctx.partition }, 'sending transaction markers after loading');
            this.markers.start(shard, m);
          },
          abortTimedOut: (shard) => this.abortTimedOutOn(shard),
          expireIds: (shard) => this.expireIdsOn(shard),
        }),
    });
  }

  // ===========================================================================================
  // Lifecycle

  /** Loads every partition when the topic exists (a single broker leads them all). */
  start(): void {
    if (this.opts.storage.exists() && !this.followLeadership) this.ready = this.loadAll();
  }

  get loaded(): Promise<void> {
    return this.ready ?? Promise.resolve();
  }

  /** Resolves once no marker delivery is running (tests). */
  markersIdle(): Promise<void> {
    return this.markers.idle();
  }

  private async loadAll(): Promise<void> {
    await Promise.all(Array.from({ length: this.opts.storage.numPartitions() }, (_, p) => this.runtime.load(p)));
  }

  load(partition: number): Promise<void> {
    return this.runtime.load(partition);
  }

  unload(partition: number): void {
    this.runtime.unload(partition);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.runtime.close();
  }

  partitionFor(transactionalId: string): number {
    return partitionForGroup(transactionalId, this.opts.storage.numPartitions());
  }

  /** Creates __transaction_state when missing (FindCoordinator does, as in Kafka) and loads it. */
  async ensureStorage(): Promise<number> {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    if (this.ready && this.opts.storage.exists()) return ErrorCode.NONE;
    if (this.followLeadership) {
      try {
        await this.opts.storage.ensure();
        return ErrorCode.NONE;
      } catch (err) {
        this.opts.log?.warn({ err }, 'cannot create the transaction state topic yet');
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      }
    }
    const creating = (this.creating ??= (async () => {
      await this.opts.storage.ensure();
      this.ready = this.loadAll();
      await this.ready;
    })());
    try {
      await creating;
      return ErrorCode.NONE;
    } catch (err) {
      if (this.creating === creating) this.creating = null;
      this.opts.log?.error({ err }, 'cannot create the transaction state topic');
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  /** NONE, or why this coordinator cannot serve the id now (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS...). */
  accessError(transactionalId: string): number {
    if (this.closed || !this.opts.storage.exists()) return ErrorCode.NOT_COORDINATOR;
    return this.runtime.status(this.partitionFor(transactionalId));
  }

  /** A transactional id's metadata (tests, describe). */
  transaction(transactionalId: string): TxnMetadata | undefined {
    return this.runtime.shard(this.partitionFor(transactionalId))?.txns.get(transactionalId);
  }

  private opEnv(producerId: bigint | null): OpEnv {
    return {
      now: this.opts.clock.now(),
      serverTransactionVersion: this.cfg.transactionVersion,
      producerId,
      startMarkers: (shard, m) => this.markers.start(shard, m),
    };
  }

  /**
   * Runs an operation that may need a new producer id: with one fetched beforehand when the
   * transaction looks like it will (unknown id, exhausted epoch), and again with one if it did.
   */
  private async withProducerId<R>(id: string, likely: boolean, run: (producerId: bigint | null) => Promise<R | typeof NEED_PRODUCER_ID>, onError: (code: number) => R): Promise<R> {
    let producerId: bigint | null = null;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (likely || attempt > 0) {
        try {
          producerId = await this.opts.nextProducerId();
        } catch (err) {
          this.opts.log?.warn({ err, transactionalId: id }, 'cannot allocate a producer id');
          return onError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        }
      }
      const r = await run(producerId);
      if (r !== NEED_PRODUCER_ID) return r;
    }
    return onError(ErrorCode.CONCURRENT_TRANSACTIONS);
  }

  private write<R>(id: string, op: (shard: TxnShard) => CoordinatorResult<R>, onError: (code: number) => R): Promise<R> {
    return this.runtime.write(this.partitionFor(id), id, op, onError);
  }

  // ===========================================================================================
  // InitProducerId (transactional)

  async initProducerId(req: InitProducerIdRequest): Promise<InitResult> {
    const id = req.transactionalId;
    if (id === '') return initError(ErrorCode.INVALID_REQUEST);
    if (req.enable2Pc && !this.cfg.twoPhaseCommitEnable) return initError(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (req.keepPreparedTxn) return initError(ErrorCode.UNSUPPORTED_VERSION);
    const validTimeout = req.enable2Pc || (req.transactionTimeoutMs > 0 && req.transactionTimeoutMs <= this.cfg.transactionMaxTimeoutMs);
    if (!validTimeout) return initError(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    const timeoutMs = req.enable2Pc ? 0x7fffffff : req.transactionTimeoutMs;
    const storageError = await this.ensureStorage();
    if (storageError !== ErrorCode.NONE) return initError(storageError);
    const access = this.accessError(id);
    if (access !== ErrorCode.NONE) return initError(access);
    const expected = req.producerId === -1n && req.producerEpoch === -1 ? null : { producerId: req.producerId, producerEpoch: req.producerEpoch };
    const current = this.transaction(id);
    const likely = !current || isEpochExhausted(current.producerEpoch);
    return this.withProducerId(
      id,
      likely,
      (producerId) => this.write(id, (s) => initProducerId(s, { transactionalId: id, transactionTimeoutMs: timeoutMs, expected }, this.opEnv(producerId)), initError),
      initError,
    );
  }

  // ===========================================================================================
  // AddPartitionsToTxn, AddOffsetsToTxn

  /** Adds partitions to the transaction; one error for all of them. */
  async addPartitions(id: string, producerId: bigint, producerEpoch: number, partitions: readonly TopicPartition[], clientTransactionVersion: number): Promise<number> {
    if (id === '') return ErrorCode.INVALID_REQUEST;
    const access = this.accessError(id);
    if (access !== ErrorCode.NONE) return access;
    return this.write(id, (s) => addPartitions(s, id, producerId, producerEpoch, partitions, clientTransactionVersion, this.opEnv(null)), (e) => e);
  }

  /** KIP-890 part 1: whether each partition is in the transaction, by partition key (tpKey). */
  verifyPartitions(id: string, producerId: bigint, producerEpoch: number, partitions: readonly TopicPartition[]): Map<string, number> {
    const all = (code: number): Map<string, number> => new Map(partitions.map((tp) => [tpKey(tp), code]));
    if (id === '') return all(ErrorCode.INVALID_REQUEST);
    const access = this.accessError(id);
    if (access !== ErrorCode.NONE) return all(access);
    const shard = this.runtime.shard(this.partitionFor(id));
    if (!shard) return all(ErrorCode.NOT_COORDINATOR);
    return verifyPartitions(shard, id, producerId, producerEpoch, partitions);
  }

  // ===========================================================================================
  // EndTxn

  async endTxn(id: string, producerId: bigint, producerEpoch: number, commit: boolean, clientTransactionVersion: number): Promise<EndResult> {
    if (id === '') return endError(ErrorCode.INVALID_REQUEST);
    const access = this.accessError(id);
    if (access !== ErrorCode.NONE) return endError(access);
    const current = this.transaction(id);
    const likely = clientTransactionVersion >= 2 && current !== undefined && isEpochExhausted(current.producerEpoch);
    return this.withProducerId(id, likely, (pid) => this.write(id, (s) => endTxn(s, id, producerId, producerEpoch, commit, clientTransactionVersion, this.opEnv(pid)), endError), endError);
  }

  /** The markers of a transaction are written: store CompleteCommit/CompleteAbort. */
  private complete(shard: TxnShard, id: string, marker: TxnMarker): Promise<number> {
    return this.runtime.write(
      shard.ctx.partition,
      id,
      () => {
        const m = shard.txns.get(id);
        if (!m || (m.state !== 'PrepareCommit' && m.state !== 'PrepareAbort') || m.producerId !== marker.producerId || m.producerEpoch !== marker.producerEpoch) {
          return { records: [], response: ErrorCode.NONE };
        }
        const t = prepareComplete(m, this.opts.clock.now());
        return {
          records: [txnRecord(t, this.cfg.transactionVersion)],
          response: ErrorCode.NONE,
          committed: () => {
            const stored = shard.txns.get(id);
            if (stored) stored.lastProducerEpoch = t.lastProducerEpoch;
            this.opts.log?.debug({ transactionalId: id, state: t.state }, 'completed transaction');
          },
        };
      },
      (e) => e,
    );
  }

  // ===========================================================================================
  // Timeouts and expiry

  /** Aborts (with the epoch bump that fences its producer) every transaction past its timeout. */
  private abortTimedOutOn(shard: TxnShard): void {
    for (const m of shard.timedOut(this.opts.clock.now())) {
      const id = m.transactionalId;
      const producerId = m.producerId;
      shard.ctx.write(id, () => {
        const cur = shard.txns.get(id);
        const env = this.opEnv(null);
        if (!cur || cur.producerId !== producerId || cur.state !== 'Ongoing' || cur.txnStartTimestamp + cur.txnTimeoutMs >= env.now) return { records: [], response: undefined };
        this.opts.log?.info({ transactionalId: id, producerId: String(producerId) }, 'aborting transaction past its timeout');
        return fenceAndAbort(shard, cur, env, undefined) ?? { records: [], response: undefined };
      });
    }
  }

  private expireIdsOn(shard: TxnShard): void {
    for (const id of [...shard.txns.keys()]) shard.ctx.write(id, () => expireId(shard, id, this.cfg.transactionalIdExpirationMs, this.opEnv(null)));
  }

  /** Runs the timeout scan now on every loaded partition (tests; the timer runs it every interval). */
  abortTimedOutTransactions(): void {
    for (const s of this.runtime.shards()) this.abortTimedOutOn(s);
  }

  /** Runs the expiry scan now on every loaded partition (tests; the timer runs it every interval). */
  async expireTransactionalIds(): Promise<number> {
    const writes: Array<Promise<boolean>> = [];
    for (const s of this.runtime.shards()) {
      for (const id of [...s.txns.keys()]) writes.push(this.runtime.write(s.ctx.partition, id, () => expireId(s, id, this.cfg.transactionalIdExpirationMs, this.opEnv(null)), () => false));
    }
    return (await Promise.all(writes)).filter((x) => x).length;
  }

  // ===========================================================================================
  // DescribeTransactions, ListTransactions

  describe(id: string): DescribedTransaction {
    const out: DescribedTransaction = { errorCode: ErrorCode.NONE, transactionalId: id, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
    if (id === '') return { ...out, errorCode: ErrorCode.INVALID_REQUEST };
    const access = this.accessError(id);
    if (access !== ErrorCode.NONE) return { ...out, errorCode: access };
    const m = this.transaction(id);
    if (!m || m.state === 'Dead') return { ...out, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
    const topics = new Map<string, number[]>();
    for (const tp of m.partitions) topics.set(tp.topic, [...(topics.get(tp.topic) ?? []), tp.partition]);
    return {
      ...out,
      transactionState: m.state,
      transactionTimeoutMs: m.txnTimeoutMs,
      transactionStartTimeMs: BigInt(m.txnStartTimestamp),
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
    };
  }

  list(filter: ListTransactionsFilter): ListedTransactions {
    const empty: ListedTransactions = { errorCode: ErrorCode.NONE, unknownStateFilters: [], transactionStates: [] };
    if (this.closed) return { ...empty, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    if (this.runtime.loading) return { ...empty, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
    const states = new Set<TxnState>();
    const unknownStateFilters: string[] = [];
    for (const s of filter.states) {
      if ((TxnStates as readonly string[]).includes(s)) states.add(s as TxnState);
      else unknownStateFilters.push(s);
    }
    let pattern: ((s: string) => boolean) | null = null;
    if (filter.transactionalIdPattern !== null && filter.transactionalIdPattern !== '') {
      try {
        const re = compileRe2(filter.transactionalIdPattern);
        pattern = (s) => re.test(s);
      } catch (err) {
        return { ...empty, errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION, errorMessage: `Transaction ID pattern \`${filter.transactionalIdPattern}\` is not a valid regular expression: ${(err as Error).message}.` };
      }
    }
    const pids = new Set(filter.producerIds);
    const now = this.opts.clock.now();
    const transactionStates: ListedTransactions['transactionStates'] = [];
    for (const shard of this.runtime.shards()) {
      for (const m of shard.txns.values()) {
        if (m.state === 'Dead') continue;
        if (pids.size > 0 && !pids.has(m.producerId)) continue;
        if (filter.states.length > 0 && !states.has(m.state)) continue;
        if (filter.durationMs >= 0 && now - m.txnStartTimestamp <= filter.durationMs) continue;
        if (pattern && !pattern(m.transactionalId)) continue;
        transactionStates.push({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: m.state });
      }
    }
    return { errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates };
  }
}

/**
 * The transactional side of a producer, as the Java client's TransactionManager runs it (read for
 * the states and the handling of each error; written here anew):
 *
 *   uninitialized --initTransactions--> ready --begin--> inTransaction --commit--> ready
 *                                                         |     \--abort--> ready
 *                                                         v
 *                                                  abortableError --abort--> ready
 *   any state --fenced, or another fatal error--> fatalError (every later call rejects)
 *
 * - The coordinator of the transactional id (FindCoordinator key type 1) gets InitProducerId,
 *   AddPartitionsToTxn, AddOffsetsToTxn and EndTxn; the group's coordinator gets TxnOffsetCommit.
 * - Transaction version (KIP-890 part 2): when the broker finalizes `transaction.version` >= 2 (and
 *   the `transactionVersion` option does not say 1), no AddPartitionsToTxn (the Produce request,
 *   v12+, adds its partitions) and no AddOffsetsToTxn (TxnOffsetCommit v5+ adds the group), and
 *   EndTxn v5+ bumps the epoch on every commit or abort: the answer's id and epoch are used from
 *   then on, sequences start again at 0. Version 1 keeps the epoch across transactions and adds
 *   partitions before their first batch (AddPartitionsToTxn v3 or older, Produce v11 or older).
 * - Errors: NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE look the coordinator up again, other
 *   retriable ones (CONCURRENT_TRANSACTIONS, COORDINATOR_LOAD_IN_PROGRESS, a dropped connection)
 *   retry after a backoff, until `maxBlockMs`. PRODUCER_FENCED and INVALID_PRODUCER_EPOCH make
 *   ProducerFencedError, TRANSACTIONAL_ID_AUTHORIZATION_FAILED, INVALID_TXN_STATE and unexpected
 *   answers TransactionFatalError: the producer is unusable. TRANSACTION_ABORTABLE, authorization
 *   of a topic or group, a stale group generation, a record that could not be written make
 *   TransactionAbortableError: abort, then go on. UNKNOWN_PRODUCER_ID and INVALID_PRODUCER_ID_MAPPING
 *   are abortable too, and the abort then bumps the epoch (version 1: InitProducerId with the
 *   current id and epoch, KIP-360) so the sequences start afresh.
 */
import { ErrorCode, errorInfo } from '../protocol/errors.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import { ApiKey } from '../protocol/messages/index.js';
import type { BrokerPool } from './brokers.js';
import type { Connection } from './connection.js';
import { findCoordinator, type TopicPartitionRef } from './consumer-protocol.js';
import { ClientError, IllegalStateError, isRetriable, ProducerFencedError, TransactionAbortableError, TransactionFatalError } from './errors.js';

/** What a consumer in a group says about itself, for sendOffsetsToTransaction (Java's ConsumerGroupMetadata). */
export interface GroupMetadata {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export type TransactionState = 'uninitialized' | 'ready' | 'inTransaction' | 'committing' | 'aborting' | 'abortableError' | 'fatalError';

export interface TransactionOptions {
  transactionalId: string;
  transactionTimeoutMs: number;
  /** 1 forces the old protocol; 2 requires the new one; undefined: what the broker finalizes. */
  transactionVersion: 1 | 2 | undefined;
  retryBackoffMs: number;
  /** How long a transactional call may keep retrying (Java's max.block.ms). */
  maxBlockMs: number;
}

export interface ProducerIdAndEpoch {
  id: bigint;
  epoch: number;
}

const FENCED = new Set<number>([ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH]);
const RECOORDINATE = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE]);
const NEEDS_BUMP = new Set<number>([ErrorCode.UNKNOWN_PRODUCER_ID, ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
const ABORTABLE = new Set<number>([
  ErrorCode.TRANSACTION_ABORTABLE,
  ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.FENCED_INSTANCE_ID,
  ErrorCode.UNKNOWN_MEMBER_ID,
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.OPERATION_NOT_ATTEMPTED,
  ...NEEDS_BUMP,
]);
/** Produce errors that end the producer, not just the transaction. */
const FATAL_ON_PRODUCE = new Set<number>([ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.INVALID_TXN_STATE]);

/** TxnOffsetCommit and EndTxn below these speak transaction version 1. */
const TV1_MAX = { produce: 11, endTxn: 4, txnOffsetCommit: 4, addPartitions: 3 } as const;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class TransactionManager {
  state: TransactionState = 'uninitialized';
  pid: ProducerIdAndEpoch = { id: -1n, epoch: -1 };
  /** Transaction version 2 (KIP-890 part 2) is in use. Decided by initTransactions(). */
  tv2 = false;
  private lastError: ClientError | null = null;
  private readonly coords = new Map<string, Promise<Connection>>();
  /** Version 1: the partitions of the current transaction, added or being added. */
  private readonly added = new Map<string, Promise<void>>();
  /** The coordinator may know of the current transaction, so ending it needs EndTxn. */
  private started = false;
  private bumpRequired = false;

  constructor(
    private readonly pool: BrokerPool,
    private readonly opts: TransactionOptions,
  ) {}

  get transactionalId(): string {
    return this.opts.transactionalId;
  }

  /** The highest Produce version for this transaction version (undefined: no cap). */
  get produceVersionCap(): number | undefined {
    return this.tv2 ? undefined : TV1_MAX.produce;
  }

  /** InitProducerId: fences older producers of the id, aborts what they left open; ready for begin(). */
  async init(): Promise<void> {
    if (this.state !== 'uninitialized') throw this.stateError('initTransactions() once, before anything else');
    const conn = await this.pool.bootstrapConnection();
    const finalized = conn.finalizedFeatures.get('transaction.version') ?? 0;
    const canTv2 = finalized >= 2 && conn.versionFor(ApiKey.EndTxn) >= 5 && conn.versionFor(ApiKey.Produce) >= 12 && conn.versionFor(ApiKey.TxnOffsetCommit) >= 5;
    if (this.opts.transactionVersion === 2 && !canTv2) {
      throw this.toFatal(new TransactionFatalError(`transactionVersion 2 was asked for, but broker ${conn.address} finalizes transaction.version ${finalized}`));
    }
    this.tv2 = this.opts.transactionVersion !== 1 && canTv2;
    this.pid = await this.initProducerId(-1n, -1);
    this.state = 'ready';
  }

  begin(): void {
    this.throwIfFailed();
    if (this.state !== 'ready') throw this.stateError('beginTransaction() with a transaction open');
    this.state = 'inTransaction';
    this.added.clear();
    this.started = false;
  }

  /** For send(): throws unless a transaction is open and can still commit. */
  assertCanSend(): void {
    this.throwIfFailed();
    if (this.state !== 'inTransaction') throw this.stateError('send() of a transactional producer needs beginTransaction() first');
  }

  /** For commit: a transaction is open and nothing has failed in it. */
  assertCanCommit(): void {
    this.throwIfFailed();
    if (this.state !== 'inTransaction') throw this.stateError('commitTransaction() without a transaction open');
  }

  /** For abort: a transaction is open (failed or not); throws only after a fatal error. */
  assertCanAbort(): void {
    if (this.state === 'fatalError') throw this.lastError!;
    if (this.state !== 'inTransaction' && this.state !== 'abortableError') throw this.stateError('abortTransaction() without a transaction open');
  }

  /**
   * Before the first batch to each partition: version 1 adds them with AddPartitionsToTxn (one
   * request for those not added yet); version 2 only notes that the transaction has begun.
   */
  async addPartitions(parts: readonly TopicPartitionRef[]): Promise<void> {
    this.throwIfFailed();
    this.started = true;
    if (this.tv2) return;
    const fresh: TopicPartitionRef[] = [];
    const waits: Array<Promise<void>> = [];
    for (const p of parts) {
      const k = `${p.topic}\u0000${p.partition}`;
      const w = this.added.get(k);
      if (w) waits.push(w);
      else fresh.push(p);
    }
    if (fresh.length > 0) {
      const req = this.sendAddPartitions(fresh);
      for (const p of fresh) this.added.set(`${p.topic}\u0000${p.partition}`, req);
      req.catch(() => {
        for (const p of fresh) if (this.added.get(`${p.topic}\u0000${p.partition}`) === req) this.added.delete(`${p.topic}\u0000${p.partition}`);
      });
      waits.push(req);
    }
    await Promise.all(waits);
  }

  private async sendAddPartitions(parts: readonly TopicPartitionRef[]): Promise<void> {
    const byTopic = new Map<string, number[]>();
    for (const p of parts) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    await this.txnCall('AddPartitionsToTxn', async (conn) => {
      const res = await conn.send(
        ApiKey.AddPartitionsToTxn,
        {
          transactions: [],
          v3AndBelowTransactionalId: this.opts.transactionalId,
          v3AndBelowProducerId: this.pid.id,
          v3AndBelowProducerEpoch: this.pid.epoch,
          v3AndBelowTopics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
        },
        { version: Math.min(conn.versionFor(ApiKey.AddPartitionsToTxn), TV1_MAX.addPartitions) },
      );
      const codes = res.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => p.partitionErrorCode));
      // OPERATION_NOT_ATTEMPTED marks the partitions not tried because another failed: report that one.
      return codes.find((c) => c !== ErrorCode.NONE && c !== ErrorCode.OPERATION_NOT_ATTEMPTED) ?? codes.find((c) => c !== ErrorCode.NONE) ?? res.errorCode;
    });
  }

  /**
   * Commits consumed offsets as part of the transaction: version 1 AddOffsetsToTxn, then
   * TxnOffsetCommit (v4 or older) to the group's coordinator; version 2 TxnOffsetCommit v5+ alone.
   */
  async sendOffsets(offsets: ReadonlyArray<TopicPartitionRef & { offset: bigint; metadata?: string | null }>, group: GroupMetadata): Promise<void> {
    this.throwIfFailed();
    if (this.state !== 'inTransaction') throw this.stateError('sendOffsetsToTransaction() needs beginTransaction() first');
    this.started = true;
    if (!this.tv2) {
      await this.txnCall('AddOffsetsToTxn', async (conn) => {
        const res = await conn.send(ApiKey.AddOffsetsToTxn, { transactionalId: this.opts.transactionalId, producerId: this.pid.id, producerEpoch: this.pid.epoch, groupId: group.groupId });
        return res.errorCode;
      });
    }
    if (offsets.length === 0) return;
    const byTopic = new Map<string, Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }>>();
    for (const o of offsets) {
      const list = byTopic.get(o.topic) ?? [];
      list.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: o.metadata ?? '' });
      byTopic.set(o.topic, list);
    }
    await this.call('TxnOffsetCommit', { key: group.groupId, keyType: 0 }, async (conn) => {
      const v = conn.versionFor(ApiKey.TxnOffsetCommit);
      const res = await conn.send(
        ApiKey.TxnOffsetCommit,
        {
          transactionalId: this.opts.transactionalId,
          groupId: group.groupId,
          producerId: this.pid.id,
          producerEpoch: this.pid.epoch,
          generationId: group.generationId,
          memberId: group.memberId,
          groupInstanceId: group.groupInstanceId,
          topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
        },
        { version: this.tv2 ? v : Math.min(v, TV1_MAX.txnOffsetCommit) },
      );
      const codes = res.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
      // A timeout here means the group coordinator may have moved (as the Java client treats it).
      const code = codes.find((c) => c !== ErrorCode.NONE) ?? ErrorCode.NONE;
      return code === ErrorCode.REQUEST_TIMED_OUT ? ErrorCode.NOT_COORDINATOR : code;
    });
  }

  /**
   * Ends the open transaction (the producer flushed, or dropped what was unsent, first). Resolves
   * true when the producer id or epoch changed (version 2 always bumps; version 1 after an abort
   * that needs it), so the producer restarts its sequence numbers.
   */
  async end(commit: boolean): Promise<boolean> {
    if (commit) this.assertCanCommit();
    else this.assertCanAbort();
    this.state = commit ? 'committing' : 'aborting';
    let changed = false;
    try {
      if (this.started) {
        await this.txnCall('EndTxn', async (conn) => {
          const v = conn.versionFor(ApiKey.EndTxn);
          const res = await conn.send(
            ApiKey.EndTxn,
            { transactionalId: this.opts.transactionalId, producerId: this.pid.id, producerEpoch: this.pid.epoch, committed: commit },
            { version: this.tv2 ? v : Math.min(v, TV1_MAX.endTxn) },
          );
          if (res.errorCode === ErrorCode.NONE && this.tv2 && res.producerId >= 0n) {
            changed = res.producerId !== this.pid.id || res.producerEpoch !== this.pid.epoch;
            this.pid = { id: res.producerId, epoch: res.producerEpoch };
          }
          return res.errorCode;
        });
      }
      if (!commit && this.bumpRequired && !this.tv2) {
        this.pid = await this.initProducerId(this.pid.id, this.pid.epoch);
        changed = true;
      }
    } catch (err) {
      // A failed commit leaves the transaction to abort (unless the error was fatal).
      // (A retriable error that outlasted maxBlockMs: the transaction is still open; commit or abort again.)
      const now = this.state as TransactionState;
      if (now !== 'fatalError' && now !== 'abortableError') this.state = this.lastError ? 'abortableError' : 'inTransaction';
      throw err;
    }
    this.bumpRequired = false;
    this.lastError = null;
    this.state = 'ready';
    this.added.clear();
    this.started = false;
    return changed;
  }

  /**
   * A batch of the transaction failed for good (after the producer's retries): fencing and
   * authorization of the transactional id end the producer, anything else the transaction. With
   * version 1 the abort then bumps the epoch, since the partition's sequence numbers have a gap.
   * Returns the error the batch's records reject with: the producer's fatal error (fenced), else
   * the batch's own.
   */
  batchFailed(err: Error): Error {
    if (err instanceof TransactionFatalError || err instanceof TransactionAbortableError) return err; // already counted
    if (this.state === 'fatalError') return this.lastError!;
    const code = err instanceof KafkaProtocolError ? err.code : null;
    if (code !== null && FENCED.has(code)) {
      return this.toFatal(new ProducerFencedError(`producer ${this.pid.id} epoch ${this.pid.epoch} of transactional id ${this.opts.transactionalId} was fenced: ${err.message}`, { cause: err }));
    }
    if (code !== null && FATAL_ON_PRODUCE.has(code)) {
      return this.toFatal(new TransactionFatalError(`transactional id ${this.opts.transactionalId}: ${err.message}`, errorInfo(code).name, { cause: err }));
    }
    this.bumpRequired = true;
    this.toAbortable(new TransactionAbortableError(`a record of the transaction could not be written: ${err.message}`, code === null ? null : errorInfo(code).name, { cause: err }));
    return err;
  }

  /** Notes that the epoch must be bumped by the next abort (a batch dropped with its sequence numbers taken). */
  requireBump(): void {
    this.bumpRequired = true;
  }

  async close(): Promise<void> {
    await Promise.all([...this.coords.keys()].map((k) => this.dropCoordinator(k)));
  }

  // -------------------------------------------------------------------------------------------

  private async initProducerId(producerId: bigint, producerEpoch: number): Promise<ProducerIdAndEpoch> {
    let out: ProducerIdAndEpoch = { id: -1n, epoch: -1 };
    await this.txnCall('InitProducerId', async (conn) => {
      const res = await conn.send(ApiKey.InitProducerId, {
        transactionalId: this.opts.transactionalId,
        transactionTimeoutMs: this.opts.transactionTimeoutMs,
        producerId,
        producerEpoch,
        enable2Pc: false,
        keepPreparedTxn: false,
      });
      out = { id: res.producerId, epoch: res.producerEpoch };
      return res.errorCode;
    });
    return out;
  }

  private txnCall(what: string, send: (conn: Connection) => Promise<number>): Promise<void> {
    return this.call(what, { key: this.opts.transactionalId, keyType: 1 }, send);
  }

  /** Sends to a coordinator until the answer is not retriable or maxBlockMs passed; classifies the error. */
  private async call(what: string, target: { key: string; keyType: 0 | 1 }, send: (conn: Connection) => Promise<number>): Promise<void> {
    const deadline = Date.now() + this.opts.maxBlockMs;
    const key = `${target.keyType}:${target.key}`;
    for (;;) {
      let code: number;
      try {
        code = await send(await this.coordinator(target));
      } catch (err) {
        if (!(isRetriable(err) && Date.now() < deadline)) throw err;
        await this.dropCoordinator(key);
        await sleep(this.opts.retryBackoffMs);
        continue;
      }
      if (code === ErrorCode.NONE) return;
      if ((RECOORDINATE.has(code) || isRetriable(code)) && Date.now() < deadline) {
        if (RECOORDINATE.has(code)) await this.dropCoordinator(key);
        // CONCURRENT_TRANSACTIONS: the previous transaction's markers are being written; soon done.
        await sleep(code === ErrorCode.CONCURRENT_TRANSACTIONS ? Math.min(20, this.opts.retryBackoffMs) : this.opts.retryBackoffMs);
        continue;
      }
      throw this.classify(what, code);
    }
  }

  private classify(what: string, code: number): ClientError {
    const cause = new KafkaProtocolError(code, `${what} of transactional id ${this.opts.transactionalId}`);
    if (FENCED.has(code)) return this.toFatal(new ProducerFencedError(`producer ${this.pid.id} epoch ${this.pid.epoch} of transactional id ${this.opts.transactionalId} was fenced (${what}: ${errorInfo(code).name})`, { cause }));
    if (ABORTABLE.has(code) && this.state !== 'uninitialized') {
      if (NEEDS_BUMP.has(code)) this.bumpRequired = true;
      return this.toAbortable(new TransactionAbortableError(`${what}: ${cause.errorName}: ${cause.message}`, cause.errorName, { cause }));
    }
    return this.toFatal(new TransactionFatalError(`${what} failed: ${cause.errorName} (${errorInfo(code).message})`, cause.errorName, { cause }));
  }

  private toFatal(err: TransactionFatalError): TransactionFatalError {
    this.state = 'fatalError';
    this.lastError = err;
    return err;
  }

  private toAbortable(err: TransactionAbortableError): TransactionAbortableError {
    if (this.state === 'fatalError') return err;
    this.state = 'abortableError';
    this.lastError ??= err;
    return err;
  }

  private throwIfFailed(): void {
    if (this.state === 'fatalError') throw this.lastError!;
    if (this.state === 'abortableError') {
      const first = this.lastError!;
      throw new TransactionAbortableError(`the transaction must be aborted: ${first.message}`, first.errorName, { cause: first });
    }
  }

  private stateError(what: string): IllegalStateError {
    return new IllegalStateError(`${what} (transactional id ${this.opts.transactionalId} is ${this.state})`);
  }

  /** The coordinator's connection (the transaction's, or a group's for TxnOffsetCommit), kept until it fails. */
  private coordinator(target: { key: string; keyType: 0 | 1 }): Promise<Connection> {
    const key = `${target.keyType}:${target.key}`;
    const known = this.coords.get(key);
    if (known) return known.then((conn) => (conn.isClosed ? this.dropCoordinator(key).then(() => this.coordinator(target)) : conn));
    const conn = (async () => {
      const at = await findCoordinator(await this.pool.bootstrapConnection(), target.key, this.opts.maxBlockMs, target.keyType);
      return this.pool.open(at.host, at.port);
    })();
    this.coords.set(key, conn);
    conn.catch(() => this.coords.get(key) === conn && this.coords.delete(key));
    return conn;
  }

  private async dropCoordinator(key: string): Promise<void> {
    const c = this.coords.get(key);
    this.coords.delete(key);
    if (c) await c.then((x) => x.close()).catch(() => undefined);
  }
}

/**
 * The transaction coordinator's write operations on one shard (Kafka's TransactionCoordinator):
 * each reads a transactional id's metadata and returns the record of its transition and the answer
 * once that record is stored, changing nothing itself (the runtime replays the record). The rules
 * and error codes are Kafka's:
 *
 *  - InitProducerId: an unknown id gets a new producer id at epoch 0; an idle one its epoch bumped
 *    (KIP-360: a given producer id/epoch must be the current one, or the last one for a retry,
 *    else PRODUCER_FENCED), or a new producer id when the epoch is exhausted. An Ongoing
 *    transaction is aborted with the epoch bumped (fencing its producer) and the caller gets
 *    CONCURRENT_TRANSACTIONS until the abort completes; so do callers while one completes.
 *  - AddPartitionsToTxn / AddOffsetsToTxn: Ongoing with the partitions added; unknown id or
 *    another producer id -> INVALID_PRODUCER_ID_MAPPING, another epoch -> PRODUCER_FENCED.
 *    verifyOnly (KIP-890 part 1) answers per partition: NONE if in the transaction, else
 *    TRANSACTION_ABORTABLE.
 *  - EndTxn: PrepareCommit/PrepareAbort, then markers. Transaction version 2 (EndTxn v5) bumps
 *    the epoch on every end and answers the new producer id and epoch, accepts a retried end of
 *    the transaction just ended (its old epoch), and an abort with nothing begun; version 0/1
 *    keeps the epoch and answers INVALID_TXN_STATE to an end that does not match the state.
 *
 * Kafka marks a transition as pending while its record is written and answers
 * CONCURRENT_TRANSACTIONS meanwhile; here the runtime runs one write of an id at a time, so an
 * operation always sees the state its record will follow, and only the marker phase
 * (PrepareCommit/PrepareAbort) is visible to others. For the same reason a fence whose write
 * fails leaves no trace in memory, and Kafka's hasFailedEpochFence (which stops a second fence
 * from bumping an epoch that was bumped in memory only) has nothing to guard.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { encodeTransactionLogKey, encodeTransactionLogValue } from '../../protocol/transaction-log.js';
import type { CoordinatorResult } from './runtime.js';
import type { StoredRecord } from './storage.js';
import type { TxnShard } from './txn-shard.js';
import {
  IllegalTxnTransition,
  MAX_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  containsAll,
  isEpochExhausted,
  newTxnMetadata,
  prepareAbortOrCommit,
  prepareAddPartitions,
  prepareDead,
  prepareFenceProducerEpoch,
  prepareIncrementProducerEpoch,
  prepareProducerIdRotation,
  supportsEpochBump,
  toLogValue,
  tpKey,
  type TopicPartition,
  type TxnMetadata,
} from './txn-metadata.js';

/** What an operation knows besides the shard. */
export interface OpEnv {
  now: number;
  /** The finalized transaction.version: the log value version, and the version of coordinator-made aborts. */
  serverTransactionVersion: number;
  /** A producer id fetched before the operation ran, for an operation that turns out to need one. */
  producerId: bigint | null;
  /** Starts writing the markers of a transaction whose Prepare record has just been stored. */
  startMarkers(shard: TxnShard, m: TxnMetadata): void;
}

/** The answer of an operation that needed a producer id it was not given: fetch one and run it again. */
export const NEED_PRODUCER_ID = Symbol('need producer id');

export interface InitResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export interface EndResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

const initError = (errorCode: number): InitResult => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });
const endError = (errorCode: number): EndResult => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });

function answer<R>(response: R): CoordinatorResult<R> {
  return { records: [], response };
}

export function txnRecord(t: TxnMetadata, serverTransactionVersion: number): StoredRecord {
  const key = encodeTransactionLogKey(t.transactionalId);
  if (t.state === 'Dead') return { key, value: null };
  return { key, value: encodeTransactionLogValue(toLogValue(t), serverTransactionVersion >= 1 ? 1 : 0) };
}

/** A write of transition `t`: once stored and replayed, the in-memory last epoch follows it too. */
function store<R>(shard: TxnShard, t: TxnMetadata, env: OpEnv, response: R, after?: (m: TxnMetadata) => void, failed?: (code: number) => void): CoordinatorResult<R> {
  return {
    records: [txnRecord(t, env.serverTransactionVersion)],
    response,
    committed: () => {
      const m = shard.txns.get(t.transactionalId);
      if (!m) return;
      m.lastProducerEpoch = t.lastProducerEpoch;
      after?.(m);
    },
    ...(failed ? { failed } : {}),
  };
}

// =============================================================================================
// InitProducerId

export interface InitRequest {
  transactionalId: string;
  transactionTimeoutMs: number;
  /** KIP-360: the producer's current id and epoch, or null. */
  expected: { producerId: bigint; producerEpoch: number } | null;
}

export function initProducerId(shard: TxnShard, req: InitRequest, env: OpEnv): CoordinatorResult<InitResult | typeof NEED_PRODUCER_ID> {
  let m = shard.txns.get(req.transactionalId);
  if (!m) {
    if (env.producerId === null) return answer(NEED_PRODUCER_ID);
    m = newTxnMetadata(req.transactionalId, env.producerId, req.transactionTimeoutMs, env.now);
  }
  const exp = req.expected;
  const validProducerId = exp === null || m.producerEpoch === NO_PRODUCER_EPOCH || exp.producerId === m.producerId || (exp.producerId === m.prevProducerId && isEpochExhausted(exp.producerEpoch));
  if (!validProducerId) return answer(initError(ErrorCode.PRODUCER_FENCED));
  switch (m.state) {
    case 'PrepareAbort':
    case 'PrepareCommit':
      return answer(initError(ErrorCode.CONCURRENT_TRANSACTIONS));
    case 'CompleteAbort':
    case 'CompleteCommit':
    case 'Empty': {
      let t: TxnMetadata;
      if (isEpochExhausted(m.producerEpoch) && (exp === null || exp.producerEpoch === m.producerEpoch)) {
        if (env.producerId === null || env.producerId === m.producerId) return answer(NEED_PRODUCER_ID);
        t = prepareProducerIdRotation(m, env.producerId, req.transactionTimeoutMs, env.now, exp !== null);
      } else {
        const r = prepareIncrementProducerEpoch(m, req.transactionTimeoutMs, exp === null ? null : exp.producerEpoch, env.now);
        if (r === 'PRODUCER_FENCED') return answer(initError(ErrorCode.PRODUCER_FENCED));
        t = r;
      }
      shard.ctx.log?.info({ transactionalId: req.transactionalId, producerId: String(t.producerId), producerEpoch: t.producerEpoch, partition: shard.ctx.partition }, 'initialized transactional id');
      return store(shard, t, env, { errorCode: ErrorCode.NONE, producerId: t.producerId, producerEpoch: t.producerEpoch });
    }
    case 'Ongoing': {
      // Abort the open transaction with the epoch bumped (the old producer is fenced); the caller
      // retries and gets its epoch bumped again once the abort is complete.
      const r = fenceAndAbort(shard, m, env, initError(ErrorCode.CONCURRENT_TRANSACTIONS));
      return r ?? answer(initError(ErrorCode.UNKNOWN_SERVER_ERROR));
    }
    default:
      throw new IllegalTxnTransition(`Found transactionalId ${req.transactionalId} with state ${m.state}. This is illegal as we should never have transitioned to this state.`);
  }
}

/**
 * PrepareEpochFence then PrepareAbort, in one record (Kafka's fence followed by the coordinator's
 * own EndTxn abort): InitProducerId over an open transaction, and transactions past their
 * timeout. The abort is of the server's transaction version. With transaction version 2 the
 * abort's own epoch bump is the fence: the epoch goes up once, as Apache Kafka 4.3.1 writes it
 * (PrepareAbort and the ABORT markers at epoch + 1, so a producer whose transaction timed out
 * and that then commits is answered INVALID_TXN_STATE, a retry of the ended transaction, not
 * PRODUCER_FENCED); versions 0/1 keep the epoch on an end, so the fence bumps it.
 */
export function fenceAndAbort<R>(shard: TxnShard, m: TxnMetadata, env: OpEnv, response: R): CoordinatorResult<R> | null {
  const fenced = supportsEpochBump(env.serverTransactionVersion)
    ? { ...m, lastProducerEpoch: NO_PRODUCER_EPOCH }
    : { ...m, producerEpoch: prepareFenceProducerEpoch(m).producerEpoch, lastProducerEpoch: NO_PRODUCER_EPOCH };
  const r = endTransaction(fenced, fenced.producerId, fenced.producerEpoch, false, false, env.serverTransactionVersion, true, env);
  if (r.kind !== 'transit') return null;
  return store(shard, r.transit, env, response, (stored) => env.startMarkers(shard, stored));
}

// =============================================================================================
// AddPartitionsToTxn (and AddOffsetsToTxn, and TV2's implicit add on produce / TxnOffsetCommit)

export function addPartitions(
  shard: TxnShard,
  transactionalId: string,
  producerId: bigint,
  producerEpoch: number,
  partitions: readonly TopicPartition[],
  clientTransactionVersion: number,
  env: OpEnv,
): CoordinatorResult<number> {
  const m = shard.txns.get(transactionalId);
  if (!m || m.producerId !== producerId) return answer(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  if (m.producerEpoch !== producerEpoch) return answer(ErrorCode.PRODUCER_FENCED);
  if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort') return answer(ErrorCode.CONCURRENT_TRANSACTIONS);
  if (m.state === 'Ongoing' && containsAll(m.partitions, partitions)) return answer(ErrorCode.NONE);
  return store(shard, prepareAddPartitions(m, partitions, env.now, clientTransactionVersion), env, ErrorCode.NONE);
}

/** verifyOnly: whether each partition is in the transaction (reads only). */
export function verifyPartitions(shard: TxnShard, transactionalId: string, producerId: bigint, producerEpoch: number, partitions: readonly TopicPartition[]): Map<string, number> {
  const all = (code: number): Map<string, number> => new Map(partitions.map((tp) => [tpKey(tp), code]));
  const m = shard.txns.get(transactionalId);
  if (!m || m.producerId !== producerId) return all(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  if (m.producerEpoch !== producerEpoch) return all(ErrorCode.PRODUCER_FENCED);
  if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort') return all(ErrorCode.CONCURRENT_TRANSACTIONS);
  const inTxn = new Set(m.partitions.map(tpKey));
  return new Map(partitions.map((tp) => [tpKey(tp), inTxn.has(tpKey(tp)) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE]));
}

// =============================================================================================
// EndTxn

type EndDecision = { kind: 'error'; code: number } | { kind: 'done'; producerId: bigint; producerEpoch: number } | { kind: 'transit'; transit: TxnMetadata } | { kind: 'need-id' };

function invalidState(): EndDecision {
  return { kind: 'error', code: ErrorCode.INVALID_TXN_STATE };
}

/**
 * Kafka's endTransaction without the write: what an EndTxn (or the coordinator's own abort, with
 * `isFromClient` false and `isEpochFence` true) leads to from `m`.
 */
export function endTransaction(m: TxnMetadata, producerId: bigint, producerEpoch: number, commit: boolean, isFromClient: boolean, clientTransactionVersion: number, isEpochFence: boolean, env: OpEnv): EndDecision {
  const completion = (to: 'PrepareCommit' | 'PrepareAbort', tv: number, noPartitionAdded: boolean): EndDecision => {
    let nextProducerId = NO_PRODUCER_ID;
    if (supportsEpochBump(tv) && !isEpochFence && isEpochExhausted(m.producerEpoch)) {
      if (env.producerId === null || env.producerId === m.producerId) return { kind: 'need-id' };
      nextProducerId = env.producerId;
    }
    return { kind: 'transit', transit: prepareAbortOrCommit(m, to, tv, nextProducerId, env.now, noPartitionAdded) };
  };
  if (!supportsEpochBump(clientTransactionVersion)) {
    // Transaction version 0/1.
    if (m.producerId !== producerId) return { kind: 'error', code: ErrorCode.INVALID_PRODUCER_ID_MAPPING };
    if ((isFromClient && producerEpoch !== m.producerEpoch) || producerEpoch < m.producerEpoch) return { kind: 'error', code: ErrorCode.PRODUCER_FENCED };
    switch (m.state) {
      case 'Ongoing':
        return completion(commit ? 'PrepareCommit' : 'PrepareAbort', 0, false);
      case 'CompleteCommit':
        return commit ? { kind: 'done', producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH } : invalidState();
      case 'CompleteAbort':
        return !commit ? { kind: 'done', producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH } : invalidState();
      case 'PrepareCommit':
        return commit ? { kind: 'error', code: ErrorCode.CONCURRENT_TRANSACTIONS } : invalidState();
      case 'PrepareAbort':
        return !commit ? { kind: 'error', code: ErrorCode.CONCURRENT_TRANSACTIONS } : invalidState();
      case 'Empty':
        return invalidState();
      default:
        throw new IllegalTxnTransition(`Found transactionalId ${m.transactionalId} with state ${m.state}. This is illegal as we should never have transitioned to this state.`);
    }
  }
  // Transaction version 2: every end bumps the epoch; a retry carries the epoch before the bump.
  const retryOnOverflow = !isEpochFence && m.prevProducerId === producerId && producerEpoch === MAX_EPOCH - 1 && m.producerEpoch === 0;
  const retryOnEpochBump = !isEpochFence && m.producerEpoch === producerEpoch + 1;
  let validEpoch: boolean;
  if (isEpochFence) validEpoch = (!isFromClient || producerEpoch === m.producerEpoch) && producerEpoch >= m.producerEpoch;
  else if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort') validEpoch = retryOnEpochBump;
  else if (m.state === 'CompleteCommit' || m.state === 'CompleteAbort') validEpoch = retryOnEpochBump || retryOnOverflow || producerEpoch === m.producerEpoch;
  else validEpoch = producerEpoch === m.producerEpoch;
  const isRetry = retryOnEpochBump || retryOnOverflow;
  if (m.producerId !== producerId && !retryOnOverflow) return { kind: 'error', code: ErrorCode.INVALID_PRODUCER_ID_MAPPING };
  if (!validEpoch) return { kind: 'error', code: ErrorCode.PRODUCER_FENCED };
  const done: EndDecision = { kind: 'done', producerId: m.producerId, producerEpoch: m.producerEpoch };
  switch (m.state) {
    case 'Ongoing':
      return completion(commit ? 'PrepareCommit' : 'PrepareAbort', clientTransactionVersion, false);
    case 'CompleteCommit':
      if (commit) return isRetry ? done : invalidState();
      return isRetry ? invalidState() : completion('PrepareAbort', clientTransactionVersion, true);
    case 'CompleteAbort':
      if (!commit) return isRetry ? done : completion('PrepareAbort', clientTransactionVersion, true);
      return invalidState();
    case 'PrepareCommit':
      return commit ? { kind: 'error', code: ErrorCode.CONCURRENT_TRANSACTIONS } : invalidState();
    case 'PrepareAbort':
      return !commit ? { kind: 'error', code: ErrorCode.CONCURRENT_TRANSACTIONS } : invalidState();
    case 'Empty':
      return !commit ? completion('PrepareAbort', clientTransactionVersion, true) : invalidState();
    default:
      throw new IllegalTxnTransition(`Found transactionalId ${m.transactionalId} with state ${m.state}. This is illegal as we should never have transitioned to this state.`);
  }
}

export function endTxn(
  shard: TxnShard,
  transactionalId: string,
  producerId: bigint,
  producerEpoch: number,
  commit: boolean,
  clientTransactionVersion: number,
  env: OpEnv,
): CoordinatorResult<EndResult | typeof NEED_PRODUCER_ID> {
  const m = shard.txns.get(transactionalId);
  if (!m) return answer(endError(ErrorCode.INVALID_PRODUCER_ID_MAPPING));
  const d = endTransaction(m, producerId, producerEpoch, commit, true, clientTransactionVersion, false, env);
  switch (d.kind) {
    case 'error':
      if (d.code === ErrorCode.INVALID_TXN_STATE) shard.ctx.log?.warn({ transactionalId, state: m.state, commit }, 'EndTxn does not match the transaction state');
      return answer(endError(d.code));
    case 'done':
      return answer({ errorCode: ErrorCode.NONE, producerId: d.producerId, producerEpoch: d.producerEpoch });
    case 'need-id':
      return answer(NEED_PRODUCER_ID);
    case 'transit': {
      const t = d.transit;
      // TV2 answers the producer id and epoch of the next transaction (a new id when the epoch overflowed).
      const tv2 = supportsEpochBump(clientTransactionVersion);
      const response: EndResult = !tv2
        ? { errorCode: ErrorCode.NONE, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH }
        : t.nextProducerId !== NO_PRODUCER_ID
          ? { errorCode: ErrorCode.NONE, producerId: t.nextProducerId, producerEpoch: 0 }
          : { errorCode: ErrorCode.NONE, producerId: t.producerId, producerEpoch: t.producerEpoch };
      return store(shard, t, env, response, (stored) => env.startMarkers(shard, stored));
    }
  }
}

// =============================================================================================
// Expiry

/** The tombstones of idle ids past transactional.id.expiration.ms (Kafka's removeExpiredTransactionalIds). */
export function expireId(shard: TxnShard, transactionalId: string, expirationMs: number, env: OpEnv): CoordinatorResult<boolean> {
  const m = shard.txns.get(transactionalId);
  if (!m) return answer(false);
  const idle = (m.state === 'Empty' || m.state === 'CompleteCommit' || m.state === 'CompleteAbort') && m.txnLastUpdateTimestamp <= env.now - expirationMs;
  if (!idle) return answer(false);
  return { records: [txnRecord(prepareDead(m), env.serverTransactionVersion)], response: true };
}

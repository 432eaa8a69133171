/**
 * A transactional id's state, after Kafka's TransactionMetadata: the producer id and epoch, the
 * transaction's state and partitions, and the transitions between states. Here a transition is a
 * pure function: it returns the metadata the transition leads to (Kafka's TxnTransitMetadata),
 * which becomes a record; the state changes only when the runtime replays that record
 * (`fromLogValue`). Two fields are not in the record and live in memory, as in Kafka: the last
 * producer epoch (KIP-360 retries; -1 after a load) and the partitions whose markers are written
 * while a transaction completes.
 *
 * States and the transitions into them (with the states they may come from):
 *   Empty             <- Empty, CompleteCommit, CompleteAbort      (InitProducerId)
 *   Ongoing           <- Ongoing, Empty, CompleteCommit, CompleteAbort (AddPartitionsToTxn)
 *   PrepareCommit     <- Ongoing                                   (EndTxn commit)
 *   PrepareAbort      <- Ongoing, PrepareEpochFence, and with transaction version 2 also Empty,
 *                        CompleteCommit, CompleteAbort              (EndTxn abort, fencing, timeout)
 *   CompleteCommit    <- PrepareCommit                             (markers written)
 *   CompleteAbort     <- PrepareAbort                              (markers written)
 *   Dead              <- Empty, CompleteCommit, CompleteAbort      (expiry: a tombstone)
 *   PrepareEpochFence <- Ongoing                                   (a new producer fences the old)
 */
import type { TransactionLogValue } from '../../protocol/transaction-log.js';

export const TxnStates = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'] as const;
export type TxnState = (typeof TxnStates)[number];

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const MAX_EPOCH = 32767;

const VALID_PREVIOUS: Record<TxnState, readonly TxnState[]> = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  Dead: ['Empty', 'CompleteAbort', 'CompleteCommit'],
  PrepareEpochFence: ['Ongoing'],
};

/** States in which an idle transactional id may expire. */
export function expirationAllowed(s: TxnState): boolean {
  return s === 'Empty' || s === 'CompleteCommit' || s === 'CompleteAbort';
}

export function stateId(s: TxnState): number {
  return TxnStates.indexOf(s);
}

export function stateFromId(id: number): TxnState {
  const s = TxnStates[id];
  if (s === undefined) throw new Error(`Unknown transaction state id ${id} from the transaction status message`);
  return s;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export function tpKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

export interface TxnMetadata {
  readonly transactionalId: string;
  producerId: bigint;
  /** The producer id before the last rotation (epoch exhaustion), -1 if none. */
  prevProducerId: bigint;
  /** With transaction version 2: the id the producer moves to when this transaction's epoch bump overflows. */
  nextProducerId: bigint;
  producerEpoch: number;
  /** In memory only (KIP-360: a retried InitProducerId of a producer that did get its bump). */
  lastProducerEpoch: number;
  txnTimeoutMs: number;
  state: TxnState;
  /** The transaction's partitions; while it completes, those whose marker is not written yet. */
  partitions: TopicPartition[];
  txnStartTimestamp: number;
  txnLastUpdateTimestamp: number;
  /** The transaction version the client used at its last transition (0, 1 or 2). */
  clientTransactionVersion: number;
}

/** A transition Kafka would refuse as a bug (IllegalStateException): answered UNKNOWN_SERVER_ERROR. */
export class IllegalTxnTransition extends Error {}

export function isEpochExhausted(epoch: number): boolean {
  return epoch >= MAX_EPOCH - 1;
}

export function supportsEpochBump(transactionVersion: number): boolean {
  return transactionVersion >= 2;
}

export function newTxnMetadata(transactionalId: string, producerId: bigint, txnTimeoutMs: number, now: number): TxnMetadata {
  return {
    transactionalId,
    producerId,
    prevProducerId: NO_PRODUCER_ID,
    nextProducerId: NO_PRODUCER_ID,
    producerEpoch: NO_PRODUCER_EPOCH,
    lastProducerEpoch: NO_PRODUCER_EPOCH,
    txnTimeoutMs,
    state: 'Empty',
    partitions: [],
    txnStartTimestamp: -1,
    txnLastUpdateTimestamp: now,
    clientTransactionVersion: 0,
  };
}

function sortPartitions(ps: TopicPartition[]): TopicPartition[] {
  return ps.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

export function unionPartitions(a: readonly TopicPartition[], b: readonly TopicPartition[]): TopicPartition[] {
  const seen = new Map<string, TopicPartition>();
  for (const tp of [...a, ...b]) seen.set(tpKey(tp), { topic: tp.topic, partition: tp.partition });
  return sortPartitions([...seen.values()]);
}

export function containsAll(have: readonly TopicPartition[], want: readonly TopicPartition[]): boolean {
  const keys = new Set(have.map(tpKey));
  return want.every((tp) => keys.has(tpKey(tp)));
}

/** The transition target `to` from `m`, with the changes; throws when `to` may not follow m.state. */
function transit(m: TxnMetadata, to: TxnState, changes: Partial<TxnMetadata>): TxnMetadata {
  if (!VALID_PREVIOUS[to].includes(m.state)) {
    throw new IllegalTxnTransition(`Preparing transaction state transition to ${to} failed since the target state ${to} is not a valid previous state of the current state ${m.state}`);
  }
  const next: TxnMetadata = { ...m, partitions: [...m.partitions], ...changes, state: to, prevProducerId: changes.prevProducerId ?? m.producerId };
  if (next.producerId < 0n) throw new IllegalTxnTransition(`Illegal new producer id ${next.producerId}`);
  if (to !== 'Dead' && next.producerEpoch < 0) throw new IllegalTxnTransition(`Illegal new producer epoch ${next.producerEpoch}`);
  return next;
}

/** PrepareEpochFence: the epoch bumped once to fence the current producer (not bumped past MAX). */
export function prepareFenceProducerEpoch(m: TxnMetadata): TxnMetadata {
  const bumped = m.producerEpoch === MAX_EPOCH ? m.producerEpoch : m.producerEpoch + 1;
  return transit(m, 'PrepareEpochFence', { producerEpoch: bumped });
}

/**
 * InitProducerId on an idle id: Empty with the epoch bumped. `expectedEpoch` (KIP-360, v3+) may
 * match the current epoch (bump), or the last epoch (a retry: no bump); otherwise PRODUCER_FENCED.
 */
export function prepareIncrementProducerEpoch(m: TxnMetadata, txnTimeoutMs: number, expectedEpoch: number | null, now: number): TxnMetadata | 'PRODUCER_FENCED' {
  if (isEpochExhausted(m.producerEpoch)) throw new IllegalTxnTransition(`Cannot allocate any more producer epochs for producerId ${m.producerId}`);
  const bumped = m.producerEpoch + 1;
  let producerEpoch: number;
  let lastProducerEpoch: number;
  if (expectedEpoch === null) {
    producerEpoch = bumped;
    lastProducerEpoch = NO_PRODUCER_EPOCH;
  } else if (m.producerEpoch === NO_PRODUCER_EPOCH || expectedEpoch === m.producerEpoch) {
    producerEpoch = bumped;
    lastProducerEpoch = m.producerEpoch;
  } else if (expectedEpoch === m.lastProducerEpoch) {
    producerEpoch = m.producerEpoch;
    lastProducerEpoch = m.lastProducerEpoch;
  } else {
    return 'PRODUCER_FENCED';
  }
  return transit(m, 'Empty', { producerEpoch, lastProducerEpoch, txnTimeoutMs, partitions: [], txnStartTimestamp: -1, txnLastUpdateTimestamp: now });
}

/** InitProducerId when the epoch is exhausted: a new producer id at epoch 0. */
export function prepareProducerIdRotation(m: TxnMetadata, newProducerId: bigint, txnTimeoutMs: number, now: number, recordLastEpoch: boolean): TxnMetadata {
  if (m.state === 'Ongoing' || m.state === 'PrepareAbort' || m.state === 'PrepareCommit') {
    throw new IllegalTxnTransition('Cannot rotate producer ids while a transaction is still pending');
  }
  return transit(m, 'Empty', {
    producerId: newProducerId,
    producerEpoch: 0,
    lastProducerEpoch: recordLastEpoch ? m.producerEpoch : NO_PRODUCER_EPOCH,
    txnTimeoutMs,
    partitions: [],
    txnStartTimestamp: -1,
    txnLastUpdateTimestamp: now,
  });
}

/** AddPartitionsToTxn (or a TV2 produce, or AddOffsetsToTxn): Ongoing with the partitions added. */
export function prepareAddPartitions(m: TxnMetadata, added: readonly TopicPartition[], now: number, clientTransactionVersion: number): TxnMetadata {
  const starting = m.state === 'Empty' || m.state === 'CompleteAbort' || m.state === 'CompleteCommit';
  return transit(m, 'Ongoing', {
    partitions: unionPartitions(m.partitions, added),
    txnStartTimestamp: starting ? now : m.txnStartTimestamp,
    txnLastUpdateTimestamp: now,
    clientTransactionVersion,
  });
}

/**
 * EndTxn: PrepareCommit or PrepareAbort. With transaction version 2 the epoch is bumped (the
 * markers carry the new epoch, fencing whatever the old one still sends); an abort at MAX_EPOCH
 * goes through unbumped so a broken producer can recover. `noPartitionAdded`: a TV2 abort of a
 * transaction that never began starts it now.
 */
export function prepareAbortOrCommit(m: TxnMetadata, to: 'PrepareCommit' | 'PrepareAbort', clientTransactionVersion: number, nextProducerId: bigint, now: number, noPartitionAdded: boolean): TxnMetadata {
  let producerEpoch = m.producerEpoch;
  let lastProducerEpoch = m.lastProducerEpoch;
  if (supportsEpochBump(clientTransactionVersion)) {
    if (!(m.producerEpoch === MAX_EPOCH && to === 'PrepareAbort')) producerEpoch = m.producerEpoch + 1;
    lastProducerEpoch = m.producerEpoch;
  }
  return transit(m, to, {
    producerEpoch,
    lastProducerEpoch,
    nextProducerId,
    txnStartTimestamp: noPartitionAdded ? now : m.txnStartTimestamp,
    txnLastUpdateTimestamp: now,
    clientTransactionVersion,
  });
}

/** The markers are written: CompleteCommit or CompleteAbort, on the next producer id if the epoch overflowed. */
export function prepareComplete(m: TxnMetadata, now: number): TxnMetadata {
  const to = m.state === 'PrepareCommit' ? 'CompleteCommit' : 'CompleteAbort';
  const rotate = supportsEpochBump(m.clientTransactionVersion) && m.nextProducerId !== NO_PRODUCER_ID;
  return transit(m, to, {
    producerId: rotate ? m.nextProducerId : m.producerId,
    producerEpoch: rotate ? 0 : m.producerEpoch,
    nextProducerId: NO_PRODUCER_ID,
    partitions: [],
    txnLastUpdateTimestamp: now,
  });
}

/** Expiry of an idle id: Dead, written as a tombstone. */
export function prepareDead(m: TxnMetadata): TxnMetadata {
  return transit(m, 'Dead', { partitions: [] });
}

// =============================================================================================
// Records

/** The record value of a transition (Kafka's TransactionLog.valueToBytes): Empty writes no partitions. */
export function toLogValue(m: TxnMetadata): TransactionLogValue {
  if (m.state === 'Empty' && m.partitions.length > 0) throw new IllegalTxnTransition(`Transaction is not expected to have any partitions since its state is Empty: ${m.transactionalId}`);
  let partitions: TransactionLogValue['transactionPartitions'] = null;
  if (m.state !== 'Empty') {
    const byTopic = new Map<string, number[]>();
    for (const tp of m.partitions) {
      const ids = byTopic.get(tp.topic) ?? [];
      ids.push(tp.partition);
      byTopic.set(tp.topic, ids);
    }
    partitions = [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds }));
  }
  return {
    producerId: m.producerId,
    previousProducerId: m.prevProducerId,
    nextProducerId: m.nextProducerId,
    producerEpoch: m.producerEpoch,
    nextProducerEpoch: -1,
    transactionTimeoutMs: m.txnTimeoutMs,
    transactionStatus: stateId(m.state),
    transactionPartitions: partitions,
    transactionLastUpdateTimestampMs: BigInt(m.txnLastUpdateTimestamp),
    transactionStartTimestampMs: BigInt(m.txnStartTimestamp),
    clientTransactionVersion: m.clientTransactionVersion,
  };
}

/** The metadata a stored value describes (Kafka's readTxnRecordValue): the last epoch is not stored. */
export function fromLogValue(transactionalId: string, v: TransactionLogValue): TxnMetadata {
  const state = stateFromId(v.transactionStatus);
  const partitions: TopicPartition[] = [];
  if (state !== 'Empty') for (const p of v.transactionPartitions ?? []) for (const id of p.partitionIds) partitions.push({ topic: p.topic, partition: id });
  return {
    transactionalId,
    producerId: v.producerId,
    prevProducerId: v.previousProducerId,
    nextProducerId: v.nextProducerId,
    producerEpoch: v.producerEpoch,
    lastProducerEpoch: NO_PRODUCER_EPOCH,
    txnTimeoutMs: v.transactionTimeoutMs,
    state,
    partitions: sortPartitions(partitions),
    txnStartTimestamp: Number(v.transactionStartTimestampMs),
    txnLastUpdateTimestamp: Number(v.transactionLastUpdateTimestampMs),
    clientTransactionVersion: v.clientTransactionVersion,
  };
}

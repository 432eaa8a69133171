/**
 * KIP-890 on the leader's side (Kafka's AddPartitionsToTxnManager and the produce path's
 * verification): before a transactional batch starts a transaction on a partition, the leader
 * asks the transactional id's coordinator, with AddPartitionsToTxn v4+ (locally when it is this
 * broker, else through the cluster's peers), either
 *
 *  - 'verify' (part 1, clients of transaction version 0/1: Produce below v12, TxnOffsetCommit
 *    below v5): is the partition already in the transaction? A batch the producer did not add first
 *    (a zombie, or a late retry after the transaction ended) is refused, so it cannot open a
 *    transaction that nobody will ever end;
 *  - 'add' (part 2, transaction version 2: Produce v12+, TxnOffsetCommit v5+): add it, the client
 *    no longer sends AddPartitionsToTxn itself.
 *
 * Only the first batch of a transaction on a partition calls out: once the log's producer state
 * has an open transaction for the producer (at that epoch), later batches go straight to the log.
 * The answers are mapped as Kafka maps them for the client that sent the request.
 */
import { ErrorCode, errorInfo } from '../protocol/errors.js';
import type { BrokerContext } from './context.js';
import { TRANSACTION_STATE_TOPIC } from './coordinator/txn-coordinator.js';
import { OFFSETS_TOPIC } from './coordinator/storage.js';
import { tpKey, type TopicPartition } from './coordinator/txn-metadata.js';
import type { PartitionLog } from '../storage/partition-log.js';

export type VerificationMode = 'verify' | 'add';

export interface TxnVerificationRequest {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  partitions: readonly TopicPartition[];
  mode: VerificationMode;
  /** The client knows TRANSACTION_ABORTABLE (Produce v11+, TxnOffsetCommit v4+); else it becomes INVALID_TXN_STATE. */
  abortableSupported: boolean;
}

/** True when the log already has an open transaction of this producer at this epoch. */
export function hasOpenTransaction(log: PartitionLog, producerId: bigint, producerEpoch: number): boolean {
  const e = log.producers().find((p) => p.producerId === producerId);
  return e !== undefined && e.currentTxnFirstOffset >= 0 && e.producerEpoch === producerEpoch;
}

/** Asks the coordinator; the error of each partition (by tpKey), mapped for the client. */
export async function verifyInTransaction(b: BrokerContext, req: TxnVerificationRequest): Promise<Map<string, number>> {
  const all = (code: number): Map<string, number> => new Map(req.partitions.map((tp) => [tpKey(tp), code]));
  if (req.partitions.length === 0) return new Map();
  let raw: Map<string, number>;
  const coordinator = b.peers ? b.replicas.leaderId(TRANSACTION_STATE_TOPIC, b.txns.partitionFor(req.transactionalId)) : b.nodeId;
  if (coordinator === b.nodeId) {
    if (req.mode === 'verify') raw = b.txns.verifyPartitions(req.transactionalId, req.producerId, req.producerEpoch, req.partitions);
    else raw = all(await b.txns.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, req.partitions, 2));
  } else if (coordinator < 0 || !b.peers) {
    raw = all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  } else {
    raw = await askPeer(b, coordinator, req);
  }
  const out = new Map<string, number>();
  for (const [k, code] of raw) {
    let c = code;
    if (c === ErrorCode.PRODUCER_FENCED) c = ErrorCode.INVALID_PRODUCER_EPOCH;
    else if (c === ErrorCode.TRANSACTION_ABORTABLE && !req.abortableSupported) c = ErrorCode.INVALID_TXN_STATE;
    out.set(k, c);
  }
  return out;
}

async function askPeer(b: BrokerContext, broker: number, req: TxnVerificationRequest): Promise<Map<string, number>> {
  const byTopic = new Map<string, number[]>();
  for (const tp of req.partitions) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
  const out = new Map<string, number>();
  try {
    const res = await b.peers!.send(
      broker,
      24,
      {
        transactions: [
          {
            transactionalId: req.transactionalId,
            producerId: req.producerId,
            producerEpoch: req.producerEpoch,
            verifyOnly: req.mode === 'verify',
            topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
          },
        ],
        v3AndBelowTransactionalId: '',
        v3AndBelowProducerId: 0n,
        v3AndBelowProducerEpoch: 0,
        v3AndBelowTopics: [],
      },
      { version: req.mode === 'verify' ? 4 : 5, timeoutMs: b.config.int('request.timeout.ms'), channel: 'txn-verification' },
    );
    const top = res.errorCode === ErrorCode.CLUSTER_AUTHORIZATION_FAILED ? ErrorCode.INVALID_TXN_STATE : res.errorCode;
    for (const r of res.resultsByTransaction) for (const t of r.topicResults) for (const p of t.resultsByPartition) out.set(tpKey({ topic: t.name, partition: p.partitionIndex }), top !== ErrorCode.NONE ? top : p.partitionErrorCode);
  } catch (err) {
    b.log.info({ err, broker }, 'cannot reach the transaction coordinator to verify a transactional write');
  }
  for (const tp of req.partitions) if (!out.has(tpKey(tp))) out.set(tpKey(tp), ErrorCode.NETWORK_EXCEPTION);
  return out;
}

/**
 * The produce answer of a partition whose verification failed (Kafka's postVerificationCallback):
 * coordinator hiccups become NOT_ENOUGH_REPLICAS, which every client retries without refreshing
 * metadata.
 */
export function produceVerificationError(code: number): { errorCode: number; message: string | null } {
  switch (code) {
    case ErrorCode.INVALID_TXN_STATE:
      return { errorCode: code, message: 'Partition was not added to the transaction' };
    case ErrorCode.CONCURRENT_TRANSACTIONS:
    case ErrorCode.NETWORK_EXCEPTION:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.NOT_COORDINATOR:
      return { errorCode: ErrorCode.NOT_ENOUGH_REPLICAS, message: `Unable to verify the partition has been added to the transaction. Underlying error: ${errorInfo(code).name}` };
    default:
      return { errorCode: code, message: null };
  }
}

/**
 * KIP-890 for TxnOffsetCommit (the group coordinator's `verifyTransaction`): v5+ (transaction
 * version 2, whose clients send no AddOffsetsToTxn) adds the group's `__consumer_offsets`
 * partition to the transaction, so it gets a marker; v4 verifies it is there; older versions
 * verify too, without TRANSACTION_ABORTABLE, which they do not know.
 */
export async function verifyTxnOffsetCommit(
  b: BrokerContext,
  req: { transactionalId: string; producerId: bigint; producerEpoch: number; partition: number; apiVersion: number },
): Promise<number> {
  const tp = { topic: OFFSETS_TOPIC, partition: req.partition };
  const codes = await verifyInTransaction(b, {
    transactionalId: req.transactionalId,
    producerId: req.producerId,
    producerEpoch: req.producerEpoch,
    partitions: [tp],
    mode: req.apiVersion >= 5 ? 'add' : 'verify',
    abortableSupported: req.apiVersion >= 4,
  });
  return codes.get(tpKey(tp)) ?? ErrorCode.NONE;
}

/**
 * The admin client's transaction requests, on a connection the Admin picked (admin.ts routes
 * them as the Java AdminClient does): ListTransactions to every broker, DescribeTransactions to
 * each transactional id's coordinator, DescribeProducers to a partition's leader (or a named
 * broker), and WriteTxnMarkers to the leader to abort a hanging transaction (Admin.abortTransaction).
 */
import { ErrorCode } from '../protocol/errors.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import { ApiKey } from '../protocol/messages/index.js';
import type { Connection } from './connection.js';
import type { TopicPartitionRef } from './consumer-protocol.js';

export interface TransactionListing {
  transactionalId: string;
  producerId: bigint;
  /** Kafka's state names: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, PrepareEpochFence, Dead. */
  state: string;
  /** The broker that answered (the coordinator of the id). */
  coordinatorId: number;
}

export interface ListTransactionsFilters {
  states?: readonly string[];
  producerIds?: readonly bigint[];
  /** Only transactions running longer than this (ListTransactions v1+). */
  durationMs?: number;
  /** A regular expression the ids must match (ListTransactions v2+). */
  transactionalIdPattern?: string;
}

export interface TransactionDescription {
  transactionalId: string;
  coordinatorId: number;
  state: string;
  producerId: bigint;
  producerEpoch: number;
  transactionTimeoutMs: number;
  /** -1 when no transaction is open. */
  transactionStartTimeMs: bigint;
  topicPartitions: TopicPartitionRef[];
}

export interface ProducerState {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
  /** -1 when unknown. */
  coordinatorEpoch: number;
  /** -1 when the producer has no open transaction on the partition. */
  currentTxnStartOffset: bigint;
}

export interface AbortTransactionSpec extends TopicPartitionRef {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
}

export async function listTransactionsOn(conn: Connection, nodeId: number, f: ListTransactionsFilters): Promise<TransactionListing[]> {
  const v = conn.versionFor(ApiKey.ListTransactions);
  if (f.durationMs !== undefined && v < 1) throw new KafkaProtocolError(ErrorCode.UNSUPPORTED_VERSION, `broker ${nodeId} cannot filter transactions by duration`);
  if (f.transactionalIdPattern !== undefined && v < 2) throw new KafkaProtocolError(ErrorCode.UNSUPPORTED_VERSION, `broker ${nodeId} cannot filter transactions by id pattern`);
  const res = await conn.send(ApiKey.ListTransactions, {
    stateFilters: [...(f.states ?? [])],
    producerIdFilters: [...(f.producerIds ?? [])],
    durationFilter: BigInt(f.durationMs ?? -1),
    transactionalIdPattern: f.transactionalIdPattern ?? null,
  });
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(res.errorCode, `ListTransactions on broker ${nodeId}`);
  return res.transactionStates.map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, state: t.transactionState, coordinatorId: nodeId }));
}

export async function describeTransactionsOn(conn: Connection, nodeId: number, ids: readonly string[]): Promise<Array<TransactionDescription | { transactionalId: string; error: KafkaProtocolError }>> {
  const res = await conn.send(ApiKey.DescribeTransactions, { transactionalIds: [...ids] });
  return res.transactionStates.map((t) =>
    t.errorCode !== ErrorCode.NONE
      ? { transactionalId: t.transactionalId, error: new KafkaProtocolError(t.errorCode, `transactional id ${t.transactionalId}`) }
      : {
          transactionalId: t.transactionalId,
          coordinatorId: nodeId,
          state: t.transactionState,
          producerId: t.producerId,
          producerEpoch: t.producerEpoch,
          transactionTimeoutMs: t.transactionTimeoutMs,
          transactionStartTimeMs: t.transactionStartTimeMs,
          topicPartitions: t.topics.flatMap((x) => x.partitions.map((partition) => ({ topic: x.topic, partition }))).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)),
        },
  );
}

export async function describeProducersOn(conn: Connection, partitions: readonly TopicPartitionRef[]): Promise<Array<TopicPartitionRef & ({ producers: ProducerState[] } | { error: KafkaProtocolError })>> {
  const byTopic = new Map<string, number[]>();
  for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  const res = await conn.send(ApiKey.DescribeProducers, { topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) });
  return res.topics.flatMap((t) =>
    t.partitions.map((p) =>
      p.errorCode !== ErrorCode.NONE
        ? { topic: t.name, partition: p.partitionIndex, error: new KafkaProtocolError(p.errorCode, p.errorMessage ?? `${t.name}-${p.partitionIndex}`) }
        : {
            topic: t.name,
            partition: p.partitionIndex,
            producers: p.activeProducers.map((s) => ({
              producerId: s.producerId,
              producerEpoch: s.producerEpoch,
              lastSequence: s.lastSequence,
              lastTimestamp: s.lastTimestamp,
              coordinatorEpoch: s.coordinatorEpoch,
              currentTxnStartOffset: s.currentTxnStartOffset,
            })),
          },
    ),
  );
}

/** Writes an ABORT marker for the producer's transaction on one partition (WriteTxnMarkers to its leader). */
export async function abortTransactionOn(conn: Connection, spec: AbortTransactionSpec): Promise<void> {
  const res = await conn.send(ApiKey.WriteTxnMarkers, {
    markers: [
      {
        producerId: spec.producerId,
        producerEpoch: spec.producerEpoch,
        transactionResult: false,
        topics: [{ name: spec.topic, partitionIndexes: [spec.partition] }],
        coordinatorEpoch: spec.coordinatorEpoch,
        transactionVersion: 0,
      },
    ],
  });
  const code = res.markers[0]?.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
  if (code !== ErrorCode.NONE) throw new KafkaProtocolError(code, `abort of producer ${spec.producerId} epoch ${spec.producerEpoch} on ${spec.topic}-${spec.partition}`);
}

/**
 * The admin client's transaction calls across the cluster: which broker each request goes to
 * (every broker for ListTransactions, each id's coordinator for DescribeTransactions, each
 * partition's leader for DescribeProducers and the abort), and TransactionsCommand's search for
 * hanging transactions. The single requests are in admin-txn.ts; `Admin` supplies the cluster
 * view and the connections through `TxnAdminDeps`.
 */
import { ErrorCode } from '../protocol/errors.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import type { ClusterDescription, TopicDescription } from './admin.js';
import {
  abortTransactionOn,
  describeProducersOn,
  describeTransactionsOn,
  listTransactionsOn,
  type AbortTransactionSpec,
  type ListTransactionsFilters,
  type ProducerState,
  type TransactionDescription,
  type TransactionListing,
} from './admin-txn.js';
import type { Connection } from './connection.js';
import { findCoordinator, type TopicPartitionRef } from './consumer-protocol.js';
import { AdminError } from './errors.js';

/** What the calls need of the Admin: its cluster view and its connections. */
export interface TxnAdminDeps {
  bootstrap: Connection;
  timeoutMs: number;
  describeCluster(): Promise<ClusterDescription>;
  describeTopics(names: readonly string[]): Promise<TopicDescription[]>;
  listTopics(opts: { includeInternal?: boolean }): Promise<string[]>;
  connectTo(broker: { nodeId: number; host: string; port: number }): Promise<Connection>;
}

/** An open transaction on a partition that its coordinator will not end (find-hanging). */
export interface HangingTransaction extends TopicPartitionRef {
  producer: ProducerState;
}

/** Where find-hanging looks: one partition, a topic's, or every partition (on `brokerId` when given). */
export interface HangingSearch {
  brokerId?: number;
  topic?: string;
  partition?: number;
  maxTransactionTimeoutMs: number;
  now?: number;
}

export async function listTransactions(d: TxnAdminDeps, filters: ListTransactionsFilters): Promise<TransactionListing[]> {
  const cluster = await d.describeCluster();
  const out: TransactionListing[] = [];
  for (const b of cluster.brokers) out.push(...(await listTransactionsOn(await d.connectTo(b), b.nodeId, filters)));
  return out.sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0));
}

export async function describeTransactions(d: TxnAdminDeps, ids: readonly string[]): Promise<TransactionDescription[]> {
  const out: TransactionDescription[] = [];
  const failures: Array<{ resource: string; error: KafkaProtocolError }> = [];
  for (const id of ids) {
    const at = await findCoordinator(d.bootstrap, id, d.timeoutMs, 1);
    for (const r of await describeTransactionsOn(await d.connectTo(at), at.nodeId, [id])) {
      if ('error' in r) failures.push({ resource: r.transactionalId, error: r.error });
      else out.push(r);
    }
  }
  if (failures.length > 0) throw new AdminError('describeTransactions', failures);
  return out;
}

export async function describeProducers(
  d: TxnAdminDeps,
  partitions: readonly TopicPartitionRef[],
  opts: { brokerId?: number },
): Promise<Array<TopicPartitionRef & { producers: ProducerState[] }>> {
  const cluster = await d.describeCluster();
  const byBroker = new Map<number, TopicPartitionRef[]>();
  if (opts.brokerId !== undefined) byBroker.set(opts.brokerId, [...partitions]);
  else {
    const described = await d.describeTopics([...new Set(partitions.map((p) => p.topic))]);
    for (const p of partitions) {
      const leader = described.find((t) => t.name === p.topic)?.partitions.find((x) => x.partition === p.partition)?.leader ?? -1;
      if (leader < 0) throw new AdminError('describeProducers', [{ resource: `${p.topic}-${p.partition}`, error: new KafkaProtocolError(ErrorCode.LEADER_NOT_AVAILABLE) }]);
      byBroker.set(leader, [...(byBroker.get(leader) ?? []), p]);
    }
  }
  const out: Array<TopicPartitionRef & { producers: ProducerState[] }> = [];
  const failures: Array<{ resource: string; error: KafkaProtocolError }> = [];
  for (const [nodeId, parts] of byBroker) {
    const b = cluster.brokers.find((x) => x.nodeId === nodeId);
    if (!b) throw new KafkaProtocolError(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${nodeId} is not in the cluster`);
    for (const r of await describeProducersOn(await d.connectTo(b), parts)) {
      if ('error' in r) failures.push({ resource: `${r.topic}-${r.partition}`, error: r.error });
      else out.push(r);
    }
  }
  if (failures.length > 0) throw new AdminError('describeProducers', failures);
  return out;
}

/**
 * Aborts a producer's open transaction on one partition, as Kafka's Admin.abortTransaction: an
 * ABORT marker written by the partition's leader (WriteTxnMarkers). For a hanging transaction
 * that its coordinator no longer knows of; the producer id, epoch and coordinator epoch come from
 * describeProducers().
 */
export async function abortTransaction(d: TxnAdminDeps, spec: AbortTransactionSpec): Promise<void> {
  const [t] = await d.describeTopics([spec.topic]);
  const leader = t?.partitions.find((p) => p.partition === spec.partition)?.leader ?? -1;
  const b = (await d.describeCluster()).brokers.find((x) => x.nodeId === leader);
  if (!b) throw new KafkaProtocolError(ErrorCode.LEADER_NOT_AVAILABLE, `${spec.topic}-${spec.partition} has no leader`);
  await abortTransactionOn(await d.connectTo(b), spec);
}

/**
 * Open transactions that will never end (TransactionsCommand's find-hanging): producers with a
 * transaction open on a partition for longer than `maxTransactionTimeoutMs` (since their last
 * write) whose transactional id is unknown, or whose coordinator does not list the partition in
 * the transaction.
 */
export async function findHangingTransactions(d: TxnAdminDeps, opts: HangingSearch): Promise<HangingTransaction[]> {
  let parts: TopicPartitionRef[];
  if (opts.topic !== undefined && opts.partition !== undefined) parts = [{ topic: opts.topic, partition: opts.partition }];
  else {
    const topics = opts.topic !== undefined ? [opts.topic] : await d.listTopics({ includeInternal: true });
    const described = await d.describeTopics(topics);
    parts = described.flatMap((t) => t.partitions.filter((p) => opts.brokerId === undefined || p.replicas.includes(opts.brokerId)).map((p) => ({ topic: t.name, partition: p.partition })));
  }
  const now = opts.now ?? Date.now();
  const candidates: HangingTransaction[] = [];
  for (let i = 0; i < parts.length; i += 500) {
    const described = await describeProducers(d, parts.slice(i, i + 500), opts.brokerId === undefined ? {} : { brokerId: opts.brokerId });
    for (const x of described) {
      for (const p of x.producers) if (p.currentTxnStartOffset >= 0n && now - Number(p.lastTimestamp) > opts.maxTransactionTimeoutMs) candidates.push({ topic: x.topic, partition: x.partition, producer: p });
    }
  }
  if (candidates.length === 0) return [];
  const pids = [...new Set(candidates.map((c) => c.producer.producerId))];
  const ids = new Map<bigint, string>();
  for (const l of await listTransactions(d, { producerIds: pids })) ids.set(l.producerId, l.transactionalId);
  const descriptions = new Map<string, TransactionDescription>();
  for (const id of new Set(ids.values())) {
    try {
      for (const x of await describeTransactions(d, [id])) descriptions.set(x.transactionalId, x);
    } catch (err) {
      if (!(err instanceof AdminError)) throw err; // not found: hanging
    }
  }
  return candidates.filter((c) => {
    const id = ids.get(c.producer.producerId);
    const x = id === undefined ? undefined : descriptions.get(id);
    return !x || !x.topicPartitions.some((tp) => tp.topic === c.topic && tp.partition === c.partition);
  });
}

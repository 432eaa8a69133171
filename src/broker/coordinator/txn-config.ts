/**
 * The transaction coordinator's settings, from the broker's transaction.* keys (Kafka's
 * TransactionConfig), and the transaction.version feature this broker finalizes.
 */
import type { BrokerConfig } from '../config/config.js';
import type { InternalTopicSpec } from './storage.js';

export interface TxnCoordinatorConfig {
  /** transactional.id.expiration.ms: an idle id (Empty, CompleteCommit, CompleteAbort) is removed after this. */
  transactionalIdExpirationMs: number;
  /** transaction.max.timeout.ms: the largest transaction.timeout.ms a producer may ask for. */
  transactionMaxTimeoutMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  abortTimedOutTransactionsIntervalMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  removeExpiredTransactionalIdsIntervalMs: number;
  /** request.timeout.ms: how long one marker write waits for the in-sync replicas. */
  requestTimeoutMs: number;
  /** transaction.two.phase.commit.enable (KIP-939): without it InitProducerId refuses Enable2Pc. */
  twoPhaseCommitEnable: boolean;
  /** The finalized transaction.version: 2 (KIP-890 part 2). The log value is v1 from 1 up. */
  transactionVersion: number;
  /** Pause before retrying markers whose partition had no leader or refused them with a retriable error. */
  markerRetryBackoffMs: number;
}

/** What Kafka 4.3.1 finalizes for transaction.version on a new cluster, and the range it supports. */
export const TRANSACTION_VERSION_FINALIZED = 2;
export const TRANSACTION_VERSION_SUPPORTED = { min: 0, max: 2 } as const;

export const DEFAULT_TXN_COORDINATOR_CONFIG: TxnCoordinatorConfig = {
  transactionalIdExpirationMs: 604_800_000,
  transactionMaxTimeoutMs: 900_000,
  abortTimedOutTransactionsIntervalMs: 10_000,
  removeExpiredTransactionalIdsIntervalMs: 3_600_000,
  requestTimeoutMs: 30_000,
  twoPhaseCommitEnable: false,
  transactionVersion: TRANSACTION_VERSION_FINALIZED,
  markerRetryBackoffMs: 100,
};

export function txnCoordinatorConfig(config: BrokerConfig): TxnCoordinatorConfig {
  return {
    transactionalIdExpirationMs: config.int('transactional.id.expiration.ms'),
    transactionMaxTimeoutMs: config.int('transaction.max.timeout.ms'),
    abortTimedOutTransactionsIntervalMs: config.int('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
    removeExpiredTransactionalIdsIntervalMs: config.int('transaction.remove.expired.transaction.cleanup.interval.ms'),
    requestTimeoutMs: config.int('request.timeout.ms'),
    twoPhaseCommitEnable: config.bool('transaction.two.phase.commit.enable'),
    transactionVersion: TRANSACTION_VERSION_FINALIZED,
    markerRetryBackoffMs: DEFAULT_TXN_COORDINATOR_CONFIG.markerRetryBackoffMs,
  };
}

/**
 * __transaction_state's spec, from the transaction.state.log.* keys (Kafka's
 * transactionTopicConfigs): compacted, uncompressed, min.insync.replicas from
 * transaction.state.log.min.isr, no unclean election. A single node makes it with one replica
 * (as it does __consumer_offsets) and min.insync.replicas 1; a cluster with
 * transaction.state.log.replication.factor and .min.isr as configured.
 */
export function transactionTopicSpec(config: BrokerConfig, clustered: boolean): InternalTopicSpec {
  const replicationFactor = clustered ? config.int('transaction.state.log.replication.factor') : 1;
  return {
    name: '__transaction_state',
    partitions: config.int('transaction.state.log.num.partitions'),
    replicationFactor,
    writeTimeoutMs: config.int('request.timeout.ms'),
    configs: [
      ['cleanup.policy', 'compact'],
      ['compression.type', 'uncompressed'],
      ['min.insync.replicas', String(clustered ? config.int('transaction.state.log.min.isr') : 1)],
      ['segment.bytes', String(config.int('transaction.state.log.segment.bytes'))],
      ['unclean.leader.election.enable', 'false'],
    ],
  };
}

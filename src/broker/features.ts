/**
 * The feature flags this broker advertises in ApiVersions v3+ (KIP-584): for each, the range of
 * levels it supports and the level finalized in the cluster. Kafka 4.3.1 (a new KRaft cluster)
 * finalizes transaction.version 2 and group.version 1, among others; those two are what
 * Tributary implements, so only they are advertised:
 *
 *  - transaction.version 0..2, finalized 2 (KIP-890 part 2): a Java 4.x producer sees it and uses
 *    transaction version 2 (Produce v12, EndTxn v5, TxnOffsetCommit v5 without AddOffsetsToTxn);
 *  - group.version 0..1, finalized 1 (KIP-848's consumer group protocol).
 *
 * Kafka also advertises metadata.version, kraft.version, share.version, streams.version and
 * eligible.leader.replicas.version; Tributary has no KRaft metadata log, share groups or streams
 * groups, so it does not claim them. Clients take finalized features only from an answer with a
 * newer FinalizedFeaturesEpoch than they saw (the Java client starts at -1), so the epoch is
 * fixed and positive: every broker of a cluster answers the same.
 */
import { TRANSACTION_VERSION_FINALIZED, TRANSACTION_VERSION_SUPPORTED } from './coordinator/txn-config.js';

export interface Feature {
  name: string;
  minVersion: number;
  maxVersion: number;
  finalized: number;
}

export const FEATURES: readonly Feature[] = [
  { name: 'group.version', minVersion: 0, maxVersion: 1, finalized: 1 },
  { name: 'transaction.version', minVersion: TRANSACTION_VERSION_SUPPORTED.min, maxVersion: TRANSACTION_VERSION_SUPPORTED.max, finalized: TRANSACTION_VERSION_FINALIZED },
];

export const FINALIZED_FEATURES_EPOCH = 1n;

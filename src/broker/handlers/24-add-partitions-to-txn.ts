/**
 * AddPartitionsToTxn v0-v5.
 *
 * v0-v3 come from producers: one transaction (the V3AndBelow fields), answered per topic and
 * partition in ResultsByTopicV3AndBelow. v4+ come from brokers (KIP-890 part 1): a batch of
 * transactions, each answered in ResultsByTransaction, and each may be VerifyOnly: then nothing is
 * added and each partition is NONE when it is in the transaction, TRANSACTION_ABORTABLE when not.
 * v4+ adding partitions means the sender's client uses transaction version 2.
 *
 * A partition of a topic that does not exist fails the whole transaction: it gets
 * UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED. Otherwise every partition
 * gets the coordinator's one answer: NONE, INVALID_PRODUCER_ID_MAPPING (unknown id, another
 * producer id), PRODUCER_FENCED (another epoch; INVALID_PRODUCER_EPOCH below v2),
 * CONCURRENT_TRANSACTIONS (the previous transaction is completing), NOT_COORDINATOR,
 * COORDINATOR_LOAD_IN_PROGRESS.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { AddPartitionsToTxnRequestAddPartitionsToTxnTopic, AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult } from '../../protocol/messages/24-add-partitions-to-txn.js';
import { tpKey, type TopicPartition } from '../coordinator/txn-metadata.js';
import { AclOperation, clusterAllowed, topicAllowed, txnIdAllowed } from './auth.js';
import { defineHandler } from './handler.js';

function results(topics: readonly AddPartitionsToTxnRequestAddPartitionsToTxnTopic[], code: (tp: TopicPartition) => number): AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[] {
  return topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code({ topic: t.name, partition: p }) })) }));
}

export default defineHandler({
  apiKey: 24,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    const b = ctx.broker;
    const v4 = ctx.apiVersion >= 4;
    const txns = v4
      ? req.transactions
      : [{ transactionalId: req.v3AndBelowTransactionalId, producerId: req.v3AndBelowProducerId, producerEpoch: req.v3AndBelowProducerEpoch, verifyOnly: false, topics: req.v3AndBelowTopics }];
    // v4+ comes from brokers only: CLUSTER_ACTION. Each transaction needs WRITE on its id, each
    // topic WRITE (TOPIC_AUTHORIZATION_FAILED; the other partitions OPERATION_NOT_ATTEMPTED).
    if (v4 && !clusterAllowed(ctx, AclOperation.CLUSTER_ACTION)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, resultsByTransaction: [], resultsByTopicV3AndBelow: [] };
    }
    const answered = await Promise.all(
      txns.map(async (t) => {
        if (!txnIdAllowed(ctx, AclOperation.WRITE, t.transactionalId)) {
          return { transactionalId: t.transactionalId, topicResults: results(t.topics, () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED) };
        }
        const deniedTopics = new Set(t.topics.filter((x) => !topicAllowed(ctx, AclOperation.WRITE, x.name)).map((x) => x.name));
        if (deniedTopics.size > 0) {
          return { transactionalId: t.transactionalId, topicResults: results(t.topics, (tp) => (deniedTopics.has(tp.topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED)) };
        }
        const partitions: TopicPartition[] = t.topics.flatMap((x) => x.partitions.map((p) => ({ topic: x.name, partition: p })));
        const missing = new Set(partitions.filter((tp) => (b.topics.get(tp.topic)?.partitions ?? 0) <= tp.partition || tp.partition < 0).map(tpKey));
        if (missing.size > 0) {
          return { transactionalId: t.transactionalId, topicResults: results(t.topics, (tp) => (missing.has(tpKey(tp)) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED)) };
        }
        if (t.verifyOnly) {
          const errors = b.txns.verifyPartitions(t.transactionalId, t.producerId, t.producerEpoch, partitions);
          return { transactionalId: t.transactionalId, topicResults: results(t.topics, (tp) => errors.get(tpKey(tp)) ?? ErrorCode.UNKNOWN_SERVER_ERROR) };
        }
        let code = await b.txns.addPartitions(t.transactionalId, t.producerId, t.producerEpoch, partitions, v4 ? 2 : 0);
        if (ctx.apiVersion < 2 && code === ErrorCode.PRODUCER_FENCED) code = ErrorCode.INVALID_PRODUCER_EPOCH;
        return { transactionalId: t.transactionalId, topicResults: results(t.topics, () => code) };
      }),
    );
    if (v4) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: answered, resultsByTopicV3AndBelow: [] };
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow: answered[0]!.topicResults };
  },
});

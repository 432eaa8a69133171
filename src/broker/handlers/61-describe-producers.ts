/**
 * DescribeProducers v0 (KIP-664): per partition, the producers its log keeps state for, from any
 * replica that hosts it (leader or follower, as Kafka answers): producer id and epoch, the last
 * sequence of its last batch (-1 for none), the last timestamp, the coordinator epoch of its last
 * marker (-1 for none) and the first offset of its open transaction (-1 when none). A topic name
 * that is not legal gets INVALID_TOPIC_EXCEPTION with Kafka's reason, an unknown topic or partition
 * UNKNOWN_TOPIC_OR_PARTITION (with Kafka's default message for the topic), and a partition this
 * broker holds no replica of NOT_LEADER_OR_FOLLOWER. Without Read on the topic every partition gets
 * TOPIC_AUTHORIZATION_FAILED (Kafka checks Read, not Describe).
 */
import { ErrorCode, errorInfo } from '../../protocol/errors.js';
import type { DescribeProducersResponsePartitionResponse, DescribeProducersResponseProducerState } from '../../protocol/messages/61-describe-producers.js';
import type { ProducerStateEntry } from '../../storage/producer-state.js';
import { topicNameProblem } from '../metadata/topic-names.js';
import { AclOperation, topicAllowed } from './auth.js';
import { defineHandler } from './handler.js';

function producerState(e: ProducerStateEntry): DescribeProducersResponseProducerState {
  const last = e.batches[e.batches.length - 1];
  return {
    producerId: e.producerId,
    producerEpoch: e.producerEpoch,
    lastSequence: last ? last.lastSeq : -1,
    lastTimestamp: e.lastTimestamp,
    coordinatorEpoch: e.coordinatorEpoch,
    currentTxnStartOffset: BigInt(e.currentTxnFirstOffset),
  };
}

function failed(partitionIndex: number, errorCode: number, errorMessage: string | null): DescribeProducersResponsePartitionResponse {
  return { partitionIndex, errorCode, errorMessage, activeProducers: [] };
}

export default defineHandler({
  apiKey: 61,
  minVersion: 0,
  maxVersion: 0,
  handle(req, ctx) {
    const b = ctx.broker;
    const topics = req.topics.map((t) => {
      const problem = topicNameProblem(t.name);
      const authorized = topicAllowed(ctx, AclOperation.READ, t.name);
      const topic = problem ? undefined : b.topics.get(t.name);
      const partitions = t.partitionIndexes.map((p): DescribeProducersResponsePartitionResponse => {
        if (!authorized) return failed(p, ErrorCode.TOPIC_AUTHORIZATION_FAILED, null);
        if (problem) return failed(p, ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
        if (!topic) return failed(p, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorInfo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).message);
        if (p < 0 || p >= topic.partitions) return failed(p, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
        const log = b.topics.partitionLog(t.name, p);
        if (!log) return failed(p, ErrorCode.NOT_LEADER_OR_FOLLOWER, null);
        return { partitionIndex: p, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers: log.producers().map(producerState) };
      });
      return { name: t.name, partitions };
    });
    return { throttleTimeMs: 0, topics };
  },
});

/**
 * DescribeTopicPartitions v0 (KIP-966; Kafka 4's kafka-topics.sh --describe uses it): topics and
 * their partitions as Metadata describes them, plus the eligible leader replicas: for a
 * partition without a leader, the ISR it had, whose members may lead again without losing
 * anything (Tributary keeps that ISR where Kafka 4 moves it to the ELR; both show it here), and
 * nothing otherwise (no ELR below min.insync.replicas, as KIP-966 has). Topics named, or every topic (an empty list), sorted by name,
 * paged: at most response_partition_limit partitions per answer (capped at
 * max.request.partition.size.limit), next_cursor naming where the next page starts, and a request
 * cursor to start from. An unknown topic gets UNKNOWN_TOPIC_OR_PARTITION.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/primitives/index.js';
import type { DescribeTopicPartitionsResponse, DescribeTopicPartitionsResponseTopic } from '../../protocol/messages/75-describe-topic-partitions.js';
import { AclResourceType } from '../authorization.js';
import { authorizedOperationsFor, partitionFields } from './common.js';
import { AclOperation, topicAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 75,
  minVersion: 0,
  maxVersion: 0,
  handle(req, ctx) {
    const b = ctx.broker;
    // All topics: those the principal may DESCRIBE; a named one without DESCRIBE: TOPIC_AUTHORIZATION_FAILED.
    const names = (req.topics.length === 0 ? b.topics.list().map((t) => t.name).filter((n) => topicAllowed(ctx, AclOperation.DESCRIBE, n)) : req.topics.map((t) => t.name)).sort();
    const limit = Math.max(1, Math.min(req.responsePartitionLimit, b.config.int('max.request.partition.size.limit')));
    const cursor = req.cursor;
    const topics: DescribeTopicPartitionsResponseTopic[] = [];
    let left = limit;
    let next: DescribeTopicPartitionsResponse['nextCursor'] = null;
    for (const name of names) {
      if (cursor && name < cursor.topicName) continue;
      if (!topicAllowed(ctx, AclOperation.DESCRIBE, name)) {
        topics.push({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: authorizedOperationsFor(ctx, AclResourceType.TOPIC, name) });
        continue;
      }
      const t = b.topics.get(name);
      if (!t) {
        topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: authorizedOperationsFor(ctx, AclResourceType.TOPIC, name) });
        continue;
      }
      const first = cursor && name === cursor.topicName ? Math.max(0, cursor.partitionIndex) : 0;
      if (left === 0) {
        next = { topicName: name, partitionIndex: first };
        break;
      }
      const out: DescribeTopicPartitionsResponseTopic = {
        errorCode: ErrorCode.NONE,
        name,
        topicId: t.topicId,
        isInternal: b.topics.isInternal(name),
        partitions: [],
        topicAuthorizedOperations: authorizedOperationsFor(ctx, AclResourceType.TOPIC, name),
      };
      topics.push(out);
      for (let p = first; p < t.partitions; p++) {
        if (left === 0) {
          next = { topicName: name, partitionIndex: p };
          break;
        }
        const elr = [...b.replicas.partition(name, p).elr];
        out.partitions.push({ ...partitionFields(ctx, name, p), eligibleLeaderReplicas: elr, lastKnownElr: elr });
        left--;
      }
      if (next) break;
    }
    return { throttleTimeMs: 0, topics, nextCursor: next };
  },
});

/**
 * CreateTopics v0-v7. Partitions and replication factor -1 take num.partitions and
 * default.replication.factor; a replication factor above the live brokers is refused
 * (INVALID_REPLICATION_FACTOR: on a single node anything above 1). Manual replica assignments
 * must name live brokers, each once, the same number per partition. Names
 * follow Kafka's rules; per-topic configs are validated; validate_only checks without creating.
 * v5+ returns the topic's id, partition count, replication factor and effective configs.
 * Needs CREATE on the cluster or on the topic (else TOPIC_AUTHORIZATION_FAILED); the configs are
 * returned only with DESCRIBE_CONFIGS on the topic (else topic_config_error_code says why).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/primitives/index.js';
import type { CreateTopicsResponseCreatableTopicResult } from '../../protocol/messages/19-create-topics.js';
import { TOPIC_CONFIG_BY_NAME } from '../config/defs.js';
import { AclOperation, clusterAllowed, topicAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 19,
  minVersion: 0,
  maxVersion: 7,
  async handle(req, ctx) {
    const b = ctx.broker;
    const seen = new Map<string, number>();
    for (const t of req.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
    const topics: CreateTopicsResponseCreatableTopicResult[] = [];
    const clusterCreate = clusterAllowed(ctx, AclOperation.CREATE);
    for (const t of req.topics) {
      const res: CreateTopicsResponseCreatableTopicResult = {
        name: t.name,
        topicId: ZERO_UUID,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        topicConfigErrorCode: ErrorCode.NONE,
        numPartitions: -1,
        replicationFactor: -1,
        configs: null,
      };
      topics.push(res);
      if (seen.get(t.name)! > 1) {
        res.errorCode = ErrorCode.INVALID_REQUEST;
        res.errorMessage = 'Duplicate topic name.';
        continue;
      }
      if (!clusterCreate && !topicAllowed(ctx, AclOperation.CREATE, t.name)) {
        res.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        res.errorMessage = 'Authorization failed.';
        continue;
      }
      let partitions = t.numPartitions;
      let rf = t.replicationFactor;
      if (t.assignments.length > 0) {
        if (partitions !== -1 || rf !== -1) {
          res.errorCode = ErrorCode.INVALID_REQUEST;
          res.errorMessage = 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.';
          continue;
        }
        const indexes = t.assignments.map((a) => a.partitionIndex).sort((x, y) => x - y);
        if (indexes.some((p, i) => p !== i)) {
          res.errorCode = ErrorCode.INVALID_REPLICA_ASSIGNMENT;
          res.errorMessage = 'Partitions should be a consecutive 0-based integer sequence';
          continue;
        }
        partitions = t.assignments.length;
        rf = t.assignments[0]!.brokerIds.length;
      }
      const assignment = t.assignments.length > 0 ? [...t.assignments].sort((x, y) => x.partitionIndex - y.partitionIndex).map((a) => a.brokerIds) : undefined;
      const created = await b.topics.create(t.name, partitions, rf, t.configs.map((c) => [c.name, c.value]), req.validateOnly, assignment);
      res.errorCode = created.errorCode;
      res.errorMessage = created.errorMessage;
      if (created.errorCode !== ErrorCode.NONE) continue;
      res.numPartitions = partitions === -1 ? b.config.int('num.partitions') : partitions;
      res.replicationFactor = rf === -1 ? b.topics.defaultReplicationFactor() : rf;
      const record = created.topic;
      if (record) res.topicId = record.topicId;
      if (ctx.apiVersion >= 5 && !topicAllowed(ctx, AclOperation.DESCRIBE_CONFIGS, t.name)) {
        res.topicConfigErrorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      } else if (ctx.apiVersion >= 5) {
        const overrides = new Map(t.configs.filter((c) => c.value !== null).map((c) => [c.name, c.value!]));
        res.configs = [...TOPIC_CONFIG_BY_NAME.keys()].map((name) => {
          const r = b.config.resolveTopicConfig(name, overrides);
          return { name, value: r.value, readOnly: false, configSource: r.source, isSensitive: false };
        });
      }
    }
    return { throttleTimeMs: 0, topics };
  },
});

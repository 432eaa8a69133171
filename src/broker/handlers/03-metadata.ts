/**
 * Metadata v0-v13. Every broker answers with the same cluster view: the live brokers, the
 * controller, and per partition the leader (-1 with LEADER_NOT_AVAILABLE while there is none),
 * leader epoch, replicas, ISR and the replicas on brokers that are down. On a single node this
 * broker leads every partition at epoch 0.
 * Unknown topics are created when the request allows it (always before v4) and
 * auto.create.topics.enable is true, with num.partitions partitions; the answer already
 * describes them, so the client need not ask again.
 * v0: an empty topic list means all topics; v1+: null means all, empty means none.
 * v10+ carries topic ids; v12+ names a topic by id when its id is set (the name is then ignored, as
 * Kafka does: KIP-848 consumers send an empty one). v13 adds a top-level error code (KIP-1102's
 * REBOOTSTRAP_REQUIRED), which this broker never needs: always NONE.
 * Authorized operations (v8+), when asked for: the topic's for every topic answered by name (an
 * unknown or invalid one too, as Kafka does; not for an unknown topic id), and the cluster's on
 * v8-v10 (v11 dropped the field for DescribeCluster).
 * Authorization as Kafka: listing all topics shows only those the principal may DESCRIBE; a topic
 * asked for by name or id without DESCRIBE answers TOPIC_AUTHORIZATION_FAILED whether it exists
 * or not (so its existence does not leak); auto-creation needs CREATE on the cluster or the
 * topic, else TOPIC_AUTHORIZATION_FAILED.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/primitives/index.js';
import type { MetadataResponseTopic } from '../../protocol/messages/03-metadata.js';
import type { TopicRecord } from '../metadata/store.js';
import { topicNameProblem } from '../metadata/topic-names.js';
import { AclResourceType, AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_RESOURCE_NAME } from '../authorization.js';
import { authorizedOperationsFor, liveBrokers, partitionFields } from './common.js';
import { AclOperation, clusterAllowed, topicAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 3,
  minVersion: 0,
  maxVersion: 13,
  async handle(req, ctx) {
    const b = ctx.broker;
    const topics = b.topics;
    const topicOperations = (name: string): number =>
      req.includeTopicAuthorizedOperations ? authorizedOperationsFor(ctx, AclResourceType.TOPIC, name) : AUTHORIZED_OPERATIONS_OMITTED;
    const describe = (t: TopicRecord): MetadataResponseTopic => ({
      errorCode: ErrorCode.NONE,
      name: t.name,
      topicId: t.topicId,
      isInternal: topics.isInternal(t.name),
      partitions: Array.from({ length: t.partitions }, (_v, p) => partitionFields(ctx, t.name, p)),
      topicAuthorizedOperations: topicOperations(t.name),
    });
    const missing = (errorCode: number, name: string | null, topicId = ZERO_UUID): MetadataResponseTopic => ({
      errorCode,
      name,
      topicId,
      isInternal: false,
      partitions: [],
      topicAuthorizedOperations: name === null ? AUTHORIZED_OPERATIONS_OMITTED : topicOperations(name),
    });

    let result: MetadataResponseTopic[];
    const all = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0);
    if (all) {
      result = topics.list().filter((t) => topicAllowed(ctx, AclOperation.DESCRIBE, t.name)).map(describe);
    } else {
      const allowAuto = (ctx.apiVersion < 4 || req.allowAutoTopicCreation) && b.config.bool('auto.create.topics.enable');
      result = [];
      for (const rt of req.topics!) {
        // v12+ names a topic by id when the id is set, whatever the name (the Java consumer sends '').
        if (rt.name === null || (ctx.apiVersion >= 12 && rt.topicId !== ZERO_UUID)) {
          const t = topics.getById(rt.topicId);
          if (t && !topicAllowed(ctx, AclOperation.DESCRIBE, t.name)) result.push(missing(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, rt.topicId));
          else result.push(t ? describe(t) : missing(ErrorCode.UNKNOWN_TOPIC_ID, null, rt.topicId));
          continue;
        }
        if (!topicAllowed(ctx, AclOperation.DESCRIBE, rt.name)) {
          result.push(missing(ErrorCode.TOPIC_AUTHORIZATION_FAILED, rt.name));
          continue;
        }
        let t = topics.get(rt.name);
        if (!t) {
          if (topicNameProblem(rt.name)) {
            result.push(missing(ErrorCode.INVALID_TOPIC_EXCEPTION, rt.name));
            continue;
          }
          if (allowAuto && !topics.isInternal(rt.name)) {
            if (!clusterAllowed(ctx, AclOperation.CREATE) && !topicAllowed(ctx, AclOperation.CREATE, rt.name)) {
              result.push(missing(ErrorCode.TOPIC_AUTHORIZATION_FAILED, rt.name));
              continue;
            }
            const res = await topics.autoCreate(rt.name);
            if (res.errorCode !== ErrorCode.NONE) {
              result.push(missing(res.errorCode, rt.name));
              continue;
            }
            t = topics.get(rt.name);
          }
        }
        result.push(t ? describe(t) : missing(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, rt.name));
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: liveBrokers(ctx).map((l) => ({ nodeId: l.id, host: l.host, port: l.port, rack: l.rack })),
      clusterId: b.clusterId,
      controllerId: b.replicas.controllerId(),
      topics: result,
      clusterAuthorizedOperations:
        req.includeClusterAuthorizedOperations && ctx.apiVersion >= 8 && ctx.apiVersion <= 10
          ? authorizedOperationsFor(ctx, AclResourceType.CLUSTER, CLUSTER_RESOURCE_NAME)
          : AUTHORIZED_OPERATIONS_OMITTED,
      errorCode: ErrorCode.NONE,
    };
  },
});

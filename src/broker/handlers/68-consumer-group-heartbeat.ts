/**
 * ConsumerGroupHeartbeat v0 (KIP-848, `group.protocol=consumer`): joins (member epoch 0), keeps
 * alive, reconciles and leaves (epoch -1; -2 for a static member leaving for now) a consumer group
 * whose assignment the broker computes (server-side assignors "uniform" and "range",
 * `group.consumer.assignors`). The answer carries the member's id and epoch, the heartbeat
 * interval (`group.consumer.heartbeat.interval.ms`) and, when it changed or the request was a full
 * one, the partitions the member may use now. A member's session is
 * `group.consumer.session.timeout.ms`. Errors: FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID,
 * UNRELEASED_INSTANCE_ID, FENCED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED (`group.consumer.max.size`),
 * UNSUPPORTED_ASSIGNOR, INVALID_REQUEST, GROUP_ID_NOT_FOUND (a non-empty classic group of that id).
 *
 * v1 (client-chosen member ids, SubscribedTopicRegex) is marked unstable in the specs we generate
 * from (Kafka 3.9), so it is not advertised; the coordinator already handles regex subscriptions
 * (as JavaScript RegExps matched against whole topic names, where Kafka uses RE2/J).
 * Behaviour: src/broker/coordinator/group-coordinator.ts and consumer-group.ts.
 */
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 68,
  minVersion: 0,
  maxVersion: 0,
  async handle(req, ctx) {
    const r = await ctx.broker.groups.consumerGroupHeartbeat({
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      instanceId: req.instanceId,
      rackId: req.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      subscribedTopicNames: req.subscribedTopicNames,
      subscribedTopicRegex: ctx.apiVersion >= 1 ? req.subscribedTopicRegex : null,
      serverAssignor: req.serverAssignor,
      topicPartitions: req.topicPartitions,
      clientId: ctx.clientId ?? '',
      clientHost: `/${ctx.conn.remoteAddress}`,
      apiVersion: ctx.apiVersion,
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      memberId: r.memberId,
      memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      assignment: r.assignment,
    };
  },
});

/**
 * ConsumerGroupHeartbeat v0-v1 (KIP-848, `group.protocol=consumer`): joins (member epoch 0), keeps
 * alive, reconciles and leaves (epoch -1; -2 for a static member leaving for now) a consumer group
 * whose assignment the broker computes (server-side assignors "uniform" and "range",
 * `group.consumer.assignors`). The answer carries the member's id and epoch, the heartbeat
 * interval (`group.consumer.heartbeat.interval.ms`) and, when it changed or the request was a full
 * one, the partitions the member may use now. A member's session is
 * `group.consumer.session.timeout.ms`. Errors: FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID,
 * UNRELEASED_INSTANCE_ID, FENCED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED (`group.consumer.max.size`),
 * UNSUPPORTED_ASSIGNOR, INVALID_REQUEST, GROUP_ID_NOT_FOUND (a non-empty classic group of that id).
 *
 * v1 (stable since Kafka 4.0): the client generates its member id (KIP-1082), so a v1 request
 * without one is INVALID_REQUEST, joining included (v0 lets the coordinator pick it on join); and
 * SubscribedTopicRegex subscribes to every topic whose whole name the regex matches, re-evaluated
 * as topics come and go. Regexes are RE2/J's, as Kafka compiles them (../coordinator/re2.ts):
 * what RE2/J refuses (lookaround, backreferences, possessive quantifiers, ...) gets
 * INVALID_REGULAR_EXPRESSION with Kafka's message and RE2/J's description.
 * With an authorizer, as in Kafka, a regex's matches count only when the member's principal may
 * DESCRIBE them (the right is kept with the member and applied whenever the group's subscriptions
 * are evaluated again; a member loaded from the log gets its regex matches back at its next heartbeat).
 * Behaviour: src/broker/coordinator/group-coordinator.ts, consumer.ts and consumer-group.ts.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { regexProblem } from '../coordinator/consumer.js';
import { AclOperation, AclResourceType, clientHost, groupAllowed, topicAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 68,
  minVersion: 0,
  maxVersion: 1,
  async handle(req, ctx) {
    // READ on the group; DESCRIBE on every subscribed topic name (Kafka 4.x).
    const refuse = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null });
    if (!groupAllowed(ctx, AclOperation.READ, req.groupId)) return refuse(ErrorCode.GROUP_AUTHORIZATION_FAILED, null);
    const deniedTopics = (req.subscribedTopicNames ?? []).filter((t) => !topicAllowed(ctx, AclOperation.DESCRIBE, t));
    if (deniedTopics.length > 0) return refuse(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `The group has subscribed to topics it is not authorized to describe: ${deniedTopics.join(', ')}`);
    const authorizer = ctx.broker.authorizer;
    const principal = ctx.conn.principal;
    const host = clientHost(ctx);
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
      // Kafka filters a regex's matches by the member's DESCRIBE right; kept for later re-evaluations.
      ...(authorizer ? { topicDescribable: (topic: string): boolean => authorizer.authorize(principal, AclOperation.DESCRIBE, AclResourceType.TOPIC, topic, host) } : {}),
    });
    let errorMessage = r.errorMessage;
    if (r.errorCode === ErrorCode.INVALID_REGULAR_EXPRESSION && req.subscribedTopicRegex !== null) {
      const problem = regexProblem(req.subscribedTopicRegex);
      if (problem !== null) errorMessage = `SubscribedTopicRegex \`${req.subscribedTopicRegex}\` is not a valid regular expression: ${problem}.`;
    }
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage,
      memberId: r.memberId,
      memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      assignment: r.assignment,
    };
  },
});

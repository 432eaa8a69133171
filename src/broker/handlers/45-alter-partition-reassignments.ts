/**
 * AlterPartitionReassignments v0-v1 (kafka-reassign-partitions.sh --execute / --cancel): starts
 * moving partitions to new replicas, or cancels a move (replicas null), decided by the controller
 * (../cluster/reassignments.ts) and forwarded to it from any broker. v1's
 * allow_replication_factor_change (default true) lets a target change the number of replicas.
 * On a single node the only possible target is this broker, where every partition already is.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { AlterPartitionReassignmentsResponse } from '../../protocol/messages/45-alter-partition-reassignments.js';
import { ApiKey } from '../../protocol/messages/index.js';
import { atController } from './controller-requests.js';
import { AclOperation, clusterAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 45,
  minVersion: 0,
  maxVersion: 1,
  handle(req, ctx) {
    const allow = ctx.apiVersion >= 1 ? req.allowReplicationFactorChange : true;
    const failed = (errorCode: number, message: string): AlterPartitionReassignmentsResponse => ({
      throttleTimeMs: 0,
      allowReplicationFactorChange: allow,
      errorCode,
      errorMessage: message,
      responses: [],
    });
    type Outcome = { errorCode: number; errorMessage: string | null };
    /** The answer, each requested partition's outcome given by `outcome`. */
    const answer = (outcome: (topic: string, partition: number, replicas: number[] | null) => Outcome): AlterPartitionReassignmentsResponse => ({
      throttleTimeMs: 0,
      allowReplicationFactorChange: allow,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      responses: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, ...outcome(t.name, p.partitionIndex, p.replicas) })),
      })),
    });
    if (!clusterAllowed(ctx, AclOperation.ALTER)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    return atController(
      ctx,
      ApiKey.AlterPartitionReassignments,
      req,
      async (c) => {
        const changes = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas })));
        const r = await c.alterReassignments(changes, allow);
        if (r.errorCode !== ErrorCode.NONE) return failed(r.errorCode, 'This broker is no longer the controller.');
        return answer((topic, partition) => {
          const res = r.results.find((x) => x.topic === topic && x.partition === partition);
          return { errorCode: res?.errorCode ?? ErrorCode.NONE, errorMessage: res?.errorMessage ?? null };
        });
      },
      failed,
      () =>
        answer((topic, partition, replicas) => {
          const b = ctx.broker;
          if (partition < 0 || partition >= (b.topics.get(topic)?.partitions ?? 0)) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find partition ${topic}-${partition}.` };
          if (replicas === null) return { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: `Unable to cancel reassignment for partition ${topic}-${partition} because it is not being reassigned.` };
          if (replicas.length !== 1 || replicas[0] !== b.nodeId) {
            return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `The manual partition assignment ${JSON.stringify(replicas)} names brokers other than the only one, ${b.nodeId}, or it more than once.` };
          }
          return { errorCode: ErrorCode.NONE, errorMessage: null };
        }),
    );
  },
});

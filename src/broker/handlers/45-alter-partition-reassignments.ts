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
    return atController(ctx, ApiKey.AlterPartitionReassignments, req, async (c) => {
      const changes = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas })));
      const r = await c.alterReassignments(changes, allow);
      if (r.errorCode !== ErrorCode.NONE) return failed(r.errorCode, 'This broker is no longer the controller.');
      return {
        throttleTimeMs: 0,
        allowReplicationFactorChange: allow,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        responses: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => {
            const res = r.results.find((x) => x.topic === t.name && x.partition === p.partitionIndex);
            return { partitionIndex: p.partitionIndex, errorCode: res?.errorCode ?? ErrorCode.NONE, errorMessage: res?.errorMessage ?? null };
          }),
        })),
      };
    }, failed, () => {
      const b = ctx.broker;
      return {
        throttleTimeMs: 0,
        allowReplicationFactorChange: allow,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        responses: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => {
            const known = p.partitionIndex >= 0 && p.partitionIndex < (b.topics.get(t.name)?.partitions ?? 0);
            const result = (errorCode: number, errorMessage: string | null) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage });
            if (!known) return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${t.name}-${p.partitionIndex}.`);
            if (p.replicas === null) return result(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `Unable to cancel reassignment for partition ${t.name}-${p.partitionIndex} because it is not being reassigned.`);
            const other = p.replicas.find((id) => id !== b.nodeId);
            if (other !== undefined || p.replicas.length !== 1) return result(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${other ?? b.nodeId} more than once or a broker that is not registered.`);
            return result(ErrorCode.NONE, null);
          }),
        })),
      };
    });
  },
});

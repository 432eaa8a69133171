/**
 * AlterPartitionReassignments v0-v1 (kafka-reassign-partitions.sh --execute / --cancel): starts
 * moving partitions to new replicas, or cancels a move (replicas null), decided by the controller
 * (../cluster/reassignments.ts) and forwarded to it from any broker. v1's
 * allow_replication_factor_change (default true) lets a target change the number of replicas.
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
    }, failed);
  },
});

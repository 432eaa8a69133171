/**
 * ListPartitionReassignments v0 (kafka-reassign-partitions.sh --list / --verify): the
 * reassignments in progress, from the cluster view every broker has (no forwarding needed):
 * each partition's current replicas and those being added and removed. Topics null: all.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { ListPartitionReassignmentsResponse } from '../../protocol/messages/46-list-partition-reassignments.js';
import { AclOperation, clusterAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 46,
  minVersion: 0,
  maxVersion: 0,
  handle(req, ctx) {
    const b = ctx.broker;
    if (!clusterAllowed(ctx, AclOperation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.', topics: [] };
    const list = b.replicas.reassignments();
    const wanted = req.topics === null ? null : new Set(req.topics.flatMap((t) => t.partitionIndexes.map((p) => `${t.name}\u0000${p}`)));
    const topics = new Map<string, ListPartitionReassignmentsResponse['topics'][number]>();
    for (const r of list) {
      if (wanted && !wanted.has(`${r.topic}\u0000${r.partition}`)) continue;
      let t = topics.get(r.topic);
      if (!t) topics.set(r.topic, (t = { name: r.topic, partitions: [] }));
      t.partitions.push({ partitionIndex: r.partition, replicas: r.replicas, addingReplicas: r.adding, removingReplicas: r.removing });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [...topics.values()] };
  },
});

/**
 * WriteTxnMarkers v1-v2 (v2 adds the marker's TransactionVersion, as Kafka 4.3.1 has it): the
 * transaction coordinator of another broker asks this one, as the leader, to end a producer's
 * transaction on some of its partitions. Each marker's COMMIT/ABORT control batch is appended to
 * each partition with acks=-1 (a partition of __consumer_offsets goes through the group
 * coordinator, so the offsets committed in the transaction become visible or are dropped), the
 * same local write the coordinator uses for the partitions it leads itself.
 * Per partition: NONE, UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER (also while the group
 * coordinator of an __consumer_offsets partition is not ready), NOT_ENOUGH_REPLICAS,
 * REQUEST_TIMED_OUT, INVALID_PRODUCER_EPOCH (the log knows a newer epoch of the producer).
 */
import { writeMarkersLocally } from '../coordinator/txn-marker-writer.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, clusterAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 27,
  minVersion: 1,
  maxVersion: 2,
  async handle(req, ctx) {
    const b = ctx.broker;
    if (!clusterAllowed(ctx, AclOperation.CLUSTER_ACTION)) {
      return {
        markers: req.markers.map((m) => ({
          producerId: m.producerId,
          topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED })) })),
        })),
      };
    }
    const deps = { replicas: b.replicas, topics: b.topics, groups: b.groups, timeoutMs: b.config.int('request.timeout.ms'), log: b.log, now: b.now };
    const markers = await Promise.all(
      req.markers.map(async (m) => {
        const partitions = m.topics.flatMap((t) => t.partitionIndexes.map((p) => ({ topic: t.name, partition: p })));
        const marker = { producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: m.coordinatorEpoch, commit: m.transactionResult, transactionVersion: ctx.apiVersion >= 2 ? m.transactionVersion : 0 };
        const results = await writeMarkersLocally(deps, marker, partitions);
        const byTopic = new Map<string, Array<{ partitionIndex: number; errorCode: number }>>();
        for (const r of results) byTopic.set(r.tp.topic, [...(byTopic.get(r.tp.topic) ?? []), { partitionIndex: r.tp.partition, errorCode: r.errorCode }]);
        return { producerId: m.producerId, topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps })) };
      }),
    );
    return { markers };
  },
});

/**
 * AlterPartition v0-v3: a partition leader asks the controller for a new ISR (Kafka 2.7+'s
 * AlterIsr, renamed). Served by the broker that is the controller (NOT_CONTROLLER elsewhere);
 * the checks and the fenced write are the controller's (../cluster/controller.ts). v0-v1 name
 * topics, v2+ use topic ids; v3 carries each new ISR member's broker epoch (only the ids are
 * used: the controller checks liveness from the registrations).
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { AlterPartitionResponsePartitionData } from '../../protocol/messages/56-alter-partition.js';
import { AclOperation, clusterAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 56,
  minVersion: 0,
  maxVersion: 3,
  async handle(req, ctx) {
    const b = ctx.broker;
    if (!clusterAllowed(ctx, AclOperation.CLUSTER_ACTION)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, topics: [] };
    const controller = b.controller;
    if (!controller || controller.epoch === null) return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, topics: [] };
    const topics = [];
    for (const t of req.topics) {
      const name = ctx.apiVersion >= 2 ? b.topics.getById(t.topicId)?.name : t.topicName;
      const partitions: AlterPartitionResponsePartitionData[] = [];
      for (const p of t.partitions) {
        const newIsr = ctx.apiVersion >= 3 ? p.newIsrWithEpochs.map((x) => x.brokerId) : p.newIsr;
        const r =
          name === undefined
            ? { errorCode: ctx.apiVersion >= 2 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
            : await controller.alterPartition({
                brokerId: req.brokerId,
                brokerEpoch: ctx.apiVersion >= 1 ? req.brokerEpoch : -1n,
                topic: name,
                partition: p.partitionIndex,
                leaderEpoch: p.leaderEpoch,
                partitionEpoch: p.partitionEpoch,
                newIsr,
              });
        const s = 'state' in r ? r.state : undefined;
        partitions.push({
          partitionIndex: p.partitionIndex,
          errorCode: r.errorCode,
          leaderId: s?.leader ?? -1,
          leaderEpoch: s?.leaderEpoch ?? -1,
          isr: s?.isr ?? [],
          leaderRecoveryState: 0,
          partitionEpoch: s?.partitionEpoch ?? -1,
        });
      }
      topics.push({ topicName: t.topicName, topicId: t.topicId, partitions });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, topics };
  },
});

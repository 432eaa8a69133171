/**
 * ControlledShutdown v0-v3 (the ZooKeeper-era broker-to-controller request Kafka 4 keeps for its
 * controller): a broker about to stop asks the controller to move its leaderships away first.
 * Served by the controller (NOT_CONTROLLER elsewhere); the answer lists the partitions the broker
 * still leads, which it asks about again until none are left (../cluster/controller.ts).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, clusterAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 7,
  minVersion: 0,
  maxVersion: 3,
  async handle(req, ctx) {
    if (!clusterAllowed(ctx, AclOperation.CLUSTER_ACTION)) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, remainingPartitions: [] };
    const controller = ctx.broker.controller;
    if (!controller || controller.epoch === null) return { errorCode: ErrorCode.NOT_CONTROLLER, remainingPartitions: [] };
    const r = await controller.controlledShutdown(req.brokerId, ctx.apiVersion >= 2 ? req.brokerEpoch : -1n);
    return { errorCode: r.errorCode, remainingPartitions: r.remaining.map((p) => ({ topicName: p.topic, partitionIndex: p.partition })) };
  },
});

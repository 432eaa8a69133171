/**
 * AddOffsetsToTxn v0-v4: adds the group's __consumer_offsets partition (abs(javaHash(groupId)) %
 * offsets.topic.num.partitions) to the producer's transaction, before TxnOffsetCommit writes the
 * offsets there; the marker that ends the transaction then reaches the group coordinator.
 * Answers as AddPartitionsToTxn does for one partition: NONE, INVALID_PRODUCER_ID_MAPPING,
 * PRODUCER_FENCED (INVALID_PRODUCER_EPOCH below v2), CONCURRENT_TRANSACTIONS, NOT_COORDINATOR,
 * COORDINATOR_LOAD_IN_PROGRESS. Transaction version 2 clients skip this request.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { OFFSETS_TOPIC } from '../coordinator/storage.js';
import { AclOperation, groupAllowed, txnIdAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 25,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    const b = ctx.broker;
    if (!txnIdAllowed(ctx, AclOperation.WRITE, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    if (!groupAllowed(ctx, AclOperation.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const partition = b.groups.partitionFor(req.groupId);
    let errorCode = await b.txns.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [{ topic: OFFSETS_TOPIC, partition }], 0);
    if (ctx.apiVersion < 2 && errorCode === ErrorCode.PRODUCER_FENCED) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
    return { throttleTimeMs: 0, errorCode };
  },
});

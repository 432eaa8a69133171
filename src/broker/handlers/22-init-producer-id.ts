/**
 * InitProducerId v0-v6.
 *
 * Without a transactional id (idempotent producers): a fresh producer id with epoch 0. A producer
 * that sends its current id and epoch (v3+, KIP-360) gets the epoch bumped, or a new id when the
 * epoch would overflow.
 *
 * With a transactional id: the transaction coordinator of the id's __transaction_state partition
 * (NOT_COORDINATOR elsewhere, COORDINATOR_LOAD_IN_PROGRESS while it loads) gives the producer id
 * and a bumped epoch, fencing the previous producer of that id; an open transaction is aborted
 * first and the caller gets CONCURRENT_TRANSACTIONS until that is done. transaction.timeout.ms
 * must be in 1..transaction.max.timeout.ms (INVALID_TRANSACTION_TIMEOUT). A producer id given
 * without an epoch, or the reverse, is INVALID_REQUEST. PRODUCER_FENCED is answered as
 * INVALID_PRODUCER_EPOCH below v4, which older clients understand.
 *
 * v6 (KIP-939, two-phase commit) adds Enable2Pc (TRANSACTIONAL_ID_AUTHORIZATION_FAILED unless
 * transaction.two.phase.commit.enable) and KeepPreparedTxn (UNSUPPORTED_VERSION: no prepared
 * transaction is kept), and answers OngoingTxnProducerId/Epoch -1. Kafka 4.3.1 marks v6 unstable
 * and does not advertise it by default, so its Java clients send v5.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, AclResourceType, anyAllowed, clusterAllowed, txnIdAllowed } from './auth.js';
import { defineHandler } from './handler.js';

const MAX_EPOCH = 32767;
/** v6 (KIP-939): no prepared transaction is kept. */
const NO_ONGOING_TXN = { ongoingTxnProducerId: -1n, ongoingTxnProducerEpoch: -1 };

export default defineHandler({
  apiKey: 22,
  minVersion: 0,
  maxVersion: 6,
  async handle(req, ctx) {
    const ids = ctx.broker.producerIds;
    const answer = (errorCode: number, producerId = -1n, producerEpoch = -1) => ({ throttleTimeMs: 0, errorCode, producerId, producerEpoch, ...NO_ONGOING_TXN });
    if ((req.producerId === -1n) !== (req.producerEpoch === -1)) return answer(ErrorCode.INVALID_REQUEST);
    if (req.transactionalId !== null && !txnIdAllowed(ctx, AclOperation.WRITE, req.transactionalId)) return answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    // An idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic (KIP-679).
    if (req.transactionalId === null && !clusterAllowed(ctx, AclOperation.IDEMPOTENT_WRITE) && !anyAllowed(ctx, AclOperation.WRITE, AclResourceType.TOPIC)) {
      return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    if (req.transactionalId !== null) {
      const r = await ctx.broker.txns.initProducerId({
        transactionalId: req.transactionalId,
        transactionTimeoutMs: req.transactionTimeoutMs,
        producerId: req.producerId,
        producerEpoch: req.producerEpoch,
        enable2Pc: req.enable2Pc,
        keepPreparedTxn: req.keepPreparedTxn,
      });
      const errorCode = ctx.apiVersion < 4 && r.errorCode === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : r.errorCode;
      return answer(errorCode, r.producerId, r.producerEpoch);
    }
    if (req.producerId >= 0n && req.producerEpoch >= 0 && req.producerEpoch < MAX_EPOCH - 1) {
      return answer(ErrorCode.NONE, req.producerId, req.producerEpoch + 1);
    }
    return answer(ErrorCode.NONE, await ids.nextId(), 0);
  },
});

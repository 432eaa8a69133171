/**
 * EndTxn v0-v5: commits or aborts the producer's transaction. The coordinator stores
 * PrepareCommit/PrepareAbort and answers; the COMMIT/ABORT markers then go to every partition of
 * the transaction, after which CompleteCommit/CompleteAbort is stored. Until then a new
 * transaction of the id gets CONCURRENT_TRANSACTIONS.
 *
 * v5 means the client uses transaction version 2 (KIP-890 part 2): every end bumps the producer
 * epoch, and the answer carries the producer id and epoch of the next transaction (a new producer
 * id when the epoch overflowed); a retried end of the transaction just ended (the epoch before the
 * bump) is answered NONE, and an abort with no transaction begun is accepted. Below v5 the epoch
 * stays and the answer's ProducerId/ProducerEpoch are -1.
 *
 * Errors: INVALID_PRODUCER_ID_MAPPING (unknown id, another producer id), PRODUCER_FENCED (another
 * epoch; INVALID_PRODUCER_EPOCH below v2), INVALID_TXN_STATE (an end that does not match the
 * state, e.g. a commit with no transaction), CONCURRENT_TRANSACTIONS, NOT_COORDINATOR,
 * COORDINATOR_LOAD_IN_PROGRESS, INVALID_REQUEST (empty transactional id).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, txnIdAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 26,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    if (!txnIdAllowed(ctx, AclOperation.WRITE, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    const tv = ctx.apiVersion > 4 ? 2 : 0;
    const r = await ctx.broker.txns.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed, tv);
    const errorCode = ctx.apiVersion < 2 && r.errorCode === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : r.errorCode;
    return { throttleTimeMs: 0, errorCode, producerId: r.producerId, producerEpoch: r.producerEpoch };
  },
});

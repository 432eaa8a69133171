/**
 * DescribeTransactions v0 (KIP-664): each transactional id's state as its coordinator holds it:
 * producer id and epoch, state name (Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit,
 * CompleteAbort, PrepareEpochFence), timeout, start time (-1 when none began), and its partitions
 * (while completing, those whose marker is not written yet). TRANSACTIONAL_ID_NOT_FOUND for an
 * unknown (or expiring) id, NOT_COORDINATOR when another broker coordinates it,
 * COORDINATOR_LOAD_IN_PROGRESS while its partition loads, INVALID_REQUEST for an empty id.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, topicAllowed, txnIdAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 65,
  minVersion: 0,
  maxVersion: 0,
  handle(req, ctx) {
    // DESCRIBE on each transactional id; the topics shown are those the principal may DESCRIBE.
    return {
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((id) => {
        if (!txnIdAllowed(ctx, AclOperation.DESCRIBE, id)) {
          return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, transactionalId: id, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
        }
        const d = ctx.broker.txns.describe(id);
        return { ...d, topics: d.topics.filter((t) => topicAllowed(ctx, AclOperation.DESCRIBE, t.topic)) };
      }),
    };
  },
});

/**
 * DescribeTransactions v0 (KIP-664): each transactional id's state as its coordinator holds it:
 * producer id and epoch, state name (Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit,
 * CompleteAbort, PrepareEpochFence), timeout, start time (-1 when none began), and its partitions
 * (while completing, those whose marker is not written yet). TRANSACTIONAL_ID_NOT_FOUND for an
 * unknown (or expiring) id, NOT_COORDINATOR when another broker coordinates it,
 * COORDINATOR_LOAD_IN_PROGRESS while its partition loads, INVALID_REQUEST for an empty id.
 */
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 65,
  minVersion: 0,
  maxVersion: 0,
  handle(req, ctx) {
    return { throttleTimeMs: 0, transactionStates: req.transactionalIds.map((id) => ctx.broker.txns.describe(id)) };
  },
});

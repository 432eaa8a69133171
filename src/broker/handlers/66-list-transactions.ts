/**
 * ListTransactions v0-v2 (KIP-664): the transactional ids this broker coordinates, with producer
 * id and state. Filters, all optional: states (unknown names are echoed in
 * UnknownStateFilters), producer ids, v1's DurationFilter (only transactions running longer than
 * that many ms; < 0: all), v2's TransactionalIdPattern (an RE2/J regular expression the whole id
 * must match; INVALID_REGULAR_EXPRESSION when it is not one). COORDINATOR_LOAD_IN_PROGRESS while
 * a partition of __transaction_state loads.
 */
import { AclOperation, txnIdAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 66,
  minVersion: 0,
  maxVersion: 2,
  handle(req, ctx) {
    const r = ctx.broker.txns.list({
      states: req.stateFilters,
      producerIds: req.producerIdFilters,
      durationMs: ctx.apiVersion >= 1 ? Number(req.durationFilter) : -1,
      transactionalIdPattern: ctx.apiVersion >= 2 ? req.transactionalIdPattern : null,
    });
    // Only the transactional ids the principal may DESCRIBE.
    const states = r.transactionStates.filter((s) => txnIdAllowed(ctx, AclOperation.DESCRIBE, s.transactionalId));
    return { throttleTimeMs: 0, errorCode: r.errorCode, unknownStateFilters: r.unknownStateFilters, transactionStates: states };
  },
});

/**
 * InitProducerId v0-v6 for idempotent producers: a fresh producer id with epoch 0. A producer that
 * sends its current id and epoch (v3+, KIP-360) gets the epoch bumped, or a new id when the epoch
 * would overflow. Transactional ids are the transaction coordinator's job, which comes with
 * transactions: until then a transactional id gets COORDINATOR_NOT_AVAILABLE.
 * v6 (KIP-939, two-phase commit) adds Enable2Pc and KeepPreparedTxn, which only mean something with
 * a transactional id (Kafka ignores them without one), and answers OngoingTxnProducerId/Epoch: -1,
 * no prepared transaction is ever kept. Kafka 4.3.1 marks v6 unstable and does not advertise it
 * by default, so its Java clients send v5.
 */
import { ErrorCode } from '../../protocol/errors.js';
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
    if (req.transactionalId !== null) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1n, producerEpoch: -1, ...NO_ONGOING_TXN };
    }
    if (req.producerId >= 0n && req.producerEpoch >= 0 && req.producerEpoch < MAX_EPOCH - 1) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: req.producerId, producerEpoch: req.producerEpoch + 1, ...NO_ONGOING_TXN };
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: await ids.nextId(), producerEpoch: 0, ...NO_ONGOING_TXN };
  },
});

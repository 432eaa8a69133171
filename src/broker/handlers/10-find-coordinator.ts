/**
 * FindCoordinator v0-v6. A group's coordinator is the leader of its __consumer_offsets partition
 * (abs(javaHash(groupId)) % offsets.topic.num.partitions), as in Kafka; on a single node, this
 * broker; a transactional id's likewise on __transaction_state. COORDINATOR_NOT_AVAILABLE while
 * that partition has no leader. v4+ batches keys (KIP-699): the answer goes in `coordinators`;
 * older versions use the top-level fields.
 *
 * Key types: 0 (group) -> the leader of the group's __consumer_offsets partition, after creating
 * the topic on first use as Kafka does. 1 (transaction) -> the leader of the transactional id's
 * __transaction_state partition (abs(javaHash(transactionalId)) %
 * transaction.state.log.num.partitions), the topic likewise created on first use. 2 (share, v6)
 * -> INVALID_REQUEST (share groups are not enabled), as Kafka does with share groups off. Other
 * types -> INVALID_REQUEST.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { liveBrokers } from './common.js';
import { AclOperation, groupAllowed, txnIdAllowed } from './auth.js';
import { OFFSETS_TOPIC } from '../coordinator/storage.js';
import { TRANSACTION_STATE_TOPIC } from '../coordinator/txn-coordinator.js';
import { defineHandler, type RequestContext } from './handler.js';

interface Answer {
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

async function answer(key: string, keyType: number, ctx: RequestContext): Promise<Answer> {
  const none = (errorCode: number, errorMessage: string): Answer => ({ nodeId: -1, host: '', port: -1, errorCode, errorMessage });
  if (keyType === 1) {
    if (!txnIdAllowed(ctx, AclOperation.DESCRIBE, key)) return none(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'Transactional Id authorization failed.');
    const txns = ctx.broker.txns;
    const err = await txns.ensureStorage();
    if (err !== ErrorCode.NONE) return none(err, 'The transaction state topic cannot be created.');
    const leader = ctx.broker.replicas.leaderId(TRANSACTION_STATE_TOPIC, txns.partitionFor(key));
    const l = liveBrokers(ctx).find((x) => x.id === leader);
    if (!l) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
    return { nodeId: l.id, host: l.host, port: l.port, errorCode: ErrorCode.NONE, errorMessage: null };
  }
  if (keyType !== 0) return none(ErrorCode.INVALID_REQUEST, keyType === 2 ? 'Share groups are not enabled.' : `Unknown coordinator key type ${keyType}.`);
  if (key === '') return none(ErrorCode.INVALID_REQUEST, 'Group id must not be empty.');
  if (!groupAllowed(ctx, AclOperation.DESCRIBE, key)) return none(ErrorCode.GROUP_AUTHORIZATION_FAILED, 'Group authorization failed.');
  const groups = ctx.broker.groups;
  const err = await groups.ensureStorage();
  if (err !== ErrorCode.NONE) return none(err, 'The offsets topic cannot be created.');
  const leader = ctx.broker.replicas.leaderId(OFFSETS_TOPIC, groups.partitionFor(key));
  const l = liveBrokers(ctx).find((x) => x.id === leader);
  if (!l) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
  return { nodeId: l.id, host: l.host, port: l.port, errorCode: ErrorCode.NONE, errorMessage: null };
}

export default defineHandler({
  apiKey: 10,
  minVersion: 0,
  maxVersion: 6,
  async handle(req, ctx) {
    if (ctx.apiVersion >= 4) {
      const coordinators = [];
      for (const key of req.coordinatorKeys) coordinators.push({ key, ...(await answer(key, req.keyType, ctx)) });
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators };
    }
    const a = await answer(req.key, req.keyType, ctx);
    return { throttleTimeMs: 0, ...a, coordinators: [] };
  },
});

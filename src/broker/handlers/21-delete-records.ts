/**
 * DeleteRecords v0-v2: advances a partition's log start offset (offset -1 = the high watermark).
 * Whole segments below it are deleted; the answer is the new low watermark. The leader answers
 * (NOT_LEADER_OR_FOLLOWER elsewhere); followers follow its log start offset as they fetch.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { StorageError } from '../../storage/errors.js';
import { AclOperation, topicAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 21,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const b = ctx.broker;
    const topics = await Promise.all(
      req.topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(
          t.partitions.map(async (p) => {
            if (!topicAllowed(ctx, AclOperation.DELETE, t.name)) return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
            const lead = b.replicas.leader(t.name, p.partitionIndex);
            if (!lead.ok) return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: lead.errorCode };
            const log = lead.log;
            try {
              const low = await log.deleteRecordsBefore(Number(p.offset));
              return { partitionIndex: p.partitionIndex, lowWatermark: BigInt(low), errorCode: ErrorCode.NONE };
            } catch (err) {
              if (!(err instanceof StorageError)) throw err;
              return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: err.code };
            }
          }),
        ),
      })),
    );
    return { throttleTimeMs: 0, topics };
  },
});

/**
 * ListOffsets v0-v11. Timestamps: -1 latest (the high watermark, or the last stable offset under
 * read_committed, v2+), -2 earliest, -3 the record with the largest timestamp (KIP-734), -4 earliest
 * local (= earliest here), -5 latest tiered and -6 earliest pending upload (v11, KIP-1023): without
 * tiered storage both are offset -1, as Kafka answers them for a topic without remote storage. Any
 * time >= 0: the first
 * offset whose timestamp is at or after it; a time or -3 finds nothing at or past the last
 * fetchable offset (the high watermark, the last stable offset under read_committed: Kafka's
 * lastFetchableOffset). v0 (kept for kafka-python 2.x, although Kafka 4
 * dropped it) answers with an array of at most max_num_offsets offsets.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { ListOffsetsResponseListOffsetsPartitionResponse } from '../../protocol/messages/02-list-offsets.js';
import { StorageError } from '../../storage/errors.js';
import { AclOperation, topicAllowed } from './auth.js';
import { defineHandler } from './handler.js';

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const LATEST_TIERED = -5n;
const EARLIEST_PENDING_UPLOAD = -6n;
const READ_COMMITTED = 1;

export default defineHandler({
  apiKey: 2,
  minVersion: 0,
  maxVersion: 11,
  async handle(req, ctx) {
    const b = ctx.broker;
    const one = async (topic: string, partitionIndex: number, timestamp: bigint, maxNumOffsets: number, currentLeaderEpoch: number): Promise<ListOffsetsResponseListOffsetsPartitionResponse> => {
      const res: ListOffsetsResponseListOffsetsPartitionResponse = {
        partitionIndex,
        errorCode: ErrorCode.NONE,
        oldStyleOffsets: [],
        timestamp: -1n,
        offset: -1n,
        leaderEpoch: -1,
      };
      if (!topicAllowed(ctx, AclOperation.DESCRIBE, topic)) {
        res.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        return res;
      }
      const lead = b.replicas.leader(topic, partitionIndex, currentLeaderEpoch);
      if (!lead.ok) {
        res.errorCode = lead.errorCode;
        return res;
      }
      const log = lead.log;
      try {
        let found: { offset: number; timestamp: bigint } | null;
        if (timestamp === LATEST) {
          found = { offset: req.isolationLevel === READ_COMMITTED ? log.lastStableOffset : log.highWatermark, timestamp: -1n };
        } else if (timestamp === LATEST_TIERED || timestamp === EARLIEST_PENDING_UPLOAD) {
          found = null;
        } else if (timestamp < -4n) {
          res.errorCode = ErrorCode.UNSUPPORTED_VERSION;
          return res;
        } else {
          found = await log.offsetForTimestamp(timestamp);
          // Only what the client could fetch counts: nothing at or past the high watermark (followers
          // may not have it yet), or under read_committed the last stable offset.
          const lastFetchable = req.isolationLevel === READ_COMMITTED ? log.lastStableOffset : log.highWatermark;
          if (found && (timestamp >= 0n || timestamp === MAX_TIMESTAMP) && found.offset >= lastFetchable) found = null;
        }
        if (ctx.apiVersion === 0) {
          if (found) res.oldStyleOffsets = maxNumOffsets > 0 ? [BigInt(found.offset)] : [];
          else if (timestamp >= 0n && maxNumOffsets > 0) res.oldStyleOffsets = [BigInt(log.highWatermark)];
          return res;
        }
        if (found) {
          res.offset = BigInt(found.offset);
          res.timestamp = timestamp === EARLIEST || timestamp === LATEST ? -1n : found.timestamp;
          res.leaderEpoch = timestamp === LATEST ? lead.leaderEpoch : Math.max(0, log.epochForOffset(found.offset));
        }
      } catch (err) {
        if (!(err instanceof StorageError)) throw err;
        res.errorCode = err.code;
      }
      return res;
    };
    const topics = await Promise.all(
      req.topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(t.partitions.map((p) => one(t.name, p.partitionIndex, p.timestamp, p.maxNumOffsets, p.currentLeaderEpoch))),
      })),
    );
    return { throttleTimeMs: 0, topics };
  },
});

/**
 * DescribeLogDirs v0-v5 (kafka-log-dirs.sh, kafka-reassign-partitions.sh --generate): this
 * broker's log dirs, and in each the partitions it holds with their size in bytes and offset lag
 * (Kafka's for a current replica: how far its log end is below the high watermark, never below 0;
 * this broker keeps no future replicas, so isFuture is always false). Topics null: every partition. v4+ adds the
 * dir's total and usable bytes (statfs); v5's is_cordoned is always false.
 */
import { statfs } from 'node:fs/promises';
import { ErrorCode } from '../../protocol/errors.js';
import type { DescribeLogDirsResponseDescribeLogDirsResult } from '../../protocol/messages/35-describe-log-dirs.js';
import { AclOperation, clusterAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 35,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    // Cluster DESCRIBE, else no directories (and, v3+, CLUSTER_AUTHORIZATION_FAILED).
    if (!clusterAllowed(ctx, AclOperation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
    const lm = ctx.broker.topics.logManager;
    const wanted = req.topics === null ? null : new Set(req.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}\u0000${p}`)));
    const results: DescribeLogDirsResponseDescribeLogDirsResult[] = [];
    for (const dir of lm.logDirs) {
      const topics = new Map<string, DescribeLogDirsResponseDescribeLogDirsResult['topics'][number]>();
      for (const log of lm.allLogs()) {
        if (lm.logDirOf(log.topic, log.partition) !== dir) continue;
        if (wanted && !wanted.has(`${log.topic}\u0000${log.partition}`)) continue;
        let t = topics.get(log.topic);
        if (!t) topics.set(log.topic, (t = { name: log.topic, partitions: [] }));
        t.partitions.push({ partitionIndex: log.partition, partitionSize: BigInt(log.size), offsetLag: BigInt(Math.max(log.highWatermark - log.logEndOffset, 0)), isFutureKey: false });
      }
      let totalBytes = -1n;
      let usableBytes = -1n;
      try {
        const s = await statfs(dir, { bigint: true });
        totalBytes = s.blocks * s.bsize;
        usableBytes = s.bavail * s.bsize;
      } catch {
        // Unknown sizes stay -1, as Kafka answers when it cannot tell.
      }
      results.push({ errorCode: ErrorCode.NONE, logDir: dir, topics: [...topics.values()], totalBytes, usableBytes, isCordoned: false });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
  },
});

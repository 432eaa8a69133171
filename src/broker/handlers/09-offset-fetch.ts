/**
 * OffsetFetch v0-v9. A partition without a committed offset answers -1 (leader epoch -1, empty
 * metadata). v2+: topics null means every partition the group has offsets for, and a top-level
 * error (COORDINATOR_LOAD_IN_PROGRESS while __consumer_offsets loads); v0-v1 carry that error in
 * each partition. v7+ requireStable is accepted (no transactional offsets exist yet, so nothing is
 * ever unstable). v8+ fetches for several groups at once. v9's member id and epoch only matter to
 * KIP-848 consumer groups (UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH); classic groups ignore them.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { OffsetFetchResult } from '../coordinator/group-coordinator.js';
import { ZERO_UUID } from '../../protocol/primitives/index.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 9,
  minVersion: 0,
  maxVersion: 9,
  handle(req, ctx) {
    const v = ctx.apiVersion;
    const groups = ctx.broker.groups;
    const requireStable = v >= 7 && req.requireStable;
    if (v >= 8) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        topics: [],
        groups: req.groups.map((g) => {
          const r = groups.fetchOffsets(g.groupId, g.topics, requireStable, v >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : null);
          return { groupId: g.groupId, errorCode: r.errorCode, topics: r.topics.map((t) => ({ ...t, topicId: ZERO_UUID })) };
        }),
      };
    }
    const topics = v >= 2 ? req.topics : (req.topics ?? []);
    let r: OffsetFetchResult = groups.fetchOffsets(req.groupId, topics, requireStable);
    if (v < 2 && r.errorCode !== ErrorCode.NONE) {
      // No top-level error before v2: every requested partition carries it.
      const e = r.errorCode;
      r = {
        errorCode: ErrorCode.NONE,
        topics: (topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: e })),
        })),
      };
    }
    return { throttleTimeMs: 0, errorCode: r.errorCode, topics: r.topics, groups: [] };
  },
});

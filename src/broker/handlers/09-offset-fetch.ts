/**
 * OffsetFetch v0-v10. A partition without a committed offset answers -1 (leader epoch -1, empty
 * metadata). v2+: topics null means every partition the group has offsets for, and a top-level
 * error (COORDINATOR_LOAD_IN_PROGRESS while __consumer_offsets loads); v0-v1 carry that error in
 * each partition. v7+ requireStable: a partition with an offset pending in an open transaction
 * (TxnOffsetCommit) answers UNSTABLE_OFFSET_COMMIT (offset -1) in its partition entry, at v7 in the
 * top-level topics and at v8+ in the group's, as Kafka places it; the consumer retries until the
 * transaction ends. Without it the last committed offset is answered. v8+ fetches for several groups at once. v9's member id and epoch only matter to
 * KIP-848 consumer groups (UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH); classic groups ignore them.
 * v10 names topics by topic id, in the request and the answer: an id no topic has gets
 * UNKNOWN_TOPIC_ID for its partitions, and "all offsets" leaves out topics that no longer exist
 * (Kafka's rules; offsets are kept by topic name).
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { OffsetFetchResponsePartitions, OffsetFetchResponseTopics } from '../../protocol/messages/09-offset-fetch.js';
import type { OffsetFetchResult } from '../coordinator/group-coordinator.js';
import { ZERO_UUID } from '../../protocol/primitives/index.js';
import { AclOperation, groupAllowed, topicAllowed } from './auth.js';
import { defineHandler } from './handler.js';

/** A partition answered with an error instead of an offset. */
function unfetched(partitionIndex: number, errorCode: number): OffsetFetchResponsePartitions {
  return { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode };
}

export default defineHandler({
  apiKey: 9,
  minVersion: 0,
  maxVersion: 10,
  handle(req, ctx) {
    const v = ctx.apiVersion;
    const coordinator = ctx.broker.groups;
    /**
     * The coordinator's answer as the principal may see it (Kafka): DESCRIBE on the group, else
     * GROUP_AUTHORIZATION_FAILED; a requested topic without DESCRIBE gets TOPIC_AUTHORIZATION_FAILED
     * for its partitions (in request order); with all topics, those without DESCRIBE are left out.
     */
    const groups = {
      fetchOffsets(groupId: string, wanted: Array<{ name: string; partitionIndexes: number[] }> | null, stable: boolean, member?: { memberId: string | null; memberEpoch: number } | null): OffsetFetchResult {
        if (!groupAllowed(ctx, AclOperation.DESCRIBE, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
        if (wanted === null) {
          const r = coordinator.fetchOffsets(groupId, null, stable, member);
          return { ...r, topics: r.topics.filter((t) => topicAllowed(ctx, AclOperation.DESCRIBE, t.name)) };
        }
        const ok = wanted.map((t) => topicAllowed(ctx, AclOperation.DESCRIBE, t.name));
        const r = coordinator.fetchOffsets(groupId, wanted.filter((_t, i) => ok[i]), stable, member);
        if (r.errorCode !== ErrorCode.NONE) return r;
        let next = 0;
        return { ...r, topics: wanted.map((t, i) => (ok[i] ? r.topics[next++]! : { name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) })) };
      },
    };
    const requireStable = v >= 7 && req.requireStable;
    if (v >= 8) {
      const topics = ctx.broker.topics;
      const byId = v >= 10;
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        topics: [],
        groups: req.groups.map((g) => {
          const member = v >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : null;
          if (!byId) {
            const r = groups.fetchOffsets(g.groupId, g.topics, requireStable, member);
            return { groupId: g.groupId, errorCode: r.errorCode, topics: r.topics.map((t) => ({ ...t, topicId: ZERO_UUID })) };
          }
          if (g.topics === null) {
            // Every committed offset, by the id of its topic; offsets of topics that no longer exist are left out.
            const r = groups.fetchOffsets(g.groupId, null, requireStable, member);
            const out: OffsetFetchResponseTopics[] = [];
            for (const t of r.topics) {
              const topicId = topics.get(t.name)?.topicId;
              if (topicId !== undefined) out.push({ ...t, topicId });
            }
            return { groupId: g.groupId, errorCode: r.errorCode, topics: out };
          }
          // v10 names topics by id; an id no topic has gets UNKNOWN_TOPIC_ID for its partitions.
          const resolved = g.topics.map((t) => topics.getById(t.topicId)?.name ?? null);
          const known = g.topics.flatMap((t, i) => (resolved[i] === null ? [] : [{ name: resolved[i]!, partitionIndexes: t.partitionIndexes }]));
          const r = groups.fetchOffsets(g.groupId, known, requireStable, member);
          if (r.errorCode !== ErrorCode.NONE) return { groupId: g.groupId, errorCode: r.errorCode, topics: [] };
          let next = 0;
          const out = g.topics.map((t, i): OffsetFetchResponseTopics => {
            if (resolved[i] === null) {
              return { name: '', topicId: t.topicId, partitions: t.partitionIndexes.map((p) => unfetched(p, ErrorCode.UNKNOWN_TOPIC_ID)) };
            }
            return { ...r.topics[next++]!, topicId: t.topicId };
          });
          return { groupId: g.groupId, errorCode: ErrorCode.NONE, topics: out };
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

/**
 * Fetch v4-v18 (record batch v2; v0-v3 need the legacy message format and are refused). v18's
 * partition HighWatermark (KIP-1166) is a follower's: consumers never set it, and it is ignored.
 * Long polling: the response waits up to max_wait_ms for min_bytes, woken by appends to any of
 * the partitions fetched. Partition max_bytes and the response max_bytes are honoured; the first
 * batch of the response is returned whole even when larger (Kafka's rule, so a consumer always
 * makes progress). Records are bytes read from the segment files, never decoded.
 * Fetch sessions (KIP-227, v7+): epoch 0 opens a session (answered with all partitions and the
 * session id), later epochs send only changes and get only partitions with news, epoch -1 is a
 * sessionless full fetch. See ../fetch-sessions.ts. read_committed (isolation_level 1) reads
 * below the last stable offset, answers with the aborted transactions overlapping the batches
 * returned (Kafka's collectAbortedTransactions, from the segments' .txnindex; an empty list when
 * no records are returned), and its long poll wakes when the LSO moves.
 * Only the partition's leader serves it (NOT_LEADER_OR_FOLLOWER elsewhere, FENCED_LEADER_EPOCH /
 * UNKNOWN_LEADER_EPOCH when current_leader_epoch is not ours, KIP-320). Consumers read up to the
 * high watermark and are woken when it moves; a follower (replica_id, or v15+'s replica_state,
 * >= 0) reads up to the log end, is woken by appends, and its fetch offset is its log end: the
 * leader's HW and ISR follow it (../replicas.ts).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/primitives/index.js';
import type { FetchRequest, FetchResponse, FetchResponseFetchableTopicResponse, FetchResponsePartitionData } from '../../protocol/messages/01-fetch.js';
import { StorageError } from '../../storage/errors.js';
import { nextOffsetAfterWholeBatches, wholeBatchesLength } from '../../storage/segment-scan.js';
import type { PartitionLog } from '../../storage/partition-log.js';
import { releaseReadBuffer } from '../../storage/read-buffers.js';
import type { BrokerContext } from '../context.js';
import { FetchSession, type SessionPartition } from '../fetch-sessions.js';
import type { Waits } from '../waits.js';
import { AclOperation, clusterAllowed, topicAllowed } from './auth.js';
import { defineHandler } from './handler.js';
import { throttledReplica } from '../replication-throttle.js';
import { fetchMaxBytes, fetchThrottleMs } from './quotas.js';

const READ_COMMITTED = 1;
const INITIAL_EPOCH = 0;
const FINAL_EPOCH = -1;
const EMPTY = Buffer.alloc(0);

function partitionData(partitionIndex: number, errorCode: number): FetchResponsePartitionData {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY,
  };
}

/** One partition to read in this request. */
interface Target {
  topic: string;
  topicId: string;
  log: PartitionLog | undefined;
  /** Set when the partition cannot be read here (unknown, not the leader, ...): reported, not read. */
  missing?: number;
  fetchOffset: number;
  maxBytes: number;
  out: FetchResponsePartitionData;
  /** The session's entry, when the request belongs to a session. */
  sp?: SessionPartition;
  /**
   * What the long poll waits to see move, as last read: the log end (followers), the last stable
   * offset (read_committed) or the high watermark.
   */
  seenEnd: number;
}

function sessionError(errorCode: number): FetchResponse {
  return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [], nodeEndpoints: [] };
}

/**
 * The partition's log when this broker may serve the fetch: the leader's for a consumer; for a
 * follower (replicaId >= 0) also recording how far it has come.
 */
function leaderLog(b: BrokerContext, t: Target, replicaId: number, currentLeaderEpoch: number): void {
  const p = t.out.partitionIndex;
  const lead = replicaId >= 0 ? b.replicas.followerFetch(t.topic, p, replicaId, t.fetchOffset, currentLeaderEpoch) : b.replicas.leader(t.topic, p, currentLeaderEpoch);
  if (lead.ok) {
    t.log = lead.log;
    return;
  }
  t.missing = lead.errorCode;
  t.out.currentLeader = { leaderId: lead.leaderId, leaderEpoch: lead.leaderEpoch };
}

/** Resolves the request's partitions to logs (by name before v13, by topic id from v13). */
function requested(req: FetchRequest, byId: boolean, b: BrokerContext, replicaId: number, mayRead: (topic: string) => boolean): Target[] {
  const out: Target[] = [];
  for (const rt of req.topics) {
    const topic = byId ? b.topics.getById(rt.topicId) : b.topics.get(rt.topic);
    for (const p of rt.partitions) {
      const t: Target = {
        topic: topic?.name ?? rt.topic,
        topicId: topic?.topicId ?? rt.topicId,
        log: undefined,
        fetchOffset: Number(p.fetchOffset),
        maxBytes: p.partitionMaxBytes,
        out: partitionData(p.partition, ErrorCode.NONE),
        seenEnd: -1,
      };
      if (!topic) t.missing = byId ? ErrorCode.UNKNOWN_TOPIC_ID : mayRead(rt.topic) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      else if (!mayRead(topic.name)) t.missing = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      else leaderLog(b, t, replicaId, p.currentLeaderEpoch);
      out.push(t);
    }
  }
  return out;
}

/** Whether a follower's fetch of this partition falls under the leader's replication throttle. */
function isThrottled(b: BrokerContext, t: Target, replicaId: number): boolean {
  const topic = b.topics.get(t.topic);
  if (!topic) return false;
  const list = b.topics.effectiveConfig(topic).get('leader.replication.throttled.replicas');
  const p = t.out.partitionIndex;
  return throttledReplica(list, p, b.nodeId) && !b.replicas.partition(t.topic, p).isr.includes(replicaId);
}

function remember(session: FetchSession, t: Target): void {
  const key = FetchSession.key(t.topic, t.out.partitionIndex);
  const sp = session.partitions.get(key);
  if (sp) {
    sp.fetchOffset = t.fetchOffset;
    sp.maxBytes = t.maxBytes;
    t.sp = sp;
    return;
  }
  t.sp = { topic: t.topic, topicId: t.topicId, partition: t.out.partitionIndex, fetchOffset: t.fetchOffset, maxBytes: t.maxBytes, sentHighWatermark: -2n, sentLastStable: -2n, sentLogStart: -2n };
  session.partitions.set(key, t.sp);
}

export default defineHandler({
  apiKey: 1,
  minVersion: 4,
  maxVersion: 18,
  async handle(req, ctx) {
    const b = ctx.broker;
    const byId = ctx.apiVersion >= 13;
    const readCommitted = req.isolationLevel === READ_COMMITTED;
    const replicaId = ctx.apiVersion >= 15 ? req.replicaState.replicaId : req.replicaId;
    const follower = replicaId >= 0;
    // A replica fetch needs CLUSTER_ACTION (CVE-2018-1288): otherwise every partition fails with
    // TOPIC_AUTHORIZATION_FAILED and nothing is read or recorded (no follower progress, no session).
    if (follower) ctx.quota.exemptFromRequestQuota();
    if (follower && !clusterAllowed(ctx, AclOperation.CLUSTER_ACTION)) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        sessionId: 0,
        responses: req.topics.map((rt) => ({
          topic: rt.topic,
          topicId: rt.topicId,
          partitions: rt.partitions.map((p) => partitionData(p.partition, ErrorCode.TOPIC_AUTHORIZATION_FAILED)),
        })),
        nodeEndpoints: [],
      };
    }
    // A consumer needs READ on each topic.
    const mayRead = (topic: string): boolean => follower || topicAllowed(ctx, AclOperation.READ, topic);

    // Which partitions to read, and whether the answer is incremental.
    let targets = requested(req, byId, b, replicaId, mayRead);
    let session: FetchSession | null = null;
    let incremental = false;
    if (ctx.apiVersion >= 7) {
      if (req.sessionEpoch === FINAL_EPOCH || req.sessionEpoch === INITIAL_EPOCH) {
        if (req.sessionId !== 0) b.fetchSessions.remove(req.sessionId);
        if (req.sessionEpoch === INITIAL_EPOCH) session = b.fetchSessions.create();
        if (session) for (const t of targets) if (!t.missing) remember(session, t);
      } else {
        session = b.fetchSessions.touch(req.sessionId) ?? null;
        if (!session) return sessionError(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
        if (session.epoch !== req.sessionEpoch) return sessionError(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
        session.epoch = session.epoch === 0x7fffffff ? 1 : session.epoch + 1;
        incremental = true;
        for (const f of req.forgottenTopicsData) {
          const name = byId ? b.topics.getById(f.topicId)?.name : f.topic;
          if (name !== undefined) for (const p of f.partitions) session.partitions.delete(FetchSession.key(name, p));
        }
        for (const t of targets) if (!t.missing) remember(session, t);
        // Read every partition of the session: the request named only the changed ones.
        const named = new Set(targets.map((t) => FetchSession.key(t.topic, t.out.partitionIndex)));
        for (const [key, sp] of session.partitions) {
          if (named.has(key)) continue;
          if (!b.topics.get(sp.topic)) {
            session.partitions.delete(key);
            continue;
          }
          const t: Target = { topic: sp.topic, topicId: sp.topicId, log: undefined, fetchOffset: sp.fetchOffset, maxBytes: sp.maxBytes, out: partitionData(sp.partition, ErrorCode.NONE), sp, seenEnd: -1 };
          if (mayRead(sp.topic)) leaderLog(b, t, replicaId, -1);
          else t.missing = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          targets.push(t);
        }
      }
    }
    for (const t of targets) if (t.missing) t.out.errorCode = t.missing;
    const readable = targets.filter((t) => t.log !== undefined);
    // consumer_byte_rate: no more than the quota allows in its window span.
    const maxBytes = follower ? req.maxBytes : fetchMaxBytes(ctx, req.maxBytes);

    const collect = async (): Promise<{ bytes: number; errors: boolean }> => {
      let bytes = 0;
      let errors = false;
      for (const t of readable) {
        const log = t.log!;
        const out = t.out;
        const lastStable = log.lastStableOffset;
        t.seenEnd = follower ? log.logEndOffset : readCommitted ? lastStable : log.highWatermark;
        out.highWatermark = BigInt(log.highWatermark);
        out.lastStableOffset = BigInt(lastStable);
        out.logStartOffset = BigInt(log.logStartOffset);
        out.abortedTransactions = readCommitted ? [] : null;
        const room = Math.min(t.maxBytes, maxBytes - bytes);
        // What an earlier round read (less than minBytes in all) is read again: its buffer goes back.
        if (out.records) releaseReadBuffer(out.records);
        if (room <= 0 && bytes > 0) {
          out.records = EMPTY;
          continue;
        }
        // A reassignment's new replica catching up, under --throttle: only as fast as the rate allows.
        const throttled = follower && isThrottled(b, t, replicaId);
        if (throttled && !b.replicationThrottle.allows()) {
          out.records = EMPTY;
          continue;
        }
        try {
          const data = await log.read(t.fetchOffset, Math.max(room, 0), {
            maxOffset: follower ? log.logEndOffset : readCommitted ? lastStable : log.highWatermark,
            minOneMessage: bytes === 0,
          });
          out.errorCode = ErrorCode.NONE;
          out.records = data;
          if (readCommitted && data.length > 0) out.abortedTransactions = abortedIn(log, t.fetchOffset, data);
          bytes += data.length;
          if (throttled) b.replicationThrottle.record(data.length);
        } catch (err) {
          if (!(err instanceof StorageError)) throw err;
          out.errorCode = err.code;
          out.records = EMPTY;
          errors = true;
        }
      }
      return { bytes, errors: errors || targets.some((t) => t.missing !== undefined) };
    };

    // The read buffers go back to the pool once the socket has taken the response.
    ctx.afterResponse(() => {
      for (const t of readable) if (t.out.records) releaseReadBuffer(t.out.records);
    });
    let state = await collect();
    const deadline = b.now() + req.maxWaitMs;
    let waitedMs = 0;
    while (state.bytes < req.minBytes && !state.errors && readable.length > 0 && !b.waits.closed) {
      const left = deadline - b.now();
      if (left <= 0) break;
      const waitStart = performance.now();
      const appended = await waitForAnyAppend(readable, left, b.waits, follower, readCommitted);
      waitedMs += performance.now() - waitStart;
      if (!appended) break;
      state = await collect();
    }
    // A throttled consumer gets nothing but the throttle time (Kafka's throttled response): an
    // incremental session stays as it was; a full fetch opens no session.
    const throttleTimeMs = follower ? 0 : fetchThrottleMs(ctx, state.bytes, waitedMs);
    if (throttleTimeMs > 0) {
      if (session && !incremental) b.fetchSessions.remove(session.id);
      return { throttleTimeMs, errorCode: ErrorCode.NONE, sessionId: incremental ? session!.id : 0, responses: [], nodeEndpoints: [] };
    }

    // The answer, grouped by topic in request order; incremental answers carry only news.
    const responses: FetchResponseFetchableTopicResponse[] = [];
    const byTopic = new Map<string, FetchResponseFetchableTopicResponse>();
    for (const t of targets) {
      const sp = t.sp;
      if (incremental && sp && !t.missing) {
        const news =
          t.out.errorCode !== ErrorCode.NONE ||
          (t.out.records?.length ?? 0) > 0 ||
          t.out.highWatermark !== sp.sentHighWatermark ||
          t.out.lastStableOffset !== sp.sentLastStable ||
          t.out.logStartOffset !== sp.sentLogStart;
        if (!news) continue;
      }
      if (sp) {
        sp.sentHighWatermark = t.out.highWatermark;
        sp.sentLastStable = t.out.lastStableOffset;
        sp.sentLogStart = t.out.logStartOffset;
      }
      let tr = byTopic.get(t.topic);
      if (!tr) {
        tr = { topic: t.topic, topicId: byId ? t.topicId : ZERO_UUID, partitions: [] };
        byTopic.set(t.topic, tr);
        responses.push(tr);
      }
      tr.partitions.push(t.out);
    }
    return { throttleTimeMs, errorCode: ErrorCode.NONE, sessionId: session?.id ?? 0, responses, nodeEndpoints: [] };
  },
});

/**
 * Resolves true when any of the targets' logs has news for the fetcher (a consumer: the high
 * watermark moved, or under read_committed the last stable offset; a follower: an append), false
 * on timeout or shutdown. Whichever comes first
 * removes every trace of the wait: timer, listeners, registration.
 */
function waitForAnyAppend(targets: readonly Target[], timeoutMs: number, waits: Waits, follower: boolean, readCommitted: boolean): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const unsubscribe: Array<() => void> = [];
    let done = false;
    const finish = (appended: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const u of unsubscribe) u();
      resolve(appended);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    unsubscribe.push(waits.add(() => finish(false)));
    if (done) return; // the broker was already closing
    const seen = new Set<PartitionLog>();
    for (const t of targets) {
      if (seen.has(t.log!)) continue;
      seen.add(t.log!);
      const log = t.log!;
      unsubscribe.push(follower ? log.onAppend(() => finish(true)) : readCommitted ? log.onLastStable(() => finish(true)) : log.onHighWatermark(() => finish(true)));
    }
    // News that came between the last read and the subscription must not be missed.
    const now = (log: PartitionLog): number => (follower ? log.logEndOffset : readCommitted ? log.lastStableOffset : log.highWatermark);
    if (targets.some((t) => now(t.log!) !== t.seenEnd)) finish(true);
  });
}

/**
 * The aborted transactions a read_committed consumer needs for `data` (whole batches from
 * fetchOffset): those overlapping the offsets it holds. Kafka bounds the search by an offset index
 * entry at or past the data's end, so it may list a few more; the consumer only uses those whose
 * batches it meets.
 */
function abortedIn(log: PartitionLog, fetchOffset: number, data: Buffer): Array<{ producerId: bigint; firstOffset: bigint }> {
  wholeBatchesLength(data);
  const end = nextOffsetAfterWholeBatches();
  if (end <= fetchOffset) return [];
  return log.abortedTransactions(fetchOffset, end).map((t) => ({ producerId: t.producerId, firstOffset: BigInt(t.firstOffset) }));
}

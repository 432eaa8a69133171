/**
 * Fetch v4-v17 (record batch v2; v0-v3 need the legacy message format and are refused).
 * Long polling: the response waits up to max_wait_ms for min_bytes, woken by appends to any of
 * the partitions asked for. Partition max_bytes and the response max_bytes are honoured; the first
 * batch of the response is returned whole even when larger (Kafka's rule, so a consumer always
 * makes progress). Records are bytes read from the segment files, never decoded.
 * Fetch sessions (KIP-227): this broker keeps none. A request to open one (id 0, epoch 0) gets
 * session id 0, which tells the client to keep sending full fetch requests; an incremental
 * request for a session it never had gets FETCH_SESSION_ID_NOT_FOUND, after which the client
 * starts over with a full request. isolation_level is accepted: read_committed reads below the
 * last stable offset.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { FetchResponse, FetchResponseFetchableTopicResponse, FetchResponsePartitionData } from '../../protocol/messages/01-fetch.js';
import { StorageError } from '../../storage/errors.js';
import type { PartitionLog } from '../../storage/partition-log.js';
import { defineHandler } from './handler.js';

const READ_COMMITTED = 1;
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

interface Target {
  topicIndex: number;
  log: PartitionLog | undefined;
  out: FetchResponsePartitionData;
  fetchOffset: number;
  maxBytes: number;
  /** The log end offset when last read: an append after it must wake the long poll. */
  seenEnd: number;
}

export default defineHandler({
  apiKey: 1,
  minVersion: 4,
  maxVersion: 17,
  async handle(req, ctx) {
    const b = ctx.broker;
    const sessionError = (errorCode: number): FetchResponse => ({ throttleTimeMs: 0, errorCode, sessionId: 0, responses: [], nodeEndpoints: [] });
    if (ctx.apiVersion >= 7) {
      if (req.sessionId !== 0) return sessionError(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
      if (req.sessionEpoch > 0) return sessionError(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    }
    const byId = ctx.apiVersion >= 13;
    const readCommitted = req.isolationLevel === READ_COMMITTED;

    const responses: FetchResponseFetchableTopicResponse[] = [];
    const targets: Target[] = [];
    for (const rt of req.topics) {
      const topic = byId ? b.topics.getById(rt.topicId) : b.topics.get(rt.topic);
      const topicIndex = responses.length;
      const partitions: FetchResponsePartitionData[] = [];
      responses.push({ topic: rt.topic, topicId: rt.topicId, partitions });
      for (const p of rt.partitions) {
        const missing = byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        const log = topic ? b.topics.partitionLog(topic.name, p.partition) : undefined;
        const out = partitionData(p.partition, log ? ErrorCode.NONE : missing);
        partitions.push(out);
        if (log) targets.push({ topicIndex, log, out, fetchOffset: Number(p.fetchOffset), maxBytes: p.partitionMaxBytes, seenEnd: -1 });
      }
    }

    const collect = async (): Promise<{ bytes: number; errors: boolean }> => {
      let bytes = 0;
      let errors = false;
      for (const t of targets) {
        const log = t.log!;
        const out = t.out;
        t.seenEnd = log.logEndOffset;
        out.highWatermark = BigInt(log.highWatermark);
        out.lastStableOffset = BigInt(log.lastStableOffset);
        out.logStartOffset = BigInt(log.logStartOffset);
        out.abortedTransactions = readCommitted ? [] : null;
        const room = Math.min(t.maxBytes, req.maxBytes - bytes);
        if (room <= 0 && bytes > 0) {
          out.records = EMPTY;
          continue;
        }
        try {
          const data = await log.read(t.fetchOffset, Math.max(room, 0), {
            maxOffset: readCommitted ? log.lastStableOffset : log.highWatermark,
            minOneMessage: bytes === 0,
          });
          out.errorCode = ErrorCode.NONE;
          out.records = data;
          bytes += data.length;
        } catch (err) {
          if (!(err instanceof StorageError)) throw err;
          out.errorCode = err.code;
          out.records = EMPTY;
          errors = true;
        }
      }
      return { bytes, errors };
    };

    let state = await collect();
    const deadline = b.now() + req.maxWaitMs;
    while (state.bytes < req.minBytes && !state.errors && targets.length > 0 && !b.shutdown.aborted) {
      const left = deadline - b.now();
      if (left <= 0) break;
      const appended = await waitForAnyAppend(targets, left, b.shutdown);
      if (!appended) break;
      state = await collect();
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses, nodeEndpoints: [] };
  },
});

/** Resolves true on the next append to any of the targets' logs, false on timeout or shutdown. */
function waitForAnyAppend(targets: readonly Target[], timeoutMs: number, shutdown: AbortSignal): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const unsubscribe: Array<() => void> = [];
    let done = false;
    const finish = (appended: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      shutdown.removeEventListener('abort', onAbort);
      for (const u of unsubscribe) u();
      resolve(appended);
    };
    const onAbort = (): void => finish(false);
    const timer = setTimeout(() => finish(false), timeoutMs);
    shutdown.addEventListener('abort', onAbort, { once: true });
    const seen = new Set<PartitionLog>();
    for (const t of targets) {
      if (seen.has(t.log!)) continue;
      seen.add(t.log!);
      unsubscribe.push(t.log!.onAppend(() => finish(true)));
    }
    // An append that landed between the last read and the subscription must not be missed.
    if (targets.some((t) => t.log!.logEndOffset !== t.seenEnd)) finish(true);
  });
}

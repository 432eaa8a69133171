/**
 * How appends are written, inside the partition's writer queue (Log's drain loop hands them
 * over): a leader's grouped appends (checked, given offsets, written with one writev) and a
 * follower's copies of its leader's batches. Both roll segments, update producer state and leader
 * epochs, and tell the log how far it now reaches.
 */
import { isControl } from '../protocol/records/batch-header.js';
import { readEndTxnMarker } from '../protocol/records/control.js';
import { effectiveSegmentMs, type LogConfig } from './config.js';
import { asStorageError, LogClosedError, ProducerStateError } from './errors.js';
import { stampLeaderEpoch, type LogEpochs } from './log-epochs.js';
import { checkFollowerRecords } from './log-follower.js';
import { analyzeAppend, assignOffset, writeAssignedHeaders, type AppendBatch } from './log-validator.js';
import type { AppendOptions, AppendResult } from './partition-log.js';
import type { ProducerAppend, ProducerStateManager, TxnMarker } from './producer-state.js';
import type { AppendedBatch, LogSegment } from './segment.js';

/** A batch's producer state update; a control batch with its marker (commit or abort). */
function applyToStage(stage: ProducerAppend, records: Buffer, b: AppendBatch): void {
  stage.apply(b.h, markerOf(records, b));
}

function markerOf(records: Buffer, b: AppendBatch): TxnMarker | undefined {
  return isControl(b.h.attributes) ? readEndTxnMarker(records, b.at) : undefined;
}

/**
 * The written append's producer state takes effect; the aborted transactions it completed go to
 * the active segment's transaction index (the segment the write went to) before anyone hears of
 * the new log end, so a read_committed fetch never sees the marker without its entry.
 */
function commitStage(log: AppendHost['log'], stage: ProducerAppend, end: number): void {
  const aborted = stage.commit(end);
  if (aborted.length > 0) log.activeSegment.txnIndex.append(aborted);
}

/** At most this many bytes are coalesced into one write. */
export const MAX_GROUP_BYTES = 8 * 1024 * 1024;

/** An append's answer, and the offset the flush policy wants fsynced before it is given. */
export type AppendOutcome = { result: AppendResult; flushTo?: number };

/** A leader's append waiting in the writer queue. */
export interface AppendTask {
  kind: 'append';
  records: Buffer;
  opts: AppendOptions;
  resolve: (r: AppendOutcome) => void;
  reject: (e: unknown) => void;
}

/** What the writer sees of the log: its state, read live, and the few internals it drives. */
export interface AppendHost {
  readonly log: {
    readonly topic: string;
    readonly partition: number;
    readonly dir: string;
    readonly config: Readonly<LogConfig>;
    readonly logStartOffset: number;
    readonly logEndOffset: number;
    readonly recoveryPoint: number;
    readonly activeSegment: LogSegment;
    readonly producerStateManager: ProducerStateManager;
    readonly isClosed: boolean;
  };
  epochs(): LogEpochs;
  now(): number;
  /** Rolls a new active segment at `newBase`. */
  roll(newBase: number): Promise<void>;
  /** The log now ends at `end` (written): listeners are told. */
  advanceTo(end: number): void;
}

/** An append prepared (checked, offsets assigned) and waiting for its group's write. */
interface Prepared {
  task: AppendTask;
  result: AppendResult;
  records?: Buffer;
  batches?: AppendedBatch[];
  nextOffset?: number;
}

/**
 * A leader's appends that queued up while the previous write was in flight: each is checked and
 * given offsets one after another, then they are written together (split where a segment rolls).
 */
export async function appendGroup(host: AppendHost, group: readonly AppendTask[]): Promise<void> {
  const log = host.log;
  const psm = log.producerStateManager;
  const cfg = log.config;
  let stage = psm.beginAppend();
  let pending: Prepared[] = [];
  let pendingBytes = 0;
  let pendingFirstTs: bigint | undefined;
  let next = log.logEndOffset;

  const writePending = async (): Promise<void> => {
    const toWrite = pending;
    const st = stage;
    pending = [];
    pendingBytes = 0;
    pendingFirstTs = undefined;
    stage = psm.beginAppend();
    const bufs: Buffer[] = [];
    const batches: AppendedBatch[] = [];
    let end = log.logEndOffset;
    let epochsChanged = false;
    for (const p of toWrite) {
      if (p.records) {
        bufs.push(p.records);
        for (const b of p.batches!) batches.push(b);
        end = p.nextOffset!;
        const epoch = p.task.opts.leaderEpoch;
        if (epoch !== undefined && host.epochs().assign(epoch, p.result.baseOffset)) epochsChanged = true;
      }
    }
    try {
      // The epoch first: after a crash in between, loading drops an epoch past the log end,
      // while records without their epoch would answer OffsetsForLeaderEpoch wrongly.
      if (epochsChanged) await host.epochs().write();
      if (bufs.length > 0) await log.activeSegment.append(bufs, batches);
    } catch (e) {
      const err = asStorageError(e, log.topic, log.partition, log.dir);
      for (const p of toWrite) p.task.reject(err);
      next = log.logEndOffset;
      if (epochsChanged) await host.epochs().truncateFromEnd(log.logEndOffset).catch(() => undefined);
      return;
    }
    let indexError: unknown;
    try {
      commitStage(log, st, end);
    } catch (e) {
      indexError = e;
    }
    host.advanceTo(end);
    if (indexError !== undefined) {
      for (const p of toWrite) p.task.reject(indexError);
      return;
    }
    const flushTo = log.logEndOffset - log.recoveryPoint >= cfg.flushMessages ? log.logEndOffset : undefined;
    for (const p of toWrite) p.task.resolve(flushTo !== undefined && p.records ? { result: p.result, flushTo } : { result: p.result });
  };

  for (const task of group) {
    try {
      if (log.isClosed) throw new LogClosedError(`log ${log.topic}-${log.partition}`);
      const { records, opts } = task;
      const batches = analyzeAppend(records, cfg.segmentBytes);
      const pa = stage.fork();
      const origin = opts.origin ?? 'client';
      const firstOffset = next;
      let o = firstOffset;
      const stamp = opts.logAppendTime;
      let maxTimestamp = -1n;
      const appended: AppendedBatch[] = [];
      let dup: AppendResult | undefined;
      for (const b of batches) {
        if (origin === 'coordinator' && isControl(b.h.attributes)) {
          const c = pa.checkMarker(b.h, markerOf(records, b));
          if (c.kind === 'error') throw new ProducerStateError(c.message, c.code);
        } else if (origin === 'client') {
          const c = pa.check(b.h);
          if (c.kind === 'duplicate') {
            dup = { baseOffset: c.firstOffset, lastOffset: c.lastOffset, logAppendTime: stamp ?? -1n, logStartOffset: log.logStartOffset, duplicate: true };
            break;
          }
          if (c.kind === 'error') {
            throw new ProducerStateError(c.message, c.code);
          }
        }
        o = assignOffset(b, o, stamp);
        applyToStage(pa, records, b);
        if (b.h.maxTimestamp > maxTimestamp) maxTimestamp = b.h.maxTimestamp;
        appended.push({ lastOffset: o - 1, maxTimestamp: b.h.maxTimestamp, size: b.h.size });
      }
      if (dup) {
        // Answered once everything queued before it is written (its original may be in this group).
        pending.push({ task, result: dup });
        continue;
      }
      const lastOffset = o - 1;
      const rollParams = {
        segmentBytes: cfg.segmentBytes,
        segmentMs: effectiveSegmentMs(cfg),
        appendBytes: records.length,
        maxTimestamp,
        lastOffset,
        now: host.now(),
        pendingBytes,
        pendingFirstTs,
      };
      if (log.activeSegment.shouldRoll(rollParams)) {
        if (pending.length > 0) await writePending();
        if (log.logEndOffset !== firstOffset) {
          // The earlier part of the group failed to write: this append must not leave a gap.
          throw new LogClosedError(`log ${log.topic}-${log.partition} (write failed)`);
        }
        rollParams.pendingBytes = 0;
        rollParams.pendingFirstTs = undefined;
        if (log.activeSegment.shouldRoll(rollParams)) await host.roll(firstOffset);
      }
      // All checks passed: rewrite the headers in place (base offset outside the CRC; LogAppendTime inside it).
      writeAssignedHeaders(records, batches, stamp);
      if (opts.leaderEpoch !== undefined) stampLeaderEpoch(records, batches, opts.leaderEpoch);
      pa.mergeInto(stage);
      if (pendingFirstTs === undefined && pendingBytes === 0) pendingFirstTs = appended[0]!.maxTimestamp;
      pending.push({
        task,
        result: { baseOffset: firstOffset, lastOffset, logAppendTime: stamp ?? -1n, logStartOffset: log.logStartOffset, duplicate: false },
        records,
        batches: appended,
        nextOffset: o,
      });
      pendingBytes += records.length;
      next = o;
    } catch (e) {
      task.reject(asStorageError(e, log.topic, log.partition, log.dir));
    }
  }
  if (pending.length > 0) await writePending();
}

/**
 * A follower's append (PartitionLog.appendAsFollower): the leader's batches as they are
 * (log-follower.ts checks them all first, so bad input appends nothing). Producer state and
 * leader epochs follow each batch without the idempotence checks, so a follower that becomes
 * leader recognises retries of what it replicated. Written in chunks that each fit the active
 * segment; a write error in a later chunk leaves the earlier ones appended (the log end says how
 * far), as a failed grouped append does.
 */
export async function appendFollower(host: AppendHost, records: Buffer): Promise<AppendOutcome> {
  const log = host.log;
  const cfg = log.config;
  if (log.isClosed) throw new LogClosedError(`log ${log.topic}-${log.partition}`);
  const checked = checkFollowerRecords(records, log.logEndOffset);
  const result: AppendResult = { baseOffset: log.logEndOffset, lastOffset: log.logEndOffset - 1, logAppendTime: -1n, logStartOffset: log.logStartOffset, duplicate: false };
  if (checked.batches.length === 0) return { result };
  // A fetch response may span several segments' worth: roll between batches as appends would.
  let chunk: AppendBatch[] = [];
  let chunkBytes = 0;
  for (const b of checked.batches) {
    const roll = {
      segmentBytes: cfg.segmentBytes,
      segmentMs: effectiveSegmentMs(cfg),
      appendBytes: b.h.size,
      maxTimestamp: b.h.maxTimestamp,
      lastOffset: b.h.baseOffset + b.h.lastOffsetDelta,
      now: host.now(),
      pendingBytes: chunkBytes,
      pendingFirstTs: chunk[0]?.h.maxTimestamp,
    };
    if (log.activeSegment.shouldRoll(roll)) {
      await writeFollowerChunk(host, checked.records, chunk);
      chunk = [];
      chunkBytes = 0;
      if (log.activeSegment.shouldRoll({ ...roll, pendingBytes: 0, pendingFirstTs: undefined })) await host.roll(b.h.baseOffset);
    }
    chunk.push(b);
    chunkBytes += b.h.size;
  }
  await writeFollowerChunk(host, checked.records, chunk);
  result.lastOffset = log.logEndOffset - 1;
  result.logStartOffset = log.logStartOffset;
  return log.logEndOffset - log.recoveryPoint >= cfg.flushMessages ? { result, flushTo: log.logEndOffset } : { result };
}

/** Writes consecutive batches of `records` to the active segment. */
async function writeFollowerChunk(host: AppendHost, records: Buffer, chunk: readonly AppendBatch[]): Promise<void> {
  const log = host.log;
  if (chunk.length === 0) return;
  const stage = log.producerStateManager.beginAppend();
  const appended: AppendedBatch[] = [];
  let epochsChanged = false;
  for (const b of chunk) {
    applyToStage(stage, records, b);
    appended.push({ lastOffset: b.h.baseOffset + b.h.lastOffsetDelta, maxTimestamp: b.h.maxTimestamp, size: b.h.size });
    if (host.epochs().assign(b.h.partitionLeaderEpoch, b.h.baseOffset)) epochsChanged = true;
  }
  const last = chunk[chunk.length - 1]!;
  try {
    if (epochsChanged) await host.epochs().write(); // first, as in appendGroup
    await log.activeSegment.append(records.subarray(chunk[0]!.at, last.at + last.h.size), appended);
  } catch (e) {
    if (epochsChanged) await host.epochs().truncateFromEnd(log.logEndOffset).catch(() => undefined);
    throw asStorageError(e, log.topic, log.partition, log.dir);
  }
  const end = last.h.baseOffset + last.h.lastOffsetDelta + 1;
  try {
    commitStage(log, stage, end);
  } finally {
    host.advanceTo(end);
  }
}


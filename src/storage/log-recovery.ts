/**
 * Opening a partition's log dir (Kafka's LogLoader): leftovers removed, segments opened, those
 * after the recovery point (or with bad indexes) recovered, everything after a corrupt batch
 * dropped; then the producer state rebuilt from the newest snapshot and the batch headers after it,
 * and with it the transaction indexes of the recovered segments (Kafka rebuilds them in
 * LogSegment.recover from the producer state at the segment's start: here one replay from the
 * newest snapshot at or below the first recovered segment gives the same entries).
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
  TXN_INDEX_SUFFIX,
  parseOffsetFileName,
} from './files.js';
import { recoverSwapFiles } from './cleaner/swap.js';
import type { ProducerStateManager } from './producer-state.js';
import { LogSegment, type SegmentOptions } from './segment.js';
import { segmentIndexOf } from './segment-lookup.js';

/** Something loading found wrong with a file, and what it did about it (the broker logs each). */
export interface RecoveryEvent {
  file: string;
  action: 'truncated' | 'rebuilt' | 'deleted' | 'removed';
  reason: string;
}

/** What open() found and did, for logs and tests. */
export interface LogRecoveryInfo {
  recoveredSegments: number;
  truncatedBytes: number;
  rebuiltIndexes: number;
  deletedSegments: number;
  producerStateFrom: number;
  /** Cleaner swaps (`.swap` files) a crash interrupted, completed at open. */
  completedSwaps?: number;
  events: RecoveryEvent[];
}

export interface LoadOptions {
  /** From recovery-point-offset-checkpoint; segments from the one holding it are scanned. */
  recoveryPoint: number;
  /** From log-start-offset-checkpoint: the base of the first segment of an empty dir. */
  logStartOffset: number;
  /** The log dir had a clean shutdown marker: skip the recovery scan. */
  clean: boolean;
}

/** Removes what a crash can leave behind; returns the base offsets of the .log files, in order. */
async function segmentBases(dir: string, info: LogRecoveryInfo): Promise<number[]> {
  const swaps = await recoverSwapFiles(dir);
  if (swaps > 0) info.completedSwaps = (info.completedSwaps ?? 0) + swaps;
  const names = await readdir(dir);
  const bases: number[] = [];
  for (const name of names) {
    if (name.endsWith(DELETED_SUFFIX) || name.endsWith(CLEANED_SUFFIX) || name.endsWith(SWAP_SUFFIX) || name.endsWith('.tmp')) {
      await rm(join(dir, name), { force: true });
      info.events.push({ file: join(dir, name), action: 'removed', reason: 'left over by an operation a stop interrupted' });
      continue;
    }
    const b = parseOffsetFileName(name, LOG_SUFFIX);
    if (b !== undefined) bases.push(b);
  }
  const baseSet = new Set(bases);
  for (const name of names) {
    // An index without its .log is a leftover (Kafka deletes those too).
    const b = parseOffsetFileName(name, INDEX_SUFFIX) ?? parseOffsetFileName(name, TIME_INDEX_SUFFIX) ?? parseOffsetFileName(name, TXN_INDEX_SUFFIX);
    if (b !== undefined && !baseSet.has(b)) {
      await rm(join(dir, name), { force: true });
      info.events.push({ file: join(dir, name), action: 'removed', reason: 'an index without its .log' });
    }
  }
  return bases.sort((a, b) => a - b);
}

/** The segments loadSegments opened, and where transaction indexes must be rebuilt. */
export interface LoadedSegments {
  segments: LogSegment[];
  /** The base offset of the first recovered segment (its and every later transaction index is rebuilt), if any. */
  rebuildTxnFrom: number | undefined;
}

/**
 * Opens (or creates) the segments of `dir`, recovering those that need it, and returns them in
 * order, each knowing its next offset (the last one's is the log end offset). Counts in `info`.
 */
export async function loadSegments(dir: string, opts: LoadOptions, segOpts: SegmentOptions, info: LogRecoveryInfo): Promise<LoadedSegments> {
  const segs: LogSegment[] = [];
  const indexesOk: boolean[] = [];
  for (const b of await segmentBases(dir, info)) {
    const { segment, indexesOk: ok, indexProblems } = await LogSegment.open(dir, b, segOpts);
    segs.push(segment);
    indexesOk.push(ok);
    for (const p of indexProblems) info.events.push({ file: p.file, action: 'rebuilt', reason: `${p.reason}: rebuilt from the .log` });
  }
  if (segs.length === 0) {
    segs.push(await LogSegment.create(dir, opts.logStartOffset, segOpts));
    indexesOk.push(true);
  }

  const firstToRecover = opts.clean ? segs.length : segmentIndexOf(segs, opts.recoveryPoint);
  const recovered: boolean[] = segs.map(() => false);
  let cut = -1;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (i >= firstToRecover || !indexesOk[i]) {
      const truncated = await seg.recover();
      recovered[i] = true;
      if (i >= firstToRecover) info.recoveredSegments++;
      if (!indexesOk[i]) info.rebuiltIndexes++;
      info.truncatedBytes += truncated;
      if (truncated > 0) {
        info.events.push({
          file: seg.logPath,
          action: 'truncated',
          reason: `${truncated} bytes of invalid or incomplete data from position ${seg.size} (offset ${seg.nextOffset}) cut off`,
        });
      }
      if (truncated > 0 && i >= firstToRecover) {
        cut = i;
        break;
      }
    }
  }
  if (cut >= 0) {
    // Everything after a corrupt batch is unreliable: drop the later segments (Kafka does so).
    for (const seg of segs.splice(cut + 1)) {
      const path = seg.logPath;
      const finish = await seg.markDeleted();
      await finish();
      info.deletedSegments++;
      info.events.push({ file: path, action: 'deleted', reason: `it follows the corrupt data of ${segs[cut]!.logPath}` });
    }
  }
  const last = segs[segs.length - 1]!;
  if (!recovered[segs.length - 1]) {
    // A clean load trusts the files, but reads the active segment's tail anyway: a tail torn or
    // garbled after the broker stopped would otherwise be served (or appended after).
    const problem = await last.loadTail();
    if (problem !== undefined) {
      const truncated = await last.recover();
      info.recoveredSegments++;
      info.rebuiltIndexes++;
      info.truncatedBytes += truncated;
      info.events.push({
        file: last.logPath,
        action: truncated > 0 ? 'truncated' : 'rebuilt',
        reason:
          truncated > 0
            ? `${problem}: ${truncated} bytes from position ${last.size} (offset ${last.nextOffset}) cut off, indexes rebuilt`
            : `${problem}: its indexes were rebuilt from the .log`,
      });
    }
  }
  for (let i = 0; i < segs.length - 1; i++) segs[i]!.nextOffset = segs[i + 1]!.baseOffset;
  const first = recovered.findIndex((r, i) => r && i < segs.length);
  return { segments: segs, rebuildTxnFrom: first >= 0 ? segs[first]!.baseOffset : undefined };
}

/**
 * Producer state: the newest snapshot at or below the log end, then the batch headers after it.
 * With `rebuildTxnFrom`, the transaction indexes of the segments from that offset on are rebuilt
 * too: the replay starts at the newest snapshot at or below it (later ones are deleted, and one at
 * the log end is taken again) and every abort marker from it on gets its entry back.
 */
export async function rebuildProducerState(
  psm: ProducerStateManager,
  segs: readonly LogSegment[],
  logStartOffset: number,
  logEndOffset: number,
  info: LogRecoveryInfo,
  rebuildTxnFrom?: number,
): Promise<void> {
  const rebuild = rebuildTxnFrom !== undefined && rebuildTxnFrom < logEndOffset ? rebuildTxnFrom : undefined;
  const from = await psm.loadLatestSnapshot(rebuild ?? logEndOffset, logStartOffset, (file, reason) =>
    info.events.push({ file, action: 'deleted', reason: `${reason}: producer state rebuilt from the log` }),
  );
  info.producerStateFrom = from;
  if (rebuild !== undefined) for (const s of segs) if (s.baseOffset >= rebuild) await s.txnIndex.reset();
  if (from < logEndOffset) {
    for (let i = segmentIndexOf(segs, from); i < segs.length; i++) {
      const seg = segs[i]!;
      await seg.scanHeaders(from, (h, _pos, m) => {
        const aborted = psm.replay(h, m);
        if (aborted && rebuild !== undefined && aborted.lastOffset >= rebuild) seg.txnIndex.append([aborted]);
      });
    }
    psm.mapEndOffset = logEndOffset;
    await psm.takeSnapshot(false);
  }
  psm.mapEndOffset = logEndOffset;
  psm.truncateHead(logStartOffset);
}

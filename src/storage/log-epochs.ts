/**
 * A log's leader epochs on disk: the LeaderEpochCache (leader-epoch-cache.ts) kept in
 * `leader-epoch-checkpoint` in the partition's dir, rewritten atomically whenever it changes, as
 * Kafka's LeaderEpochFileCache does. The Log calls it from its writer queue only, so writes of
 * the file never overlap.
 */
import { join } from 'node:path';
import { OFF } from '../protocol/records/batch-header.js';
import {
  LEADER_EPOCH_CHECKPOINT,
  LeaderEpochCache,
  readLeaderEpochCheckpoint,
  writeLeaderEpochCheckpoint,
  type EpochEndOffset,
  type EpochEntry,
} from './leader-epoch-cache.js';
import type { LogSegment } from './segment.js';

function sameEntries(a: readonly EpochEntry[], b: readonly EpochEntry[]): boolean {
  return a.length === b.length && a.every((e, i) => e.epoch === b[i]!.epoch && e.startOffset === b[i]!.startOffset);
}

export class LogEpochs {
  private constructor(
    private readonly path: string,
    private cache: LeaderEpochCache,
  ) {}

  /**
   * Loads the checkpoint of `dir` and fits it to the recovered log: epochs starting at or past
   * the log end go (the records they described were lost or never written), then those wholly
   * below the log start. A missing file is an empty cache; an unreadable one is rebuilt from the
   * batches' partitionLeaderEpoch fields (headers only), since answering OffsetsForLeaderEpoch
   * from nothing would make followers truncate too much.
   */
  static async load(dir: string, segs: readonly LogSegment[], logStartOffset: number, logEndOffset: number): Promise<LogEpochs> {
    const path = join(dir, LEADER_EPOCH_CHECKPOINT);
    let cache: LeaderEpochCache;
    let rewrite = false;
    try {
      cache = await readLeaderEpochCheckpoint(path);
    } catch {
      cache = new LeaderEpochCache();
      for (const seg of segs) await seg.scanHeaders(seg.baseOffset, (h) => cache.assign(h.partitionLeaderEpoch, h.baseOffset));
      rewrite = true;
    }
    const epochs = new LogEpochs(path, cache);
    const before = cache.all;
    cache.truncateFromEnd(logEndOffset);
    cache.truncateFromStart(logStartOffset);
    if (rewrite || !sameEntries(before, cache.all)) await epochs.write();
    return epochs;
  }

  get entries(): readonly EpochEntry[] {
    return this.cache.all;
  }

  get latestEpoch(): number {
    return this.cache.latestEpoch;
  }

  epochAt(offset: number): number {
    return this.cache.epochAt(offset);
  }

  endOffsetFor(epoch: number, logEndOffset: number): EpochEndOffset {
    return this.cache.endOffsetFor(epoch, logEndOffset);
  }

  /** Records that `epoch` starts at `startOffset`, in memory; true when that changed anything (then write()). */
  assign(epoch: number, startOffset: number): boolean {
    const before = this.cache.all;
    this.cache.assign(epoch, startOffset);
    return this.cache.all !== before;
  }

  /** The log now ends at `endOffset`. */
  async truncateFromEnd(endOffset: number): Promise<void> {
    await this.change(() => this.cache.truncateFromEnd(endOffset));
  }

  /** The log now starts at `startOffset`. */
  async truncateFromStart(startOffset: number): Promise<void> {
    await this.change(() => this.cache.truncateFromStart(startOffset));
  }

  /** The log restarted empty: no epoch describes it (Kafka's clearAndFlush). */
  async clear(): Promise<void> {
    await this.change(() => (this.cache = new LeaderEpochCache()));
  }

  private async change(fn: () => void): Promise<void> {
    const before = this.cache.all;
    fn();
    if (!sameEntries(before, this.cache.all)) await this.write();
  }

  write(): Promise<void> {
    return writeLeaderEpochCheckpoint(this.path, this.cache);
  }
}

/**
 * A leader's append: every batch carries the leader's epoch in partitionLeaderEpoch (byte 12 of
 * the header, outside the CRC, so nothing is recomputed), as Kafka's LogValidator stamps it.
 */
export function stampLeaderEpoch(records: Buffer, batches: ReadonlyArray<{ at: number }>, epoch: number): void {
  for (const b of batches) records.writeInt32BE(epoch, b.at + OFF.partitionLeaderEpoch);
}

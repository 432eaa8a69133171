/**
 * A partition's leader epochs (KIP-101, KIP-279): which epoch's leader wrote from which offset
 * on, kept in `leader-epoch-checkpoint` in Kafka's format:
 *
 *   0                  version
 *   N                  number of entries
 *   <epoch> <offset>   the first offset written under that epoch, one line each, oldest first
 *
 * It answers OffsetsForLeaderEpoch (where did epoch E end?) and, on a follower, decides how far
 * to truncate before fetching from a new leader, so a replica never keeps records its new leader
 * does not have.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './files.js';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_OFFSET = -1;

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export interface EpochEndOffset {
  leaderEpoch: number;
  endOffset: number;
}

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];

  constructor(entries: readonly EpochEntry[] = []) {
    for (const e of entries) this.assign(e.epoch, e.startOffset);
  }

  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  get latestEpoch(): number {
    return this.entries.at(-1)?.epoch ?? UNDEFINED_EPOCH;
  }

  /**
   * Records that `epoch` starts at `startOffset` (a leader's first append in a new epoch, or a
   * follower copying a batch stamped with a new epoch). An older or equal epoch changes nothing;
   * entries a new epoch contradicts (starting at or after its start) go.
   */
  assign(epoch: number, startOffset: number): void {
    if (epoch < 0 || startOffset < 0) return;
    const latest = this.entries.at(-1);
    if (latest && epoch <= latest.epoch) return;
    this.entries = this.entries.filter((e) => e.startOffset < startOffset);
    this.entries.push({ epoch, startOffset });
  }

  /**
   * OffsetsForLeaderEpoch: the end offset of `requested` (the start of the next higher epoch, or
   * the log end for the latest), with the largest epoch at or below `requested` that this log has.
   * Unknown (older than everything, or an empty cache): UNDEFINED_EPOCH and UNDEFINED_OFFSET.
   */
  endOffsetFor(requested: number, logEndOffset: number): EpochEndOffset {
    const latest = this.entries.at(-1);
    if (!latest || requested < this.entries[0]!.epoch) return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_OFFSET };
    if (requested >= latest.epoch) return { leaderEpoch: latest.epoch, endOffset: logEndOffset };
    let i = 0;
    while (i + 1 < this.entries.length && this.entries[i + 1]!.epoch <= requested) i++;
    return { leaderEpoch: this.entries[i]!.epoch, endOffset: this.entries[i + 1]!.startOffset };
  }

  /** The epoch whose leader wrote `offset` (the latest starting at or before it), -1 when unknown. */
  epochAt(offset: number): number {
    let epoch = UNDEFINED_EPOCH;
    for (const e of this.entries) {
      if (e.startOffset > offset) break;
      epoch = e.epoch;
    }
    return epoch;
  }

  /** The log was truncated to `endOffset`: epochs that start there or later go. */
  truncateFromEnd(endOffset: number): void {
    this.entries = this.entries.filter((e) => e.startOffset < endOffset);
  }

  /** The log start moved to `startOffset`: older epochs go, the one holding it starts there. */
  truncateFromStart(startOffset: number): void {
    const keep = this.entries.filter((e) => e.startOffset >= startOffset);
    const holding = this.entries.filter((e) => e.startOffset < startOffset).at(-1);
    this.entries = holding ? [{ epoch: holding.epoch, startOffset }, ...keep.filter((e) => e.startOffset > startOffset)] : keep;
  }
}

/**
 * How far a follower truncates before it fetches from a new leader (KIP-279): the leader
 * answered OffsetsForLeaderEpoch for the follower's latest epoch with `leader`. The follower keeps
 * what both logs agree on: up to the smaller of the leader's end offset for that epoch and its own
 * end offset for the epoch the leader named. With no answer (an old leader, or an epoch the leader
 * never saw) it falls back to its high watermark (KIP-101's fallback). `local` is the follower's
 * own answer for an epoch (its log's endOffsetForEpoch).
 */
export function truncationOffset(local: (epoch: number) => EpochEndOffset, logEndOffset: number, highWatermark: number, leader: EpochEndOffset): number {
  if (leader.leaderEpoch === UNDEFINED_EPOCH || leader.endOffset === UNDEFINED_OFFSET) return Math.min(highWatermark, logEndOffset);
  const mine = local(leader.leaderEpoch);
  const localEnd = mine.leaderEpoch === leader.leaderEpoch ? mine.endOffset : mine.endOffset === UNDEFINED_OFFSET ? logEndOffset : mine.endOffset;
  return Math.min(leader.endOffset, localEnd, logEndOffset);
}

export function formatLeaderEpochCheckpoint(entries: readonly EpochEntry[]): string {
  return `0\n${entries.length}\n${entries.map((e) => `${e.epoch} ${e.startOffset}\n`).join('')}`;
}

export function parseLeaderEpochCheckpoint(text: string): EpochEntry[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length < 2 || lines[0]!.trim() !== '0') throw new Error('leader-epoch-checkpoint: unknown version or too short');
  const n = Number(lines[1]);
  if (!Number.isInteger(n) || n < 0 || lines.length !== n + 2) throw new Error('leader-epoch-checkpoint: entry count mismatch');
  return lines.slice(2).map((line) => {
    const [epoch, offset, extra] = line.trim().split(/\s+/);
    const e = Number(epoch);
    const o = Number(offset);
    if (extra !== undefined || !Number.isInteger(e) || !Number.isInteger(o) || e < 0 || o < 0) throw new Error(`leader-epoch-checkpoint: malformed line "${line}"`);
    return { epoch: e, startOffset: o };
  });
}

export async function writeLeaderEpochCheckpoint(path: string, cache: LeaderEpochCache): Promise<void> {
  await writeFileAtomic(path, formatLeaderEpochCheckpoint(cache.all));
}

/** Reads the checkpoint; missing: an empty cache. A malformed file throws (the caller rebuilds it from the log). */
export async function readLeaderEpochCheckpoint(path: string): Promise<LeaderEpochCache> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new LeaderEpochCache();
    throw e;
  }
  return new LeaderEpochCache(parseLeaderEpochCheckpoint(text));
}

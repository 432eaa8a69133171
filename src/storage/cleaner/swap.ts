/**
 * Swapping cleaned segments into a log, crash safe with Kafka's suffixes (UnifiedLog.replaceSegments):
 *   1. the cleaner wrote and fsynced `<base>.log.cleaned` (+ indexes): a crash now deletes them;
 *   2. rename them to `.swap`, fsync the dir: from here recovery completes the swap;
 *   3. the replaced segments go to `.deleted` (removed later);
 *   4. rename `.swap` to the final names, fsync the dir.
 * recoverSwapFiles (at log open) finishes a swap a crash interrupted after step 2.
 */
import { open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { scanHeaders } from '../segment-scan.js';
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
  TXN_INDEX_SUFFIX,
  fsyncDir,
  offsetFileName,
  parseOffsetFileName,
} from '../files.js';
import type { CleanedGroup } from './job.js';

const SEGMENT_SUFFIXES = [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX];

/** Step 2: `.cleaned` -> `.swap`; returns the swap file names. */
export async function markSwap(dir: string, group: CleanedGroup): Promise<string[]> {
  const out: string[] = [];
  for (const f of group.files) {
    if (!f.endsWith(CLEANED_SUFFIX)) throw new Error(`not a cleaned file: ${f}`);
    const to = f.slice(0, -CLEANED_SUFFIX.length) + SWAP_SUFFIX;
    await rename(f, to);
    out.push(to);
  }
  await fsyncDir(dir);
  return out;
}

/** Step 4: `.swap` -> final names. */
export async function finishSwap(dir: string, swapFiles: readonly string[]): Promise<void> {
  for (const f of swapFiles) await rename(f, f.slice(0, -SWAP_SUFFIX.length));
  await fsyncDir(dir);
}

/** A replaced segment's .txnindex (not tracked by LogSegment yet) goes with it. */
export async function retireTxnIndex(dir: string, baseOffset: number): Promise<void> {
  const p = join(dir, offsetFileName(baseOffset, TXN_INDEX_SUFFIX));
  try {
    await rename(p, p + DELETED_SUFFIX);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** Deletes the cleaned files of a cleaning that is not swapped in. */
export async function discardCleaned(groups: readonly CleanedGroup[]): Promise<void> {
  for (const g of groups) for (const f of g.files) await rm(f, { force: true });
}

/** The next offset after a .log file's last batch (its base offset when empty). */
async function nextOffsetOf(path: string, baseOffset: number): Promise<number> {
  const fh = await open(path, 'r');
  try {
    let next = baseOffset;
    const size = (await fh.stat()).size;
    await scanHeaders(fh, 0, size, baseOffset, (h) => {
      next = h.baseOffset + h.lastOffsetDelta + 1;
    });
    return next;
  } finally {
    await fh.close();
  }
}

/**
 * At log open, before the segments are listed (Kafka's LogLoader with swap files): every
 * `<base>.log.swap` replaces the segments whose base offsets fall in [base, its next offset); its
 * index swap files are renamed with it. A lone index swap file is deleted (rebuilt if needed).
 * Returns how many swaps were completed.
 */
export async function recoverSwapFiles(dir: string): Promise<number> {
  const names = await readdir(dir);
  const swapLogs: number[] = [];
  for (const n of names) {
    if (!n.endsWith(SWAP_SUFFIX)) continue;
    const b = parseOffsetFileName(n.slice(0, -SWAP_SUFFIX.length), LOG_SUFFIX);
    if (b !== undefined) swapLogs.push(b);
  }
  const done = new Set<string>();
  for (const base of swapLogs.sort((a, b) => a - b)) {
    const swapLog = join(dir, offsetFileName(base, LOG_SUFFIX) + SWAP_SUFFIX);
    const next = await nextOffsetOf(swapLog, base);
    for (const n of names) {
      for (const suf of SEGMENT_SUFFIXES) {
        const b = parseOffsetFileName(n, suf);
        if (b !== undefined && b > base && b < next) await rm(join(dir, n), { force: true });
      }
    }
    for (const suf of SEGMENT_SUFFIXES) {
      const from = join(dir, offsetFileName(base, suf) + SWAP_SUFFIX);
      const to = join(dir, offsetFileName(base, suf));
      if (names.includes(offsetFileName(base, suf) + SWAP_SUFFIX)) {
        await rename(from, to);
        done.add(offsetFileName(base, suf) + SWAP_SUFFIX);
      } else if (suf !== LOG_SUFFIX) {
        // The old segment's index does not describe the swapped-in .log: rebuilt at load.
        await rm(to, { force: true });
      }
    }
  }
  for (const n of names) if (n.endsWith(SWAP_SUFFIX) && !done.has(n)) await rm(join(dir, n), { force: true });
  if (swapLogs.length > 0) await fsyncDir(dir);
  return swapLogs.length;
}

/**
 * One cleaning of one log (Kafka's Cleaner.doClean), on files only so it can run in a worker
 * thread: find the aborted transactions, build the offset map over the dirty section, then
 * rewrite the segments below the map's end in groups (each into `<base>.log.cleaned` with its
 * indexes). The main thread swaps them in (swap.ts).
 */
import { open, rm, utimes, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { OFF, isControl } from '../../protocol/records/batch-header.js';
import { CLEANED_SUFFIX, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, fsyncDir, offsetFileName } from '../files.js';
import { OffsetIndex, TimeIndex } from '../indexes.js';
import { CorruptSegmentError, controlTypeOf, readBatches } from './batch-io.js';
import { filterBatch, type FilterContext } from './batch-filter.js';
import { decodeKeys } from './keys.js';
import type { CleanedGroup, CleanJob, CleanResult, CleanStats, SegmentRef } from './job.js';
import { OffsetMap } from './offset-map.js';
import { AbortedTxnCollector, CleanedTransactionMetadata, type AbortedTxn } from './txn-metadata.js';
import { encodeTxnIndex } from './txn-index-format.js';

const INT32_MAX = 0x7fffffff;

/** Thrown when the cleaning was cancelled (the log closed or changed under it). */
export class CleaningAbortedError extends Error {
  constructor() {
    super('cleaning aborted');
    this.name = 'CleaningAbortedError';
  }
}

/**
 * A batch whose records cannot be decoded, or rebuilt (a timestamp or offset delta out of range),
 * makes its segment corrupt for the cleaner; the record decoders' own typed errors pass as they are.
 */
function asCorrupt<T>(path: string, position: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError) throw new CorruptSegmentError(path, position, e.message);
    throw e;
  }
}

async function findAborted(job: CleanJob): Promise<AbortedTxn[]> {
  const c = new AbortedTxnCollector();
  for (const s of job.segments) {
    for await (const b of readBatches(s.path, s.size, job.ioBufferSize, s, false)) {
      c.onBatch(b.header, isControl(b.header.attributes) ? controlTypeOf(b) : undefined);
    }
  }
  return c.aborted;
}

/** Kafka's buildOffsetMap: keys of the dirty, non-aborted data, up to the load factor. */
async function buildOffsetMap(job: CleanJob, map: OffsetMap, aborted: AbortedTxn[], stats: CleanStats): Promise<void> {
  const start = job.firstDirtyOffset;
  const end = job.firstUncleanableOffset;
  map.updateLatestOffset(start - 1);
  const maxEntries = Math.floor(map.slots * job.loadFactor);
  const txn = new CleanedTransactionMetadata(aborted);
  for (const s of job.segments) {
    if (s.nextOffset <= start) continue;
    if (s.baseOffset >= end) break;
    for await (const b of readBatches(s.path, s.size, job.ioBufferSize, s)) {
      const h = b.header;
      const last = h.baseOffset + h.lastOffsetDelta;
      if (last >= end) return;
      stats.bytesRead += h.size;
      if (isControl(h.attributes)) {
        txn.onControlBatchRead(h, controlTypeOf(b));
      } else if (!txn.onBatchRead(h) && last >= start) {
        if (map.size + h.recordCount > maxEntries) {
          if (map.size === 0) throw new Error(`log.cleaner.dedupe.buffer.size holds ${maxEntries} keys, too few for a batch of ${h.recordCount} records`);
          return; // full: the map ends with the previous batch
        }
        for (const r of asCorrupt(s.path, b.position, () => decodeKeys(b.bytes, h.baseOffset, h.attributes, h.recordCount))) {
          if (r.offset >= start) map.put(r.key, r.offset);
        }
      }
      if (last >= start) map.updateLatestOffset(last);
    }
    map.updateLatestOffset(Math.min(s.nextOffset, end) - 1);
  }
}


/** Kafka's groupSegmentsBySize: consecutive segments that fit one segment (bytes, index entries, int32 offsets). */
export function groupSegments(segs: readonly SegmentRef[], maxSize: number, maxIndexSize: number, firstUncleanable: number): SegmentRef[][] {
  const groups: SegmentRef[][] = [];
  let i = 0;
  while (i < segs.length) {
    const group = [segs[i]!];
    let size = segs[i]!.size;
    let idx = segs[i]!.indexBytes;
    let tidx = segs[i]!.timeIndexBytes;
    i++;
    while (i < segs.length) {
      const s = segs[i]!;
      const lastOffset = i + 1 < segs.length ? segs[i + 1]!.baseOffset - 1 : firstUncleanable - 1;
      if (size + s.size > maxSize || idx + s.indexBytes > maxIndexSize || tidx + s.timeIndexBytes > maxIndexSize) break;
      if (s.size > 0 && lastOffset - group[0]!.baseOffset > INT32_MAX) break;
      group.push(s);
      size += s.size;
      idx += s.indexBytes;
      tidx += s.timeIndexBytes;
      i++;
    }
    groups.push(group);
  }
  return groups;
}

/** Writes one cleaned segment: the .log and its sparse indexes, as LogSegment.append indexes them. */
class CleanedWriter {
  readonly logPath: string;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  private fh: FileHandle | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  private position = 0;
  private sinceIndex = 0;
  private maxTs = -1n;
  private offsetOfMaxTs: number;

  constructor(
    dir: string,
    readonly baseOffset: number,
    private readonly job: CleanJob,
  ) {
    this.logPath = join(dir, offsetFileName(baseOffset, LOG_SUFFIX) + CLEANED_SUFFIX);
    this.offsetIndex = new OffsetIndex(join(dir, offsetFileName(baseOffset, INDEX_SUFFIX) + CLEANED_SUFFIX), baseOffset, job.segmentIndexBytes);
    this.timeIndex = new TimeIndex(join(dir, offsetFileName(baseOffset, TIME_INDEX_SUFFIX) + CLEANED_SUFFIX), baseOffset, job.segmentIndexBytes);
    this.offsetOfMaxTs = baseOffset;
  }

  async openFiles(): Promise<void> {
    this.fh = await open(this.logPath, 'w');
    this.offsetIndex.reset();
    this.timeIndex.reset();
  }

  async append(batch: Buffer): Promise<void> {
    const last = batch.readInt32BE(OFF.baseOffset) * 4294967296 + batch.readUInt32BE(OFF.baseOffset + 4) + batch.readInt32BE(OFF.lastOffsetDelta);
    const ts = batch.readBigInt64BE(OFF.maxTimestamp);
    if (ts > this.maxTs) {
      this.maxTs = ts;
      this.offsetOfMaxTs = last;
    }
    if (this.sinceIndex > this.job.indexIntervalBytes) {
      this.offsetIndex.append(last, this.position);
      this.timeIndex.maybeAppend(this.maxTs, this.offsetOfMaxTs);
      this.sinceIndex = 0;
    }
    this.position += batch.length;
    this.sinceIndex += batch.length;
    this.pending.push(Buffer.from(batch));
    this.pendingBytes += batch.length;
    if (this.pendingBytes >= this.job.ioBufferSize) await this.flushPending();
  }

  private async flushPending(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const data = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    await this.fh!.write(data, 0, data.length, this.written);
    this.written += data.length;
  }

  get size(): number {
    return this.position;
  }

  /** Final time index entry, everything written and fsynced, the old modification time kept. */
  async finish(mtimeMs: number, aborted: readonly AbortedTxn[], dir: string): Promise<string[]> {
    await this.flushPending();
    await this.fh!.datasync();
    await this.fh!.close();
    this.fh = undefined;
    this.timeIndex.maybeAppend(this.maxTs, this.offsetOfMaxTs, true);
    await this.offsetIndex.persist(true);
    await this.timeIndex.persist(true);
    await this.offsetIndex.closeFile();
    await this.timeIndex.closeFile();
    const t = new Date(mtimeMs);
    await utimes(this.logPath, t, t);
    const files = [this.logPath, this.offsetIndex.path, this.timeIndex.path];
    if (aborted.length > 0) {
      const txnPath = join(dir, offsetFileName(this.baseOffset, TXN_INDEX_SUFFIX) + CLEANED_SUFFIX);
      const fh = await open(txnPath, 'w');
      try {
        await fh.writeFile(encodeTxnIndex(aborted));
        await fh.datasync();
      } finally {
        await fh.close();
      }
      files.push(txnPath);
    }
    return files;
  }

  async discard(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    for (const p of [this.logPath, this.offsetIndex.path, this.timeIndex.path]) await rm(p, { force: true });
  }
}

export interface CleanHooks {
  /** Checked between batches: true stops the cleaning (CleaningAbortedError). */
  aborted?: () => boolean;
  /** Keep the offset map for the next cleaning (a worker thread's one cleaning at a time). */
  reuseMap?: boolean;
}

/** The thread's map, kept between cleanings as Kafka's cleaner thread keeps its own. */
let cachedMap: { memory: number; map: OffsetMap } | undefined;
function offsetMap(memory: number): OffsetMap {
  if (cachedMap?.memory === memory) {
    cachedMap.map.clear();
    return cachedMap.map;
  }
  cachedMap = { memory, map: new OffsetMap(memory) };
  return cachedMap.map;
}

export async function cleanLog(job: CleanJob, hooks: CleanHooks = {}): Promise<CleanResult> {
  const t0 = performance.now();
  const map = hooks.reuseMap ? offsetMap(job.dedupeBufferSize) : new OffsetMap(job.dedupeBufferSize);
  const stats: CleanStats = {
    bytesRead: 0,
    bytesWritten: 0,
    recordsRead: 0,
    recordsKept: 0,
    mapEntries: 0,
    mapSlots: map.slots,
    mapMemoryBytes: map.memoryBytes,
    elapsedMs: 0,
    mapElapsedMs: 0,
  };
  const aborted = await findAborted(job);
  await buildOffsetMap(job, map, aborted, stats);
  stats.mapEntries = map.size;
  stats.mapElapsedMs = performance.now() - t0;
  const endOffset = map.latestOffset + 1;

  const toClean = job.segments.filter((s) => s.baseOffset < endOffset && s !== job.segments[job.segments.length - 1]);
  const groups = groupSegments(toClean, job.segmentBytes, job.segmentIndexBytes, job.firstUncleanableOffset);
  const txn = new CleanedTransactionMetadata(aborted);
  const ctx: FilterContext = { map, now: job.now, deleteRetentionMs: job.deleteRetentionMs, txn, producers: job.producers, upperBound: endOffset };
  const out: CleanedGroup[] = [];
  let nextHorizon: number | undefined;
  const writers: CleanedWriter[] = [];
  try {
    for (const group of groups) {
      const w = new CleanedWriter(job.dir, group[0]!.baseOffset, job);
      writers.push(w);
      await w.openFiles();
      txn.retainedAborted = [];
      for (const s of group) {
        for await (const b of readBatches(s.path, s.size, job.ioBufferSize, s)) {
          if (hooks.aborted?.()) throw new CleaningAbortedError();
          stats.bytesRead += b.header.size;
          const r = asCorrupt(s.path, b.position, () => filterBatch(b, ctx));
          stats.recordsRead += r.recordsRead;
          stats.recordsKept += r.recordsKept;
          if (r.bytes) {
            await w.append(r.bytes);
            stats.bytesWritten += r.bytes.length;
          }
          if (r.horizon !== undefined && (nextHorizon === undefined || r.horizon < nextHorizon)) nextHorizon = r.horizon;
        }
      }
      const files = await w.finish(group[group.length - 1]!.mtimeMs, txn.retainedAborted, job.dir);
      out.push({ replaces: group.map((s) => s.baseOffset), baseOffset: w.baseOffset, files });
    }
    await fsyncDir(job.dir);
  } catch (e) {
    for (const w of writers) await w.discard();
    for (const g of out) for (const f of g.files) await rm(f, { force: true });
    throw e;
  }
  stats.elapsedMs = performance.now() - t0;
  return { endOffset, groups: out, stats, nextHorizon };
}

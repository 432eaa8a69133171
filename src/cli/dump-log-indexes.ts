/**
 * The `.index` and `.timeindex` parts of kafka-dump-log. Each entry is checked against the segment
 * beside it, as Kafka's tool does: an offset-index entry must point at a batch ending at its
 * offset; a time-index entry must name the last offset of a batch whose largest record timestamp
 * is the entry's. Mismatches are collected and reported on stderr at the end.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { decodeRecordBatchSync, readBatchHeader, recordSetSpans } from '../protocol/records/index.js';

export interface IndexReports {
  /** Absolute index path: (index offset, log offset) pairs, newest first as Kafka lists them. */
  offsetMismatches: Map<string, Array<[number, number]>>;
  timeMismatches: Map<string, Array<[bigint, bigint]>>;
  outOfOrder: Map<string, Array<[bigint, bigint]>>;
  notFound: Map<string, Array<[number, number]>>;
}

export function newIndexReports(): IndexReports {
  return { offsetMismatches: new Map(), timeMismatches: new Map(), outOfOrder: new Map(), notFound: new Map() };
}

export interface IndexDumpOptions {
  sanityOnly: boolean;
  verifyOnly: boolean;
  maxMessageSize: number;
}

/** A corrupt index: Kafka's CorruptIndexException. */
export class CorruptIndexError extends Error {}

function baseOffsetOf(file: string): number {
  return Number(basename(file).split('.')[0]);
}
function sibling(file: string, suffix: string): string {
  return join(dirname(resolve(file)), basename(file).split('.')[0] + suffix);
}
async function readOr(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw e;
  }
}
function push<T>(m: Map<string, T[]>, k: string, v: T, front: boolean): void {
  const list = m.get(k) ?? [];
  if (front) list.unshift(v);
  else list.push(v);
  m.set(k, list);
}

/** The first batch at `position` of the log (null when none is complete there). */
function batchAt(log: Buffer, position: number, limit: number): ReturnType<typeof readBatchHeader> | null {
  for (const span of recordSetSpans(log, position, Math.min(log.length, position + limit))) return readBatchHeader(log, span.position);
  return null;
}

export async function dumpOffsetIndex(file: string, o: IndexDumpOptions, out: (l: string) => void, rep: IndexReports): Promise<void> {
  const base = baseOffsetOf(file);
  const idx = await readFile(file);
  const entries = Math.floor(idx.length / 8);
  if (entries === 0) {
    out(`${file} is empty.`);
    return;
  }
  if (o.sanityOnly) {
    if (idx.length % 8 !== 0) {
      throw new CorruptIndexError(`Index file ${resolve(file)} is corrupt, found ${idx.length} bytes which is neither positive nor a multiple of 8.`);
    }
    const last = base + idx.readInt32BE((entries - 1) * 8);
    if (last < base) {
      throw new CorruptIndexError(
        `Corrupt index found, index file (${resolve(file)}) has non-zero size but the last offset is ${last} which is less than the base offset ${base}.`,
      );
    }
    out(`${file} passed sanity check.`);
    return;
  }
  const log = await readOr(sibling(file, '.log'));
  for (let i = 0; i < entries; i++) {
    const offset = base + idx.readInt32BE(i * 8);
    const position = idx.readInt32BE(i * 8 + 4);
    // a sparse file after a crash: a zero entry past the first ends the index
    if (offset === base && i > 0) return;
    const batch = batchAt(log, position, o.maxMessageSize);
    if (!batch) throw new Error(`${resolve(file)}: no batch at position ${position} of the log`);
    const batchLast = batch.baseOffset + batch.lastOffsetDelta;
    if (batchLast !== offset) push(rep.offsetMismatches, resolve(file), [offset, batchLast], true);
    if (!o.verifyOnly) out(`offset: ${offset} position: ${position}`);
  }
}

/** The offset index's position for `target` (the largest entry <= target, else 0). */
function lookupPosition(idx: Buffer, base: number, target: number): number {
  let pos = 0;
  for (let i = 0; i + 8 <= idx.length; i += 8) {
    if (base + idx.readInt32BE(i) > target) break;
    pos = idx.readInt32BE(i + 4);
  }
  return pos;
}

export async function dumpTimeIndex(file: string, o: IndexDumpOptions, out: (l: string) => void, rep: IndexReports): Promise<void> {
  const base = baseOffsetOf(file);
  const tix = await readFile(file);
  const entries = Math.floor(tix.length / 12);
  if (o.sanityOnly) {
    if (tix.length % 12 !== 0) {
      throw new CorruptIndexError(`Time index file ${resolve(file)} is corrupt, found ${tix.length} bytes which is neither positive nor a multiple of 12.`);
    }
    if (entries > 0) {
      const first = tix.readBigInt64BE(0);
      const lastTs = tix.readBigInt64BE((entries - 1) * 12);
      const lastOff = base + tix.readInt32BE((entries - 1) * 12 + 8);
      if (lastTs < first) {
        throw new CorruptIndexError(
          `Corrupt time index found, time index file (${resolve(file)}) has non-zero size but the last timestamp is ${lastTs} which is less than the first timestamp ${first}`,
        );
      }
      if (lastOff < base) {
        throw new CorruptIndexError(
          `Corrupt time index found, time index file (${resolve(file)}) has non-zero size but the last offset is ${lastOff} which is less than the first offset ${base}`,
        );
      }
    }
    out(`${file} passed sanity check.`);
    return;
  }
  const log = await readOr(sibling(file, '.log'));
  const idx = await readOr(sibling(file, '.index'));
  let prev = -1n;
  for (let i = 0; i < entries; i++) {
    const timestamp = tix.readBigInt64BE(i * 12);
    const offset = base + tix.readInt32BE(i * 12 + 8);
    if (offset === base && i > 0) return;
    let found: { last: number; at: number } | null = null;
    for (const span of recordSetSpans(log, lookupPosition(idx, base, offset))) {
      const h = readBatchHeader(log, span.position);
      if (h.baseOffset + h.lastOffsetDelta >= offset) {
        found = { last: h.baseOffset + h.lastOffsetDelta, at: span.position };
        break;
      }
    }
    const abs = resolve(file);
    if (!found) push(rep.notFound, abs, [offset, -1], false);
    else if (found.last !== offset) push(rep.notFound, abs, [offset, found.last], false);
    else {
      let max = -1n;
      for (const r of decodeRecordBatchSync(log, found.at, { verifyCrc: false }).records) if (BigInt(r.timestamp) > max) max = BigInt(r.timestamp);
      if (max !== timestamp) push(rep.timeMismatches, abs, [timestamp, max], false);
      if (prev >= timestamp) push(rep.outOfOrder, abs, [timestamp, prev], false);
    }
    if (!o.verifyOnly) out(`timestamp: ${timestamp} offset: ${offset}`);
    prev = timestamp;
  }
}

/** Kafka's end-of-run report of index problems, on stderr. */
export function indexReportLines(rep: IndexReports): string[] {
  const lines: string[] = [];
  for (const [f, list] of rep.offsetMismatches) {
    lines.push(`Mismatches in :${f}`);
    for (const [a, b] of list) lines.push(`  Index offset: ${a}, log offset: ${b}`);
  }
  for (const [f, list] of rep.timeMismatches) {
    lines.push(`Found timestamp mismatch in :${f}`);
    for (const [a, b] of list) lines.push(`  Index timestamp: ${a}, log timestamp: ${b}`);
  }
  for (const [f, list] of rep.outOfOrder) {
    lines.push(`Found out of order timestamp in :${f}`);
    for (const [a, b] of list) lines.push(`  Index timestamp: ${a}, Previously indexed timestamp: ${b}`);
  }
  for (const list of rep.notFound.values()) {
    lines.push('The following indexed offsets are not found in the log.');
    for (const [a, b] of list) lines.push(`Indexed offset: ${a}, found log offset: ${b}`);
  }
  return lines;
}

// Helpers for the log cleaner tests: a LogManager with a compacted topic on a test clock, keyed
// appends, and reading a whole log back as (offset, key, value) triples.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecordBatchSync, decodeRecordSetSync, Compression } from '../../../src/protocol/records/index.js';
import { LogManager, type LogConfig } from '../../../src/storage/index.js';
import type { Log } from '../../../src/storage/log.js';

export const T0 = 1_700_000_000_000;

export interface Clock {
  now: number;
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export const COMPACT: Partial<LogConfig> = {
  compact: true,
  cleanupDelete: false,
  segmentBytes: 4096,
  minCleanableRatio: 0.01,
  deleteRetentionMs: 60_000,
  fileDeleteDelayMs: 0,
};

/** A LogManager whose cleaner runs only when the test asks (cleaner.cleanFilthiest()). */
export function openManager(
  dir: string,
  clock: Clock,
  extra: { dedupeBufferSize?: number; inline?: boolean; topicConfig?: (topic: string) => Partial<LogConfig> } = {},
): Promise<LogManager> {
  return LogManager.open({
    // What the broker's metadata supplies for logs found on disk.
    topicConfig: extra.topicConfig ?? (() => COMPACT),
    logDirs: [dir],
    nodeId: 1,
    now: () => clock.now,
    retentionCheckIntervalMs: 0,
    recoveryCheckpointIntervalMs: 0,
    logStartOffsetCheckpointIntervalMs: 0,
    replicaHighWatermarkCheckpointIntervalMs: 0,
    flushCheckIntervalMs: 0,
    cleaner: { enabled: false, dedupeBufferSize: extra.dedupeBufferSize ?? 1024 * 1024, ...(extra.inline ? { inline: true } : {}) },
  });
}


export interface KV {
  key: string | null;
  value: string | null;
}

export async function appendKV(log: Log, records: KV[], clock: Clock, opts: { compression?: Compression; producerId?: bigint; baseSequence?: number; producerEpoch?: number } = {}): Promise<void> {
  await log.append(
    encodeRecordBatchSync({
      records: records.map((r) => ({ key: r.key, value: r.value })),
      now: clock.now,
      ...(opts.compression !== undefined ? { compression: opts.compression } : {}),
      ...(opts.producerId !== undefined ? { producerId: opts.producerId, producerEpoch: opts.producerEpoch ?? 0, baseSequence: opts.baseSequence ?? 0 } : {}),
    }),
  );
}

export interface ReadRecord {
  offset: number;
  key: string | null;
  value: string | null;
}

/** Every data record from the log start to the end, following gaps (markers left out). */
export async function readAll(log: Log, from = log.logStartOffset): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const buf = await log.read(offset, 1 << 20);
    if (buf.length === 0) break;
    const batches = decodeRecordSetSync(buf);
    for (const b of batches) {
      // Transaction markers are not data.
      if ((b.header.attributes & 0x20) === 0)
        for (const r of b.records) if (r.offset >= offset) out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null });
      offset = Math.max(offset, b.header.baseOffset + b.header.lastOffsetDelta + 1);
    }
  }
  return out;
}

/** The latest value per key, as a compacted log must keep it (tombstones as null). */
export function latest(records: readonly ReadRecord[]): Map<string, string | null> {
  const m = new Map<string, string | null>();
  for (const r of records) if (r.key !== null) m.set(r.key, r.value);
  return m;
}

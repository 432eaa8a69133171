import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './files.js';

export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
/** Kafka's replication-offset-checkpoint: each log's high watermark (restored at startup when replicated). */
export const REPLICATION_OFFSET_CHECKPOINT = 'replication-offset-checkpoint';
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

/**
 * Kafka's OffsetCheckpointFile text format:
 *   line 1: version (0)   line 2: entry count   then one `topic partition offset` per line.
 */
export function formatOffsetCheckpoint(entries: readonly TopicPartitionOffset[]): string {
  let s = `0\n${entries.length}\n`;
  for (const e of entries) s += `${e.topic} ${e.partition} ${e.offset}\n`;
  return s;
}

export function parseOffsetCheckpoint(text: string): TopicPartitionOffset[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2) throw new Error('checkpoint file too short');
  if (lines[0]!.trim() !== '0') throw new Error(`unrecognized checkpoint version: ${lines[0]}`);
  const n = Number(lines[1]);
  if (!Number.isInteger(n) || n < 0 || lines.length !== n + 2) throw new Error('checkpoint entry count mismatch');
  const out: TopicPartitionOffset[] = [];
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i]!.split(' ');
    if (parts.length !== 3) throw new Error(`malformed checkpoint line: ${lines[i]}`);
    const partition = Number(parts[1]);
    const offset = Number(parts[2]);
    if (!Number.isInteger(partition) || !Number.isInteger(offset)) throw new Error(`malformed checkpoint line: ${lines[i]}`);
    out.push({ topic: parts[0]!, partition, offset });
  }
  return out;
}

/** Writes atomically: `<file>.tmp`, fsync, rename, fsync the directory (Kafka's CheckpointFile). */
export async function writeOffsetCheckpoint(path: string, entries: readonly TopicPartitionOffset[]): Promise<void> {
  await writeFileAtomic(path, formatOffsetCheckpoint(entries));
}

/** Reads a checkpoint; a missing file is empty. A malformed one throws. */
export async function readOffsetCheckpoint(path: string): Promise<TopicPartitionOffset[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return parseOffsetCheckpoint(text);
}

/** Kafka's cleaner-offset-checkpoint: per compacted log, the first offset the cleaner has not cleaned (same format). */
export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';

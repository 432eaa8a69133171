/**
 * The JSON documents of kafka-reassign-partitions, read and written as Kafka's tool does:
 *
 *   topics to move (--topics-to-move-json-file):  {"topics": [{"topic": "foo"}, ...], "version": 1}
 *   a reassignment (--reassignment-json-file, and what --generate/--execute print):
 *     {"version":1,"partitions":[{"topic":"foo","partition":0,"replicas":[1,2],"log_dirs":["any","any"]}]}
 *
 * "log_dirs" is optional on input; an entry other than "any" asks the broker to keep that replica
 * in that directory.
 */
import { javaList } from './replica-assignment.js';

export const ANY_LOG_DIR = 'any';

/** A malformed document or flag: the tool prints "Error: <message>" and exits 1. */
export class ReassignInputError extends Error {}

export interface PartitionTarget {
  topic: string;
  partition: number;
  replicas: number[];
  /** One per replica: a directory, or "any". */
  logDirs: string[];
}

/** `topic-partition`, as Kafka's TopicPartition prints. */
export const tpName = (p: { topic: string; partition: number }): string => `${p.topic}-${p.partition}`;

/** Topic, then partition: the order every list of the tool is printed in. */
export function byTopicPartition(a: { topic: string; partition: number }, b: { topic: string; partition: number }): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

function parse(text: string, invalid: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ReassignInputError(invalid || (err as Error).message);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ReassignInputError('The JSON document must be an object');
  return doc as Record<string, unknown>;
}

function version(doc: Record<string, unknown>): void {
  const v = doc.version ?? 1;
  if (v !== 1) throw new ReassignInputError(`Not supported version field value ${String(v)}`);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** The topics of a --topics-to-move-json-file. */
export function parseTopicsToMove(text: string): string[] {
  const doc = parse(text, 'The input string is not a valid JSON');
  version(doc);
  if (doc.topics === undefined) return [];
  if (!Array.isArray(doc.topics)) throw new ReassignInputError('"topics" must be an array');
  return doc.topics.map((t: unknown) => {
    const name = (t ?? {}) && typeof t === 'object' ? (t as { topic?: unknown }).topic : undefined;
    if (typeof name !== 'string') throw new ReassignInputError(`Each entry of "topics" needs a "topic" string, got ${JSON.stringify(t)}`);
    return name;
  });
}

/** The partitions of a --reassignment-json-file, in file order, duplicates kept (the caller checks them). */
export function parseReassignment(text: string): PartitionTarget[] {
  const doc = parse(text, '');
  version(doc);
  if (doc.partitions === undefined) return [];
  if (!Array.isArray(doc.partitions)) throw new ReassignInputError('"partitions" must be an array');
  return doc.partitions.map((e: unknown) => {
    const f = (e !== null && typeof e === 'object' ? e : {}) as { topic?: unknown; partition?: unknown; replicas?: unknown; log_dirs?: unknown };
    if (typeof f.topic !== 'string' || !isInt(f.partition) || !Array.isArray(f.replicas) || !f.replicas.every(isInt)) {
      throw new ReassignInputError(`Each entry of "partitions" needs "topic", "partition" and "replicas", got ${JSON.stringify(e)}`);
    }
    const replicas = f.replicas as number[];
    let logDirs: string[];
    if (f.log_dirs === undefined) logDirs = replicas.map(() => ANY_LOG_DIR);
    else if (Array.isArray(f.log_dirs) && f.log_dirs.every((d) => typeof d === 'string')) logDirs = f.log_dirs as string[];
    else throw new ReassignInputError(`"log_dirs" must be a list of strings, got ${JSON.stringify(f.log_dirs)}`);
    if (logDirs.length !== replicas.length) {
      throw new ReassignInputError(`Size of replicas list ${javaList(replicas)} is different from size of log dirs list ${javaList(logDirs)} for partition ${f.topic}-${f.partition}`);
    }
    return { topic: f.topic, partition: f.partition, replicas, logDirs };
  });
}

/** A reassignment document (partitions sorted by topic and partition), on one line as Kafka prints it. */
export function formatReassignment(parts: ReadonlyArray<{ topic: string; partition: number; replicas: readonly number[]; logDirs?: readonly string[] }>): string {
  const partitions = [...parts].sort(byTopicPartition).map((p) => ({
    topic: p.topic,
    partition: p.partition,
    replicas: p.replicas,
    log_dirs: p.logDirs ?? p.replicas.map(() => ANY_LOG_DIR),
  }));
  return JSON.stringify({ version: 1, partitions });
}

/**
 * The admin calls behind kafka-log-dirs, kafka-delete-records and kafka-get-offsets, on one
 * broker's connection each: DescribeLogDirs (every directory with its replicas, sizes and lags),
 * DeleteRecords and ListOffsets, answering per partition (an error for one partition does not
 * fail the others, as the Java AdminClient completes each partition's future on its own).
 */
import { ErrorCode } from '../protocol/errors.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import { ApiKey } from '../protocol/messages/index.js';
import type { TopicPartitionRef } from './consumer-protocol.js';
import type { Connection } from './connection.js';

/** One replica in a log directory (Kafka's ReplicaInfo). */
export interface ReplicaInfo extends TopicPartitionRef {
  size: bigint;
  offsetLag: bigint;
  isFuture: boolean;
}

/** One log directory of a broker (Kafka's LogDirDescription). */
export interface LogDirDescription {
  path: string;
  /** The directory's error (an offline directory: KAFKA_STORAGE_ERROR), or null. */
  error: KafkaProtocolError | null;
  replicas: ReplicaInfo[];
  /** -1 when the broker does not tell (DescribeLogDirs before v4). */
  totalBytes: bigint;
  usableBytes: bigint;
}

/** A partition's answer: a value, or the error the broker gave for it. */
export type PartitionResult<T> = TopicPartitionRef & ({ value: T; error: null } | { value: null; error: KafkaProtocolError });

/** DescribeLogDirs on one broker, for every partition it holds. */
export async function describeAllLogDirs(conn: Connection): Promise<LogDirDescription[]> {
  const res = await conn.send(ApiKey.DescribeLogDirs, { topics: null });
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(res.errorCode);
  return res.results.map((d) => ({
    path: d.logDir,
    error: d.errorCode === ErrorCode.NONE ? null : new KafkaProtocolError(d.errorCode),
    replicas: d.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, size: p.partitionSize, offsetLag: p.offsetLag, isFuture: p.isFutureKey })),
    ),
    totalBytes: d.totalBytes,
    usableBytes: d.usableBytes,
  }));
}

function byTopic<T extends TopicPartitionRef>(items: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) m.set(i.topic, [...(m.get(i.topic) ?? []), i]);
  return m;
}

/** DeleteRecords for partitions this broker leads: the new low watermark of each, or its error. */
export async function deleteRecordsOn(
  conn: Connection,
  specs: ReadonlyArray<TopicPartitionRef & { offset: bigint }>,
  timeoutMs: number,
): Promise<Array<PartitionResult<bigint>>> {
  const res = await conn.send(ApiKey.DeleteRecords, {
    topics: [...byTopic(specs)].map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p.partition, offset: p.offset })) })),
    timeoutMs,
  });
  const out: Array<PartitionResult<bigint>> = [];
  for (const t of res.topics) {
    for (const p of t.partitions) {
      out.push(
        p.errorCode === ErrorCode.NONE
          ? { topic: t.name, partition: p.partitionIndex, value: p.lowWatermark, error: null }
          : { topic: t.name, partition: p.partitionIndex, value: null, error: new KafkaProtocolError(p.errorCode) },
      );
    }
  }
  return out;
}

/**
 * ListOffsets for partitions this broker leads, at one timestamp (-1 latest, -2 earliest,
 * -3 max-timestamp, -4 earliest-local, -5 latest-tiered, or a time in ms): the offset (-1: none).
 */
export async function listOffsetsOn(conn: Connection, parts: readonly TopicPartitionRef[], timestamp: bigint, timeoutMs: number): Promise<Array<PartitionResult<bigint>>> {
  const res = await conn.send(ApiKey.ListOffsets, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [...byTopic(parts)].map(([name, ps]) => ({
      name,
      partitions: ps.map((p) => ({ partitionIndex: p.partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })),
    })),
    timeoutMs,
  });
  const out: Array<PartitionResult<bigint>> = [];
  for (const t of res.topics) {
    for (const p of t.partitions) {
      const offset = p.offset >= 0n ? p.offset : (p.oldStyleOffsets[0] ?? -1n);
      out.push(
        p.errorCode === ErrorCode.NONE
          ? { topic: t.name, partition: p.partitionIndex, value: offset, error: null }
          : { topic: t.name, partition: p.partitionIndex, value: null, error: new KafkaProtocolError(p.errorCode) },
      );
    }
  }
  return out;
}

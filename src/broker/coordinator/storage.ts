/**
 * Where the group coordinator keeps its records: the compacted internal topic __consumer_offsets.
 * CoordinatorStorage is the seam: the broker uses OffsetsTopicStorage (partition logs through the
 * TopicManager); unit tests use MemoryStorage, which can be handed to a second coordinator to
 * play a restart.
 */
import { encodeRecordBatchSync, decodeRecordSetSync, ATTR_CONTROL } from '../../protocol/records/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { TopicManager } from '../metadata/topics.js';
import type { BrokerConfig } from '../config/config.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

export interface StoredRecord {
  key: Buffer;
  /** null: a tombstone. */
  value: Buffer | null;
}

export interface CoordinatorStorage {
  /** Partitions of the topic (existing topic's count, else the configured one). */
  numPartitions(): number;
  /** True when the topic exists (there may be something to load). */
  exists(): boolean;
  /** Creates the topic when missing (first use, as Kafka does on FindCoordinator). */
  ensure(): Promise<void>;
  /** Appends the records as one batch; resolves once the log has them (per its flush policy). */
  append(partition: number, records: StoredRecord[], now: number): Promise<void>;
  /** Every record of a partition, oldest first. */
  load(partition: number, onRecord: (r: StoredRecord) => void): Promise<void>;
}

/** Records in memory, per partition, for tests. */
export class MemoryStorage implements CoordinatorStorage {
  readonly partitions: StoredRecord[][];
  created = false;
  /** Set to make appends fail (tests of write errors). */
  failAppends: Error | null = null;
  /** Appends wait for this when set (tests of in-flight writes). */
  gate: Promise<void> | null = null;

  constructor(private readonly n = 50) {
    this.partitions = Array.from({ length: n }, () => []);
  }
  numPartitions(): number {
    return this.n;
  }
  exists(): boolean {
    return this.created;
  }
  async ensure(): Promise<void> {
    this.created = true;
  }
  async append(partition: number, records: StoredRecord[]): Promise<void> {
    if (this.gate) await this.gate;
    if (this.failAppends) throw this.failAppends;
    this.partitions[partition]!.push(...records);
  }
  async load(partition: number, onRecord: (r: StoredRecord) => void): Promise<void> {
    for (const r of this.partitions[partition]!) onRecord(r);
  }
}

/** __consumer_offsets as partition logs of this broker. */
export class OffsetsTopicStorage implements CoordinatorStorage {
  private creating: Promise<void> | null = null;

  constructor(
    private readonly topics: TopicManager,
    private readonly config: BrokerConfig,
  ) {}

  numPartitions(): number {
    return this.topics.get(OFFSETS_TOPIC)?.partitions ?? this.config.int('offsets.topic.num.partitions');
  }

  exists(): boolean {
    return this.topics.get(OFFSETS_TOPIC) !== undefined;
  }

  ensure(): Promise<void> {
    // While being created the topic already exists in metadata but its logs are still opening:
    // everyone waits for the creation to finish.
    if (this.creating) return this.creating;
    if (this.exists()) return Promise.resolve();
    this.creating = (async () => {
      const res = await this.topics.create(OFFSETS_TOPIC, this.config.int('offsets.topic.num.partitions'), 1, [
        ['cleanup.policy', 'compact'],
        ['compression.type', 'producer'],
        ['segment.bytes', String(this.config.int('offsets.topic.segment.bytes'))],
      ]);
      if (res.errorCode !== ErrorCode.NONE && res.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
        throw new Error(`cannot create ${OFFSETS_TOPIC}: ${res.errorMessage ?? res.errorCode}`);
      }
    })().finally(() => {
      this.creating = null;
    });
    return this.creating;
  }

  async append(partition: number, records: StoredRecord[], now: number): Promise<void> {
    const log = this.topics.partitionLog(OFFSETS_TOPIC, partition);
    if (!log) throw new Error(`${OFFSETS_TOPIC}-${partition} is not open`);
    const batch = encodeRecordBatchSync({ records: records.map((r) => ({ key: r.key, value: r.value })), now });
    await log.append(batch, { origin: 'coordinator' });
  }

  async load(partition: number, onRecord: (r: StoredRecord) => void): Promise<void> {
    const log = this.topics.partitionLog(OFFSETS_TOPIC, partition);
    if (!log) return;
    let offset = log.logStartOffset;
    const end = log.logEndOffset;
    while (offset < end) {
      const buf = await log.read(offset, 4 * 1024 * 1024);
      if (buf.length === 0) break;
      const batches = decodeRecordSetSync(buf);
      if (batches.length === 0) break;
      for (const b of batches) {
        const next = b.header.baseOffset + b.header.lastOffsetDelta + 1;
        if ((b.header.attributes & ATTR_CONTROL) === 0) {
          for (const r of b.records) {
            if (r.offset < offset || r.key === null) continue;
            onRecord({ key: r.key, value: r.value });
          }
        }
        offset = Math.max(offset, next);
      }
    }
  }
}

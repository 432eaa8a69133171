/**
 * Where a coordinator keeps its records: a compacted internal topic (__consumer_offsets for
 * groups, __transaction_state for transactions). CoordinatorStorage is the seam the runtime writes
 * and loads through: the broker uses InternalTopicStorage (partition logs through the
 * TopicManager); unit tests use an in-memory one (test/unit/helpers/memory-storage.ts).
 *
 * Transactions (the group coordinator's TxnOffsetCommit): a write may be transactional, one batch
 * carrying the producer's id and epoch with the transactional flag (base sequence 0, as Kafka's
 * coordinators write them), and a transaction ends with a marker (a control batch). Loading hands
 * each record over with its offset and producer id (-1 outside a transaction) and each marker in
 * log order, so a reload rebuilds the same pending and committed state; a transaction still open
 * at the end of the log stays pending.
 */
import { encodeRecordBatchSync, decodeRecordSetSync, decodeEndTxnMarker, encodeEndTxnMarker, isControl, isTransactional, type EndTxnMarker } from '../../protocol/records/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { TopicManager } from '../metadata/topics.js';
import type { BrokerConfig } from '../config/config.js';
import type { Replicas } from '../replicas.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

export interface StoredRecord {
  key: Buffer;
  /** null: a tombstone. */
  value: Buffer | null;
}

/** No producer: a record written outside any transaction. */
export const NO_PRODUCER_ID = -1n;

/** Where a record sits and who wrote it, as replay sees it. */
export interface RecordOrigin {
  /** The record's offset in the partition. */
  offset: number;
  /** The transactional producer whose batch carried it; NO_PRODUCER_ID outside a transaction. */
  producerId: bigint;
  producerEpoch: number;
}

/** The producer of a transactional write. */
export interface TxnProducer {
  producerId: bigint;
  producerEpoch: number;
}

export interface CoordinatorStorage {
  /** Partitions of the topic (existing topic's count, else the configured one). */
  numPartitions(): number;
  /** True when the topic exists (there may be something to load). */
  exists(): boolean;
  /** Creates the topic when missing (first use, as Kafka does on FindCoordinator). */
  ensure(): Promise<void>;
  /**
   * Appends the records as one batch (a transactional one of `txn`'s producer when given);
   * resolves to the first record's offset once the log has them (per its flush policy).
   */
  append(partition: number, records: StoredRecord[], now: number, txn?: TxnProducer): Promise<number>;
  /**
   * Appends a transaction marker (a control batch); resolves to its offset. `transactionVersion`
   * (WriteTxnMarkers') tells the log how to check the marker's producer epoch (2: each marker bumps it).
   */
  appendMarker(partition: number, marker: EndTxnMarker, now: number, timeoutMs?: number, transactionVersion?: number): Promise<number>;
  /** Every record (and transaction marker) of a partition, oldest first. */
  load(partition: number, onRecord: (r: StoredRecord, origin: RecordOrigin) => void, onMarker?: (m: EndTxnMarker, offset: number) => void): Promise<void>;
}

/** How an internal topic is made when first needed. */
export interface InternalTopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** How long a write waits for the in-sync replicas (offsets.commit.timeout.ms). */
  writeTimeoutMs: number;
  configs: Array<[string, string]>;
}

/**
 * __consumer_offsets' spec, from the broker's offsets.topic.* keys. A single node makes it with
 * one replica whatever offsets.topic.replication.factor says (Kafka's default of 3 could never be
 * met); a cluster makes it with exactly that many, and refuses until enough brokers are live, as
 * Kafka does.
 */
export function offsetsTopicSpec(config: BrokerConfig, clustered: boolean): InternalTopicSpec {
  return {
    name: OFFSETS_TOPIC,
    partitions: config.int('offsets.topic.num.partitions'),
    replicationFactor: clustered ? config.int('offsets.topic.replication.factor') : 1,
    writeTimeoutMs: config.int('offsets.commit.timeout.ms'),
    configs: [
      ['cleanup.policy', 'compact'],
      ['compression.type', 'producer'],
      ['segment.bytes', String(config.int('offsets.topic.segment.bytes'))],
    ],
  };
}

/**
 * An internal topic as partition logs of this broker. Writes go through the partition's leader
 * (this broker, since a coordinator lives where its partition leads) and wait for the in-sync
 * replicas, as Kafka's coordinators write with acks=-1; loading reads the whole log, to its end.
 */
export class InternalTopicStorage implements CoordinatorStorage {
  private creating: Promise<void> | null = null;

  constructor(
    private readonly topics: TopicManager,
    private readonly spec: InternalTopicSpec,
    private readonly replicas: Replicas,
  ) {}

  numPartitions(): number {
    return this.topics.get(this.spec.name)?.partitions ?? this.spec.partitions;
  }

  exists(): boolean {
    return this.topics.get(this.spec.name) !== undefined;
  }

  ensure(): Promise<void> {
    // While being created the topic already exists in metadata but its logs are still opening:
    // everyone waits for the creation to finish.
    if (this.creating) return this.creating;
    if (this.exists()) return Promise.resolve();
    this.creating = (async () => {
      const res = await this.topics.create(this.spec.name, this.spec.partitions, this.spec.replicationFactor, this.spec.configs);
      if (res.errorCode !== ErrorCode.NONE && res.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
        throw new Error(`cannot create ${this.spec.name}: ${res.errorMessage ?? res.errorCode}`);
      }
    })().finally(() => {
      this.creating = null;
    });
    return this.creating;
  }

  async append(partition: number, records: StoredRecord[], now: number, txn?: TxnProducer): Promise<number> {
    const batch = encodeRecordBatchSync({
      records: records.map((r) => ({ key: r.key, value: r.value })),
      now,
      ...(txn ? { producerId: txn.producerId, producerEpoch: txn.producerEpoch, baseSequence: 0, transactional: true } : {}),
    });
    const r = await this.replicas.appendAsLeader(this.spec.name, partition, batch, { acks: -1, timeoutMs: this.spec.writeTimeoutMs, origin: 'coordinator' });
    return r.baseOffset;
  }

  async appendMarker(partition: number, marker: EndTxnMarker, now: number, timeoutMs = this.spec.writeTimeoutMs, transactionVersion?: number): Promise<number> {
    const r = await this.replicas.appendAsLeader(this.spec.name, partition, encodeEndTxnMarker(marker, now), {
      acks: -1,
      timeoutMs,
      origin: 'coordinator',
      ...(transactionVersion !== undefined ? { transactionVersion } : {}),
    });
    return r.baseOffset;
  }

  async load(partition: number, onRecord: (r: StoredRecord, origin: RecordOrigin) => void, onMarker?: (m: EndTxnMarker, offset: number) => void): Promise<void> {
    const log = this.topics.partitionLog(this.spec.name, partition);
    if (!log) return;
    let offset = log.logStartOffset;
    const end = log.logEndOffset;
    while (offset < end) {
      const buf = await log.read(offset, 4 * 1024 * 1024, { maxOffset: end });
      if (buf.length === 0) break;
      const batches = decodeRecordSetSync(buf);
      if (batches.length === 0) break;
      for (const b of batches) {
        const h = b.header;
        const next = h.baseOffset + h.lastOffsetDelta + 1;
        const producerId = isTransactional(h.attributes) ? h.producerId : NO_PRODUCER_ID;
        for (const r of b.records) {
          if (r.offset < offset) continue;
          if (isControl(h.attributes)) {
            // A transaction marker; other control records (none today) are skipped.
            let m: EndTxnMarker | null = null;
            try {
              m = decodeEndTxnMarker(r.key, r.value, h.producerId, h.producerEpoch);
            } catch {
              m = null;
            }
            if (m) onMarker?.(m, r.offset);
          } else if (r.key !== null) {
            onRecord({ key: r.key, value: r.value }, { offset: r.offset, producerId, producerEpoch: h.producerEpoch });
          }
        }
        offset = Math.max(offset, next);
      }
    }
  }
}

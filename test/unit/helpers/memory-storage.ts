// A coordinator's records in memory, per partition: the unit tests' CoordinatorStorage. Handing it
// to a second coordinator plays a restart; failAppends/failNth/gate make writes fail or wait.
// Transactional writes keep their producer, markers are entries of their own (an entry's index is
// its offset), and the producer fencing of a real log is played: a transactional batch or marker
// with an older producer epoch than the partition has seen fails with INVALID_PRODUCER_EPOCH, a
// marker of an older coordinator epoch with TRANSACTION_COORDINATOR_FENCED.
import { NO_PRODUCER_ID, type CoordinatorStorage, type RecordOrigin, type StoredRecord, type TxnProducer } from '../../../src/broker/coordinator/storage.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { EndTxnMarker } from '../../../src/protocol/records/index.js';
import { StorageError } from '../../../src/storage/errors.js';

/** A stored record (with the transactional producer that wrote it, NO_PRODUCER_ID if none), or a marker. */
export interface MemoryEntry extends StoredRecord {
  /** Absent: written outside a transaction. */
  producerId?: bigint;
  producerEpoch?: number;
  /** Set on a transaction marker (key and value are then the control record's). */
  marker?: EndTxnMarker;
}

/** Records in memory, per partition, for tests. */
export class MemoryStorage implements CoordinatorStorage {
  readonly partitions: MemoryEntry[][];
  created = false;
  /** Set to make appends fail (tests of write errors). */
  failAppends: Error | null = null;
  /** Appends wait for this when set (tests of in-flight writes). */
  gate: Promise<void> | null = null;
  /** Appends so far (failed ones included). */
  appends = 0;
  /** Appends called so far (those waiting at the gate included). */
  started = 0;
  /** The append with this number (1 = the first) fails. */
  failNth = 0;
  /** Per partition and producer id: the newest producer epoch and coordinator epoch seen. */
  private readonly producers: Array<Map<bigint, { epoch: number; coordinatorEpoch: number }>>;

  constructor(private readonly n = 50) {
    this.partitions = Array.from({ length: n }, () => []);
    this.producers = Array.from({ length: n }, () => new Map());
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
  async append(partition: number, records: StoredRecord[], _now?: number, txn?: TxnProducer): Promise<number> {
    await this.before();
    if (txn) this.fence(partition, txn.producerId, txn.producerEpoch, null);
    const base = this.partitions[partition]!.length;
    for (const r of records) this.partitions[partition]!.push({ key: r.key, value: r.value, producerId: txn?.producerId ?? NO_PRODUCER_ID, producerEpoch: txn?.producerEpoch ?? -1 });
    return base;
  }
  async appendMarker(partition: number, marker: EndTxnMarker): Promise<number> {
    await this.before();
    this.fence(partition, marker.producerId, marker.producerEpoch, marker.coordinatorEpoch);
    const offset = this.partitions[partition]!.length;
    const key = Buffer.alloc(4);
    key.writeInt16BE(marker.commit ? 1 : 0, 2);
    const value = Buffer.alloc(6);
    value.writeInt32BE(marker.coordinatorEpoch, 2);
    this.partitions[partition]!.push({ key, value, producerId: marker.producerId, producerEpoch: marker.producerEpoch, marker: { ...marker } });
    return offset;
  }
  async load(partition: number, onRecord: (r: StoredRecord, origin: RecordOrigin) => void, onMarker?: (m: EndTxnMarker, offset: number) => void): Promise<void> {
    this.partitions[partition]!.forEach((e, offset) => {
      if (e.marker) onMarker?.(e.marker, offset);
      else onRecord({ key: e.key, value: e.value }, { offset, producerId: e.producerId ?? NO_PRODUCER_ID, producerEpoch: e.producerEpoch ?? -1 });
    });
  }
  /** Transactional entries of a partition that are not markers, for assertions. */
  transactional(partition: number): MemoryEntry[] {
    return this.partitions[partition]!.filter((e) => !e.marker && (e.producerId ?? NO_PRODUCER_ID) !== NO_PRODUCER_ID);
  }
  /** Markers of a partition, for assertions. */
  markers(partition: number): EndTxnMarker[] {
    return this.partitions[partition]!.flatMap((e) => (e.marker ? [e.marker] : []));
  }

  private async before(): Promise<void> {
    this.started++;
    if (this.gate) await this.gate;
    this.appends++;
    if (this.failAppends) throw this.failAppends;
    if (this.appends === this.failNth) throw new Error(`injected failure of append ${this.appends}`);
  }

  private fence(partition: number, producerId: bigint, epoch: number, coordinatorEpoch: number | null): void {
    const known = this.producers[partition]!.get(producerId);
    if (known && epoch < known.epoch) throw new StorageError(`producer ${producerId}: epoch ${epoch} is older than ${known.epoch}`, ErrorCode.INVALID_PRODUCER_EPOCH);
    if (known && coordinatorEpoch !== null && coordinatorEpoch < known.coordinatorEpoch) {
      throw new StorageError(`producer ${producerId}: coordinator epoch ${coordinatorEpoch} is older than ${known.coordinatorEpoch}`, ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    }
    this.producers[partition]!.set(producerId, { epoch, coordinatorEpoch: Math.max(coordinatorEpoch ?? -1, known?.coordinatorEpoch ?? -1) });
  }
}

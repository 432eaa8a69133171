// A coordinator's records in memory, per partition: the unit tests' CoordinatorStorage. Handing it
// to a second coordinator plays a restart; failAppends/failNth/gate make writes fail or wait.
import type { CoordinatorStorage, StoredRecord } from '../../../src/broker/coordinator/storage.js';

/** Records in memory, per partition, for tests. */
export class MemoryStorage implements CoordinatorStorage {
  readonly partitions: StoredRecord[][];
  created = false;
  /** Set to make appends fail (tests of write errors). */
  failAppends: Error | null = null;
  /** Appends wait for this when set (tests of in-flight writes). */
  gate: Promise<void> | null = null;
  /** Appends so far (failed ones included). */
  appends = 0;
  /** The append with this number (1 = the first) fails. */
  failNth = 0;

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
    this.appends++;
    if (this.failAppends) throw this.failAppends;
    if (this.appends === this.failNth) throw new Error(`injected failure of append ${this.appends}`);
    this.partitions[partition]!.push(...records);
  }
  async load(partition: number, onRecord: (r: StoredRecord) => void): Promise<void> {
    for (const r of this.partitions[partition]!) onRecord(r);
  }
}


/**
 * The cleaner's key -> latest offset map (the semantics of Kafka's SkimpyOffsetMap): a fixed
 * table of `memory / 24` slots, each a 16-byte MD5 of the key and an 8-byte offset. Two keys with
 * the same hash count as one (the chance is negligible at 128 bits). The cleaner stops adding
 * keys at `loadFactor` of the slots, so probing stays short.
 */
import { createHash } from 'node:crypto';

/** Bytes per slot: a 16-byte hash and an 8-byte offset, as Kafka sizes them. */
export const BYTES_PER_ENTRY = 24;
const HASH_WORDS = 4;

export class OffsetMap {
  readonly slots: number;
  /** Hashes, 4 words per slot. */
  private readonly hashes: Int32Array;
  /** offset + 1 per slot; 0 marks a free slot. */
  private readonly offsets: Float64Array;
  private entries = 0;
  /** The last offset the map covers (every key at or below it is in the map). -1 when empty. */
  latestOffset = -1;
  /** Lookups and probes, for the cleaner's statistics. */
  lookups = 0;
  probes = 0;
  private readonly h = new Int32Array(HASH_WORDS);

  constructor(memory: number) {
    this.slots = Math.floor(memory / BYTES_PER_ENTRY);
    if (this.slots < 1) throw new RangeError(`offset map memory ${memory} holds no entry`);
    this.hashes = new Int32Array(this.slots * HASH_WORDS);
    this.offsets = new Float64Array(this.slots);
  }

  get size(): number {
    return this.entries;
  }
  /** Bytes the table occupies. */
  get memoryBytes(): number {
    return this.hashes.byteLength + this.offsets.byteLength;
  }
  /** Fraction of the slots in use. */
  get utilization(): number {
    return this.entries / this.slots;
  }

  clear(): void {
    this.hashes.fill(0);
    this.offsets.fill(0);
    this.entries = 0;
    this.latestOffset = -1;
  }

  private hashKey(key: Buffer): void {
    const d = createHash('md5').update(key).digest();
    for (let i = 0; i < HASH_WORDS; i++) this.h[i] = d.readInt32LE(i * 4);
  }

  /**
   * Probe sequence (as Kafka's): the hash's words pick the first slots, then linear steps from
   * the last of them.
   */
  private slotFor(attempt: number): number {
    const base = attempt < HASH_WORDS ? this.h[attempt]! : this.h[HASH_WORDS - 1]! + (attempt - HASH_WORDS + 1);
    return ((base % this.slots) + this.slots) % this.slots;
  }

  private matches(slot: number): boolean {
    const at = slot * HASH_WORDS;
    const hs = this.hashes;
    return hs[at] === this.h[0] && hs[at + 1] === this.h[1] && hs[at + 2] === this.h[2] && hs[at + 3] === this.h[3];
  }

  /** Records `offset` as the key's latest. The caller keeps below the load factor. */
  put(key: Buffer, offset: number): void {
    if (this.entries >= this.slots) throw new RangeError('offset map is full');
    this.hashKey(key);
    this.lookups++;
    for (let attempt = 0; ; attempt++) {
      const slot = this.slotFor(attempt);
      this.probes++;
      if (this.offsets[slot] === 0) {
        const at = slot * HASH_WORDS;
        for (let i = 0; i < HASH_WORDS; i++) this.hashes[at + i] = this.h[i]!;
        this.offsets[slot] = offset + 1;
        this.entries++;
        break;
      }
      if (this.matches(slot)) {
        this.offsets[slot] = offset + 1;
        break;
      }
    }
    if (offset > this.latestOffset) this.latestOffset = offset;
  }

  /** The key's latest offset, or -1 when the map does not have it. */
  get(key: Buffer): number {
    this.hashKey(key);
    this.lookups++;
    for (let attempt = 0; attempt < this.slots + HASH_WORDS; attempt++) {
      const slot = this.slotFor(attempt);
      this.probes++;
      const o = this.offsets[slot]!;
      if (o === 0) return -1;
      if (this.matches(slot)) return o - 1;
    }
    return -1;
  }

  updateLatestOffset(offset: number): void {
    if (offset > this.latestOffset) this.latestOffset = offset;
  }
}

/**
 * Committed offsets of one __consumer_offsets partition, by group, topic and partition. Offsets
 * belong to the group id, whatever the group's protocol (classic, consumer, or none: a consumer
 * that assigns itself partitions), as in Kafka's OffsetMetadataManager; a group converted from one
 * protocol to the other keeps them. Changed only by replaying OffsetCommit records.
 *
 * Each offset keeps the log offset of the record that holds it (Kafka's recordOffset): when a
 * transaction commits, its offset of a partition replaces the committed one only if its record is
 * the later one in the log (a plain commit made while the transaction was open wins), so the
 * result does not depend on compaction.
 *
 * PendingTxnOffsets are the offsets of open transactions (TxnOffsetCommit), per producer id, with
 * the producers that have one pending per group, topic and partition (Kafka's
 * pendingTransactionalOffsets and OpenTransactions).
 */
import type { OffsetEntry } from './group.js';

/** A committed offset and the offset of its record in the log. */
export interface StoredOffset extends OffsetEntry {
  recordOffset: number;
}

export type TopicOffsets = Map<string, Map<number, StoredOffset>>;

export class OffsetStore {
  private readonly byGroup = new Map<string, TopicOffsets>();

  get(groupId: string, topic: string, partition: number): StoredOffset | undefined {
    return this.byGroup.get(groupId)?.get(topic)?.get(partition);
  }

  /** The group's offsets by topic (empty when it has none). */
  of(groupId: string): TopicOffsets {
    return this.byGroup.get(groupId) ?? new Map();
  }

  has(groupId: string): boolean {
    return this.byGroup.has(groupId);
  }

  groupIds(): string[] {
    return [...this.byGroup.keys()];
  }

  set(groupId: string, topic: string, partition: number, e: StoredOffset): void {
    let g = this.byGroup.get(groupId);
    if (!g) this.byGroup.set(groupId, (g = new Map()));
    let t = g.get(topic);
    if (!t) g.set(topic, (t = new Map()));
    t.set(partition, e);
  }

  delete(groupId: string, topic: string, partition: number): void {
    const g = this.byGroup.get(groupId);
    const t = g?.get(topic);
    if (!g || !t) return;
    t.delete(partition);
    if (t.size === 0) g.delete(topic);
    if (g.size === 0) this.byGroup.delete(groupId);
  }

  /** Every offset, as [group, topic, partition, offset]. */
  *entries(): Generator<[string, string, number, StoredOffset]> {
    for (const [g, topics] of this.byGroup) for (const [t, parts] of topics) for (const [p, e] of parts) yield [g, t, p, e];
  }
}

/** Offsets committed in open transactions, per producer id. */
export class PendingTxnOffsets {
  private readonly byProducer = new Map<bigint, OffsetStore>();
  /** group -> topic -> partition -> producers with an offset pending there. */
  private readonly open = new Map<string, Map<string, Map<number, Set<bigint>>>>();

  add(producerId: bigint, groupId: string, topic: string, partition: number, e: StoredOffset): void {
    let store = this.byProducer.get(producerId);
    if (!store) this.byProducer.set(producerId, (store = new OffsetStore()));
    store.set(groupId, topic, partition, e);
    let g = this.open.get(groupId);
    if (!g) this.open.set(groupId, (g = new Map()));
    let t = g.get(topic);
    if (!t) g.set(topic, (t = new Map()));
    let producers = t.get(partition);
    if (!producers) t.set(partition, (producers = new Set()));
    producers.add(producerId);
  }

  /** The producer's pending offset of the partition for the group. */
  get(producerId: bigint, groupId: string, topic: string, partition: number): StoredOffset | undefined {
    return this.byProducer.get(producerId)?.get(groupId, topic, partition);
  }

  /** True when some open transaction has an offset of this partition for the group. */
  has(groupId: string, topic: string, partition: number): boolean {
    return this.open.get(groupId)?.get(topic)?.has(partition) ?? false;
  }

  /** True when some open transaction has an offset for the group. */
  hasGroup(groupId: string): boolean {
    return this.open.has(groupId);
  }

  /** The group's partitions with a pending offset, as [topic, partition]. */
  partitionsOf(groupId: string): Array<[string, number]> {
    const out: Array<[string, number]> = [];
    for (const [t, parts] of this.open.get(groupId) ?? []) for (const p of parts.keys()) out.push([t, p]);
    return out;
  }

  /** A tombstone of the partition: every open transaction's offset of it goes. */
  clear(groupId: string, topic: string, partition: number): void {
    const g = this.open.get(groupId);
    const t = g?.get(topic);
    const producers = t?.get(partition);
    if (!g || !t || !producers) return;
    for (const pid of producers) {
      const store = this.byProducer.get(pid);
      store?.delete(groupId, topic, partition);
      if (store && store.groupIds().length === 0) this.byProducer.delete(pid);
    }
    this.forget(g, t, groupId, topic, partition);
  }

  /** The transaction of `producerId` ended: its pending offsets, taken out (undefined when none). */
  take(producerId: bigint): OffsetStore | undefined {
    const store = this.byProducer.get(producerId);
    if (!store) return undefined;
    this.byProducer.delete(producerId);
    for (const [groupId, topic, partition] of store.entries()) {
      const g = this.open.get(groupId);
      const t = g?.get(topic);
      const producers = t?.get(partition);
      if (!g || !t || !producers) continue;
      producers.delete(producerId);
      if (producers.size === 0) this.forget(g, t, groupId, topic, partition);
    }
    return store;
  }

  /** Every pending offset, as [producer id, group, topic, partition, offset]. */
  *entries(): Generator<[bigint, string, string, number, StoredOffset]> {
    for (const [pid, store] of this.byProducer) for (const [g, t, p, e] of store.entries()) yield [pid, g, t, p, e];
  }

  private forget(g: Map<string, Map<number, Set<bigint>>>, t: Map<number, Set<bigint>>, groupId: string, topic: string, partition: number): void {
    t.delete(partition);
    if (t.size === 0) g.delete(topic);
    if (g.size === 0) this.open.delete(groupId);
  }
}

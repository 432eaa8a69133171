/**
 * Committed offsets of one __consumer_offsets partition, by group, topic and partition. Offsets
 * belong to the group id, whatever the group's protocol (classic, consumer, or none: a consumer
 * that assigns itself partitions), as in Kafka's OffsetMetadataManager; a group converted from one
 * protocol to the other keeps them. Changed only by replaying OffsetCommit records.
 */
import type { OffsetEntry } from './group.js';

export type TopicOffsets = Map<string, Map<number, OffsetEntry>>;

export class OffsetStore {
  private readonly byGroup = new Map<string, TopicOffsets>();

  get(groupId: string, topic: string, partition: number): OffsetEntry | undefined {
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

  set(groupId: string, topic: string, partition: number, e: OffsetEntry): void {
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
}

/**
 * Topics in a cluster: the coordination store's topic keys as TopicRecords (what the
 * TopicManager applies), and the TopicManager's writes as etcd transactions. Any broker may
 * create a topic, add partitions, change overrides or mark a topic for deletion (as Kafka's
 * ZooKeeper-era admin path did); the controller then gives new partitions leaders, and removes
 * deleted topics' keys.
 */
import type { TopicRecord } from '../metadata/store.js';
import type { ClusterTopicBackend } from '../metadata/topic-backend.js';
import type { EtcdClusterStore } from './etcd-store.js';
import { encodeAssignment, keys, type ClusterView } from './view.js';

/** The view's topics (those not being deleted), as the TopicManager keeps them. */
export function topicsFromView(view: ClusterView): TopicRecord[] {
  const out: TopicRecord[] = [];
  for (const a of view.topics.values()) {
    if (view.deleting.has(a.name)) continue;
    out.push({
      name: a.name,
      topicId: a.topicId,
      partitions: a.replicas.length,
      replicationFactor: a.replicas[0]?.length ?? 0,
      replicas: a.replicas,
      configs: { ...(view.topicConfigs.get(a.name) ?? {}) },
    });
  }
  return out;
}

const configValue = (configs: Record<string, string>): string => JSON.stringify({ version: 1, config: configs });

export class EtcdTopicBackend implements ClusterTopicBackend {
  constructor(private readonly store: EtcdClusterStore) {}

  liveBrokers(): Array<{ id: number; rack: string | null }> {
    return [...this.store.view.brokers.values()].map((b) => ({ id: b.id, rack: b.rack }));
  }

  create(t: TopicRecord & { replicas: number[][] }): Promise<boolean> {
    return this.store.adminWrite(
      [
        { put: keys.topicConfig(t.name), value: configValue(t.configs) },
        { put: keys.topic(t.name), value: encodeAssignment(t.topicId, t.replicas) },
      ],
      [{ key: keys.topic(t.name), modRevision: 0n }],
    );
  }

  async delete(name: string): Promise<void> {
    await this.store.adminWrite([{ put: keys.deleteTopic(name), value: '' }]);
  }

  setReplicas(t: TopicRecord, replicas: number[][]): Promise<boolean> {
    const key = keys.topic(t.name);
    return this.store.adminWrite([{ put: key, value: encodeAssignment(t.topicId, replicas) }], [{ key, modRevision: this.store.revision(key) }]);
  }

  async alterConfigs(name: string, configs: Record<string, string>): Promise<void> {
    await this.store.adminWrite([{ put: keys.topicConfig(name), value: configValue(configs) }]);
  }
}

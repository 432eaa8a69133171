/**
 * Where topic changes go in a cluster. On a single node the TopicManager changes its own maps and
 * saves them in the local metadata file. In a cluster the coordination store (etcd) is the truth:
 * the TopicManager writes the change there and waits for it to come back through the store's
 * watch (`TopicManager.applyCluster`), so every broker learns every change the same way.
 */
import type { TopicRecord } from './store.js';

export interface ClusterTopicBackend {
  /** Live brokers (id, rack), for replication-factor checks and replica placement. */
  liveBrokers(): Array<{ id: number; rack: string | null }>;
  /** Writes a new topic (assignment and overrides); false when the name is taken meanwhile. */
  create(t: TopicRecord & { replicas: number[][] }): Promise<boolean>;
  /** Marks a topic for deletion (the controller removes it). */
  delete(name: string): Promise<void>;
  /** Writes the topic's whole new assignment; false when it changed meanwhile. */
  setReplicas(t: TopicRecord, replicas: number[][]): Promise<boolean>;
  alterConfigs(name: string, configs: Record<string, string>): Promise<void>;
}

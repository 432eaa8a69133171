import type { ScramCredentialsState } from '../security/scram-store.js';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomKafkaUuid } from '../../storage/meta-properties.js';
import { writeFileAtomic } from '../../storage/files.js';
import type { AclBinding } from '../acl/acl.js';
import type { StoredClientQuota } from '../quota/entity.js';

export interface TopicRecord {
  name: string;
  /** Topic id as a dashed UUID (Kafka shows it base64-encoded; both are the same 16 bytes). */
  topicId: string;
  partitions: number;
  replicationFactor: number;
  /**
   * In a cluster, each partition's replicas (the first the preferred leader), from the
   * coordination store. Absent on a single node: this broker holds every partition.
   */
  replicas?: number[][];
  /** Per-topic config overrides (validated). */
  configs: Record<string, string>;
}

export interface ClusterState {
  clusterId: string;
  topics: TopicRecord[];
  /** Dynamic per-broker configs set through the admin APIs. */
  brokerConfigs: Record<string, string>;
  /** Dynamic cluster-wide broker defaults (the broker resource named ""). */
  brokerDefaultConfigs: Record<string, string>;
  /** Group configs (the GROUP config resource), by group id. */
  groupConfigs: Record<string, Record<string, string>>;
  /** Producer ids below this are reserved (handed out or about to be). */
  producerIdsReservedUpTo: number;
  /** Users' SCRAM credentials: salt, StoredKey, ServerKey, iterations (base64), never passwords. */
  scramCredentials?: ScramCredentialsState;
  /** The ACLs (CreateAcls/DeleteAcls), absent in files written before ACLs existed. */
  acls?: AclBinding[];
  /** Client quotas (AlterClientQuotas), absent in files written before quotas existed. */
  clientQuotas?: StoredClientQuota[];
}

/**
 * Where the cluster's metadata lives: topics, their ids, partition counts and config overrides,
 * dynamic broker configs and group configs. This single-node store keeps them in one JSON file; a cluster will
 * put them in etcd behind the same interface.
 */
export interface MetadataStore {
  load(): Promise<ClusterState>;
  save(state: ClusterState): Promise<void>;
}

/** Kafka's cluster id format: 16 random bytes, URL-safe base64 without padding (22 chars), never starting with '-'. */
export function newClusterId(): string {
  return randomKafkaUuid();
}

export function newTopicId(): string {
  return randomUUID();
}

export class FileMetadataStore implements MetadataStore {
  private readonly file: string;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string) {
    this.file = join(dir, 'tributary-metadata.json');
  }

  async load(): Promise<ClusterState> {
    await mkdir(this.dir, { recursive: true });
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as ClusterState;
      return {
        clusterId: parsed.clusterId,
        topics: parsed.topics ?? [],
        brokerConfigs: parsed.brokerConfigs ?? {},
        brokerDefaultConfigs: parsed.brokerDefaultConfigs ?? {},
        groupConfigs: parsed.groupConfigs ?? {},
        producerIdsReservedUpTo: parsed.producerIdsReservedUpTo ?? 0,
        scramCredentials: parsed.scramCredentials ?? {},
        acls: parsed.acls ?? [],
        clientQuotas: parsed.clientQuotas ?? [],
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const state: ClusterState = { clusterId: newClusterId(), topics: [], brokerConfigs: {}, brokerDefaultConfigs: {}, groupConfigs: {}, producerIdsReservedUpTo: 0 };
      await this.save(state);
      return state;
    }
  }

  /** Writes atomically (temp file, fsync, rename, fsync the directory); saves are serialised. */
  save(state: ClusterState): Promise<void> {
    const text = JSON.stringify(state, null, 2) + '\n';
    const next = this.writing.then(() => writeFileAtomic(this.file, text));
    this.writing = next.catch(() => undefined);
    return next;
  }
}

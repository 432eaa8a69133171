/**
 * The cluster as every broker sees it: live brokers, the controller, topics with their replica
 * assignments and each partition's state (leader, leader epoch, ISR). It is built only from the
 * keys of the coordination store (etcd), by `apply` — the one function from a key (or its
 * deletion) to the view, used for the initial read and for every watched change — so all
 * brokers derive the same view from the same keys. The layout follows Kafka's ZooKeeper era,
 * under the connect string's chroot:
 *
 *   cluster/id                                   the cluster id
 *   brokers/ids/<id>                             a live broker (on its lease; create revision = broker epoch)
 *   controller                                   {"brokerid": N} (on the controller's lease)
 *   controller_epoch                             N, bumped by every election
 *   brokers/topics/<topic>                       {"topic_id", "partitions": {"<p>": [replicas]}}
 *   brokers/topics/<topic>/partitions/<p>/state  {"leader", "leader_epoch", "isr", "controller_epoch", "partition_epoch"}
 *   config/topics/<topic>, config/brokers/<id>   config overrides ({"config": {...}})
 *   admin/delete_topics/<topic>                  a deletion in progress
 *   admin/reassign_partitions                    reassignments in progress ({"partitions": [{topic, partition, replicas, original}]})
 *   latest_producer_id_block                     the last producer id block claimed (block_start, block_end)
 *   acls/<id>, scram/<mechanism>/<user>,         ACL bindings, SCRAM credentials and client quotas
 *   quotas/<id>                                  (security-keys.ts)
 */
import type { AclBinding } from '../acl/acl.js';
import type { ScramCredentialsState } from '../security/scram-store.js';
import { ACLS_PREFIX, QUOTAS_PREFIX, decodeAcl, decodeQuota, decodeScram, parseScramKey, type StoredQuota } from './security-keys.js';
import type { ScramMechanism } from '../../protocol/sasl/scram-math.js';

export interface BrokerEndpoint {
  /** The listener name (advertised.listeners), e.g. PLAINTEXT, SASL_SSL, INTERNAL. */
  name: string;
  host: string;
  port: number;
}

export interface BrokerRegistration {
  id: number;
  /** The first advertised listener's address (Kafka's registration kept the PLAINTEXT one here); `endpoints` has them all. */
  host: string;
  port: number;
  rack: string | null;
  /**
   * Every advertised listener, by name (Kafka's `endpoints`, with `listener_security_protocol_map`
   * beside them in the value): Metadata answers each client with the listener it came in on, and
   * peers connect to the inter-broker one.
   */
  endpoints?: BrokerEndpoint[];
  /** The create revision of its key: a restarted broker has a new, higher epoch. */
  epoch: bigint;
}

export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  isr: number[];
  controllerEpoch: number;
  /** Bumped by every change of the state (Kafka's partition epoch, AlterPartition's check). */
  partitionEpoch: number;
}

export interface TopicAssignment {
  name: string;
  topicId: string;
  /** partition -> replicas, the first the preferred leader */
  replicas: number[][];
}

/** What one key says, decoded; unknown keys are ignored. */
export type ClusterKey =
  | { kind: 'cluster-id' }
  | { kind: 'broker'; id: number }
  | { kind: 'controller' }
  | { kind: 'controller-epoch' }
  | { kind: 'topic'; topic: string }
  | { kind: 'partition-state'; topic: string; partition: number }
  | { kind: 'topic-config'; topic: string }
  | { kind: 'broker-config'; broker: string }
  | { kind: 'delete-topic'; topic: string }
  | { kind: 'reassignments' }
  | { kind: 'acl' }
  | { kind: 'quota' }
  | { kind: 'scram'; user: string; mechanism: ScramMechanism }
  | { kind: 'other' };

/** A partition reassignment in progress: where it goes, and where it was (for ListPartitionReassignments and cancelling). */
export interface Reassignment {
  topic: string;
  partition: number;
  target: number[];
  original: number[];
}

const TOPIC = '[A-Za-z0-9._-]+';
const PATTERNS: Array<[RegExp, (m: RegExpExecArray) => ClusterKey]> = [
  [/^cluster\/id$/, () => ({ kind: 'cluster-id' })],
  [/^brokers\/ids\/(\d+)$/, (m) => ({ kind: 'broker', id: Number(m[1]) })],
  [/^controller$/, () => ({ kind: 'controller' })],
  [/^controller_epoch$/, () => ({ kind: 'controller-epoch' })],
  [new RegExp(`^brokers/topics/(${TOPIC})$`), (m) => ({ kind: 'topic', topic: m[1]! })],
  [new RegExp(`^brokers/topics/(${TOPIC})/partitions/(\\d+)/state$`), (m) => ({ kind: 'partition-state', topic: m[1]!, partition: Number(m[2]) })],
  [new RegExp(`^config/topics/(${TOPIC})$`), (m) => ({ kind: 'topic-config', topic: m[1]! })],
  [/^config\/brokers\/([^/]+)$/, (m) => ({ kind: 'broker-config', broker: m[1]! })],
  [new RegExp(`^admin/delete_topics/(${TOPIC})$`), (m) => ({ kind: 'delete-topic', topic: m[1]! })],
  [/^admin\/reassign_partitions$/, () => ({ kind: 'reassignments' })],
];

export function parseClusterKey(key: string): ClusterKey {
  if (key.startsWith(ACLS_PREFIX)) return { kind: 'acl' };
  if (key.startsWith(QUOTAS_PREFIX)) return { kind: 'quota' };
  const scram = parseScramKey(key);
  if (scram) return { kind: 'scram', ...scram };
  for (const [re, make] of PATTERNS) {
    const m = re.exec(key);
    if (m) return make(m);
  }
  return { kind: 'other' };
}

export const keys = {
  clusterId: 'cluster/id',
  broker: (id: number): string => `brokers/ids/${id}`,
  brokers: 'brokers/ids/',
  controller: 'controller',
  controllerEpoch: 'controller_epoch',
  topic: (t: string): string => `brokers/topics/${t}`,
  topics: 'brokers/topics/',
  partitionState: (t: string, p: number): string => `brokers/topics/${t}/partitions/${p}/state`,
  topicConfig: (t: string): string => `config/topics/${t}`,
  brokerConfig: (b: string): string => `config/brokers/${b}`,
  deleteTopic: (t: string): string => `admin/delete_topics/${t}`,
  reassignments: 'admin/reassign_partitions',
  producerIdBlock: 'latest_producer_id_block',
};

/** A stored value that does not read is a bug elsewhere or a foreign writer: it is skipped, and counted. */
function json(value: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(value);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isIntArray = (v: unknown): v is number[] => Array.isArray(v) && v.every(isInt);

export function encodePartitionState(s: PartitionState): string {
  return JSON.stringify({ version: 1, leader: s.leader, leader_epoch: s.leaderEpoch, isr: s.isr, controller_epoch: s.controllerEpoch, partition_epoch: s.partitionEpoch });
}

export function decodePartitionState(value: string): PartitionState | null {
  const v = json(value);
  if (!v || !isInt(v.leader) || !isInt(v.leader_epoch) || !isIntArray(v.isr) || !isInt(v.controller_epoch)) return null;
  return { leader: v.leader, leaderEpoch: v.leader_epoch, isr: v.isr, controllerEpoch: v.controller_epoch, partitionEpoch: isInt(v.partition_epoch) ? v.partition_epoch : 0 };
}

export function encodeAssignment(topicId: string, replicas: readonly number[][]): string {
  return JSON.stringify({ version: 3, topic_id: topicId, partitions: Object.fromEntries(replicas.map((r, p) => [String(p), r])) });
}

export function decodeAssignment(name: string, value: string): TopicAssignment | null {
  const v = json(value);
  if (!v || typeof v.topic_id !== 'string' || v.partitions === null || typeof v.partitions !== 'object') return null;
  const parts = v.partitions as Record<string, unknown>;
  const replicas: number[][] = [];
  for (let p = 0; ; p++) {
    const r = parts[String(p)];
    if (r === undefined) break;
    if (!isIntArray(r)) return null;
    replicas.push(r);
  }
  return { name, topicId: v.topic_id, replicas };
}

/** A registration's value; `incarnation` tells this broker's next run that the key is its own. */
export function encodeReassignments(list: readonly Reassignment[]): string {
  return JSON.stringify({ version: 1, partitions: list.map((r) => ({ topic: r.topic, partition: r.partition, replicas: r.target, original: r.original })) });
}

export function decodeReassignments(value: string): Reassignment[] | null {
  const v = json(value);
  if (!v || !Array.isArray(v.partitions)) return null;
  const out: Reassignment[] = [];
  for (const e of v.partitions as unknown[]) {
    const r = e as Record<string, unknown>;
    if (typeof r.topic !== 'string' || !isInt(r.partition) || !isIntArray(r.replicas)) return null;
    out.push({ topic: r.topic, partition: r.partition, target: r.replicas, original: isIntArray(r.original) ? r.original : r.replicas });
  }
  return out;
}

export function encodeBroker(b: Omit<BrokerRegistration, 'epoch' | 'id'>, incarnation = '', protocols: ReadonlyMap<string, string> = new Map()): string {
  const endpoints = b.endpoints ?? [{ name: 'PLAINTEXT', host: b.host, port: b.port }];
  const hostPart = (h: string): string => (h.includes(':') ? `[${h}]` : h);
  return JSON.stringify({
    version: 5,
    host: b.host,
    port: b.port,
    rack: b.rack,
    endpoints: endpoints.map((e) => `${e.name}://${hostPart(e.host)}:${e.port}`),
    listener_security_protocol_map: Object.fromEntries(endpoints.map((e) => [e.name, protocols.get(e.name) ?? e.name])),
    incarnation,
  });
}

/** `NAME://host:port` entries of a registration's `endpoints`; unreadable entries are left out. */
function decodeEndpoints(v: unknown): BrokerEndpoint[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: BrokerEndpoint[] = [];
  for (const e of v) {
    const m = typeof e === 'string' ? /^([A-Za-z_][A-Za-z0-9_]*):\/\/(\[[^\]]*\]|[^:\/]*):(\d+)$/.exec(e) : null;
    if (m) out.push({ name: m[1]!.toUpperCase(), host: m[2]!.replace(/^\[|\]$/g, ''), port: Number(m[3]) });
  }
  return out;
}

export function decodeIncarnation(value: string): string | null {
  const v = json(value);
  return v && typeof v.incarnation === 'string' ? v.incarnation : null;
}

export class ClusterView {
  clusterId: string | null = null;
  controller: number | null = null;
  controllerEpoch = 0;
  readonly brokers = new Map<number, BrokerRegistration>();
  readonly topics = new Map<string, TopicAssignment>();
  /** `${topic}\u0000${partition}` -> state */
  readonly partitions = new Map<string, PartitionState>();
  readonly topicConfigs = new Map<string, Record<string, string>>();
  readonly brokerConfigs = new Map<string, Record<string, string>>();
  readonly deleting = new Set<string>();
  /** `${topic}\u0000${partition}` -> the reassignment in progress */
  readonly reassignments = new Map<string, Reassignment>();
  /** ACL bindings by key (acls/<id>). */
  readonly acls = new Map<string, AclBinding>();
  /** Client quota entities by key (quotas/<id>). */
  readonly quotas = new Map<string, StoredQuota>();
  /** Users' SCRAM credentials, in the shape ScramCredentialStore reads (this object is never replaced). */
  readonly scramCredentials: ScramCredentialsState = Object.create(null) as ScramCredentialsState;
  /** Values that did not decode (skipped). */
  unreadable = 0;

  partition(topic: string, partition: number): PartitionState | undefined {
    return this.partitions.get(`${topic}\u0000${partition}`);
  }

  /** Applies one key's new value (null: deleted); `createRevision` is the key's (broker epochs). */
  apply(key: string, value: string | null, createRevision = 0n): void {
    const k = parseClusterKey(key);
    switch (k.kind) {
      case 'cluster-id':
        this.clusterId = value;
        return;
      case 'broker': {
        if (value === null) {
          this.brokers.delete(k.id);
          return;
        }
        const v = json(value);
        if (!v || typeof v.host !== 'string' || !isInt(v.port)) return void this.unreadable++;
        const endpoints = decodeEndpoints(v.endpoints);
        this.brokers.set(k.id, { id: k.id, host: v.host, port: v.port, rack: typeof v.rack === 'string' ? v.rack : null, ...(endpoints ? { endpoints } : {}), epoch: createRevision });
        return;
      }
      case 'controller': {
        if (value === null) {
          this.controller = null;
          return;
        }
        const v = json(value);
        if (!v || !isInt(v.brokerid)) return void this.unreadable++;
        this.controller = v.brokerid;
        return;
      }
      case 'controller-epoch':
        this.controllerEpoch = value === null ? 0 : Number(value) || 0;
        return;
      case 'topic': {
        if (value === null) {
          this.topics.delete(k.topic);
          for (const key of [...this.partitions.keys()]) if (key.startsWith(`${k.topic}\u0000`)) this.partitions.delete(key);
          return;
        }
        const a = decodeAssignment(k.topic, value);
        if (!a) return void this.unreadable++;
        this.topics.set(k.topic, a);
        return;
      }
      case 'partition-state': {
        const id = `${k.topic}\u0000${k.partition}`;
        if (value === null) {
          this.partitions.delete(id);
          return;
        }
        const s = decodePartitionState(value);
        if (!s) return void this.unreadable++;
        this.partitions.set(id, s);
        return;
      }
      case 'topic-config':
      case 'broker-config': {
        const map = k.kind === 'topic-config' ? this.topicConfigs : this.brokerConfigs;
        const name = k.kind === 'topic-config' ? k.topic : k.broker;
        if (value === null) {
          map.delete(name);
          return;
        }
        const v = json(value);
        const config = v?.config;
        if (!config || typeof config !== 'object') return void this.unreadable++;
        map.set(name, Object.fromEntries(Object.entries(config as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string')));
        return;
      }
      case 'reassignments': {
        this.reassignments.clear();
        if (value === null) return;
        const list = decodeReassignments(value);
        if (!list) return void this.unreadable++;
        for (const r of list) this.reassignments.set(`${r.topic}\u0000${r.partition}`, r);
        return;
      }
      case 'delete-topic':
        if (value === null) this.deleting.delete(k.topic);
        else this.deleting.add(k.topic);
        return;
      case 'acl': {
        if (value === null) {
          this.acls.delete(key);
          return;
        }
        const b = decodeAcl(value);
        if (!b) return void this.unreadable++;
        this.acls.set(key, b);
        return;
      }
      case 'quota': {
        if (value === null) {
          this.quotas.delete(key);
          return;
        }
        const q = decodeQuota(value);
        if (!q) return void this.unreadable++;
        this.quotas.set(key, q);
        return;
      }
      case 'scram': {
        const users = this.scramCredentials;
        if (value === null) {
          if (!Object.hasOwn(users, k.user)) return;
          delete users[k.user]![k.mechanism];
          if (Object.keys(users[k.user]!).length === 0) delete users[k.user];
          return;
        }
        const c = decodeScram(value);
        if (!c) return void this.unreadable++;
        if (!Object.hasOwn(users, k.user)) users[k.user] = {};
        users[k.user]![k.mechanism] = c;
        return;
      }
      case 'other':
        return;
    }
  }
}

/**
 * Questions to the cluster that the nemesis and the final read ask, over plain Connections to
 * whichever node answers first (any may be dead or paused): metadata (leaders, controller id),
 * the active KRaft controller, topic creation, end offsets.
 */
import { Connection } from '../../src/client/connection.js';
import { ErrorCode, errorInfo } from '../../src/protocol/errors.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { ZERO_UUID } from '../../src/protocol/primitives/index.js';
import { waitFor } from './cluster.js';

const QUICK = { clientId: 'jepsen-info', connectTimeoutMs: 2_000, requestTimeoutMs: 5_000 };

/** Runs `f` on the first address (of a comma-separated list) that connects and answers. */
export async function onAnyNode<T>(bootstrap: string, f: (conn: Connection) => Promise<T>): Promise<T> {
  let last: unknown = new Error('no address');
  for (const addr of bootstrap.split(',')) {
    let conn: Connection | undefined;
    try {
      conn = await Connection.connect(addr, QUICK);
      return await f(conn);
    } catch (err) {
      last = err;
    } finally {
      conn?.destroy();
    }
  }
  throw last;
}

export interface TopicState {
  brokers: number[];
  controllerId: number;
  /** Partition -> leader (-1: none). */
  leaders: Map<number, number>;
  /** Partition -> ISR. */
  isr: Map<number, number[]>;
}

export async function topicState(bootstrap: string, topic: string): Promise<TopicState> {
  return onAnyNode(bootstrap, async (conn) => {
    const md = await conn.send(ApiKey.Metadata, {
      topics: [{ topicId: ZERO_UUID, name: topic }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    const t = md.topics[0];
    const parts = t && t.errorCode === ErrorCode.NONE ? t.partitions : [];
    return {
      brokers: md.brokers.map((b) => b.nodeId).sort(),
      controllerId: md.controllerId,
      leaders: new Map(parts.map((p) => [p.partitionIndex, p.leaderId])),
      isr: new Map(parts.map((p) => [p.partitionIndex, [...p.isrNodes].sort()])),
    };
  });
}

/** The node ids a node's Metadata lists as brokers (empty when it does not answer). */
export async function brokersSeenBy(address: string): Promise<number[]> {
  return onAnyNode(address, async (conn) => {
    const md = await conn.send(ApiKey.Metadata, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    return md.brokers.map((b) => b.nodeId).sort();
  }).catch(() => []);
}

/** The controller id that Metadata names (-1 and errors: null). */
export async function metadataController(bootstrap: string): Promise<number | null> {
  return onAnyNode(bootstrap, async (conn) => {
    const md = await conn.send(ApiKey.Metadata, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    return md.controllerId >= 0 ? md.controllerId : null;
  }).catch(() => null);
}

/** The active KRaft controller (DescribeQuorum of __cluster_metadata), or null. */
export async function kraftLeader(bootstrap: string): Promise<number | null> {
  return onAnyNode(bootstrap, async (conn) => {
    const res = await conn.send(ApiKey.DescribeQuorum, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] });
    const p = res.topics[0]?.partitions[0];
    return res.errorCode === ErrorCode.NONE && p && p.errorCode === ErrorCode.NONE && p.leaderId >= 0 ? p.leaderId : null;
  }).catch(() => null);
}

/** Creates the topic and waits until every partition has a leader and a full ISR. */
export async function createTopic(bootstrap: string, topic: string, partitions: number, replicationFactor: number, configs: Record<string, string>, timeoutMs = 60_000): Promise<void> {
  await onAnyNode(bootstrap, async (conn) => {
    const res = await conn.send(ApiKey.CreateTopics, {
      topics: [{ name: topic, numPartitions: partitions, replicationFactor, assignments: [], configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    const t = res.topics[0]!;
    if (t.errorCode !== ErrorCode.NONE && t.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) throw new Error(`CreateTopics ${topic}: ${errorInfo(t.errorCode).name} ${t.errorMessage ?? ''}`);
  });
  await waitFor(
    async () => {
      const s = await topicState(bootstrap, topic).catch(() => null);
      return s !== null && s.leaders.size === partitions && [...s.leaders.values()].every((l) => l >= 0) && [...s.isr.values()].every((i) => i.length === replicationFactor);
    },
    timeoutMs,
    `topic ${topic} to have leaders and full ISRs`,
    200,
  );
}

/** Each partition's end offset (ListOffsets latest: the high watermark) from its leader. */
export async function endOffsets(bootstrap: string, topic: string, addressOf: (node: number) => string): Promise<Map<number, number>> {
  const state = await topicState(bootstrap, topic);
  const out = new Map<number, number>();
  for (const [partition, leader] of state.leaders) {
    if (leader < 0) throw new Error(`${topic}-${partition} has no leader`);
    const offset = await onAnyNode(addressOf(leader), async (conn) => {
      const res = await conn.send(ApiKey.ListOffsets, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }],
        timeoutMs: 10_000,
      });
      const p = res.topics[0]?.partitions[0];
      if (!p || p.errorCode !== ErrorCode.NONE) throw new Error(`ListOffsets ${topic}-${partition}: ${p ? errorInfo(p.errorCode).name : 'no answer'}`);
      return Number(p.offset);
    });
    out.set(partition, offset);
  }
  return out;
}

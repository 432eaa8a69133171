/**
 * kafka-topics --describe: each topic's summary line and one line per partition, as Kafka 4's
 * TopicCommand prints them, and the replication reports that keep only some partitions:
 *
 *   Topic: T	TopicId: <id>	PartitionCount: N	ReplicationFactor: R	Configs: k=v,...
 *   	Topic: T	Partition: P	Leader: L|none	Replicas: a,b	Isr: a,b[	Adding Replicas: x	Removing Replicas: y]	Elr: ...|N/A	LastKnownElr: ...|N/A
 *
 * Elr and LastKnownElr read N/A when the broker does not report eligible leader replicas (it lacks
 * DescribeTopicPartitions). A partition being reassigned shows the replicas it adds and removes;
 * its replication factor is then that of its target. With a report flag only the partitions it
 * picks are printed, without summary lines; several report flags pick the union:
 *   --under-replicated-partitions  ISR smaller than the replication factor
 *   --under-min-isr-partitions     no leader, or ISR smaller than min.insync.replicas
 *   --at-min-isr-partitions        ISR exactly min.insync.replicas
 *   --unavailable-partitions       no leader, or the leader is not a live broker
 * --topics-with-overrides prints only the summary of topics with a non-default config. Configs are
 * listed in the order Kafka's tool lists them (that of a Java HashMap); topics in name order.
 */
import { ZERO_UUID } from '../protocol/primitives/index.js';
import type { Admin, ConfigEntry, PartitionDescription, PartitionReassignment, TopicDescription } from '../client/admin.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import { ErrorCode } from '../protocol/errors.js';
import type { CommandIO } from './common.js';
import { javaHashMapOrder } from './java-order.js';

export interface DescribeReports {
  underReplicatedPartitions?: boolean;
  underMinIsrPartitions?: boolean;
  atMinIsrPartitions?: boolean;
  unavailablePartitions?: boolean;
  topicsWithOverrides?: boolean;
}

/** Kafka's Uuid.toString: URL-safe base64 of the 16 bytes, without padding. */
export function kafkaUuid(id: string): string {
  return Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url');
}


/** The replication factor as the tool reports it: during a reassignment, that of its target. */
function replicationFactor(p: PartitionDescription, r: PartitionReassignment | undefined): number {
  const changing = new Set([...(r?.addingReplicas ?? []), ...(r?.removingReplicas ?? [])]);
  return r && p.replicas.some((x) => changing.has(x)) ? r.replicas.length - r.addingReplicas.length : p.replicas.length;
}

/** The ongoing reassignments of these partitions; none when the broker cannot say (as Kafka's tool). */
async function reassignmentsOf(admin: Admin, topics: readonly TopicDescription[]): Promise<Map<string, PartitionReassignment>> {
  const parts = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition })));
  try {
    const list = await admin.listPartitionReassignments(parts);
    return new Map(list.map((r) => [`${r.topic}\u0000${r.partition}`, r]));
  } catch (err) {
    if (err instanceof KafkaProtocolError && (err.code === ErrorCode.UNSUPPORTED_VERSION || err.code === ErrorCode.CLUSTER_AUTHORIZATION_FAILED)) return new Map();
    throw err;
  }
}

const ids = (xs: readonly number[]): string => xs.join(',');
const orNA = (xs: readonly number[] | null): string => (xs === null ? 'N/A' : ids(xs));

export function partitionLine(topic: string, p: PartitionDescription, r: PartitionReassignment | undefined): string {
  const moving = r ? `\tAdding Replicas: ${ids(r.addingReplicas)}\tRemoving Replicas: ${ids(r.removingReplicas)}` : '';
  return (
    `\tTopic: ${topic}\tPartition: ${p.partition}\tLeader: ${p.leader >= 0 ? p.leader : 'none'}\tReplicas: ${ids(p.replicas)}\tIsr: ${ids(p.isr)}` +
    `${moving}\tElr: ${orNA(p.elr)}\tLastKnownElr: ${orNA(p.lastKnownElr)}\n`
  );
}

/** Describes the topics `names` (in that order) on `io`. */
export async function describeTopics(admin: Admin, names: readonly string[], o: DescribeReports, io: CommandIO): Promise<void> {
  const topics = await admin.describeTopics(names);
  const configs = await admin.describeConfigs(topics.map((t) => ({ type: 'topic' as const, name: t.name })));
  const live = new Set((await admin.describeCluster()).brokers.map((b) => b.nodeId));
  const moves = await reassignmentsOf(admin, topics);
  const reporting = !!(o.underReplicatedPartitions || o.underMinIsrPartitions || o.atMinIsrPartitions || o.unavailablePartitions);
  for (const [i, t] of topics.entries()) {
    const entries: readonly ConfigEntry[] = configs[i]!.entries;
    const minIsr = Number(entries.find((e) => e.name === 'min.insync.replicas')?.value ?? '1');
    const moveOf = (p: PartitionDescription) => moves.get(`${t.name}\u0000${p.partition}`);
    if (!reporting) {
      // Kafka's tool prints a topic's configs from a HashMap: in its iteration order.
      const overridden = javaHashMapOrder(entries, (e) => e.name).filter((e) => !e.isDefault);
      if (!o.topicsWithOverrides || overridden.length > 0) {
        const first = t.partitions[0];
        const rf = first ? replicationFactor(first, moveOf(first)) : 0;
        const id = t.topicId !== ZERO_UUID ? `\tTopicId: ${kafkaUuid(t.topicId)}` : '';
        io.out(`Topic: ${t.name}${id}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${rf}\tConfigs: ${overridden.map((e) => `${e.name}=${e.value}`).join(',')}\n`);
      }
    }
    if (o.topicsWithOverrides) continue;
    for (const p of t.partitions) {
      const move = moveOf(p);
      const hasLeader = p.leader >= 0;
      const picked =
        !reporting ||
        (o.underReplicatedPartitions && replicationFactor(p, move) - p.isr.length > 0) ||
        (o.unavailablePartitions && (!hasLeader || !live.has(p.leader))) ||
        (o.underMinIsrPartitions && (!hasLeader || p.isr.length < minIsr)) ||
        (o.atMinIsrPartitions && p.isr.length === minIsr);
      if (picked) io.out(partitionLine(t.name, p, move));
    }
  }
}

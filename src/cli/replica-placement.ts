/**
 * Where --generate proposes to put a topic's replicas: Kafka's rack-unaware round robin. Partition
 * p's first replica is broker (start + p) mod n; its followers are the brokers that come next at a
 * distance that grows by one every n partitions, so leaders and followers both spread evenly and
 * no broker follows the same leader for every partition. `start` and `shift` are drawn at random
 * unless given, as in Kafka, so two runs may propose different (equally balanced) placements.
 */

/** The error Kafka's controller gives when a replication factor exceeds the brokers available. */
export class PlacementError extends Error {}

export function placeReplicas(
  brokers: readonly number[],
  partitions: number,
  replicationFactor: number,
  rand: { start?: number; shift?: number } = {},
): number[][] {
  const n = brokers.length;
  if (replicationFactor > n) {
    throw new PlacementError(
      `The target replication factor of ${replicationFactor} cannot be reached because only ${n} broker(s) are registered or some brokers have all their log directories cordoned.`,
    );
  }
  const sorted = [...brokers].sort((a, b) => a - b);
  const start = rand.start ?? Math.floor(Math.random() * n);
  let shift = rand.shift ?? Math.floor(Math.random() * n);
  const out: number[][] = [];
  for (let p = 0; p < partitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const first = (p + start) % n;
    const replicas = [sorted[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) replicas.push(sorted[(first + 1 + ((shift + j) % (n - 1))) % n]!);
    out.push(replicas);
  }
  return out;
}

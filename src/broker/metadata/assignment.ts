/**
 * Replica placement for new topics and partitions in a cluster, as Kafka spreads them without
 * racks: the first replica of partition p goes to broker (start + p) mod n, so leaders are
 * spread evenly; the other replicas follow it at a distance (shift) that grows each time the
 * partitions wrap around the brokers, so the followers of one broker's leaders are spread over
 * the others rather than always the same ones. `start` is random for a new topic (many topics
 * do not all lead on the first broker) and continues the existing layout when partitions are
 * added.
 */
export function assignReplicas(brokers: readonly number[], partitions: number, replicationFactor: number, opts: { start: number; firstPartition?: number }): number[][] {
  const ids = [...brokers].sort((a, b) => a - b);
  const n = ids.length;
  if (replicationFactor > n) throw new RangeError(`replication factor ${replicationFactor} is larger than the ${n} available brokers`);
  const out: number[][] = [];
  const first = opts.firstPartition ?? 0;
  for (let i = 0; i < partitions; i++) {
    const p = first + i;
    const leaderIndex = (opts.start + p) % n;
    const shift = 1 + (Math.floor(p / n) % Math.max(1, n - 1));
    const replicas = [ids[leaderIndex]!];
    for (let r = 1; r < replicationFactor; r++) {
      // Offsets 1..n-1 from the leader; the shift varies them per wrap, never hitting the leader.
      const offset = 1 + ((shift - 1 + r - 1) % (n - 1));
      replicas.push(ids[(leaderIndex + offset) % n]!);
    }
    out.push(replicas);
  }
  return out;
}

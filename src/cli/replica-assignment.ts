/**
 * kafka-topics' --replica-assignment: `b1:b2,b3:b4,...`, one colon-separated broker list per
 * partition in partition order, the first broker of each the preferred leader. As Kafka's tool,
 * every partition must have the same number of replicas and no broker twice.
 */

/** A malformed assignment: the tool reports it as a failed command, as Kafka's does. */
export class AssignmentError extends Error {}

/** Java's List.toString, for messages that quote a list as Kafka's do: `[1, 2]`. */
export function javaList(items: readonly unknown[]): string {
  return `[${items.join(', ')}]`;
}

function brokerId(text: string): number {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t) || !Number.isSafeInteger(Number(t))) throw new AssignmentError(`For input string: "${t}"`);
  return Number(t);
}

/** The broker ids that occur more than once, in first-seen order. */
export function duplicates<T>(items: readonly T[]): T[] {
  const seen = new Set<T>();
  const dup = new Set<T>();
  for (const x of items) (seen.has(x) ? dup : seen).add(x);
  return [...dup];
}

export function parseReplicaAssignment(spec: string): number[][] {
  const out: number[][] = [];
  for (const [p, part] of spec.split(',').entries()) {
    const brokers = part.split(':').map(brokerId);
    const dup = duplicates(brokers);
    if (dup.length > 0) throw new AssignmentError(`Partition replica lists may not contain duplicate entries: ${dup.join(',')}`);
    if (out.length > 0 && brokers.length !== out[0]!.length) throw new AssignmentError(`Partition ${p} has different replication factor: ${javaList(brokers)}`);
    out.push(brokers);
  }
  return out;
}

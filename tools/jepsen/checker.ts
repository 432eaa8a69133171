/**
 * The checker of the queue workload: pure functions from a History to the anomalies it shows and
 * the run's throughput and availability figures.
 *
 * - lost: an acknowledged write that the final read (every partition, start to end) never saw.
 * - duplicate: one value at two or more positions (partition, offset) across all reads.
 * - inconsistent offset: two different values seen at one position, across consumers and reads,
 *   counting an acknowledgement as a sighting of its value at its position.
 * - misplaced: an acknowledged write read back, but at another position than the acknowledged one.
 * - non-monotonic: within one consumer session, a partition's offset did not rise from one record
 *   to the next in poll order (went back, or repeated).
 * - unexpected: a value read that no producer ever attempted.
 * Indeterminate writes are neither lost when absent nor anomalous when present: they are counted.
 */
import type { History, ReadOp, WriteOp } from './history.js';

export interface Position {
  partition: number;
  offset: number;
}

export interface Anomalies {
  lost: Array<{ value: string } & Position>;
  duplicates: Array<{ value: string; positions: Position[] }>;
  inconsistentOffsets: Array<Position & { values: string[]; seenBy: string[] }>;
  misplaced: Array<{ value: string; acknowledged: Position; read: Position[] }>;
  nonMonotonic: Array<{ consumer: string; session: number; partition: number; previous: number; next: number; atMs: number }>;
  unexpected: Array<{ value: string } & Position>;
}

export type AnomalyKind = keyof Anomalies;
export const ANOMALY_KINDS: readonly AnomalyKind[] = ['lost', 'duplicates', 'inconsistentOffsets', 'misplaced', 'nonMonotonic', 'unexpected'];

export interface Stats {
  attempted: number;
  acknowledged: number;
  indeterminate: number;
  /** Indeterminate writes that the final read found (they were written after all). */
  indeterminateFound: number;
  /** Records in the final read. */
  finalRecords: number;
  /** Records the consumers saw during the run. */
  consumedRecords: number;
  workloadSeconds: number;
  /** Acknowledged writes per second over the workload window. */
  ackedPerSecond: number;
  /** The longest stretch of the workload window without an acknowledgement (window edges count). */
  longestGapMs: number;
  longestGapFromMs: number;
  /** The same for each partition alone (a partition without a leader stalls while others go on). */
  longestPartitionGapMs: number;
  longestPartitionGapFromMs: number;
  longestPartitionGapPartition: number;
  /** The slowest acknowledgement, send to answer: a client that hangs shows here. */
  slowestAckMs: number;
  /** Writes that never got an answer (still pending when the run ended). */
  unanswered: number;
}

const posKey = (partition: number, offset: number): string => `${partition}:${offset}`;

export function lostWrites(writes: readonly WriteOp[], finalReads: readonly ReadOp[]): Anomalies['lost'] {
  const seen = new Set(finalReads.map((r) => r.value));
  return writes.filter((w) => w.outcome === 'ok' && !seen.has(w.value)).map((w) => ({ value: w.value, partition: w.partition, offset: w.offset ?? -1 }));
}

export function duplicates(reads: readonly ReadOp[]): Anomalies['duplicates'] {
  const at = new Map<string, Map<string, Position>>();
  for (const r of reads) {
    let m = at.get(r.value);
    if (!m) at.set(r.value, (m = new Map()));
    m.set(posKey(r.partition, r.offset), { partition: r.partition, offset: r.offset });
  }
  const out: Anomalies['duplicates'] = [];
  for (const [value, m] of at) if (m.size > 1) out.push({ value, positions: [...m.values()].sort(byPosition) });
  return out;
}

export function inconsistentOffsets(reads: readonly ReadOp[], writes: readonly WriteOp[]): Anomalies['inconsistentOffsets'] {
  const at = new Map<string, { partition: number; offset: number; values: Map<string, Set<string>> }>();
  const note = (partition: number, offset: number, value: string, who: string): void => {
    const k = posKey(partition, offset);
    let e = at.get(k);
    if (!e) at.set(k, (e = { partition, offset, values: new Map() }));
    let s = e.values.get(value);
    if (!s) e.values.set(value, (s = new Set()));
    s.add(who);
  };
  for (const r of reads) note(r.partition, r.offset, r.value, r.consumer);
  for (const w of writes) if (w.outcome === 'ok' && w.offset !== undefined) note(w.partition, w.offset, w.value, `ack:${w.producer}`);
  const out: Anomalies['inconsistentOffsets'] = [];
  for (const e of at.values()) {
    if (e.values.size < 2) continue;
    const values = [...e.values.keys()].sort();
    const seenBy = values.map((v) => `${v} <- ${[...e.values.get(v)!].sort().join(',')}`);
    out.push({ partition: e.partition, offset: e.offset, values, seenBy });
  }
  return out.sort(byPosition);
}

export function misplaced(writes: readonly WriteOp[], reads: readonly ReadOp[]): Anomalies['misplaced'] {
  const where = new Map<string, Map<string, Position>>();
  for (const r of reads) {
    let m = where.get(r.value);
    if (!m) where.set(r.value, (m = new Map()));
    m.set(posKey(r.partition, r.offset), { partition: r.partition, offset: r.offset });
  }
  const out: Anomalies['misplaced'] = [];
  for (const w of writes) {
    if (w.outcome !== 'ok' || w.offset === undefined) continue;
    const m = where.get(w.value);
    if (!m) continue; // never read: lostWrites' business
    const elsewhere = [...m.values()].filter((p) => p.partition !== w.partition || p.offset !== w.offset);
    if (elsewhere.length > 0) out.push({ value: w.value, acknowledged: { partition: w.partition, offset: w.offset }, read: elsewhere.sort(byPosition) });
  }
  return out;
}

/** Reads must be in poll order per consumer (as recorded). */
export function nonMonotonic(reads: readonly ReadOp[]): Anomalies['nonMonotonic'] {
  const last = new Map<string, number>();
  const out: Anomalies['nonMonotonic'] = [];
  for (const r of reads) {
    const k = `${r.consumer}\u0000${r.session}\u0000${r.partition}`;
    const prev = last.get(k);
    if (prev !== undefined && r.offset <= prev) out.push({ consumer: r.consumer, session: r.session, partition: r.partition, previous: prev, next: r.offset, atMs: r.atMs });
    last.set(k, r.offset);
  }
  return out;
}

export function unexpected(writes: readonly WriteOp[], reads: readonly ReadOp[]): Anomalies['unexpected'] {
  const attempted = new Set(writes.map((w) => w.value));
  const out = new Map<string, { value: string } & Position>();
  for (const r of reads) if (!attempted.has(r.value)) out.set(`${r.value}@${posKey(r.partition, r.offset)}`, { value: r.value, partition: r.partition, offset: r.offset });
  return [...out.values()].sort(byPosition);
}

export function anomalies(h: History): Anomalies {
  const all = [...h.reads, ...h.finalReads];
  return {
    lost: lostWrites(h.writes, h.finalReads),
    duplicates: duplicates(all),
    inconsistentOffsets: inconsistentOffsets(all, h.writes),
    misplaced: misplaced(h.writes, all),
    nonMonotonic: nonMonotonic([...h.reads, ...h.finalReads]),
    unexpected: unexpected(h.writes, all),
  };
}

export function anomalyCount(a: Anomalies): number {
  return ANOMALY_KINDS.reduce((n, k) => n + a[k].length, 0);
}

export function stats(h: History): Stats {
  const finalValues = new Set(h.finalReads.map((r) => r.value));
  const acked = h.writes.filter((w) => w.outcome === 'ok' && w.endMs !== null);
  const inWindow = acked.filter((w) => w.endMs! >= h.startMs && w.endMs! <= h.endMs);
  const ackTimes = inWindow.map((w) => w.endMs!);
  const overall = longestGap(ackTimes, h.startMs, h.endMs);
  let worst = { gap: -1, from: h.startMs, partition: -1 };
  for (let p = 0; p < h.partitions; p++) {
    const g = longestGap(inWindow.filter((w) => w.partition === p).map((w) => w.endMs!), h.startMs, h.endMs);
    if (g.gap > worst.gap) worst = { ...g, partition: p };
  }
  const seconds = Math.max(0.001, (h.endMs - h.startMs) / 1000);
  const indeterminate = h.writes.filter((w) => w.outcome === 'info');
  return {
    attempted: h.writes.length,
    acknowledged: acked.length,
    indeterminate: indeterminate.length,
    indeterminateFound: indeterminate.filter((w) => finalValues.has(w.value)).length,
    finalRecords: h.finalReads.length,
    consumedRecords: h.reads.length,
    workloadSeconds: seconds,
    ackedPerSecond: ackTimes.length / seconds,
    longestGapMs: overall.gap,
    longestGapFromMs: overall.from - h.startMs,
    longestPartitionGapMs: Math.max(0, worst.gap),
    longestPartitionGapFromMs: worst.from - h.startMs,
    longestPartitionGapPartition: worst.partition,
    slowestAckMs: acked.reduce((m, w) => Math.max(m, w.endMs! - w.startMs), 0),
    unanswered: h.writes.filter((w) => w.endMs === null).length,
  };
}

/** The longest stretch of [start, end] with none of `times` in it. */
function longestGap(times: readonly number[], start: number, end: number): { gap: number; from: number } {
  let gap = 0;
  let from = start;
  let prev = start;
  for (const t of [...times].sort((a, b) => a - b).concat(end)) {
    if (t - prev > gap) {
      gap = t - prev;
      from = prev;
    }
    prev = t;
  }
  return { gap, from };
}

function byPosition(a: Position, b: Position): number {
  return a.partition - b.partition || a.offset - b.offset;
}

/**
 * The report of a run (and of several): anomaly counts with a few examples of each, throughput
 * and availability, the nemesis timeline, and the clients' errors, as text.
 */
import { ANOMALY_KINDS, anomalyCount, type Anomalies, type AnomalyKind, type Stats } from './checker.js';
import type { History } from './history.js';

export interface RunResult {
  run: number;
  broker: string;
  seed: number;
  startupMs: number;
  history: History;
  anomalies: Anomalies;
  stats: Stats;
  notes: string[];
  /** Set when the run could not be carried out (cluster did not start, ...). */
  failure?: string;
}

const LABEL: Record<AnomalyKind, string> = {
  lost: 'lost writes',
  duplicates: 'duplicates',
  inconsistentOffsets: 'inconsistent offsets',
  misplaced: 'misplaced (read at another offset than acknowledged)',
  nonMonotonic: 'non-monotonic polls',
  unexpected: 'unexpected values',
};

const s1 = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Whether a run passes: no anomaly, the final read complete, no failure. */
export function passed(r: RunResult): boolean {
  return !r.failure && r.history.finalReadComplete && anomalyCount(r.anomalies) === 0;
}

export function runReport(r: RunResult, examples = 5): string {
  const h = r.history;
  const s = r.stats;
  const out: string[] = [];
  out.push(`== run ${r.run} (${r.broker}, seed ${r.seed}): ${passed(r) ? 'PASS' : 'FAIL'}${r.failure ? ` - ${r.failure}` : ''}`);
  for (const n of r.notes) out.push(`   ${n}`);
  if (r.failure && h.writes.length === 0) return out.join('\n');
  out.push(`cluster ready after ${s1(r.startupMs)}; topic ${h.topic}: ${h.partitions} partitions; workload ${s.workloadSeconds.toFixed(1)} s`);
  out.push(
    `writes: ${s.attempted} attempted, ${s.acknowledged} acknowledged (${s.ackedPerSecond.toFixed(1)}/s), ` +
      `${s.indeterminate} indeterminate (${s.indeterminateFound} of them found in the final read), ${s.unanswered} never answered`,
  );
  out.push(
    `availability: longest gap without an acknowledgement ${s1(s.longestGapMs)} (from +${s1(s.longestGapFromMs)}), on one partition ${s1(s.longestPartitionGapMs)} ` +
      `(partition ${s.longestPartitionGapPartition}, from +${s1(s.longestPartitionGapFromMs)}); slowest acknowledgement ${s1(s.slowestAckMs)}`,
  );
  out.push(`reads: consumers saw ${s.consumedRecords} records during the run; final read ${s.finalRecords} records, ${h.finalReadComplete ? 'complete' : 'INCOMPLETE'}`);
  out.push(`anomalies: ${ANOMALY_KINDS.map((k) => `${LABEL[k].split(' (')[0]} ${r.anomalies[k].length}`).join(', ')}`);
  for (const k of ANOMALY_KINDS) {
    const list = r.anomalies[k] as readonly object[];
    if (list.length === 0) continue;
    out.push(`  ${LABEL[k]}: ${list.length}, e.g.`);
    for (const e of list.slice(0, examples)) out.push(`    ${JSON.stringify(e)}`);
  }
  if (h.nemesis.length > 0) {
    out.push('nemesis:');
    for (const e of h.nemesis) out.push(`  +${s1(e.atMs - h.startMs).padStart(7)} ${e.op}${e.node === null ? '' : ` node ${e.node}`}: ${e.detail}`);
  }
  const errs = Object.entries(h.clientErrors).sort((a, b) => b[1] - a[1]);
  if (errs.length > 0) {
    out.push('client errors (count, message with numbers as N):');
    for (const [m, n] of errs.slice(0, 12)) out.push(`  ${String(n).padStart(6)}  ${m}`);
  }
  return out.join('\n');
}

export function summary(results: readonly RunResult[]): string {
  const ok = results.filter(passed).length;
  const total = (k: AnomalyKind): number => results.reduce((n, r) => n + r.anomalies[k].length, 0);
  const rates = results.filter((r) => !r.failure).map((r) => r.stats.ackedPerSecond);
  const gaps = results.filter((r) => !r.failure).map((r) => `${s1(r.stats.longestGapMs)} (one partition ${s1(r.stats.longestPartitionGapMs)})`);
  return [
    `== ${results.length} run(s), ${ok} passed, ${results.length - ok} failed`,
    `anomalies in all: ${ANOMALY_KINDS.map((k) => `${LABEL[k].split(' (')[0]} ${total(k)}`).join(', ')}`,
    rates.length > 0 ? `acknowledged writes/s per run: ${rates.map((x) => x.toFixed(0)).join(', ')}; longest gaps without an acknowledgement: ${gaps.join(', ')}` : 'no run produced figures',
  ].join('\n');
}

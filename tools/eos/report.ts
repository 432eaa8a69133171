/**
 * The report of an exactly-once run, as text: PASS/FAIL, the anomalies with a few examples of
 * each, the figures (inputs, outputs, transactions by fate), the timeline of kills, and the
 * pipelines' errors.
 */
import { EOS_ANOMALY_KINDS, eosAnomalyCount, type EosAnomalyKind } from './checker.js';
import type { EosRunResult } from './run.js';

const LABEL: Record<EosAnomalyKind, string> = {
  lost: 'lost (an input with no committed output)',
  duplicated: 'duplicated (an input in two committed outputs)',
  abortedRead: 'aborted read (read_committed returned a record of an aborted or open transaction)',
  tornTransaction: 'torn transaction (read_committed shows part of a transaction)',
};

const s1 = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Passes: no anomaly, every read complete, no failure. */
export function eosPassed(r: EosRunResult): boolean {
  const c = r.history.complete;
  return !r.failure && c.input && c.committed && c.raw && eosAnomalyCount(r.anomalies) === 0;
}

export function eosReport(r: EosRunResult, examples = 5): string {
  const h = r.history;
  const s = r.stats;
  const out: string[] = [];
  const named = EOS_ANOMALY_KINDS.filter((k) => r.anomalies[k].length > 0);
  out.push(
    `== exactly-once pipeline (${r.broker}, seed ${r.seed}): ${eosPassed(r) ? 'PASS' : 'FAIL'}` +
      (named.length > 0 ? ` - ${named.map((k) => `${LABEL[k].split(' (')[0]} ${r.anomalies[k].length}`).join(', ')}` : '') +
      (r.failure ? ` - ${r.failure}` : ''),
  );
  for (const n of r.notes) out.push(`   ${n}`);
  for (const p of h.problems) out.push(`   PROBLEM: ${p}`);
  out.push(`input: ${s.acked} acknowledged, ${s.inputFailed} failed; ${s.inputRecords} records in the input log${h.complete.input ? '' : ' (INCOMPLETE read)'}`);
  out.push(
    `output: ${s.committedOutputs} records read_committed${h.complete.committed ? '' : ' (INCOMPLETE read)'}; raw log ${s.rawOutputs} records ` +
      `(${s.rawByFate.committed} committed, ${s.rawByFate.aborted} aborted, ${s.rawByFate.open} open, ${s.rawByFate.plain} not transactional)`,
  );
  out.push(
    `transactions: ${s.transactions.committed} committed, ${s.transactions.aborted} aborted, ${s.transactions.open} open, ${s.transactions.mixed} mixed (in the raw log); ` +
      `${s.recordsPerTransaction.toFixed(1)} records per committed transaction; the pipelines reported ${h.pipelineCommits} commits and ${h.pipelineAborts} aborts` +
      (s.unknownInput > 0 ? `; ${s.unknownInput} outputs name no input record` : ''),
  );
  out.push(`anomalies: ${EOS_ANOMALY_KINDS.map((k) => `${LABEL[k].split(' (')[0]} ${r.anomalies[k].length}`).join(', ')}`);
  for (const k of EOS_ANOMALY_KINDS) {
    const list = r.anomalies[k] as readonly object[];
    if (list.length === 0) continue;
    out.push(`  ${LABEL[k]}: ${list.length}, e.g.`);
    for (const e of list.slice(0, examples)) out.push(`    ${JSON.stringify(e)}`);
  }
  if (h.events.length > 0) {
    out.push('timeline:');
    for (const e of h.events) out.push(`  +${s1(e.atMs - h.startMs).padStart(7)} ${e.op}: ${e.detail}`);
  }
  const errs = Object.entries(r.pipelineErrors).sort((a, b) => b[1] - a[1]);
  if (errs.length > 0) {
    out.push('pipeline errors (count, message with numbers as N):');
    for (const [m, n] of errs.slice(0, 12)) out.push(`  ${String(n).padStart(6)}  ${m}`);
  }
  return out.join('\n');
}

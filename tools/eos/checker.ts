/**
 * The checker of the exactly-once pipeline test: a pure function from an EosHistory to the
 * anomalies it shows. Input records are identified by their position in the input log
 * ("partition:offset", which every output record carries in its `in` header), so a record the
 * input producer wrote twice is two inputs, each to be processed once.
 *
 * - abortedRead: a record the read_committed consumer returned that the raw log shows in an
 *   aborted transaction (or in one with no marker yet: an uncommitted read). Such records are
 *   set aside before the other checks, so that one fault is named once.
 * - lost: an input record with no committed output; or an acknowledged input that is not in the
 *   input log at all (the broker lost it before the pipeline could see it).
 * - duplicated: an input record with two or more committed outputs.
 * - tornTransaction: a transaction of which read_committed shows some records but not all that it
 *   wrote (its `txn-size` header), e.g. committed on one partition and aborted on another.
 */
import type { EosHistory, Fate, InputRecord, OutputRecord, RawRecord } from './history.js';

export interface OutputRef {
  partition: number;
  offset: number;
  txn: string | null;
}

export interface EosAnomalies {
  lost: Array<{ id: string; input: string; why: string }>;
  duplicated: Array<{ id: string; input: string; outputs: OutputRef[] }>;
  abortedRead: Array<OutputRef & { id: string | null; fate: Fate | 'not in the raw log' }>;
  tornTransaction: Array<{ txn: string; size: number; visible: number; fates: Partial<Record<Fate, number>>; visibleAt: OutputRef[] }>;
}

export type EosAnomalyKind = keyof EosAnomalies;
export const EOS_ANOMALY_KINDS: readonly EosAnomalyKind[] = ['lost', 'duplicated', 'abortedRead', 'tornTransaction'];

export interface EosStats {
  inputRecords: number;
  acked: number;
  inputFailed: number;
  committedOutputs: number;
  rawOutputs: number;
  rawByFate: Record<Fate, number>;
  /** Transactions seen in the raw log, by the fate of their records (mixed ones counted apart). */
  transactions: { committed: number; aborted: number; open: number; mixed: number };
  /** Mean records per committed transaction. */
  recordsPerTransaction: number;
  /** Output records whose `in` header names no input record (or is missing). */
  unknownInput: number;
}

const pos = (partition: number, offset: number): string => `${partition}:${offset}`;
const ref = (r: OutputRecord): OutputRef => ({ partition: r.partition, offset: r.offset, txn: r.txn });

function rawIndex(raw: readonly RawRecord[]): Map<string, RawRecord> {
  return new Map(raw.map((r) => [pos(r.partition, r.offset), r]));
}

/** Read_committed records the raw log shows aborted or undecided: [the anomalies, the rest]. */
export function abortedReads(committed: readonly OutputRecord[], raw: readonly RawRecord[], rawComplete = true): [EosAnomalies['abortedRead'], OutputRecord[]] {
  const fates = rawIndex(raw);
  const bad: EosAnomalies['abortedRead'] = [];
  const good: OutputRecord[] = [];
  for (const r of committed) {
    const x = fates.get(pos(r.partition, r.offset));
    if (x && (x.fate === 'aborted' || x.fate === 'open')) bad.push({ ...ref(r), id: r.key, fate: x.fate });
    else if (!x && rawComplete) bad.push({ ...ref(r), id: r.key, fate: 'not in the raw log' });
    else good.push(r);
  }
  return [bad, good];
}

/** Inputs with no output, or with several; plus acknowledged inputs missing from the input log. */
export function lostAndDuplicated(
  input: readonly InputRecord[],
  acked: readonly InputRecord[],
  outputs: readonly OutputRecord[],
): Pick<EosAnomalies, 'lost' | 'duplicated'> {
  const byInput = new Map<string, OutputRecord[]>();
  for (const o of outputs) {
    if (o.input === null) continue;
    let l = byInput.get(o.input);
    if (!l) byInput.set(o.input, (l = []));
    l.push(o);
  }
  const lost: EosAnomalies['lost'] = [];
  const duplicated: EosAnomalies['duplicated'] = [];
  const inLog = new Set<string>();
  for (const i of input) {
    const at = pos(i.partition, i.offset);
    inLog.add(at);
    const outs = byInput.get(at) ?? [];
    if (outs.length === 0) lost.push({ id: i.id, input: at, why: 'no committed output' });
    else if (outs.length > 1) duplicated.push({ id: i.id, input: at, outputs: outs.map(ref).sort(byRef) });
  }
  for (const a of acked) {
    const at = pos(a.partition, a.offset);
    if (!inLog.has(at)) lost.push({ id: a.id, input: at, why: 'acknowledged by the broker, not in the input log' });
  }
  return { lost, duplicated };
}

/** Transactions that read_committed shows only in part. */
export function tornTransactions(visible: readonly OutputRecord[], raw: readonly RawRecord[]): EosAnomalies['tornTransaction'] {
  const seen = new Map<string, OutputRecord[]>();
  for (const r of visible) {
    if (r.txn === null) continue;
    let l = seen.get(r.txn);
    if (!l) seen.set(r.txn, (l = []));
    l.push(r);
  }
  const fates = new Map<string, Partial<Record<Fate, number>>>();
  for (const r of raw) {
    if (r.txn === null) continue;
    let f = fates.get(r.txn);
    if (!f) fates.set(r.txn, (f = {}));
    f[r.fate] = (f[r.fate] ?? 0) + 1;
  }
  const out: EosAnomalies['tornTransaction'] = [];
  for (const [txn, recs] of seen) {
    const size = recs.find((r) => r.txnSize !== null)?.txnSize ?? null;
    if (size === null || recs.length === size) continue;
    out.push({ txn, size, visible: recs.length, fates: fates.get(txn) ?? {}, visibleAt: recs.map(ref).sort(byRef) });
  }
  return out.sort((a, b) => a.txn.localeCompare(b.txn));
}

export function checkEos(h: EosHistory): EosAnomalies {
  const [abortedRead, good] = abortedReads(h.committed, h.raw, h.complete.raw);
  return { ...lostAndDuplicated(h.input, h.acked, good), abortedRead, tornTransaction: tornTransactions(good, h.raw) };
}

export function eosAnomalyCount(a: EosAnomalies): number {
  return EOS_ANOMALY_KINDS.reduce((n, k) => n + a[k].length, 0);
}

export function eosStats(h: EosHistory): EosStats {
  const rawByFate: Record<Fate, number> = { committed: 0, aborted: 0, open: 0, plain: 0 };
  const txns = new Map<string, Set<Fate>>();
  for (const r of h.raw) {
    rawByFate[r.fate]++;
    if (r.txn === null) continue;
    let s = txns.get(r.txn);
    if (!s) txns.set(r.txn, (s = new Set()));
    s.add(r.fate);
  }
  const transactions = { committed: 0, aborted: 0, open: 0, mixed: 0 };
  for (const s of txns.values()) {
    if (s.size > 1) transactions.mixed++;
    else if (s.has('committed')) transactions.committed++;
    else if (s.has('aborted')) transactions.aborted++;
    else if (s.has('open')) transactions.open++;
  }
  const inputs = new Set(h.input.map((i) => pos(i.partition, i.offset)));
  return {
    inputRecords: h.input.length,
    acked: h.acked.length,
    inputFailed: h.inputFailed,
    committedOutputs: h.committed.length,
    rawOutputs: h.raw.length,
    rawByFate,
    transactions,
    recordsPerTransaction: transactions.committed > 0 ? rawByFate.committed / transactions.committed : 0,
    unknownInput: h.committed.filter((o) => o.input === null || !inputs.has(o.input)).length,
  };
}

function byRef(a: OutputRef, b: OutputRef): number {
  return a.partition - b.partition || a.offset - b.offset;
}

/**
 * The figures of the side-by-side benchmark (compare.ts) and their report: a Figure per workload
 * and broker run (Results) and its one-line description for the progress log, the table's rows
 * and the fields each shows, the median over repeats (agg: a failed repeat makes the cell its
 * error, never a number), number formatting, the markdown table with its Tributary/Kafka ratios,
 * and the description of the machine the run was on (CPU, memory, load, Java, Kafka, data dir).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { median } from './lib.js';
import { base, flags, kafkaVersion, N1, N2, NCTP, NE2E, NTXN, NX, root, sleep } from './compare-common.js';
import type { Kind } from './compare-brokers.js';

export interface Figure {
  recordsPerSec?: number;
  mbPerSec?: number;
  avgMs?: number;
  p50Ms?: number;
  p99Ms?: number;
  p999Ms?: number;
  brokerCpuS?: number;
  /** Records per transaction (the transactional loop). */
  recordsPerTxn?: number;
  records?: number;
  verified?: boolean;
  /** Why there is no figure. */
  error?: string;
}

export type Results = Record<string, Figure>;

export function describe(f: Figure): string {
  const parts: string[] = [];
  if (f.recordsPerSec !== undefined) parts.push(`${f.recordsPerSec.toFixed(0)} rec/s`);
  if (f.mbPerSec !== undefined) parts.push(`${f.mbPerSec.toFixed(1)} MB/s`);
  if (f.avgMs !== undefined) parts.push(`avg ${f.avgMs.toFixed(1)} ms`);
  if (f.p50Ms !== undefined) parts.push(`p50 ${f.p50Ms} p99 ${f.p99Ms} p99.9 ${f.p999Ms ?? '-'} ms`);
  if (f.recordsPerTxn !== undefined) parts.push(`${f.recordsPerTxn.toFixed(0)} records per transaction`);
  if (f.brokerCpuS !== undefined) parts.push(`broker CPU ${f.brokerCpuS.toFixed(2)} s`);
  if (f.verified !== undefined) parts.push(f.verified ? 'count verified' : 'COUNT MISMATCH');
  return parts.join(', ');
}


export function machine(): Record<string, string | number> {
  const memInfo = readFileSync('/proc/meminfo', 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(memInfo)?.[1] ?? 0);
  const governor = existsSync('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor')
    ? readFileSync('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor', 'utf8').trim()
    : 'not exposed (no cpufreq in this VM)';
  const java = spawnSync('java', ['-version']).stderr.toString().split('\n')[0] ?? '?';
  const commit = spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD']).stdout.toString().trim();
  const dirty = spawnSync('git', ['-C', root, 'status', '--porcelain', 'src']).stdout.toString().trim() !== '';
  const df = spawnSync('df', ['-hT', base]).stdout.toString().split('\n')[1]?.split(/\s+/) ?? [];
  return {
    date: new Date().toISOString(),
    commit: commit + (dirty ? ' (src/ has uncommitted changes)' : ''),
    cpu: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
    nproc: cpus().length,
    memTotalMB: Math.round(totalmem() / 1048576),
    memAvailableMB: Math.round(kb('MemAvailable') / 1024),
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    governor,
    node: process.version,
    java,
    kafka: kafkaVersion,
    dataDir: `${base} (${df[1] ?? '?'})`,
  };
}

/** Busy share of all CPUs over `ms`, from /proc/stat: other load on the machine before we start. */
export async function cpuBusy(ms: number): Promise<number> {
  const read = (): number[] => readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const a = read();
  await sleep(ms);
  const b = read();
  const d = b.map((x, i) => x - a[i]!);
  const total = d.reduce((s, x) => s + x, 0);
  const idle = d[3]! + d[4]!;
  return total > 0 ? 1 - idle / total : 0;
}

type Field = [keyof Figure, string, 'higher' | 'lower'];
const RECORDS_S: Field = ['recordsPerSec', 'records/s', 'higher'];
const MB_S: Field = ['mbPerSec', 'MB/s', 'higher'];
const P99: Field = ['p99Ms', 'p99 ms', 'lower'];
const CPU: Field = ['brokerCpuS', 'broker CPU s', 'lower'];
const PRODUCE: Field[] = [RECORDS_S, MB_S, ['avgMs', 'avg latency ms', 'lower'], P99, CPU];
const CONSUME: Field[] = [RECORDS_S, MB_S, CPU];
const LATENCY: Field[] = [['avgMs', 'avg ms', 'lower'], ['p50Ms', 'p50 ms', 'lower'], P99, ['p999Ms', 'p99.9 ms', 'lower']];

/** The table's rows (labels name the record counts configure() chose). */
export function rows(): Array<{ key: string; label: string; fields: Field[] }> {
  return [
    { key: 'startup', label: 'startup: spawn to first acked produce', fields: [['avgMs', 'ms', 'lower']] },
    {
      key: 'produce100',
      label: `1. produce ${N1 / 1e6}M x 100 B, 1 partition, acks=1 (ProducerPerformance)`,
      fields: [...PRODUCE.slice(0, 3), ['p50Ms', 'p50 ms', 'lower'], ...PRODUCE.slice(3)],
    },
    { key: 'rssW1', label: 'peak RSS (VmHWM) after warm-up + workload 1', fields: [['mbPerSec', 'MB', 'lower']] },
    {
      key: 'produce100Sasl',
      label: `1s. workload 1 over SASL_SSL (SCRAM-SHA-512, TLS, ProducerPerformance)`,
      fields: [...PRODUCE.slice(0, 3), ['p50Ms', 'p50 ms', 'lower'], ...PRODUCE.slice(3)],
    },
    { key: 'produce100all', label: `produce ${NX / 1e6}M x 100 B, 1 partition, acks=all`, fields: PRODUCE },
    { key: 'produce100lz4', label: `produce ${NX / 1e6}M x 100 B, 1 partition, acks=1, lz4`, fields: PRODUCE },
    { key: 'produce1k', label: `2. produce ${N2 / 1e3}k x 1 KB, 8 partitions, acks=all, lz4`, fields: PRODUCE },
    { key: 'consume', label: '3. consume workload 1 (ConsumerPerformance, group)', fields: CONSUME },
    { key: 'consumeSasl', label: '3s. consume workload 1 over SASL_SSL (ConsumerPerformance, group)', fields: CONSUME },
    { key: 'nodeConsume', label: '3b. consume workload 1 (Node client, 1 fetch in flight)', fields: CONSUME },
    { key: 'nodeConsumeSasl', label: '3bs. consume workload 1 over SASL_SSL (Node client, 1 fetch in flight)', fields: CONSUME },
    {
      key: 'nodeProduce',
      label: `1b. produce ${N1 / 1e6}M x 100 B acks=1 (Node client, 64 KB batches, 5 in flight)`,
      fields: [RECORDS_S, MB_S, ['p50Ms', 'p50 request ms', 'lower'], ['p99Ms', 'p99 request ms', 'lower'], CPU],
    },
    {
      key: 'nodeProduceSasl',
      label: `1bs. over SASL_SSL: produce ${N1 / 1e6}M x 100 B acks=1 (Node client, 64 KB batches, 5 in flight)`,
      fields: [RECORDS_S, MB_S, ['p50Ms', 'p50 request ms', 'lower'], ['p99Ms', 'p99 request ms', 'lower'], CPU],
    },
    { key: 'e2e', label: `4. end-to-end latency, ${NE2E} x 100 B (EndToEndLatency)`, fields: LATENCY },
    { key: 'nodeE2e', label: `4b. end-to-end latency, ${NE2E} x 100 B (Node client: produce acks=1, long-poll fetch)`, fields: LATENCY },
    {
      key: 'txnProduce',
      label: `6. produce ${NTXN / 1e3}k x 100 B, 1 partition, transactional, a commit every ${flags.transactionDurationMs} ms (ProducerPerformance)`,
      fields: [RECORDS_S, MB_S, ['avgMs', 'avg latency ms', 'lower'], P99, CPU],
    },
    {
      key: 'nodeCtp',
      label: `6b. consume-transform-produce ${NCTP / 1e3}k x 100 B, a transaction per fetched batch with its offsets (KafkaJS)`,
      fields: [RECORDS_S, ['p50Ms', 'commit p50 ms', 'lower'], ['p99Ms', 'commit p99 ms', 'lower'], ['recordsPerTxn', 'records per transaction', 'higher'], CPU],
    },
    { key: 'rssEnd', label: '5. peak RSS (VmHWM) over the whole run', fields: [['mbPerSec', 'MB', 'lower']] },
    { key: 'cpuTotal', label: 'broker CPU time over the whole run', fields: [['brokerCpuS', 's', 'lower']] },
  ];
}

/** The median of a field over repeats; null (with the errors) when any repeat failed. */
export function agg(runs: Results[], key: string, field: keyof Figure): { value: number | null; n: number; error?: string } {
  const figs = runs.map((r) => r[key]).filter((f): f is Figure => f !== undefined);
  const errors = figs.filter((f) => f.error).map((f) => f.error!);
  if (figs.length === 0) return { value: null, n: 0, error: 'not run' };
  if (errors.length > 0) return { value: null, n: figs.length, error: [...new Set(errors)].join('; ') };
  const xs = figs.map((f) => f[field]).filter((x): x is number => typeof x === 'number');
  if (xs.length === 0) return { value: null, n: 0, error: 'no figure' };
  return { value: median(xs), n: xs.length };
}

export function fmt(x: number | null): string {
  if (x === null) return 'n/a';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** The markdown report: the machine, one line per row and field (Tributary, Kafka, ratio T/K), then the main ratios on one line. */
export function table(m: Record<string, string | number>, all: Record<Kind, Results[]>): { text: string; ratios: Record<string, number | null> } {
  const out: string[] = [];
  out.push(`Tributary vs Apache Kafka ${kafkaVersion}, ${m.date}, commit ${m.commit}`);
  out.push(
    `Machine: ${m.cpu}, ${m.memTotalMB} MB RAM (${m.memAvailableMB} MB available), load average ${m.loadavg}, ${m.otherLoad}; CPU frequency scaling: ${m.governor}.`,
  );
  out.push(
    `Both brokers and the load generator share these ${m.nproc} cores; the brokers run one at a time. Data on ${m.dataDir}. ` +
      `Median of ${Math.min(all.kafka.length || Infinity, all.tributary.length || Infinity)} repeat(s). Ratio = Tributary / Kafka ` +
      `(throughput: higher is better for Tributary; latency, RSS, CPU, startup: lower is better).`,
  );
  out.push('');
  out.push('| workload | figure | Tributary | Apache Kafka | ratio T/K |');
  out.push('| --- | --- | ---: | ---: | ---: |');
  const ratios: Record<string, number | null> = {};
  for (const row of rows()) {
    // --workloads security: leave out the rows it did not run
    if (![...all.tributary, ...all.kafka].some((r) => r[row.key] !== undefined)) continue;
    for (const [field, unit] of row.fields) {
      const t = agg(all.tributary, row.key, field);
      const k = agg(all.kafka, row.key, field);
      const ratio = t.value !== null && k.value !== null && k.value !== 0 ? t.value / k.value : null;
      ratios[`${row.key}.${field}`] = ratio;
      const cell = (a: { value: number | null; error?: string }): string => (a.value !== null ? fmt(a.value) : `**${a.error ?? 'n/a'}**`);
      out.push(`| ${row.label} | ${unit} | ${cell(t)} | ${cell(k)} | ${ratio === null ? 'n/a' : ratio.toFixed(2)} |`);
    }
  }
  const r = (k: string): string => (ratios[k] == null ? 'n/a' : ratios[k]!.toFixed(2));
  out.push('');
  out.push(
    `ratio produce-100B=${r('produce100.recordsPerSec')} produce-1KB=${r('produce1k.recordsPerSec')} consume=${r('consume.recordsPerSec')} ` +
      `e2e-p99=${r('e2e.p99Ms')} rss=${r('rssW1.mbPerSec')} startup=${r('startup.avgMs')} consume-node=${r('nodeConsume.recordsPerSec')} e2e-p99-node=${r('nodeE2e.p99Ms')} ` +
      `txn-produce=${r('txnProduce.recordsPerSec')} ctp=${r('nodeCtp.recordsPerSec')} ctp-commit-p99=${r('nodeCtp.p99Ms')} ` +
      `produce-sasl-ssl=${r('produce100Sasl.recordsPerSec')} consume-sasl-ssl=${r('consumeSasl.recordsPerSec')} ` +
      `produce-node-sasl-ssl=${r('nodeProduceSasl.recordsPerSec')} consume-node-sasl-ssl=${r('nodeConsumeSasl.recordsPerSec')}`,
  );
  return { text: out.join('\n'), ratios };
}

// Log cleaner bench (issue 10): cleaner throughput in MB/s and the offset map's memory, and the
// latency of appends to another log while a cleaning runs, in the worker thread (the default) and
// on the main thread (log.cleaner runs inline), against an idle cleaner. In-process, no network:
// what moves the append latency is the event loop, which is what a cleaning could hold.
//
//   node dist/bench/cleaner.js [--records 300000] [--keys 5000] [--value-bytes 100] [--rate 2000]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { encodeRecordBatchSync } from '../src/protocol/records/index.js';
import { LogManager, type LogConfig } from '../src/storage/index.js';
import type { Log } from '../src/storage/log.js';
import { isEntryPoint, mb, parseFlags, percentile } from './lib.js';

const flags = parseFlags(process.argv.slice(2), { records: 300_000, keys: 5000, valueBytes: 100, rate: 2000, dedupeMb: 128 });

const COMPACT: Partial<LogConfig> = { compact: true, cleanupDelete: false, segmentBytes: 1024 * 1024, minCleanableRatio: 0.01, fileDeleteDelayMs: 0 };

async function fill(log: Log, now: number): Promise<void> {
  const value = 'x'.repeat(flags.valueBytes);
  for (let i = 0; i < flags.records; i += 100) {
    const recs = Array.from({ length: 100 }, (_, j) => ({ key: `key-${(i + j) % flags.keys}`, value }));
    await log.append(encodeRecordBatchSync({ records: recs, now }));
  }
}

interface Phase {
  name: string;
  appends: number;
  p50: number;
  p99: number;
  max: number;
  loopP99: number;
  loopMax: number;
  clean?: { mb: number; ms: number; mbps: number; mapMb: number; keys: number; slots: number; inThread: boolean };
}

/** Appends at `flags.rate` per second to `target` for as long as `during` runs (or `ms`). */
async function measure(name: string, target: Log, during: () => Promise<Phase['clean'] | undefined>): Promise<Phase> {
  const lat: number[] = [];
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  let stop = false;
  const batch = encodeRecordBatchSync({ records: [{ key: 'p', value: 'y'.repeat(200) }] });
  const producer = (async () => {
    const interval = 1000 / flags.rate;
    let next = performance.now();
    while (!stop) {
      next += interval;
      // Latency from when the append was due: a held event loop delays it (no coordinated omission).
      const due = Math.min(next - interval, performance.now());
      await target.append(batch);
      lat.push(performance.now() - due);
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  const clean = await during();
  stop = true;
  await producer;
  h.disable();
  lat.sort((a, b) => a - b);
  return {
    name,
    appends: lat.length,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    max: lat[lat.length - 1] ?? 0,
    loopP99: h.percentile(99) / 1e6,
    loopMax: h.max / 1e6,
    ...(clean ? { clean } : {}),
  };
}

async function run(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'trib-bench-cleaner-'));
  const phases: Phase[] = [];
  try {
    for (const inline of [false, true]) {
      const now = Date.now();
      const clock = { now };
      const dir = join(root, inline ? 'inline' : 'thread');
      const lm = await LogManager.open({
        logDirs: [dir],
        nodeId: 1,
        now: () => clock.now,
        retentionCheckIntervalMs: 0,
        cleaner: { enabled: false, dedupeBufferSize: flags.dedupeMb * 1024 * 1024, ...(inline ? { inline: true } : {}) },
      });
      const log = await lm.getOrCreateLog('compacted', 0, { config: COMPACT });
      const target = await lm.getOrCreateLog('produce', 0);
      await fill(log, now);
      clock.now += 8 * 24 * 3600_000;
      await log.append(encodeRecordBatchSync({ records: [{ key: 'roll', value: 'r' }], now: clock.now }));
      if (!inline) phases.push(await measure('idle cleaner', target, () => new Promise((r) => setTimeout(() => r(undefined), 3000))));
      phases.push(
        await measure(inline ? 'cleaning on the main thread' : 'cleaning in the worker thread', target, async () => {
          const logBytes = log.size;
          await lm.cleaner.cleanFilthiest();
          const r = lm.cleaner.reports.at(-1)!;
          const s = r.stats;
          return { mb: logBytes / 1048576, ms: s.elapsedMs, mbps: logBytes / 1048576 / (s.elapsedMs / 1000), mapMb: s.mapMemoryBytes / 1048576, keys: s.mapEntries, slots: s.mapSlots, inThread: r.inThread };
        }),
      );
      await lm.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  console.log(`log: ${flags.records} records of ${flags.valueBytes} B over ${flags.keys} keys; appends of 1 record at ${flags.rate}/s to another log meanwhile`);
  for (const p of phases) {
    console.log(
      `${p.name.padEnd(30)} appends ${String(p.appends).padStart(6)}  append p50 ${p.p50.toFixed(3)} ms  p99 ${p.p99.toFixed(3)} ms  max ${p.max.toFixed(1)} ms  event loop delay p99 ${p.loopP99.toFixed(1)} ms max ${p.loopMax.toFixed(1)} ms`,
    );
    if (p.clean) {
      const c = p.clean;
      console.log(
        `${''.padEnd(30)} cleaned ${c.mb.toFixed(1)} MB in ${c.ms.toFixed(0)} ms = ${c.mbps.toFixed(1)} MB/s of log; offset map ${c.mapMb.toFixed(0)} MB = ${c.slots} slots of 24 B, ${c.keys} keys used${c.inThread ? '' : ' [main thread]'}`,
      );
    }
  }
  console.log(`rss ${mb(process.memoryUsage().rss)}`);
}

if (isEntryPoint(import.meta.url)) await run();

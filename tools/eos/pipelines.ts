/**
 * The pipeline processes: N slots, each running EosTool pipeline with its own transactional id
 * (eos-pipeline-<slot>) in one consumer group. A slot whose process dies when nobody killed it
 * (a fatal error, a crash) is restarted after a pause, and that is recorded. The input offsets the
 * pipelines report committed tell the driver how far the committed output has got.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EosEvent } from './history.js';
import { spawnEosTool, type JavaEvent, type JavaProcess } from './java.js';

export interface PipelineOptions {
  root: string;
  dir: string;
  bootstrap: () => string;
  input: string;
  output: string;
  group: string;
  slots: number;
  maxPollRecords: number;
  transactionTimeoutMs: number;
  log: (line: string) => void;
  event: (e: Omit<EosEvent, 'atMs'>) => void;
}

export class Pipelines {
  /** Input partition -> the highest next offset any pipeline reported committed. */
  readonly committed = new Map<number, number>();
  commits = 0;
  aborts = 0;
  readonly errors = new Map<string, number>();
  private readonly procs: Array<JavaProcess | null>;
  private readonly killed = new Set<JavaProcess>();
  private stopping = false;
  private restarts: Array<Promise<void>> = [];
  /** Per slot: called at the next "open" event (a transaction open, part of it in the log). */
  private readonly openWaiters = new Map<number, () => void>();

  constructor(private readonly o: PipelineOptions) {
    this.procs = Array.from({ length: o.slots }, () => null);
  }

  startAll(): void {
    for (let i = 0; i < this.o.slots; i++) this.start(i);
  }

  running(slot: number): boolean {
    return this.procs[slot] !== null;
  }

  start(slot: number): void {
    if (this.procs[slot] || this.stopping) return;
    const txnId = `eos-pipeline-${slot}`;
    const p = spawnEosTool(
      this.o.root,
      [
        'pipeline',
        '--bootstrap', this.o.bootstrap(),
        '--input', this.o.input,
        '--output', this.o.output,
        '--group', this.o.group,
        '--transactional-id', txnId,
        '--max-poll-records', String(this.o.maxPollRecords),
        '--transaction-timeout-ms', String(this.o.transactionTimeoutMs),
      ],
      join(this.o.dir, `pipeline-${slot}.log`),
      (e) => this.onEvent(slot, e),
    );
    this.procs[slot] = p;
    void p.exited.then((code) => {
      if (this.procs[slot] === p) this.procs[slot] = null;
      if (this.killed.delete(p)) return;
      // 143: the JVM's exit after SIGTERM and its shutdown hook.
      if (this.stopping && (code === 0 || code === 143)) return;
      this.o.event({ op: 'pipeline-exit', detail: `slot ${slot} (${txnId}) exited by itself: ${code}` });
      if (!this.stopping) {
        // Restarted after a pause, so that a broker still down does not make it spin.
        this.restarts.push(new Promise<void>((r) => setTimeout(r, 1_000)).then(() => this.start(slot)));
      }
    });
  }

  private onEvent(slot: number, e: JavaEvent): void {
    appendFileSync(join(this.o.dir, `pipeline-${slot}.events`), JSON.stringify(e) + '\n');
    if (e.ev === 'open') {
      this.openWaiters.get(slot)?.();
      this.openWaiters.delete(slot);
    } else if (e.ev === 'commit') {
      this.commits++;
      for (const [p, next] of Object.entries(e.offsets as Record<string, number>)) {
        const part = Number(p);
        if ((this.committed.get(part) ?? -1) < next) this.committed.set(part, next);
      }
    } else if (e.ev === 'abort' || e.ev === 'fatal') {
      if (e.ev === 'abort') this.aborts++;
      const msg = `${e.ev}: ${String(e.err).replace(/\d+/g, 'N').slice(0, 160)}`;
      this.errors.set(msg, (this.errors.get(msg) ?? 0) + 1);
      if (e.ev === 'fatal') this.o.log(`pipeline ${slot}: ${e.ev} ${String(e.err)}`);
    }
  }

  /**
   * kill -9 of one slot's process; it is started again by `start`. With `midTransactionMs`, waits
   * that long at most for it to report a transaction open with records sent, and kills it then.
   * Returns the pid (null when it was not running) and whether a transaction was open.
   */
  async kill9(slot: number, midTransactionMs = 0): Promise<{ pid: number | null; midTransaction: boolean }> {
    let midTransaction = false;
    if (midTransactionMs > 0 && this.procs[slot]) {
      midTransaction = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          this.openWaiters.delete(slot);
          resolve(false);
        }, midTransactionMs);
        this.openWaiters.set(slot, () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    }
    const p = this.procs[slot];
    if (!p) return { pid: null, midTransaction: false };
    this.killed.add(p);
    p.child.kill('SIGKILL');
    await p.exited;
    return { pid: p.child.pid ?? null, midTransaction };
  }

  /** Whether every input partition's committed offset has reached `ends`. */
  caughtUp(ends: ReadonlyMap<number, number>): boolean {
    return [...ends].every(([p, end]) => end === 0 || (this.committed.get(p) ?? 0) >= end);
  }

  /** SIGTERM to every process (it ends between transactions), SIGKILL after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all(this.restarts);
    await Promise.all(
      this.procs.map(async (p) => {
        if (!p) return;
        p.child.kill('SIGTERM');
        const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
        await p.exited;
        clearTimeout(timer);
      }),
    );
  }

  killAllSync(): void {
    for (const p of this.procs) p?.child.kill('SIGKILL');
  }
}

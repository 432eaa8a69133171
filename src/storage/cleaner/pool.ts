/**
 * Where cleanings run: one worker thread per cleaner thread (log.cleaner.threads), so rewriting
 * segments never holds the broker's event loop. When no worker script can be found (an unusual
 * packaging), the cleaning runs on the main thread instead, its file I/O asynchronous.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { cleanLog, CleaningAbortedError } from './clean-log.js';
import type { CleanJob, CleanResult } from './job.js';

export interface WorkerRequest {
  id: number;
  job: CleanJob;
  /** A SharedArrayBuffer of one Int32: non-zero asks the cleaning to stop. */
  abort: SharedArrayBuffer;
}

export type WorkerReply = { id: number; result: CleanResult } | { id: number; error: { name: string; message: string; corrupt: boolean } };

/** The compiled worker next to this module (dist/src tree), or the bundle's (dist/cleaner-worker.mjs). */
function workerScript(): URL | undefined {
  for (const rel of ['./worker.js', './cleaner-worker.mjs']) {
    const u = new URL(rel, import.meta.url);
    if (existsSync(fileURLToPath(u))) return u;
  }
  return undefined;
}

/** A running cleaning: its result, and a way to stop it early. */
export interface RunningClean {
  result: Promise<CleanResult>;
  abort(): void;
}

export class CleanerWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: CleanResult) => void; reject: (e: Error) => void }>();
  private readonly script: URL | undefined;
  private closed = false;

  constructor(useThread = true) {
    this.script = useThread ? workerScript() : undefined;
  }

  /** True when cleanings run in a worker thread. */
  get inThread(): boolean {
    return this.script !== undefined;
  }

  /** The thread, started on the first cleaning (a broker without compacted topics never starts one). */
  private thread(): Worker | undefined {
    if (this.worker || !this.script || this.closed) return this.worker;
    const w = new Worker(this.script);
    w.unref();
    w.on('message', (m: WorkerReply) => this.onReply(m));
    w.on('error', (e) => this.failAll(e));
    w.on('exit', () => {
      if (this.worker === w) this.worker = undefined;
      this.failAll(new CleaningAbortedError());
    });
    this.worker = w;
    return w;
  }

  private onReply(m: WorkerReply): void {
    const w = this.waiting.get(m.id);
    if (!w) return;
    this.waiting.delete(m.id);
    if ('result' in m) w.resolve(m.result);
    else if (m.error.name === 'CleaningAbortedError') w.reject(new CleaningAbortedError());
    else {
      const e = new Error(m.error.message);
      e.name = m.error.corrupt ? 'CorruptSegmentError' : m.error.name;
      w.reject(e);
    }
  }

  private failAll(e: Error): void {
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  run(job: CleanJob): RunningClean {
    const abort = new SharedArrayBuffer(4);
    const flag = new Int32Array(abort);
    const stop = (): void => void Atomics.store(flag, 0, 1);
    const worker = this.thread();
    if (!worker) return { result: cleanLog(job, { aborted: () => Atomics.load(flag, 0) !== 0 }), abort: stop };
    const id = this.nextId++;
    const result = new Promise<CleanResult>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, job, abort } satisfies WorkerRequest);
    });
    return { result, abort: stop };
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}

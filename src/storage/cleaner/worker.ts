/**
 * The cleaner's worker thread: receives a CleanJob, cleans, answers with the CleanResult (or the
 * error). Shares nothing with the broker but the abort flag.
 */
import { parentPort } from 'node:worker_threads';
import { CorruptSegmentError } from './batch-io.js';
import { cleanLog } from './clean-log.js';
import type { WorkerReply, WorkerRequest } from './pool.js';

const port = parentPort;
if (port) {
  port.on('message', (req: WorkerRequest) => {
    const flag = new Int32Array(req.abort);
    cleanLog(req.job, { aborted: () => Atomics.load(flag, 0) !== 0, reuseMap: true }).then(
      (result) => port.postMessage({ id: req.id, result } satisfies WorkerReply),
      (e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        port.postMessage({ id: req.id, error: { name: err.name, message: err.message, corrupt: e instanceof CorruptSegmentError } } satisfies WorkerReply);
      },
    );
  });
}

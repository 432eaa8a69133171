// Child process for the cleaner's kill -9 test: opens the log dir, prints "start", cleans the
// compacted log once (in the cleaner's worker thread), prints "done <ms>", then waits to be killed.
import { performance } from 'node:perf_hooks';
import { openManager, T0 } from './cleaner-log.js';

const dir = process.argv[2]!;
const clock = { now: T0 + 9 * 24 * 3600 * 1000 };
const lm = await openManager(dir, clock);
process.stdout.write('start\n');
const t0 = performance.now();
await lm.cleaner.cleanFilthiest();
process.stdout.write(`done ${(performance.now() - t0).toFixed(1)}\n`);
setInterval(() => undefined, 1000);

// Child process for the kill -9 test: appends with flush.messages=1 and prints every acknowledged
// append as "ack <seq> <baseOffset> <lastOffset>" until it is killed.
import { Log } from '../../../src/storage/index.js';
import { valueBatch } from './storage-batches.js';

const dir = process.argv[2]!;
const inflight = Number(process.argv[3] ?? '4');
const log = await Log.open(dir, { topic: 'kill', partition: 0, config: { flushMessages: 1, segmentBytes: 64 * 1024 }, recoveryPoint: 0 });
let seq = log.logEndOffset; // one record per batch: sequence == offset on a fresh log
const worker = async (): Promise<void> => {
  for (;;) {
    const s = seq++;
    const b = valueBatch([`value-${s}-${'x'.repeat(s % 700)}`], { producerId: 42n, producerEpoch: 0, baseSequence: s });
    const r = await log.append(b);
    process.stdout.write(`ack ${s} ${r.baseOffset} ${r.lastOffset}\n`);
  }
};
process.stdout.write('ready\n');
await Promise.all(Array.from({ length: inflight }, worker));

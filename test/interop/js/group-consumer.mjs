// A KafkaJS 2.2.4 group member driven by the interop suite's group tests (test_groups_*.py). It
// subscribes to one topic in a group and prints one JSON object a line on stdout:
//   {"ev":"start","client":"kafkajs 2.2.4","pid":...}
//   {"ev":"assigned","parts":[...],"owned":[...]}       (GROUP_JOIN: KafkaJS rebalances eagerly)
//   {"ev":"rec","p":partition,"o":offset,"v":"value"}   one per record processed
//   {"ev":"committed","offsets":{"p":next}}  {"ev":"crash",...}  {"ev":"closed"}
// Modes (--mode):
//   watch  eachMessage with KafkaJS's default auto commit; prints records.
//   amo    at-most-once: autoCommit on with autoCommitThreshold 1 and a short autoCommitInterval;
//          for each record, resolveOffset() then commitOffsetsIfNecessary() (KafkaJS's auto-commit
//          step, no explicit commit) before processing it.
//   alo    at-least-once: autoCommit off; process the batch, then commitOffsets() for it.
// --crash-at N SIGKILLs the process at its N-th record: in amo after the commit and before
// processing, in alo after processing and before the commit. SIGTERM disconnects (LeaveGroup).
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const require = createRequire(import.meta.url);
const VERSION = require('kafkajs/package.json').version;

const opts = { mode: 'watch', 'session-ms': '6000', 'heartbeat-ms': '1000', 'crash-at': '0', 'process-ms': '0' };
const argv = process.argv.slice(2);
for (let i = 0; i + 1 < argv.length; i += 2) {
  if (!argv[i].startsWith('--')) throw new Error(`expected --option, got ${argv[i]}`);
  opts[argv[i].slice(2)] = argv[i + 1];
}
for (const k of ['bootstrap', 'topic', 'group']) if (!opts[k]) throw new Error(`--${k} is required`);
const { topic, mode } = opts;
const crashAt = Number(opts['crash-at']);
const processMs = Number(opts['process-ms']);
if (!['watch', 'amo', 'alo'].includes(mode)) throw new Error(`unknown mode ${mode}`);

const out = (ev) => process.stdout.write(`${JSON.stringify(ev)}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function crash(fields) {
  out({ ev: 'crash', ...fields });
  // stdout to a pipe is asynchronous in Node: write the line out before the kill
  process.stdout.write('', () => process.kill(process.pid, 'SIGKILL'));
  return new Promise(() => {});
}

out({ ev: 'start', client: `kafkajs ${VERSION}`, pid: process.pid });
const kafka = new Kafka({
  clientId: `interop-kafkajs-${process.pid}`,
  brokers: opts.bootstrap.split(','),
  logLevel: logLevel.WARN,
  retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 },
});
const consumer = kafka.consumer({
  groupId: opts.group,
  sessionTimeout: Number(opts['session-ms']),
  heartbeatInterval: Number(opts['heartbeat-ms']),
  rebalanceTimeout: 30000,
  maxWaitTimeInMs: 200,
  retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 },
});
consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
  const parts = [...(payload.memberAssignment[topic] || [])].sort((a, b) => a - b);
  out({ ev: 'assigned', parts, owned: parts, generation: payload.generationId ?? null });
});
consumer.on(consumer.events.CRASH, ({ payload }) => {
  out({ ev: 'client-crash', error: String(payload.error), restart: payload.restart });
});

let stopping = false;
process.on('SIGTERM', async () => {
  if (stopping) return;
  stopping = true;
  await consumer.disconnect(); // LeaveGroup: the group rebalances at once
  out({ ev: 'closed' });
  process.stdout.write('', () => process.exit(0));
});

await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
let seen = 0;
const rec = (partition, m) => out({ ev: 'rec', p: partition, o: Number(m.offset), v: m.value.toString() });

if (mode === 'watch') {
  await consumer.run({ eachMessage: async ({ partition, message }) => rec(partition, message) });
} else {
  await consumer.run({
    autoCommit: mode === 'amo',
    autoCommitInterval: 50,
    autoCommitThreshold: 1,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      const { partition } = batch;
      let last = null;
      for (const m of batch.messages) {
        if (!isRunning() || isStale()) break;
        seen += 1;
        if (mode === 'amo') {
          resolveOffset(m.offset);
          await commitOffsetsIfNecessary(); // the auto commit: before the record is processed
          out({ ev: 'committed', offsets: { [partition]: Number(m.offset) + 1 } });
          if (seen === crashAt) await crash({ p: partition, o: Number(m.offset), when: 'committed, not processed', lost: [Number(m.offset)] });
        }
        if (processMs) await sleep(processMs);
        rec(partition, m);
        last = m.offset;
        if (mode === 'alo') resolveOffset(m.offset); // KafkaJS's fetch position; committed below
        if (mode === 'alo' && seen === crashAt) await crash({ p: partition, o: Number(m.offset), when: 'processed, not committed' });
        await heartbeat();
      }
      if (mode === 'alo' && last !== null) {
        const next = String(Number(last) + 1);
        await consumer.commitOffsets([{ topic, partition, offset: next }]);
        out({ ev: 'committed', offsets: { [partition]: Number(next) } });
      }
    },
  });
}

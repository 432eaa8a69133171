// Tributary's client library (dist/src) doing transactions against the broker under test, for
// test_transactions_tributary_client.py. One scenario per run, its findings printed as one JSON line:
//   node tributary-transactions.mjs --bootstrap H:P --scenario commit-abort|fencing|exactly-once|admin --prefix P [--tv 1]
import { Admin, Consumer, Producer, ProducerFencedError, runExactlyOnce } from '../../../dist/src/index.js';

const opts = {};
const argv = process.argv.slice(2);
for (let i = 0; i + 1 < argv.length; i += 2) opts[argv[i].replace(/^--/, '')] = argv[i + 1];
const bootstrap = opts.bootstrap;
const prefix = opts.prefix;
const tv = opts.tv === '1' ? { transactionVersion: 1 } : {};
const result = {};

const admin = await Admin.connect({ bootstrap });
const deadline = (ms) => Date.now() + ms;

/** Every record of a partition from the start, up to its (isolation-dependent) end. */
async function readAll(topic, partitions, isolationLevel, want = 0) {
  const c = await Consumer.connect({ bootstrap, isolationLevel, maxWaitMs: 100 });
  await c.assign(Array.from({ length: partitions }, (_v, partition) => ({ topic, partition, start: 'earliest' })));
  const out = [];
  const until = deadline(20_000);
  while (Date.now() < until) {
    out.push(...(await c.poll()).map((r) => r.value.toString()));
    if (out.length >= want) {
      // One more fetch: anything past what was expected shows up too.
      out.push(...(await c.poll()).map((r) => r.value.toString()));
      break;
    }
  }
  await c.close();
  return out;
}

async function createTopics(list) {
  await admin.createTopics(list.map(([name, partitions]) => ({ name, partitions, replicationFactor: 1 })));
}

if (opts.scenario === 'commit-abort') {
  const topic = `${prefix}-ca`;
  await createTopics([[topic, 2]]);
  const p = await Producer.connect({ bootstrap, transactionalId: `${prefix}-ca`, lingerMs: 1, ...tv });
  await p.initTransactions();
  result.transactionVersion = p.transactionVersion;
  const e0 = p.producerIdAndEpoch.epoch;
  p.beginTransaction();
  await p.send(topic, [{ value: 'c1', partition: 0 }, { value: 'c2', partition: 1 }]);
  await p.commitTransaction();
  result.epochBumps = [p.producerIdAndEpoch.epoch - e0];
  p.beginTransaction();
  await p.send(topic, [{ value: 'a1', partition: 0 }, { value: 'a2', partition: 1 }]);
  await p.abortTransaction();
  result.epochBumps.push(p.producerIdAndEpoch.epoch - e0);
  p.beginTransaction();
  await p.send(topic, [{ value: 'c3', partition: 0 }]);
  await p.commitTransaction();
  // An open transaction: read_committed stops below it.
  p.beginTransaction();
  await p.send(topic, [{ value: 'open', partition: 0 }]);
  await p.flush();
  result.readCommitted = (await readAll(topic, 2, 'read_committed', 3)).sort();
  result.readUncommitted = (await readAll(topic, 2, 'read_uncommitted', 6)).sort();
  await p.abortTransaction();
  await p.close();
} else if (opts.scenario === 'fencing') {
  const topic = `${prefix}-fence`;
  await createTopics([[topic, 1]]);
  const zombie = await Producer.connect({ bootstrap, transactionalId: `${prefix}-fence`, ...tv });
  await zombie.initTransactions();
  zombie.beginTransaction();
  await zombie.send(topic, { value: 'zombie' });
  const successor = await Producer.connect({ bootstrap, transactionalId: `${prefix}-fence`, ...tv });
  await successor.initTransactions();
  const err = await zombie.commitTransaction().then(() => null, (e) => e);
  result.zombieError = err?.name ?? null;
  result.fenced = err instanceof ProducerFencedError;
  result.zombieState = zombie.transactionState;
  await zombie.close();
  successor.beginTransaction();
  await successor.send(topic, { value: 'successor' });
  await successor.commitTransaction();
  await successor.close();
  result.readCommitted = await readAll(topic, 1, 'read_committed', 1);
} else if (opts.scenario === 'exactly-once') {
  const input = `${prefix}-in`;
  const output = `${prefix}-out`;
  const group = `${prefix}-group`;
  await createTopics([[input, 3], [output, 2]]);
  const feeder = await Producer.connect({ bootstrap });
  const n = 200;
  await feeder.send(input, Array.from({ length: n }, (_v, i) => ({ key: `k${i % 7}`, value: `v${i}` })));
  await feeder.close();
  const consumer = await Consumer.connect({ bootstrap, groupId: group, isolationLevel: 'read_committed', autoCommit: false, autoOffsetReset: 'earliest', maxWaitMs: 100, group: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500 } });
  const producer = await Producer.connect({ bootstrap, transactionalId: `${prefix}-eo`, lingerMs: 1, ...tv });
  const stop = new AbortController();
  let done = 0;
  const run = runExactlyOnce({ consumer, producer, inputTopics: [input], transform: (r) => ({ topic: output, key: r.key, value: `out-${r.value}` }), signal: stop.signal, onCommit: (b) => (done += b.records) });
  const until = deadline(60_000);
  while (done < n && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  stop.abort();
  result.summary = await run;
  await consumer.close();
  await producer.close();
  const got = await readAll(output, 2, 'read_committed', n);
  result.outputs = got.length;
  result.distinct = new Set(got).size;
  result.missing = Array.from({ length: n }, (_v, i) => `out-v${i}`).filter((v) => !got.includes(v));
  const committed = await admin.listConsumerGroupOffsets(group);
  result.committed = committed.reduce((s, o) => s + Number(o.offset), 0);
} else if (opts.scenario === 'admin') {
  const topic = `${prefix}-adm`;
  await createTopics([[topic, 1]]);
  const p = await Producer.connect({ bootstrap, transactionalId: `${prefix}-adm`, transactionTimeoutMs: 60_000, ...tv });
  await p.initTransactions();
  p.beginTransaction();
  await p.send(topic, [{ value: 'x' }, { value: 'y' }]);
  await p.flush();
  const listed = (await admin.listTransactions()).filter((t) => t.transactionalId === `${prefix}-adm`);
  result.listed = listed.map((t) => ({ state: t.state, producerId: String(t.producerId) }));
  result.producerId = String(p.producerIdAndEpoch.id);
  const [d] = await admin.describeTransactions([`${prefix}-adm`]);
  result.described = { state: d.state, timeout: d.transactionTimeoutMs, partitions: d.topicPartitions.map((x) => `${x.topic}-${x.partition}`), epoch: d.producerEpoch, open: d.transactionStartTimeMs >= 0n };
  result.epoch = p.producerIdAndEpoch.epoch;
  try {
    const [dp] = await admin.describeProducers([{ topic, partition: 0 }]);
    result.producers = dp.producers.map((x) => ({ producerId: String(x.producerId), epoch: x.producerEpoch, start: String(x.currentTxnStartOffset), lastSequence: x.lastSequence }));
    // Abort it as an operator would a hanging one: the ABORT marker from the leader.
    const mine = dp.producers.find((x) => x.producerId === p.producerIdAndEpoch.id);
    await admin.abortTransaction({ topic, partition: 0, producerId: mine.producerId, producerEpoch: mine.producerEpoch, coordinatorEpoch: Math.max(mine.coordinatorEpoch, 0) });
    const [after] = await admin.describeProducers([{ topic, partition: 0 }]);
    result.afterAbort = after.producers.map((x) => String(x.currentTxnStartOffset));
  } catch (e) {
    result.describeProducersError = e.errorName ?? e.message;
  }
  await p.close();
}
if (opts.scenario === 'hold') {
  // An open transaction for the tools to look at: prints its ids, holds it until stdin closes, aborts it.
  const topic = `${prefix}-hold`;
  await createTopics([[topic, 2]]);
  const p = await Producer.connect({ bootstrap, transactionalId: `${prefix}-hold`, transactionTimeoutMs: 300_000, ...tv });
  await p.initTransactions();
  p.beginTransaction();
  await p.send(topic, [{ value: 'x', partition: 1 }, { value: 'y', partition: 1 }]);
  await p.flush();
  process.stdout.write(JSON.stringify({ topic, transactionalId: `${prefix}-hold`, producerId: String(p.producerIdAndEpoch.id), epoch: p.producerIdAndEpoch.epoch }) + '\n');
  process.stdin.resume();
  await new Promise((r) => process.stdin.on('end', r));
  await p.abortTransaction().catch(() => undefined);
  await p.close();
}
await admin.close();
process.stdout.write(JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? String(v) : v)) + '\n');

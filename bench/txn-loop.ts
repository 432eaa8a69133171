/**
 * The transactional consume-transform-produce loop of bench:compare: reads `records` records of an
 * input topic as a read_committed group member, and for each fetched batch runs one transaction
 * (a fetched batch: bench:compare writes the input in 16 KB batches, about 150 records of 100 B) that writes value + "|out" for every record to the output topic and commits the batch's input
 * offsets with it (sendOffsets). Measures records/s over the loop and the latency of every commit
 * call (p50/p99).
 *
 * The loop is written against `CtpClient`, so that the client doing it can change: KafkaJS 2.2.4's
 * transactions today; our client library's producer transactions when they land (issue 9's
 * client part), as a second implementation of the same interface.
 */
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

export interface CtpBatch {
  partition: number;
  /** The next offset to consume after this batch: what the transaction commits for the group. */
  nextOffset: bigint;
  values: Array<Buffer | null>;
}

/** What the loop needs of a client: batches in, one transaction per batch out. */
export interface CtpClient {
  /** Starts consuming; `onBatch` is awaited before the next batch is fetched. */
  run(onBatch: (b: CtpBatch) => Promise<void>): Promise<void>;
  /** One transaction: `values` to the output topic, the input offset with it, then commit; resolves after commit, with the commit call's duration. */
  transact(outputTopic: string, values: Array<Buffer | null>, input: { topic: string; partition: number; nextOffset: bigint }): Promise<number>;
  close(): Promise<void>;
}

export interface CtpOptions {
  bootstrap: string;
  input: string;
  output: string;
  group: string;
  transactionalId: string;
  records: number;
  timeoutMs: number;
}

export interface CtpResult {
  records: number;
  transactions: number;
  recordsPerSec: number;
  commitP50Ms: number;
  commitP99Ms: number;
}

export function kafkajsCtpClient(o: CtpOptions): CtpClient {
  const kafka = new Kafka({ clientId: 'bench-ctp', brokers: [o.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  const producer = kafka.producer({ transactionalId: o.transactionalId, idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: o.group, readUncommitted: false, maxBytesPerPartition: 16_384 });
  return {
    async run(onBatch) {
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topic: o.input, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning }) => {
          if (!isRunning() || batch.messages.length === 0) return;
          const last = batch.messages[batch.messages.length - 1]!;
          await onBatch({ partition: batch.partition, nextOffset: BigInt(last.offset) + 1n, values: batch.messages.map((m) => m.value) });
          resolveOffset(last.offset);
          await heartbeat();
        },
      });
    },
    async transact(outputTopic, values, input) {
      const t = await producer.transaction();
      try {
        await t.send({ topic: outputTopic, messages: values.map((v) => ({ value: v === null ? null : Buffer.concat([v, Buffer.from('|out')]) })) });
        await t.sendOffsets({ consumerGroupId: o.group, topics: [{ topic: input.topic, partitions: [{ partition: input.partition, offset: String(input.nextOffset) }] }] });
        const s = performance.now();
        await t.commit();
        return performance.now() - s;
      } catch (err) {
        await t.abort().catch(() => undefined);
        throw err;
      }
    },
    async close() {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
    },
  };
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Runs the loop until `o.records` input records went through committed transactions. */
export async function ctpLoop(client: CtpClient, o: CtpOptions): Promise<CtpResult> {
  const commits: number[] = [];
  let done = 0;
  let start = 0;
  let finish!: () => void;
  let fail!: (e: Error) => void;
  const finished = new Promise<void>((res, rej) => ((finish = res), (fail = rej)));
  const timer = setTimeout(() => fail(new Error(`the loop did ${done} of ${o.records} records in ${o.timeoutMs / 1000} s`)), o.timeoutMs);
  try {
    await client.run(async (b) => {
      if (done >= o.records) return;
      if (start === 0) start = performance.now();
      try {
        commits.push(await client.transact(o.output, b.values, { topic: o.input, partition: b.partition, nextOffset: b.nextOffset }));
      } catch (err) {
        fail(err as Error);
        return;
      }
      done += b.values.length;
      if (done >= o.records) finish();
    });
    await finished;
  } finally {
    clearTimeout(timer);
    await client.close();
  }
  const ms = performance.now() - start;
  const sorted = [...commits].sort((a, b) => a - b);
  return { records: done, transactions: commits.length, recordsPerSec: (done * 1000) / ms, commitP50Ms: percentile(sorted, 0.5), commitP99Ms: percentile(sorted, 0.99) };
}

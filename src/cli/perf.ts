/**
 * The perf-test tools, with Kafka's flags and output, on the client library:
 *
 * `tributary producer-perf-test` / `bin/kafka-producer-perf-test.sh` (Kafka's ProducerPerformance):
 *   --topic T --num-records N --record-size S --throughput R (-1: unthrottled)
 *   (--command-property | --producer-props) k=v ... [--command-config | --producer.config F]
 *   Every 5 s: "N records sent, X records/sec (Y MB/sec), Z ms avg latency, W ms max latency.";
 *   at the end the same with the 50th, 95th, 99th and 99.9th percentile latencies.
 *
 * `tributary consumer-perf-test` / `bin/kafka-consumer-perf-test.sh` (Kafka's ConsumerPerformance):
 *   --bootstrap-server H:P --topic T --num-records N (--messages, deprecated) [--group G]
 *   [--timeout ms] [--from-latest] [--hide-header]
 *   One CSV line under Kafka's header: start and end time, MB and records consumed and their rates,
 *   the time the group took to assign partitions, and the rates over the fetching time alone.
 */
import type { Command } from 'commander';
import { securityOptions } from './security-props.js';
import { Consumer } from '../client/consumer.js';
import { Producer, type CompressionName } from '../client/producer.js';
import { collect, firstBootstrap, Outstanding, parseFlags, processIO, readProperties, toolCommand, usageFailure, UsageError, type CommandIO } from './common.js';

const MB = 1024 * 1024;

function count(v: string | undefined, flag: string, allowNegative = false): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || (!allowNegative && n < 0)) throw new UsageError(`--${flag} must be an integer, got ${JSON.stringify(v)}`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Producer

interface ProducerPerfOptions {
  topic?: string;
  numRecords?: string;
  recordSize?: string;
  throughput?: string;
  producerProps: string[];
  commandProperty: string[];
  'producer.config'?: string;
  commandConfig?: string;
  bootstrapServer?: string;
}

function producerProgram(io: CommandIO): Command {
  return toolCommand('kafka-producer-perf-test', 'A tool to verify the producer performance.', io)
    .option('--topic <TOPIC>', 'REQUIRED: produce messages to this topic.')
    .option('--num-records <NUM-RECORDS>', 'REQUIRED: number of messages to produce.')
    .option('--record-size <RECORD-SIZE>', 'REQUIRED: message size in bytes.')
    .option('--throughput <THROUGHPUT>', 'REQUIRED: throttle to about THROUGHPUT messages/sec; -1 for none.')
    .option('--command-property <PROP-NAME=PROP-VALUE...>', 'Producer properties (bootstrap.servers, acks, linger.ms, batch.size, compression.type, ...).', collect, [] as string[])
    .option('--producer-props <PROP-NAME=PROP-VALUE...>', 'DEPRECATED, use --command-property instead.', collect, [] as string[])
    .option('--command-config <CONFIG-FILE>', 'Producer config properties file.')
    .option('--producer.config <CONFIG-FILE>', 'DEPRECATED, use --command-config instead.')
    .option('--bootstrap-server <BOOTSTRAP-SERVERS>', 'The server(s) to connect to (or bootstrap.servers in the properties).');
}

/** A latency line as Kafka prints it. */
function perfLine(n: number, ms: number, bytes: number, lat: { sum: number; max: number }): string {
  const rate = (n * 1000) / Math.max(ms, 1);
  return `${n} records sent, ${rate.toFixed(6)} records/sec (${((bytes * 1000) / Math.max(ms, 1) / MB).toFixed(2)} MB/sec), ${(lat.sum / Math.max(n, 1)).toFixed(2)} ms avg latency, ${lat.max.toFixed(2)} ms max latency`;
}

export async function producerPerfCommand(argv: readonly string[], io: CommandIO = processIO): Promise<number> {
  const cmd = producerProgram(io);
  const o = parseFlags<ProducerPerfOptions>(cmd, argv);
  if (typeof o === 'number') return o;
  let producer: Producer;
  let n: number;
  let size: number;
  let throughput: number;
  try {
    if (!o.topic) throw new UsageError('Missing required argument "--topic"');
    n = count(o.numRecords, 'num-records');
    size = count(o.recordSize, 'record-size');
    throughput = count(o.throughput, 'throughput', true);
    if (o.producerProps.length > 0) io.err('Option --producer-props has been deprecated and will be removed in a future version. Use --command-property instead.\n');
    const props = await readProperties(o.commandConfig ?? o['producer.config'], [...o.producerProps, ...o.commandProperty]);
    const bootstrap = o.bootstrapServer ?? props.get('bootstrap.servers');
    if (!bootstrap) throw new UsageError('bootstrap.servers must be given (--bootstrap-server or --command-property bootstrap.servers=...)');
    const acks = props.get('acks') ?? 'all';
    const ackValue = acks === 'all' ? -1 : Number(acks);
    if (ackValue !== -1 && ackValue !== 0 && ackValue !== 1) throw new UsageError(`Invalid acks ${acks}`);
    const num = (k: string): number | undefined => (props.has(k) ? Number(props.get(k)) : undefined);
    producer = await Producer.connect({
      bootstrap: firstBootstrap(bootstrap),
      clientId: props.get('client.id') ?? 'perf-producer-client',
      ...(await securityOptions(props)),
      acks: ackValue,
      compression: (props.get('compression.type') ?? 'none') as CompressionName,
      ...(num('linger.ms') !== undefined ? { lingerMs: num('linger.ms')! } : {}),
      ...(num('batch.size') !== undefined ? { batchSize: num('batch.size')! } : {}),
      ...(num('retries') !== undefined ? { retries: num('retries')! } : {}),
      ...(props.has('enable.idempotence') ? { idempotent: props.get('enable.idempotence') === 'true' } : {}),
    });
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(cmd, io, err);
    io.err(`${(err as Error).message}\n`);
    return 1;
  }

  // Kafka's payload: random upper-case letters, the same bytes for every record.
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = 65 + Math.floor(Math.random() * 26);
  const sampling = Math.max(1, Math.floor(n / Math.min(n, 500_000)));
  const samples: number[] = [];
  const total = { sum: 0, max: 0 };
  let window = { start: performance.now(), n: 0, bytes: 0, sum: 0, max: 0 };
  let done = 0;
  let failed: Error | null = null;
  const start = performance.now();
  const outstanding = new Outstanding(100_000); // buffer.memory
  for (let i = 0; i < n && !failed; i++) {
    if (throughput > 0) {
      const due = start + (i * 1000) / throughput;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait)); // the throttle, as Kafka's ThroughputThrottler
    }
    const sent = performance.now();
    const p: Promise<void> = producer.send(o.topic, { value: payload }).then(
      () => {
        const ms = performance.now() - sent;
        done++;
        total.sum += ms;
        total.max = Math.max(total.max, ms);
        window.n++;
        window.bytes += size;
        window.sum += ms;
        window.max = Math.max(window.max, ms);
        if (i % sampling === 0) samples.push(ms);
        const now = performance.now();
        if (now - window.start >= 5000) {
          io.out(`${perfLine(window.n, now - window.start, window.bytes, window)}.\n`);
          window = { start: now, n: 0, bytes: 0, sum: 0, max: 0 };
        }
      },
      (err: Error) => void (failed ??= err),
    );
    outstanding.add(p);
    await outstanding.room();
  }
  await outstanding.all();
  await producer.close().catch((err: Error) => void (failed ??= err));
  const elapsed = performance.now() - start;
  if (failed) io.err(`Error when sending: ${(failed as Error).message}\n`);
  samples.sort((a, b) => a - b);
  const pct = (q: number): number => Math.floor(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0);
  io.out(`${perfLine(done, elapsed, done * size, total)}, ${pct(0.5)} ms 50th, ${pct(0.95)} ms 95th, ${pct(0.99)} ms 99th, ${pct(0.999)} ms 99.9th.\n`);
  return failed ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Consumer

interface ConsumerPerfOptions {
  bootstrapServer?: string;
  topic?: string;
  numRecords?: string;
  messages?: string;
  group?: string;
  timeout: string;
  fromLatest?: boolean;
  hideHeader?: boolean;
  commandProperty: string[];
  commandConfig?: string;
  'consumer.config'?: string;
}

function consumerProgram(io: CommandIO): Command {
  return toolCommand('kafka-consumer-perf-test', 'This tool is used to verify the consumer performance.', io)
    .option('--bootstrap-server <String: server to connect to>', 'REQUIRED: The server(s) to connect to.')
    .option('--topic <String: topic>', 'REQUIRED: The topic to consume from.')
    .option('--num-records <Long: count>', 'REQUIRED: The number of records to consume.')
    .option('--messages <Long: count>', 'DEPRECATED, use --num-records instead.')
    .option('--group <String: gid>', 'The group id to consume on (default: perf-consumer-<random>).')
    .option('--timeout <Long: milliseconds>', 'The maximum allowed time in milliseconds between returned records.', '10000')
    .option('--from-latest', 'Start from the latest offset when the group has no committed offset (default: the earliest).')
    .option('--hide-header', 'Skip the header line of the stats.')
    .option('--command-property <String: prop=value>', 'Consumer properties (client.id, fetch.max.wait.ms).', collect, [] as string[])
    .option('--command-config <String: config file>', 'Consumer config properties file.')
    .option('--consumer.config <String: config file>', 'DEPRECATED, use --command-config instead.');
}

/** Kafka's yyyy-MM-dd HH:mm:ss:SSS, in local time. */
function stamp(ms: number): string {
  const d = new Date(ms);
  const p = (v: number, w = 2): string => String(v).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}:${p(d.getMilliseconds(), 3)}`;
}

export async function consumerPerfCommand(argv: readonly string[], io: CommandIO = processIO): Promise<number> {
  const cmd = consumerProgram(io);
  const o = parseFlags<ConsumerPerfOptions>(cmd, argv);
  if (typeof o === 'number') return o;
  let consumer: Consumer;
  let want: number;
  let timeout: number;
  try {
    if (!o.bootstrapServer) throw new UsageError('Missing required argument "[bootstrap-server]"');
    if (!o.topic) throw new UsageError('Missing required argument "[topic]"');
    if (o.messages !== undefined) io.err('Warning: --messages is deprecated. Use --num-records instead.\n');
    want = count(o.numRecords ?? o.messages, 'num-records');
    timeout = count(o.timeout, 'timeout');
    const props = await readProperties(o.commandConfig ?? o['consumer.config'], o.commandProperty);
    consumer = await Consumer.connect({
      bootstrap: firstBootstrap(o.bootstrapServer),
      clientId: props.get('client.id') ?? 'perf-consumer-client',
      ...(await securityOptions(props)),
      groupId: o.group ?? `perf-consumer-${Math.floor(Math.random() * 100_000)}`,
      autoOffsetReset: o.fromLatest ? 'latest' : 'earliest',
      ...(props.has('fetch.max.wait.ms') ? { maxWaitMs: Number(props.get('fetch.max.wait.ms')) } : {}),
    });
    await consumer.partitionsFor(o.topic);
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(cmd, io, err);
    io.err(`${(err as Error).message}\n`);
    return 1;
  }
  consumer.subscribe([o.topic]);
  const start = Date.now();
  let joinedAt = 0;
  let records = 0;
  let bytes = 0;
  let last = Date.now();
  try {
    while (records < want) {
      const got = await consumer.poll();
      if (joinedAt === 0 && consumer.assignment().length > 0) joinedAt = Date.now();
      for (const r of got) bytes += (r.value?.length ?? 0) + (r.key?.length ?? 0);
      records += got.length;
      if (got.length > 0) last = Date.now();
      else if (Date.now() - last > timeout) {
        io.err(`WARNING: Exiting before consuming the expected number of records: timeout (${timeout} ms) exceeded. You can use the --timeout option to increase the timeout.\n`);
        break;
      }
    }
  } finally {
    await consumer.close();
  }
  const end = Date.now();
  const secs = Math.max(end - start, 1) / 1000;
  const rebalance = joinedAt === 0 ? 0 : joinedAt - start;
  const fetchMs = Math.max(end - start - rebalance, 1);
  const mb = bytes / MB;
  if (!o.hideHeader) io.out('start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n');
  io.out(
    `${stamp(start)}, ${stamp(end)}, ${mb.toFixed(4)}, ${(mb / secs).toFixed(4)}, ${records}, ${(records / secs).toFixed(4)}, ${rebalance}, ${fetchMs}, ${(mb / (fetchMs / 1000)).toFixed(4)}, ${(records / (fetchMs / 1000)).toFixed(4)}\n`,
  );
  return 0;
}

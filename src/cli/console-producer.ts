/**
 * `tributary console-producer` / `bin/kafka-console-producer.sh`: Kafka's ConsoleProducer. Reads
 * lines from stdin and sends each as a record, with Kafka's flags:
 *
 *   --bootstrap-server H:P --topic T
 *   [--reader-property parse.key=true|key.separator=<sep>|parse.headers=true|headers.delimiter=<d>|
 *                      headers.separator=<s>|headers.key.separator=<k>|null.marker=<m>|ignore.error=true]
 *   (--property is the deprecated name of --reader-property, as in Kafka 4)
 *   [--request-required-acks -1|1|0] [--compression-codec [none|gzip|snappy|lz4|zstd]] [--sync]
 *   [--batch-size N] [--timeout <linger ms>] [--message-send-max-retries N] [--retry-backoff-ms N]
 *   [--request-timeout-ms N] [--producer-property k=v ...] [--producer.config <file>]
 *
 * A line that cannot be parsed (parse.key without the separator) stops the tool with Kafka's
 * message and exit 1, unless ignore.error=true. A record the broker refuses is reported on stderr
 * ("Error when sending message to topic T ..."), as Kafka's callback does, and the exit code is 1.
 */
import { createInterface } from 'node:readline';
import { securityOptions } from './security-props.js';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { Producer, type CompressionName, type OutgoingRecord } from '../client/producer.js';
import { clientProperties, collect, firstBootstrap, keyValues, Outstanding, parseFlags, processIO, readProperties, toolCommand, usageFailure, UsageError, type CommandIO } from './common.js';

interface ConsoleProducerOptions {
  bootstrapServer?: string;
  brokerList?: string;
  topic?: string;
  property: string[];
  readerProperty: string[];
  producerProperty: string[];
  'producer.config'?: string;
  commandProperty: string[];
  commandConfig?: string;
  requestRequiredAcks: string;
  compressionCodec?: string | true;
  sync?: boolean;
  batchSize?: string;
  timeout: string;
  messageSendMaxRetries?: string;
  retryBackoffMs?: string;
  requestTimeoutMs?: string;
}



function program(io: CommandIO): Command {
  return toolCommand('kafka-console-producer', 'Reads data from standard input and publishes it to Kafka.', io)
    .option('--bootstrap-server <String: server to connect to>', 'REQUIRED: The server(s) to connect to.')
    .option('--broker-list <String: broker-list>', 'DEPRECATED, use --bootstrap-server instead.')
    .option('--topic <String: topic>', 'REQUIRED: The topic to produce messages to.')
    .option('--reader-property <String: prop>', 'Properties of the line reader: parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator, null.marker, ignore.error.', collect, [] as string[])
    .option('--property <String: prop>', 'DEPRECATED, use --reader-property instead.', collect, [] as string[])
    .option('--command-property <String: producer_prop>', 'A producer property (acks, compression.type, linger.ms, batch.size, retries, retry.backoff.ms, request.timeout.ms, client.id, security settings).', collect, [] as string[])
    .option('--command-config <String: config file>', 'Producer config properties file.')
    .option('--producer-property <String: producer_prop>', 'DEPRECATED, use --command-property instead.', collect, [] as string[])
    .option('--producer.config <String: config file>', 'DEPRECATED, use --command-config instead.')
    .option('--request-required-acks <String: request required acks>', 'The required acks of the producer requests.', '-1')
    .option('--compression-codec [String: compression-codec]', "The compression codec: 'none', 'gzip', 'snappy', 'lz4', or 'zstd'. Given without a value: gzip.")
    .option('--sync', 'Send each message synchronously, one at a time.')
    .option('--batch-size <Integer: size>', 'Bytes of records per partition sent at once.')
    .option('--timeout <Long: timeout_ms>', 'How long a record may wait for more to share its batch (linger.ms).', '1000')
    .option('--message-send-max-retries <Integer>', 'Retries of a retriable failure.')
    .option('--retry-backoff-ms <Long>', 'Wait before a retry.')
    .option('--request-timeout-ms <Integer: request timeout ms>', 'The ack timeout of the producer requests.');
}

/** Kafka's LineMessageReader settings. */
interface ReaderConfig {
  parseKey: boolean;
  keySeparator: string;
  parseHeaders: boolean;
  headersDelimiter: string;
  headersSeparator: string;
  headersKeySeparator: string;
  nullMarker: string | null;
  ignoreError: boolean;
}

function readerConfig(props: ReadonlyMap<string, string>): ReaderConfig {
  return {
    parseKey: props.get('parse.key')?.trim().toLowerCase() === 'true',
    keySeparator: props.get('key.separator') ?? '\t',
    parseHeaders: props.get('parse.headers')?.trim().toLowerCase() === 'true',
    headersDelimiter: props.get('headers.delimiter') ?? '\t',
    headersSeparator: props.get('headers.separator') ?? ',',
    headersKeySeparator: props.get('headers.key.separator') ?? ':',
    nullMarker: props.get('null.marker') ?? null,
    ignoreError: props.get('ignore.error')?.trim().toLowerCase() === 'true',
  };
}

/** One input line as a record, as Kafka's LineMessageReader reads it; throws with Kafka's message. */
export function parseLine(line: string, n: number, c: ReaderConfig): OutgoingRecord {
  let rest = line;
  const headers: Array<{ key: string; value: string | null }> = [];
  const nullable = (s: string): string | null => (c.nullMarker !== null && s === c.nullMarker ? null : s);
  if (c.parseHeaders) {
    const i = rest.indexOf(c.headersDelimiter);
    if (i < 0) throw new Error(`No headers delimiter found on line number ${n}: '${line}'`);
    const raw = rest.slice(0, i);
    rest = rest.slice(i + c.headersDelimiter.length);
    if (raw !== '' && raw !== c.nullMarker) {
      for (const h of raw.split(c.headersSeparator)) {
        const k = h.indexOf(c.headersKeySeparator);
        if (k < 0) headers.push({ key: h, value: null });
        else headers.push({ key: h.slice(0, k), value: nullable(h.slice(k + c.headersKeySeparator.length)) });
      }
    }
  }
  let key: string | null = null;
  if (c.parseKey) {
    const i = rest.indexOf(c.keySeparator);
    if (i < 0) throw new Error(`No key separator found on line number ${n}: '${line}'`);
    key = nullable(rest.slice(0, i));
    rest = rest.slice(i + c.keySeparator.length);
  }
  return { key, value: nullable(rest), ...(headers.length > 0 ? { headers } : {}) };
}

const CODECS = new Set(['none', 'gzip', 'snappy', 'lz4', 'zstd']);
const MAX_OUTSTANDING = 10_000;

/** Runs the console producer on `input` (stdin by default); returns the exit code. */
export async function consoleProducerCommand(argv: readonly string[], io: CommandIO = processIO, input: Readable = process.stdin): Promise<number> {
  const cmd = program(io);
  const o = parseFlags<ConsoleProducerOptions>(cmd, argv);
  if (typeof o === 'number') return o;
  let producer: Producer;
  let reader: ReaderConfig;
  let sync: boolean;
  try {
    const bootstrap = o.bootstrapServer ?? o.brokerList;
    if (!bootstrap) throw new UsageError('Missing required option(s) [bootstrap-server]');
    if (!o.topic) throw new UsageError('Missing required option(s) [topic]');
    if (o.property.length > 0) io.err('Warning: --property is deprecated and will be removed in a future version. Use --reader-property instead.\n');
    reader = readerConfig(keyValues([...o.property, ...o.readerProperty], 'reader property'));
    const props = await clientProperties(
      io,
      o,
      { configFlag: '--producer.config', config: o['producer.config'], propertyFlag: '--producer-property', property: o.producerProperty },
      (d, r) => `Warning: ${d} is deprecated and will be removed in a future version. Use ${r} instead.`,
      (a, b) => `Options ${a} and ${b} cannot be specified together.`,
    );
    const acks = props.get('acks') ?? o.requestRequiredAcks;
    const ackValue = acks === 'all' ? -1 : Number(acks);
    if (ackValue !== -1 && ackValue !== 0 && ackValue !== 1) throw new UsageError(`Invalid acks ${acks}: -1 (all), 1 or 0`);
    const codec = o.compressionCodec === true ? 'gzip' : (o.compressionCodec ?? props.get('compression.type') ?? 'none');
    if (!CODECS.has(codec)) throw new UsageError(`Unknown compression codec ${codec}: none, gzip, snappy, lz4 or zstd`);
    const num = (v: string | undefined): number | undefined => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`Invalid number ${v}`);
      return n;
    };
    sync = o.sync === true;
    const batchSize = num(o.batchSize ?? props.get('batch.size'));
    const retries = num(o.messageSendMaxRetries ?? props.get('retries'));
    const backoff = num(o.retryBackoffMs ?? props.get('retry.backoff.ms'));
    const ackTimeout = num(o.requestTimeoutMs ?? props.get('request.timeout.ms'));
    producer = await Producer.connect({
      bootstrap: firstBootstrap(bootstrap),
      clientId: props.get('client.id') ?? 'console-producer',
      ...(await securityOptions(props)),
      acks: ackValue,
      compression: codec as CompressionName,
      lingerMs: sync ? 0 : (num(props.get('linger.ms') ?? o.timeout) ?? 1000),
      ...(batchSize !== undefined ? { batchSize } : {}),
      ...(retries !== undefined ? { retries } : {}),
      ...(backoff !== undefined ? { retryBackoffMs: backoff } : {}),
      ...(ackTimeout !== undefined ? { ackTimeoutMs: ackTimeout } : {}),
    });
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(cmd, io, err);
    io.err(`${(err as Error).message}\n`);
    return 1;
  }
  let failed = false;
  const topic = o.topic;
  // Records not yet acknowledged; past MAX_OUTSTANDING the reading waits (Kafka's buffer.memory).
  const outstanding = new Outstanding(MAX_OUTSTANDING);
  const report = (err: unknown): void => {
    failed = true;
    io.err(`[console-producer] Error when sending message to topic ${topic}: ${(err as Error).message}\n`);
  };
  try {
    let n = 0;
    const lines = createInterface({ input, crlfDelay: Infinity });
    for await (const line of lines) {
      n++;
      let record: OutgoingRecord;
      try {
        record = parseLine(line, n, reader);
      } catch (err) {
        if (reader.ignoreError) continue;
        io.err(`${(err as Error).message}\n`);
        failed = true;
        break;
      }
      const sent: Promise<void> = producer.send(topic, record).then(() => undefined, report);
      if (sync) {
        await sent;
        continue;
      }
      outstanding.add(sent);
      await outstanding.room();
    }
    await outstanding.all();
  } finally {
    await producer.close().catch(report);
  }
  return failed ? 1 : 0;
}

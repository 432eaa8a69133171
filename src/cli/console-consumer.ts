/**
 * `tributary console-consumer` / `bin/kafka-console-consumer.sh`: Kafka's ConsoleConsumer, printing
 * records with its DefaultMessageFormatter, on the assign-mode Consumer:
 *
 *   --bootstrap-server H:P (--topic T | --include REGEX) [--from-beginning]
 *   [--partition N [--offset earliest|latest|N]] [--max-messages N] [--timeout-ms N]
 *   [--formatter-property print.key=true|print.value|print.timestamp|print.partition|print.offset|
 *    print.headers|key.separator=<s>|line.separator=<s>|headers.separator=<s>|null.literal=<s>]
 *   (--property is the deprecated name of --formatter-property, as in Kafka 4)
 *   [--isolation-level read_uncommitted|read_committed] [--consumer-property k=v] [--consumer.config F]
 *
 * With --group it is a member of that consumer group: the group assigns the partitions, it starts at
 * the group's committed offsets (else at the end, or the beginning with --from-beginning) and
 * commits as it goes. Without --group it reads every partition of the topic(s) itself (Kafka uses a
 * throwaway group for that; the effect is the same); partitions added while it runs are not picked up.
 * At the end it prints "Processed a total of N messages" on stderr, as Kafka does; SIGINT and
 * SIGTERM end it the same way.
 */
import type { Command } from 'commander';
import { securityOptions } from './security-props.js';
import { Consumer, type ConsumerRecord, type StartAt } from '../client/consumer.js';
import { clientProperties, collect, firstBootstrap, keyValues, parseFlags, processIO, readProperties, toolCommand, usageFailure, UsageError, type CommandIO } from './common.js';

interface ConsoleConsumerOptions {
  bootstrapServer?: string;
  topic?: string;
  include?: string;
  whitelist?: string;
  partition?: string;
  offset?: string;
  fromBeginning?: boolean;
  maxMessages?: string;
  timeoutMs?: string;
  group?: string;
  formatterProperty: string[];
  property: string[];
  consumerProperty: string[];
  'consumer.config'?: string;
  commandProperty: string[];
  commandConfig?: string;
  isolationLevel: string;
  skipMessageOnError?: boolean;
}


function program(io: CommandIO): Command {
  return toolCommand('kafka-console-consumer', 'Consumes messages from Kafka topics and prints them on standard output.', io)
    .option('--bootstrap-server <String: server to connect to>', 'REQUIRED: The server(s) to connect to.')
    .option('--topic <String: topic>', 'The topic to consume on.')
    .option('--include <String: Java regex (String)>', 'Regular expression of the topics to consume.')
    .option('--whitelist <String: Java regex (String)>', 'DEPRECATED, use --include instead.')
    .option('--partition <Integer: partition>', 'The partition to consume from; from the end unless --from-beginning or --offset.')
    .option('--offset <String: consume offset>', "With --partition: 'earliest', 'latest' (default) or an offset.")
    .option('--from-beginning', 'Start with the earliest message present rather than the latest.')
    .option('--max-messages <Integer: num_messages>', 'Exit after consuming this many messages.')
    .option('--timeout-ms <Integer: timeout_ms>', 'Exit if no message is available for this long.')
    .option('--group <String: consumer group id>', 'The consumer group id of the consumer.')
    .option('--formatter-property <String: prop>', 'print.key, print.value, print.timestamp, print.partition, print.offset, print.headers, key.separator, line.separator, headers.separator, null.literal.', collect, [] as string[])
    .option('--property <String: prop>', 'DEPRECATED, use --formatter-property instead.', collect, [] as string[])
    .option('--command-property <String: consumer_prop>', 'A consumer property (auto.offset.reset, isolation.level, fetch.max.wait.ms, client.id, group.id, security settings).', collect, [] as string[])
    .option('--command-config <String: config file>', 'Consumer config properties file.')
    .option('--consumer-property <String: consumer_prop>', 'DEPRECATED, use --command-property instead.', collect, [] as string[])
    .option('--consumer.config <String: config file>', 'DEPRECATED, use --command-config instead.')
    .option('--isolation-level <String>', 'read_uncommitted (the default) or read_committed.', 'read_uncommitted')
    .option('--skip-message-on-error', 'Accepted for compatibility: records are not deserialised, so none fails.');
}

interface Format {
  printTimestamp: boolean;
  printKey: boolean;
  printValue: boolean;
  printPartition: boolean;
  printOffset: boolean;
  printHeaders: boolean;
  keySeparator: string;
  lineSeparator: string;
  headersSeparator: string;
  nullLiteral: string;
}

function formatOf(props: ReadonlyMap<string, string>): Format {
  const flag = (k: string, dflt: boolean): boolean => (props.has(k) ? props.get(k)!.trim().toLowerCase() === 'true' : dflt);
  return {
    printTimestamp: flag('print.timestamp', false),
    printKey: flag('print.key', false),
    printValue: flag('print.value', true),
    printPartition: flag('print.partition', false),
    printOffset: flag('print.offset', false),
    printHeaders: flag('print.headers', false),
    keySeparator: props.get('key.separator') ?? '\t',
    lineSeparator: props.get('line.separator') ?? '\n',
    headersSeparator: props.get('headers.separator') ?? ',',
    nullLiteral: props.get('null.literal') ?? 'null',
  };
}

/** One record as Kafka's DefaultMessageFormatter prints it. */
export function formatRecord(r: ConsumerRecord, f: Format): string {
  const text = (b: Buffer | null): string => (b === null ? f.nullLiteral : b.toString('utf8'));
  let s = '';
  if (f.printTimestamp) s += `${r.timestampType}:${r.timestamp}${f.keySeparator}`;
  if (f.printPartition) s += `Partition:${r.partition}${f.keySeparator}`;
  if (f.printOffset) s += `Offset:${r.offset}${f.keySeparator}`;
  if (f.printHeaders) {
    s += r.headers.length === 0 ? 'NO_HEADERS' : r.headers.map((h) => `${h.key}:${text(h.value)}`).join(f.headersSeparator);
    s += f.keySeparator;
  }
  if (f.printKey) s += text(r.key) + f.keySeparator;
  if (f.printValue) s += text(r.value);
  return s + f.lineSeparator;
}

/** Runs the console consumer until --max-messages, --timeout-ms or `signal`; returns the exit code. */
export async function consoleConsumerCommand(argv: readonly string[], io: CommandIO = processIO, signal?: AbortSignal): Promise<number> {
  const cmd = program(io);
  const o = parseFlags<ConsoleConsumerOptions>(cmd, argv);
  if (typeof o === 'number') return o;
  let consumer: Consumer;
  let format: Format;
  let max = Infinity;
  let idleMs = Infinity;
  try {
    if (!o.bootstrapServer) throw new UsageError('Missing required option(s) [bootstrap-server]');
    const include = o.include ?? o.whitelist;
    if ((o.topic === undefined) === (include === undefined)) throw new UsageError('Exactly one of --include/--topic is required.');
    if (o.group !== undefined && o.partition !== undefined) throw new UsageError('Options group and partition cannot be specified together.');
    if (o.partition !== undefined && include !== undefined) throw new UsageError('The topic is required when partition is specified.');
    if (o.offset !== undefined && o.partition === undefined) throw new UsageError('The partition is required when offset is specified.');
    if (o.offset !== undefined && o.fromBeginning) throw new UsageError("Options from-beginning and offset cannot be specified together.");
    if (o.property.length > 0) io.err('Option --property is deprecated and will be removed in a future version. Use --formatter-property instead.\n');
    format = formatOf(keyValues([...o.property, ...o.formatterProperty], 'formatter property'));
    if (o.maxMessages !== undefined) max = positive(o.maxMessages, 'max-messages');
    if (o.timeoutMs !== undefined) idleMs = positive(o.timeoutMs, 'timeout-ms');
    const props = await clientProperties(
      io,
      o,
      { configFlag: '--consumer.config', config: o['consumer.config'], propertyFlag: '--consumer-property', property: o.consumerProperty },
      (d, r) => `Option ${d} is deprecated and will be removed in a future version. Use ${r} instead.`,
      (a, b) => `Options ${b} and ${a} cannot be specified together.`,
    );
    // group.id of --command-config (config/consumer.properties has one) when --group is not given
    const group = o.group ?? props.get('group.id');
    if (group !== undefined && o.partition !== undefined) throw new UsageError('Options group and partition cannot be specified together.');
    const isolation = props.get('isolation.level') ?? o.isolationLevel;
    if (isolation !== 'read_uncommitted' && isolation !== 'read_committed') throw new UsageError(`Invalid isolation level ${isolation}`);
    const reset = props.get('auto.offset.reset') ?? (o.fromBeginning ? 'earliest' : 'latest');
    if (reset !== 'earliest' && reset !== 'latest' && reset !== 'none') throw new UsageError(`Invalid auto.offset.reset ${reset}`);
    const wait = props.get('fetch.max.wait.ms');
    consumer = await Consumer.connect({
      bootstrap: firstBootstrap(o.bootstrapServer),
      clientId: props.get('client.id') ?? 'console-consumer',
      ...(await securityOptions(props)),
      isolationLevel: isolation,
      autoOffsetReset: reset,
      ...(wait !== undefined ? { maxWaitMs: Number(wait) } : {}),
      ...(group !== undefined ? { groupId: group } : {}),
    });
    try {
      let start: StartAt = o.fromBeginning ? 'earliest' : 'latest';
      if (o.offset !== undefined) {
        if (o.offset === 'earliest' || o.offset === 'latest') start = o.offset;
        else if (/^\d+$/.test(o.offset)) start = BigInt(o.offset);
        else throw new UsageError(`The provided offset value '${o.offset}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.`);
      }
      const topics = o.topic !== undefined ? [o.topic] : (await consumer.topics()).filter((t) => new RegExp(`^(?:${include})$`).test(t));
      if (group !== undefined) {
        for (const t of topics) await consumer.partitionsFor(t); // an unknown topic fails now, as without --group
        consumer.subscribe(topics);
        if (o.offset !== undefined) throw new UsageError('Options group and offset cannot be specified together.');
      }
      const assignment: Array<{ topic: string; partition: number; start: StartAt }> = [];
      for (const topic of topics) {
        const parts = o.partition !== undefined ? [positive(o.partition, 'partition', true)] : await consumer.partitionsFor(topic);
        for (const partition of parts) assignment.push({ topic, partition, start });
      }
      if (group === undefined) await consumer.assign(assignment);
    } catch (err) {
      await consumer.close();
      throw err;
    }
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(cmd, io, err);
    io.err(`Error processing message, terminating consumer process: ${(err as Error).message}\n`);
    return 1;
  }

  let count = 0;
  let code = 0;
  let lastRecord = Date.now();
  try {
    while (count < max && !signal?.aborted) {
      const records = await consumer.poll();
      let i = 0;
      for (; i < records.length && count < max; i++) {
        io.out(formatRecord(records[i]!, format));
        count++;
      }
      // Stopped inside a batch (--max-messages): rewind to the first record not printed, so what
      // the group commits on close is what was printed and the next run prints the rest.
      const rewound = new Set<string>();
      for (const r of records.slice(i)) {
        const k = `${r.topic}\u0000${r.partition}`;
        if (rewound.has(k)) continue;
        rewound.add(k);
        await consumer.seek(r.topic, r.partition, r.offset);
      }
      if (records.length > 0) lastRecord = Date.now();
      else if (Date.now() - lastRecord >= idleMs) break;
    }
  } catch (err) {
    await io.flushOut?.();
    io.err(`Error processing message, terminating consumer process: ${(err as Error).message}\n`);
    code = 1;
  } finally {
    await consumer.close();
  }
  // The last record's line must be out before the summary: on one terminal they would run together.
  await io.flushOut?.();
  io.err(`Processed a total of ${count} messages\n`);
  return code;
}

function positive(v: string, flag: string, zeroOk = false): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < (zeroOk ? 0 : 1)) throw new UsageError(`--${flag} must be a ${zeroOk ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(v)}`);
  return n;
}

/**
 * `tributary get-offsets` / `bin/kafka-get-offsets.sh`: Kafka's GetOffsetShell. Prints
 * `topic:partition:offset` for each partition chosen by --topic (a regular expression) with
 * --partitions (ids), or by --topic-partitions patterns (`topic1:1,topic2:0-3,topic3,topic4:5-,
 * topic5:-3`), at --time: -1/latest (default), -2/earliest, -3/max-timestamp,
 * -4/earliest-local, -5/latest-tiered, -6/earliest-pending-upload or a timestamp in ms (the first offset at or after it).
 * Lines are sorted as Kafka sorts them (by "topic-partition" as text); a partition with no such
 * offset prints nothing, one whose lookup failed is reported on stderr and skipped.
 * --exclude-internal-topics leaves out __consumer_offsets and the like. Errors:
 * "Error occurred: ..." on stderr, exit 1.
 */
import type { Command } from 'commander';
import type { TopicPartitionRef } from '../client/consumer-protocol.js';
import { connectAdmin, parseFlags, processIO, toolCommand, usageFailure, UsageError, type CommandIO } from './common.js';
import { javaErrorString } from './java-errors.js';

interface GetOffsetsOptions {
  bootstrapServer?: string;
  topicPartitions?: string;
  topic?: string;
  partitions?: string;
  time: string;
  commandConfig?: string;
  excludeInternalTopics?: boolean;
}

const USAGE = 'An interactive shell for getting topic-partition offsets.';
const TOPIC_PARTITION_PATTERN = '([^:,]*)(?::(?:([0-9]*)|(?:([0-9]*)-([0-9]*))))?';

/** Kafka's TerseException: "Error occurred: <message>", exit 1. */
class ToolError extends Error {}

function program(io: CommandIO): Command {
  return toolCommand('kafka-get-offsets', USAGE, io)
    .option('--bootstrap-server <String: HOST1:PORT1,...,HOST3:PORT3>', 'REQUIRED. The server(s) to connect to in the form HOST1:PORT1,HOST2:PORT2.')
    .option(
      '--topic-partitions <String: topic1:1,topic2:0-3,topic3,topic4:5-,topic5:-3>',
      `Comma separated list of topic-partition patterns to get the offsets for, with the format of '${TOPIC_PARTITION_PATTERN}'. The first group is an optional regex for the topic name, if omitted, it matches any topic name. The section after ':' describes a 'partition' pattern, which can be: a number, a range in the format of 'NUMBER-NUMBER' (lower inclusive, upper exclusive), an inclusive lower bound in the format of 'NUMBER-', an exclusive upper bound in the format of '-NUMBER' or may be omitted to accept all partitions.`,
    )
    .option('--topic <String: topic>', 'The topic to get the offsets for. It also accepts a regular expression. If not present, all authorized topics are queried. Cannot be used if --topic-partitions is present.')
    .option('--partitions <String: partition ids>', 'Comma separated list of partition ids to get the offsets for. If not present, all partitions of the authorized topics are queried. Cannot be used if --topic-partitions is present.')
    .option(
      '--time <String: <timestamp> / -1 or latest / -2 or earliest / -3 or max-timestamp / -4 or earliest-local / -5 or latest-tiered / -6 or earliest-pending-upload>',
      'timestamp of the offsets before that. [Note: No offset is returned, if the timestamp greater than recently committed record timestamp is given.]',
      'latest',
    )
    .option('--command-config <String: config file>', 'Property file containing configs to be passed to Admin Client.')
    .option('--exclude-internal-topics', 'By default, internal topics are included. If specified, internal topics are excluded.');
}

const NAMED_TIMES: Readonly<Record<string, bigint>> = { earliest: -2n, latest: -1n, 'max-timestamp': -3n, 'earliest-local': -4n, 'latest-tiered': -5n, 'earliest-pending-upload': -6n };

/** Kafka's parseOffsetSpec: the ListOffsets timestamp for --time. */
export function parseTime(v: string): bigint {
  const named = NAMED_TIMES[v];
  if (named !== undefined) return named;
  if (!/^[+-]?\d+$/.test(v) || BigInt(v) > 0x7fffffffffffffffn || BigInt(v) < -0x8000000000000000n) {
    throw new ToolError(
      `Malformed time argument ${v}. Please use -1 or latest / -2 or earliest / -3 or max-timestamp / -4 or earliest-local / -5 or latest-tiered / -6 or earliest-pending-upload, or a specified long format timestamp`,
    );
  }
  return BigInt(v);
}

/** Kafka's IncludeList: the raw regex tidied (commas are alternatives, quotes and spaces dropped), matched whole. */
function topicRegex(raw: string): RegExp {
  const re = raw.trim().replaceAll(',', '|').replaceAll(' ', '').replace(/^["']+/, '').replace(/["']+$/, '');
  try {
    return new RegExp(`^(?:${re})$`, 'u');
  } catch {
    throw new Error(`${re} is an invalid regex.`);
  }
}

interface Rule {
  topic: RegExp;
  partition: (p: number) => boolean;
}

/** --topic-partitions: each comma-separated pattern is a topic regex and a partition number or range. */
export function parseTopicPartitions(spec: string): Rule[] {
  const whole = new RegExp(`^${TOPIC_PARTITION_PATTERN}$`);
  return spec.split(',').map((rule) => {
    const m = whole.exec(rule);
    if (!m) throw new Error(`org.apache.kafka.tools.TerseException: Invalid rule specification: ${rule}`);
    const g = (i: number): string | undefined => (m[i] !== undefined && m[i] !== '' ? m[i] : undefined);
    const topic = topicRegex(g(1) ?? '.*');
    if (g(2) !== undefined) {
      const only = Number(g(2));
      return { topic, partition: (p) => p === only };
    }
    const lo = g(3) !== undefined ? Number(g(3)) : 0;
    const hi = g(4) !== undefined ? Number(g(4)) : 0x7fffffff;
    return { topic, partition: (p) => p >= lo && p < hi };
  });
}

/** --topic and --partitions as one rule (no --partitions: every partition). */
function topicAndPartitions(topic: string | undefined, partitions: string | undefined): Rule[] {
  let ids: Set<number> | null = null;
  if (partitions !== undefined && partitions !== '') {
    const list = partitions.split(',');
    if (!list.every((p) => /^[+-]?\d+$/.test(p) && Math.abs(Number(p)) <= 0x7fffffff)) {
      throw new ToolError(`--partitions expects a comma separated list of numeric partition ids, but received: ${partitions}`);
    }
    ids = new Set(list.map(Number));
  }
  const set = ids;
  return [{ topic: topicRegex(topic ?? '.*'), partition: (p) => set === null || set.has(p) }];
}

/** Runs kafka-get-offsets with `argv` (the flags only); returns the exit code. */
export async function getOffsetsCommand(argv: readonly string[], io: CommandIO = processIO): Promise<number> {
  const cmd = program(io);
  if (argv.length === 0) return usageFailure(cmd, io, new UsageError(USAGE));
  const o = parseFlags<GetOffsetsOptions>(cmd, argv);
  if (typeof o === 'number') return o;
  try {
    if (o.bootstrapServer === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');
    if (o.topicPartitions !== undefined && (o.topic !== undefined || o.partitions !== undefined)) {
      throw new ToolError('--topic-partitions cannot be used with --topic or --partitions');
    }
    const time = parseTime(o.time);
    const rules = o.topicPartitions !== undefined ? parseTopicPartitions(o.topicPartitions) : topicAndPartitions(o.topic, o.partitions);
    const admin = await connectAdmin(o.bootstrapServer, o.commandConfig, 'GetOffsetShell');
    try {
      const topics = (await admin.listTopics({ includeInternal: !o.excludeInternalTopics })).filter((t) => rules.some((r) => r.topic.test(t)));
      const described = topics.length === 0 ? [] : await admin.describeTopics(topics);
      const parts: TopicPartitionRef[] = [];
      for (const t of described) {
        for (const p of t.partitions) if (rules.some((r) => r.topic.test(t.name) && r.partition(p.partition))) parts.push({ topic: t.name, partition: p.partition });
      }
      if (parts.length === 0) throw new ToolError('Could not match any topic-partitions with the specified filters');
      const results = await admin.listOffsetsAt(parts, time);
      const byKey = new Map(results.map((r) => [`${r.topic}-${r.partition}`, r]));
      const lines: Array<[string, string]> = [];
      for (const p of parts) {
        const key = `${p.topic}-${p.partition}`;
        const r = byKey.get(key)!;
        if (r.error !== null) {
          io.err(`Skip getting offsets for topic-partition ${key} due to error: ${javaErrorString(r.error)}\n`);
          continue;
        }
        if (r.value !== -1n) lines.push([key, `${p.topic}:${p.partition}:${r.value}\n`]);
      }
      // A TreeMap ordered by TopicPartition.toString(): Java compares strings by UTF-16 code units, as JS does.
      lines.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (const [, line] of lines) io.out(line);
      return 0;
    } finally {
      await admin.close();
    }
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(cmd, io, err);
    io.err(`Error occurred: ${(err as Error).message}\n`);
    return 1;
  }
}

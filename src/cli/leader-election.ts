/**
 * `tributary leader-election` / `bin/kafka-leader-election.sh`: Kafka's LeaderElectionCommand on
 * the Admin client. Elects the preferred replica (PREFERRED) or any live replica of a leaderless
 * partition (UNCLEAN) for one partition (--topic with --partition), the partitions of a JSON file
 * (--path-to-json-file: {"partitions": [{"topic": "t", "partition": 0}, ...]}) or every partition
 * (--all-topic-partitions). As Kafka's tool it prints, on stdout,
 *
 *   Successfully completed leader election (PREFERRED) for partitions t-0, t-1
 *   Valid replica already elected for partitions t-2
 *   Error completing leader election (PREFERRED) for partition: t-3: <Java exception>: <message>
 *
 * and exits 1, with "N replica(s) could not be elected" on stderr, when any partition failed.
 * Problems with the flags or the file are one line on stderr and exit 1. Partitions are listed in
 * topic and partition order (Kafka's in no particular order).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ElectionType, PartitionOutcome } from '../client/admin.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import { ErrorCode } from '../protocol/errors.js';
import { connectAdmin, parseFlags, processIO, toolCommand, usageFailure, UsageError, type CommandIO } from './common.js';
import { javaErrorString } from './java-errors.js';

interface ElectionOptions {
  bootstrapServer?: string;
  commandConfig?: string;
  'admin.config'?: string;
  electionType?: string;
  topic?: string;
  partition?: string;
  allTopicPartitions?: boolean;
  pathToJsonFile?: string;
}

/** A failure the tool reports as one line on stderr (Kafka's AdminCommandFailedException / AdminOperationException). */
class ToolError extends Error {}

const EXAMPLE = '{"partitions": [{"topic": "foo", "partition": 1}, {"topic": "foobar", "partition": 2}]}';

function program(io: CommandIO): Command {
  return toolCommand(
    'kafka-leader-election',
    'Elect a new leader for a set of topic partitions: the preferred replica, or (unclean) any live replica of a partition that has no leader.',
    io,
  )
    .option('--bootstrap-server <String: host:port>', 'REQUIRED: the broker(s) to connect to, host:port, several separated by commas.')
    .option('--command-config <String: config file>', 'A properties file of admin client settings (client.id, request.timeout.ms).')
    .option('--admin.config <String: config file>', 'DEPRECATED: the same as --command-config, which replaces it.')
    .option(
      '--election-type <[PREFERRED,UNCLEAN]: election type>',
      'REQUIRED: "preferred" moves leadership back to the first replica where another one leads; "unclean" elects a replica only where a partition has no leader.',
    )
    .option('--topic <String: topic name>', 'The topic of the partition to elect a leader for; needs --partition. Not with --all-topic-partitions or --path-to-json-file.')
    .option('--partition <Integer: partition id>', 'The partition to elect a leader for; required with --topic.')
    .option('--all-topic-partitions', 'Elect leaders for every partition the election type applies to. Not with --topic or --path-to-json-file.')
    .option('--path-to-json-file <String: Path to JSON file>', `A JSON file listing the partitions to elect leaders for, e.g. ${EXAMPLE}. Not with --topic or --all-topic-partitions.`);
}

function electionType(v: string): ElectionType {
  const t = v.toUpperCase();
  if (t !== 'PREFERRED' && t !== 'UNCLEAN') throw new ToolError(`Cannot parse argument '${v}' of option election-type`);
  return t;
}

function checkFlags(o: ElectionOptions): void {
  const missing = [o.bootstrapServer === undefined ? 'bootstrap-server' : null, o.electionType === undefined ? 'election-type' : null].filter((x) => x !== null);
  if (missing.length > 0) throw new ToolError(`Missing required option(s): ${missing.join(', ')}`);
  const sources = [o.topic !== undefined, !!o.allTopicPartitions, o.pathToJsonFile !== undefined].filter(Boolean).length;
  if (sources !== 1) throw new ToolError('One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file');
  if (o.topic !== undefined && o.partition === undefined) throw new ToolError('Missing required option(s): partition');
  if (o.topic === undefined && o.partition !== undefined) throw new ToolError('Option partition is only allowed if topic is used');
  if (o.partition !== undefined && !/^[+-]?\d+$/.test(o.partition)) throw new ToolError(`Cannot parse argument '${o.partition}' of option partition`);
}

/** The partitions of a --path-to-json-file, as Kafka's tool reads and checks them. */
export function parseElectionJson(text: string): Array<{ topic: string; partition: number }> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ToolError('Replica election data is empty');
  }
  const list = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as { partitions?: unknown }).partitions : undefined;
  if (list === undefined) throw new ToolError('Replica election data is missing "partitions" field');
  if (!Array.isArray(list)) throw new ToolError('"partitions" must be an array');
  const out = list.map((e: unknown) => {
    const { topic, partition } = (e ?? {}) as { topic?: unknown; partition?: unknown };
    if (typeof topic !== 'string' || typeof partition !== 'number' || !Number.isInteger(partition)) {
      throw new ToolError(`Each entry of "partitions" needs a "topic" string and a "partition" integer, got ${JSON.stringify(e)}`);
    }
    return { topic, partition };
  });
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const p of out) (seen.has(`${p.topic}-${p.partition}`) ? dup : seen).add(`${p.topic}-${p.partition}`);
  if (dup.size > 0) throw new ToolError(`Replica election data contains duplicate partitions: [${[...dup].join(', ')}]`);
  return out;
}

function report(type: ElectionType, results: readonly PartitionOutcome[], io: CommandIO): number {
  const name = (r: PartitionOutcome): string => `${r.topic}-${r.partition}`;
  const done = results.filter((r) => r.error === null);
  const noop = results.filter((r) => r.error?.code === ErrorCode.ELECTION_NOT_NEEDED);
  const failed = results.filter((r) => r.error !== null && r.error.code !== ErrorCode.ELECTION_NOT_NEEDED);
  if (done.length > 0) io.out(`Successfully completed leader election (${type}) for partitions ${done.map(name).join(', ')}\n`);
  if (noop.length > 0) io.out(`Valid replica already elected for partitions ${noop.map(name).join(', ')}\n`);
  for (const f of failed) io.out(`Error completing leader election (${type}) for partition: ${name(f)}: ${javaErrorString(f.error!)}\n`);
  if (failed.length === 0) return 0;
  io.err(`${failed.length} replica(s) could not be elected\n`);
  return 1;
}

/** Runs kafka-leader-election with `argv` (the flags only); returns the exit code. */
export async function leaderElectionCommand(argv: readonly string[], io: CommandIO = processIO): Promise<number> {
  const cmd = program(io);
  const o = parseFlags<ElectionOptions>(cmd, argv);
  if (typeof o === 'number') return o;
  try {
    if (o['admin.config'] !== undefined && o.commandConfig !== undefined) throw new UsageError('Option "[admin.config]" can\'t be used with option "[command-config]"');
    checkFlags(o);
    const type = electionType(o.electionType!);
    const partitions =
      o.pathToJsonFile !== undefined
        ? parseElectionJson(await readFile(o.pathToJsonFile, 'utf8'))
        : o.topic !== undefined
          ? [{ topic: o.topic, partition: Number(o.partition) }]
          : null;
    if (o['admin.config'] !== undefined) io.err('Option --admin.config has been deprecated and will be removed in a future version. Use --command-config instead.\n');
    const admin = await connectAdmin(o.bootstrapServer!, o.commandConfig ?? o['admin.config'], 'kafka-leader-election');
    try {
      return report(type, await admin.electLeaders(type, partitions), io);
    } catch (err) {
      if (err instanceof KafkaProtocolError && err.code === ErrorCode.REQUEST_TIMED_OUT) throw new ToolError('Timeout waiting for election results', { cause: err });
      if (err instanceof KafkaProtocolError && err.code === ErrorCode.CLUSTER_AUTHORIZATION_FAILED) throw new ToolError('Not authorized to perform leader election', { cause: err });
      throw err;
    } finally {
      await admin.close();
    }
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(cmd, io, err);
    if (err instanceof ToolError && err.cause !== undefined) io.out(`${err.message}\n`);
    io.err(`${(err as Error).message}\n`);
    return 1;
  }
}

/**
 * `tributary log-dirs` / `bin/kafka-log-dirs.sh`: Kafka's LogDirsCommand. `--describe` asks each
 * broker (all of the cluster's, or --broker-list's) for its log directories with DescribeLogDirs
 * and prints, as Kafka's tool does,
 *
 *   Querying brokers for log directories information
 *   Received log directory information from brokers 1,2
 *   {"brokers":[{"broker":1,"logDirs":[{"partitions":[{"partition":"t-0","size":85,"offsetLag":0,"isFuture":false}],"error":null,"logDir":"/data"}]}],"version":1}
 *
 * with the JSON's keys and lists in the order Kafka's (Java HashMap) output has them. --topic-list
 * keeps those topics' partitions only. A broker id not in the cluster is an error (exit 1).
 */
import type { Command } from 'commander';
import type { LogDirDescription } from '../client/admin.js';
import { connectAdmin, parseFlags, processIO, toolCommand, usageFailure, UsageError, type CommandIO } from './common.js';
import { javaExceptionClass } from './java-errors.js';
import { javaHashMapOrder, javaHashMapOrderByHash, javaTopicPartitionHash } from './java-order.js';

interface LogDirsOptions {
  bootstrapServer?: string;
  commandConfig?: string;
  describe?: boolean;
  topicList: string;
  brokerList: string;
}

function program(io: CommandIO): Command {
  return toolCommand('kafka-log-dirs', 'This tool helps to query log directory usage on the specified brokers.', io)
    .option('--bootstrap-server <String: The server(s) to use for bootstrapping>', 'REQUIRED: the server(s) to use for bootstrapping')
    .option('--command-config <String: Admin client property file>', 'Property file containing configs to be passed to Admin Client.')
    .option('--describe', 'Describe the specified log directories on the specified brokers.')
    .option('--topic-list <String: Topic list>', 'The list of topics to be queried in the form "topic1,topic2,topic3". All topics will be queried if no topic list is specified', '')
    .option('--broker-list <String: Broker list>', 'The list of brokers to be queried in the form "0,1,2". All brokers in the cluster will be queried if no broker list is specified', '');
}

function splitList(v: string): string[] {
  return v.split(',').filter((x) => x !== '');
}

/** Java's Integer.valueOf for a --broker-list entry. */
function brokerId(v: string): number {
  if (!/^[+-]?\d+$/.test(v) || Math.abs(Number(v)) > 0x7fffffff) throw new UsageError(`For input string: "${v}"`);
  return Number(v);
}

/** A HashSet<Integer> of small ids iterates in bucket order: ascending for ids below its capacity. */
function intSetOrder(ids: Iterable<number>): number[] {
  const list = [...new Set(ids)];
  return javaHashMapOrderByHash(
    list.sort((a, b) => a - b),
    (n) => n,
  );
}

/** The JSON document Kafka's tool prints, as text with Kafka's key order. */
export function logDirsJson(byBroker: ReadonlyMap<number, readonly LogDirDescription[]>, topics: ReadonlySet<string>): string {
  const brokers = intSetOrder(byBroker.keys()).map((broker) => {
    const dirs = javaHashMapOrder(byBroker.get(broker)!, (d) => d.path);
    const logDirs = dirs.map((d) => {
      const kept = d.replicas.filter((r) => topics.size === 0 || topics.has(r.topic));
      const parts = javaHashMapOrderByHash(kept, (r) => javaTopicPartitionHash(r.topic, r.partition)).map(
        (r) => `{"partition":${JSON.stringify(`${r.topic}-${r.partition}`)},"size":${r.size},"offsetLag":${r.offsetLag},"isFuture":${r.isFuture}}`,
      );
      const error = d.error === null ? 'null' : JSON.stringify(javaExceptionClass(d.error.errorName));
      return `{"partitions":[${parts.join(',')}],"error":${error},"logDir":${JSON.stringify(d.path)}}`;
    });
    return `{"broker":${broker},"logDirs":[${logDirs.join(',')}]}`;
  });
  return `{"brokers":[${brokers.join(',')}],"version":1}`;
}

/** Runs kafka-log-dirs with `argv` (the flags only); returns the exit code. */
export async function logDirsCommand(argv: readonly string[], io: CommandIO = processIO): Promise<number> {
  const cmd = program(io);
  if (argv.length === 0) return usageFailure(cmd, io, new UsageError('This tool helps to query log directory usage on the specified brokers.'));
  const o = parseFlags<LogDirsOptions>(cmd, argv);
  if (typeof o === 'number') return o;
  try {
    if (o.bootstrapServer === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');
    if (!o.describe) throw new UsageError('Missing required argument "[describe]"');
    const topics = new Set(splitList(o.topicList));
    const wanted = splitList(o.brokerList).map(brokerId);
    const admin = await connectAdmin(o.bootstrapServer, o.commandConfig, 'log-dirs-tool');
    try {
      const cluster = (await admin.describeCluster()).brokers.map((b) => b.nodeId);
      const missing = wanted.filter((b) => !cluster.includes(b));
      if (missing.length > 0) {
        io.err(
          `ERROR: The given brokers do not exist from --broker-list: ${intSetOrder(missing).join(',')}. Current existent brokers: ${intSetOrder(cluster).join(',')}\n`,
        );
        return 1;
      }
      const brokers = wanted.length === 0 ? cluster : wanted;
      io.out('Querying brokers for log directories information\n');
      const described = await admin.describeLogDirs(brokers);
      io.out(`Received log directory information from brokers ${intSetOrder(brokers).join(',')}\n`);
      io.out(`${logDirsJson(described, topics)}\n`);
      return 0;
    } finally {
      await admin.close();
    }
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(cmd, io, err);
    io.err(`${(err as Error).message}\n`);
    return 1;
  }
}

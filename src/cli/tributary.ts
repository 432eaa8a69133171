#!/usr/bin/env node
/**
 * The `tributary` command. Subcommands follow Kafka's scripts: `tributary server-start` is
 * `kafka-server-start.sh`, with the same arguments.
 */
import { Command } from 'commander';
import { serverStart } from './server-start.js';
import { configsCommand } from './configs.js';
import { aclsCommand } from './acls.js';
import { consoleConsumerCommand } from './console-consumer.js';
import { consumerGroupsCommand } from './consumer-groups.js';
import { consumerPerfCommand, producerPerfCommand } from './perf.js';
import { consoleProducerCommand } from './console-producer.js';
import { topicsCommand } from './topics.js';
import { leaderElectionCommand } from './leader-election.js';
import { reassignPartitionsCommand } from './reassign-partitions.js';
import { dumpLogCommand } from './dump-log.js';
import { transactionsCommand } from './transactions.js';
import { logDirsCommand } from './log-dirs.js';
import { deleteRecordsCommand } from './delete-records.js';
import { getOffsetsCommand } from './get-offsets.js';

// A closed pipe (`... --list | head`) ends the output, as it does for Kafka's tools: no stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

/** Aborted by SIGINT/SIGTERM, so a long-running tool can finish its output and exit 0. */
function untilSignal(): AbortSignal {
  const ac = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => ac.abort());
  return ac.signal;
}

const program = new Command();
program.name('tributary').description('Tributary: a Kafka-compatible broker, client and tools for Node.js');

program
  .command('server-start')
  .description('Start the broker, as kafka-server-start.sh does')
  .argument('<server.properties>', 'the broker configuration file (Java properties syntax)')
  .option('--override <key=value>', 'override a property of the file; may be repeated', (v: string, prev: string[]) => [...prev, v], [] as string[])
  .option('--daemon', 'accepted for compatibility with kafka-server-start.sh; runs in the foreground')
  .action(async (file: string, opts: { override: string[] }) => {
    process.exitCode = await serverStart(file, opts.override);
  });

// The Kafka tools: each subcommand takes its kafka-*.sh flags as they are (`tributary topics --help`).
const tools: Array<[name: string, script: string, what: string, run: (flags: string[]) => Promise<number>]> = [
  ['topics', 'kafka-topics.sh', 'Create, list, describe, alter and delete topics', (f) => topicsCommand(f)],
  ['configs', 'kafka-configs.sh', 'Describe and alter topic, broker and group configs, client quotas and SCRAM credentials', (f) => configsCommand(f)],
  ['acls', 'kafka-acls.sh', 'Add, remove and list ACLs', (f) => aclsCommand(f)],
  ['console-producer', 'kafka-console-producer.sh', 'Send lines from stdin as records', (f) => consoleProducerCommand(f)],
  ['console-consumer', 'kafka-console-consumer.sh', 'Print records of topics', (f) => consoleConsumerCommand(f, undefined, untilSignal())],
  ['consumer-groups', 'kafka-consumer-groups.sh', 'List, describe, delete consumer groups and reset their offsets', (f) => consumerGroupsCommand(f)],
  ['producer-perf-test', 'kafka-producer-perf-test.sh', 'Measure producer throughput and latency', (f) => producerPerfCommand(f)],
  ['consumer-perf-test', 'kafka-consumer-perf-test.sh', 'Measure consumer throughput', (f) => consumerPerfCommand(f)],
  ['leader-election', 'kafka-leader-election.sh', 'Elect preferred or unclean partition leaders', (f) => leaderElectionCommand(f)],
  ['dump-log', 'kafka-dump-log.sh', 'Print the contents of segment, index and snapshot files', (f) => dumpLogCommand(f)],
  ['transactions', 'kafka-transactions.sh', 'List, describe and abort transactions, describe producers, find hanging transactions', (f) => transactionsCommand(f)],
  ['log-dirs', 'kafka-log-dirs.sh', 'Describe the log directories of brokers: sizes and lags of their replicas', (f) => logDirsCommand(f)],
  ['delete-records', 'kafka-delete-records.sh', 'Delete the records of partitions below given offsets', (f) => deleteRecordsCommand(f)],
  ['get-offsets', 'kafka-get-offsets.sh', 'Print the offsets of partitions at a time (latest, earliest, max-timestamp or a timestamp)', (f) => getOffsetsCommand(f)],
  ['reassign-partitions', 'kafka-reassign-partitions.sh', 'Generate, execute, verify, cancel and list partition reassignments', (f) => reassignPartitionsCommand(f)],
];
for (const [name, script, what, run] of tools) {
  program
    .command(name)
    .description(`${what}, as ${script} does (its flags: ${name} --help)`)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[flags...]', `${script}'s flags`)
    .action(async (flags: string[]) => {
      process.exitCode = await run(flags);
    });
}

await program.parseAsync(process.argv);

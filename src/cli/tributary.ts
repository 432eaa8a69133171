#!/usr/bin/env node
/**
 * The `tributary` command. Subcommands follow Kafka's scripts: `tributary server-start` is
 * `kafka-server-start.sh`, with the same arguments.
 */
import { Command } from 'commander';
import { serverStart } from './server-start.js';

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

await program.parseAsync(process.argv);

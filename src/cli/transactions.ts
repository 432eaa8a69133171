/**
 * `tributary transactions` / `bin/kafka-transactions.sh`: Kafka's TransactionsCommand on the Admin
 * client, with its flags (global --bootstrap-server and --command-config, then a subcommand):
 *
 *   list [--duration-filter ms]                      TransactionalId Coordinator ProducerId TransactionState
 *   describe --transactional-id id                   CoordinatorId TransactionalId ProducerId ProducerEpoch
 *                                                    TransactionState TransactionTimeoutMs
 *                                                    CurrentTransactionStartTimeMs TransactionDurationMs TopicPartitions
 *   describe-producers --topic t --partition p [--broker-id b]
 *                                                    ProducerId ProducerEpoch LatestCoordinatorEpoch LastSequence
 *                                                    LastTimestamp CurrentTransactionStartOffset
 *   abort --topic t --partition p (--start-offset o | --producer-id i --producer-epoch e --coordinator-epoch c)
 *   find-hanging (--broker-id b | --topic t [--partition p]) [--max-transaction-timeout minutes]
 *                                                    Topic Partition ProducerId ProducerEpoch CoordinatorEpoch
 *                                                    StartOffset LastTimestamp Duration(min)
 *
 * Tables as Kafka prints them: every cell padded to its column's width and followed by a tab.
 * Failures print one line on stderr ("Failed to ...: <cause>") and exit 1.
 */
import { Command } from 'commander';
import type { Admin } from '../client/admin.js';
import { connectAdmin, parseFlags, processIO, toolCommand, usageFailure, UsageError, type CommandIO } from './common.js';

/** Kafka's ToolsUtils.prettyPrintTable. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string => r.map((c, i) => `${c.padEnd(widths[i]!)}\t`).join('') + '\n';
  return line(headers) + rows.map(line).join('');
}

class ToolError extends Error {}

const fail = (message: string) => (err: unknown): never => {
  throw new ToolError(`${message}: ${(err as Error).message}`, { cause: err });
};

function int(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`argument ${flag}: could not convert '${v}' to an integer`);
  return Number(v);
}

interface Global {
  bootstrapServer?: string;
  commandConfig?: string;
}

function program(io: CommandIO, run: (sub: string, o: Record<string, string | undefined>) => void): Command {
  const cmd = toolCommand('kafka-transactions', 'This tool is used to analyze the transactional state of producers in the cluster. It can be used to detect and recover from hanging transactions.', io)
    .option('--bootstrap-server <host:port>', 'REQUIRED: the broker(s) to connect to, host:port, several separated by commas')
    .option('--command-config <FILE>', 'A properties file of admin client settings (client.id, request.timeout.ms)');
  const sub = (name: string, help: string): Command =>
    cmd
      .command(name)
      .description(help)
      .exitOverride()
      .configureOutput({ writeOut: io.out, writeErr: io.err })
      .action((o: Record<string, string | undefined>) => run(name, o));
  sub('list', 'list transactions').option('--duration-filter <ms>', 'Duration (in millis) to filter by: if < 0, all transactions will be returned; otherwise, only transactions running longer than this duration will be returned');
  sub('describe', 'describe the state of an active transactional-id').option('--transactional-id <id>', 'REQUIRED: transactional id');
  sub('describe-producers', 'describe the states of active producers for a topic partition')
    .option('--broker-id <id>', 'optional broker id to describe the producer state on a specific replica')
    .option('--topic <topic>', 'REQUIRED: topic name')
    .option('--partition <partition>', 'REQUIRED: partition number');
  sub('abort', 'abort a hanging transaction (requires administrative privileges)')
    .option('--topic <topic>', 'REQUIRED: topic name')
    .option('--partition <partition>', 'REQUIRED: partition number')
    .option('--start-offset <offset>', 'start offset of the transaction to abort')
    .option('--producer-id <id>', 'producer id')
    .option('--producer-epoch <epoch>', 'producer epoch')
    .option('--coordinator-epoch <epoch>', 'coordinator epoch');
  sub('find-hanging', 'find hanging transactions')
    .option('--broker-id <id>', 'broker id to search for hanging transactions')
    .option('--max-transaction-timeout <minutes>', 'maximum transaction timeout in minutes to limit the scope of the search', '15')
    .option('--topic <topic>', 'topic name to limit search to (required if --partition is specified)')
    .option('--partition <partition>', 'partition number');
  return cmd;
}

export async function transactionsCommand(argv: readonly string[], io: CommandIO = processIO, now: () => number = Date.now): Promise<number> {
  let chosen: { sub: string; o: Record<string, string | undefined> } | null = null;
  const cmd = program(io, (sub, o) => (chosen = { sub, o }));
  const g = parseFlags<Global>(cmd, argv);
  if (typeof g === 'number') return g;
  let admin: Admin | null = null;
  try {
    if (!g.bootstrapServer) throw new UsageError('Missing required option --bootstrap-server');
    const c = chosen as { sub: string; o: Record<string, string | undefined> } | null;
    if (!c) throw new UsageError('A command is required (list, describe, describe-producers, abort, find-hanging)');
    admin = await connectAdmin(g.bootstrapServer, g.commandConfig, 'kafka-transactions');
    const out = await runSub(admin, c.sub, c.o, now);
    io.out(out);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(cmd, io, err);
    io.err(`${(err as Error).message}\n`);
    return 1;
  } finally {
    await admin?.close();
  }
}

async function runSub(admin: Admin, sub: string, o: Record<string, string | undefined>, now: () => number): Promise<string> {
  const need = (k: string, flag: string): string => {
    const v = o[k];
    if (v === undefined) throw new UsageError(`argument ${flag} is required`);
    return v;
  };
  switch (sub) {
    case 'list': {
      const duration = int(o.durationFilter, '--duration-filter');
      const list = await admin.listTransactions(duration === undefined ? {} : { durationMs: duration }).catch(fail('Failed to list transactions'));
      return table(['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState'], list.map((t) => [t.transactionalId, String(t.coordinatorId), String(t.producerId), t.state]));
    }
    case 'describe': {
      const id = need('transactionalId', '--transactional-id');
      const [d] = await admin.describeTransactions([id]).catch(fail(`Failed to describe transaction state of transactional-id \`${id}\``));
      const open = d!.transactionStartTimeMs >= 0n;
      return table(
        ['CoordinatorId', 'TransactionalId', 'ProducerId', 'ProducerEpoch', 'TransactionState', 'TransactionTimeoutMs', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'TopicPartitions'],
        [
          [
            String(d!.coordinatorId),
            id,
            String(d!.producerId),
            String(d!.producerEpoch),
            d!.state,
            String(d!.transactionTimeoutMs),
            open ? String(d!.transactionStartTimeMs) : 'None',
            open ? String(now() - Number(d!.transactionStartTimeMs)) : 'None',
            d!.topicPartitions.map((p) => `${p.topic}-${p.partition}`).join(','),
          ],
        ],
      );
    }
    case 'describe-producers': {
      const topic = need('topic', '--topic');
      const partition = int(need('partition', '--partition'), '--partition')!;
      const brokerId = int(o.brokerId, '--broker-id');
      const where = brokerId === undefined ? 'leader' : `broker ${brokerId}`;
      const [r] = await admin.describeProducers([{ topic, partition }], brokerId === undefined ? {} : { brokerId }).catch(fail(`Failed to describe producers for partition ${topic}-${partition} on ${where}`));
      return table(
        ['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset'],
        (r?.producers ?? []).map((p) => [String(p.producerId), String(p.producerEpoch), String(p.coordinatorEpoch), String(p.lastSequence), String(p.lastTimestamp), p.currentTxnStartOffset >= 0n ? String(p.currentTxnStartOffset) : 'None']),
      );
    }
    case 'abort': {
      const topic = need('topic', '--topic');
      const partition = int(need('partition', '--partition'), '--partition')!;
      const start = int(o.startOffset, '--start-offset');
      const pid = int(o.producerId, '--producer-id');
      let spec;
      if (start !== undefined) {
        const [r] = await admin.describeProducers([{ topic, partition }]).catch(fail(`Failed to validate producer state for partition ${topic}-${partition}`));
        const p = r?.producers.find((x) => x.currentTxnStartOffset === BigInt(start));
        if (!p) throw new ToolError(`Could not find any open transactions starting at offset ${start} on partition ${topic}-${partition}`);
        spec = { topic, partition, producerId: p.producerId, producerEpoch: p.producerEpoch, coordinatorEpoch: Math.max(p.coordinatorEpoch, 0) };
      } else if (pid !== undefined) {
        const epoch = int(o.producerEpoch, '--producer-epoch');
        if (epoch === undefined) throw new ToolError('Missing required argument --producer-epoch');
        const coordinatorEpoch = int(o.coordinatorEpoch, '--coordinator-epoch');
        if (coordinatorEpoch === undefined) throw new ToolError('Missing required argument --coordinator-epoch');
        spec = { topic, partition, producerId: BigInt(pid), producerEpoch: epoch, coordinatorEpoch };
      } else {
        throw new ToolError('The transaction to abort must be identified either with --start-offset (for brokers on 2.8 or later) or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)');
      }
      const s = spec;
      await admin
        .abortTransaction(s)
        .catch(fail(`Failed to abort transaction AbortTransactionSpec(topicPartition=${topic}-${partition}, producerId=${s.producerId}, producerEpoch=${s.producerEpoch}, coordinatorEpoch=${s.coordinatorEpoch})`));
      return '';
    }
    case 'find-hanging': {
      const brokerId = int(o.brokerId, '--broker-id');
      const partition = int(o.partition, '--partition');
      const minutes = int(o.maxTransactionTimeout, '--max-transaction-timeout')!;
      if (brokerId === undefined && o.topic === undefined) throw new ToolError('The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search');
      if (partition !== undefined && o.topic === undefined) throw new ToolError('The --partition argument requires --topic to be provided');
      const t = now();
      const hanging = await admin
        .findHangingTransactions({
          maxTransactionTimeoutMs: minutes * 60_000,
          now: t,
          ...(brokerId !== undefined ? { brokerId } : {}),
          ...(o.topic !== undefined ? { topic: o.topic } : {}),
          ...(partition !== undefined ? { partition } : {}),
        })
        .catch(fail('Failed to find hanging transactions'));
      return table(
        ['Topic', 'Partition', 'ProducerId', 'ProducerEpoch', 'CoordinatorEpoch', 'StartOffset', 'LastTimestamp', 'Duration(min)'],
        hanging.map((h) => [h.topic, String(h.partition), String(h.producer.producerId), String(h.producer.producerEpoch), String(h.producer.coordinatorEpoch), String(h.producer.currentTxnStartOffset), String(h.producer.lastTimestamp), String(Math.floor((t - Number(h.producer.lastTimestamp)) / 60_000))]),
      );
    }
    default:
      throw new UsageError(`unknown command ${sub}`);
  }
}

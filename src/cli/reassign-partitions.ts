/**
 * `tributary reassign-partitions` / `bin/kafka-reassign-partitions.sh`: Kafka's
 * ReassignPartitionsCommand with its flags, JSON files, messages and exit codes, on the Admin
 * client (the actions in reassign-actions.ts):
 *
 *   --generate --topics-to-move-json-file F --broker-list 1,2,3 [--disable-rack-aware]
 *   --execute  --reassignment-json-file F [--additional] [--throttle B/s]
 *              [--replica-alter-log-dirs-throttle B/s] [--timeout ms] [--disallow-replication-factor-change]
 *   --verify   --reassignment-json-file F [--preserve-throttles]
 *   --cancel   --reassignment-json-file F [--preserve-throttles] [--timeout ms]
 *   --list
 *
 * As Kafka's tool: a wrong combination of flags prints the message and the usage on stderr;
 * a failed action prints "Error: <message>" (or, for the tool's own refusals, the message alone)
 * on stdout; both exit 1. Rack-aware placement is not implemented: --generate places replicas as
 * with --disable-rack-aware.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import { connectAdmin, parseFlags, processIO, toolCommand, usageFailure, UsageError, type CommandIO } from './common.js';
import { javaErrorString } from './java-errors.js';
import { cancel, execute, generate, list, TerseError, verify } from './reassign-actions.js';
import { MoveTimeoutError } from './reassign-log-dirs.js';

interface ReassignOptions {
  bootstrapServer?: string;
  commandConfig?: string;
  generate?: boolean;
  execute?: boolean;
  verify?: boolean;
  cancel?: boolean;
  list?: boolean;
  reassignmentJsonFile?: string;
  topicsToMoveJsonFile?: string;
  brokerList?: string;
  disableRackAware?: boolean;
  throttle?: string;
  replicaAlterLogDirsThrottle?: string;
  timeout?: string;
  additional?: boolean;
  preserveThrottles?: boolean;
  disallowReplicationFactorChange?: boolean;
}

const ACTIONS = ['generate', 'execute', 'verify', 'cancel', 'list'] as const;
type Action = (typeof ACTIONS)[number];

/** The flags (other than --bootstrap-server and --command-config) each action needs and allows. */
const REQUIRED: Record<Action, ReadonlyArray<keyof ReassignOptions>> = {
  generate: ['topicsToMoveJsonFile', 'brokerList'],
  execute: ['reassignmentJsonFile'],
  verify: ['reassignmentJsonFile'],
  cancel: ['reassignmentJsonFile'],
  list: [],
};
const ALLOWED: Record<Action, ReadonlyArray<keyof ReassignOptions>> = {
  generate: ['disableRackAware'],
  execute: ['additional', 'throttle', 'replicaAlterLogDirsThrottle', 'timeout', 'disallowReplicationFactorChange'],
  verify: ['preserveThrottles'],
  cancel: ['preserveThrottles', 'timeout'],
  list: [],
};
const ALL_FLAGS: ReadonlyArray<keyof ReassignOptions> = [
  'reassignmentJsonFile',
  'topicsToMoveJsonFile',
  'brokerList',
  'disableRackAware',
  'throttle',
  'replicaAlterLogDirsThrottle',
  'timeout',
  'additional',
  'preserveThrottles',
  'disallowReplicationFactorChange',
];

const flagName = (k: string): string => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function program(io: CommandIO): Command {
  return toolCommand('kafka-reassign-partitions', 'Move topic partitions between brokers: propose a placement, start it, follow it, cancel it.', io)
    .option('--bootstrap-server <String: Server(s) to use for bootstrapping>', 'REQUIRED: the broker(s) to connect to, host:port, several separated by commas.')
    .option('--command-config <String: Admin client property file>', 'A properties file of admin client settings (client.id, request.timeout.ms).')
    .option('--generate', 'Propose a placement for the partitions of --topics-to-move-json-file on the brokers of --broker-list. Nothing moves.')
    .option('--execute', 'Start the reassignment of --reassignment-json-file.')
    .option('--verify', 'Report whether the reassignment of --reassignment-json-file has completed; once nothing moves any more, remove the throttles.')
    .option('--cancel', 'Stop the reassignments of --reassignment-json-file that are under way.')
    .option('--list', 'List the partition reassignments under way.')
    .option(
      '--reassignment-json-file <String: manual assignment json file path>',
      'The reassignment: {"version":1,"partitions":[{"topic":"foo","partition":1,"replicas":[1,2,3],"log_dirs":["any","any","any"]}]}. "log_dirs" may be left out; an entry other than "any" is the absolute directory the broker should keep that replica in.',
    )
    .option('--topics-to-move-json-file <String: topics to reassign json file path>', 'With --generate: the topics whose partitions should move, {"topics":[{"topic":"foo"},{"topic":"foo1"}],"version":1}.')
    .option('--broker-list <String: brokerlist>', 'With --generate: the brokers to place the partitions on, as "0,1,2".')
    .option('--disable-rack-aware', 'With --generate: ignore the brokers\' racks (placement here never uses them).')
    .option('--throttle <Long: throttle>', 'With --execute: limit replication between brokers for the moves to this many bytes/s (at least 1 KB/s makes sense); resubmit with --additional to change it. (default: -1, none)')
    .option('--replica-alter-log-dirs-throttle <Long: replicaAlterLogDirsThrottle>', 'With --execute: limit moves between a broker\'s log directories to this many bytes/s. (default: -1, none)')
    .option('--timeout <Long: timeout>', 'How long (ms) to keep trying to start the moves between log directories. (default: 10000)')
    .option('--additional', 'With --execute: start these moves although others are under way (also to change the throttle).')
    .option('--preserve-throttles', 'With --verify or --cancel: leave broker and topic throttles as they are.')
    .option('--disallow-replication-factor-change', 'With --execute: refuse moves that would change a partition\'s replication factor.');
}

function parseLong(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^[+-]?\d+$/.test(v.trim())) throw new UsageError(`Cannot parse argument '${v}' of option ${flag}`);
  return Number(v);
}

function validate(o: ReassignOptions): Action {
  const chosen = ACTIONS.filter((a) => o[a]);
  if (chosen.length !== 1) throw new UsageError(`Command must include exactly one action: ${ACTIONS.map((a) => `--${a}`).join(', ')}`);
  const action = chosen[0]!;
  if (o.bootstrapServer === undefined) throw new UsageError('Please specify either --bootstrap-server or --bootstrap-controller');
  for (const r of REQUIRED[action]) if (o[r] === undefined) throw new UsageError(`Missing required argument "[${flagName(r)}]"`);
  for (const f of ALL_FLAGS) {
    if (o[f] !== undefined && o[f] !== false && !REQUIRED[action].includes(f) && !ALLOWED[action].includes(f)) {
      throw new UsageError(`Option "[${flagName(f)}]" can't be used with action "[${action}]"`);
    }
  }
  return action;
}

/** Runs kafka-reassign-partitions with `argv` (the flags only); returns the exit code. */
export async function reassignPartitionsCommand(argv: readonly string[], io: CommandIO = processIO): Promise<number> {
  const cmd = program(io);
  const o = parseFlags<ReassignOptions>(cmd, argv);
  if (typeof o === 'number') return o;
  let action: Action;
  let numbers: { throttle: number; logDirThrottle: number; timeoutMs: number };
  try {
    action = validate(o);
    numbers = {
      throttle: parseLong('throttle', o.throttle, -1),
      logDirThrottle: parseLong('replica-alter-log-dirs-throttle', o.replicaAlterLogDirsThrottle, -1),
      timeoutMs: parseLong('timeout', o.timeout, 10_000),
    };
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(cmd, io, err);
    throw err;
  }
  try {
    const json = async (file: string | undefined): Promise<string> => readFile(file!, 'utf8');
    const admin = await connectAdmin(o.bootstrapServer!, o.commandConfig, 'reassign-partitions-tool');
    try {
      switch (action) {
        case 'generate':
          await generate(admin, await json(o.topicsToMoveJsonFile), o.brokerList!, io);
          break;
        case 'execute':
          await execute(admin, await json(o.reassignmentJsonFile), { additional: !!o.additional, ...numbers, allowReplicationFactorChange: !o.disallowReplicationFactorChange }, io);
          break;
        case 'verify':
          await verify(admin, await json(o.reassignmentJsonFile), !!o.preserveThrottles, io);
          break;
        case 'cancel':
          await cancel(admin, await json(o.reassignmentJsonFile), !!o.preserveThrottles, numbers.timeoutMs, io);
          break;
        case 'list':
          await list(admin, io);
          break;
      }
    } finally {
      await admin.close();
    }
    return 0;
  } catch (err) {
    if (err instanceof TerseError || err instanceof MoveTimeoutError) io.out(`${err.message}\n`);
    else if (err instanceof KafkaProtocolError) io.out(`Error: ${javaErrorString(err)}\n`);
    else io.out(`Error: ${(err as Error).message}\n`);
    return 1;
  }
}

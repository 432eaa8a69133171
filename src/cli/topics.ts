/**
 * `tributary topics` / `bin/kafka-topics.sh`: Kafka's kafka-topics.sh (TopicCommand) with its
 * flags, messages, output format and exit codes, on the Admin client. Against Tributary or Apache
 * Kafka.
 *
 *   --create   --topic T [--partitions N] [--replication-factor R | --replica-assignment A]
 *              [--config k=v ...] [--if-not-exists]
 *   --list     [--topic REGEX] [--exclude-internal]
 *   --describe [--topic REGEX | --topic-id ID] [--exclude-internal] [--if-exists] [--topics-with-overrides]
 *              [--under-replicated-partitions] [--unavailable-partitions]
 *              [--under-min-isr-partitions] [--at-min-isr-partitions]    (topics-describe.ts)
 *   --alter    --topic REGEX --partitions N [--replica-assignment A] [--if-exists]
 *   --delete   --topic REGEX [--if-exists]
 *
 * As in Kafka, --topic is a regular expression matched against whole names except with --create,
 * and errors print "Error while executing topic command : ..." and exit 1.
 *
 * The ZooKeeper-era form `--zookeeper host:port[/chroot]` (Kafka 2.x) works in place of
 * --bootstrap-server: the brokers are read from Tributary's coordination service, etcd, under the
 * chroot (etcd-brokers.ts) and a one-line note on stderr says so. With it, as in Kafka 2.x,
 * `--alter --config k=v` and `--alter --delete-config k` (the tutorial's `--deleteConfig`) change
 * the topic's configs, after Kafka 2.x's deprecation warning. With --bootstrap-server Kafka 4's
 * rules apply: topic configs change through kafka-configs, and --delete-config is ignored.
 */
import type { Command } from 'commander';
import { AdminError, type Admin } from '../client/admin.js';
import { collect, connectAdmin, parseFlags, processIO, toolCommand, usageFailure, UsageError, type CommandIO } from './common.js';
import { brokersFromEtcd } from './etcd-brokers.js';
import { AssignmentError, parseReplicaAssignment } from './replica-assignment.js';
import { describeTopics, kafkaUuid } from './topics-describe.js';

interface TopicsOptions {
  bootstrapServer?: string;
  zookeeper?: string;
  commandConfig?: string;
  create?: boolean;
  list?: boolean;
  describe?: boolean;
  alter?: boolean;
  delete?: boolean;
  topic?: string;
  topicId?: string;
  partitions?: string;
  replicationFactor?: string;
  config: string[];
  deleteConfig: string[];
  replicaAssignment?: string;
  ifExists?: boolean;
  ifNotExists?: boolean;
  excludeInternal?: boolean;
  underReplicatedPartitions?: boolean;
  underMinIsrPartitions?: boolean;
  atMinIsrPartitions?: boolean;
  unavailablePartitions?: boolean;
  topicsWithOverrides?: boolean;
  partitionSizeLimitPerResponse?: string;
}

/** A failed operation: "Error while executing topic command : ...", exit 1. */
class CommandError extends Error {}

const ACTIONS = ['create', 'list', 'describe', 'alter', 'delete'] as const;
type Action = (typeof ACTIONS)[number];
const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);
const REPORTS = ['underReplicatedPartitions', 'underMinIsrPartitions', 'atMinIsrPartitions', 'unavailablePartitions'] as const;
const CONFIGS_TOOL_NOTE = ' (To alter topic configurations, the kafka-configs tool can be used.)';

function program(io: CommandIO): Command {
  return toolCommand('kafka-topics', 'Create, delete, describe, or change a topic.', io)
    .option('--bootstrap-server <String: server to connect to>', 'REQUIRED (or --zookeeper): The Kafka server to connect to.')
    .option('--zookeeper <String: hosts>', 'DEPRECATED: The ZooKeeper-style connect string host:port[,host:port...][/chroot] of the etcd the Tributary brokers register in; the tool reads the live brokers there and connects to them. Use --bootstrap-server instead.')
    .option('--command-config <String: command config property file>', 'Property file containing configs to be passed to Admin Client (client.id, request.timeout.ms).')
    .option('--create', 'Create a new topic.')
    .option('--list', 'List all available topics.')
    .option('--describe', 'List details for the given topics.')
    .option('--alter', `Alter the number of partitions and replica assignment.${CONFIGS_TOOL_NOTE}`)
    .option('--delete', 'Delete a topic.')
    .option('--topic <String: topic>', 'The topic to create, alter, describe or delete. It also accepts a regular expression, except for --create.')
    .option('--topic-id <String: topic-id>', 'The topic-id to describe.')
    .option('--partitions <Integer: # of partitions>', "The number of partitions for the topic being created or altered. Default with --create: the broker's num.partitions. (Adding partitions to a topic with keyed records changes which partition a key goes to.)")
    .option('--replication-factor <Integer: replication factor>', "The replication factor for each partition in the topic being created. Default: the broker's default.replication.factor.")
    .option('--config <String: name=value>', 'A topic configuration override for the topic being created (repeatable); with --zookeeper also for --alter.', collect, [] as string[])
    .option('--delete-config <String: name>', 'With --zookeeper and --alter: a topic configuration override to remove (repeatable). Deprecated since Kafka 4.0 and ignored with --bootstrap-server.', collect, [] as string[])
    .option('--replica-assignment <String: broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , broker_id_for_part2_replica1 : broker_id_for_part2_replica2 , ...>', 'Manual partition-to-broker assignments for the topic being created or altered.')
    .option('--if-exists', 'With --alter, --delete or --describe: only act if the topic exists.')
    .option('--if-not-exists', 'With --create: do not fail if the topic already exists.')
    .option('--exclude-internal', 'Exclude internal topics when listing or describing.')
    .option('--under-replicated-partitions', 'With --describe: only partitions whose ISR is smaller than their replication factor.')
    .option('--under-min-isr-partitions', 'With --describe: only partitions without a leader or whose ISR is below min.insync.replicas.')
    .option('--at-min-isr-partitions', 'With --describe: only partitions whose ISR is exactly min.insync.replicas.')
    .option('--unavailable-partitions', 'With --describe: only partitions whose leader is missing or not a live broker.')
    .option('--topics-with-overrides', 'With --describe: only the summary of topics that override a config.')
    .option('--partition-size-limit-per-response <Integer: maximum number of partitions per response>', 'Accepted for compatibility; ignored.');
}

/** The tutorial's camel-case flags, as the current ones. */
function normalizeArgv(argv: readonly string[]): string[] {
  return argv.map((a) => (a === '--deleteConfig' ? '--delete-config' : a.startsWith('--deleteConfig=') ? `--delete-config=${a.slice(15)}` : a));
}

/** Runs kafka-topics with `argv` (the flags only); returns the exit code. */
export async function topicsCommand(argv: readonly string[], io: CommandIO = processIO): Promise<number> {
  const cmd = program(io);
  const o = parseFlags<TopicsOptions>(cmd, normalizeArgv(argv));
  if (typeof o === 'number') return o;
  try {
    const chosen = ACTIONS.filter((a) => o[a]);
    if (chosen.length !== 1) throw new UsageError('Command must include exactly one action: --list, --describe, --create, --alter or --delete');
    if (o.bootstrapServer !== undefined && o.zookeeper !== undefined) throw new UsageError('Only one of --bootstrap-server or --zookeeper must be specified');
    if (o.bootstrapServer === undefined && o.zookeeper === undefined) throw new UsageError('--bootstrap-server must be specified');
    if (o.bootstrapServer !== undefined && o.deleteConfig.length > 0) {
      io.err('delete-config option is no longer supported and deprecated since version 4.0. The config will be fully removed in future releases.\n');
    }
    const action = chosen[0]!;
    validate(action, o);
    const bootstrap = o.bootstrapServer ?? (await resolveZookeeper(o.zookeeper!, io));
    const admin = await connectAdmin(bootstrap, o.commandConfig, 'kafka-topics');
    try {
      await run(action, o, admin, io);
    } finally {
      await admin.close();
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(cmd, io, err);
    const msg = err instanceof AdminError ? err.failures.map((f) => f.error.message).join('; ') : (err as Error).message;
    io.out(`Error while executing topic command : ${msg}\n`);
    return 1;
  }
}

/** --zookeeper: the brokers registered in etcd under the chroot, as a bootstrap list, with a note on stderr. */
async function resolveZookeeper(connect: string, io: CommandIO): Promise<string> {
  let brokers;
  try {
    brokers = await brokersFromEtcd(connect);
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(`Invalid --zookeeper connect string: ${err.message.replace(/^etcd\.connect:? ?/, '')}`);
    throw new CommandError(`Could not read the brokers from etcd at ${connect}: ${(err as Error).message}`);
  }
  if (brokers.length === 0) throw new CommandError(`No brokers are registered in etcd at ${connect}`);
  const list = brokers.map((b) => `${b.host}:${b.port}`).join(',');
  io.err(`Warning: --zookeeper is deprecated; ${connect} was resolved through etcd to the brokers ${list} (use --bootstrap-server ${list}).\n`);
  return list;
}

function validate(action: Action, o: TopicsOptions): void {
  const used = (v: unknown): boolean => v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0);
  const onlyWith = (flag: string, set: unknown, allowed: readonly Action[]): void => {
    if (used(set) && !allowed.includes(action)) throw new UsageError(`Option "[${flag}]" can't be used with option "[${action}]"`);
  };
  const zk = o.zookeeper !== undefined;
  if (action === 'alter' && !zk && used(o.config)) {
    throw new UsageError(`Option combination "[[config], [bootstrap-server]]" can't be used with option "[alter]"${CONFIGS_TOOL_NOTE}`);
  }
  onlyWith('config', o.config, ['create', 'alter']);
  onlyWith('partitions', o.partitions, ['create', 'alter']);
  onlyWith('replication-factor', o.replicationFactor, ['create']);
  onlyWith('replica-assignment', o.replicaAssignment, ['create', 'alter']);
  if (zk) onlyWith('delete-config', o.deleteConfig, ['alter']);
  if (action === 'create' && used(o.replicaAssignment)) {
    for (const [flag, v] of [['partitions', o.partitions], ['replication-factor', o.replicationFactor]] as const) {
      if (used(v)) throw new UsageError(`Option "[replica-assignment]" can't be used with option "[${flag}]"`);
    }
  }
  for (const r of REPORTS) {
    const flag = r.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    onlyWith(flag, o[r], ['describe']);
    if (o[r] && o.topicsWithOverrides) throw new UsageError(`Option "[${flag}]" can't be used with option "[topics-with-overrides]"`);
  }
  onlyWith('topics-with-overrides', o.topicsWithOverrides, ['describe']);
  onlyWith('if-exists', o.ifExists, ['alter', 'delete', 'describe']);
  onlyWith('if-not-exists', o.ifNotExists, ['create']);
  onlyWith('exclude-internal', o.excludeInternal, ['list', 'describe']);
  if (action !== 'list' && action !== 'describe' && o.topic === undefined) throw new UsageError('Missing required argument "[topic]"');
  const changesConfigs = zk && (used(o.config) || used(o.deleteConfig));
  if (action === 'alter' && o.partitions === undefined && !changesConfigs) throw new UsageError('Missing required argument "[partitions]"');
  for (const [flag, v] of [['partitions', o.partitions], ['replication-factor', o.replicationFactor]] as const) {
    if (v !== undefined && !/^[+-]?\d+$/.test(v.trim())) throw new UsageError(`Cannot parse argument '${v}' of option ${flag}`);
  }
  for (const c of o.config) if (c.indexOf('=') <= 0) throw new UsageError(`Invalid topic config: all configs to be added must be in the format "key=val", got ${JSON.stringify(c)}`);
}

function matcher(topic: string | undefined): (name: string) => boolean {
  if (topic === undefined) return () => true;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${topic})$`);
  } catch {
    return (name) => name === topic;
  }
  return (name) => re.test(name);
}

async function matchingTopics(admin: Admin, o: TopicsOptions): Promise<string[]> {
  const all = await admin.listTopics({ includeInternal: !o.excludeInternal });
  return all.filter(matcher(o.topic));
}

function ensureTopicsExist(o: TopicsOptions, found: readonly string[]): void {
  if (found.length === 0 && o.topic !== undefined && !o.ifExists) throw new CommandError(`Topic '${o.topic}' does not exist as expected`);
}

/** --replica-assignment, parsed; a malformed one fails the command as in Kafka. */
function assignment(o: TopicsOptions): number[][] | undefined {
  if (o.replicaAssignment === undefined || o.replicaAssignment === '') return undefined;
  try {
    return parseReplicaAssignment(o.replicaAssignment);
  } catch (err) {
    if (err instanceof AssignmentError) throw new CommandError(err.message);
    throw err;
  }
}

function keyValue(c: string): [string, string] {
  const i = c.indexOf('=');
  return [c.slice(0, i).trim(), c.slice(i + 1).trim()];
}

async function create(o: TopicsOptions, admin: Admin, io: CommandIO): Promise<void> {
  const name = o.topic!;
  if (name.includes('.') || name.includes('_')) {
    io.out("WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.\n");
  }
  const assignments = assignment(o);
  const rf = o.replicationFactor === undefined ? undefined : Number(o.replicationFactor);
  const partitions = o.partitions === undefined ? undefined : Number(o.partitions);
  if (rf !== undefined && (rf < 1 || rf > 32767)) throw new CommandError('The replication factor must be between 1 and 32767 inclusive');
  if (partitions !== undefined && partitions < 1) throw new CommandError('The partitions must be greater than 0');
  try {
    await admin.createTopics([
      {
        name,
        ...(assignments ? { assignments } : {}),
        ...(partitions !== undefined ? { partitions } : {}),
        ...(rf !== undefined ? { replicationFactor: rf } : {}),
        configs: Object.fromEntries(o.config.map(keyValue)),
      },
    ]);
  } catch (err) {
    if (o.ifNotExists && err instanceof AdminError && err.failures.every((f) => f.error.errorName === 'TOPIC_ALREADY_EXISTS')) return;
    throw err;
  }
  io.out(`Created topic ${name}.\n`);
}

async function alter(o: TopicsOptions, admin: Admin, io: CommandIO): Promise<void> {
  const topics = await matchingTopics(admin, o);
  ensureTopicsExist(o, topics);
  if (topics.length === 0) return;
  if (o.zookeeper !== undefined && (o.config.length > 0 || o.deleteConfig.length > 0)) {
    for (const topic of topics) {
      io.out('WARNING: Altering topic configuration from this script has been deprecated and may be removed in future releases.\n');
      io.out('         Going forward, please use kafka-configs.sh for this functionality\n');
      await admin.incrementalAlterConfigs({ type: 'topic', name: topic }, [
        ...o.config.map((c) => ({ name: keyValue(c)[0], value: keyValue(c)[1] })),
        ...o.deleteConfig.map((name) => ({ name: name.trim(), op: 'delete' as const })),
      ]);
      io.out(`Updated config for topic ${topic}.\n`);
    }
  }
  if (o.partitions === undefined) return;
  const count = Number(o.partitions);
  const assignments = assignment(o);
  const current = assignments ? new Map((await admin.describeTopics(topics)).map((t) => [t.name, t.partitions.length])) : new Map<string, number>();
  await admin.createPartitions(
    topics.map((topic) => ({ topic, count, ...(assignments ? { assignments: assignments.slice(current.get(topic) ?? 0) } : {}) })),
  );
}

async function run(action: Action, o: TopicsOptions, admin: Admin, io: CommandIO): Promise<void> {
  switch (action) {
    case 'create':
      return create(o, admin, io);
    case 'list': {
      for (const t of await matchingTopics(admin, o)) io.out(`${t}\n`);
      return;
    }
    case 'alter':
      return alter(o, admin, io);
    case 'delete': {
      const topics = await matchingTopics(admin, o);
      ensureTopicsExist(o, topics);
      for (const t of topics) {
        if (INTERNAL_TOPICS.has(t)) throw new CommandError(`Topic ${t} is a kafka internal topic and is not allowed to be marked for deletion.`);
      }
      if (topics.length > 0) await admin.deleteTopics(topics);
      return;
    }
    case 'describe': {
      let names = await matchingTopics(admin, o);
      if (o.topicId !== undefined) {
        const all = await admin.describeTopics(names);
        names = all.filter((t) => kafkaUuid(t.topicId) === o.topicId || t.topicId === o.topicId).map((t) => t.name);
        if (names.length === 0 && !o.ifExists) throw new CommandError(`TopicId '${o.topicId}' does not exist as expected`);
      }
      ensureTopicsExist(o, names);
      if (names.length > 0) await describeTopics(admin, names, o, io);
      return;
    }
  }
}

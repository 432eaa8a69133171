/**
 * `tributary topics` / `bin/kafka-topics.sh`: Kafka's kafka-topics.sh (TopicCommand) with its
 * flags, messages, output format and exit codes, on the Admin client. Against Tributary or Apache
 * Kafka.
 *
 *   --create   --topic T [--partitions N] [--replication-factor R] [--config k=v ...] [--if-not-exists]
 *   --list     [--topic REGEX] [--exclude-internal]
 *   --describe [--topic REGEX] [--exclude-internal] [--if-exists] [--topics-with-overrides]
 *              [--under-replicated-partitions | --unavailable-partitions |
 *               --under-min-isr-partitions | --at-min-isr-partitions]
 *   --alter    --topic REGEX --partitions N [--if-exists]
 *   --delete   --topic REGEX [--if-exists]
 *
 * As in Kafka, --topic is a regular expression matched against whole names except with --create,
 * errors print "Error while executing topic command : ..." and exit 1, and partition lines show
 * "Elr: N/A LastKnownElr: N/A" when the broker does not serve DescribeTopicPartitions.
 */
import type { Command } from 'commander';
import { AdminError, type Admin, type TopicDescription } from '../client/admin.js';
import { collect, connectAdmin, parseFlags, processIO, toolCommand, usageFailure, UsageError, type CommandIO } from './common.js';

interface TopicsOptions {
  bootstrapServer?: string;
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

/** A problem with the command line: printed with the usage, exit 1 (Kafka's CommandLineUtils.printUsageAndExit). */
/** A failed operation: "Error while executing topic command : ...", exit 1. */
class CommandError extends Error {}

const ACTIONS = ['create', 'list', 'describe', 'alter', 'delete'] as const;
const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);

function program(io: CommandIO): Command {
  return toolCommand('kafka-topics', 'Create, delete, describe, or change a topic.', io)
    .option('--bootstrap-server <String: server to connect to>', 'REQUIRED: The Kafka server to connect to.')
    .option('--command-config <String: command config property file>', 'Property file containing configs to be passed to Admin Client (client.id, request.timeout.ms).')
    .option('--create', 'Create a new topic.')
    .option('--list', 'List all available topics.')
    .option('--describe', 'List details for the given topics.')
    .option('--alter', 'Alter the number of partitions for the topic.')
    .option('--delete', 'Delete a topic.')
    .option('--topic <String: topic>', 'The topic to create, alter, describe or delete. It also accepts a regular expression, except for --create.')
    .option('--topic-id <String: topic-id>', 'The topic-id to describe.')
    .option('--partitions <Integer: # of partitions>', 'The number of partitions for the topic being created or altered. Default: the broker\'s num.partitions.')
    .option('--replication-factor <Integer: replication factor>', 'The replication factor for each partition in the topic being created. Default: the broker\'s default.replication.factor.')
    .option('--config <String: name=value>', 'A topic configuration override for the topic being created (repeatable).', collect, [] as string[])
    .option('--replica-assignment <String>', 'A list of manual partition-to-broker assignments (not supported).')
    .option('--if-exists', 'With --alter, --delete or --describe: only act if the topic exists.')
    .option('--if-not-exists', 'With --create: only create the topic if it does not already exist.')
    .option('--exclude-internal', 'Exclude internal topics when listing or describing.')
    .option('--under-replicated-partitions', 'With --describe: only partitions whose ISR is smaller than their replicas.')
    .option('--under-min-isr-partitions', 'With --describe: only partitions whose ISR is below min.insync.replicas.')
    .option('--at-min-isr-partitions', 'With --describe: only partitions whose ISR is exactly min.insync.replicas.')
    .option('--unavailable-partitions', 'With --describe: only partitions without a leader.')
    .option('--topics-with-overrides', 'With --describe: only topics that override configs (their summary line).')
    .option('--partition-size-limit-per-response <Integer>', 'Accepted for compatibility; ignored.');
}

/** Runs kafka-topics with `argv` (the flags only); returns the exit code. */
export async function topicsCommand(argv: readonly string[], io: CommandIO = processIO): Promise<number> {
  const cmd = program(io);
  const o = parseFlags<TopicsOptions>(cmd, argv);
  if (typeof o === 'number') return o;
  try {
    const chosen = ACTIONS.filter((a) => o[a]);
    if (!o.bootstrapServer) throw new UsageError('--bootstrap-server must be specified');
    if (chosen.length !== 1) throw new UsageError('Command must include exactly one action: --list, --describe, --create, --alter or --delete');
    const action = chosen[0]!;
    validate(action, o);
    const admin = await connectAdmin(o.bootstrapServer, o.commandConfig, 'kafka-topics');
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

function validate(action: (typeof ACTIONS)[number], o: TopicsOptions): void {
  const onlyWith = (flag: string, set: unknown, allowed: ReadonlyArray<(typeof ACTIONS)[number]>): void => {
    if (set !== undefined && set !== false && !(Array.isArray(set) && set.length === 0) && !allowed.includes(action)) {
      throw new UsageError(`Option "[${flag}]" can't be used with option "[${action}]"`);
    }
  };
  onlyWith('config', o.config, ['create']);
  onlyWith('replication-factor', o.replicationFactor, ['create']);
  onlyWith('partitions', o.partitions, ['create', 'alter']);
  onlyWith('if-not-exists', o.ifNotExists, ['create']);
  onlyWith('if-exists', o.ifExists, ['alter', 'delete', 'describe']);
  for (const f of ['underReplicatedPartitions', 'underMinIsrPartitions', 'atMinIsrPartitions', 'unavailablePartitions', 'topicsWithOverrides'] as const) {
    onlyWith(f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), o[f], ['describe']);
  }
  if (o.replicaAssignment !== undefined) throw new UsageError('--replica-assignment is not supported by this tool');
  if ((action === 'create' || action === 'alter' || action === 'delete') && o.topic === undefined) {
    throw new UsageError('Missing required argument "[topic]"');
  }
  if (action === 'alter' && o.partitions === undefined) throw new UsageError('Missing required argument "[partitions]"');
  for (const [flag, v] of [['partitions', o.partitions], ['replication-factor', o.replicationFactor]] as const) {
    if (v !== undefined && !/^[1-9]\d*$/.test(v)) throw new UsageError(`--${flag} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  for (const c of o.config) if (c.indexOf('=') <= 0) throw new UsageError(`Invalid topic config: all configs to be added must be in the format "key=val", got ${JSON.stringify(c)}`);
}

/** Kafka's Uuid.toString: URL-safe base64 of the 16 bytes, without padding. */
function kafkaUuid(id: string): string {
  return Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url');
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
  const match = matcher(o.topic);
  return all.filter(match);
}

function ensureTopicsExist(o: TopicsOptions, found: readonly string[]): void {
  if (found.length === 0 && o.topic !== undefined && !o.ifExists) throw new CommandError(`Topic '${o.topic}' does not exist as expected`);
}

async function run(action: (typeof ACTIONS)[number], o: TopicsOptions, admin: Admin, io: CommandIO): Promise<void> {
  switch (action) {
    case 'create': {
      const name = o.topic!;
      if (name.includes('.') || name.includes('_')) {
        io.out("WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.\n");
      }
      const configs = Object.fromEntries(o.config.map((c) => [c.slice(0, c.indexOf('=')), c.slice(c.indexOf('=') + 1)]));
      try {
        await admin.createTopics([
          {
            name,
            ...(o.partitions ? { partitions: Number(o.partitions) } : {}),
            ...(o.replicationFactor ? { replicationFactor: Number(o.replicationFactor) } : {}),
            configs,
          },
        ]);
      } catch (err) {
        if (o.ifNotExists && err instanceof AdminError && err.failures.every((f) => f.error.errorName === 'TOPIC_ALREADY_EXISTS')) return;
        throw err;
      }
      io.out(`Created topic ${name}.\n`);
      return;
    }
    case 'list': {
      for (const t of await matchingTopics(admin, o)) io.out(`${t}\n`);
      return;
    }
    case 'alter': {
      const topics = await matchingTopics(admin, o);
      ensureTopicsExist(o, topics);
      if (topics.length > 0) await admin.createPartitions(topics.map((topic) => ({ topic, count: Number(o.partitions) })));
      return;
    }
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
      if (names.length === 0) return;
      const topics = await admin.describeTopics(names);
      const configs = await admin.describeConfigs(names.map((name) => ({ type: 'topic' as const, name })));
      for (const [i, t] of topics.entries()) describeTopic(t, configs[i]!.entries, o, io);
      return;
    }
  }
}

function describeTopic(
  t: TopicDescription,
  entries: ReadonlyArray<{ name: string; value: string | null; isDefault: boolean; source: string }>,
  o: TopicsOptions,
  io: CommandIO,
): void {
  const shown = entries.filter((e) => !e.isDefault && e.value !== null).map((e) => `${e.name}=${e.value}`);
  const summary =
    `Topic: ${t.name}\tTopicId: ${kafkaUuid(t.topicId)}\tPartitionCount: ${t.partitions.length}\t` +
    `ReplicationFactor: ${t.partitions[0]?.replicas.length ?? 0}\tConfigs: ${shown.join(',')}\n`;
  const minIsr = Number(entries.find((e) => e.name === 'min.insync.replicas')?.value ?? '1');
  const filtering = o.underReplicatedPartitions || o.unavailablePartitions || o.underMinIsrPartitions || o.atMinIsrPartitions;
  if (o.topicsWithOverrides) {
    if (entries.some((e) => e.source === 'DYNAMIC_TOPIC_CONFIG')) io.out(summary);
    return;
  }
  if (!filtering) io.out(summary);
  for (const p of t.partitions) {
    if (o.underReplicatedPartitions && !(p.isr.length < p.replicas.length)) continue;
    if (o.unavailablePartitions && p.leader >= 0) continue;
    if (o.underMinIsrPartitions && !(p.isr.length < minIsr)) continue;
    if (o.atMinIsrPartitions && p.isr.length !== minIsr) continue;
    const leader = p.leader >= 0 ? String(p.leader) : 'none';
    const offline = p.offline.length > 0 ? `\tOffline: ${p.offline.join(',')}` : '';
    io.out(`\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}\tElr: N/A\tLastKnownElr: N/A${offline}\n`);
  }
}

/**
 * `tributary consumer-groups` / `bin/kafka-consumer-groups.sh`: Kafka's ConsumerGroupCommand with its
 * flags and table formats (checked against Kafka 4.3.1's tool run on the same broker), on Admin:
 *
 *   --list [--state [STATES]]
 *   --describe (--group G ... | --all-groups) [--offsets (default) | --members [--verbose] | --state]
 *   --delete (--group G ... | --all-groups)
 *   --reset-offsets (--group G ... | --all-groups) (--topic T[:P,P] ... | --all-topics)
 *       (--to-earliest | --to-latest | --to-current | --to-offset N | --shift-by N |
 *        --to-datetime YYYY-MM-DDTHH:mm:SS.sss[Z] | --by-duration PnDTnHnMnS) [--dry-run | --execute]
 *
 * New offsets are clamped to each partition's [earliest, latest], as Kafka does; resetting needs an
 * inactive group (the broker refuses otherwise). Without --execute nothing changes (a warning says so).
 */
import type { Command } from 'commander';
import { AdminError, type Admin, type GroupDescription } from '../client/admin.js';
import type { TopicPartitionRef } from '../client/consumer-protocol.js';
import { collect, connectAdmin, parseFlags, processIO, toolCommand, usageFailure, UsageError, type CommandIO } from './common.js';

interface GroupsOptions {
  bootstrapServer?: string;
  commandConfig?: string;
  list?: boolean;
  describe?: boolean;
  delete?: boolean;
  resetOffsets?: boolean;
  group: string[];
  allGroups?: boolean;
  offsets?: boolean;
  members?: boolean;
  verbose?: boolean;
  state?: string | true;
  topic: string[];
  allTopics?: boolean;
  toEarliest?: boolean;
  toLatest?: boolean;
  toCurrent?: boolean;
  toOffset?: string;
  shiftBy?: string;
  toDatetime?: string;
  byDuration?: string;
  dryRun?: boolean;
  execute?: boolean;
}

const ACTIONS = ['list', 'describe', 'delete', 'resetOffsets'] as const;

function program(io: CommandIO): Command {
  return toolCommand('kafka-consumer-groups', 'List all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets.', io)
    .option('--bootstrap-server <String: server to connect to>', 'REQUIRED: The server(s) to connect to.')
    .option('--command-config <String: command config property file>', 'Property file containing configs to be passed to Admin Client (client.id, request.timeout.ms).')
    .option('--list', 'List all consumer groups.')
    .option('--describe', 'Describe consumer group and list offset lag (number of messages not yet processed) related to given group.')
    .option('--delete', 'Pass in groups to delete topic partition offsets and ownership information over the entire consumer group.')
    .option('--reset-offsets', 'Reset offsets of consumer group (inactive groups only).')
    .option('--group <String: consumer group>', 'The consumer group we wish to act on (repeatable).', collect, [] as string[])
    .option('--all-groups', 'Apply to all consumer groups.')
    .option('--offsets', 'With --describe: the group\'s offsets and lag (the default).')
    .option('--members', 'With --describe: the group\'s members.')
    .option('--verbose', 'With --describe --members: each member\'s assigned partitions.')
    .option('--state [String]', 'With --describe: the group\'s state. With --list: the state of each group, or only groups in these states (comma-separated).')
    .option('--topic <String: topic>', 'With --reset-offsets: the topic, optionally with partitions (topic:0,1,2) (repeatable).', collect, [] as string[])
    .option('--all-topics', 'With --reset-offsets: every topic the group has offsets for.')
    .option('--to-earliest', 'Reset offsets to the earliest offset.')
    .option('--to-latest', 'Reset offsets to the latest offset.')
    .option('--to-current', 'Reset offsets to the current offset.')
    .option('--to-offset <Long: offset>', 'Reset offsets to a specific offset.')
    .option('--shift-by <Long: number-of-offsets>', 'Reset offsets shifting the current offset by n (n may be negative).')
    .option('--to-datetime <String: datetime>', "Reset offsets to the offset at this datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'.")
    .option('--by-duration <String: duration>', "Reset offsets to the offset at this duration ago. Format: 'PnDTnHnMnS'.")
    .option('--dry-run', 'Only show the result (the default).')
    .option('--execute', 'Execute the operation.');
}

/** Runs kafka-consumer-groups with `argv`; returns the exit code. */
export async function consumerGroupsCommand(argv: readonly string[], io: CommandIO = processIO): Promise<number> {
  const cmd = program(io);
  const o = parseFlags<GroupsOptions>(cmd, argv);
  if (typeof o === 'number') return o;
  try {
    if (!o.bootstrapServer) throw new UsageError('Missing required argument "[bootstrap-server]"');
    const chosen = ACTIONS.filter((a) => o[a]);
    if (chosen.length !== 1) throw new UsageError('Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets');
    const action = chosen[0]!;
    if (action !== 'list' && o.group.length === 0 && !o.allGroups) throw new UsageError(`Option [${action === 'resetOffsets' ? 'reset-offsets' : action}] takes one of these options: [all-groups], [group]`);
    if (action === 'resetOffsets') resetPlan(o); // validate before connecting
    const admin = await connectAdmin(o.bootstrapServer, o.commandConfig, 'kafka-consumer-groups');
    try {
      const groups = o.allGroups ? (await admin.listGroups()).filter((g) => g.protocolType === 'consumer' || g.protocolType === '').map((g) => g.groupId) : o.group;
      switch (action) {
        case 'list':
          await list(admin, o, io);
          break;
        case 'describe':
          await describe(admin, groups, o, io);
          break;
        case 'delete':
          return await deleteGroups(admin, groups, io);
        case 'resetOffsets': {
          let code = 0;
          for (const g of groups) code = Math.max(code, await reset(admin, g, o, io));
          return code;
        }
      }
    } finally {
      await admin.close();
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(cmd, io, err);
    const msg = err instanceof AdminError ? err.failures.map((f) => `${f.resource}: ${f.error.errorName} (${f.error.message})`).join('; ') : (err as Error).message;
    io.err(`Error: Executing consumer group command failed due to ${msg}\n`);
    return 1;
  }
}

/** Left-aligned columns separated by a space; each at least `min` wide (Kafka's %-15s ...), the last unpadded. */
function table(rows: ReadonlyArray<readonly string[]>, mins: readonly number[], fixed: readonly boolean[] = []): string {
  const widths = mins.map((m, i) => (fixed[i] ? m : Math.max(m, ...rows.map((r) => (r[i] ?? '').length))));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join(' ')).join('\n') + '\n';
}

async function deleteGroups(admin: Admin, groups: readonly string[], io: CommandIO): Promise<number> {
  try {
    await admin.deleteGroups(groups);
  } catch (err) {
    if (!(err instanceof AdminError)) throw err;
    const failed = new Set(err.failures.map((f) => f.resource));
    const ok = groups.filter((g) => !failed.has(g));
    if (ok.length > 0) io.out(`Deletion of requested consumer groups (${ok.map((g) => `'${g}'`).join(', ')}) was successful.\n`);
    io.out('Error: Deletion of some consumer groups failed:\n');
    for (const f of err.failures) io.out(`* Group '${f.resource}' could not be deleted due to: ${f.error.errorName}: ${f.error.message}\n`);
    return 1;
  }
  io.out(`Deletion of requested consumer groups (${groups.map((g) => `'${g}'`).join(', ')}) was successful.\n`);
  return 0;
}

async function list(admin: Admin, o: GroupsOptions, io: CommandIO): Promise<void> {
  const states = typeof o.state === 'string' ? o.state.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  const groups = await admin.listGroups(states ? { states } : {});
  if (o.state === undefined) {
    for (const g of groups) io.out(`${g.groupId}\n`);
    return;
  }
  const rows = [['GROUP', 'STATE'], ...groups.map((g) => [g.groupId, g.state])];
  io.out(table(rows.map((r) => [...r, '']), [25, 20, 0]).replace(/ \n/g, '\n'));
}

async function describe(admin: Admin, groups: readonly string[], o: GroupsOptions, io: CommandIO): Promise<void> {
  const described = await admin.describeGroups(groups);
  for (const g of described) {
    if (g.state === 'Dead') {
      io.out(`\nError: Consumer group '${g.groupId}' does not exist.\n`);
      continue;
    }
    if (o.state !== undefined) {
      io.out('\n' + table([['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'], [g.groupId, await coordinatorLabel(admin, g.groupId), g.protocol, g.state, String(g.members.length)]], [15, 25, 20, 20, 0], [false, true, true, true]));
      continue;
    }
    if (o.members) {
      io.out(membersTable(g, o.verbose === true));
      continue;
    }
    await describeOffsets(admin, g, io);
  }
}

async function coordinatorLabel(admin: Admin, groupId: string): Promise<string> {
  const c = await admin.findCoordinator(groupId);
  return `${c.host}:${c.port}  (${c.nodeId})`;
}

function membersTable(g: GroupDescription, verbose: boolean): string {
  if (g.members.length === 0) return `\nConsumer group '${g.groupId}' has no active members.\n`;
  const head = ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', ...(verbose ? ['ASSIGNMENT'] : [])];
  const rows = g.members.map((m) => [g.groupId, m.memberId, m.clientHost, m.clientId, String(m.assignment.length), ...(verbose ? [assignmentText(m.assignment)] : [])]);
  return '\n' + table([head, ...rows].map((r) => (verbose ? r : [...r, ''])), [15, 15, 15, 15, 15, 0]).replace(/ \n/g, '\n');
}

function assignmentText(parts: readonly TopicPartitionRef[]): string {
  const byTopic = new Map<string, number[]>();
  for (const p of parts) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  return [...byTopic].map(([t, ps]) => `${t}(${ps.sort((a, b) => a - b).join(',')})`).join(', ') || '-';
}

async function describeOffsets(admin: Admin, g: GroupDescription, io: CommandIO): Promise<void> {
  const committed = await admin.listConsumerGroupOffsets(g.groupId);
  const owner = new Map<string, { memberId: string; host: string; clientId: string }>();
  for (const m of g.members) for (const p of m.assignment) owner.set(`${p.topic}\u0000${p.partition}`, { memberId: m.memberId, host: m.clientHost, clientId: m.clientId });
  const parts = new Map<string, TopicPartitionRef>();
  for (const c of committed) parts.set(`${c.topic}\u0000${c.partition}`, c);
  for (const m of g.members) for (const p of m.assignment) parts.set(`${p.topic}\u0000${p.partition}`, p);
  const sorted = [...parts.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  const ends = sorted.length > 0 ? await admin.listOffsets(sorted.map((p) => ({ ...p, at: 'latest' as const }))) : [];
  const endOf = new Map(ends.map((e) => [`${e.topic}\u0000${e.partition}`, e.offset]));
  const offsetOf = new Map(committed.map((c) => [`${c.topic}\u0000${c.partition}`, c.offset]));
  let out = '\n';
  if (g.members.length === 0) out += `Consumer group '${g.groupId}' has no active members.\n\n`;
  const rows = sorted.map((p) => {
    const k = `${p.topic}\u0000${p.partition}`;
    const cur = offsetOf.get(k);
    const end = endOf.get(k);
    const who = owner.get(k);
    return [g.groupId, p.topic, String(p.partition), cur === undefined ? '-' : String(cur), end === undefined ? '-' : String(end), cur === undefined || end === undefined ? '-' : String(end - cur), who?.memberId ?? '-', who?.host ?? '-', who?.clientId ?? '-'];
  });
  out += table([['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], ...rows], [15, 15, 10, 15, 15, 15, 15, 15, 0], [false, false, true, true, true, true]);
  io.out(out);
}

type Plan = { kind: 'earliest' | 'latest' | 'current' } | { kind: 'offset'; offset: bigint } | { kind: 'shift'; by: bigint } | { kind: 'time'; timestamp: number };

function resetPlan(o: GroupsOptions): Plan {
  const given = [o.toEarliest, o.toLatest, o.toCurrent, o.toOffset, o.shiftBy, o.toDatetime, o.byDuration].filter((x) => x !== undefined && x !== false).length;
  if (given !== 1) throw new UsageError('Option [reset-offsets] takes exactly one of these options: [to-datetime], [by-duration], [to-earliest], [to-latest], [shift-by], [from-file], [to-current], [to-offset]');
  if (o.topic.length === 0 && !o.allTopics) throw new UsageError('Option [reset-offsets] takes one of these options: [all-topics], [topic]');
  if (o.dryRun && o.execute) throw new UsageError('Option [execute] and [dry-run] cannot be used together');
  if (o.toEarliest) return { kind: 'earliest' };
  if (o.toLatest) return { kind: 'latest' };
  if (o.toCurrent) return { kind: 'current' };
  if (o.toOffset !== undefined) {
    if (!/^\d+$/.test(o.toOffset)) throw new UsageError(`--to-offset must be a non-negative number, got ${o.toOffset}`);
    return { kind: 'offset', offset: BigInt(o.toOffset) };
  }
  if (o.shiftBy !== undefined) {
    if (!/^-?\d+$/.test(o.shiftBy)) throw new UsageError(`--shift-by must be a number, got ${o.shiftBy}`);
    return { kind: 'shift', by: BigInt(o.shiftBy) };
  }
  if (o.toDatetime !== undefined) {
    const iso = /(Z|[+-]\d\d:?\d\d)$/.test(o.toDatetime) ? o.toDatetime : `${o.toDatetime}Z`;
    const t = Date.parse(iso);
    if (Number.isNaN(t)) throw new UsageError(`Error parsing datetime '${o.toDatetime}': expected YYYY-MM-DDTHH:mm:SS.sss`);
    return { kind: 'time', timestamp: t };
  }
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(o.byDuration ?? '');
  if (!m || o.byDuration === 'P' || o.byDuration === 'PT') throw new UsageError(`Error parsing duration '${o.byDuration}': expected PnDTnHnMnS`);
  const ms = ((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 60_000 + Number(m[4] ?? 0) * 1000;
  return { kind: 'time', timestamp: Date.now() - ms };
}

async function reset(admin: Admin, groupId: string, o: GroupsOptions, io: CommandIO): Promise<number> {
  const plan = resetPlan(o);
  const [state] = await admin.describeGroups([groupId]);
  if (state && state.state !== 'Empty' && state.state !== 'Dead') {
    io.err(`Error: Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${state.state}.\n`);
    return 1;
  }
  const committed = await admin.listConsumerGroupOffsets(groupId);
  const current = new Map(committed.map((c) => [`${c.topic}\u0000${c.partition}`, c.offset]));
  let targets: TopicPartitionRef[];
  if (o.allTopics) targets = committed.map((c) => ({ topic: c.topic, partition: c.partition }));
  else {
    targets = [];
    for (const spec of o.topic) {
      const i = spec.indexOf(':');
      const topic = i < 0 ? spec : spec.slice(0, i);
      if (i >= 0) {
        for (const p of spec.slice(i + 1).split(',')) {
          if (!/^\d+$/.test(p.trim())) throw new UsageError(`Invalid partition in --topic ${spec}`);
          targets.push({ topic, partition: Number(p) });
        }
      } else {
        const [d] = await admin.describeTopics([topic]);
        for (const p of d!.partitions) targets.push({ topic, partition: p.partition });
      }
    }
  }
  targets.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  const bounds = targets.length > 0
    ? await Promise.all([admin.listOffsets(targets.map((t) => ({ ...t, at: 'earliest' as const }))), admin.listOffsets(targets.map((t) => ({ ...t, at: 'latest' as const })))])
    : [[], []];
  const byTime = plan.kind === 'time' && targets.length > 0 ? await admin.listOffsets(targets.map((t) => ({ ...t, at: { timestamp: plan.timestamp } }))) : [];
  const next = targets.map((t, i) => {
    const lo = bounds[0][i]!.offset;
    const hi = bounds[1][i]!.offset;
    const cur = current.get(`${t.topic}\u0000${t.partition}`);
    let want: bigint;
    switch (plan.kind) {
      case 'earliest':
        want = lo;
        break;
      case 'latest':
        want = hi;
        break;
      case 'current':
        want = cur ?? hi;
        break;
      case 'offset':
        want = plan.offset;
        break;
      case 'shift':
        want = (cur ?? hi) + plan.by;
        break;
      case 'time':
        want = byTime[i]!.offset;
        break;
    }
    return { ...t, offset: want < lo ? lo : want > hi ? hi : want };
  });
  if (!o.execute && !o.dryRun) {
    io.out('WARN: No action will be performed as the --execute option is missing. In version 5.0, this command will require either --dry-run or --execute to be specified. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.\n');
  }
  if (o.execute && next.length > 0) await admin.alterConsumerGroupOffsets(groupId, next);
  io.out('\n' + table([['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], ...next.map((n) => [groupId, n.topic, String(n.partition), String(n.offset)])], [15, 15, 10, 0]));
  return 0;
}

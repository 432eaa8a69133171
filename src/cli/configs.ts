/**
 * `tributary configs` / `bin/kafka-configs.sh`: Kafka's kafka-configs.sh (ConfigCommand) for topic,
 * broker and group configs, with its flags, output and exit codes, on the Admin client.
 *
 *   --describe --entity-type topics|brokers|groups|users [--entity-name N | --entity-default] [--all]
 *   --alter    --entity-type topics|brokers|groups|users (--entity-name N | --entity-default)
 *              [--add-config 'k1=v1,k2=[a,b]'] [--add-config-file F] [--delete-config 'k1,k2']
 *   shortcuts: --topic T (topics T), --broker N (brokers N), --broker-defaults (brokers, default),
 *              --group G (groups G)
 *
 * As Kafka: --describe shows the dynamic values of the entity (of its own layer) with their
 * synonyms, --all every value; a missing topic, or a group that neither exists nor has configs,
 * is "doesn't exist and doesn't have dynamic config" (exit 0); a failed call prints "Error while
 * executing config command with args '...'" on stderr and exits 1. Groups have no default entity.
 * Without --entity-name, groups are the groups that exist (Kafka also lists groups that only have
 * configs, with ListConfigResources, which Tributary does not serve yet). Users: SCRAM
 * credentials (configs-users.ts: --add-config 'SCRAM-SHA-256=[iterations=8192,password=p]',
 * --delete-config SCRAM-SHA-256, --describe) and client quotas of users, clients (and both), ips
 * (configs-quotas.ts: --add-config 'producer_byte_rate=1024', --entity-type users --entity-name U
 * --entity-type clients --entity-default, shortcuts --user/--client/--ip and their -defaults).
 * Client-metrics are not supported.
 */
import type { Command } from 'commander';
import { AdminError, type Admin, type AlterConfigOp, type ConfigEntry, type ConfigResource, type ConfigSourceName } from '../client/admin.js';
import { userAlterations } from './configs-users.js';
import { alterUserInEtcd, describeUsersInEtcd } from './configs-etcd-users.js';
import { alterQuotaEntity, ConfigArgumentError, describeQuotaEntity, type QuotaEntityPart, type QuotaEntityType } from './configs-quotas.js';
import { connectAdmin, parseFlags, processIO, readProperties, toolCommand, usageFailure, UsageError, type CommandIO } from './common.js';

interface ConfigsOptions {
  bootstrapServer?: string;
  zookeeper?: string;
  commandConfig?: string;
  describe?: boolean;
  alter?: boolean;
  entityType?: string[];
  entityName?: string[];
  entityDefault?: boolean;
  user?: string;
  client?: string;
  ip?: string;
  userDefaults?: boolean;
  clientDefaults?: boolean;
  ipDefaults?: boolean;
  topic?: string;
  broker?: string;
  brokerDefaults?: boolean;
  group?: string;
  all?: boolean;
  addConfig?: string;
  addConfigFile?: string;
  deleteConfig?: string;
}


/** The entity a command is about: a topic, a broker, the brokers' cluster-wide default, a group, or a quota entity (users/clients/ips). */
type Entity = { type: 'quota'; parts: QuotaEntityPart[] } | { type: 'topics'; name: string | null } | { type: 'brokers'; name: string | null; isDefault: boolean } | { type: 'groups'; name: string | null };

function program(io: CommandIO): Command {
  return toolCommand('kafka-configs', 'Add, remove or describe topic, broker and group configs, client quotas (users, clients, ips) and SCRAM credentials.', io)
    .option('--bootstrap-server <String: server to connect to>', 'REQUIRED: The Kafka server to connect to.')
    .option('--zookeeper <String: urls>', "DEPRECATED, users only: the ZooKeeper-style connect string host:port[/chroot] of the cluster's etcd; SCRAM credentials are written there directly (how the brokers' own inter-broker user is created before they start). Use --bootstrap-server otherwise.")
    .option('--command-config <String: command config property file>', 'Property file containing configs to be passed to Admin Client (client.id, request.timeout.ms).')
    .option('--describe', 'List configs for the given entity.')
    .option('--alter', 'Alter the configuration for the entity.')
    .option('--entity-type <String>', 'Type of entity (topics/brokers/groups/users/clients/ips); users and clients may be given together.', collect)
    .option('--entity-name <String>', 'Name of entity (topic name/broker id/group name/user principal name/client id/ip); with two --entity-type, one per type in the same order.', collect)
    .option('--entity-default', 'Default entity name for brokers, users, clients and ips (applies to every one without its own config).')
    .option('--topic <String: topic>', 'The topic\'s name; shortcut for --entity-type topics --entity-name <topic>.')
    .option('--broker <String: broker id>', 'The broker\'s id; shortcut for --entity-type brokers --entity-name <id>.')
    .option('--broker-defaults', 'Shortcut for --entity-type brokers --entity-default.')
    .option('--group <String: group>', "The group's name; shortcut for --entity-type groups --entity-name <group>.")
    .option('--user <String: user>', "The user's principal name; shortcut for --entity-type users --entity-name <user>.")
    .option('--client <String: client-id>', 'The client id; shortcut for --entity-type clients --entity-name <client-id>.')
    .option('--ip <String: ip>', 'The IP address; shortcut for --entity-type ips --entity-name <ip>.')
    .option('--user-defaults', 'Shortcut for --entity-type users --entity-default.')
    .option('--client-defaults', 'Shortcut for --entity-type clients --entity-default.')
    .option('--ip-defaults', 'Shortcut for --entity-type ips --entity-default.')
    .option('--all', 'With --describe: all configs of the entity, not only the dynamic ones.')
    .option('--add-config <String>', "Key-value pairs of configs to add, e.g. 'k1=v1,k2=[v1,v2,v2],k3=v3'. Square brackets group values that contain commas.")
    .option('--add-config-file <String>', 'Path to a properties file of configs to add.')
    .option('--delete-config <String>', 'Config keys to remove, comma-separated.');
}

/** Runs kafka-configs with `argv` (the flags only); returns the exit code. */
export async function configsCommand(argv: readonly string[], io: CommandIO = processIO): Promise<number> {
  const cmd = program(io);
  const o = parseFlags<ConfigsOptions>(cmd, argv);
  if (typeof o === 'number') return o;
  let entity: Entity;
  try {
    if (o.bootstrapServer !== undefined && o.zookeeper !== undefined) throw new UsageError('Only one of --bootstrap-server or --zookeeper must be specified');
    if (!o.bootstrapServer && !o.zookeeper) throw new UsageError('Only one of --bootstrap-server or --bootstrap-controller must be specified');
    if (Number(o.describe === true) + Number(o.alter === true) !== 1) throw new UsageError('Command must include exactly one action: --describe, --alter');
    entity = entityOf(o, argv);
    if (o.zookeeper !== undefined && !(entity.type === 'quota' && entity.parts.length === 1 && entity.parts[0]!.type === 'users' && entity.parts[0]!.name !== null)) {
      throw new UsageError('--zookeeper is only supported for --entity-type users with a user name or none (SCRAM credentials); use --bootstrap-server');
    }
    if (o.alter) {
      if (entity.type !== 'quota' && entity.name === null && !(entity.type === 'brokers' && entity.isDefault)) throw new UsageError(`An entity name must be specified with --alter of ${entity.type}`);
      if (o.addConfig === undefined && o.addConfigFile === undefined && o.deleteConfig === undefined) {
        throw new UsageError('At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter');
      }
    } else if (o.addConfig !== undefined || o.addConfigFile !== undefined || o.deleteConfig !== undefined) {
      throw new UsageError('--add-config, --add-config-file and --delete-config are only valid with --alter');
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return usageFailure(cmd, io, err);
  }
  try {
    if (o.zookeeper !== undefined && entity.type === 'quota') {
      const user = entity.parts[0]!.name ?? null;
      if (o.alter) {
        if (user === null) throw new Error('An entity name must be specified with --alter of users');
        await alterUserInEtcd(o.zookeeper, user, userAlterations(user, o.addConfig !== undefined ? parseAddConfig(o.addConfig) : [], (o.deleteConfig ?? '').split(',').map((k) => k.trim()).filter((k) => k !== '')), io);
      } else {
        await describeUsersInEtcd(o.zookeeper, user, io);
      }
      return 0;
    }
    const admin = await connectAdmin(o.bootstrapServer!, o.commandConfig, 'kafka-configs');
    try {
      if (o.alter) await alter(admin, entity, o, io);
      else await describe(admin, entity, o.all === true, io);
    } finally {
      await admin.close();
    }
    return 0;
  } catch (err) {
    if (err instanceof ConfigArgumentError) {
      io.err(`${err.message}\n`);
      return 1;
    }
    io.err(`Error while executing config command with args '${argv.join(' ')}'\n`);
    if (err instanceof AdminError) for (const f of err.failures) io.err(`${f.error.errorName}: ${f.error.message}\n`);
    else io.err(`${(err as Error).message}\n`);
    return 1;
  }
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** --entity-name and --entity-default in command-line order (null: the default), as Kafka pairs them with the types. */
function entityNames(argv: readonly string[]): Array<string | null> {
  const out: Array<string | null> = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--entity-default') out.push(null);
    else if (a === '--entity-name') out.push(argv[++i] ?? '');
    else if (a.startsWith('--entity-name=')) out.push(a.slice('--entity-name='.length));
  }
  return out;
}

const QUOTA_TYPES: readonly string[] = ['users', 'clients', 'ips'];

function entityOf(o: ConfigsOptions, argv: readonly string[]): Entity {
  const quotaShortcuts: QuotaEntityPart[] = [];
  if (o.user !== undefined) quotaShortcuts.push({ type: 'users', name: o.user });
  if (o.userDefaults) quotaShortcuts.push({ type: 'users', name: null });
  if (o.client !== undefined) quotaShortcuts.push({ type: 'clients', name: o.client });
  if (o.clientDefaults) quotaShortcuts.push({ type: 'clients', name: null });
  if (o.ip !== undefined) quotaShortcuts.push({ type: 'ips', name: o.ip });
  if (o.ipDefaults) quotaShortcuts.push({ type: 'ips', name: null });
  const shortcuts = [o.topic !== undefined, o.broker !== undefined, o.brokerDefaults === true, o.group !== undefined].filter(Boolean).length;
  const types = o.entityType ?? [];
  if ((shortcuts > 0 || quotaShortcuts.length > 0) && (types.length > 0 || o.entityName !== undefined || o.entityDefault)) {
    throw new UsageError('--entity-{type,name,default} should not be used in conjunction with specific entity flags');
  }
  if (shortcuts > 1 || (shortcuts === 1 && quotaShortcuts.length > 0)) throw new UsageError('Only one entity type may be specified (--entity-type, --topic, --broker, --broker-defaults or --group)');
  if (o.topic !== undefined) return { type: 'topics', name: o.topic };
  if (o.group !== undefined) return { type: 'groups', name: o.group };
  if (o.broker !== undefined) return { type: 'brokers', name: o.broker, isDefault: false };
  if (o.brokerDefaults) return { type: 'brokers', name: null, isDefault: true };
  if (quotaShortcuts.length > 0) return quotaEntity(quotaShortcuts);
  if (types.length === 0) throw new UsageError('--entity-type must be specified');
  const dup = types.filter((t, i) => types.indexOf(t) !== i);
  if (dup.length > 0) throw new UsageError(`Duplicate entity type(s) specified: ${[...new Set(dup)].join(',')}`);
  if (types.length > 1 && !(types.length === 2 && types.includes('users') && types.includes('clients'))) throw new UsageError("Only 'users' and 'clients' entity types may be specified together");
  const names = entityNames(argv);
  if (QUOTA_TYPES.includes(types[0]!)) {
    if (names.length > types.length) throw new UsageError('More entity names specified than entity types');
    return quotaEntity(types.map((type, i) => ({ type: type as QuotaEntityType, name: i < names.length ? names[i] : undefined })));
  }
  if (names.length > 1) throw new UsageError('Only one --entity-name or --entity-default may be given for this entity type');
  const entityName = names[0] ?? undefined;
  const entityDefault = names[0] === null;
  const t = types[0]!;
  if (t === 'topics') {
    if (entityDefault) throw new UsageError('--entity-default is not valid for topics');
    return { type: 'topics', name: entityName ?? null };
  }
  if (t === 'brokers') {
    if (entityName !== undefined && entityName !== null && !/^\d+$/.test(entityName)) throw new UsageError(`The entity name for brokers must be a valid integer broker id, but it is: ${entityName}`);
    return { type: 'brokers', name: entityName ?? null, isDefault: entityDefault };
  }
  if (t === 'groups') {
    if (entityDefault) throw new UsageError(`--entity-default must not be specified with --${o.alter ? 'alter' : 'describe'} of groups`);
    return { type: 'groups', name: entityName ?? null };
  }
  throw new UsageError(`Invalid entity type ${t}, the entity type must be one of topics, brokers, groups, users, clients, ips (client-metrics are not supported)`);
}

/** Entity types in command-line order: the first one names the entity in "Completed updating config for ...". */
function quotaEntity(parts: QuotaEntityPart[]): Entity {
  return { type: 'quota', parts };
}

/** Kafka's --add-config syntax: k=v pairs split on commas, except inside [ ] (list values). */
export function parseAddConfig(s: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let depth = 0;
  let cur = '';
  const flush = (): void => {
    const t = cur.trim();
    cur = '';
    if (t === '') return;
    const eq = t.indexOf('=');
    if (eq <= 0) throw new UsageError(`Invalid entity config: all configs to be added must be in the format "key=val", got ${JSON.stringify(t)}`);
    let v = t.slice(eq + 1).trim();
    if (v.startsWith('[') && v.endsWith(']')) v = v.slice(1, -1);
    out.push([t.slice(0, eq).trim(), v]);
  };
  for (const ch of s) {
    if (ch === '[') depth++;
    else if (ch === ']') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) flush();
    else cur += ch;
  }
  flush();
  return out;
}

async function alter(admin: Admin, entity: Entity, o: ConfigsOptions, io: CommandIO): Promise<void> {
  const adds = o.addConfig !== undefined ? parseAddConfig(o.addConfig) : [];
  if (o.addConfigFile !== undefined) adds.push(...(await readProperties(o.addConfigFile)));
  const deletes = (o.deleteConfig ?? '').split(',').map((k) => k.trim()).filter((k) => k !== '');
  const both = deletes.filter((k) => adds.some(([a]) => a === k));
  if (both.length > 0) throw new Error(`Invalid alter config: a config cannot be both added and deleted: ${both.join(',')}`);
  if (entity.type === 'quota') return alterQuotaEntity(admin, entity.parts, adds, deletes, io);
  const ops: AlterConfigOp[] = [...adds.map(([name, value]) => ({ name, value })), ...deletes.map((name) => ({ name, op: 'delete' as const }))];
  await admin.incrementalAlterConfigs(resourceOf(entity, entity.name), ops);
  if (entity.type === 'topics') io.out(`Completed updating config for topic ${entity.name}.\n`);
  else if (entity.type === 'groups') io.out(`Completed updating config for group ${entity.name}.\n`);
  else if (entity.isDefault) io.out('Completed updating default config for brokers in the cluster.\n');
  else io.out(`Completed updating config for broker ${entity.name}.\n`);
}

function resourceOf(entity: Entity, name: string | null): ConfigResource {
  if (entity.type === 'topics' || entity.type === 'quota') return { type: 'topic', name: name! };
  if (entity.type === 'groups') return { type: 'group', name: name! };
  return { type: 'broker', name: entity.isDefault ? '' : name! };
}

async function describe(admin: Admin, entity: Entity, all: boolean, io: CommandIO): Promise<void> {
  if (entity.type === 'quota') return describeQuotaEntity(admin, entity.parts, io);
  if (entity.type === 'topics') {
    const names = entity.name !== null ? [entity.name] : await admin.listTopics({ includeInternal: true });
    if (entity.name !== null && !(await admin.listTopics({ includeInternal: true })).includes(entity.name)) {
      io.out(`The topic '${entity.name}' doesn't exist and doesn't have dynamic config.\n`);
      return;
    }
    for (const name of names) await describeOne(admin, { type: 'topic', name }, `topic ${name}`, 'DYNAMIC_TOPIC_CONFIG', all, io);
    return;
  }
  if (entity.type === 'groups') {
    const existing = (await admin.listGroups()).map((g) => g.groupId);
    if (entity.name === null) {
      for (const name of existing) await describeOne(admin, { type: 'group', name }, `group ${name}`, 'DYNAMIC_GROUP_CONFIG', all, io);
      return;
    }
    const [d] = await admin.describeConfigs([{ type: 'group', name: entity.name }], { includeSynonyms: true });
    if (!existing.includes(entity.name) && !d!.entries.some((e) => e.source === 'DYNAMIC_GROUP_CONFIG')) {
      io.out(`The group '${entity.name}' doesn't exist and doesn't have dynamic config.\n`);
      return;
    }
    printEntries(d!.entries, `group ${entity.name}`, 'DYNAMIC_GROUP_CONFIG', all, io);
    return;
  }
  if (entity.isDefault) {
    await describeOne(admin, { type: 'broker', name: '' }, null, 'DYNAMIC_DEFAULT_BROKER_CONFIG', all, io);
    return;
  }
  const ids = entity.name !== null ? [entity.name] : (await admin.describeCluster()).brokers.map((b) => String(b.nodeId));
  for (const id of ids) await describeOne(admin, { type: 'broker', name: id }, `broker ${id}`, 'DYNAMIC_BROKER_CONFIG', all, io);
  if (entity.name === null) await describeOne(admin, { type: 'broker', name: '' }, null, 'DYNAMIC_DEFAULT_BROKER_CONFIG', all, io);
}

async function describeOne(admin: Admin, resource: ConfigResource, what: string | null, dynamic: ConfigSourceName, all: boolean, io: CommandIO): Promise<void> {
  const [d] = await admin.describeConfigs([resource], { includeSynonyms: true });
  printEntries(d!.entries, what, dynamic, all, io);
}

function printEntries(all_: readonly ConfigEntry[], what: string | null, dynamic: ConfigSourceName, all: boolean, io: CommandIO): void {
  const entries = all_.filter((e) => all || e.source === dynamic);
  io.out(what === null ? 'Default configs for brokers in the cluster are:\n' : `${all ? 'All' : 'Dynamic'} configs for ${what} are:\n`);
  for (const e of entries) io.out(`  ${entryLine(e)}\n`);
}

function entryLine(e: ConfigEntry): string {
  const value = e.sensitive ? 'null' : (e.value ?? 'null');
  const synonyms = e.synonyms.map((s) => `${s.source}:${s.name}=${e.sensitive ? 'null' : (s.value ?? 'null')}`).join(', ');
  return `${e.name}=${value} sensitive=${e.sensitive} synonyms={${synonyms}}`;
}

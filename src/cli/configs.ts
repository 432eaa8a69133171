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
 * --delete-config SCRAM-SHA-256, --describe). Quotas (of users, clients, ips) and client-metrics
 * are not supported.
 */
import type { Command } from 'commander';
import { AdminError, type Admin, type AlterConfigOp, type ConfigEntry, type ConfigResource, type ConfigSourceName } from '../client/admin.js';
import { alterUser, describeUsers, userAlterations } from './configs-users.js';
import { alterUserInEtcd, describeUsersInEtcd } from './configs-etcd-users.js';
import { connectAdmin, parseFlags, processIO, readProperties, toolCommand, usageFailure, UsageError, type CommandIO } from './common.js';

interface ConfigsOptions {
  bootstrapServer?: string;
  zookeeper?: string;
  commandConfig?: string;
  describe?: boolean;
  alter?: boolean;
  entityType?: string;
  entityName?: string;
  entityDefault?: boolean;
  topic?: string;
  broker?: string;
  brokerDefaults?: boolean;
  group?: string;
  all?: boolean;
  addConfig?: string;
  addConfigFile?: string;
  deleteConfig?: string;
}


/** The entity a command is about: a topic, a broker, the brokers' cluster-wide default, or a group. */
type Entity = { type: 'users'; name: string | null } | { type: 'topics'; name: string | null } | { type: 'brokers'; name: string | null; isDefault: boolean } | { type: 'groups'; name: string | null };

function program(io: CommandIO): Command {
  return toolCommand('kafka-configs', 'Add, remove or describe topic, broker and group configs.', io)
    .option('--bootstrap-server <String: server to connect to>', 'REQUIRED: The Kafka server to connect to.')
    .option('--zookeeper <String: urls>', "DEPRECATED, users only: the ZooKeeper-style connect string host:port[/chroot] of the cluster's etcd; SCRAM credentials are written there directly (how the brokers' own inter-broker user is created before they start). Use --bootstrap-server otherwise.")
    .option('--command-config <String: command config property file>', 'Property file containing configs to be passed to Admin Client (client.id, request.timeout.ms).')
    .option('--describe', 'List configs for the given entity.')
    .option('--alter', 'Alter the configuration for the entity.')
    .option('--entity-type <String>', 'Type of entity (topics/brokers/groups/users; users: SCRAM credentials).')
    .option('--entity-name <String>', 'Name of entity (topic name/broker id/group name).')
    .option('--entity-default', 'Default entity name for brokers (applies to every broker of the cluster).')
    .option('--topic <String: topic>', 'The topic\'s name; shortcut for --entity-type topics --entity-name <topic>.')
    .option('--broker <String: broker id>', 'The broker\'s id; shortcut for --entity-type brokers --entity-name <id>.')
    .option('--broker-defaults', 'Shortcut for --entity-type brokers --entity-default.')
    .option('--group <String: group>', "The group's name; shortcut for --entity-type groups --entity-name <group>.")
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
    entity = entityOf(o);
    if (o.zookeeper !== undefined && entity.type !== 'users') throw new UsageError('--zookeeper is only supported for --entity-type users (SCRAM credentials); use --bootstrap-server');
    if (o.alter) {
      if (entity.name === null && !(entity.type === 'brokers' && entity.isDefault)) throw new UsageError(`An entity name must be specified with --alter of ${entity.type}`);
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
    if (o.zookeeper !== undefined) {
      if (o.alter) await alterUserInEtcd(o.zookeeper, entity.name!, userAlterations(entity.name!, o.addConfig !== undefined ? parseAddConfig(o.addConfig) : [], (o.deleteConfig ?? '').split(',').map((k) => k.trim()).filter((k) => k !== '')), io);
      else await describeUsersInEtcd(o.zookeeper, entity.name, io);
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
    io.err(`Error while executing config command with args '${argv.join(' ')}'\n`);
    if (err instanceof AdminError) for (const f of err.failures) io.err(`${f.error.errorName}: ${f.error.message}\n`);
    else io.err(`${(err as Error).message}\n`);
    return 1;
  }
}

function entityOf(o: ConfigsOptions): Entity {
  const shortcuts = [o.topic !== undefined, o.broker !== undefined, o.brokerDefaults === true, o.group !== undefined].filter(Boolean).length;
  if (shortcuts > 1 || (shortcuts === 1 && o.entityType !== undefined)) throw new UsageError('Only one entity type may be specified (--entity-type, --topic, --broker, --broker-defaults or --group)');
  if (o.topic !== undefined) return { type: 'topics', name: o.topic };
  if (o.group !== undefined) return { type: 'groups', name: o.group };
  if (o.broker !== undefined) return { type: 'brokers', name: o.broker, isDefault: false };
  if (o.brokerDefaults) return { type: 'brokers', name: null, isDefault: true };
  if (o.entityType === undefined) throw new UsageError('--entity-type must be specified');
  if (o.entityName !== undefined && o.entityDefault) throw new UsageError('--entity-name and --entity-default cannot be used together');
  if (o.entityType === 'topics') {
    if (o.entityDefault) throw new UsageError('--entity-default is not valid for topics');
    return { type: 'topics', name: o.entityName ?? null };
  }
  if (o.entityType === 'brokers') {
    if (o.entityName !== undefined && !/^\d+$/.test(o.entityName)) throw new UsageError(`The entity name for brokers must be a valid integer broker id, but it is: ${o.entityName}`);
    return { type: 'brokers', name: o.entityName ?? null, isDefault: o.entityDefault === true };
  }
  if (o.entityType === 'users') {
    if (o.entityDefault) throw new UsageError('--entity-default is not supported for users (user quotas are not supported)');
    return { type: 'users', name: o.entityName ?? null };
  }
  if (o.entityType === 'groups') {
    if (o.entityDefault) throw new UsageError(`--entity-default must not be specified with --${o.alter ? 'alter' : 'describe'} of groups`);
    return { type: 'groups', name: o.entityName ?? null };
  }
  throw new UsageError(`Invalid entity type ${o.entityType}, the entity type must be one of topics, brokers, groups, users (quotas, clients, ips and client-metrics are not supported)`);
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
  if (entity.type === 'users') return alterUser(admin, entity.name!, adds, deletes, io);
  const ops: AlterConfigOp[] = [...adds.map(([name, value]) => ({ name, value })), ...deletes.map((name) => ({ name, op: 'delete' as const }))];
  await admin.incrementalAlterConfigs(resourceOf(entity, entity.name), ops);
  if (entity.type === 'topics') io.out(`Completed updating config for topic ${entity.name}.\n`);
  else if (entity.type === 'groups') io.out(`Completed updating config for group ${entity.name}.\n`);
  else if (entity.isDefault) io.out('Completed updating default config for brokers in the cluster.\n');
  else io.out(`Completed updating config for broker ${entity.name}.\n`);
}

function resourceOf(entity: Entity, name: string | null): ConfigResource {
  if (entity.type === 'topics' || entity.type === 'users') return { type: 'topic', name: name! };
  if (entity.type === 'groups') return { type: 'group', name: name! };
  return { type: 'broker', name: entity.isDefault ? '' : name! };
}

async function describe(admin: Admin, entity: Entity, all: boolean, io: CommandIO): Promise<void> {
  if (entity.type === 'users') return describeUsers(admin, entity.name, io);
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

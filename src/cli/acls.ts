/**
 * `tributary acls` / `bin/kafka-acls.sh`: Kafka's AclCommand on the Admin client, with its flags.
 *
 *   --add     Adding ACLs for resource `ResourcePattern(resourceType=TOPIC, name=t, patternType=LITERAL)`:
 *              	(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)
 *   --list    Current ACLs for resource `ResourcePattern(...)`:
 *             	(principal=..., host=..., operation=..., permissionType=...)
 *   --remove  asks "Are you sure ...? (y/n)" on stdout and reads the answer from stdin unless --force.
 *
 * --producer grants WRITE, DESCRIBE and CREATE on the topics (WRITE and DESCRIBE on transactional
 * ids, IDEMPOTENT_WRITE on the cluster with --idempotent); --consumer READ and DESCRIBE on the
 * topics and READ on the groups. Kafka prints resources and entries in hash order; this tool sorts
 * them (by resource type, name, pattern type; entries by their text). Usage problems are one line
 * and the usage on stderr, exit 1; a failed request "Error while executing ACL command: <message>"
 * on stdout, exit 1, as Kafka's tool does.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { ACL_OPERATIONS, type AclBinding, type AclBindingFilter, type AclOperationName, type AclPatternTypeName, type AclPermissionName, type AclResourceTypeName } from '../client/admin-acls.js';
import { collect, connectAdmin, parseFlags, processIO, toolCommand, usageFailure, UsageError, type CommandIO } from './common.js';

interface AclOptions {
  bootstrapServer?: string;
  bootstrapController?: string;
  commandConfig?: string;
  topic: string[];
  cluster?: boolean;
  group: string[];
  transactionalId: string[];
  idempotent?: boolean;
  delegationToken: string[];
  userPrincipal: string[];
  resourcePatternType?: string;
  add?: boolean;
  remove?: boolean;
  list?: boolean;
  operation: string[];
  allowPrincipal: string[];
  denyPrincipal: string[];
  principal?: string[];
  allowHost: string[];
  denyHost: string[];
  producer?: boolean;
  consumer?: boolean;
  force?: boolean;
}

interface Pattern {
  resourceType: AclResourceTypeName;
  name: string;
  patternType: AclPatternTypeName;
}
interface Entry {
  principal: string;
  host: string;
  operation: AclOperationName;
  permissionType: AclPermissionName;
}

/** The operations each resource type supports (Kafka's AclEntry.supportedOperations), ALL added by the tool. */
const SUPPORTED: Record<string, AclOperationName[]> = {
  TOPIC: ['READ', 'WRITE', 'CREATE', 'DESCRIBE', 'DELETE', 'ALTER', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
  GROUP: ['READ', 'DESCRIBE', 'DELETE', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
  CLUSTER: ['CREATE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE', 'ALTER', 'DESCRIBE'],
  TRANSACTIONAL_ID: ['DESCRIBE', 'WRITE', 'TWO_PHASE_COMMIT'],
  DELEGATION_TOKEN: ['DESCRIBE'],
  USER: ['CREATE_TOKENS', 'DESCRIBE_TOKENS'],
};

/** Kafka's operation names as the tool takes them (Read, IdempotentWrite, ...); any case, with or without underscores. */
const OPERATION_NAMES = ['All', 'Read', 'Write', 'Create', 'Delete', 'Alter', 'Describe', 'ClusterAction', 'DescribeConfigs', 'AlterConfigs', 'IdempotentWrite', 'CreateTokens', 'DescribeTokens', 'TwoPhaseCommit'];

function program(io: CommandIO): Command {
  return toolCommand('kafka-acls', 'This tool helps to manage acls on kafka.', io)
    .option('--bootstrap-server <server to connect to>', 'A list of host/port pairs to use for establishing the connection to the Kafka cluster, host1:port1,host2:port2,...')
    .option('--bootstrap-controller <controller to connect to>', 'Accepted for compatibility; this broker answers the ACL APIs itself, so it is used as --bootstrap-server.')
    .option('--command-config <command-config>', 'A property file containing configs to be passed to Admin Client (client.id, request.timeout.ms).')
    .option('--topic <topic>', "topic to which ACLs should be added or removed. A value of '*' indicates ACL should apply to all topics.", collect, [])
    .option('--cluster', 'Add/Remove cluster ACLs.')
    .option('--group <group>', "Consumer Group to which the ACLs should be added or removed. A value of '*' indicates the ACLs should apply to all groups.", collect, [])
    .option('--transactional-id <transactional-id>', "The transactionalId to which ACLs should be added or removed. A value of '*' indicates the ACLs should apply to all transactionalIds.", collect, [])
    .option('--idempotent', 'Enable idempotence for the producer. This should be used in combination with the --producer option.')
    .option('--delegation-token <delegation-token>', "Delegation token to which ACLs should be added or removed. A value of '*' indicates ACL should apply to all tokens.", collect, [])
    .option('--user-principal <user-principal>', 'Specifies a user principal as a resource in relation with the operation.', collect, [])
    .option('--resource-pattern-type <ANY|MATCH|LITERAL|PREFIXED>', "The type of the resource pattern or pattern filter: 'literal' or 'prefixed' when adding; also 'any' (any pattern type, exact name) or 'match' (every ACL that affects the resource) when listing or removing.", 'LITERAL')
    .option('--add', 'Indicates you are trying to add ACLs.')
    .option('--remove', 'Indicates you are trying to remove ACLs.')
    .option('--list', 'List ACLs for the specified resource, use --topic <topic> or --group <group> or --cluster to specify a resource.')
    .option('--operation <operation>', `Operation that is being allowed or denied (default All). Valid operation names are: ${OPERATION_NAMES.join(', ')}`, collect, [])
    .option('--allow-principal <allow-principal>', "principal is in principalType:name format. For example, User:'*' is the wild card indicating all users.", collect, [])
    .option('--deny-principal <deny-principal>', 'principal is in principalType:name format. DENY RULES TAKE PRECEDENCE OVER ALLOW RULES.', collect, [])
    .option('--principal [principal]', 'List ACLs for the specified principal (principalType:name). May be repeated.', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--allow-host <allow-host>', "Host from which principals listed in --allow-principal will have access (default '*').", collect, [])
    .option('--deny-host <deny-host>', "Host from which principals listed in --deny-principal will be denied access (default '*').", collect, [])
    .option('--producer', 'Convenience option to add/remove ACLs for producer role: WRITE, DESCRIBE and CREATE on topic.')
    .option('--consumer', 'Convenience option to add/remove ACLs for consumer role: READ, DESCRIBE on topic and READ on group.')
    .option('--force', 'Assume Yes to all queries and do not prompt.');
}

function parseOperation(v: string): AclOperationName {
  const key = v.trim().replace(/_/g, '').toLowerCase();
  const found = (Object.keys(ACL_OPERATIONS) as AclOperationName[]).find((k) => k.replace(/_/g, '').toLowerCase() === key);
  if (!found || found === 'ANY' || found === 'UNKNOWN') throw new UsageError(`Unknown operation: ${v}`);
  return found;
}

function parsePatternType(v: string): AclPatternTypeName {
  const t = v.trim().toUpperCase();
  if (t === 'ANY' || t === 'MATCH' || t === 'LITERAL' || t === 'PREFIXED') return t;
  throw new UsageError(`Unknown resource-pattern-type: ${v}`);
}

function parsePrincipal(v: string): string {
  const s = v.trim();
  if (s.indexOf(':') <= 0) throw new UsageError(`expected a string in format principalType:principalName but got ${s}`);
  return s;
}

function checkArgs(o: AclOptions): void {
  if (o.bootstrapServer !== undefined && o.bootstrapController !== undefined) throw new UsageError('Only one of --bootstrap-server or --bootstrap-controller must be specified');
  if (o.bootstrapServer === undefined && o.bootstrapController === undefined) throw new UsageError('One of --bootstrap-server or --bootstrap-controller must be specified');
  if ([o.add, o.remove, o.list].filter(Boolean).length !== 1) throw new UsageError('Command must include exactly one action: --list, --add, --remove. ');
  const has = (k: keyof AclOptions): boolean => {
    const v = o[k];
    return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== false;
  };
  const invalid = (used: keyof AclOptions, usedName: string, others: Array<[keyof AclOptions, string]>): void => {
    if (!has(used)) return;
    for (const [k, name] of others) if (has(k)) throw new UsageError(`Option "[${usedName}]" can't be used with option "[${name}]"`);
  };
  invalid('list', 'list', [['producer', 'producer'], ['consumer', 'consumer'], ['allowHost', 'allow-host'], ['allowPrincipal', 'allow-principal'], ['denyHost', 'deny-host'], ['denyPrincipal', 'deny-principal']]);
  invalid('producer', 'producer', [['operation', 'operation'], ['denyPrincipal', 'deny-principal'], ['denyHost', 'deny-host']]);
  invalid('consumer', 'consumer', [['operation', 'operation'], ['denyPrincipal', 'deny-principal'], ['denyHost', 'deny-host']]);
  if (o.principal !== undefined && !o.list) throw new UsageError('The --principal option is only available if --list is set');
  if (o.producer && o.topic.length === 0) throw new UsageError('With --producer you must specify a --topic');
  if (o.idempotent && !o.producer) throw new UsageError('The --idempotent option is only available if --producer is set');
  if (o.consumer && (o.topic.length === 0 || o.group.length === 0 || (!o.producer && (o.cluster || o.transactionalId.length > 0)))) {
    throw new UsageError('With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option should be specified.');
  }
}

const CLUSTER_PATTERN: Pattern = { resourceType: 'CLUSTER', name: 'kafka-cluster', patternType: 'LITERAL' };

function resources(o: AclOptions, patternType: AclPatternTypeName, dieIfNone: boolean): Pattern[] {
  const out: Pattern[] = [];
  for (const t of o.topic) out.push({ resourceType: 'TOPIC', name: t.trim(), patternType });
  if (patternType === 'LITERAL' && (o.cluster || o.idempotent)) out.push(CLUSTER_PATTERN);
  for (const g of o.group) out.push({ resourceType: 'GROUP', name: g.trim(), patternType });
  for (const x of o.transactionalId) out.push({ resourceType: 'TRANSACTIONAL_ID', name: x, patternType });
  for (const d of o.delegationToken) out.push({ resourceType: 'DELEGATION_TOKEN', name: d.trim(), patternType });
  for (const u of o.userPrincipal) out.push({ resourceType: 'USER', name: u.trim(), patternType });
  if (out.length === 0 && dieIfNone) throw new UsageError('You must provide at least one resource: --topic <topic> or --cluster or --group <group> or --delegation-token <Delegation Token ID>');
  return dedupe(out, patternKey);
}

function entries(o: AclOptions, operations: readonly AclOperationName[]): Entry[] {
  const out: Entry[] = [];
  const hosts = (list: string[], principals: string[]) => (list.length > 0 ? list.map((h) => h.trim()) : principals.length > 0 ? ['*'] : []);
  for (const [principals, hostList, permissionType] of [
    [o.allowPrincipal, o.allowHost, 'ALLOW'],
    [o.denyPrincipal, o.denyHost, 'DENY'],
  ] as const) {
    const hs = hosts([...hostList], [...principals]);
    for (const p of principals) for (const operation of operations) for (const host of hs) out.push({ principal: parsePrincipal(p), host, operation, permissionType });
  }
  return dedupe(out, entryText);
}

function dedupe<T>(list: T[], key: (x: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const x of list) if (!seen.has(key(x))) seen.set(key(x), x);
  return [...seen.values()];
}

/** What each resource (filter) gets: the ACLs the flags describe, as AclCommand.getResourceFilterToAcls. */
function resourceToEntries(o: AclOptions, patternType: AclPatternTypeName): Map<string, { pattern: Pattern; entries: Entry[] }> {
  const map = new Map<string, { pattern: Pattern; entries: Entry[] }>();
  const put = (pattern: Pattern, list: Entry[], merge: boolean): void => {
    const k = patternKey(pattern);
    const cur = map.get(k);
    map.set(k, { pattern, entries: merge && cur ? dedupe([...cur.entries, ...list], entryText) : list });
  };
  if (!o.producer && !o.consumer) {
    const ops = (o.operation.length > 0 ? o.operation : ['All']).map(parseOperation);
    for (const r of resources(o, patternType, true)) put(r, entries(o, ops), false);
  }
  if (o.producer) {
    for (const r of resources(o, patternType, true)) {
      if (r.resourceType === 'TOPIC') put(r, entries(o, ['WRITE', 'DESCRIBE', 'CREATE']), false);
      if (r.resourceType === 'TRANSACTIONAL_ID') put(r, entries(o, ['WRITE', 'DESCRIBE']), false);
    }
    if (o.idempotent) put(CLUSTER_PATTERN, entries(o, ['IDEMPOTENT_WRITE']), false);
  }
  if (o.consumer) {
    for (const r of resources(o, patternType, true)) {
      if (r.resourceType === 'TOPIC') put(r, entries(o, ['READ', 'DESCRIBE']), true);
      if (r.resourceType === 'GROUP') put(r, entries(o, ['READ']), true);
    }
  }
  for (const { pattern, entries: list } of map.values()) {
    const valid = [...(SUPPORTED[pattern.resourceType] ?? []), 'ALL'];
    if (list.some((e) => !valid.includes(e.operation))) throw new UsageError(`ResourceType ${pattern.resourceType} only supports operations ${valid.join(', ')}`);
  }
  return map;
}

const patternKey = (p: Pattern): string => `${p.resourceType}\u0000${p.name}\u0000${p.patternType}`;
const patternText = (p: { resourceType: string; name: string | null; patternType: string }): string =>
  `ResourcePattern(resourceType=${p.resourceType}, name=${p.name ?? '<any>'}, patternType=${p.patternType})`;
const entryText = (e: Entry): string => `(principal=${e.principal}, host=${e.host}, operation=${e.operation}, permissionType=${e.permissionType})`;
const bindingText = (p: Pattern, e: Entry): string => `(pattern=${patternText(p)}, entry=${entryText(e)})`;

function filterFor(p: { resourceType: AclResourceTypeName; name: string | null; patternType: AclPatternTypeName }, e: Entry | null): AclBindingFilter {
  return {
    resourceType: p.resourceType,
    name: p.name,
    patternType: p.patternType,
    principal: e ? e.principal : null,
    host: e ? e.host : null,
    operation: e ? e.operation : 'ANY',
    permissionType: e ? e.permissionType : 'ANY',
  };
}

function sortedPatterns<T extends { pattern: Pattern }>(list: Iterable<T>): T[] {
  return [...list].sort((a, b) => (patternKey(a.pattern) < patternKey(b.pattern) ? -1 : patternKey(a.pattern) > patternKey(b.pattern) ? 1 : 0));
}

function printResourceAcls(groups: Map<string, { pattern: Pattern; entries: Entry[] }>, io: CommandIO): void {
  for (const g of sortedPatterns(groups.values())) {
    io.out(`Current ACLs for resource \`${patternText(g.pattern)}\`:\n${g.entries.map(entryText).sort().map((t) => `\t${t}`).join('\n')}\n\n`);
  }
}

async function confirm(o: AclOptions, io: CommandIO, msg: string): Promise<boolean> {
  if (o.force) return true;
  io.out(`${msg}\n`);
  const rl = createInterface({ input: process.stdin });
  try {
    const line = await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
    });
    return line.trim().toLowerCase() === 'y';
  } finally {
    rl.close();
  }
}

/** Runs kafka-acls with `argv` (the flags only); returns the exit code. */
export async function aclsCommand(argv: readonly string[], io: CommandIO = processIO): Promise<number> {
  const cmd = program(io);
  const o = parseFlags<AclOptions>(cmd, argv);
  if (typeof o === 'number') return o;
  let admin: Awaited<ReturnType<typeof connectAdmin>> | null = null;
  try {
    checkArgs(o);
    const patternType = parsePatternType(o.resourcePatternType ?? 'LITERAL');
    if (o.add && patternType !== 'LITERAL' && patternType !== 'PREFIXED') throw new UsageError(`A '--resource-pattern-type' value of '${patternType}' is not valid when adding acls.`);
    const work = o.list ? null : resourceToEntries(o, patternType);
    if (o.add && work && [...work.values()].some((w) => w.entries.length === 0)) throw new UsageError('You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.');
    const listPrincipals = o.principal === undefined ? [] : o.principal.map(parsePrincipal);
    try {
      admin = await connectAdmin((o.bootstrapServer ?? o.bootstrapController)!, o.commandConfig, 'kafka-acls');
      if (o.add) {
        for (const { pattern, entries: list } of sortedPatterns(work!.values())) {
          const existing = new Set((await admin.describeAcls(filterFor(pattern, null))).map((b) => bindingText(toPattern(b), toEntry(b))));
          const fresh: Entry[] = [];
          for (const e of [...list].sort((a, b) => (entryText(a) < entryText(b) ? -1 : 1))) {
            if (existing.has(bindingText(pattern, e))) io.out(`Acl ${bindingText(pattern, e)} already exists.\n`);
            else fresh.push(e);
          }
          if (fresh.length > 0) {
            io.out(`Adding ACLs for resource \`${patternText(pattern)}\`: \n ${fresh.map((e) => `\t${entryText(e)}`).join('\n')}\n\n`);
            await admin.createAcls(fresh.map((e) => ({ ...pattern, ...e })));
          }
        }
      } else if (o.remove) {
        for (const { pattern, entries: list } of sortedPatterns(work!.values())) {
          const msg =
            list.length === 0
              ? `Are you sure you want to delete all ACLs for resource filter \`${patternText(pattern)}\`? (y/n)`
              : `Are you sure you want to remove ACLs: \n ${list.map((e) => `\t${entryText(e)}`).join('\n')}\n from resource filter \`${patternText(pattern)}\`? (y/n)`;
          if (!(await confirm(o, io, msg))) continue;
          await admin.deleteAcls(list.length === 0 ? [filterFor(pattern, null)] : list.map((e) => filterFor(pattern, e)));
        }
      } else {
        const filters = resources(o, patternType, false);
        const found = filters.length === 0 ? await admin.describeAcls(filterFor({ resourceType: 'ANY', name: null, patternType: 'ANY' }, null)) : (await Promise.all(filters.map((f) => admin!.describeAcls(filterFor(f, null))))).flat();
        const groups = new Map<string, { pattern: Pattern; entries: Entry[] }>();
        for (const b of found) {
          const p = toPattern(b);
          const g = groups.get(patternKey(p)) ?? { pattern: p, entries: [] };
          if (!g.entries.some((e) => entryText(e) === entryText(toEntry(b)))) g.entries.push(toEntry(b));
          groups.set(patternKey(p), g);
        }
        if (listPrincipals.length === 0) printResourceAcls(groups, io);
        else {
          for (const principal of listPrincipals) {
            io.out(`ACLs for principal \`${principal}\`\n`);
            const mine = new Map<string, { pattern: Pattern; entries: Entry[] }>();
            for (const [k, g] of groups) {
              const list = g.entries.filter((e) => e.principal === principal);
              if (list.length > 0) mine.set(k, { pattern: g.pattern, entries: list });
            }
            printResourceAcls(mine, io);
          }
        }
      }
      return 0;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      io.out(`Error while executing ACL command: ${(err as Error).message}\n`);
      return 1;
    } finally {
      await admin?.close();
    }
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(cmd, io, err);
    throw err;
  }
}

function toPattern(b: AclBinding): Pattern {
  return { resourceType: b.resourceType, name: b.name, patternType: b.patternType };
}
function toEntry(b: AclBinding): Entry {
  return { principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType };
}

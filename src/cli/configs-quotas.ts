/**
 * kafka-configs --entity-type users|clients|ips: client quotas, as Kafka's ConfigCommand handles
 * them with --bootstrap-server (and users' SCRAM credentials, configs-users.ts, on the same entity):
 *
 *   --alter --entity-type users --entity-name U [--entity-type clients --entity-name C | --entity-default]
 *           --add-config 'producer_byte_rate=1024,consumer_byte_rate=2048,request_percentage=50'
 *           --delete-config producer_byte_rate
 *   --describe --entity-type users [--entity-name U | --entity-default] [--entity-type clients ...]
 *
 * Entity names pair with entity types in command-line order; a type without a name describes every
 * entity of that type. --describe prints "Quota configs for user-principal 'U', client-id 'C' are
 * k=v, ..." per entity (values as Java doubles, entities and keys in the order Kafka's tool prints
 * them), then for users alone (no clients, no default) the SCRAM credential lines.
 */
import type { Admin } from '../client/admin.js';
import type { ClientQuotaFilterComponent } from '../client/admin-quotas.js';
import type { CommandIO } from './common.js';
import { alterUser, describeUsers } from './configs-users.js';
import { javaDouble, javaHash, javaHashMapOrder, javaPropertiesOrder } from './java-format.js';

export type QuotaEntityType = 'users' | 'clients' | 'ips';
/** name: a string, null for the type's default entity, undefined for every entity of the type. */
export interface QuotaEntityPart {
  type: QuotaEntityType;
  name: string | null | undefined;
}

/** A refusal Kafka's tool prints as a bare message on stderr (exit 1). */
export class ConfigArgumentError extends Error {}

const USER_CLIENT_KEYS = new Set(['consumer_byte_rate', 'controller_mutation_rate', 'producer_byte_rate', 'request_percentage']);
const IP_KEYS = new Set(['connection_creation_rate']);
const isScram = (k: string): boolean => k === 'SCRAM-SHA-256' || k === 'SCRAM-SHA-512';
const API_TYPE: Record<QuotaEntityType, string> = { users: 'user', clients: 'client-id', ips: 'ip' };
const SINGULAR: Record<QuotaEntityType, string> = { users: 'user', clients: 'client', ips: 'ip' };
/** How Scala prints a small Set (the keys added) and a buffer (the keys deleted). */
const scalaSet = (xs: readonly string[]): string => `Set(${[...new Set(xs)].join(', ')})`;
const scalaBuffer = (xs: readonly string[]): string => `ArrayBuffer(${xs.join(', ')})`;

export async function alterQuotaEntity(admin: Admin, parts: readonly QuotaEntityPart[], adds: ReadonlyArray<[string, string]>, deletes: readonly string[], io: CommandIO): Promise<void> {
  if (parts.some((p) => p.name === undefined)) throw new ConfigArgumentError('An entity name must be specified for every entity type');
  const head = parts[0]!;
  const addKeys = javaPropertiesOrder(adds.map(([k]) => k));
  if (head.type === 'ips') {
    const unknown = [...addKeys, ...deletes].filter((k) => !IP_KEYS.has(k));
    if (unknown.length > 0) throw new ConfigArgumentError(`Only connection quota configs can be added for 'ips' using --bootstrap-server. Unexpected config names: ${unknown.join(',')}`);
  } else if (head.type === 'clients' || parts.length === 2) {
    const badAdds = addKeys.filter((k) => !USER_CLIENT_KEYS.has(k));
    if (badAdds.length > 0) throw new ConfigArgumentError(`Only quota configs can be added for 'clients' using --bootstrap-server. Unexpected config names: ${scalaSet(badAdds)}`);
    const badDeletes = deletes.filter((k) => !USER_CLIENT_KEYS.has(k));
    if (badDeletes.length > 0) throw new ConfigArgumentError(`Only quota configs can be deleted for 'clients' using --bootstrap-server. Unexpected config names: ${scalaBuffer(badDeletes)}`);
  } else {
    const unknownAdds = addKeys.filter((k) => !isScram(k) && !USER_CLIENT_KEYS.has(k));
    if (unknownAdds.length > 0) throw new ConfigArgumentError(`Only quota and SCRAM credential configs can be added for 'users' using --bootstrap-server. Unexpected config names: ${scalaSet(unknownAdds)}`);
    const unknownDeletes = deletes.filter((k) => !isScram(k) && !USER_CLIENT_KEYS.has(k));
    if (unknownDeletes.length > 0) throw new ConfigArgumentError(`Only quota and SCRAM credential configs can be deleted for 'users' using --bootstrap-server. Unexpected config names: ${scalaBuffer(unknownDeletes)}`);
    const scram = addKeys.some(isScram) || deletes.some(isScram);
    const quota = addKeys.some((k) => USER_CLIENT_KEYS.has(k)) || deletes.some((k) => USER_CLIENT_KEYS.has(k));
    if (scram) {
      if (head.name === null) throw new ConfigArgumentError('The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials using --bootstrap-server.');
      if (quota) throw new ConfigArgumentError("Cannot alter both quota and SCRAM credential configs simultaneously for 'users' using --bootstrap-server.");
      return alterUser(admin, head.name!, adds, deletes, io);
    }
  }
  // Deleting a key the entity does not have is refused before anything is sent, as Kafka's tool does.
  const current = await admin.describeClientQuotas({ components: parts.map(component), strict: true });
  const have = new Set(Object.keys(current[0]?.values ?? {}));
  const missing = deletes.filter((k) => !have.has(k));
  if (missing.length > 0) throw new ConfigArgumentError(`Invalid config(s): ${missing.join(',')}`);
  const ops = [
    ...adds.map(([key, value]) => {
      const v = parseJavaDouble(value);
      if (v === undefined) throw new ConfigArgumentError(`Cannot parse quota configuration value for ${key}: ${value}`);
      return { key, value: v };
    }),
    ...deletes.map((key) => ({ key, value: null })),
  ];
  const entity: Record<string, string | null> = {};
  for (const p of parts) entity[API_TYPE[p.type]] = p.name!;
  await admin.alterClientQuotas([{ entity, ops }]);
  io.out(head.name === null ? `Completed updating default config for ${head.type} in the cluster.\n` : `Completed updating config for ${SINGULAR[head.type]} ${head.name}.\n`);
}

export async function describeQuotaEntity(admin: Admin, parts: readonly QuotaEntityPart[], io: CommandIO): Promise<void> {
  const entries = await admin.describeClientQuotas({ components: parts.map(component), strict: true });
  // Kafka's tool prints the entities and keys of a java.util.HashMap: its iteration order.
  const entityHash = (e: Record<string, string | null>): number => {
    let h = 0;
    for (const [t, n] of Object.entries(e)) h = (h + (javaHash(t) ^ javaHash(n))) | 0;
    return (31 + h) | 0;
  };
  for (const e of javaHashMapOrder(entries, (x) => entityHash(x.entity))) {
    const what = (['user', 'client-id', 'ip'] as const)
      .filter((t) => Object.hasOwn(e.entity, t))
      .map((t) => {
        const label = t === 'user' ? 'user-principal' : t;
        const name = e.entity[t];
        return name === null ? `the default ${label}` : `${label} '${name}'`;
      })
      .join(', ');
    const keys = javaHashMapOrder(Object.keys(e.values), (k) => javaHash(k));
    io.out(`Quota configs for ${what} are ${keys.map((k) => `${k}=${javaDouble(e.values[k]!)}`).join(', ')}\n`);
  }
  // SCRAM credentials: users only, not with clients or the default user.
  if (parts.every((p) => p.type === 'users') && !parts.some((p) => p.name === null)) {
    await describeUsers(admin, parts[0]!.name ?? null, io);
  }
}

function component(p: QuotaEntityPart): ClientQuotaFilterComponent {
  const entityType = API_TYPE[p.type];
  if (p.name === undefined) return { entityType, match: 'any' };
  if (p.name === null) return { entityType, match: 'default' };
  return { entityType, match: 'exact', name: p.name };
}

/** Java's Double.parseDouble (surrounding whitespace allowed, an f/d suffix too); undefined if not a number. */
function parseJavaDouble(s: string): number | undefined {
  const t = s.trim();
  if (/^[+-]?(NaN|Infinity)$/.test(t)) return Number(t);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?$/.test(t)) return undefined;
  return Number(t.replace(/[fFdD]$/, ''));
}


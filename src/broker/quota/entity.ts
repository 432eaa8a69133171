/**
 * Client quota entities and keys, as Kafka names them: an entity is a set of (type, name) pairs
 * with type `user`, `client-id` or `ip`, a null name being the type's default (`<default>` in
 * kafka-configs). The keys of user/client-id entities are producer_byte_rate and
 * consumer_byte_rate (bytes a second, integral), request_percentage (a percentage of one
 * request-handling thread's time) and controller_mutation_rate; an ip entity has
 * connection_creation_rate.
 */
import { javaHash } from '../../util/java-hash-map.js';

export const USER = 'user';
export const CLIENT_ID = 'client-id';
export const IP = 'ip';
export const ENTITY_TYPES: readonly string[] = [USER, CLIENT_ID, IP];

export type QuotaKey = 'producer_byte_rate' | 'consumer_byte_rate' | 'request_percentage';
export const PRODUCER_BYTE_RATE: QuotaKey = 'producer_byte_rate';
export const CONSUMER_BYTE_RATE: QuotaKey = 'consumer_byte_rate';
export const REQUEST_PERCENTAGE: QuotaKey = 'request_percentage';

/** The keys of each kind of entity, with Kafka's types (QuotaConfig). */
export const USER_CLIENT_KEYS: Readonly<Record<string, 'long' | 'double'>> = {
  producer_byte_rate: 'long',
  consumer_byte_rate: 'long',
  request_percentage: 'double',
  controller_mutation_rate: 'double',
};
export const IP_KEYS: Readonly<Record<string, 'int'>> = { connection_creation_rate: 'int' };

/** entity type -> name (null: the default entity of that type). */
export type QuotaEntity = Readonly<Record<string, string | null>>;

/** One entity's quotas, as stored (ClusterState.clientQuotas) and described. */
export interface StoredClientQuota {
  entity: Array<{ type: string; name: string | null }>;
  /** 'Infinity' stands for an infinite value (a double key may hold one; JSON has no Infinity). */
  values: Record<string, number | 'Infinity'>;
}

/** A canonical string for an entity (types sorted), for maps. */
export function entityKey(entity: QuotaEntity): string {
  return Object.keys(entity)
    .sort()
    .map((t) => `${t}${entity[t] === null ? '\u0001' : `=${entity[t]}`}`)
    .join('\u0000');
}

/** The key of a user/client-id entity: `user` undefined means absent, null the default. */
export function userClientKey(user: string | null | undefined, clientId: string | null | undefined): string {
  const e: Record<string, string | null> = {};
  if (user !== undefined) e[USER] = user;
  if (clientId !== undefined) e[CLIENT_ID] = clientId;
  return entityKey(e);
}

/** Kafka's ClientQuotaEntity toString-like description, for error messages. */
export function describeEntity(entity: QuotaEntity): string {
  return `ClientQuotaEntity(entries={${Object.keys(entity)
    .map((t) => `${t}=${entity[t] ?? 'null'}`)
    .join(', ')}})`;
}

/** Java's ClientQuotaEntity.hashCode: Objects.hash(entries) over the type -> name map. */
export function entityJavaHash(entity: QuotaEntity): number {
  let h = 0;
  for (const t of Object.keys(entity)) h = (h + (javaHash(t) ^ javaHash(entity[t]!))) | 0;
  return (31 + h) | 0;
}

/** The user name a quota sees for a principal (`User:alice` -> `alice`). */
export function quotaUser(principal: string): string {
  const i = principal.indexOf(':');
  return i < 0 ? principal : principal.slice(i + 1);
}

/**
 * How a cluster keeps its ACLs, users' SCRAM credentials and client quotas in etcd: one key per
 * item, so a write never reads first and two brokers writing at once cannot lose each other's items.
 *
 *   acls/<id>                        one ACL binding; <id> is the SHA-256 (hex, 32 chars) of its
 *                                    canonical value, so the same binding is the same key
 *   scram/<mechanism>/<user>         one user's credential for one mechanism: salt, StoredKey,
 *                                    ServerKey (base64) and iterations; never the password
 *   quotas/<id>                      one client quota entity (user, client-id, ip; a null name is
 *                                    the default) with its values; <id> hashes the entity
 *
 * Values are JSON with a `version`. Kafka's ZooKeeper era kept a JSON list per resource
 * (`kafka-acl/<Type>/<name>`) and the credentials in `config/users/<user>`, written by
 * read-modify-write; per-item keys need no compare and make CreateAcls of many bindings one
 * transaction of puts.
 */
import { createHash } from 'node:crypto';
import { invalidBinding, type AclBinding } from '../acl/acl.js';
import type { StoredScramCredential } from '../security/scram-store.js';
import { SCRAM_MECHANISMS, type ScramMechanism } from '../../protocol/sasl/scram-math.js';

export const ACLS_PREFIX = 'acls/';
export const SCRAM_PREFIX = 'scram/';
export const QUOTAS_PREFIX = 'quotas/';

/** True for the keys this file owns (they change no topic or partition). */
export function isSecurityKey(key: string): boolean {
  return key.startsWith(ACLS_PREFIX) || key.startsWith(SCRAM_PREFIX) || key.startsWith(QUOTAS_PREFIX);
}

/** One entity's client quotas (the shape of the quota module's StoredClientQuota). */
export interface StoredQuota {
  entity: Array<{ type: string; name: string | null }>;
  values: Record<string, number>;
}

/** The entity's parts in a canonical order (by type). */
function canonicalEntity(entity: StoredQuota['entity']): Array<{ type: string; name: string | null }> {
  return [...entity].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0)).map((e) => ({ type: e.type, name: e.name }));
}

export function quotaKey(entity: StoredQuota['entity']): string {
  return QUOTAS_PREFIX + createHash('sha256').update(JSON.stringify(canonicalEntity(entity))).digest('hex').slice(0, 32);
}

export function encodeQuota(q: StoredQuota): string {
  return JSON.stringify({ version: 1, entity: canonicalEntity(q.entity), values: q.values });
}

export function decodeQuota(value: string): StoredQuota | null {
  try {
    const v = JSON.parse(value) as Record<string, unknown> | null;
    if (!v || !Array.isArray(v.entity) || v.entity.length === 0 || v.values === null || typeof v.values !== 'object' || Array.isArray(v.values)) return null;
    const entity: StoredQuota['entity'] = [];
    for (const e of v.entity as unknown[]) {
      const part = e as { type?: unknown; name?: unknown } | null;
      if (!part || typeof part.type !== 'string' || (part.name !== null && typeof part.name !== 'string')) return null;
      entity.push({ type: part.type, name: part.name });
    }
    const values: Record<string, number> = {};
    for (const [k, n] of Object.entries(v.values as Record<string, unknown>)) {
      if (typeof n !== 'number' || !Number.isFinite(n)) return null;
      values[k] = n;
    }
    return { entity, values };
  } catch {
    return null;
  }
}

export function encodeAcl(b: AclBinding): string {
  return JSON.stringify({
    version: 1,
    resource_type: b.resourceType,
    resource_name: b.resourceName,
    pattern_type: b.patternType,
    principal: b.principal,
    host: b.host,
    operation: b.operation,
    permission: b.permission,
  });
}

export function aclKey(b: AclBinding): string {
  return ACLS_PREFIX + createHash('sha256').update(encodeAcl(b)).digest('hex').slice(0, 32);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export function decodeAcl(value: string): AclBinding | null {
  let v: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
    v = parsed as Record<string, unknown>;
  } catch {
    return null;
  }
  if (!isInt(v.resource_type) || typeof v.resource_name !== 'string' || !isInt(v.pattern_type) || typeof v.principal !== 'string' || typeof v.host !== 'string' || !isInt(v.operation) || !isInt(v.permission)) return null;
  const b = { resourceType: v.resource_type, resourceName: v.resource_name, patternType: v.pattern_type, principal: v.principal, host: v.host, operation: v.operation, permission: v.permission };
  // What CreateAcls would refuse (a foreign writer's value) is not a binding.
  return invalidBinding(b) === null ? b : null;
}

export function scramKey(user: string, mechanism: ScramMechanism): string {
  return `${SCRAM_PREFIX}${mechanism}/${user}`;
}

/** `scram/<mechanism>/<user>` split, or null for another key or an unknown mechanism. */
export function parseScramKey(key: string): { user: string; mechanism: ScramMechanism } | null {
  if (!key.startsWith(SCRAM_PREFIX)) return null;
  const rest = key.slice(SCRAM_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return null;
  const mechanism = SCRAM_MECHANISMS.find((m) => m === rest.slice(0, slash));
  const user = rest.slice(slash + 1);
  return mechanism && user !== '' ? { user, mechanism } : null;
}

export function encodeScram(c: StoredScramCredential): string {
  return JSON.stringify({ version: 1, salt: c.salt, stored_key: c.storedKey, server_key: c.serverKey, iterations: c.iterations });
}

export function decodeScram(value: string): StoredScramCredential | null {
  try {
    const v = JSON.parse(value) as Record<string, unknown> | null;
    if (!v || typeof v.salt !== 'string' || typeof v.stored_key !== 'string' || typeof v.server_key !== 'string' || !isInt(v.iterations)) return null;
    return { salt: v.salt, storedKey: v.stored_key, serverKey: v.server_key, iterations: v.iterations };
  } catch {
    return null;
  }
}

/**
 * AlterClientQuotas v0-1: sets and removes client quotas (producer_byte_rate, consumer_byte_rate,
 * request_percentage, controller_mutation_rate on user/client-id entities;
 * connection_creation_rate on ip entities), persisted in the metadata store before the answer.
 * Needs ALTER_CONFIGS on the cluster (else every entry gets CLUSTER_AUTHORIZATION_FAILED).
 * Checks as Kafka's controller (ClientQuotaControlManager), each failing with INVALID_REQUEST
 * and leaving that entity unchanged: an empty entity, an unknown entity type, an empty name, ip
 * combined with user or client-id, a key the entity cannot have, a value not above 0, a
 * fractional or too large value for an integral key, a key or an entity given twice. Removing a
 * key that is not set is not an error. validate_only checks and changes nothing.
 * One result per entity, in request order.
 */
import { ErrorCode, errorInfo } from '../../protocol/errors.js';
import type { AlterClientQuotasRequestEntryData } from '../../protocol/messages/49-alter-client-quotas.js';
import { CLIENT_ID, describeEntity, entityKey, IP, IP_KEYS, USER, USER_CLIENT_KEYS, type QuotaEntity } from '../quota/entity.js';
import type { QuotaAlteration } from '../quota/client-quotas.js';
import { AclOperation, clusterAllowed } from './auth.js';
import { defineHandler } from './handler.js';

const LONG_MAX = 9223372036854775807;
const INT_MAX = 2147483647;
/** An IPv4 or IPv6 literal (IPv6 loosely: hex groups and colons, optionally a trailing IPv4). */
const IP_LITERAL = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)$/;
/** A hostname Kafka's InetAddress.getByName could resolve (we do not resolve it). */
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

type Check = { ok: true; alteration: QuotaAlteration } | { ok: false; message: string };

function entityOf(e: AlterClientQuotasRequestEntryData): QuotaEntity {
  const out: Record<string, string | null> = {};
  for (const x of e.entity) out[x.entityType] = x.entityName;
  return out;
}

/** Kafka's checks of one entry, in its order. */
function check(entity: QuotaEntity, entry: AlterClientQuotasRequestEntryData): Check {
  const types = Object.keys(entity);
  if (types.length === 0) return { ok: false, message: 'Invalid empty client quota entity' };
  for (const t of types) {
    if (t !== USER && t !== CLIENT_ID && t !== IP) return { ok: false, message: `Unhandled client quota entity type: ${t}` };
    if (entity[t] === '') return { ok: false, message: `Empty ${t} not supported` };
  }
  let keys: Readonly<Record<string, string>>;
  if (Object.hasOwn(entity, IP)) {
    if (Object.hasOwn(entity, USER) || Object.hasOwn(entity, CLIENT_ID)) {
      return { ok: false, message: 'Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId' };
    }
    const ip = entity[IP]!;
    if (ip !== null && !IP_LITERAL.test(ip) && !HOSTNAME.test(ip)) return { ok: false, message: `${ip} is not a valid IP or resolvable host.` };
    keys = IP_KEYS;
  } else {
    keys = USER_CLIENT_KEYS;
  }
  const ops: Array<{ key: string; value: number | null }> = [];
  for (const op of entry.ops) {
    if (op.remove) {
      ops.push({ key: op.key, value: null });
      continue;
    }
    const type = keys[op.key];
    if (type === undefined) return { ok: false, message: `Invalid configuration key ${op.key}` };
    const v = op.value;
    if (!(v > 0)) return { ok: false, message: `Quota ${op.key} must be greater than 0` };
    if (type === 'int' && v > INT_MAX) return { ok: false, message: `Proposed value for ${op.key} is too large for an INT.` };
    if (type === 'long' && v > LONG_MAX) return { ok: false, message: `Proposed value for ${op.key} is too large for a LONG.` };
    if (type !== 'double' && Math.abs(v % 1) > 1e-6) return { ok: false, message: `${op.key} cannot be a fractional value.` };
    ops.push({ key: op.key, value: v });
  }
  return { ok: true, alteration: { entity, ops } };
}

export default defineHandler({
  apiKey: 49,
  minVersion: 0,
  maxVersion: 1,
  async handle(req, ctx) {
    const entityData = (e: AlterClientQuotasRequestEntryData): Array<{ entityType: string; entityName: string | null }> =>
      Object.entries(entityOf(e)).map(([entityType, entityName]) => ({ entityType, entityName }));
    if (!clusterAllowed(ctx, AclOperation.ALTER_CONFIGS)) {
      const message = errorInfo(ErrorCode.CLUSTER_AUTHORIZATION_FAILED).message;
      return { throttleTimeMs: 0, entries: req.entries.map((e) => ({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: message, entity: entityData(e) })) };
    }
    const errors = new Map<string, string>();
    const seen = new Set<string>();
    const apply: QuotaAlteration[] = [];
    for (const e of req.entries) {
      const entity = entityOf(e);
      const ek = entityKey(entity);
      const keys = new Set<string>();
      for (const op of e.ops) {
        if (keys.has(op.key)) errors.set(ek, `Duplicate quota key ${op.key} not updating quota for this entity ${describeEntity(entity)}`);
        keys.add(op.key);
      }
      if (errors.has(ek) || seen.has(ek)) {
        // Kafka: an entity named again (or whose keys repeat) is ignored, and its first result too.
        errors.set(ek, `Ignoring duplicate entity ${describeEntity(entity)}`);
        seen.add(ek);
        continue;
      }
      seen.add(ek);
      const c = check(entity, e);
      if (!c.ok) errors.set(ek, c.message);
      else apply.push(c.alteration);
    }
    const ok = apply.filter((a) => !errors.has(entityKey(a.entity)));
    if (!req.validateOnly) await ctx.broker.quotas.clientQuotas.alter(ok);
    return {
      throttleTimeMs: 0,
      // One result per entity (Kafka answers from a map), in the order of first appearance.
      entries: req.entries
        .filter((e, i) => req.entries.findIndex((x) => entityKey(entityOf(x)) === entityKey(entityOf(e))) === i)
        .map((e) => {
          const message = errors.get(entityKey(entityOf(e)));
          return { errorCode: message === undefined ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST, errorMessage: message ?? null, entity: entityData(e) };
        }),
    };
  },
});

/**
 * Client quotas through the admin API (DescribeClientQuotas and AlterClientQuotas), as Kafka's
 * Admin describeClientQuotas/alterClientQuotas: an entity maps entity types (`user`,
 * `client-id`, `ip`) to names, null naming the type's default entity.
 */
import { ApiKey } from '../protocol/messages/index.js';
import { ErrorCode } from '../protocol/errors.js';
import type { Connection } from './connection.js';

export type ClientQuotaEntity = Readonly<Record<string, string | null>>;

export interface ClientQuotaAlteration {
  entity: ClientQuotaEntity;
  /** value null removes the key. */
  ops: ReadonlyArray<{ key: string; value: number | null }>;
}

/** One filter component: an entity of the type with this name, its default entity, or any entity of the type. */
export type ClientQuotaFilterComponent = { entityType: string; match: 'exact'; name: string } | { entityType: string; match: 'default' } | { entityType: string; match: 'any' };

export interface ClientQuotaFilter {
  components: readonly ClientQuotaFilterComponent[];
  /** Only entities with no other entity types than the components' (default false). */
  strict?: boolean;
}

export interface ClientQuotaEntry {
  entity: Record<string, string | null>;
  values: Record<string, number>;
}

const MATCH_TYPES = { exact: 0, default: 1, any: 2 } as const;

export type QuotaOutcome = { resource: string; errorCode: number; errorMessage: string | null };

const entityText = (e: ClientQuotaEntity): string =>
  Object.entries(e)
    .map(([t, n]) => `${t}=${n ?? '<default>'}`)
    .join(',');

export async function describeQuotas(conn: Connection, filter: ClientQuotaFilter): Promise<{ entries: ClientQuotaEntry[]; outcomes: QuotaOutcome[] }> {
  const res = await conn.send(ApiKey.DescribeClientQuotas, {
    components: filter.components.map((c) => ({ entityType: c.entityType, matchType: MATCH_TYPES[c.match], match: c.match === 'exact' ? c.name : null })),
    strict: filter.strict === true,
  });
  if (res.errorCode !== ErrorCode.NONE) return { entries: [], outcomes: [{ resource: '', errorCode: res.errorCode, errorMessage: res.errorMessage }] };
  const entries = (res.entries ?? []).map((e) => ({
    entity: Object.fromEntries(e.entity.map((x) => [x.entityType, x.entityName])),
    values: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
  }));
  return { entries, outcomes: [] };
}

export async function alterQuotas(conn: Connection, alterations: readonly ClientQuotaAlteration[], validateOnly: boolean): Promise<QuotaOutcome[]> {
  const res = await conn.send(ApiKey.AlterClientQuotas, {
    entries: alterations.map((a) => ({
      entity: Object.entries(a.entity).map(([entityType, entityName]) => ({ entityType, entityName })),
      ops: a.ops.map((op) => ({ key: op.key, value: op.value ?? 0, remove: op.value === null })),
    })),
    validateOnly,
  });
  return res.entries.map((r) => ({
    resource: entityText(Object.fromEntries(r.entity.map((x) => [x.entityType, x.entityName]))),
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
  }));
}

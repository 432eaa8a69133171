/**
 * The admin requests about ACLs: CreateAcls, DescribeAcls and DeleteAcls, with Kafka's names for
 * resource types, pattern types, operations and permissions ('TOPIC', 'PREFIXED', 'READ',
 * 'ALLOW'). Filters take 'ANY' (and, for the pattern type, 'MATCH') and null for any name,
 * principal or host, as Kafka's AclBindingFilter.
 */
import { ErrorCode } from '../protocol/errors.js';
import { KafkaProtocolError } from '../protocol/kafka-error.js';
import { AclOperation } from '../protocol/acl-codes.js';
import { ApiKey } from '../protocol/messages/index.js';
import type { Connection } from './connection.js';

export const ACL_RESOURCE_TYPES = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export const ACL_PATTERN_TYPES = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
/** Kafka's operation codes, named as Kafka names them. */
export const ACL_OPERATIONS = AclOperation;
export const ACL_PERMISSION_TYPES = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

export type AclResourceTypeName = keyof typeof ACL_RESOURCE_TYPES;
export type AclPatternTypeName = keyof typeof ACL_PATTERN_TYPES;
export type AclOperationName = keyof typeof ACL_OPERATIONS;
export type AclPermissionName = keyof typeof ACL_PERMISSION_TYPES;

export interface AclBinding {
  resourceType: AclResourceTypeName;
  name: string;
  patternType: AclPatternTypeName;
  principal: string;
  host: string;
  operation: AclOperationName;
  permissionType: AclPermissionName;
}

export interface AclBindingFilter {
  resourceType: AclResourceTypeName;
  name: string | null;
  patternType: AclPatternTypeName;
  principal: string | null;
  host: string | null;
  operation: AclOperationName;
  permissionType: AclPermissionName;
}

/** Matches every ACL. */
export const ACL_FILTER_ANY: AclBindingFilter = { resourceType: 'ANY', name: null, patternType: 'ANY', principal: null, host: null, operation: 'ANY', permissionType: 'ANY' };

function nameOf<T extends Record<string, number>>(table: T, code: number): keyof T & string {
  for (const [k, v] of Object.entries(table)) if (v === code) return k as keyof T & string;
  return 'UNKNOWN' as keyof T & string;
}

function fail(what: string, errorCode: number, errorMessage: string | null): never {
  throw new KafkaProtocolError(errorCode, errorMessage ?? undefined, { cause: what });
}

/** Creates the bindings; throws the first failure (KafkaProtocolError). */
export async function createAcls(conn: Connection, bindings: readonly AclBinding[]): Promise<void> {
  if (bindings.length === 0) return;
  const res = await conn.send(ApiKey.CreateAcls, {
    creations: bindings.map((b) => ({
      resourceType: ACL_RESOURCE_TYPES[b.resourceType],
      resourceName: b.name,
      resourcePatternType: ACL_PATTERN_TYPES[b.patternType],
      principal: b.principal,
      host: b.host,
      operation: ACL_OPERATIONS[b.operation],
      permissionType: ACL_PERMISSION_TYPES[b.permissionType],
    })),
  });
  for (const r of res.results) if (r.errorCode !== ErrorCode.NONE) fail('createAcls', r.errorCode, r.errorMessage);
}

function filterFields(f: AclBindingFilter) {
  return {
    resourceTypeFilter: ACL_RESOURCE_TYPES[f.resourceType],
    resourceNameFilter: f.name,
    patternTypeFilter: ACL_PATTERN_TYPES[f.patternType],
    principalFilter: f.principal,
    hostFilter: f.host,
    operation: ACL_OPERATIONS[f.operation],
    permissionType: ACL_PERMISSION_TYPES[f.permissionType],
  };
}

/** The bindings matching the filter. */
export async function describeAcls(conn: Connection, filter: AclBindingFilter): Promise<AclBinding[]> {
  const res = await conn.send(ApiKey.DescribeAcls, filterFields(filter));
  if (res.errorCode !== ErrorCode.NONE) fail('describeAcls', res.errorCode, res.errorMessage);
  return res.resources.flatMap((r) =>
    r.acls.map((a) => ({
      resourceType: nameOf(ACL_RESOURCE_TYPES, r.resourceType),
      name: r.resourceName,
      patternType: nameOf(ACL_PATTERN_TYPES, r.patternType),
      principal: a.principal,
      host: a.host,
      operation: nameOf(ACL_OPERATIONS, a.operation),
      permissionType: nameOf(ACL_PERMISSION_TYPES, a.permissionType),
    })),
  );
}

/** Deletes what each filter matches; returns the deleted bindings per filter. */
export async function deleteAcls(conn: Connection, filters: readonly AclBindingFilter[]): Promise<AclBinding[][]> {
  if (filters.length === 0) return [];
  const res = await conn.send(ApiKey.DeleteAcls, { filters: filters.map(filterFields) });
  return res.filterResults.map((r) => {
    if (r.errorCode !== ErrorCode.NONE) fail('deleteAcls', r.errorCode, r.errorMessage);
    return r.matchingAcls.map((a) => ({
      resourceType: nameOf(ACL_RESOURCE_TYPES, a.resourceType),
      name: a.resourceName,
      patternType: nameOf(ACL_PATTERN_TYPES, a.patternType),
      principal: a.principal,
      host: a.host,
      operation: nameOf(ACL_OPERATIONS, a.operation),
      permissionType: nameOf(ACL_PERMISSION_TYPES, a.permissionType),
    }));
  });
}

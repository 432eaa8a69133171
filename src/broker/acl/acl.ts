/**
 * Kafka's ACL model: a binding is a resource pattern (type, name, LITERAL or PREFIXED) and an
 * entry (principal, host, operation, ALLOW or DENY). Filters (DescribeAcls, DeleteAcls) match
 * bindings as Kafka's AclBindingFilter does: ANY/null fields match everything, pattern type MATCH
 * matches every pattern that would apply to the named resource.
 */
import { AclOperation, AclResourceType, CLUSTER_RESOURCE_NAME } from '../authorization.js';

/** org.apache.kafka.common.resource.PatternType codes. */
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
/** org.apache.kafka.common.acl.AclPermissionType codes. */
export const AclPermission = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;
/** ResourceType codes including the filter-only ones. */
export const ResourceTypeCode = { UNKNOWN: 0, ANY: 1 } as const;

/** The wildcard resource name and host, and the wildcard principal ("User:*"). */
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permission: number;
}

export interface AclFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permission: number;
}

const CONCRETE_TYPES = new Set<number>(Object.values(AclResourceType));
const CONCRETE_OPERATIONS = new Set<number>(Object.values(AclOperation).filter((o) => o >= AclOperation.ALL));

/** Why a binding cannot be stored (CreateAcls answers INVALID_REQUEST with this), or null. */
export function invalidBinding(b: AclBinding): string | null {
  if (!CONCRETE_TYPES.has(b.resourceType)) return `Invalid resource type ${b.resourceType}`;
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return `Invalid pattern type ${b.patternType}`;
  if (!CONCRETE_OPERATIONS.has(b.operation)) return `Invalid operation ${b.operation}`;
  if (b.permission !== AclPermission.ALLOW && b.permission !== AclPermission.DENY) return `Invalid permission type ${b.permission}`;
  if (b.resourceName === '') return 'Invalid empty resource name specified';
  if (b.resourceType === AclResourceType.CLUSTER && b.resourceName !== CLUSTER_RESOURCE_NAME) {
    return `The only valid name for the CLUSTER resource is ${CLUSTER_RESOURCE_NAME}`;
  }
  const colon = b.principal.indexOf(':');
  if (colon <= 0) return `Could not parse principal from \`${b.principal}\` (no colon is present separating the principal type from name)`;
  if (b.host === '') return 'Invalid empty host specified';
  return null;
}

/** Why a filter is unusable (INVALID_REQUEST), or null. */
export function invalidFilter(f: AclFilter): string | null {
  if (f.resourceType === ResourceTypeCode.UNKNOWN) return 'The resource type filter must not be UNKNOWN';
  if (f.patternType === PatternType.UNKNOWN) return 'The pattern type filter must not be UNKNOWN';
  if (f.operation === AclOperation.UNKNOWN) return 'The operation filter must not be UNKNOWN';
  if (f.permission === AclPermission.UNKNOWN) return 'The permission type filter must not be UNKNOWN';
  return null;
}

function patternMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceTypeCode.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType === PatternType.MATCH) {
    if (f.resourceName === null) return true;
    if (b.patternType === PatternType.LITERAL) return b.resourceName === f.resourceName || b.resourceName === WILDCARD;
    return f.resourceName.startsWith(b.resourceName);
  }
  if (f.patternType !== PatternType.ANY && f.patternType !== b.patternType) return false;
  return f.resourceName === null || f.resourceName === b.resourceName;
}

export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  return (
    patternMatches(f, b) &&
    (f.principal === null || f.principal === b.principal) &&
    (f.host === null || f.host === b.host) &&
    (f.operation === AclOperation.ANY || f.operation === b.operation) &&
    (f.permission === AclPermission.ANY || f.permission === b.permission)
  );
}

/** A key that identifies a binding (duplicates are stored once, as in Kafka). */
export function bindingKey(b: AclBinding): string {
  return JSON.stringify([b.resourceType, b.resourceName, b.patternType, b.principal, b.host, b.operation, b.permission]);
}

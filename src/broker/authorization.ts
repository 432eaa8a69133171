/**
 * Authorized operations (KIP-430): the bit field of AclOperation codes that Metadata (v8+),
 * DescribeCluster, DescribeGroups (v3+) and ConsumerGroupDescribe answer when the client asks for
 * them. Every handler takes the set from `authorizedOperations`, so an authorizer plugs in here.
 *
 * As in Kafka (AuthHelper.authorizedOperations): the candidates are the operations that apply to
 * the resource type (AclEntry.supportedOperations); with no authorizer configured all of them are
 * authorized, with one only those it allows the principal. ANY and ALL are never reported.
 */

import { AclOperation } from '../protocol/acl-codes.js';

export { AclOperation };

/** Kafka's ACL ResourceType codes (org.apache.kafka.common.resource.ResourceType), the concrete ones. */
export const AclResourceType = {
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;
export type AclResourceType = (typeof AclResourceType)[keyof typeof AclResourceType];

/** The name of the one CLUSTER resource. */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';

/** The schema default of every authorized-operations field: not requested (or not computed). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

const O = AclOperation;
/** The operations that apply to each resource type: Kafka 4.3's AclEntry.supportedOperations. */
const SUPPORTED_OPERATIONS: Readonly<Record<AclResourceType, readonly AclOperation[]>> = {
  [AclResourceType.TOPIC]: [O.READ, O.WRITE, O.CREATE, O.DESCRIBE, O.DELETE, O.ALTER, O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS],
  [AclResourceType.GROUP]: [O.READ, O.DESCRIBE, O.DELETE, O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS],
  [AclResourceType.CLUSTER]: [O.CREATE, O.CLUSTER_ACTION, O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS, O.IDEMPOTENT_WRITE, O.ALTER, O.DESCRIBE],
  [AclResourceType.TRANSACTIONAL_ID]: [O.DESCRIBE, O.WRITE, O.TWO_PHASE_COMMIT],
  [AclResourceType.DELEGATION_TOKEN]: [O.DESCRIBE],
  [AclResourceType.USER]: [O.CREATE_TOKENS, O.DESCRIBE_TOKENS],
};

export function supportedOperations(resourceType: AclResourceType): readonly AclOperation[] {
  return SUPPORTED_OPERATIONS[resourceType];
}

/**
 * Decides whether a principal may perform one operation on one (literal) resource; `host` is the
 * client's address (ACLs may name hosts), absent when unknown.
 */
export interface Authorizer {
  authorize(principal: string, operation: AclOperation, resourceType: AclResourceType, resourceName: string, host?: string): boolean;
  /**
   * Whether the principal may perform the operation on at least one resource of the type (Kafka's
   * authorizeByResourceType, used by InitProducerId per KIP-679). Absent: as `authorize` on `*`.
   */
  authorizeByResourceType?(principal: string, operation: AclOperation, resourceType: AclResourceType, host?: string): boolean;
}

/** The principal of a connection without authentication (Kafka's KafkaPrincipal.ANONYMOUS). */
export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS';

/** A set of operations as the protocol carries it: bit `code` set for each (Utils.to32BitField). */
export function operationsBitField(ops: Iterable<AclOperation>): number {
  let bits = 0;
  for (const op of ops) bits |= 1 << op;
  return bits;
}

/**
 * The operations `principal` may perform on the resource, as a bit field. `authorizer` null means
 * none is configured: every operation that applies to the resource type is authorized.
 */
export function authorizedOperations(authorizer: Authorizer | null, principal: string, resourceType: AclResourceType, resourceName: string): number {
  const candidates = supportedOperations(resourceType);
  if (authorizer === null) return operationsBitField(candidates);
  return operationsBitField(candidates.filter((op) => authorizer.authorize(principal, op, resourceType, resourceName)));
}

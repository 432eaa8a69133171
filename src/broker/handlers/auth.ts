/**
 * The one place handlers ask the authorizer: `allowed(ctx, op, type, name)` with the request's
 * principal and client address. Without an authorizer everything is allowed.
 */
import { AclOperation, AclResourceType, CLUSTER_RESOURCE_NAME } from '../authorization.js';
import type { RequestContext } from './handler.js';

export { AclOperation, AclResourceType };

/** The client's address as Kafka's ACL hosts name it (IPv4-mapped IPv6 shown as IPv4). */
export function clientHost(ctx: RequestContext): string {
  const a = ctx.conn.remoteAddress;
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

export function allowed(ctx: RequestContext, operation: AclOperation, resourceType: AclResourceType, resourceName: string): boolean {
  const a = ctx.broker.authorizer;
  return a === null || a.authorize(ctx.conn.principal, operation, resourceType, resourceName, clientHost(ctx));
}

export function clusterAllowed(ctx: RequestContext, operation: AclOperation): boolean {
  return allowed(ctx, operation, AclResourceType.CLUSTER, CLUSTER_RESOURCE_NAME);
}

export const topicAllowed = (ctx: RequestContext, op: AclOperation, topic: string): boolean => allowed(ctx, op, AclResourceType.TOPIC, topic);
export const groupAllowed = (ctx: RequestContext, op: AclOperation, group: string): boolean => allowed(ctx, op, AclResourceType.GROUP, group);
export const txnIdAllowed = (ctx: RequestContext, op: AclOperation, id: string): boolean => allowed(ctx, op, AclResourceType.TRANSACTIONAL_ID, id);

/** Whether the principal may perform the operation on some resource of the type (KIP-679's check). */
export function anyAllowed(ctx: RequestContext, operation: AclOperation, resourceType: AclResourceType): boolean {
  const a = ctx.broker.authorizer;
  if (a === null) return true;
  if (a.authorizeByResourceType) return a.authorizeByResourceType(ctx.conn.principal, operation, resourceType, clientHost(ctx));
  return a.authorize(ctx.conn.principal, operation, resourceType, '*', clientHost(ctx));
}

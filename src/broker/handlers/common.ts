import type { ListenerSpec } from '../config/listeners.js';
import type { RequestContext } from './handler.js';
import { ANONYMOUS_PRINCIPAL, authorizedOperations, type AclResourceType } from '../authorization.js';

/** The advertised address of the listener this request came in on. */
export function advertisedFor(ctx: RequestContext): ListenerSpec {
  const adv = ctx.broker.advertised;
  return adv.find((l) => l.name === ctx.conn.listenerName) ?? adv[0]!;
}

/**
 * What the request's principal may do to the resource, as the authorized-operations bit field.
 * Connections are not authenticated yet, so the principal is always User:ANONYMOUS.
 */
export function authorizedOperationsFor(ctx: RequestContext, resourceType: AclResourceType, resourceName: string): number {
  return authorizedOperations(ctx.broker.authorizer, ANONYMOUS_PRINCIPAL, resourceType, resourceName);
}

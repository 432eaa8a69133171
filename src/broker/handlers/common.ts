import { ErrorCode } from '../../protocol/errors.js';
import type { ListenerSpec } from '../config/listeners.js';
import type { RequestContext } from './handler.js';
import { authorizedOperations, type AclResourceType } from '../authorization.js';
import { clientHost } from './auth.js';

/** The advertised address of the listener this request came in on. */
export function advertisedFor(ctx: RequestContext): ListenerSpec {
  const adv = ctx.broker.advertised;
  return adv.find((l) => l.name === ctx.conn.listenerName) ?? adv[0]!;
}

/** What the request's principal may do to the resource, as the authorized-operations bit field. */
export function authorizedOperationsFor(ctx: RequestContext, resourceType: AclResourceType, resourceName: string): number {
  const a = ctx.broker.authorizer;
  const host = clientHost(ctx);
  return authorizedOperations(a && { authorize: (p, op, t, n) => a.authorize(p, op, t, n, host) }, ctx.conn.principal, resourceType, resourceName);
}

/** The live brokers as Metadata and DescribeCluster list them: the cluster's, or this broker alone. */
export function liveBrokers(ctx: RequestContext): Array<{ id: number; host: string; port: number; rack: string | null }> {
  const b = ctx.broker;
  const live = b.replicas.liveBrokers(ctx.conn.listenerName);
  if (live) return live;
  const me = advertisedFor(ctx);
  return [{ id: b.nodeId, host: me.host, port: me.port, rack: b.config.get('broker.rack') }];
}

/** A partition as Metadata and DescribeTopicPartitions describe it (LEADER_NOT_AVAILABLE without a leader). */
export function partitionFields(ctx: RequestContext, topic: string, partition: number): {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
} {
  const info = ctx.broker.replicas.partition(topic, partition);
  return {
    errorCode: info.leader < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
    partitionIndex: partition,
    leaderId: info.leader,
    leaderEpoch: info.leaderEpoch,
    replicaNodes: [...info.replicas],
    isrNodes: [...info.isr],
    offlineReplicas: [...info.offline],
  };
}

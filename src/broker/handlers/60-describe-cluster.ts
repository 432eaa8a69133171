/**
 * DescribeCluster v0-v2: this broker is the whole cluster and its controller. v2's
 * IncludeFencedBrokers (KIP-1073) changes nothing: the one broker is never fenced (IsFenced false).
 * The cluster's authorized operations when asked for (see ../authorization.ts).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AclResourceType, AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_RESOURCE_NAME } from '../authorization.js';
import { liveBrokers, authorizedOperationsFor } from './common.js';
import { defineHandler } from './handler.js';

const BROKERS_ENDPOINT = 1;

export default defineHandler({
  apiKey: 60,
  minVersion: 0,
  maxVersion: 2,
  handle(req, ctx) {
    const b = ctx.broker;
    if (ctx.apiVersion >= 1 && req.endpointType !== BROKERS_ENDPOINT) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
        errorMessage: 'This broker only serves the brokers endpoint type.',
        endpointType: req.endpointType,
        clusterId: b.clusterId,
        controllerId: -1,
        brokers: [],
        clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: BROKERS_ENDPOINT,
      clusterId: b.clusterId,
      controllerId: b.replicas.controllerId(),
      brokers: liveBrokers(ctx).map((l) => ({ brokerId: l.id, host: l.host, port: l.port, rack: l.rack, isFenced: false })),
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations
        ? authorizedOperationsFor(ctx, AclResourceType.CLUSTER, CLUSTER_RESOURCE_NAME)
        : AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
});

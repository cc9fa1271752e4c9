/**
 * DescribeCluster (key 60), versions 0-2.
 *
 * Cluster id, controller and brokers, as the admin client's describeCluster() reads them.
 * v1 endpoint type: 1 brokers (answered). Other types are refused as Kafka's brokers refuse them,
 * with the code and message only (endpoint type 1, no cluster id, controller -1, no brokers): 2
 * (controllers) with MISMATCHED_ENDPOINT_TYPE, since the request reached a broker listener and
 * Runnel has no controller listener (KIP-919's bootstrap.controllers); a type Kafka does not
 * define with UNSUPPORTED_ENDPOINT_TYPE.
 *
 * v2 (KIP-1073) adds includeFencedBrokers and each broker's isFenced: Runnel lists registered
 * brokers only (a broker whose etcd lease lapsed is gone, not fenced), all with isFenced false.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): none;
 * cluster_authorized_operations only with DESCRIBE on the cluster (else 0).
 */
import {
  newDescribeClusterResponse,
  newDescribeClusterResponseBroker,
  type DescribeClusterRequest,
  type DescribeClusterResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclResourceType, CLUSTER_NAME } from '../security/authorizer.js';
import { defineHandler } from './types.js';
import { AclOperation, authorizedOperations, canCluster } from './authz.js';

/** DescribeCluster v1's endpoint types: 1 brokers, 2 controllers. */
const BROKER_ENDPOINT = 1;
const CONTROLLER_ENDPOINT = 2;
const ALL_CLUSTER_OPERATIONS = 0b1_1111_1111_1000;

export default defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  key: 60,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, req) {
    if (ctx.version >= 1 && req.endpointType !== BROKER_ENDPOINT) {
      const known = req.endpointType === CONTROLLER_ENDPOINT;
      return newDescribeClusterResponse({
        errorCode: known ? ErrorCode.MISMATCHED_ENDPOINT_TYPE : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
        errorMessage: known ? 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER' : `Unsupported endpoint type ${req.endpointType}`,
      });
    }
    return newDescribeClusterResponse({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: BROKER_ENDPOINT,
      clusterId: ctx.node.clusterId,
      controllerId: ctx.node.controllerId,
      brokers: ctx.node.brokers(ctx.conn.listener).map((b) => newDescribeClusterResponseBroker({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
      clusterAuthorizedOperations: !req.includeClusterAuthorizedOperations
        ? -2147483648
        : !ctx.authorizer.enabled
          ? ALL_CLUSTER_OPERATIONS
          : // Kafka: the principal's operations, only with DESCRIBE on the cluster (else none).
            canCluster(ctx, AclOperation.DESCRIBE, false)
            ? authorizedOperations(ctx, AclResourceType.CLUSTER, CLUSTER_NAME)
            : 0,
    });
  },
  errorResponse(_ctx, _req, code, message) {
    return newDescribeClusterResponse({ errorCode: code, errorMessage: message, brokers: [] });
  },
});

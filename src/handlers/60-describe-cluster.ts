/**
 * DescribeCluster (key 60), versions 0-1.
 *
 * Cluster id, controller and brokers, as the admin client's describeCluster() reads them.
 * v1 endpoint type: 1 brokers (answered), 2 controllers (this broker is also the controller).
 */
import {
  newDescribeClusterResponse,
  newDescribeClusterResponseBroker,
  type DescribeClusterRequest,
  type DescribeClusterResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';

const ALL_CLUSTER_OPERATIONS = 0b1_1111_1111_1000;

export default defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  key: 60,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    return newDescribeClusterResponse({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: ctx.version >= 1 ? req.endpointType : 1,
      clusterId: ctx.node.clusterId,
      controllerId: ctx.node.controllerId,
      brokers: ctx.node.brokers(ctx.conn.listener).map((b) => newDescribeClusterResponseBroker({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? ALL_CLUSTER_OPERATIONS : -2147483648,
    });
  },
  errorResponse(_ctx, _req, code, message) {
    return newDescribeClusterResponse({ errorCode: code, errorMessage: message, brokers: [] });
  },
});

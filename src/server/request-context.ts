/**
 * A request's context (handlers/types.ts): the request's header, its connection and logger, and
 * the broker's ports. One flat object per request with a fixed shape, built field by field from
 * the shared BrokerServices (no spread, nothing per record), so handlers read a port with one
 * property load.
 */
import type { RequestHeader } from '../../protocol/headers.js';
import type { BrokerServices, ConnectionInfo, RequestContext } from '../handlers/types.js';
import type { Logger } from '../logger.js';

export function requestContext(s: BrokerServices, header: RequestHeader, conn: ConnectionInfo, log: Logger): RequestContext {
  return {
    header,
    version: header.apiVersion,
    conn,
    log,
    node: s.node,
    config: s.config,
    topics: s.topics,
    partitions: s.partitions,
    producers: s.producers,
    producerIds: s.producerIds,
    groups: s.groups,
    txn: s.txn,
    schemas: s.schemas,
    configs: s.configs,
    metrics: s.metrics,
    authorizer: s.authorizer,
    apiVersions: s.apiVersions,
    scramCredentials: s.scramCredentials,
    clientQuotas: s.clientQuotas,
    features: s.features,
    shareGroups: s.shareGroups,
    memberMemory: s.memberMemory,
  };
}

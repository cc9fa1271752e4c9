/**
 * What a request handler is: one API key, the versions it serves, and a function from the decoded
 * request to the response (or null when no response is sent, as for Produce with acks=0).
 *
 * A handler sees the broker only through the ports in its RequestContext — narrow interfaces of
 * the node, configs, topics, partitions, producer state, coordinators, schema validation, metrics
 * and authorization — never the Broker itself, so a handler can be run against fakes
 * (test/unit/handlers/). The connection builds a context per request from the BrokerServices it
 * was given (server/connection.ts); the composition root (src/broker.ts) builds those.
 */
import type { ApiVersionsResponse } from '../../protocol/generated/index.js';
import type { RequestHeader } from '../../protocol/headers.js';
import type { ConfigsPort } from '../admin/port.js';
import type { NodePort } from '../cluster/node.js';
import type { ConfigView } from '../config/view.js';
import type { PartitionsPort } from '../data/partitions.js';
import type { GroupsPort } from '../groups/port.js';
import type { Logger } from '../logger.js';
import type { TopicsPort } from '../metadata/port.js';
import type { DataMetrics } from '../metrics.js';
import type { SchemaValidationPort } from '../schema/port.js';
import type { Authorizer, Principal } from '../security/authorizer.js';
import type { SaslSession } from '../security/sasl/session.js';
import type { ScramStore } from '../security/sasl/scram-store.js';
import type { ClientQuotasPort } from '../quotas/port.js';
import type { FeaturesPort } from '../features/port.js';
import type { ShareGroupService } from '../share/service.js';
import type { MemberMemoryBudget } from '../groups/member-memory.js';
import type { ProducerIdsPort, ProducerStatesPort, TransactionsPort } from '../txn/port.js';

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The listener the connection arrived on. */
  readonly listener: string;
  /** Who the connection is (the SASL user once authenticated, else ANONYMOUS), for the authorizer. */
  readonly principal: Principal;
  /** The SASL authentication of a connection on a SASL listener; null or absent otherwise. */
  readonly sasl?: SaslSession | null;
  /** Closes the connection (e.g. after a fatal protocol error). */
  close(reason: string): void;
  /** Runs `fn` when the connection closes; returns a function that unregisters it. */
  onClose(fn: () => void): () => void;
  readonly closed: boolean;
}

/** ApiVersions: every API the broker serves with its version range (handlers/registry.ts). */
export interface ApiVersionsPort {
  apiVersionsResponse(errorCode: number): ApiVersionsResponse;
}

/** The ports every request context carries: built once by the composition root, shared by all connections. */
export interface BrokerServices {
  readonly node: NodePort;
  readonly config: ConfigView;
  readonly topics: TopicsPort;
  readonly partitions: PartitionsPort;
  readonly producers: ProducerStatesPort;
  readonly producerIds: ProducerIdsPort;
  readonly groups: GroupsPort;
  readonly txn: TransactionsPort;
  readonly schemas: SchemaValidationPort;
  readonly configs: ConfigsPort;
  readonly metrics: DataMetrics;
  readonly authorizer: Authorizer;
  readonly apiVersions: ApiVersionsPort;
  /** SCRAM credentials (data dir on a single node, etcd in a cluster). */
  readonly scramCredentials: ScramStore;
  /** The client quotas configured (Describe/AlterClientQuotas). */
  readonly clientQuotas: ClientQuotasPort;
  /** Feature levels: supported and finalized (ApiVersions, UpdateFeatures; src/features/). */
  readonly features: FeaturesPort;
  /** Share groups (KIP-932): membership, share sessions, acquisition (src/share/). */
  readonly shareGroups: ShareGroupService;
  /** The bound on what all group members keep (runnel.group.members.max.bytes). */
  readonly memberMemory: MemberMemoryBudget;
}

export interface RequestContext extends BrokerServices {
  readonly header: RequestHeader;
  readonly version: number;
  readonly conn: ConnectionInfo;
  readonly log: Logger;
}

export interface Handler<Req extends object = object, Res extends object = object> {
  readonly key: number;
  /** Versions advertised in ApiVersions; every one of them must be answered. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * Requests of this API may run while earlier pipelinable requests of the same connection are
   * still in flight (responses stay in order). Only for handlers whose ordering effects happen
   * synchronously when they start, like Produce assigning offsets.
   */
  readonly pipelinable?: boolean;
  handle(ctx: RequestContext, req: Req): Res | null | Promise<Res | null>;
  /**
   * The response carrying `code` everywhere, for failures that escape `handle`. Without it the
   * connection is closed (the client reconnects and retries).
   */
  errorResponse?(ctx: RequestContext, req: Req, code: number, message: string): Res;
  /** Bytes of the response that are file slices (Fetch), so the response buffer is sized without them. */
  externalBytes?(res: Res): number;
}

export function defineHandler<Req extends object, Res extends object>(h: Handler<Req, Res>): Handler<Req, Res> {
  return h;
}

/**
 * ListConfigResources (key 74), versions 0-1 (KIP-1142; v0 was KIP-714's ListClientMetricsResources).
 *
 * The config resources of the types asked for, as Kafka 4.4's KafkaApis answers:
 *  - supported types: v0 CLIENT_METRICS (16) only; v1 TOPIC (2), BROKER (4), BROKER_LOGGER (8),
 *    CLIENT_METRICS (16), GROUP (32). An empty list means every supported type. Any type outside
 *    that set fails the whole request with UNSUPPORTED_VERSION and no resources.
 *  - GROUP: the groups that have config overrides (Kafka lists its GroupConfigManager's groups,
 *    not every group); in a cluster these come from etcd, so every broker lists the same.
 *  - CLIENT_METRICS: none (Runnel has no client-metrics subscriptions; KIP-714 telemetry is not
 *    served), as Kafka answers with none configured.
 *  - BROKER_LOGGER and BROKER: every registered broker, by id; TOPIC: every topic, internal ones too.
 *  Kafka's order of the types: GROUP, CLIENT_METRICS, BROKER_LOGGER, BROKER, TOPIC. Within a
 *  type Kafka's order is its hash maps'; Runnel sorts names (ids numerically).
 *
 * Bounds: the resource types a client sends count towards runnel.request.max.entries
 * (handlers/entry-limit.ts); the answer is bounded by the topics, brokers and
 * runnel.group.configs.max.groups configured groups.
 *
 * Version notes: v1 adds resourceTypes to the request and each resource's type to the answer
 * (v0 answers carry names only, all CLIENT_METRICS).
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): DESCRIBE_CONFIGS on the
 * cluster, else CLUSTER_AUTHORIZATION_FAILED with no resources.
 */
import {
  newListConfigResourcesResponse,
  newListConfigResourcesResponseConfigResource,
  type ListConfigResourcesRequest,
  type ListConfigResourcesResponse,
  type ListConfigResourcesResponseConfigResource,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { AclOperation, canCluster } from './authz.js';

/** Kafka's ConfigResource.Type ids. */
const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;
const CLIENT_METRICS = 16;
const GROUP = 32;

/** ListConfigResourcesRequest.supportedResourceTypes(): by request version. */
const SUPPORTED_V0: ReadonlySet<number> = new Set([CLIENT_METRICS]);
const SUPPORTED_V1: ReadonlySet<number> = new Set([TOPIC, BROKER, BROKER_LOGGER, CLIENT_METRICS, GROUP]);

const answer = (errorCode: number, configResources: ListConfigResourcesResponseConfigResource[]) => newListConfigResourcesResponse({ throttleTimeMs: 0, errorCode, configResources });

export default defineHandler<ListConfigResourcesRequest, ListConfigResourcesResponse>({
  key: 74,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    if (!canCluster(ctx, AclOperation.DESCRIBE_CONFIGS)) return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, []);
    const supported = ctx.version === 0 ? SUPPORTED_V0 : SUPPORTED_V1;
    const wanted = req.resourceTypes.length === 0 ? supported : new Set(req.resourceTypes);
    for (const t of wanted) if (!supported.has(t)) return answer(ErrorCode.UNSUPPORTED_VERSION, []);

    const out: ListConfigResourcesResponseConfigResource[] = [];
    const add = (names: Iterable<string>, resourceType: number) => {
      for (const resourceName of names) out.push(newListConfigResourcesResponseConfigResource({ resourceName, resourceType }));
    };
    if (wanted.has(GROUP)) add(ctx.configs.configuredGroups().sort(), GROUP);
    // CLIENT_METRICS: Runnel has no client-metrics resources.
    if (wanted.has(BROKER_LOGGER) || wanted.has(BROKER)) {
      const ids = ctx.node
        .brokers(ctx.conn.listener)
        .map((b) => b.nodeId)
        .sort((a, b) => a - b)
        .map(String);
      if (wanted.has(BROKER_LOGGER)) add(ids, BROKER_LOGGER);
      if (wanted.has(BROKER)) add(ids, BROKER);
    }
    if (wanted.has(TOPIC)) add([...ctx.topics.all()].map((t) => t.name).sort(), TOPIC);
    return answer(ErrorCode.NONE, out);
  },
  errorResponse(_ctx, _req, code) {
    return answer(code, []);
  },
});

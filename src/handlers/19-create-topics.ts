/**
 * CreateTopics (key 19), versions 0-7.
 *
 * Creates each topic with its partitions (default num.partitions for -1), replication factor (-1:
 * default.replication.factor; a single node takes only 1, a cluster at most its live brokers,
 * else INVALID_REPLICATION_FACTOR), manual assignments and configs; validate_only checks without
 * creating. Errors are per topic with Kafka's codes and messages (TOPIC_ALREADY_EXISTS,
 * INVALID_TOPIC_EXCEPTION, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, INVALID_CONFIG ...).
 * A name repeated in one request gets one answer, INVALID_REQUEST, as Kafka does.
 * All topics of a request are recorded with one metadata write. More partitions in one request
 * than runnel.max.partitions.per.request (10,000, Kafka's limit) refuses every topic with
 * POLICY_VIOLATION; a topic above runnel.max.partitions.per.topic gets INVALID_PARTITIONS.
 * v1 validate_only and error messages, v2 throttle time, v5+ returns partitions, replication factor
 * and the resulting configs; v7 the topic id. v0-v1 (removed by Kafka 4.0, KIP-896) are served
 * for sarama 1.22's ClusterAdmin below config.Version 1.0 (docs/compatibility.md).
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): CREATE on the cluster or
 * on each topic (TOPIC_AUTHORIZATION_FAILED); configs returned only with DESCRIBE_CONFIGS.
 */
import {
  newCreateTopicsResponse,
  newCreateTopicsResponseConfig,
  newCreateTopicsResponseTopic,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { AclOperation, canCluster, canTopic } from './authz.js';

export default defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
  key: 19,
  minVersion: 0,
  maxVersion: 7,
  async handle(ctx, req) {
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    // Authorization (Kafka's): CREATE on the cluster, else CREATE on each topic.
    const clusterCreate = canCluster(ctx, AclOperation.CREATE, false);
    const refused = new Set<string>();
    if (!clusterCreate) for (const [name, n] of counts) if (n === 1 && !canTopic(ctx, AclOperation.CREATE, name)) refused.add(name);
    // Every topic named once is created in one go (one metadata write, one partition budget).
    const unique = req.topics.filter((t) => counts.get(t.name) === 1 && !refused.has(t.name));
    const results = await ctx.topics.createTopics(
      unique.map((t) => ({
        name: t.name,
        partitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
        assignments: t.assignments.map((a) => ({ partitionIndex: a.partitionIndex, brokerIds: a.brokerIds })),
        configs: t.configs.map((c) => [c.name, c.value] as [string, string | null]),
      })),
      req.validateOnly,
    );
    const byName = new Map(unique.map((t, i) => [t.name, results[i]!]));
    const topics = [];
    for (const t of req.topics) {
      if (refused.has(t.name)) {
        topics.push(newCreateTopicsResponseTopic({ name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' }));
        continue;
      }
      const result = byName.get(t.name);
      if (!result) {
        if (counts.get(t.name)! < 0) continue; // answered at its first occurrence
        counts.set(t.name, -1);
        topics.push(newCreateTopicsResponseTopic({ name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Duplicate topic name ${t.name} in the request.` }));
        continue;
      }
      if (result.error) {
        ctx.log.debug({ topic: t.name, error: errorName(result.error.code) }, 'create topic refused');
        topics.push(newCreateTopicsResponseTopic({ name: t.name, errorCode: result.error.code, errorMessage: result.error.message }));
        continue;
      }
      const created = result.topic;
      const res = newCreateTopicsResponseTopic({
        name: t.name,
        topicId: created?.id,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        numPartitions: result.partitions,
        replicationFactor: result.replicationFactor,
      });
      if (ctx.version >= 5 && created && !canTopic(ctx, AclOperation.DESCRIBE_CONFIGS, t.name, false)) {
        // Kafka: created, but its configs are not shown to a principal that may not describe them.
        res.topicConfigErrorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      } else if (ctx.version >= 5 && created) {
        const described = ctx.configs.describeTopic(t.name, null);
        res.configs = described.configs.map((c) =>
          newCreateTopicsResponseConfig({ name: c.name, value: c.value, readOnly: c.readOnly, configSource: c.source, isSensitive: c.isSensitive }),
        );
      }
      topics.push(res);
    }
    return newCreateTopicsResponse({ throttleTimeMs: 0, topics });
  },
  errorResponse(_ctx, req, code, message) {
    return newCreateTopicsResponse({ topics: req.topics.map((t) => newCreateTopicsResponseTopic({ name: t.name, errorCode: code, errorMessage: message })) });
  },
});

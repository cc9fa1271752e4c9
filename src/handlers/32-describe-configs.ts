/**
 * DescribeConfigs (key 32), versions 0-4.
 *
 * Topic (resource type 2) and broker (4) configs with their values, sources (v1+), synonyms when
 * asked (v1+), types and documentation (v3+). A null or empty key list means every key. Broker
 * resource "" is the cluster-wide dynamic default; "<node.id>" this broker.
 *
 * Version notes: v0 (is_default instead of the source) is served although Kafka 4 dropped it:
 * sarama configured for Kafka 0.11-2.0 (its default Config.Version before 1.40 was 1.0.0) sends
 * DescribeConfigs v0 from ClusterAdmin.ListTopics, and Kafka 4 closes that connection.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): DESCRIBE_CONFIGS on the
 * topic, group or cluster (TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED).
 */
import {
  newDescribeConfigsResponse,
  newDescribeConfigsResponseConfig,
  newDescribeConfigsResponseResult,
  newDescribeConfigsResponseSynonym,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
} from '../../protocol/generated/index.js';
import { defineHandler } from './types.js';
import { AclOperation, authorizationMessage, configResourceError } from './authz.js';

export default defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>({
  key: 32,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req) {
    const results = req.resources.map((r) => {
      // Authorization: DESCRIBE_CONFIGS on the resource (authz.ts configResourceError).
      const refused = configResourceError(ctx, r.resourceType, r.resourceName, AclOperation.DESCRIBE_CONFIGS);
      if (refused !== 0) return newDescribeConfigsResponseResult({ errorCode: refused, errorMessage: authorizationMessage(refused), resourceType: r.resourceType, resourceName: r.resourceName, configs: [] });
      const d = ctx.configs.describe(r.resourceType, r.resourceName, r.configurationKeys);
      return newDescribeConfigsResponseResult({
        errorCode: d.errorCode,
        errorMessage: d.errorMessage,
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        configs: d.configs.map((c) =>
          newDescribeConfigsResponseConfig({
            name: c.name,
            value: c.value,
            readOnly: c.readOnly,
            isDefault: c.isDefault,
            configSource: c.source,
            isSensitive: c.isSensitive,
            synonyms: req.includeSynonyms ? c.synonyms.map((s) => newDescribeConfigsResponseSynonym(s)) : [],
            configType: c.configType,
            documentation: req.includeDocumentation ? c.documentation : null,
          }),
        ),
      });
    });
    return newDescribeConfigsResponse({ throttleTimeMs: 0, results });
  },
  errorResponse(_ctx, req, code, message) {
    return newDescribeConfigsResponse({
      results: req.resources.map((r) => newDescribeConfigsResponseResult({ errorCode: code, errorMessage: message, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })),
    });
  },
});

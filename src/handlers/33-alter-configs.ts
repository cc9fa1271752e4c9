/**
 * AlterConfigs (key 33), versions 0-2.
 *
 * Replaces the whole set of dynamic configs of each resource (topic overrides, or the broker's
 * dynamic overrides for "<node.id>" / cluster default ""). Keys not listed go back to their
 * defaults — that is this API's (deprecated) meaning; IncrementalAlterConfigs changes single keys.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): ALTER_CONFIGS on the
 * topic, group or cluster (TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED).
 */
import {
  newAlterConfigsResponse,
  newAlterConfigsResponseResponse,
  type AlterConfigsRequest,
  type AlterConfigsResponse,
} from '../../protocol/generated/index.js';
import { defineHandler } from './types.js';
import { alterConfigsOutcome } from './authz.js';

export default defineHandler<AlterConfigsRequest, AlterConfigsResponse>({
  key: 33,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const responses = [];
    for (const r of req.resources) {
      // Authorization: ALTER_CONFIGS on the resource (authz.ts).
      const { errorCode, errorMessage } = await alterConfigsOutcome(ctx, r.resourceType, r.resourceName, () => ctx.configs.alter(r.resourceType, r.resourceName, r.configs, false, req.validateOnly));
      responses.push(newAlterConfigsResponseResponse({ errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName }));
    }
    return newAlterConfigsResponse({ throttleTimeMs: 0, responses });
  },
  errorResponse(_ctx, req, code, message) {
    return newAlterConfigsResponse({
      responses: req.resources.map((r) => newAlterConfigsResponseResponse({ errorCode: code, errorMessage: message, resourceType: r.resourceType, resourceName: r.resourceName })),
    });
  },
});

/**
 * IncrementalAlterConfigs (key 44), versions 0-1.
 *
 * Per key: SET (0), DELETE (1, back to the default), APPEND (2) / SUBTRACT (3) for list configs.
 * All changes of one resource are validated before any is applied.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): ALTER_CONFIGS on the
 * topic, group or cluster (TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED).
 */
import {
  newIncrementalAlterConfigsResponse,
  newIncrementalAlterConfigsResponseResponse,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from '../../protocol/generated/index.js';
import { defineHandler } from './types.js';
import { alterConfigsOutcome } from './authz.js';

export default defineHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>({
  key: 44,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    const responses = [];
    for (const r of req.resources) {
      // Authorization: ALTER_CONFIGS on the resource (authz.ts).
      const changes = r.configs.map((c) => ({ name: c.name, value: c.value, op: c.configOperation }));
      const { errorCode, errorMessage } = await alterConfigsOutcome(ctx, r.resourceType, r.resourceName, () => ctx.configs.alter(r.resourceType, r.resourceName, changes, true, req.validateOnly));
      responses.push(newIncrementalAlterConfigsResponseResponse({ errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName }));
    }
    return newIncrementalAlterConfigsResponse({ throttleTimeMs: 0, responses });
  },
  errorResponse(_ctx, req, code, message) {
    return newIncrementalAlterConfigsResponse({
      responses: req.resources.map((r) => newIncrementalAlterConfigsResponseResponse({ errorCode: code, errorMessage: message, resourceType: r.resourceType, resourceName: r.resourceName })),
    });
  },
});

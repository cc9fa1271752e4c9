/**
 * DeleteTopics (key 20), versions 0-6.
 *
 * Deletes topics by name (v0-5 topic_names; v6 topics by name or id). v0 (removed by Kafka 4.0,
 * KIP-896; no throttle time) is served for sarama 1.22's ClusterAdmin below config.Version 0.11
 * (docs/compatibility.md). Partition logs are removed
 * after readers holding their segments finish. Unknown topics get UNKNOWN_TOPIC_OR_PARTITION
 * (UNKNOWN_TOPIC_ID when named by id); the broker's state topics INVALID_TOPIC_EXCEPTION. All topics
 * of a request are removed from the metadata with one write.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): DELETE on each topic
 * (TOPIC_AUTHORIZATION_FAILED); an id the principal may not describe is UNKNOWN_TOPIC_ID.
 */
import {
  newDeleteTopicsResponse,
  newDeleteTopicsResponseResult,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/codec-support.js';
import { defineHandler } from './types.js';
import { AclOperation, authorizationMessage, canTopic } from './authz.js';

function requested(req: DeleteTopicsRequest, v: number): Array<{ name: string | null; topicId: Buffer }> {
  if (v >= 6) return req.topics.map((t) => ({ name: t.name, topicId: t.topicId }));
  return req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
}

export default defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>({
  key: 20,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, req) {
    // Resolve ids to names first; every named topic is then deleted with one metadata write.
    const entries: Array<{ name: string | null; topicId: Buffer; error: KafkaError | null }> = [];
    for (const t of requested(req, ctx.version)) {
      let name = t.name;
      let id = t.topicId;
      if ((name === null || name === '') && !id.equals(ZERO_UUID)) {
        const topic = ctx.topics.byId(id);
        // An id the principal may not describe is as unknown (Kafka's rule: ids do not leak names).
        if (!topic || !canTopic(ctx, AclOperation.DESCRIBE, topic.name)) {
          entries.push({ name: null, topicId: id, error: new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, 'This server does not host this topic ID.') });
          continue;
        }
        name = topic.name;
      }
      // Authorization: DELETE on the topic (Kafka's), whether it exists or not.
      if (!canTopic(ctx, AclOperation.DELETE, name ?? '')) {
        entries.push({ name, topicId: id, error: new KafkaError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, authorizationMessage(ErrorCode.TOPIC_AUTHORIZATION_FAILED)) });
        continue;
      }
      const topic = ctx.topics.get(name ?? '');
      if (topic) id = topic.id;
      entries.push({ name, topicId: id, error: null });
    }
    const toDelete = entries.filter((e) => e.error === null);
    const outcomes = await ctx.topics.deleteTopics(toDelete.map((e) => e.name ?? ''));
    toDelete.forEach((e, i) => (e.error = outcomes[i]!));
    const responses = entries.map((e) => newDeleteTopicsResponseResult({ name: e.name, topicId: e.topicId, errorCode: e.error?.code ?? ErrorCode.NONE, errorMessage: e.error?.message ?? null }));
    return newDeleteTopicsResponse({ throttleTimeMs: 0, responses });
  },
  errorResponse(ctx, req, code, message) {
    return newDeleteTopicsResponse({
      responses: requested(req, ctx.version).map((t) => newDeleteTopicsResponseResult({ name: t.name, topicId: t.topicId, errorCode: code, errorMessage: message })),
    });
  },
});

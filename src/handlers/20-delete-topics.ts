/**
 * DeleteTopics (key 20), versions 1-6.
 *
 * Deletes topics by name (v0-5 topic_names; v6 topics by name or id). Partition logs are removed
 * after readers holding their segments finish. Unknown topics get UNKNOWN_TOPIC_OR_PARTITION
 * (UNKNOWN_TOPIC_ID when named by id).
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

function requested(req: DeleteTopicsRequest, v: number): Array<{ name: string | null; topicId: Buffer }> {
  if (v >= 6) return req.topics.map((t) => ({ name: t.name, topicId: t.topicId }));
  return req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
}

export default defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>({
  key: 20,
  minVersion: 1,
  maxVersion: 6,
  async handle(ctx, req) {
    const broker = ctx.broker;
    const responses = [];
    for (const t of requested(req, ctx.version)) {
      let name = t.name;
      let id = t.topicId;
      if ((name === null || name === '') && !id.equals(ZERO_UUID)) {
        const topic = broker.topics.byId(id);
        if (!topic) {
          responses.push(newDeleteTopicsResponseResult({ name: null, topicId: id, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'This server does not host this topic ID.' }));
          continue;
        }
        name = topic.name;
      }
      const topic = broker.topics.get(name ?? '');
      if (topic) id = topic.id;
      try {
        await broker.topics.delete(name ?? '');
        responses.push(newDeleteTopicsResponseResult({ name, topicId: id, errorCode: ErrorCode.NONE, errorMessage: null }));
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
        responses.push(newDeleteTopicsResponseResult({ name, topicId: id, errorCode: err.code, errorMessage: err.message }));
      }
    }
    return newDeleteTopicsResponse({ throttleTimeMs: 0, responses });
  },
  errorResponse(ctx, req, code, message) {
    return newDeleteTopicsResponse({
      responses: requested(req, ctx.version).map((t) => newDeleteTopicsResponseResult({ name: t.name, topicId: t.topicId, errorCode: code, errorMessage: message })),
    });
  },
});

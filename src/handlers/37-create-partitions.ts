/**
 * CreatePartitions (key 37), versions 0-3.
 *
 * Raises a topic's partition count (never lowers it: INVALID_PARTITIONS), with optional manual
 * assignments for the new partitions; validate_only checks without changing anything. More new
 * partitions in one request than runnel.max.partitions.per.request refuses every topic with
 * POLICY_VIOLATION; a count above runnel.max.partitions.per.topic is INVALID_PARTITIONS.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): ALTER on each topic
 * (TOPIC_AUTHORIZATION_FAILED).
 */
import {
  newCreatePartitionsResponse,
  newCreatePartitionsResponseResult,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { checkPartitionsPerRequest } from '../metadata/topic-limits.js';
import { defineHandler } from './types.js';
import { AclOperation, topicDecisions } from './authz.js';

export default defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>({
  key: 37,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req) {
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    // Authorization: ALTER on each topic (Kafka's), else TOPIC_AUTHORIZATION_FAILED.
    const alterable = topicDecisions(ctx, AclOperation.ALTER);
    // The partitions the whole request would add, counted before anything is created.
    let added = 0;
    for (const t of req.topics) {
      if (!alterable(t.name)) continue;
      const current = ctx.topics.get(t.name)?.partitions;
      if (current !== undefined && t.count > current) added += t.count - current;
    }
    try {
      checkPartitionsPerRequest(ctx.config, added);
    } catch (err) {
      const e = err as KafkaError;
      return newCreatePartitionsResponse({ throttleTimeMs: 0, results: req.topics.map((t) => newCreatePartitionsResponseResult({ name: t.name, errorCode: e.code, errorMessage: e.message })) });
    }
    const results = [];
    for (const t of req.topics) {
      if (counts.get(t.name)! > 1) {
        results.push(newCreatePartitionsResponseResult({ name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic in request.' }));
        continue;
      }
      if (!alterable(t.name)) {
        results.push(newCreatePartitionsResponseResult({ name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' }));
        continue;
      }
      try {
        await ctx.topics.createPartitions(t.name, t.count, t.assignments?.map((a) => a.brokerIds) ?? null, req.validateOnly);
        results.push(newCreatePartitionsResponseResult({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null }));
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
        results.push(newCreatePartitionsResponseResult({ name: t.name, errorCode: err.code, errorMessage: err.message }));
      }
    }
    return newCreatePartitionsResponse({ throttleTimeMs: 0, results });
  },
  errorResponse(_ctx, req, code, message) {
    return newCreatePartitionsResponse({ results: req.topics.map((t) => newCreatePartitionsResponseResult({ name: t.name, errorCode: code, errorMessage: message })) });
  },
});

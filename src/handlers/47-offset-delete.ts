/**
 * OffsetDelete (key 47), version 0.
 *
 * Deletes committed offsets of a group: any of an empty group's; for a consumer group with
 * members, only of topics it does not subscribe to (GROUP_SUBSCRIBED_TO_TOPIC otherwise). Group
 * errors (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP for non-consumer groups with members) come
 * top-level with no topics; unknown partitions get UNKNOWN_TOPIC_OR_PARTITION.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): DELETE on the group
 * (GROUP_AUTHORIZATION_FAILED), READ on each topic (TOPIC_AUTHORIZATION_FAILED).
 */
import {
  newOffsetDeleteResponse,
  newOffsetDeleteResponsePartition,
  newOffsetDeleteResponseTopic,
  type OffsetDeleteRequest,
  type OffsetDeleteResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { AclOperation, canGroup, topicDecisions } from './authz.js';

export default defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>({
  key: 47,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const groups = ctx.groups;
    // Authorization (Kafka's): DELETE on the group, then READ on each topic (its partitions
    // TOPIC_AUTHORIZATION_FAILED, their offsets kept).
    if (!canGroup(ctx, AclOperation.DELETE, req.groupId)) return newOffsetDeleteResponse({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] });
    const readable = topicDecisions(ctx, AclOperation.READ);
    const exists = req.topics.map((t) => t.partitions.map((p) => readable(t.name) && groups.partitionExists(t.name, p.partitionIndex)));
    const known: Array<{ topic: string; partition: number }> = [];
    req.topics.forEach((t, ti) => t.partitions.forEach((p, pi) => exists[ti]![pi] && known.push({ topic: t.name, partition: p.partitionIndex })));
    const r = await groups.deleteOffsets(req.groupId, known);
    if (r.errorCode !== ErrorCode.NONE) return newOffsetDeleteResponse({ errorCode: r.errorCode, throttleTimeMs: 0, topics: [] });
    let i = 0;
    return newOffsetDeleteResponse({
      errorCode: ErrorCode.NONE,
      throttleTimeMs: 0,
      topics: req.topics.map((t, ti) =>
        newOffsetDeleteResponseTopic({
          name: t.name,
          partitions: t.partitions.map((p, pi) =>
            newOffsetDeleteResponsePartition({
              partitionIndex: p.partitionIndex,
              errorCode: exists[ti]![pi] ? r.partitions[i++]! : readable(t.name) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.TOPIC_AUTHORIZATION_FAILED,
            }),
          ),
        }),
      ),
    });
  },
  errorResponse(_ctx, _req, code) {
    return newOffsetDeleteResponse({ errorCode: code, topics: [] });
  },
});

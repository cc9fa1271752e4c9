/**
 * DeleteShareGroupOffsets (key 92), version 0 (KIP-932; kafka-share-groups --delete-offsets):
 * removes an empty share group's state for whole topics (tombstones in __share_group_state,
 * written before the answer), so a later fetch starts again from share.auto.offset.reset. As
 * Kafka 4.4: NON_EMPTY_GROUP (top level) while the group has members, GROUP_ID_NOT_FOUND for an
 * unknown group, UNKNOWN_TOPIC_OR_PARTITION for an unknown topic or one the group has no state for.
 *
 * Authorization (Kafka's KafkaApis): DELETE on the group (GROUP_AUTHORIZATION_FAILED), READ on
 * each topic (TOPIC_AUTHORIZATION_FAILED).
 */
import {
  newDeleteShareGroupOffsetsResponse,
  newDeleteShareGroupOffsetsResponseTopic,
  type DeleteShareGroupOffsetsRequest,
  type DeleteShareGroupOffsetsResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { deleteTopicState, describedPartitions, emptyGroupRefusal } from '../share/admin.js';
import { defineHandler } from './types.js';
import { AclOperation, authorizationMessage, canGroup, canTopic } from './authz.js';
import { EMPTY_UUID, NON_EMPTY_SHARE_GROUP, SHARE_GROUPS_DISABLED, UNKNOWN_PARTITION, shareGroupsEnabled } from './share-common.js';

const failure = (errorCode: number, errorMessage: string | null = null) => newDeleteShareGroupOffsetsResponse({ throttleTimeMs: 0, errorCode, errorMessage });

export default defineHandler<DeleteShareGroupOffsetsRequest, DeleteShareGroupOffsetsResponse>({
  key: 92,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    if (!shareGroupsEnabled(ctx)) return failure(ErrorCode.UNSUPPORTED_VERSION, SHARE_GROUPS_DISABLED);
    if (req.groupId === '') return failure(ErrorCode.INVALID_GROUP_ID, 'The group id is empty.');
    if (!canGroup(ctx, AclOperation.DELETE, req.groupId)) return failure(ErrorCode.GROUP_AUTHORIZATION_FAILED, authorizationMessage(ErrorCode.GROUP_AUTHORIZATION_FAILED));
    const admin = ctx.shareGroups.admin;
    if (!ctx.shareGroups.hasGroup(req.groupId) && describedPartitions(admin, req.groupId).size === 0) return failure(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} not found.`);
    if (emptyGroupRefusal(admin, req.groupId) !== ErrorCode.NONE) return failure(ErrorCode.NON_EMPTY_GROUP, NON_EMPTY_SHARE_GROUP(req.groupId));
    const responses = [];
    for (const { topicName } of req.topics) {
      const t = ctx.topics.get(topicName);
      const answer = (errorCode: number, errorMessage: string | null = null) => newDeleteShareGroupOffsetsResponseTopic({ topicName, topicId: t?.id ?? EMPTY_UUID, errorCode, errorMessage });
      if (!canTopic(ctx, AclOperation.READ, topicName)) responses.push(newDeleteShareGroupOffsetsResponseTopic({ topicName, topicId: EMPTY_UUID, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: authorizationMessage(ErrorCode.TOPIC_AUTHORIZATION_FAILED) }));
      else if (!t) responses.push(answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_PARTITION));
      else {
        try {
          const had = await deleteTopicState(admin, req.groupId, t.id);
          responses.push(had ? answer(ErrorCode.NONE) : answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'There is no offset information to delete.'));
        } catch {
          responses.push(answer(ErrorCode.KAFKA_STORAGE_ERROR));
        }
      }
    }
    return newDeleteShareGroupOffsetsResponse({ throttleTimeMs: 0, responses });
  },
  errorResponse(_ctx, _req, code, message) {
    return failure(code, message);
  },
});

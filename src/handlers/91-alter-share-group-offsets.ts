/**
 * AlterShareGroupOffsets (key 91), version 0 (KIP-932; kafka-share-groups --reset-offsets): sets
 * share-partition start offsets of an empty share group. Each named partition's in-flight state
 * goes and the next fetch starts at the new offset; the change is written to __share_group_state
 * before the answer. As Kafka 4.4: NON_EMPTY_GROUP (top level) while the group has members; an
 * unknown group is created empty; unknown topics and partitions are UNKNOWN_TOPIC_OR_PARTITION
 * (unknown topics listed first); any offset is accepted, even past the log end.
 *
 * Authorization (Kafka's KafkaApis): READ on the group (GROUP_AUTHORIZATION_FAILED), READ on each
 * topic (TOPIC_AUTHORIZATION_FAILED for its partitions).
 */
import {
  newAlterShareGroupOffsetsResponse,
  newAlterShareGroupOffsetsResponsePartition,
  newAlterShareGroupOffsetsResponseTopic,
  type AlterShareGroupOffsetsRequest,
  type AlterShareGroupOffsetsResponse,
  type AlterShareGroupOffsetsResponseTopic,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { alterStartOffset, emptyGroupRefusal } from '../share/admin.js';
import { defineHandler } from './types.js';
import { AclOperation, authorizationMessage, canGroup, canTopic } from './authz.js';
import { EMPTY_UUID, NON_EMPTY_SHARE_GROUP, SHARE_GROUPS_DISABLED, UNKNOWN_PARTITION, shareGroupsEnabled } from './share-common.js';

const failure = (errorCode: number, errorMessage: string | null = null) => newAlterShareGroupOffsetsResponse({ throttleTimeMs: 0, errorCode, errorMessage });

export default defineHandler<AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsResponse>({
  key: 91,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    if (!shareGroupsEnabled(ctx)) return failure(ErrorCode.UNSUPPORTED_VERSION, SHARE_GROUPS_DISABLED);
    if (req.groupId === '') return failure(ErrorCode.INVALID_GROUP_ID, 'The group id is empty.');
    if (!canGroup(ctx, AclOperation.READ, req.groupId)) return failure(ErrorCode.GROUP_AUTHORIZATION_FAILED, authorizationMessage(ErrorCode.GROUP_AUTHORIZATION_FAILED));
    if (emptyGroupRefusal(ctx.shareGroups.admin, req.groupId) !== ErrorCode.NONE) return failure(ErrorCode.NON_EMPTY_GROUP, NON_EMPTY_SHARE_GROUP(req.groupId));
    const unknown: AlterShareGroupOffsetsResponseTopic[] = [];
    const known: AlterShareGroupOffsetsResponseTopic[] = [];
    for (const rt of req.topics) {
      const t = ctx.topics.get(rt.topicName);
      const allowed = canTopic(ctx, AclOperation.READ, rt.topicName);
      const partitions = [];
      for (const p of rt.partitions) {
        let errorCode: number = ErrorCode.NONE;
        if (!allowed) errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        else if (!t || t.internal || p.partitionIndex < 0 || p.partitionIndex >= t.partitions) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else errorCode = await alterStartOffset(ctx.shareGroups.admin, req.groupId, t.name, t.id, p.partitionIndex, Number(p.startOffset));
        const errorMessage = errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? UNKNOWN_PARTITION : errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED ? authorizationMessage(errorCode) : null;
        partitions.push(newAlterShareGroupOffsetsResponsePartition({ partitionIndex: p.partitionIndex, errorCode, errorMessage }));
      }
      (t && allowed ? known : unknown).push(newAlterShareGroupOffsetsResponseTopic({ topicName: rt.topicName, topicId: (allowed ? t?.id : undefined) ?? EMPTY_UUID, partitions }));
    }
    return newAlterShareGroupOffsetsResponse({ throttleTimeMs: 0, responses: [...unknown, ...known] });
  },
  errorResponse(_ctx, _req, code, message) {
    return failure(code, message);
  },
});

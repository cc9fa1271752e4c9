/**
 * ShareGroupHeartbeat (key 76), version 1: share group membership (KIP-932). Members join with
 * epoch 0 and their subscription, heartbeat with their epoch, leave with -1; the coordinator
 * assigns partitions server-side (simple assignor, partitions may be shared) and releases a
 * leaving or silent member's record locks (src/share/service.ts).
 *
 * In a cluster only the group coordinator serves it (NOT_COORDINATOR elsewhere; share-common.ts).
 *
 * Authorization (with an authorizer, Kafka's rules): READ on the group (GROUP_AUTHORIZATION_FAILED),
 * DESCRIBE on every subscribed topic (TOPIC_AUTHORIZATION_FAILED).
 */
import { newShareGroupHeartbeatResponse, newShareGroupHeartbeatResponseAssignment, newShareGroupHeartbeatResponseTopicPartitions, type ShareGroupHeartbeatRequest, type ShareGroupHeartbeatResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { clientHostOf } from '../groups/index.js';
import { subscriptionBytes } from '../groups/member-memory.js';
import { defineHandler } from './types.js';
import { isClassicOrConsumerGroup, notShareGroup } from './group-type.js';
import { AclOperation, canGroup, canTopic } from './authz.js';
import { SHARE_GROUPS_DISABLED, shareCoordinatorRefusal, shareGroupsEnabled } from './share-common.js';

const failure = (errorCode: number, errorMessage: string | null = null) => newShareGroupHeartbeatResponse({ throttleTimeMs: 0, errorCode, errorMessage, memberEpoch: 0, heartbeatIntervalMs: 0 });

export default defineHandler<ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse>({
  key: 76,
  minVersion: 1,
  maxVersion: 1,
  async handle(ctx, req) {
    if (!shareGroupsEnabled(ctx)) return failure(ErrorCode.UNSUPPORTED_VERSION, SHARE_GROUPS_DISABLED);
    if (!canGroup(ctx, AclOperation.READ, req.groupId)) return failure(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    if (req.subscribedTopicNames !== null && ctx.authorizer.enabled) {
      for (const t of req.subscribedTopicNames) if (!canTopic(ctx, AclOperation.DESCRIBE, t)) return failure(ErrorCode.TOPIC_AUTHORIZATION_FAILED); // Kafka: no message
    }
    if (req.groupId !== '') {
      const refused = await shareCoordinatorRefusal(ctx, req.groupId);
      if (refused !== ErrorCode.NONE) return failure(refused);
      if (isClassicOrConsumerGroup(ctx, req.groupId)) return failure(ErrorCode.GROUP_ID_NOT_FOUND, notShareGroup(req.groupId));
    }
    const kept = req.subscribedTopicNames === null ? 0 : subscriptionBytes(req.subscribedTopicNames);
    if (kept > 0 && !ctx.memberMemory.admit(kept)) return failure(ErrorCode.GROUP_MAX_SIZE_REACHED, ctx.memberMemory.refusal(kept));
    const r = await ctx.shareGroups.heartbeat({
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      rackId: req.rackId,
      subscribedTopicNames: req.subscribedTopicNames,
      clientId: ctx.header.clientId ?? '',
      clientHost: clientHostOf(ctx.conn.remoteAddress),
    });
    return newShareGroupHeartbeatResponse({
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      memberId: r.memberId,
      memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      assignment: r.assignment === null ? null : newShareGroupHeartbeatResponseAssignment({ topicPartitions: r.assignment.map((t) => newShareGroupHeartbeatResponseTopicPartitions(t)) }),
    });
  },
  errorResponse(_ctx, _req, code, message) {
    return failure(code, message);
  },
});

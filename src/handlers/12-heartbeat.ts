/**
 * Heartbeat (key 12), versions 0-4.
 *
 * Keeps a member's session alive. REBALANCE_IN_PROGRESS tells it to rejoin; ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID and FENCED_INSTANCE_ID as Kafka answers them.
 *
 * Version notes: v1 throttle, v3 group.instance.id, v4 flexible.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): READ on the group
 * (GROUP_AUTHORIZATION_FAILED).
 */
import { newHeartbeatResponse, type HeartbeatRequest, type HeartbeatResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { AclOperation, canGroup } from './authz.js';

export default defineHandler<HeartbeatRequest, HeartbeatResponse>({
  key: 12,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req) {
    // Authorization: READ on the group (Kafka's).
    if (!canGroup(ctx, AclOperation.READ, req.groupId)) return newHeartbeatResponse({ throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
    const errorCode = ctx.groups.heartbeat({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: ctx.version >= 3 ? req.groupInstanceId : null,
    });
    return newHeartbeatResponse({ throttleTimeMs: 0, errorCode });
  },
  errorResponse(_ctx, _req, code) {
    return newHeartbeatResponse({ errorCode: code });
  },
});

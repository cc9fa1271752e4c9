/**
 * LeaveGroup (key 13), versions 0-5.
 *
 * Removes members now (no waiting for their session timeout) and starts a rebalance for the rest.
 * v3+ removes a batch, each with its own error; a member given only by group.instance.id (empty
 * member id) is removed administratively. Unknown group → UNKNOWN_MEMBER_ID per member.
 *
 * Version notes: v0-v2 name one member and carry only a top-level error (the member's error);
 * v3 batches, v4 flexible, v5 a reason per member.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): READ on the group
 * (GROUP_AUTHORIZATION_FAILED).
 */
import { newLeaveGroupResponse, newLeaveGroupResponseMember, type LeaveGroupRequest, type LeaveGroupResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { AclOperation, canGroup } from './authz.js';

export default defineHandler<LeaveGroupRequest, LeaveGroupResponse>({
  key: 13,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, req) {
    const v = ctx.version;
    // Authorization: READ on the group (Kafka's).
    if (!canGroup(ctx, AclOperation.READ, req.groupId)) return newLeaveGroupResponse({ throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] });
    const leaving =
      v >= 3
        ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: v >= 5 ? m.reason : null }))
        : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
    const r = ctx.groups.leave(req.groupId, leaving);
    if (v < 3) {
      const memberError = r.members[0]?.errorCode ?? ErrorCode.NONE;
      return newLeaveGroupResponse({ throttleTimeMs: 0, errorCode: r.errorCode !== ErrorCode.NONE ? r.errorCode : memberError });
    }
    return newLeaveGroupResponse({
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      members: r.members.map((m) => newLeaveGroupResponseMember({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: m.errorCode })),
    });
  },
  errorResponse(_ctx, _req, code) {
    return newLeaveGroupResponse({ errorCode: code, members: [] });
  },
});

/**
 * SyncGroup (key 14), versions 0-5.
 *
 * The leader brings the assignment; followers wait (parked) until it is stored in
 * __consumer_offsets, then every member gets its own. In a stable group the current assignment
 * is returned at once. Errors as Kafka: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION,
 * REBALANCE_IN_PROGRESS (rejoin), FENCED_INSTANCE_ID, INCONSISTENT_GROUP_PROTOCOL (v5: a request
 * without protocol type or name, or with ones the group does not have).
 *
 * Version notes: v3 group.instance.id, v4 flexible, v5 protocol type/name in request and response.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): READ on the group
 * (GROUP_AUTHORIZATION_FAILED).
 */
import { newSyncGroupResponse, type SyncGroupRequest, type SyncGroupResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { AclOperation, canGroup } from './authz.js';

export default defineHandler<SyncGroupRequest, SyncGroupResponse>({
  key: 14,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    const v = ctx.version;
    // Authorization: READ on the group (Kafka's).
    if (!canGroup(ctx, AclOperation.READ, req.groupId)) return newSyncGroupResponse({ throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
    // From v5 both fields are mandatory; Kafka refuses a request without them before anything else.
    if (v >= 5 && (req.protocolType === null || req.protocolName === null)) return newSyncGroupResponse({ errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL });
    const r = await ctx.groups.sync({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: v >= 3 ? req.groupInstanceId : null,
      protocolType: v >= 5 ? req.protocolType : null,
      protocolName: v >= 5 ? req.protocolName : null,
      assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
    });
    return newSyncGroupResponse({ throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment });
  },
  errorResponse(_ctx, _req, code) {
    return newSyncGroupResponse({ errorCode: code });
  },
});

/**
 * DeleteGroups (key 42), versions 0-2.
 *
 * Deletes empty groups with their committed offsets (tombstones in __consumer_offsets, so the
 * deletion survives restarts and compaction). Per group: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP
 * for a group with members, as Kafka. A group named twice is answered once, as Kafka does.
 *
 * Version notes: v1 is v0 (throttle semantics), v2 flexible.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): DELETE on each group
 * (GROUP_AUTHORIZATION_FAILED).
 */
import { newDeleteGroupsResponse, newDeleteGroupsResponseResult, type DeleteGroupsRequest, type DeleteGroupsResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { AclOperation, canGroup } from './authz.js';

export default defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  key: 42,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const groupIds = [...new Set(req.groupsNames)];
    // Authorization: DELETE on each group (Kafka's), else GROUP_AUTHORIZATION_FAILED for it.
    const allowed = groupIds.filter((g) => canGroup(ctx, AclOperation.DELETE, g));
    const codes = allowed.length === 0 ? [] : await ctx.groups.deleteGroups(allowed);
    const byGroup = new Map(allowed.map((g, i) => [g, codes[i]!]));
    return newDeleteGroupsResponse({
      throttleTimeMs: 0,
      results: groupIds.map((groupId) => newDeleteGroupsResponseResult({ groupId, errorCode: byGroup.get(groupId) ?? ErrorCode.GROUP_AUTHORIZATION_FAILED })),
    });
  },
  errorResponse(_ctx, req, code) {
    return newDeleteGroupsResponse({ results: req.groupsNames.map((groupId) => newDeleteGroupsResponseResult({ groupId, errorCode: code })) });
  },
});

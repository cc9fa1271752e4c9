/**
 * DeleteGroups (key 42), versions 0-2.
 *
 * Deletes empty groups with their committed offsets (tombstones in __consumer_offsets, so the
 * deletion survives restarts and compaction). Per group: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP
 * for a group with members, as Kafka. A group named twice is answered once, as Kafka does.
 * A share group (KIP-932) is deleted with its share-partition state in __share_group_state.
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
import { deleteShareGroup } from '../share/admin.js';

export default defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  key: 42,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const groupIds = [...new Set(req.groupsNames)];
    // Authorization: DELETE on each group (Kafka's), else GROUP_AUTHORIZATION_FAILED for it.
    const allowed = groupIds.filter((g) => canGroup(ctx, AclOperation.DELETE, g));
    // Share groups (KIP-932) are the share coordinator's: NON_EMPTY_GROUP with members, else the
    // group and its share-partition state go (share/admin.ts). The rest are the group coordinator's.
    const share = allowed.filter((g) => ctx.shareGroups.hasGroup(g));
    const classic = allowed.filter((g) => !ctx.shareGroups.hasGroup(g));
    const codes = classic.length === 0 ? [] : await ctx.groups.deleteGroups(classic);
    const byGroup = new Map(classic.map((g, i) => [g, codes[i]!]));
    for (const g of share) byGroup.set(g, await deleteShareGroup(ctx.shareGroups.admin, g));
    return newDeleteGroupsResponse({
      throttleTimeMs: 0,
      results: groupIds.map((groupId) => newDeleteGroupsResponseResult({ groupId, errorCode: byGroup.get(groupId) ?? ErrorCode.GROUP_AUTHORIZATION_FAILED })),
    });
  },
  errorResponse(_ctx, req, code) {
    return newDeleteGroupsResponse({ results: req.groupsNames.map((groupId) => newDeleteGroupsResponseResult({ groupId, errorCode: code })) });
  },
});

/**
 * JoinGroup (key 11), versions 0-9.
 *
 * Joins a classic group through the coordinator (src/groups/coordinator.ts); the response is sent
 * when the rebalance completes, which may take up to the rebalance timeout — the connection's
 * other requests wait behind it, as in Kafka.
 *
 * Version notes: v0 has no rebalance timeout (the session timeout is used). v0-v3 get their
 * member id on the first join: kafka-python 2.0.2 (JoinGroup v2) waits forever for a response
 * without one, and Kafka itself only answers MEMBER_ID_REQUIRED from v4. v4+: a dynamic member's
 * first join gets MEMBER_ID_REQUIRED (79) with its new id. v5 static membership
 * (group.instance.id), v6 flexible, v7 protocol type in the response and nullable protocol name,
 * v8 join reason, v9 skipAssignment for a static leader rejoining a stable group.
 *
 * A member's protocol metadata (its subscriptions, all protocols together) is kept for as long as
 * it is in the group, so it is bounded: above runnel.group.max.member.metadata.bytes the join gets
 * INVALID_REQUEST. (Kafka keeps it too, and fails the group's SyncGroup when the group record
 * outgrows the offsets topic's record limit; real clients send a few hundred bytes to a few KiB.)
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): READ on the group
 * (GROUP_AUTHORIZATION_FAILED).
 */
import {
  newJoinGroupResponse,
  newJoinGroupResponseMember,
  type JoinGroupRequest,
  type JoinGroupResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { clientHostOf } from '../groups/index.js';
import { protocolsBytes } from '../groups/member-memory.js';
import { defineHandler } from './types.js';
import { isShareGroup } from './group-type.js';
import { AclOperation, canGroup } from './authz.js';

export default defineHandler<JoinGroupRequest, JoinGroupResponse>({
  key: 11,
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, req) {
    const v = ctx.version;
    // Authorization: READ on the group (Kafka's), before anything else.
    if (!canGroup(ctx, AclOperation.READ, req.groupId)) return this.errorResponse!(ctx, req, ErrorCode.GROUP_AUTHORIZATION_FAILED, '');
    // A share group's id: Kafka answers INCONSISTENT_GROUP_PROTOCOL with no member id.
    if (isShareGroup(ctx, req.groupId)) return newJoinGroupResponse({ errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, generationId: -1, protocolName: null, leader: '', memberId: '', members: [] });
    let metadataBytes = 0;
    for (const p of req.protocols) metadataBytes += p.metadata.length + p.name.length;
    if (metadataBytes > ctx.config.int('runnel.group.max.member.metadata.bytes')) {
      ctx.log.warn({ group: req.groupId, metadataBytes }, 'JoinGroup protocol metadata over runnel.group.max.member.metadata.bytes');
      return newJoinGroupResponse({ errorCode: ErrorCode.INVALID_REQUEST, generationId: -1, protocolName: null, leader: '', memberId: req.memberId, members: [] });
    }
    // A join without a member id is answered MEMBER_ID_REQUIRED and keeps nothing (v4+).
    const kept = v >= 4 && req.memberId === '' && req.groupInstanceId === null ? 0 : protocolsBytes(req.protocols);
    if (kept > 0 && !ctx.memberMemory.admit(kept)) {
      return newJoinGroupResponse({ errorCode: ErrorCode.GROUP_MAX_SIZE_REACHED, generationId: -1, protocolName: null, leader: '', memberId: req.memberId, members: [] });
    }
    const groupInstanceId = v >= 5 ? req.groupInstanceId : null;
    const r = await ctx.groups.join({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId,
      clientId: ctx.header.clientId ?? '',
      clientHost: clientHostOf(ctx.conn.remoteAddress),
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: v >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      protocolType: req.protocolType,
      // Copies: the request's buffers are views of the whole frame, which must not stay pinned.
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      requireKnownMemberId: v >= 4 && groupInstanceId === null,
      supportsSkipAssignment: v >= 9,
      reason: v >= 8 ? req.reason : null,
    });
    return newJoinGroupResponse({
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      generationId: r.generationId,
      protocolType: r.protocolType,
      protocolName: r.protocolName,
      leader: r.leaderId,
      skipAssignment: r.skipAssignment,
      memberId: r.memberId,
      members: r.members.map((m) => newJoinGroupResponseMember({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
    });
  },
  errorResponse(_ctx, req, code) {
    return newJoinGroupResponse({ errorCode: code, generationId: -1, protocolName: null, leader: '', memberId: req.memberId, members: [] });
  },
});

/**
 * JoinGroup: who may join, and how a join moves the rebalance along (rebalance.ts holds the state
 * machine itself).
 *
 * A member without an id is new: it gets an id (`<client or instance id>-<uuid>`); from v4 a
 * dynamic member is first told MEMBER_ID_REQUIRED with that id and holds up the rebalance as a
 * "pending member" until it comes back with it or its session timeout passes. A static member
 * (group.instance.id) rejoining under a new id replaces its old self (static-rejoin.ts). A known
 * member rejoining causes a rebalance only when something changed (it is the leader, or its
 * protocols differ); otherwise it is answered from the current generation. group.max.size caps
 * the members; the JoinGroup response is parked until the join phase completes.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors.js';
import type { GroupCoordinator } from './coordinator.js';
import type { Group } from './group.js';
import { Member, joinError, type JoinResult } from './member.js';
import { checkJoinComplete, maybePrepareRebalance } from './rebalance.js';
import type { JoinRequest } from './requests.js';
import { replaceStaticMember } from './static-rejoin.js';
import { classicJoinToConsumerGroup } from './consumer/classic-members.js';
import { dropEmptyConsumerGroup } from './consumer/lifecycle.js';

export async function joinGroup(coord: GroupCoordinator, req: JoinRequest): Promise<JoinResult> {
  if (coord.stopping) return joinError(req.memberId, ErrorCode.NOT_COORDINATOR);
  if (req.groupId === '') return joinError(req.memberId, ErrorCode.INVALID_GROUP_ID);
  // Kafka checks the coordinator before the request's own fields (a misdirected member is sent
  // to look the coordinator up again, not told its request is invalid).
  const misdirected = coord.log.exists() ? coord.refusal(req.groupId) : ErrorCode.NONE;
  if (misdirected !== ErrorCode.NONE) return joinError(req.memberId, misdirected);
  const cfg = coord.cfg();
  if (req.sessionTimeoutMs < cfg.minSessionTimeoutMs || req.sessionTimeoutMs > cfg.maxSessionTimeoutMs) {
    return joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT);
  }
  try {
    await coord.ensureOffsetsTopic();
  } catch (err) {
    coord.logger.warn({ err: (err as Error).message }, 'cannot create the offsets topic');
    return joinError(req.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  }
  const refused = coord.refusal(req.groupId);
  if (refused !== ErrorCode.NONE) return joinError(req.memberId, refused);
  const isUnknown = req.memberId === '';
  let group = coord.groups.get(req.groupId);
  if (!group) {
    if (!isUnknown) return joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
    group = coord.createGroup(req.groupId);
  }
  if (group.consumer !== null) {
    // A consumer group (KIP-848) with members takes classic members as such (online migration,
    // consumer/classic-members.ts); an empty one becomes a classic group and its records are deleted.
    if (group.consumer.size > 0) return classicJoinToConsumerGroup(coord, group, group.consumer, req);
    dropEmptyConsumerGroup(coord, group);
  }
  const g = group;
  return new Promise<JoinResult>((respond) => {
    if (!acceptJoiningMember(g, req.memberId, cfg.maxSize)) {
      const kicked = g.remove(req.memberId);
      kicked?.clearHeartbeat();
      respond(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
    } else if (isUnknown) {
      doNewMemberJoin(coord, g, req, respond);
    } else {
      doCurrentMemberJoin(coord, g, req, respond);
    }
    checkJoinComplete(coord, g);
  });
}

/**
 * group.max.size: while preparing, count members already waiting (so the last ones to rejoin of
 * a group above the limit are refused); otherwise existing members are always accepted.
 */
function acceptJoiningMember(group: Group, memberId: string, maxSize: number): boolean {
  switch (group.state) {
    case 'Empty':
    case 'Dead':
      return true;
    case 'PreparingRebalance':
      return (group.members.get(memberId)?.awaitingJoin ?? null) !== null || group.numAwaitingJoin < maxSize;
    default:
      return group.has(memberId) || group.size < maxSize;
  }
}

function doNewMemberJoin(coord: GroupCoordinator, group: Group, req: JoinRequest, respond: (r: JoinResult) => void): void {
  if (group.is('Dead')) return respond(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
  if (!group.supportsProtocols(req.protocolType, req.protocols)) return respond(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
  const newMemberId = `${req.groupInstanceId ?? req.clientId}-${randomUUID()}`;
  if (req.groupInstanceId !== null) {
    const oldMemberId = group.staticMembers.get(req.groupInstanceId);
    if (oldMemberId !== undefined) replaceStaticMember(coord, group, req.groupInstanceId, oldMemberId, newMemberId, req, respond);
    else addMemberAndRebalance(coord, group, req, newMemberId, respond);
  } else if (req.requireKnownMemberId) {
    // The client must come back with this id; until then it holds up the rebalance (Kafka's pending member).
    const timer = coord.timer(() => expirePendingMember(coord, group, newMemberId), req.sessionTimeoutMs);
    group.pendingMembers.set(newMemberId, timer);
    respond(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
  } else {
    addMemberAndRebalance(coord, group, req, newMemberId, respond);
  }
}

function doCurrentMemberJoin(coord: GroupCoordinator, group: Group, req: JoinRequest, respond: (r: JoinResult) => void): void {
  const memberId = req.memberId;
  if (group.is('Dead')) return respond(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
  if (!group.supportsProtocols(req.protocolType, req.protocols)) return respond(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
  if (group.pendingMembers.has(memberId)) {
    addMemberAndRebalance(coord, group, req, memberId, respond);
    return;
  }
  if (group.isStaticMemberFenced(req.groupInstanceId, memberId)) return respond(joinError(memberId, ErrorCode.FENCED_INSTANCE_ID));
  const instanceUnknown = req.groupInstanceId !== null && !group.staticMembers.has(req.groupInstanceId);
  const member = group.members.get(memberId);
  if (!member || instanceUnknown) return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
  coord.touch(group, member);
  switch (group.state) {
    case 'PreparingRebalance':
      updateMemberAndRebalance(coord, group, member, req, respond, 'member rejoining during rebalance');
      return;
    case 'CompletingRebalance':
      if (member.matches(req.protocols)) {
        // It lost the JoinGroup response (e.g. a retry on a new connection): answer it again.
        respond(joinResultFor(group, member, false));
      } else {
        updateMemberAndRebalance(coord, group, member, req, respond, 'member changed its metadata');
      }
      return;
    case 'Stable':
      if (group.isLeader(memberId)) {
        // The leader rejoins to have the assignment recomputed (e.g. topic metadata changed).
        updateMemberAndRebalance(coord, group, member, req, respond, 'leader rejoining');
      } else if (!member.matches(req.protocols)) {
        updateMemberAndRebalance(coord, group, member, req, respond, 'member changed its metadata');
      } else {
        respond({ ...joinResultFor(group, member, false), members: [] });
      }
      return;
    default:
      // Empty/Dead with a known member cannot happen; let the member reset and rejoin.
      respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
  }
}

function joinResultFor(group: Group, member: Member, skipAssignment: boolean): JoinResult {
  const isLeader = group.isLeader(member.memberId);
  return {
    errorCode: ErrorCode.NONE,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leaderId: group.leaderId ?? '',
    memberId: member.memberId,
    members: isLeader ? group.currentMemberMetadata() : [],
    skipAssignment,
  };
}

function addMemberAndRebalance(coord: GroupCoordinator, group: Group, req: JoinRequest, memberId: string, respond: (r: JoinResult) => void): void {
  const member = new Member(memberId, req.groupInstanceId, req.clientId, req.clientHost, req.rebalanceTimeoutMs, req.sessionTimeoutMs, req.protocolType, req.protocols);
  member.isNew = true;
  member.joinedAt = coord.now();
  // A member joining during the initial delay of a new group may extend that delay.
  if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
  const pending = group.pendingMembers.get(memberId);
  if (pending !== undefined) {
    if (pending) clearTimeout(pending);
    group.pendingMembers.delete(memberId);
  }
  group.add(member, respond);
  coord.touch(group, member);
  coord.logger.info({ group: group.groupId, member: memberId, instance: req.groupInstanceId ?? undefined, clientId: req.clientId }, 'member joined group');
  maybePrepareRebalance(coord, group, `adding new member ${memberId}`);
}

function updateMemberAndRebalance(coord: GroupCoordinator, group: Group, member: Member, req: JoinRequest, respond: (r: JoinResult) => void, reason: string): void {
  // A second JoinGroup while one is parked (a retry on another connection): the older one is told to rejoin.
  group.invokeJoin(member, joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
  group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, respond);
  maybePrepareRebalance(coord, group, reason);
}

/** A MEMBER_ID_REQUIRED member that never came back stops holding up the rebalance. */
function expirePendingMember(coord: GroupCoordinator, group: Group, memberId: string): void {
  if (!group.pendingMembers.delete(memberId)) return;
  coord.logger.info({ group: group.groupId, member: memberId }, 'pending member expired before rejoining');
  checkJoinComplete(coord, group);
}

/**
 * Member liveness: the Heartbeat request, each member's session timer, and removing a member that
 * failed (which moves the group to a rebalance, or completes the join phase it was holding up).
 *
 * One timer per member, re-armed lazily: a heartbeat (or any other valid request) only moves the
 * member's deadline, and the timer, when it fires, re-arms itself for the time left. Members
 * waiting in JoinGroup or SyncGroup are kept alive; a new member waiting in JoinGroup for longer
 * than NEW_MEMBER_JOIN_TIMEOUT_MS is dropped; others expire after session.timeout.ms without a
 * heartbeat.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { GroupCoordinator } from './coordinator.js';
import type { Group } from './group.js';
import { joinError, syncError, type Member } from './member.js';
import { checkJoinComplete, maybePrepareRebalance } from './rebalance.js';
import type { HeartbeatRequest } from './requests.js';
import { classicHeartbeatToConsumerGroup } from './consumer/classic-members.js';

/** Kafka's GroupCoordinator.NewMemberJoinTimeoutMs: a new member's parked JoinGroup gives up after this. */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60_000;

export function heartbeat(coord: GroupCoordinator, req: HeartbeatRequest): number {
  if (coord.stopping) return ErrorCode.NOT_COORDINATOR;
  if (req.groupId === '') return ErrorCode.INVALID_GROUP_ID;
  const refused = coord.refusal(req.groupId);
  if (refused !== ErrorCode.NONE) return refused;
  const group = coord.groups.get(req.groupId);
  if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (group.consumer !== null) return classicHeartbeatToConsumerGroup(coord, group, group.consumer, req);
  if (group.isStaticMemberFenced(req.groupInstanceId, req.memberId)) return ErrorCode.FENCED_INSTANCE_ID;
  const member = group.members.get(req.memberId);
  if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  switch (group.state) {
    case 'Empty':
      return ErrorCode.UNKNOWN_MEMBER_ID;
    case 'PreparingRebalance':
      coord.touch(group, member);
      return ErrorCode.REBALANCE_IN_PROGRESS;
    default:
      // CompletingRebalance too: consumers may heartbeat between JoinGroup and SyncGroup.
      coord.touch(group, member);
      return ErrorCode.NONE;
  }
}

/** A member proved it is alive (any valid request): its session deadline moves. */
export function touchMember(coord: GroupCoordinator, group: Group, member: Member): void {
  member.lastHeartbeat = coord.now();
  if (!member.heartbeatTimer) armHeartbeat(coord, group, member, member.sessionTimeoutMs);
}

function armHeartbeat(coord: GroupCoordinator, group: Group, member: Member, delay: number): void {
  member.heartbeatTimer = coord.timer(() => {
    member.heartbeatTimer = null;
    checkHeartbeat(coord, group, member);
  }, delay);
}

function checkHeartbeat(coord: GroupCoordinator, group: Group, member: Member): void {
  if (coord.stopping || group.is('Dead') || group.members.get(member.memberId) !== member) return;
  const now = coord.now();
  let next: number;
  if (member.awaitingJoin) {
    // Waiting in JoinGroup keeps a member alive, except a new one waiting for too long.
    if (!member.isNew) next = member.sessionTimeoutMs;
    else {
      const left = member.joinedAt + NEW_MEMBER_JOIN_TIMEOUT_MS - now;
      if (left <= 0) return expireMember(coord, group, member, 'new member did not complete its join in time');
      next = Math.min(left, member.sessionTimeoutMs);
    }
  } else if (member.awaitingSync) {
    next = member.sessionTimeoutMs;
  } else {
    const left = member.lastHeartbeat + member.sessionTimeoutMs - now;
    if (left <= 0) return expireMember(coord, group, member, 'session timeout');
    next = left;
  }
  armHeartbeat(coord, group, member, next);
}

function expireMember(coord: GroupCoordinator, group: Group, member: Member, reason: string): void {
  coord.logger.info({ group: group.groupId, member: member.memberId, reason }, 'member failed: removing it from the group');
  removeMemberAndUpdateGroup(coord, group, member, reason);
}

/** Drops a member (its parked requests learn it is out); the group rebalances without it. */
export function removeMemberAndUpdateGroup(coord: GroupCoordinator, group: Group, member: Member, reason: string): void {
  // A parked JoinGroup learns it is out (it may retry as a new member).
  group.invokeJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
  group.invokeSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
  member.clearHeartbeat();
  group.remove(member.memberId);
  switch (group.state) {
    case 'Stable':
    case 'CompletingRebalance':
      maybePrepareRebalance(coord, group, reason);
      break;
    case 'PreparingRebalance':
      checkJoinComplete(coord, group);
      break;
    default:
      break;
  }
}

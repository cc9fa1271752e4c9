/**
 * LeaveGroup: members leave on their own (a consumer closing) or are removed by an admin (v3+:
 * a batch of members; a static member named by its group.instance.id alone, with an empty member
 * id). Each member gets its own error code; the group then rebalances without them, or — for a
 * member that was still pending (MEMBER_ID_REQUIRED) — stops waiting for it.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { GroupCoordinator } from './coordinator.js';
import type { Group } from './group.js';
import type { Member } from './member.js';
import { removeMemberAndUpdateGroup } from './liveness.js';
import { checkJoinComplete } from './rebalance.js';
import type { LeaveResult, LeavingMember } from './requests.js';
import { classicLeaveToConsumerGroup } from './consumer/classic-members.js';

export function leaveGroup(coord: GroupCoordinator, groupId: string, leaving: readonly LeavingMember[]): LeaveResult {
  const each = (code: number) => ({ errorCode: ErrorCode.NONE, members: leaving.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: code })) });
  if (coord.stopping) return { errorCode: ErrorCode.NOT_COORDINATOR, members: [] };
  if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
  const refused = coord.refusal(groupId);
  if (refused !== ErrorCode.NONE) return { errorCode: refused, members: [] };
  const group = coord.groups.get(groupId);
  if (!group) return each(ErrorCode.UNKNOWN_MEMBER_ID);
  if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
  if (group.consumer !== null) return classicLeaveToConsumerGroup(coord, group, group.consumer, leaving);
  const members = leaving.map((lm) => {
    const result = (errorCode: number) => ({ memberId: lm.memberId, groupInstanceId: lm.groupInstanceId, errorCode });
    if (lm.memberId === '') {
      // Administrative removal of a static member by its instance id.
      const current = lm.groupInstanceId === null ? undefined : group.staticMembers.get(lm.groupInstanceId);
      if (current === undefined) return result(ErrorCode.UNKNOWN_MEMBER_ID);
      removeLeavingMember(coord, group, group.members.get(current)!, lm.reason);
      return result(ErrorCode.NONE);
    }
    if (group.pendingMembers.has(lm.memberId)) {
      const t = group.pendingMembers.get(lm.memberId);
      if (t) clearTimeout(t);
      group.pendingMembers.delete(lm.memberId);
      checkJoinComplete(coord, group);
      return result(ErrorCode.NONE);
    }
    if (group.isStaticMemberFenced(lm.groupInstanceId, lm.memberId)) return result(ErrorCode.FENCED_INSTANCE_ID);
    const member = group.members.get(lm.memberId);
    if (!member) return result(ErrorCode.UNKNOWN_MEMBER_ID);
    removeLeavingMember(coord, group, member, lm.reason);
    return result(ErrorCode.NONE);
  });
  return { errorCode: ErrorCode.NONE, members };
}

function removeLeavingMember(coord: GroupCoordinator, group: Group, member: Member, reason: string | null): void {
  coord.logger.info({ group: group.groupId, member: member.memberId, reason: reason ?? undefined }, 'member left group');
  removeMemberAndUpdateGroup(coord, group, member, `member ${member.memberId} left${reason ? `: ${reason}` : ''}`);
}

/**
 * A static member (KIP-345, group.instance.id) that restarted and joined again under a new member
 * id takes over its old self's place. In a stable group whose protocol would not change there is
 * no rebalance: the group metadata is rewritten with the new member id, the member keeps its
 * assignment, and the old instance, if still around, is fenced (FENCED_INSTANCE_ID). If that
 * write fails the replacement is undone. During a rebalance the member simply takes part in it.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { GroupCoordinator } from './coordinator.js';
import type { Group } from './group.js';
import { joinError, syncError, type JoinResult } from './member.js';
import { maybePrepareRebalance } from './rebalance.js';
import type { JoinRequest } from './requests.js';

/** `instanceId`'s member `oldMemberId` becomes `newMemberId`, answering the JoinGroup through `respond`. */
export function replaceStaticMember(coord: GroupCoordinator, group: Group, instanceId: string, oldMemberId: string, newMemberId: string, req: JoinRequest, respond: (r: JoinResult) => void): void {
  const currentLeader = group.leaderId;
  const member = group.members.get(oldMemberId)!;
  group.invokeJoin(member, joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
  group.invokeSync(member, syncError(ErrorCode.FENCED_INSTANCE_ID));
  const old = { protocols: member.protocols, rebalance: member.rebalanceTimeoutMs, session: member.sessionTimeoutMs };
  group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
  coord.touch(group, member);
  group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, respond);
  coord.logger.info({ group: group.groupId, instance: instanceId, oldMember: oldMemberId, member: newMemberId }, 'static member replaced');
  switch (group.state) {
    case 'Stable': {
      let next: string | null = null;
      try {
        next = group.selectProtocol();
      } catch {
        next = null;
      }
      if (next === null || next !== group.protocolName) {
        maybePrepareRebalance(coord, group, `static member ${instanceId} rejoined with another protocol`);
        return;
      }
      const generation = group.generationId;
      const assignment = new Map([...group.members.values()].map((m) => [m.memberId, m.assignment]));
      void coord.storeGroup(group, assignment).then((code) => {
        if (code !== ErrorCode.NONE) {
          group.invokeJoin(member, joinError(newMemberId, code));
          if (group.members.get(newMemberId) === member) {
            group.updateMember(member, old.protocols, old.rebalance, old.session, null);
            group.replaceStaticMember(instanceId, newMemberId, oldMemberId);
          }
          return;
        }
        // If a rebalance started meanwhile the member is part of it and is answered by it.
        if (!group.is('Stable') || group.generationId !== generation) return;
        const isLeader = group.isLeader(newMemberId);
        const skip = isLeader && req.supportsSkipAssignment;
        group.invokeJoin(member, {
          errorCode: ErrorCode.NONE,
          generationId: group.generationId,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          // Older clients get the previous leader id, so the returning leader does not run a
          // trivial assignment that a stable group would never propagate.
          leaderId: skip ? newMemberId : (currentLeader ?? ''),
          memberId: newMemberId,
          members: skip ? group.currentMemberMetadata() : [],
          skipAssignment: skip,
        });
        coord.touch(group, member);
      }, (err: unknown) => coord.logger.error({ err, group: group.groupId }, 'static member replacement failed'));
      return;
    }
    case 'CompletingRebalance':
      maybePrepareRebalance(coord, group, `static member ${instanceId} rejoined during the rebalance`);
      return;
    default:
      // PreparingRebalance: it is part of the rebalance in progress.
      return;
  }
}

/**
 * SyncGroup: the second half of a rebalance. After JoinGroup, every member asks for its
 * assignment; the followers' requests are parked until the leader's SyncGroup brings the
 * assignment for everyone. Once the group metadata (members and assignments) is durable in
 * __consumer_offsets, every parked member gets its assignment and the group is Stable. Members the
 * leader left out get an empty assignment, as Kafka does.
 *
 * The write is asynchronous: a member may join while it is in flight, starting a new generation;
 * the result is then dropped (the members are already rebalancing again).
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { GroupCoordinator } from './coordinator.js';
import { EMPTY_BYTES, syncError, type SyncResult } from './member.js';
import { maybePrepareRebalance, propagateAssignment, removePendingSync, resetAndPropagateAssignmentError } from './rebalance.js';
import type { SyncRequest } from './requests.js';
import { classicSyncToConsumerGroup } from './consumer/classic-members.js';

export function syncGroup(coord: GroupCoordinator, req: SyncRequest): Promise<SyncResult> {
  if (coord.stopping) return Promise.resolve(syncError(ErrorCode.NOT_COORDINATOR));
  if (req.groupId === '') return Promise.resolve(syncError(ErrorCode.INVALID_GROUP_ID));
  const refused = coord.refusal(req.groupId);
  if (refused !== ErrorCode.NONE) return Promise.resolve(syncError(refused));
  const group = coord.groups.get(req.groupId);
  if (!group) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
  if (group.is('Dead')) return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
  if (group.consumer !== null) return Promise.resolve(classicSyncToConsumerGroup(coord, group, group.consumer, req));
  if (group.isStaticMemberFenced(req.groupInstanceId, req.memberId)) return Promise.resolve(syncError(ErrorCode.FENCED_INSTANCE_ID));
  const member = group.members.get(req.memberId);
  if (!member) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
  if (req.generationId !== group.generationId) return Promise.resolve(syncError(ErrorCode.ILLEGAL_GENERATION));
  if ((req.protocolType !== null && req.protocolType !== group.protocolType) || (req.protocolName !== null && req.protocolName !== group.protocolName)) {
    return Promise.resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
  }
  switch (group.state) {
    case 'Empty':
      return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    case 'PreparingRebalance':
      return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    case 'Stable':
      removePendingSync(group, req.memberId);
      coord.touch(group, member);
      return Promise.resolve({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
    default:
      break;
  }
  // CompletingRebalance: park until the leader's assignment is stored.
  return new Promise<SyncResult>((respond) => {
    group.invokeSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    member.awaitingSync = respond;
    removePendingSync(group, req.memberId);
    if (!group.isLeader(req.memberId)) return;
    const assignment = new Map<string, Buffer>();
    for (const a of req.assignments) if (group.has(a.memberId)) assignment.set(a.memberId, a.assignment);
    const missing = [...group.members.keys()].filter((id) => !assignment.has(id));
    if (missing.length > 0) coord.logger.warn({ group: group.groupId, members: missing }, 'leader sent no assignment for some members: they get an empty one');
    const generation = group.generationId;
    coord.logger.info({ group: group.groupId, generation, members: group.size }, 'assignment received from the leader');
    void coord.storeGroup(group, assignment).then((code) => {
      // Another member may have joined while the write was in flight: then this generation is over.
      if (!group.is('CompletingRebalance') || group.generationId !== generation) return;
      if (code !== ErrorCode.NONE) {
        resetAndPropagateAssignmentError(coord, group, code);
        maybePrepareRebalance(coord, group, 'storing the assignment failed');
        return;
      }
      for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY_BYTES;
      group.transitionTo('Stable', coord.now());
      propagateAssignment(coord, group, ErrorCode.NONE);
      coord.logger.info({ group: group.groupId, generation }, 'group is stable');
    }, (err: unknown) => coord.logger.error({ err, group: group.groupId }, 'completing the rebalance failed'));
  });
}

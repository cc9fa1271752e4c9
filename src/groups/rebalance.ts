/**
 * The classic rebalance state machine: how a group moves Empty/Stable → PreparingRebalance →
 * CompletingRebalance → Stable, and the two timers that bound each phase. The entry points of
 * JoinGroup and SyncGroup (join.ts, sync.ts) and member expiry (liveness.ts) drive it; it answers
 * their parked requests.
 *
 * PreparingRebalance: JoinGroup responses are parked until every known member has rejoined (or
 * the largest rebalance.timeout.ms of the members passes: members that did not rejoin are
 * dropped); for an empty group the first rebalance instead waits
 * group.initial.rebalance.delay.ms, extended while new members keep arriving, up to the rebalance
 * timeout. Then the generation is bumped, a protocol every member supports is chosen, and every
 * member gets its JoinGroup response (the leader with the member list).
 *
 * CompletingRebalance: members that got a JoinGroup response but never send SyncGroup are removed
 * after the rebalance timeout (Kafka's pending-sync expiration), which starts another rebalance.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { GroupCoordinator } from './coordinator.js';
import type { Group } from './group.js';
import { EMPTY_BYTES } from './member.js';

export function maybePrepareRebalance(coord: GroupCoordinator, group: Group, reason: string): void {
  if (group.is('Stable') || group.is('CompletingRebalance') || group.is('Empty')) prepareRebalance(coord, group, reason);
}

function prepareRebalance(coord: GroupCoordinator, group: Group, reason: string): void {
  if (group.is('CompletingRebalance')) resetAndPropagateAssignmentError(coord, group, ErrorCode.REBALANCE_IN_PROGRESS);
  clearSyncTimer(group);
  group.pendingSync.clear();
  clearJoinTimer(group);
  const wasEmpty = group.is('Empty');
  group.transitionTo('PreparingRebalance', coord.now());
  coord.logger.info({ group: group.groupId, generation: group.generationId, reason }, 'preparing to rebalance group');
  if (wasEmpty) {
    const delay = coord.cfg().initialRebalanceDelayMs;
    group.joinKind = 'initial';
    group.newMemberAdded = false;
    group.initialDelayRemainingMs = Math.max(group.rebalanceTimeoutMs() - delay, 0);
    group.joinTimer = coord.timer(() => onInitialDelayExpired(coord, group), delay);
  } else {
    group.joinKind = 'delayed';
    group.joinTimer = coord.timer(() => completeJoin(coord, group), group.rebalanceTimeoutMs());
    checkJoinComplete(coord, group);
  }
}

function onInitialDelayExpired(coord: GroupCoordinator, group: Group): void {
  group.joinTimer = null;
  if (!group.is('PreparingRebalance')) return;
  if (group.newMemberAdded && group.initialDelayRemainingMs > 0) {
    group.newMemberAdded = false;
    const delay = Math.min(coord.cfg().initialRebalanceDelayMs, group.initialDelayRemainingMs);
    group.initialDelayRemainingMs = Math.max(group.initialDelayRemainingMs - delay, 0);
    group.joinTimer = coord.timer(() => onInitialDelayExpired(coord, group), delay);
    return;
  }
  completeJoin(coord, group);
}

/** Completes the join phase early once everyone is back (never during the initial delay). */
export function checkJoinComplete(coord: GroupCoordinator, group: Group): void {
  if (group.is('PreparingRebalance') && group.joinKind === 'delayed' && group.hasAllMembersJoined()) completeJoin(coord, group);
}

function completeJoin(coord: GroupCoordinator, group: Group): void {
  clearJoinTimer(group);
  if (!group.is('PreparingRebalance')) return;
  // Dynamic members that did not rejoin in time are gone; static ones stay until their session expires.
  for (const m of [...group.members.values()]) {
    if (!m.awaitingJoin && !m.isStatic) {
      m.clearHeartbeat();
      group.remove(m.memberId);
      coord.logger.info({ group: group.groupId, member: m.memberId }, 'member removed: did not rejoin in time');
    }
  }
  if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
    // Only static members that have not rejoined are left: wait for them or their session timeout.
    group.joinKind = 'delayed';
    group.joinTimer = coord.timer(() => completeJoin(coord, group), group.rebalanceTimeoutMs());
    return;
  }
  const now = coord.now();
  group.initNextGeneration(now);
  if (group.is('Empty')) {
    coord.logger.info({ group: group.groupId, generation: group.generationId }, 'group is now empty');
    void coord.storeGroup(group, new Map());
    return;
  }
  coord.logger.info(
    { group: group.groupId, generation: group.generationId, protocol: group.protocolName, members: group.size, leader: group.leaderId },
    'group stabilized: waiting for the assignment',
  );
  const leaderMembers = group.currentMemberMetadata();
  for (const m of group.members.values()) {
    group.invokeJoin(m, {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leaderId: group.leaderId ?? '',
      memberId: m.memberId,
      members: group.isLeader(m.memberId) ? leaderMembers : [],
      skipAssignment: false,
    });
    coord.touch(group, m);
    m.isNew = false;
    group.pendingSync.add(m.memberId);
  }
  group.syncTimer = coord.timer(() => onSyncExpired(coord, group), group.rebalanceTimeoutMs());
}

/** Members that got their JoinGroup response but never sent SyncGroup are removed. */
function onSyncExpired(coord: GroupCoordinator, group: Group): void {
  group.syncTimer = null;
  if (!(group.is('CompletingRebalance') || group.is('Stable')) || group.pendingSync.size === 0) return;
  const missing = [...group.pendingSync];
  for (const id of missing) {
    const m = group.remove(id);
    m?.clearHeartbeat();
  }
  coord.logger.info({ group: group.groupId, members: missing }, 'members removed: no SyncGroup within the rebalance timeout');
  prepareRebalance(coord, group, 'members did not send SyncGroup in time');
}

export function resetAndPropagateAssignmentError(coord: GroupCoordinator, group: Group, errorCode: number): void {
  for (const m of group.members.values()) m.assignment = EMPTY_BYTES;
  propagateAssignment(coord, group, errorCode);
}

/** Answers every parked SyncGroup: the member's assignment, or `errorCode` with none. */
export function propagateAssignment(coord: GroupCoordinator, group: Group, errorCode: number): void {
  const ok = errorCode === ErrorCode.NONE;
  for (const m of group.members.values()) {
    if (!m.awaitingSync) continue;
    group.invokeSync(m, {
      errorCode,
      protocolType: ok ? group.protocolType : null,
      protocolName: ok ? group.protocolName : null,
      assignment: ok ? m.assignment : EMPTY_BYTES,
    });
    // Its session may have lapsed while it waited: restart the clock.
    coord.touch(group, m);
  }
}

/** A member's SyncGroup arrived: once nobody is missing, the pending-sync timer stops. */
export function removePendingSync(group: Group, memberId: string): void {
  group.pendingSync.delete(memberId);
  if (group.pendingSync.size === 0) clearSyncTimer(group);
}

export function clearJoinTimer(group: Group): void {
  if (group.joinTimer) clearTimeout(group.joinTimer);
  group.joinTimer = null;
}

export function clearSyncTimer(group: Group): void {
  if (group.syncTimer) clearTimeout(group.syncTimer);
  group.syncTimer = null;
}

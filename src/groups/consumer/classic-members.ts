/**
 * Members of the classic protocol inside a consumer group (online migration, KIP-848), as Kafka's
 * classicGroupJoinToConsumerGroup / classicGroupSyncToConsumerGroup /
 * classicGroupHeartbeatToConsumerGroup / classicGroupLeaveToConsumerGroup.
 *
 * A classic member has no incremental protocol of its own: its rebalances are driven by the
 * consumer group's epochs. Its Heartbeat answers REBALANCE_IN_PROGRESS when the group epoch moved
 * past its member epoch, while it has partitions to revoke, or when partitions it waited for are
 * free; it then sends JoinGroup, whose subscription (with the partitions it still owns, for
 * cooperative clients) moves it toward its target like a ConsumerGroupHeartbeat would
 * (heartbeat.ts advanceMember), and SyncGroup hands it its assigned partitions. The JoinGroup
 * generation is the member epoch; there is no leader (the broker assigns), so every member is a
 * follower. Session timeouts are the classic member's own.
 */
import { randomUUID } from 'node:crypto';
import { CONSUMER_PROTOCOL_TYPE } from '../../../protocol/consumer-protocol.js';
import { ErrorCode, errorName } from '../../../protocol/errors.js';
import type { GroupCoordinator } from '../coordinator.js';
import type { Group } from '../group.js';
import { joinError, syncError, type JoinResult, type SyncResult } from '../member.js';
import type { KeyedRecord } from '../offsets-log.js';
import type { HeartbeatRequest, JoinRequest, LeaveResult, LeavingMember, SyncRequest } from '../requests.js';
import { hasPartition, partitionsOf } from './assignment.js';
import type { ConsumerGroupState, ConsumerMember } from './group.js';
import { newConsumerMember } from './group.js';
import { advanceMember, removeMember, scheduleSessionTimeout } from './heartbeat.js';
import { classicAssignmentBytes, classicSubscription } from './migration.js';
import { memberRecord } from './records.js';
import { MemberState } from './reconcile.js';

/** Kafka's ConsumerGroup.supportsClassicProtocols: type `consumer`, and a protocol every classic member has. */
function supportsClassicProtocols(cg: ConsumerGroupState, req: JoinRequest): boolean {
  if (req.protocolType !== CONSUMER_PROTOCOL_TYPE || req.protocols.length === 0) return false;
  const others = [...cg.members.values()].filter((m) => m.classic !== null && m.memberId !== req.memberId);
  return others.length === 0 || req.protocols.some((p) => others.every((m) => m.classic!.protocols.some((q) => q.name === p.name)));
}

function writeInBackground(coord: GroupCoordinator, groupId: string, records: KeyedRecord[], what: string): void {
  coord.appendRecords(groupId, records).catch((err: unknown) => coord.logger.warn({ group: groupId, err: (err as Error).message }, `writing ${what} failed`));
}

export async function classicJoinToConsumerGroup(coord: GroupCoordinator, group: Group, cg: ConsumerGroupState, req: JoinRequest): Promise<JoinResult> {
  if (!supportsClassicProtocols(cg, req)) return joinError(req.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const cfg = coord.consumerCfg(group.groupId);
  let member: ConsumerMember | undefined;
  let joined = false;
  const records: KeyedRecord[] = [];
  if (req.memberId === '') {
    const id = `${req.groupInstanceId ?? req.clientId}-${randomUUID()}`;
    if (req.groupInstanceId === null && req.requireKnownMemberId) return joinError(id, ErrorCode.MEMBER_ID_REQUIRED);
    const previous = req.groupInstanceId === null ? undefined : cg.staticMember(req.groupInstanceId);
    if (previous) {
      // A static classic member restarted: its new self replaces the old one (which loses its partitions).
      removeMember(coord, group.groupId, cg, previous, records);
      coord.logger.info({ group: group.groupId, instanceId: req.groupInstanceId, replaced: previous.memberId, member: id }, 'static classic member rejoined consumer group');
    }
    member = newConsumerMember(id);
  } else {
    member = cg.members.get(req.memberId);
    if (member && member.classic === null) return joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
    if (!member) member = newConsumerMember(req.memberId);
  }
  if (!cg.members.has(member.memberId)) {
    if (cg.size >= cfg.maxSize) return joinError(req.memberId, ErrorCode.GROUP_MAX_SIZE_REACHED);
    member.instanceId = req.groupInstanceId;
    cg.add(member);
    joined = true;
  }
  const sub = classicSubscription(coord, req.protocols[0]!.metadata);
  const topics = sub?.topics ?? [];
  const subscriptionChanged = joined || topics.length !== member.subscribedTopicNames.length || topics.some((t, i) => t !== member!.subscribedTopicNames[i]) || (sub?.rackId ?? null) !== member.rackId;
  member.subscribedTopicNames = topics;
  member.rackId = sub?.rackId ?? null;
  member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
  member.clientId = req.clientId;
  member.clientHost = req.clientHost;
  member.classic = { sessionTimeoutMs: req.sessionTimeoutMs, protocols: req.protocols };
  records.push(memberRecord(group.groupId, member));
  // An eager client revoked everything before rejoining; a cooperative one lists what it still owns.
  advanceMember(coord, group.groupId, cg, cfg, member, subscriptionChanged, joined, sub?.owned ?? new Map(), records);
  scheduleSessionTimeout(coord, group.groupId, cg, member, req.sessionTimeoutMs);
  try {
    await coord.appendRecords(group.groupId, records);
  } catch (err) {
    coord.logger.warn({ group: group.groupId, member: member.memberId, err: (err as Error).message }, 'writing a classic member join failed');
    return joinError(member.memberId, ErrorCode.NOT_COORDINATOR);
  }
  coord.logger.info({ group: group.groupId, member: member.memberId, epoch: member.memberEpoch, joined }, 'classic member joined consumer group');
  return {
    errorCode: ErrorCode.NONE,
    generationId: member.memberEpoch,
    protocolType: CONSUMER_PROTOCOL_TYPE,
    protocolName: req.protocols[0]!.name,
    leaderId: '',
    memberId: member.memberId,
    members: [],
    skipAssignment: false,
  };
}

function classicMember(cg: ConsumerGroupState, memberId: string, instanceId: string | null): ConsumerMember | number {
  const m = cg.members.get(memberId);
  if (!m || m.classic === null) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (instanceId !== null && m.instanceId !== instanceId) return ErrorCode.FENCED_INSTANCE_ID;
  return m;
}

export function classicSyncToConsumerGroup(coord: GroupCoordinator, group: Group, cg: ConsumerGroupState, req: SyncRequest): SyncResult {
  const m = classicMember(cg, req.memberId, req.groupInstanceId);
  if (typeof m === 'number') return syncError(m);
  if (req.generationId !== m.memberEpoch) return syncError(ErrorCode.ILLEGAL_GENERATION);
  const protocolName = m.classic!.protocols[0]?.name ?? null;
  if ((req.protocolType !== null && req.protocolType !== CONSUMER_PROTOCOL_TYPE) || (req.protocolName !== null && req.protocolName !== protocolName)) {
    return syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  }
  // A new epoch started: rejoin first — unless it has partitions to revoke, which this sync tells it.
  if (m.memberEpoch < cg.groupEpoch && m.state !== MemberState.UNREVOKED_PARTITIONS) return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
  scheduleSessionTimeout(coord, group.groupId, cg, m, m.classic!.sessionTimeoutMs);
  return { errorCode: ErrorCode.NONE, protocolType: CONSUMER_PROTOCOL_TYPE, protocolName, assignment: classicAssignmentBytes(coord, m.assigned) };
}

/** Whether a member in unreleased_partitions still waits for a partition another member owns. */
function waitingOnUnreleased(cg: ConsumerGroupState, m: ConsumerMember): boolean {
  for (const [t, p] of partitionsOf(cg.target.get(m.memberId) ?? new Map())) if (!hasPartition(m.assigned, t, p) && cg.ownerEpoch(t, p) !== -1) return true;
  return false;
}

export function classicHeartbeatToConsumerGroup(coord: GroupCoordinator, group: Group, cg: ConsumerGroupState, req: HeartbeatRequest): number {
  const m = classicMember(cg, req.memberId, req.groupInstanceId);
  if (typeof m === 'number') return m;
  if (req.generationId !== m.memberEpoch) return ErrorCode.ILLEGAL_GENERATION;
  scheduleSessionTimeout(coord, group.groupId, cg, m, m.classic!.sessionTimeoutMs);
  if (m.memberEpoch < cg.groupEpoch || m.state === MemberState.UNREVOKED_PARTITIONS || (m.state === MemberState.UNRELEASED_PARTITIONS && !waitingOnUnreleased(cg, m))) {
    return ErrorCode.REBALANCE_IN_PROGRESS;
  }
  return ErrorCode.NONE;
}

export function classicLeaveToConsumerGroup(coord: GroupCoordinator, group: Group, cg: ConsumerGroupState, leaving: readonly LeavingMember[]): LeaveResult {
  const records: KeyedRecord[] = [];
  const members = leaving.map((lm) => {
    const result = (errorCode: number) => ({ memberId: lm.memberId, groupInstanceId: lm.groupInstanceId, errorCode });
    let m: ConsumerMember | undefined;
    if (lm.memberId === '') {
      m = lm.groupInstanceId === null ? undefined : cg.staticMember(lm.groupInstanceId);
    } else {
      m = cg.members.get(lm.memberId);
      if (m && lm.groupInstanceId !== null && m.instanceId !== lm.groupInstanceId) return result(ErrorCode.FENCED_INSTANCE_ID);
    }
    if (!m || m.classic === null) return result(ErrorCode.UNKNOWN_MEMBER_ID);
    removeMember(coord, group.groupId, cg, m, records);
    coord.logger.info({ group: group.groupId, member: m.memberId, reason: lm.reason ?? undefined }, 'classic member left consumer group');
    return result(ErrorCode.NONE);
  });
  if (records.length > 0) writeInBackground(coord, group.groupId, records, 'classic members leaving');
  void errorName;
  return { errorCode: ErrorCode.NONE, members };
}

/**
 * Online migration between the classic and the consumer group protocol (KIP-848), as Kafka 4.x's
 * GroupMetadataManager (convertToConsumerGroup / convertToClassicGroup), allowed by
 * `group.consumer.migration.policy`:
 *
 *   upgrade    the first ConsumerGroupHeartbeat into a classic group with members, all of the
 *              `consumer` protocol type, turns it into a consumer group (ConsumerGroup.fromClassicGroup):
 *              group epoch = assignment epoch = the generation; every classic member stays, as a
 *              "classic-protocol member" with its subscription and assignment from the classic
 *              protocol metadata and member epoch = the generation. Their parked JoinGroup/SyncGroup
 *              are answered REBALANCE_IN_PROGRESS; from then on classic-members.ts serves them.
 *   downgrade  when the last consumer-protocol member leaves (or is fenced) and every remaining
 *              member uses the classic protocol, the group becomes classic again
 *              (ClassicGroup.fromConsumerGroup): generation = group epoch, each member with its
 *              current assignment, and a rebalance is prepared so they all rejoin.
 *
 * Both write what Kafka writes to `__consumer_offsets` in one batch with the triggering change:
 * tombstones of the old kind's records, then the new kind's records, so a reload (a restart in the
 * middle) rebuilds the converted group. Committed offsets are untouched: both kinds share them.
 */
import { ErrorCode } from '../../../protocol/errors.js';
import { CONSUMER_PROTOCOL_TYPE, encodeAssignment, assignmentPartitions } from '../../../protocol/consumer-protocol.js';
import { readConsumerProtocolSubscription } from '../../../protocol/generated/data/consumer-protocol-subscription.js';
import { groupMetadataRecord, type GroupCoordinator } from '../coordinator.js';
import type { Group } from '../group.js';
import { Member, joinError, syncError } from '../member.js';
import type { KeyedRecord } from '../offsets-log.js';
import { encodeGroupMetadataKey } from '../records.js';
import { clearJoinTimer, clearSyncTimer, maybePrepareRebalance } from '../rebalance.js';
import { addPartition, partitionsOf, type Assignment } from './assignment.js';
import { downgradeEnabled, upgradeEnabled, type ConsumerGroupConfig } from './config.js';
import { ConsumerGroupState, newConsumerMember } from './group.js';
import { scheduleSessionTimeout } from './heartbeat.js';
import { consumerGroupTombstones } from './lifecycle.js';
import { MemberState } from './reconcile.js';
import { currentAssignmentRecord, groupEpochRecord, memberRecord, targetEpochRecord, targetMemberRecord } from './records.js';
import { subscriptionHash } from './subscriptions.js';

/** What a classic member's JoinGroup metadata says: topics, owned partitions (by topic id), rack. */
export interface ClassicSubscription {
  topics: string[];
  owned: Assignment;
  rackId: string | null;
}

/** Decodes a ConsumerProtocolSubscription (any version); null when the bytes are not one. */
export function classicSubscription(coord: GroupCoordinator, metadata: Buffer): ClassicSubscription | null {
  const s = readConsumerProtocolSubscription(metadata)?.message;
  if (!s) return null;
  const owned: Assignment = new Map();
  for (const tp of s.ownedPartitions) {
    const topic = coord.topics.get(tp.topic);
    if (topic) for (const p of tp.partitions) addPartition(owned, topic.id.toString('hex'), p);
  }
  return { topics: [...new Set(s.topics)].sort(), owned, rackId: s.rackId === null || s.rackId === '' ? null : s.rackId };
}

/** A classic ConsumerProtocolAssignment (topic names) → an assignment by topic id; unknown topics are dropped. */
export function assignmentOfClassic(coord: GroupCoordinator, bytes: Buffer): Assignment {
  const out: Assignment = new Map();
  for (const [name, parts] of assignmentPartitions(bytes) ?? []) {
    const topic = coord.topics.get(name);
    if (topic) for (const p of parts) addPartition(out, topic.id.toString('hex'), p);
  }
  return out;
}

/** An assignment by topic id → the classic ConsumerProtocolAssignment bytes (topic names). */
export function classicAssignmentBytes(coord: GroupCoordinator, a: Assignment): Buffer {
  const byName = new Map<string, number[]>();
  for (const [id, p] of partitionsOf(a)) {
    const name = coord.topics.byId(Buffer.from(id, 'hex'))?.name;
    if (name === undefined) continue;
    let list = byName.get(name);
    if (!list) byName.set(name, (list = []));
    list.push(p);
  }
  for (const list of byName.values()) list.sort((x, y) => x - y);
  return encodeAssignment(byName);
}

/** Whether every member's subscription (and assignment, once it has one) is a readable consumer protocol message. */
export function embeddedProtocolReadable(coord: GroupCoordinator, group: Group): boolean {
  for (const m of group.members.values()) {
    const metadata = group.protocolName !== null ? m.metadataFor(group.protocolName) : (m.protocols[0]?.metadata ?? Buffer.alloc(0));
    if (classicSubscription(coord, metadata) === null) return false;
    if (m.assignment.length > 0 && assignmentPartitions(m.assignment) === null) return false;
  }
  return true;
}

/** Kafka's validateOnlineUpgrade: may this classic group with members become a consumer group? */
export function canUpgrade(coord: GroupCoordinator, group: Group, cfg: ConsumerGroupConfig): boolean {
  const why = !upgradeEnabled(cfg.migrationPolicy)
    ? 'online upgrade is disabled'
    : group.protocolType !== CONSUMER_PROTOCOL_TYPE
      ? 'the group does not use the consumer embedded protocol'
      : group.size >= cfg.maxSize
        ? 'its group size exceeds the consumer group maximum size'
        : null;
  if (why !== null) coord.logger.info({ group: group.groupId, reason: why }, 'cannot upgrade classic group to consumer group');
  return why === null;
}

/**
 * Converts a classic group with members into a consumer group in place (the same Group object:
 * offsets stay), pushing the records that persist it. Returns the new consumer group state.
 */
export function upgradeToConsumerGroup(coord: GroupCoordinator, group: Group, records: KeyedRecord[]): ConsumerGroupState {
  const cg = new ConsumerGroupState();
  const epoch = group.generationId;
  cg.groupEpoch = epoch;
  cg.assignmentEpoch = epoch;
  for (const old of group.members.values()) {
    const m = newConsumerMember(old.memberId);
    const metadata = group.protocolName !== null ? old.metadataFor(group.protocolName) : (old.protocols[0]?.metadata ?? Buffer.alloc(0));
    const sub = classicSubscription(coord, metadata);
    m.instanceId = old.groupInstanceId;
    m.clientId = old.clientId;
    m.clientHost = old.clientHost;
    m.rebalanceTimeoutMs = old.rebalanceTimeoutMs;
    m.subscribedTopicNames = sub?.topics ?? [];
    m.rackId = sub?.rackId ?? null;
    m.classic = { sessionTimeoutMs: old.sessionTimeoutMs, protocols: old.protocols };
    const assigned = assignmentOfClassic(coord, old.assignment);
    cg.add(m);
    cg.setCurrent(m, MemberState.STABLE, epoch, assigned, new Map());
    m.previousMemberEpoch = epoch;
    cg.target.set(m.memberId, assigned);
  }
  cg.subscriptionsVersion++;
  cg.metadataHash = subscriptionHash(cg.members.values(), coord.topics, coord.topicsVersion);

  // The classic side ends: parked requests learn a rebalance is on (they rejoin the consumer group).
  clearJoinTimer(group);
  clearSyncTimer(group);
  for (const t of group.pendingMembers.values()) if (t) clearTimeout(t);
  group.pendingMembers.clear();
  for (const old of [...group.members.values()]) {
    old.clearHeartbeat();
    group.invokeJoin(old, joinError(old.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    group.invokeSync(old, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    group.remove(old.memberId);
  }
  group.pendingSync.clear();
  group.protocolType = null;
  group.protocolName = null;
  group.leaderId = null;
  group.subscribedTopics = null;
  group.transitionTo('Empty', coord.now());
  group.consumer = cg;

  // Kafka's order: tombstone of the classic group, then the consumer group's records.
  records.push({ key: encodeGroupMetadataKey(group.groupId), value: null });
  for (const m of cg.members.values()) records.push(memberRecord(group.groupId, m));
  records.push(groupEpochRecord(group.groupId, cg.groupEpoch, cg.metadataHash));
  for (const [id, a] of cg.target) records.push(targetMemberRecord(group.groupId, id, a));
  records.push(targetEpochRecord(group.groupId, cg.assignmentEpoch, coord.now()));
  for (const m of cg.members.values()) records.push(currentAssignmentRecord(group.groupId, m));
  for (const m of cg.members.values()) scheduleSessionTimeout(coord, group.groupId, cg, m, m.classic!.sessionTimeoutMs);
  coord.logger.info({ group: group.groupId, epoch, members: cg.size }, 'classic group upgraded to a consumer group');
  return cg;
}

/** Kafka's validateOnlineDowngrade, as a consumer-protocol member leaves: only classic members would remain. */
export function shouldDowngrade(coord: GroupCoordinator, group: Group, cg: ConsumerGroupState, leavingMemberId: string): boolean {
  const remaining = cg.size - (cg.members.has(leavingMemberId) ? 1 : 0);
  if (remaining === 0 || cg.classicMemberCount() !== remaining) return false;
  if (!downgradeEnabled(coord.consumerCfg().migrationPolicy)) {
    coord.logger.info({ group: group.groupId, reason: 'online downgrade is disabled' }, 'cannot downgrade consumer group to classic group');
    return false;
  }
  if (remaining > coord.cfg().maxSize) {
    coord.logger.info({ group: group.groupId, reason: 'its group size is greater than the classic group max size' }, 'cannot downgrade consumer group to classic group');
    return false;
  }
  return true;
}

/** Converts a consumer group whose members all use the classic protocol into a classic group, and starts its rebalance. */
export function downgradeToClassicGroup(coord: GroupCoordinator, group: Group, cg: ConsumerGroupState, records: KeyedRecord[]): void {
  records.push(...consumerGroupTombstones(group));
  cg.stopTimers();
  group.consumer = null;
  group.generationId = cg.groupEpoch;
  const assignments = new Map<string, Buffer>();
  for (const m of cg.members.values()) {
    const c = m.classic!;
    const member = new Member(m.memberId, m.instanceId, m.clientId, m.clientHost, m.rebalanceTimeoutMs > 0 ? m.rebalanceTimeoutMs : c.sessionTimeoutMs, c.sessionTimeoutMs, CONSUMER_PROTOCOL_TYPE, c.protocols);
    member.assignment = classicAssignmentBytes(coord, m.assigned);
    assignments.set(m.memberId, member.assignment);
    group.add(member, null);
  }
  group.protocolType = CONSUMER_PROTOCOL_TYPE;
  group.protocolName = group.candidateProtocols().size > 0 ? group.selectProtocol() : (group.members.values().next().value?.protocols[0]?.name ?? null);
  group.transitionTo('Stable', coord.now());
  group.subscribedTopics = group.computeSubscribedTopics();
  records.push(groupMetadataRecord(group, assignments));
  for (const m of group.members.values()) coord.touch(group, m);
  coord.logger.info({ group: group.groupId, generation: group.generationId, members: group.size }, 'consumer group downgraded to a classic group');
  maybePrepareRebalance(coord, group, `Downgrade group ${group.groupId} from consumer to classic.`);
}

/**
 * ConsumerGroupHeartbeat (KIP-848) as Kafka's GroupMetadataManager.consumerGroupHeartbeat: validate
 * the request, then join (epoch 0), heartbeat (epoch > 0) or leave (-1; -2 for a static member
 * that will come back). A heartbeat
 *   1. finds or creates the member (static members: a new member id takes over a released
 *      instance id and its partitions; UNRELEASED_INSTANCE_ID while the old one holds it),
 *   2. checks the member epoch (FENCED_MEMBER_EPOCH; a member that missed one response may resend
 *      its previous epoch with a subset of its partitions, as Kafka allows),
 *   3. applies subscription changes and the subscribed topics' metadata; either bumps the group epoch,
 *   4. computes a new target assignment when the group epoch passed the assignment epoch,
 *   5. moves the member toward its target (reconcile.ts: revoke first, then assign),
 * and writes the changed records to `__consumer_offsets` before answering. Session timeouts remove
 * silent members; a member that does not revoke within its rebalance timeout is removed too.
 *
 * Everything up to the write runs synchronously, so one heartbeat's changes are atomic. If the write
 * fails the member gets the mapped error (NOT_COORDINATOR ...) and retries; the in-memory change
 * stays (Kafka reverts it) — the retried heartbeat writes the then-current records again.
 */
import { ErrorCode, errorName } from '../../../protocol/errors.js';
import type { GroupCoordinator } from '../coordinator.js';
import type { KeyedRecord } from '../offsets-log.js';
import { coordinatorWriteError } from '../write-errors.js';
import { assignmentFrom, assignmentToList, assignmentsEqual, isSubset, type Assignment } from './assignment.js';
import { assignorByName, type AssignorMember } from './assignors.js';
import type { ConsumerGroupConfig } from './config.js';
import { ConsumerGroupState, newConsumerMember, type ConsumerMember } from './group.js';
import { currentAssignmentRecord, groupEpochRecord, memberRecord, memberTombstones, targetEpochRecord, targetMemberRecord } from './records.js';
import { MemberState, reconcile } from './reconcile.js';
import { canUpgrade, downgradeToClassicGroup, embeddedProtocolReadable, shouldDowngrade, upgradeToConsumerGroup } from './migration.js';
import { compileTopicRegex } from './regex.js';
import { memberTopics, subscriptionHash } from './subscriptions.js';

export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

export interface ConsumerHeartbeatRequest {
  version: number;
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  ownedTopicPartitions: Array<{ topicId: Buffer; partitions: number[] }> | null;
  clientId: string;
  clientHost: string;
}

export interface ConsumerHeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: Array<{ topicId: Buffer; partitions: number[] }> | null;
}

const fail = (errorCode: number, errorMessage: string | null = null): ConsumerHeartbeatResult => ({ errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null });

/** Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid, plus our length limits. */
function invalidRequest(req: ConsumerHeartbeatRequest, cfg: ConsumerGroupConfig): ConsumerHeartbeatResult | null {
  const bad = (msg: string) => fail(ErrorCode.INVALID_REQUEST, msg);
  if (req.groupId === '') return bad("GroupId can't be empty.");
  if (req.instanceId !== null && req.instanceId === '') return bad("InstanceId can't be empty.");
  if (req.rackId !== null && req.rackId === '') return bad("RackId can't be empty.");
  for (const [what, v] of [['MemberId', req.memberId], ['InstanceId', req.instanceId], ['RackId', req.rackId], ['ServerAssignor', req.serverAssignor]] as const) {
    if (v !== null && v.length > cfg.maxIdLength) return bad(`${what} is longer than ${cfg.maxIdLength} characters (runnel.group.consumer.max.id.length).`);
  }
  if (req.subscribedTopicNames !== null && req.subscribedTopicNames.length > cfg.maxSubscribedTopics) {
    return bad(`SubscribedTopicNames lists more than ${cfg.maxSubscribedTopics} topics (runnel.group.consumer.max.subscribed.topics).`);
  }
  if (req.version >= 1 && req.memberId === '') return bad("MemberId can't be empty.");
  if (req.memberEpoch === 0) {
    if (req.rebalanceTimeoutMs === -1) return bad('RebalanceTimeoutMs must be provided in first request.');
    if (req.ownedTopicPartitions === null || req.ownedTopicPartitions.length > 0) return bad('TopicPartitions must be empty when (re-)joining.');
    if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null) return bad('Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.');
  } else if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    if (req.instanceId === null) return bad("InstanceId can't be null.");
  } else if (req.memberEpoch < LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    return bad(`MemberEpoch is invalid.`);
  }
  if (req.version < 1 && req.memberEpoch !== 0 && req.memberId === '') return bad("MemberId can't be empty.");
  if (req.subscribedTopicRegex !== null) {
    if (req.subscribedTopicRegex.length > cfg.maxRegexLength) return fail(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex is longer than ${cfg.maxRegexLength} characters (runnel.group.consumer.max.regex.length).`);
    if (compileTopicRegex(req.subscribedTopicRegex) === null) return fail(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex \`${req.subscribedTopicRegex}\` is not a valid regular expression.`);
  }
  if (req.serverAssignor !== null && !cfg.assignors.includes(req.serverAssignor)) {
    return fail(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${cfg.assignors.join(', ')}.`);
  }
  return null;
}


export async function consumerGroupHeartbeat(coord: GroupCoordinator, req: ConsumerHeartbeatRequest): Promise<ConsumerHeartbeatResult> {
  const cfg = coord.consumerCfg(req.groupId);
  const invalid = invalidRequest(req, cfg);
  if (invalid) {
    coord.logger.debug({ group: req.groupId, member: req.memberId, epoch: req.memberEpoch, error: errorName(invalid.errorCode), message: invalid.errorMessage }, 'consumer group heartbeat refused');
    return invalid;
  }
  const refused = await coord.readyFor(req.groupId);
  if (refused !== ErrorCode.NONE) return fail(refused);

  const records: KeyedRecord[] = [];
  const outcome = req.memberEpoch < 0 ? leave(coord, req, records) : joinOrHeartbeat(coord, req, cfg, records);
  if ('errorCode' in outcome) return outcome;
  if (records.length > 0) {
    try {
      await coord.appendRecords(req.groupId, records);
    } catch (err) {
      const code = coordinatorWriteError(err);
      coord.logger.warn({ group: req.groupId, member: req.memberId, error: errorName(code), err: (err as Error).message }, 'writing consumer group records failed');
      return fail(code);
    }
  }
  return outcome.result;
}

type Outcome = ConsumerHeartbeatResult | { result: ConsumerHeartbeatResult };

function consumerGroupOf(coord: GroupCoordinator, groupId: string, create: boolean, records: KeyedRecord[]): ConsumerGroupState | ConsumerHeartbeatResult {
  let group = coord.getGroup(groupId);
  if (group && group.consumer === null) {
    // An empty classic group (only offsets) becomes a consumer group, as in Kafka; one with members
    // is upgraded in place when the migration policy allows it (migration.ts), else it is not ours.
    if (!group.is('Empty') || group.size > 0) {
      if (!create || !canUpgrade(coord, group, coord.consumerCfg())) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
      if (!embeddedProtocolReadable(coord, group)) {
        return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Cannot upgrade classic group ${groupId} to consumer group because the embedded consumer protocol is malformed.`);
      }
      return upgradeToConsumerGroup(coord, group, records);
    }
    if (!create) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${groupId} not found.`);
    group.consumer = new ConsumerGroupState();
  }
  if (!group || group.is('Dead')) {
    if (!create) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${groupId} not found.`);
    group = coord.createGroup(groupId);
    group.consumer = new ConsumerGroupState();
  }
  return group.consumer!;
}

function joinOrHeartbeat(coord: GroupCoordinator, req: ConsumerHeartbeatRequest, cfg: ConsumerGroupConfig, records: KeyedRecord[]): Outcome {
  const found = consumerGroupOf(coord, req.groupId, req.memberEpoch === 0, records);
  if ('errorCode' in found) return found;
  const cg = found;
  const owned = req.ownedTopicPartitions === null ? null : assignmentFrom(req.ownedTopicPartitions);

  // 1. The member.
  let member = cg.members.get(req.memberId);
  let joined = false;
  let replaced = false;
  if (req.memberEpoch === 0) {
    const previous = req.instanceId !== null ? cg.staticMember(req.instanceId) : undefined;
    if (previous && previous.memberId !== req.memberId) {
      if (previous.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        return fail(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${req.memberId} with instance id ${req.instanceId} cannot join the group because the instance id is owned by ${previous.memberId} member.`);
      }
      // The same instance under a new id: no new assignment (Kafka bumps no epoch for it).
      member = replaceStaticMember(coord, req.groupId, cg, previous, req.memberId, records);
      replaced = true;
    } else if (!member) {
      if (cg.size >= cfg.maxSize) return fail(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${cfg.maxSize} members.`);
      member = newConsumerMember(req.memberId);
      member.instanceId = req.instanceId;
      cg.add(member);
      joined = true;
    }
  } else {
    if (!member || member.classic !== null) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
    if (req.instanceId !== null) {
      const holder = cg.staticMember(req.instanceId);
      if (!holder) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`);
      if (holder.memberId !== req.memberId) return fail(ErrorCode.FENCED_INSTANCE_ID, `Static member ${req.memberId} with instance id ${req.instanceId} was fenced by member ${holder.memberId}.`);
    }
    if (req.memberEpoch > member.memberEpoch) {
      return fail(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a greater member epoch (${req.memberEpoch}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`);
    }
    if (req.memberEpoch < member.memberEpoch && !(req.memberEpoch === member.previousMemberEpoch && owned !== null && isSubset(owned, member.assigned))) {
      return fail(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a smaller member epoch (${req.memberEpoch}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`);
    }
  }

  // 2. Its subscription and identity.
  const subscriptionChanged = applyMemberChanges(member, req);
  const metadataChanged = joined || replaced || subscriptionChanged || member.clientId !== req.clientId || member.clientHost !== req.clientHost;
  member.clientId = req.clientId;
  member.clientHost = req.clientHost;
  if (metadataChanged) records.push(memberRecord(req.groupId, member));
  const before = member.assigned;
  advanceMember(coord, req.groupId, cg, cfg, member, joined || subscriptionChanged, joined || replaced, owned, records);
  scheduleSessionTimeout(coord, req.groupId, cg, member, cfg.sessionTimeoutMs);

  const fullRequest = req.rebalanceTimeoutMs !== -1 && (req.subscribedTopicNames !== null || req.subscribedTopicRegex !== null) && req.ownedTopicPartitions !== null;
  const sendAssignment = req.memberEpoch === 0 || fullRequest || !assignmentsEqual(before, member.assigned);
  return {
    result: {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: cfg.heartbeatIntervalMs,
      assignment: sendAssignment ? assignmentToList(member.assigned) : null,
    },
  };
}

/**
 * Steps 3-5 of a heartbeat, shared with the classic members of a migrating group (classic-members.ts):
 * bump the group epoch when the member's subscription changed (`changed`) or the subscribed topics'
 * metadata did, compute a new target assignment if the group epoch passed it, and move the member
 * toward its target given the partitions it says it owns (`owned`, null: not said).
 */
export function advanceMember(coord: GroupCoordinator, groupId: string, cg: ConsumerGroupState, cfg: ConsumerGroupConfig, member: ConsumerMember, changed: boolean, isNew: boolean, owned: Assignment | null, records: KeyedRecord[]): void {
  let bump = changed;
  if (changed) cg.subscriptionsVersion++;
  const hash = currentHash(coord, cg);
  if (hash !== cg.metadataHash) {
    cg.metadataHash = hash;
    bump = true;
  }
  if (bump) {
    cg.groupEpoch++;
    records.push(groupEpochRecord(groupId, cg.groupEpoch, cg.metadataHash));
  }
  if (cg.groupEpoch > cg.assignmentEpoch) computeTargetAssignment(coord, groupId, cg, cfg, records);
  const next = reconcile({
    state: member.state,
    memberEpoch: member.memberEpoch,
    assigned: member.assigned,
    pendingRevocation: member.pendingRevocation,
    targetEpoch: cg.assignmentEpoch,
    target: cg.target.get(member.memberId) ?? new Map(),
    owned,
    ownerEpoch: (t, p) => cg.ownerEpoch(t, p),
  });
  if (next) {
    cg.setCurrent(member, next.state, next.memberEpoch, next.assigned, next.pendingRevocation);
    records.push(currentAssignmentRecord(groupId, member));
  } else if (isNew) {
    records.push(currentAssignmentRecord(groupId, member));
  }
  scheduleRevocationTimeout(coord, groupId, cg, member);
}

/** Applies the fields a heartbeat changed; true when the change needs a new assignment. */
function applyMemberChanges(m: ConsumerMember, req: ConsumerHeartbeatRequest): boolean {
  let changed = false;
  if (req.rackId !== null && req.rackId !== m.rackId) {
    m.rackId = req.rackId;
    changed = true;
  }
  if (req.rebalanceTimeoutMs !== -1) m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
  // Names and a regex may be given together (Kafka subscribes to both); an empty one clears it.
  if (req.subscribedTopicNames !== null) {
    const names = [...new Set(req.subscribedTopicNames)].sort();
    if (names.length !== m.subscribedTopicNames.length || names.some((n, i) => n !== m.subscribedTopicNames[i])) {
      m.subscribedTopicNames = names;
      changed = true;
    }
  }
  if (req.subscribedTopicRegex !== null) {
    const regex = req.subscribedTopicRegex === '' ? null : req.subscribedTopicRegex;
    if (regex !== m.subscribedTopicRegex) {
      m.subscribedTopicRegex = regex;
      changed = true;
    }
  }
  if (req.serverAssignor !== null && req.serverAssignor !== m.serverAssignor) {
    m.serverAssignor = req.serverAssignor;
    changed = true;
  }
  return changed;
}

/** A static member rejoining under a new member id takes over the released member's partitions. */
function replaceStaticMember(coord: GroupCoordinator, groupId: string, cg: ConsumerGroupState, old: ConsumerMember, memberId: string, records: KeyedRecord[]): ConsumerMember {
  const m = newConsumerMember(memberId);
  Object.assign(m, {
    instanceId: old.instanceId,
    rackId: old.rackId,
    subscribedTopicNames: old.subscribedTopicNames,
    subscribedTopicRegex: old.subscribedTopicRegex,
    rebalanceTimeoutMs: old.rebalanceTimeoutMs,
    serverAssignor: old.serverAssignor,
  });
  const target = cg.target.get(old.memberId);
  const { assigned, pendingRevocation, state } = old;
  const epoch = old.previousMemberEpoch;
  cg.remove(old);
  records.push(...memberTombstones(groupId, old.memberId));
  cg.add(m);
  cg.setCurrent(m, state, epoch, assigned, pendingRevocation);
  if (target) {
    cg.target.set(memberId, target);
    records.push(targetMemberRecord(groupId, memberId, target));
  }
  coord.logger.info({ group: groupId, instanceId: m.instanceId, member: memberId, replaced: old.memberId }, 'static member rejoined');
  return m;
}

/** The assignor the group uses: the one most members ask for, else the configured default. */
function groupAssignor(cg: ConsumerGroupState, cfg: ConsumerGroupConfig): string {
  const votes = new Map<string, number>();
  for (const m of cg.members.values()) if (m.serverAssignor !== null) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
  let best = cfg.assignors[0] ?? 'uniform';
  let n = 0;
  for (const [name, v] of votes) if (v > n && cfg.assignors.includes(name)) [best, n] = [name, v];
  return best;
}

function computeTargetAssignment(coord: GroupCoordinator, groupId: string, cg: ConsumerGroupState, cfg: ConsumerGroupConfig, records: KeyedRecord[]): void {
  const name = groupAssignor(cg, cfg);
  const assign = assignorByName(name)!;
  const counts = new Map<string, number>();
  const members: AssignorMember[] = [];
  for (const m of cg.members.values()) {
    const ids = new Set<string>();
    for (const t of memberTopics(m, coord.topics, coord.topicsVersion)) {
      const id = t.id.toString('hex');
      ids.add(id);
      counts.set(id, t.partitions);
    }
    members.push({ memberId: m.memberId, topics: ids, previous: cg.target.get(m.memberId) ?? new Map(), rack: m.rackId });
  }
  const result = assign(members, counts, (topicId, partition) => {
    const topic = coord.topics.byId(Buffer.from(topicId, 'hex'));
    return topic ? coord.partitionRacks(topic.name, partition) : [];
  });
  for (const [memberId, a] of result) {
    const prev = cg.target.get(memberId);
    if (!prev || !assignmentsEqual(prev, a)) records.push(targetMemberRecord(groupId, memberId, a));
    cg.target.set(memberId, a);
  }
  cg.assignmentEpoch = cg.groupEpoch;
  cg.assignorName = name;
  records.push(targetEpochRecord(groupId, cg.assignmentEpoch, coord.now()));
  coord.logger.debug({ group: groupId, epoch: cg.assignmentEpoch, assignor: name, members: members.length, topics: counts.size }, 'consumer group target assignment computed');
}

/** LeaveGroup by heartbeat: -1 removes the member; -2 keeps a static member's partitions for its session. */
function leave(coord: GroupCoordinator, req: ConsumerHeartbeatRequest, records: KeyedRecord[]): Outcome {
  const found = consumerGroupOf(coord, req.groupId, false, records);
  if ('errorCode' in found) return found;
  const cg = found;
  let member = cg.members.get(req.memberId);
  if (req.instanceId !== null) {
    const holder = cg.staticMember(req.instanceId);
    if (!holder) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`);
    if (holder.memberId !== req.memberId) return fail(ErrorCode.FENCED_INSTANCE_ID, `Static member ${req.memberId} with instance id ${req.instanceId} was fenced by member ${holder.memberId}.`);
    member = holder;
  }
  if (!member) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
  const cfg = coord.consumerCfg(req.groupId);
  if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    // The instance keeps its partitions until its session times out or it comes back.
    member.previousMemberEpoch = member.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH ? member.previousMemberEpoch : member.memberEpoch;
    member.memberEpoch = LEAVE_GROUP_STATIC_MEMBER_EPOCH;
    records.push(currentAssignmentRecord(req.groupId, member));
    scheduleSessionTimeout(coord, req.groupId, cg, member, cfg.sessionTimeoutMs);
    coord.logger.info({ group: req.groupId, member: member.memberId, instanceId: member.instanceId }, 'static consumer group member left temporarily');
  } else {
    if (!maybeDowngrade(coord, req.groupId, cg, member, records)) removeMember(coord, req.groupId, cg, member, records);
    coord.logger.info({ group: req.groupId, member: member.memberId }, 'consumer group member left');
  }
  return { result: { errorCode: ErrorCode.NONE, errorMessage: null, memberId: req.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: null } };
}

/** The subscribed topics' metadata hash, recomputed only when topics or subscriptions changed. */
function currentHash(coord: GroupCoordinator, cg: ConsumerGroupState): number {
  const key = `${coord.topicsVersion}/${cg.subscriptionsVersion}`;
  if (cg.hashComputedFor === key) return cg.lastHash;
  cg.lastHash = subscriptionHash(cg.members.values(), coord.topics, coord.topicsVersion);
  cg.hashComputedFor = key;
  return cg.lastHash;
}

/** Removes a member and bumps the group epoch (its partitions go to others on their next heartbeats). */
export function removeMember(coord: GroupCoordinator, groupId: string, cg: ConsumerGroupState, m: ConsumerMember, records: KeyedRecord[]): void {
  cg.remove(m);
  records.push(...memberTombstones(groupId, m.memberId));
  cg.groupEpoch++;
  cg.subscriptionsVersion++;
  cg.metadataHash = currentHash(coord, cg);
  records.push(groupEpochRecord(groupId, cg.groupEpoch, cg.metadataHash));
}

/**
 * A consumer-protocol member leaves: when only classic members remain (and the policy allows it),
 * the group becomes classic instead (Kafka's convertToClassicGroup, which leaves the group epoch
 * as it is: the classic generation is the epoch the remaining members have). True when it did.
 */
function maybeDowngrade(coord: GroupCoordinator, groupId: string, cg: ConsumerGroupState, leaving: ConsumerMember, records: KeyedRecord[]): boolean {
  const group = coord.getGroup(groupId);
  if (leaving.classic !== null || !group || group.consumer !== cg || !shouldDowngrade(coord, group, cg, leaving.memberId)) return false;
  cg.remove(leaving);
  records.push(...memberTombstones(groupId, leaving.memberId));
  downgradeToClassicGroup(coord, group, cg, records);
  return true;
}

/** Removes a member whose session or revocation timed out, and writes it (nobody waits for the write). */
export function fenceMember(coord: GroupCoordinator, groupId: string, cg: ConsumerGroupState, m: ConsumerMember, why: string): void {
  const group = coord.getGroup(groupId);
  if (coord.stopping || !group || group.consumer !== cg || cg.members.get(m.memberId) !== m) return;
  const records: KeyedRecord[] = [];
  if (!maybeDowngrade(coord, groupId, cg, m, records)) removeMember(coord, groupId, cg, m, records);
  coord.logger.info({ group: groupId, member: m.memberId, instanceId: m.instanceId, reason: why }, 'consumer group member removed');
  coord.appendRecords(groupId, records).catch((err: unknown) => coord.logger.warn({ group: groupId, member: m.memberId, err: (err as Error).message }, 'writing a fenced member failed'));
}

export function scheduleSessionTimeout(coord: GroupCoordinator, groupId: string, cg: ConsumerGroupState, m: ConsumerMember, ms: number): void {
  if (m.sessionTimer) clearTimeout(m.sessionTimer);
  m.sessionTimer = coord.timer(() => {
    m.sessionTimer = null;
    fenceMember(coord, groupId, cg, m, 'session timeout');
  }, ms);
}

/** While a member has partitions to revoke it has its rebalance timeout to do so (Kafka's rebalance timeout). */
function scheduleRevocationTimeout(coord: GroupCoordinator, groupId: string, cg: ConsumerGroupState, m: ConsumerMember): void {
  if (m.state !== MemberState.UNREVOKED_PARTITIONS) {
    if (m.revocationTimer) clearTimeout(m.revocationTimer);
    m.revocationTimer = null;
    return;
  }
  if (m.revocationTimer) return;
  const epoch = m.memberEpoch;
  m.revocationTimer = coord.timer(
    () => {
      m.revocationTimer = null;
      if (m.state === MemberState.UNREVOKED_PARTITIONS && m.memberEpoch === epoch) fenceMember(coord, groupId, cg, m, 'partitions not revoked within the rebalance timeout');
    },
    m.rebalanceTimeoutMs > 0 ? m.rebalanceTimeoutMs : 300000,
  );
}


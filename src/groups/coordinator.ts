/**
 * The group coordinator for the classic group protocol: JoinGroup, SyncGroup, Heartbeat and
 * LeaveGroup, following Kafka's GroupCoordinator (its answers, errors and timing), plus the
 * plumbing the offset and admin operations share (offsets.ts, admin.ts).
 *
 * A rebalance: the first JoinGroup moves the group to PreparingRebalance. JoinGroup responses are
 * parked until every known member has rejoined (or the largest rebalance.timeout.ms of the members
 * passes: members that did not rejoin are dropped); for an empty group the first rebalance instead
 * waits group.initial.rebalance.delay.ms, extended while new members keep arriving, up to the
 * rebalance timeout. Then the generation is bumped, a protocol every member supports is chosen,
 * and every member gets its JoinGroup response (the leader with the member list). Followers'
 * SyncGroups are parked until the leader's SyncGroup brings the assignment; once the group
 * metadata is durable in __consumer_offsets, everyone gets its assignment and the group is Stable.
 *
 * Liveness: one timer per member, re-armed lazily (a heartbeat only moves a deadline). Members
 * waiting in JoinGroup/SyncGroup are kept alive; others expire after session.timeout.ms without a
 * heartbeat, which triggers a rebalance. Members that got a JoinGroup response but never send
 * SyncGroup are removed after the rebalance timeout (Kafka's pending-sync expiration).
 *
 * Everything runs on the event loop, so the state changes of one call are atomic; where a call
 * waits for a write (SyncGroup, static member replacement) it re-checks the generation after.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, KafkaError, errorName } from '../../protocol/errors.js';
import type { Logger } from '../logger.js';
import type { GroupConfig } from './config.js';
import { Group } from './group.js';
import { EMPTY_BYTES, Member, joinError, syncError, type JoinResult, type Protocol, type SyncResult } from './member.js';
import type { KeyedRecord, OffsetsLog } from './offsets-log.js';
import { offsetsPartitionFor } from './offsets-partition.js';
import { encodeGroupMetadataKey, encodeGroupMetadataValue } from './records.js';

/** Kafka's GroupCoordinator.NewMemberJoinTimeoutMs: a new member's parked JoinGroup gives up after this. */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  /** JoinGroup v4+: a dynamic member's first join gets MEMBER_ID_REQUIRED with its new id. */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: a static leader rejoining a stable group is told to skip the assignment. */
  supportsSkipAssignment: boolean;
  reason: string | null;
}

export interface SyncRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** v5+; null: not checked. */
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeavingMember {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface LeaveResult {
  errorCode: number;
  members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }>;
}

export interface CoordinatorOptions {
  log: OffsetsLog;
  config: () => GroupConfig;
  logger: Logger;
  /** Whether a topic partition exists (OffsetCommit refuses unknown ones). Default: all exist. */
  partitionExists?: (topic: string, partition: number) => boolean;
  /** High watermark of a partition, for lag; null when the partition does not exist. */
  logEndOffset?: (topic: string, partition: number) => number | null;
}

/** Maps a failed write of group metadata to the SyncGroup/JoinGroup error Kafka gives. */
function storeGroupError(err: unknown): number {
  const code = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.REBALANCE_IN_PROGRESS;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

export class GroupCoordinator {
  readonly groups = new Map<string, Group>();
  readonly log: OffsetsLog;
  readonly logger: Logger;
  readonly cfg: () => GroupConfig;
  readonly partitionExists: (topic: string, partition: number) => boolean;
  readonly logEndOffset: (topic: string, partition: number) => number | null;
  stopping = false;
  private expiryTimer: NodeJS.Timeout | null = null;
  /** Called with each expiry pass; set by offsets.ts (kept out of here to avoid an import cycle). */
  expireHook: (() => Promise<void>) | null = null;

  constructor(opts: CoordinatorOptions) {
    this.log = opts.log;
    this.cfg = opts.config;
    this.logger = opts.logger;
    this.partitionExists = opts.partitionExists ?? (() => true);
    this.logEndOffset = opts.logEndOffset ?? (() => null);
  }

  now(): number {
    return Date.now();
  }

  partitionFor(groupId: string): number {
    return offsetsPartitionFor(groupId, this.log.partitionCount());
  }

  /** Timers never keep the process alive and never throw into the event loop. */
  timer(fn: () => void, ms: number): NodeJS.Timeout {
    const t = setTimeout(
      () => {
        try {
          fn();
        } catch (err) {
          this.logger.error({ err }, 'group coordinator timer failed');
        }
      },
      Math.min(Math.max(ms, 0), MAX_TIMER_MS),
    );
    t.unref?.();
    return t;
  }

  getGroup(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }

  createGroup(groupId: string): Group {
    const g = new Group(groupId, this.now());
    this.groups.set(groupId, g);
    return g;
  }

  /** Drops a group from the coordinator (it is Dead): its timers stop, parked requests are answered. */
  removeGroup(group: Group): void {
    this.clearGroupTimers(group, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    group.transitionTo('Dead', this.now());
    if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId);
  }

  /**
   * Appends records of one group to its __consumer_offsets partition and waits until durable,
   * at most offsets.commit.timeout.ms (then REQUEST_TIMED_OUT; the write may still land).
   */
  async appendRecords(groupId: string, records: readonly KeyedRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.log.ensure();
    const partition = this.partitionFor(groupId);
    const write = this.log.append(partition, records);
    let timer: NodeJS.Timeout | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.timer(() => reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'offsets write timed out')), this.cfg().commitTimeoutMs);
    });
    try {
      await Promise.race([write, timeout]);
    } finally {
      if (timer) clearTimeout(timer);
      write.catch(() => undefined);
    }
  }

  /** Writes the group's metadata record (members, their subscriptions and assignments). */
  async storeGroup(group: Group, assignment: ReadonlyMap<string, Buffer>): Promise<number> {
    const protocol = group.protocolName;
    const value = encodeGroupMetadataValue({
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol,
      leader: group.leaderId,
      currentStateTimestamp: group.currentStateTimestamp,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: protocol === null ? EMPTY_BYTES : m.metadataFor(protocol),
        assignment: assignment.get(m.memberId) ?? EMPTY_BYTES,
      })),
    });
    try {
      await this.appendRecords(group.groupId, [{ key: encodeGroupMetadataKey(group.groupId), value }]);
      return ErrorCode.NONE;
    } catch (err) {
      const code = storeGroupError(err);
      this.logger.warn({ group: group.groupId, generation: group.generationId, error: errorName(code), err: (err as Error).message }, 'storing group metadata failed');
      return code;
    }
  }

  // -----------------------------------------------------------------------------------------------
  // JoinGroup

  async join(req: JoinRequest): Promise<JoinResult> {
    if (this.stopping) return joinError(req.memberId, ErrorCode.NOT_COORDINATOR);
    if (req.groupId === '') return joinError(req.memberId, ErrorCode.INVALID_GROUP_ID);
    const cfg = this.cfg();
    if (req.sessionTimeoutMs < cfg.minSessionTimeoutMs || req.sessionTimeoutMs > cfg.maxSessionTimeoutMs) {
      return joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    try {
      await this.log.ensure();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'cannot create the offsets topic');
      return joinError(req.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    if (this.stopping) return joinError(req.memberId, ErrorCode.NOT_COORDINATOR);
    const isUnknown = req.memberId === '';
    let group = this.groups.get(req.groupId);
    if (!group) {
      if (!isUnknown) return joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
      group = this.createGroup(req.groupId);
    }
    const g = group;
    return new Promise<JoinResult>((respond) => {
      if (!this.acceptJoiningMember(g, req.memberId, cfg.maxSize)) {
        const kicked = g.remove(req.memberId);
        kicked?.clearHeartbeat();
        respond(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
      } else if (isUnknown) {
        this.doNewMemberJoin(g, req, respond);
      } else {
        this.doCurrentMemberJoin(g, req, respond);
      }
      this.checkJoinComplete(g);
    });
  }

  /**
   * group.max.size: while preparing, count members already waiting (so the last ones to rejoin of
   * a group above the limit are refused); otherwise existing members are always accepted.
   */
  private acceptJoiningMember(group: Group, memberId: string, maxSize: number): boolean {
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

  private doNewMemberJoin(group: Group, req: JoinRequest, respond: (r: JoinResult) => void): void {
    if (group.is('Dead')) return respond(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(req.protocolType, req.protocols)) return respond(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    const newMemberId = `${req.groupInstanceId ?? req.clientId}-${randomUUID()}`;
    if (req.groupInstanceId !== null) {
      const oldMemberId = group.staticMembers.get(req.groupInstanceId);
      if (oldMemberId !== undefined) this.replaceStaticMember(group, req.groupInstanceId, oldMemberId, newMemberId, req, respond);
      else this.addMemberAndRebalance(group, req, newMemberId, respond);
    } else if (req.requireKnownMemberId) {
      // The client must come back with this id; until then it holds up the rebalance (Kafka's pending member).
      const timer = this.timer(() => this.expirePendingMember(group, newMemberId), req.sessionTimeoutMs);
      group.pendingMembers.set(newMemberId, timer);
      respond(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    } else {
      this.addMemberAndRebalance(group, req, newMemberId, respond);
    }
  }

  private doCurrentMemberJoin(group: Group, req: JoinRequest, respond: (r: JoinResult) => void): void {
    const memberId = req.memberId;
    if (group.is('Dead')) return respond(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(req.protocolType, req.protocols)) return respond(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    if (group.pendingMembers.has(memberId)) {
      this.addMemberAndRebalance(group, req, memberId, respond);
      return;
    }
    if (group.isStaticMemberFenced(req.groupInstanceId, memberId)) return respond(joinError(memberId, ErrorCode.FENCED_INSTANCE_ID));
    const instanceUnknown = req.groupInstanceId !== null && !group.staticMembers.has(req.groupInstanceId);
    const member = group.members.get(memberId);
    if (!member || instanceUnknown) return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    this.touch(group, member);
    switch (group.state) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(group, member, req, respond, 'member rejoining during rebalance');
        return;
      case 'CompletingRebalance':
        if (member.matches(req.protocols)) {
          // It lost the JoinGroup response (e.g. a retry on a new connection): answer it again.
          respond(this.joinResultFor(group, member, false));
        } else {
          this.updateMemberAndRebalance(group, member, req, respond, 'member changed its metadata');
        }
        return;
      case 'Stable':
        if (group.isLeader(memberId)) {
          // The leader rejoins to have the assignment recomputed (e.g. topic metadata changed).
          this.updateMemberAndRebalance(group, member, req, respond, 'leader rejoining');
        } else if (!member.matches(req.protocols)) {
          this.updateMemberAndRebalance(group, member, req, respond, 'member changed its metadata');
        } else {
          respond({ ...this.joinResultFor(group, member, false), members: [] });
        }
        return;
      default:
        // Empty/Dead with a known member cannot happen; let the member reset and rejoin.
        respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private joinResultFor(group: Group, member: Member, skipAssignment: boolean): JoinResult {
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

  private addMemberAndRebalance(group: Group, req: JoinRequest, memberId: string, respond: (r: JoinResult) => void): void {
    const member = new Member(memberId, req.groupInstanceId, req.clientId, req.clientHost, req.rebalanceTimeoutMs, req.sessionTimeoutMs, req.protocolType, req.protocols);
    member.isNew = true;
    member.joinedAt = this.now();
    // A member joining during the initial delay of a new group may extend that delay.
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
    const pending = group.pendingMembers.get(memberId);
    if (pending !== undefined) {
      if (pending) clearTimeout(pending);
      group.pendingMembers.delete(memberId);
    }
    group.add(member, respond);
    this.touch(group, member);
    this.logger.info({ group: group.groupId, member: memberId, instance: req.groupInstanceId ?? undefined, clientId: req.clientId }, 'member joined group');
    this.maybePrepareRebalance(group, `adding new member ${memberId}`);
  }

  private updateMemberAndRebalance(group: Group, member: Member, req: JoinRequest, respond: (r: JoinResult) => void, reason: string): void {
    // A second JoinGroup while one is parked (a retry on another connection): the older one is told to rejoin.
    group.invokeJoin(member, joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, respond);
    this.maybePrepareRebalance(group, reason);
  }

  /**
   * A static member came back with a new member id (restarted): it takes over the old member's
   * place. In a stable group whose protocol would not change there is no rebalance: the member
   * keeps its assignment; the old instance, if still around, is fenced.
   */
  private replaceStaticMember(group: Group, instanceId: string, oldMemberId: string, newMemberId: string, req: JoinRequest, respond: (r: JoinResult) => void): void {
    const currentLeader = group.leaderId;
    const member = group.members.get(oldMemberId)!;
    group.invokeJoin(member, joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    group.invokeSync(member, syncError(ErrorCode.FENCED_INSTANCE_ID));
    const old = { protocols: member.protocols, rebalance: member.rebalanceTimeoutMs, session: member.sessionTimeoutMs };
    group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
    this.touch(group, member);
    group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, respond);
    this.logger.info({ group: group.groupId, instance: instanceId, oldMember: oldMemberId, member: newMemberId }, 'static member replaced');
    switch (group.state) {
      case 'Stable': {
        let next: string | null = null;
        try {
          next = group.selectProtocol();
        } catch {
          next = null;
        }
        if (next === null || next !== group.protocolName) {
          this.maybePrepareRebalance(group, `static member ${instanceId} rejoined with another protocol`);
          return;
        }
        const generation = group.generationId;
        const assignment = new Map([...group.members.values()].map((m) => [m.memberId, m.assignment]));
        void this.storeGroup(group, assignment).then((code) => {
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
          this.touch(group, member);
        }, (err: unknown) => this.logger.error({ err, group: group.groupId }, 'static member replacement failed'));
        return;
      }
      case 'CompletingRebalance':
        this.maybePrepareRebalance(group, `static member ${instanceId} rejoined during the rebalance`);
        return;
      default:
        // PreparingRebalance: it is part of the rebalance in progress.
        return;
    }
  }

  private expirePendingMember(group: Group, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return;
    this.logger.info({ group: group.groupId, member: memberId }, 'pending member expired before rejoining');
    this.checkJoinComplete(group);
  }

  private maybePrepareRebalance(group: Group, reason: string): void {
    if (group.is('Stable') || group.is('CompletingRebalance') || group.is('Empty')) this.prepareRebalance(group, reason);
  }

  private prepareRebalance(group: Group, reason: string): void {
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.clearSyncTimer(group);
    group.pendingSync.clear();
    this.clearJoinTimer(group);
    const wasEmpty = group.is('Empty');
    group.transitionTo('PreparingRebalance', this.now());
    this.logger.info({ group: group.groupId, generation: group.generationId, reason }, 'preparing to rebalance group');
    if (wasEmpty) {
      const delay = this.cfg().initialRebalanceDelayMs;
      group.joinKind = 'initial';
      group.newMemberAdded = false;
      group.initialDelayRemainingMs = Math.max(group.rebalanceTimeoutMs() - delay, 0);
      group.joinTimer = this.timer(() => this.onInitialDelayExpired(group), delay);
    } else {
      group.joinKind = 'delayed';
      group.joinTimer = this.timer(() => this.completeJoin(group), group.rebalanceTimeoutMs());
      this.checkJoinComplete(group);
    }
  }

  private onInitialDelayExpired(group: Group): void {
    group.joinTimer = null;
    if (!group.is('PreparingRebalance')) return;
    if (group.newMemberAdded && group.initialDelayRemainingMs > 0) {
      group.newMemberAdded = false;
      const delay = Math.min(this.cfg().initialRebalanceDelayMs, group.initialDelayRemainingMs);
      group.initialDelayRemainingMs = Math.max(group.initialDelayRemainingMs - delay, 0);
      group.joinTimer = this.timer(() => this.onInitialDelayExpired(group), delay);
      return;
    }
    this.completeJoin(group);
  }

  /** Completes the join phase early once everyone is back (never during the initial delay). */
  private checkJoinComplete(group: Group): void {
    if (group.is('PreparingRebalance') && group.joinKind === 'delayed' && group.hasAllMembersJoined()) this.completeJoin(group);
  }

  private completeJoin(group: Group): void {
    this.clearJoinTimer(group);
    if (!group.is('PreparingRebalance')) return;
    // Dynamic members that did not rejoin in time are gone; static ones stay until their session expires.
    for (const m of [...group.members.values()]) {
      if (!m.awaitingJoin && !m.isStatic) {
        m.clearHeartbeat();
        group.remove(m.memberId);
        this.logger.info({ group: group.groupId, member: m.memberId }, 'member removed: did not rejoin in time');
      }
    }
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members that have not rejoined are left: wait for them or their session timeout.
      group.joinKind = 'delayed';
      group.joinTimer = this.timer(() => this.completeJoin(group), group.rebalanceTimeoutMs());
      return;
    }
    const now = this.now();
    group.initNextGeneration(now);
    if (group.is('Empty')) {
      this.logger.info({ group: group.groupId, generation: group.generationId }, 'group is now empty');
      void this.storeGroup(group, new Map());
      return;
    }
    this.logger.info(
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
      this.touch(group, m);
      m.isNew = false;
      group.pendingSync.add(m.memberId);
    }
    group.syncTimer = this.timer(() => this.onSyncExpired(group), group.rebalanceTimeoutMs());
  }

  /** Members that got their JoinGroup response but never sent SyncGroup are removed. */
  private onSyncExpired(group: Group): void {
    group.syncTimer = null;
    if (!(group.is('CompletingRebalance') || group.is('Stable')) || group.pendingSync.size === 0) return;
    const missing = [...group.pendingSync];
    for (const id of missing) {
      const m = group.remove(id);
      m?.clearHeartbeat();
    }
    this.logger.info({ group: group.groupId, members: missing }, 'members removed: no SyncGroup within the rebalance timeout');
    this.prepareRebalance(group, 'members did not send SyncGroup in time');
  }

  private resetAndPropagateAssignmentError(group: Group, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY_BYTES;
    this.propagateAssignment(group, errorCode);
  }

  private propagateAssignment(group: Group, errorCode: number): void {
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
      this.touch(group, m);
    }
  }

  // -----------------------------------------------------------------------------------------------
  // SyncGroup

  sync(req: SyncRequest): Promise<SyncResult> {
    if (this.stopping) return Promise.resolve(syncError(ErrorCode.NOT_COORDINATOR));
    if (req.groupId === '') return Promise.resolve(syncError(ErrorCode.INVALID_GROUP_ID));
    const group = this.groups.get(req.groupId);
    if (!group) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (group.is('Dead')) return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
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
        this.removePendingSync(group, req.memberId);
        this.touch(group, member);
        return Promise.resolve({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
      default:
        break;
    }
    // CompletingRebalance: park until the leader's assignment is stored.
    return new Promise<SyncResult>((respond) => {
      group.invokeSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      member.awaitingSync = respond;
      this.removePendingSync(group, req.memberId);
      if (!group.isLeader(req.memberId)) return;
      const assignment = new Map<string, Buffer>();
      for (const a of req.assignments) if (group.has(a.memberId)) assignment.set(a.memberId, a.assignment);
      const missing = [...group.members.keys()].filter((id) => !assignment.has(id));
      if (missing.length > 0) this.logger.warn({ group: group.groupId, members: missing }, 'leader sent no assignment for some members: they get an empty one');
      const generation = group.generationId;
      this.logger.info({ group: group.groupId, generation, members: group.size }, 'assignment received from the leader');
      void this.storeGroup(group, assignment).then((code) => {
        // Another member may have joined while the write was in flight: then this generation is over.
        if (!group.is('CompletingRebalance') || group.generationId !== generation) return;
        if (code !== ErrorCode.NONE) {
          this.resetAndPropagateAssignmentError(group, code);
          this.maybePrepareRebalance(group, 'storing the assignment failed');
          return;
        }
        for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY_BYTES;
        group.transitionTo('Stable', this.now());
        this.propagateAssignment(group, ErrorCode.NONE);
        this.logger.info({ group: group.groupId, generation }, 'group is stable');
      }, (err: unknown) => this.logger.error({ err, group: group.groupId }, 'completing the rebalance failed'));
    });
  }

  private removePendingSync(group: Group, memberId: string): void {
    group.pendingSync.delete(memberId);
    if (group.pendingSync.size === 0) this.clearSyncTimer(group);
  }

  // -----------------------------------------------------------------------------------------------
  // Heartbeat

  heartbeat(req: HeartbeatRequest): number {
    if (this.stopping) return ErrorCode.NOT_COORDINATOR;
    if (req.groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(req.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (group.isStaticMemberFenced(req.groupInstanceId, req.memberId)) return ErrorCode.FENCED_INSTANCE_ID;
    const member = group.members.get(req.memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    switch (group.state) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'PreparingRebalance':
        this.touch(group, member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        // CompletingRebalance too: consumers may heartbeat between JoinGroup and SyncGroup.
        this.touch(group, member);
        return ErrorCode.NONE;
    }
  }

  /** A member proved it is alive (any valid request): its session deadline moves. */
  touch(group: Group, member: Member): void {
    member.lastHeartbeat = this.now();
    if (!member.heartbeatTimer) this.armHeartbeat(group, member, member.sessionTimeoutMs);
  }

  private armHeartbeat(group: Group, member: Member, delay: number): void {
    member.heartbeatTimer = this.timer(() => {
      member.heartbeatTimer = null;
      this.checkHeartbeat(group, member);
    }, delay);
  }

  private checkHeartbeat(group: Group, member: Member): void {
    if (this.stopping || group.is('Dead') || group.members.get(member.memberId) !== member) return;
    const now = this.now();
    let next: number;
    if (member.awaitingJoin) {
      // Waiting in JoinGroup keeps a member alive, except a new one waiting for too long.
      if (!member.isNew) next = member.sessionTimeoutMs;
      else {
        const left = member.joinedAt + NEW_MEMBER_JOIN_TIMEOUT_MS - now;
        if (left <= 0) return this.expireMember(group, member, 'new member did not complete its join in time');
        next = Math.min(left, member.sessionTimeoutMs);
      }
    } else if (member.awaitingSync) {
      next = member.sessionTimeoutMs;
    } else {
      const left = member.lastHeartbeat + member.sessionTimeoutMs - now;
      if (left <= 0) return this.expireMember(group, member, 'session timeout');
      next = left;
    }
    this.armHeartbeat(group, member, next);
  }

  private expireMember(group: Group, member: Member, reason: string): void {
    this.logger.info({ group: group.groupId, member: member.memberId, reason }, 'member failed: removing it from the group');
    this.removeMemberAndUpdateGroup(group, member, reason);
  }

  private removeMemberAndUpdateGroup(group: Group, member: Member, reason: string): void {
    // A parked JoinGroup learns it is out (it may retry as a new member).
    group.invokeJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    group.invokeSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    member.clearHeartbeat();
    group.remove(member.memberId);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.maybePrepareRebalance(group, reason);
        break;
      case 'PreparingRebalance':
        this.checkJoinComplete(group);
        break;
      default:
        break;
    }
  }

  // -----------------------------------------------------------------------------------------------
  // LeaveGroup

  leave(groupId: string, leaving: readonly LeavingMember[]): LeaveResult {
    const each = (code: number) => ({ errorCode: ErrorCode.NONE, members: leaving.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: code })) });
    if (this.stopping) return { errorCode: ErrorCode.NOT_COORDINATOR, members: [] };
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const group = this.groups.get(groupId);
    if (!group) return each(ErrorCode.UNKNOWN_MEMBER_ID);
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const members = leaving.map((lm) => {
      const result = (errorCode: number) => ({ memberId: lm.memberId, groupInstanceId: lm.groupInstanceId, errorCode });
      if (lm.memberId === '') {
        // Administrative removal of a static member by its instance id.
        const current = lm.groupInstanceId === null ? undefined : group.staticMembers.get(lm.groupInstanceId);
        if (current === undefined) return result(ErrorCode.UNKNOWN_MEMBER_ID);
        this.removeLeavingMember(group, group.members.get(current)!, lm.reason);
        return result(ErrorCode.NONE);
      }
      if (group.pendingMembers.has(lm.memberId)) {
        const t = group.pendingMembers.get(lm.memberId);
        if (t) clearTimeout(t);
        group.pendingMembers.delete(lm.memberId);
        this.checkJoinComplete(group);
        return result(ErrorCode.NONE);
      }
      if (group.isStaticMemberFenced(lm.groupInstanceId, lm.memberId)) return result(ErrorCode.FENCED_INSTANCE_ID);
      const member = group.members.get(lm.memberId);
      if (!member) return result(ErrorCode.UNKNOWN_MEMBER_ID);
      this.removeLeavingMember(group, member, lm.reason);
      return result(ErrorCode.NONE);
    });
    return { errorCode: ErrorCode.NONE, members };
  }

  private removeLeavingMember(group: Group, member: Member, reason: string | null): void {
    this.logger.info({ group: group.groupId, member: member.memberId, reason: reason ?? undefined }, 'member left group');
    this.removeMemberAndUpdateGroup(group, member, `member ${member.memberId} left${reason ? `: ${reason}` : ''}`);
  }

  // -----------------------------------------------------------------------------------------------
  // Lifecycle

  /** Runs the periodic offset expiry (offsets.retention.check.interval.ms). */
  startExpiry(): void {
    const tick = (): void => {
      this.expiryTimer = null;
      if (this.stopping) return;
      const hook = this.expireHook;
      void (hook ? hook() : Promise.resolve())
        .catch((err: unknown) => this.logger.error({ err }, 'offset expiry failed'))
        .finally(() => {
          if (!this.stopping) this.expiryTimer = this.timer(tick, this.cfg().retentionCheckIntervalMs);
        });
    };
    this.expiryTimer = this.timer(tick, this.cfg().retentionCheckIntervalMs);
  }

  private clearJoinTimer(group: Group): void {
    if (group.joinTimer) clearTimeout(group.joinTimer);
    group.joinTimer = null;
  }

  private clearSyncTimer(group: Group): void {
    if (group.syncTimer) clearTimeout(group.syncTimer);
    group.syncTimer = null;
  }

  /** Stops a group's timers and answers its parked requests with `code`. */
  private clearGroupTimers(group: Group, code: number): void {
    this.clearJoinTimer(group);
    this.clearSyncTimer(group);
    for (const t of group.pendingMembers.values()) if (t) clearTimeout(t);
    group.pendingMembers.clear();
    for (const m of group.members.values()) {
      m.clearHeartbeat();
      group.invokeJoin(m, joinError(m.memberId, code));
      group.invokeSync(m, syncError(code));
    }
  }

  /**
   * The broker is stopping: parked JoinGroup/SyncGroup requests are answered NOT_COORDINATOR now
   * (so connections drain), every timer stops, and later requests are refused. Idempotent.
   */
  shutdown(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    for (const g of this.groups.values()) this.clearGroupTimers(g, ErrorCode.NOT_COORDINATOR);
  }
}

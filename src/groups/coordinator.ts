/**
 * The group coordinator for the classic group protocol: JoinGroup, SyncGroup, Heartbeat and
 * LeaveGroup, following Kafka's GroupCoordinator (its answers, errors and timing), plus the
 * plumbing the offset and admin operations share (offsets.ts, admin.ts).
 *
 * This class holds the coordinator's state (the groups, the offsets log, the config) and the
 * shared plumbing: timers, writing group metadata durably, shutdown. Each request's logic lives in
 * its own module, called with the coordinator:
 *   join.ts, static-rejoin.ts   JoinGroup (new, known and returning static members)
 *   rebalance.ts                the rebalance state machine and its join/sync timers
 *   sync.ts                     SyncGroup (the leader's assignment, stored, then handed out)
 *   liveness.ts                 Heartbeat, session timers, removing failed members
 *   leave.ts                    LeaveGroup
 *
 * Everything runs on the event loop, so the state changes of one call are atomic; where a call
 * waits for a write (SyncGroup, static member replacement) it re-checks the generation after.
 *
 * It coordinates the groups of the `__consumer_offsets` partitions this broker leads
 * (`ownership`, following the leadership port; ownership.ts loads and unloads them): a request
 * for a group of a partition led elsewhere gets NOT_COORDINATOR, of one still loading
 * COORDINATOR_LOAD_IN_PROGRESS (`refusal`); both are retriable, and clients look the coordinator
 * up again.
 */
import { ErrorCode, KafkaError, errorName } from '../../protocol/errors.js';
import { CoordinatorPartitions } from '../data/coordinator-partitions.js';
import { CONSUMER_OFFSETS_TOPIC } from '../data/internal-topic.js';
import type { Leadership } from '../data/leadership.js';
import type { Logger } from '../logger.js';
import type { GroupConfig } from './config.js';
import { DEFAULT_CONSUMER_GROUP_CONFIG, type ConsumerGroupConfig } from './consumer/config.js';
import { consumerGroupHeartbeat, type ConsumerHeartbeatRequest, type ConsumerHeartbeatResult } from './consumer/heartbeat.js';
import { NO_TOPICS, type ConsumerTopicsView } from './consumer/topics.js';
import { Group } from './group.js';
import { joinGroup } from './join.js';
import { leaveGroup } from './leave.js';
import { heartbeat, touchMember } from './liveness.js';
import { EMPTY_BYTES, joinError, syncError, type JoinResult, type Member, type SyncResult } from './member.js';
import type { KeyedRecord, OffsetsLog } from './offsets-log.js';
import { offsetsPartitionFor } from './offsets-partition.js';
import { groupPartitionHooks, onTxnMarker, type HeldMarkers } from './ownership.js';
import { clearJoinTimer, clearSyncTimer } from './rebalance.js';
import { encodeGroupMetadataKey, encodeGroupMetadataValue } from './records.js';
import type { HeartbeatRequest, JoinRequest, LeaveResult, LeavingMember, SyncRequest } from './requests.js';
import { syncGroup } from './sync.js';

export type { HeartbeatRequest, JoinRequest, LeaveResult, LeavingMember, SyncRequest } from './requests.js';
export { NEW_MEMBER_JOIN_TIMEOUT_MS } from './liveness.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

export interface CoordinatorOptions {
  log: OffsetsLog;
  config: () => GroupConfig;
  logger: Logger;
  /** Which `__consumer_offsets` partitions this broker leads (their groups are coordinated here). */
  leadership: Leadership;
  /** Whether a topic partition exists (OffsetCommit refuses unknown ones). Default: all exist. */
  partitionExists?: (topic: string, partition: number) => boolean;
  /** High watermark of a partition, for lag; null when the partition does not exist. */
  logEndOffset?: (topic: string, partition: number) => number | null;
  /** The consumer group protocol's settings (group.consumer.*). */
  /** The consumer protocol settings, of one group when given (its GROUP configs win). */
  consumerConfig?: (groupId?: string) => ConsumerGroupConfig;
  /** The topics consumer groups subscribe to (names, ids, partition counts). */
  topics?: ConsumerTopicsView;
  /** The racks of a partition's replicas (rack-aware consumer group assignment); default none. */
  partitionRacks?: (topic: string, partition: number) => readonly string[];
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

/** A classic group's metadata record: its generation, protocol, leader, members with their subscriptions and `assignment`. */
export function groupMetadataRecord(group: Group, assignment: ReadonlyMap<string, Buffer>): KeyedRecord {
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
  return { key: encodeGroupMetadataKey(group.groupId), value };
}

export class GroupCoordinator {
  readonly groups = new Map<string, Group>();
  readonly log: OffsetsLog;
  readonly logger: Logger;
  readonly cfg: () => GroupConfig;
  readonly partitionExists: (topic: string, partition: number) => boolean;
  readonly logEndOffset: (topic: string, partition: number) => number | null;
  stopping = false;
  readonly consumerCfg: (groupId?: string) => ConsumerGroupConfig;
  readonly topics: ConsumerTopicsView;
  readonly partitionRacks: (topic: string, partition: number) => readonly string[];
  /** Moves with every topic created, deleted or grown: consumer groups re-resolve their subscriptions. */
  topicsVersion = 0;
  /** The `__consumer_offsets` partitions whose groups are loaded here (or loading). */
  readonly ownership: CoordinatorPartitions;
  private readonly heldMarkers: HeldMarkers = new Map();
  private expiryTimer: NodeJS.Timeout | null = null;
  /** Called with each expiry pass; set by offsets.ts (kept out of here to avoid an import cycle). */
  expireHook: (() => Promise<void>) | null = null;

  constructor(opts: CoordinatorOptions) {
    this.log = opts.log;
    this.cfg = opts.config;
    this.logger = opts.logger;
    this.partitionExists = opts.partitionExists ?? (() => true);
    this.logEndOffset = opts.logEndOffset ?? (() => null);
    this.consumerCfg = opts.consumerConfig ?? (() => DEFAULT_CONSUMER_GROUP_CONFIG);
    this.topics = opts.topics ?? NO_TOPICS;
    this.partitionRacks = opts.partitionRacks ?? (() => []);
    this.ownership = new CoordinatorPartitions(CONSUMER_OFFSETS_TOPIC, opts.leadership, groupPartitionHooks(this, this.heldMarkers), opts.logger);
  }

  /**
   * Follows `__consumer_offsets` leadership and loads the partitions led here now; resolves once
   * they are loaded (rejects when one cannot be read). Partitions with nothing to read (the topic
   * does not exist yet) are owned before this returns.
   */
  start(): Promise<void> {
    return this.ownership.start(this.log.partitionCount());
  }

  /**
   * Why a request for `groupId` cannot be served here, or NONE: NOT_COORDINATOR while stopping or
   * when its partition is led elsewhere, COORDINATOR_LOAD_IN_PROGRESS while it loads.
   */
  refusal(groupId: string): number {
    if (this.stopping) return ErrorCode.NOT_COORDINATOR;
    return this.ownership.error(this.partitionFor(groupId));
  }

  /**
   * refusal(), after creating `__consumer_offsets` when it does not exist yet (a client that
   * skipped FindCoordinator); COORDINATOR_NOT_AVAILABLE when it cannot be created.
   */
  readyFor(groupId: string): number | Promise<number> {
    if (this.stopping || this.log.exists()) return this.refusal(groupId);
    return this.ensureOffsetsTopic().then(
      () => this.refusal(groupId),
      (err: unknown) => {
        this.logger.warn({ err: (err as Error).message }, 'cannot create the offsets topic');
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      },
    );
  }

  /**
   * Creates `__consumer_offsets` if needed. A call that created it waits for the loads of its
   * partitions too (empty, immediate on one node), so the first request after it finds them owned.
   */
  async ensureOffsetsTopic(): Promise<void> {
    const existed = this.log.exists();
    await this.log.ensure();
    if (!existed && this.ownership.anyLoading) await this.ownership.settled();
  }

  /**
   * A transaction marker was written to `__consumer_offsets` partition `partition`: the
   * producer's pending transactional offsets there are committed or dropped (after the load, if
   * the partition is loading).
   */
  txnMarkerWritten(partition: number, producerId: number, commit: boolean): void {
    onTxnMarker(this, this.heldMarkers, partition, producerId, commit);
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

  /** Drops a group from the coordinator (it is Dead): its timers stop, parked requests are answered with `code`. */
  removeGroup(group: Group, code: number = ErrorCode.COORDINATOR_NOT_AVAILABLE): void {
    this.clearGroupTimers(group, code);
    group.transitionTo('Dead', this.now());
    if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId);
  }

  /**
   * Appends records of one group to its __consumer_offsets partition and waits until acknowledged
   * as acks=all (on one node: durable; in a cluster: the high watermark passed them), at most
   * offsets.commit.timeout.ms (then REQUEST_TIMED_OUT; the write may still land). NOT_COORDINATOR
   * when the partition is not owned here (a write of a group just unloaded).
   */
  async appendRecords(groupId: string, records: readonly KeyedRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.log.ensure();
    const partition = this.partitionFor(groupId);
    if (!this.ownership.owns(partition)) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `__consumer_offsets-${partition} is not coordinated here`);
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
    const record = groupMetadataRecord(group, assignment);
    try {
      await this.appendRecords(group.groupId, [record]);
      return ErrorCode.NONE;
    } catch (err) {
      const code = storeGroupError(err);
      this.logger.warn({ group: group.groupId, generation: group.generationId, error: errorName(code), err: (err as Error).message }, 'storing group metadata failed');
      return code;
    }
  }

  // -----------------------------------------------------------------------------------------------
  // The membership requests (each in its own module)

  join(req: JoinRequest): Promise<JoinResult> {
    return joinGroup(this, req);
  }

  sync(req: SyncRequest): Promise<SyncResult> {
    return syncGroup(this, req);
  }

  heartbeat(req: HeartbeatRequest): number {
    return heartbeat(this, req);
  }

  /** A member proved it is alive (any valid request): its session deadline moves. */
  touch(group: Group, member: Member): void {
    touchMember(this, group, member);
  }

  leave(groupId: string, leaving: readonly LeavingMember[]): LeaveResult {
    return leaveGroup(this, groupId, leaving);
  }

  /** ConsumerGroupHeartbeat of the KIP-848 protocol (consumer/heartbeat.ts). */
  consumerHeartbeat(req: ConsumerHeartbeatRequest): Promise<ConsumerHeartbeatResult> {
    return consumerGroupHeartbeat(this, req);
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

  /** Stops a group's timers and answers its parked requests with `code`. */
  private clearGroupTimers(group: Group, code: number): void {
    clearJoinTimer(group);
    clearSyncTimer(group);
    group.consumer?.stopTimers();
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
    this.ownership.stop();
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    for (const g of this.groups.values()) this.clearGroupTimers(g, ErrorCode.NOT_COORDINATOR);
  }
}

/**
 * A member of a classic consumer group (protocol type "consumer", the `range` assignor), the way
 * Kafka's consumers join: FindCoordinator → JoinGroup (again with the member id the broker hands
 * out, KIP-394) → the leader computes the assignment → SyncGroup → heartbeats every few seconds
 * until the coordinator says to rejoin. Offsets are committed with the member's generation.
 * Rebalances are eager: the caller stops fetching, commits, and calls join() again.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { newJoinGroupRequestProtocol, newLeaveGroupRequestMember, newSyncGroupRequestAssignment, type SyncGroupRequestAssignment } from '../../protocol/generated/index.js';
import type { HeartbeatResponse, JoinGroupResponse, LeaveGroupResponse, SyncGroupResponse } from '../../protocol/generated/index.js';
import { Admin, type CommittedOffset, type TopicPartition } from './admin.js';
import { ApiKey } from './api-keys.js';
import { isCoordinatorError, type KafkaClient } from './cluster.js';
import { assignmentPartitions, CONSUMER_PROTOCOL_TYPE, encodeAssignment, encodeSubscription, subscriptionTopics } from '../../protocol/consumer-protocol.js';
import { KafkaResponseError } from './errors.js';
import { RANGE_ASSIGNOR, rangeAssign } from './range-assignor.js';

export interface GroupMemberOptions {
  groupId: string;
  topics: string[];
  /** Default 10000 (within the broker's group.min/max.session.timeout.ms). */
  sessionTimeoutMs?: number;
  /** How long the coordinator waits for members to rejoin. Default 30000. */
  rebalanceTimeoutMs?: number;
  /** Default 3000. */
  heartbeatIntervalMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class GroupMember {
  memberId = '';
  generationId = -1;
  /** Set when the coordinator asked for a rejoin (or the member lost its place). */
  needsRejoin = true;
  assignment = new Map<string, number[]>();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heartbeatInFlight = false;
  private readonly admin: Admin;
  private readonly sessionTimeoutMs: number;
  private readonly rebalanceTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;

  constructor(
    private readonly client: KafkaClient,
    readonly opts: GroupMemberOptions,
  ) {
    this.admin = new Admin(client);
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? 10_000;
    this.rebalanceTimeoutMs = opts.rebalanceTimeoutMs ?? 30_000;
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 3000;
  }

  get groupId(): string {
    return this.opts.groupId;
  }

  /** Joins (or rejoins) the group and returns this member's partitions. */
  async join(): Promise<Map<string, number[]>> {
    this.stopHeartbeats();
    for (let attempt = 0; ; attempt++) {
      const conn = await this.client.coordinator(this.groupId);
      const join = await conn.send<JoinGroupResponse>(
        ApiKey.JoinGroup,
        {
          groupId: this.groupId,
          sessionTimeoutMs: this.sessionTimeoutMs,
          rebalanceTimeoutMs: this.rebalanceTimeoutMs,
          memberId: this.memberId,
          groupInstanceId: null,
          protocolType: CONSUMER_PROTOCOL_TYPE,
          protocols: [newJoinGroupRequestProtocol({ name: RANGE_ASSIGNOR, metadata: encodeSubscription(this.opts.topics) })],
          reason: null,
        },
        { extraTimeoutMs: this.rebalanceTimeoutMs + 5000 },
      );
      if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = join.memberId;
        continue;
      }
      if (join.errorCode !== ErrorCode.NONE) {
        await this.recover(join.errorCode, 'JoinGroup', attempt);
        continue;
      }
      this.memberId = join.memberId;
      this.generationId = join.generationId;
      let assignments: SyncGroupRequestAssignment[] = [];
      if (join.leader === join.memberId) assignments = await this.assign(join.members);
      const sync = await conn.send<SyncGroupResponse>(
        ApiKey.SyncGroup,
        { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null, protocolType: CONSUMER_PROTOCOL_TYPE, protocolName: RANGE_ASSIGNOR, assignments },
        { extraTimeoutMs: this.rebalanceTimeoutMs + 5000 },
      );
      if (sync.errorCode !== ErrorCode.NONE) {
        await this.recover(sync.errorCode, 'SyncGroup', attempt);
        continue;
      }
      this.assignment = assignmentPartitions(sync.assignment) ?? new Map();
      this.needsRejoin = false;
      this.startHeartbeats();
      return this.assignment;
    }
  }

  /** Leader only: the range assignment of every member's subscription. */
  private async assign(members: JoinGroupResponse['members']): Promise<SyncGroupRequestAssignment[]> {
    const subs = members.map((m) => ({ memberId: m.memberId, topics: subscriptionTopics(m.metadata) ?? [] }));
    const counts = new Map<string, number>();
    for (const topic of new Set(subs.flatMap((s) => s.topics))) {
      try {
        counts.set(topic, (await this.client.topic(topic, { refresh: true })).partitions.length);
      } catch {
        counts.set(topic, 0); // a topic that does not exist yet gets no partitions
      }
    }
    const plan = rangeAssign(subs, counts);
    return subs.map((s) => newSyncGroupRequestAssignment({ memberId: s.memberId, assignment: encodeAssignment(plan.get(s.memberId) ?? new Map()) }));
  }

  /** What to do after a JoinGroup/SyncGroup error: rejoin (maybe as a new member) or give up. */
  private async recover(code: number, what: string, attempt: number): Promise<void> {
    if (attempt > 50) throw new KafkaResponseError(code, `${what} for group ${this.groupId}`);
    if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
    else if (isCoordinatorError(code)) this.client.forgetCoordinator(this.groupId);
    else if (code !== ErrorCode.REBALANCE_IN_PROGRESS && code !== ErrorCode.ILLEGAL_GENERATION) throw new KafkaResponseError(code, `${what} for group ${this.groupId}`);
    await sleep(code === ErrorCode.REBALANCE_IN_PROGRESS ? 0 : Math.min(100 * (attempt + 1), 1000));
  }

  private startHeartbeats(): void {
    this.stopHeartbeats();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private async heartbeat(): Promise<void> {
    if (this.heartbeatInFlight || this.needsRejoin) return;
    this.heartbeatInFlight = true;
    try {
      const conn = await this.client.coordinator(this.groupId);
      const res = await conn.send<HeartbeatResponse>(ApiKey.Heartbeat, { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null });
      if (res.errorCode === ErrorCode.NONE) return;
      if (isCoordinatorError(res.errorCode)) this.client.forgetCoordinator(this.groupId);
      else {
        if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
        this.needsRejoin = true;
      }
    } catch {
      // The connection failed: the next tick tries again (the session timeout is the limit).
    } finally {
      this.heartbeatInFlight = false;
    }
  }

  /** Commits offsets as this member; a rebalance in the meantime marks it for rejoin and throws. */
  async commit(offsets: Array<TopicPartition & { offset: number }>): Promise<void> {
    if (offsets.length === 0) return;
    const results = await this.admin.commitOffsets(this.groupId, offsets, { generationId: this.generationId, memberId: this.memberId });
    const failed = results.find((r) => r.errorCode !== ErrorCode.NONE);
    if (!failed) return;
    if (failed.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || failed.errorCode === ErrorCode.ILLEGAL_GENERATION || failed.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.needsRejoin = true;
    throw new KafkaResponseError(failed.errorCode, `OffsetCommit ${failed.topic}-${failed.partition} for group ${this.groupId}`);
  }

  committed(partitions: TopicPartition[]): Promise<CommittedOffset[]> {
    return this.admin.committedOffsets(this.groupId, partitions);
  }

  /** Leaves the group so the others rebalance at once instead of after the session timeout. */
  async leave(): Promise<void> {
    this.stopHeartbeats();
    if (!this.memberId) return;
    try {
      const conn = await this.client.coordinator(this.groupId);
      const batched = conn.versionFor(ApiKey.LeaveGroup) >= 3;
      await conn.send<LeaveGroupResponse>(ApiKey.LeaveGroup, batched ? { groupId: this.groupId, members: [newLeaveGroupRequestMember({ memberId: this.memberId, groupInstanceId: null, reason: 'the consumer is being closed' })] } : { groupId: this.groupId, memberId: this.memberId });
    } finally {
      this.memberId = '';
      this.generationId = -1;
      this.needsRejoin = true;
    }
  }
}

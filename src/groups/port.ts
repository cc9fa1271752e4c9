/**
 * The groups port: what request handlers use of the group coordinator — the classic group
 * protocol (join, sync, heartbeat, leave), committed offsets (plain and transactional), the admin
 * operations (describe, list, delete groups and offsets) and where a group's coordinator state
 * lives (its __consumer_offsets partition). GroupService (service.ts) implements it over the
 * GroupCoordinator.
 */
import type { GroupDescription, GroupListing } from './admin.js';
import type { HeartbeatRequest, JoinRequest, LeaveResult, LeavingMember, SyncRequest } from './coordinator.js';
import type { JoinResult, SyncResult } from './member.js';
import type { FetchedOffset, OffsetCommitRequest } from './offsets.js';
import type { TxnOffsetCommitRequest } from './txn-offsets.js';
import type { ConsumerHeartbeatRequest, ConsumerHeartbeatResult } from './consumer/heartbeat.js';
import type { DescribedConsumerGroup } from './consumer/describe.js';

export type { ConsumerHeartbeatRequest, ConsumerHeartbeatResult, DescribedConsumerGroup };

export type { FetchedOffset, GroupDescription, GroupListing, HeartbeatRequest, JoinRequest, JoinResult, LeaveResult, LeavingMember, OffsetCommitRequest, SyncRequest, SyncResult, TxnOffsetCommitRequest };

export interface GroupsPort {
  /** True once shutdown began: coordinator requests get COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR. */
  readonly stopping: boolean;
  /** Creates __consumer_offsets if it does not exist yet (FindCoordinator, AddOffsetsToTxn). */
  ensureOffsetsTopic(): Promise<void>;
  /** The __consumer_offsets partition holding the group's state. */
  partitionFor(groupId: string): number;
  /**
   * Why this broker cannot coordinate `groupId` now (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS,
   * COORDINATOR_NOT_AVAILABLE), or NONE; creates __consumer_offsets first when missing.
   * Share groups (src/share/) ask it: their coordinator is the group coordinator.
   */
  coordinatorRefusal(groupId: string): number | Promise<number>;
  /** Whether a classic or consumer group `groupId` exists here (an Empty one holding offsets counts). */
  hasGroup(groupId: string): boolean;
  /** Whether the topic-partition exists (offsets are only committed for those). */
  partitionExists(topic: string, partition: number): boolean;

  join(req: JoinRequest): Promise<JoinResult>;
  sync(req: SyncRequest): Promise<SyncResult>;
  /** The error code (NONE, REBALANCE_IN_PROGRESS, ...). */
  heartbeat(req: HeartbeatRequest): number;
  leave(groupId: string, leaving: readonly LeavingMember[]): LeaveResult;

  /** One error code per offset, in request order. */
  commitOffsets(req: OffsetCommitRequest): Promise<number[]>;
  /** The requested partitions' committed offsets, or every committed one for `partitions` null. */
  fetchOffsets(
    groupId: string,
    partitions: Array<{ topic: string; partition: number }> | null,
    requireStable: boolean,
    /** OffsetFetch v9: the consumer group member asking (its epoch is checked); null: not a member. */
    member?: { memberId: string | null; memberEpoch: number } | null,
  ): { errorCode: number; offsets: FetchedOffset[] };
  /** OffsetDelete: the group error, or one code per partition. */
  deleteOffsets(groupId: string, partitions: Array<{ topic: string; partition: number }>): Promise<{ errorCode: number; partitions: number[] }>;
  /** TxnOffsetCommit: one error code per offset, in request order. */
  commitTxnOffsets(req: TxnOffsetCommitRequest): Promise<number[]>;

  /** ConsumerGroupHeartbeat (KIP-848): join, heartbeat or leave a consumer group. */
  consumerGroupHeartbeat(req: ConsumerHeartbeatRequest): Promise<ConsumerHeartbeatResult>;
  /** ConsumerGroupDescribe (KIP-848). */
  describeConsumerGroup(groupId: string): DescribedConsumerGroup;

  describeGroup(groupId: string): GroupDescription;
  listGroups(states: readonly string[]): { errorCode: number; groups: GroupListing[] };
  /** One error code per group id. */
  deleteGroups(groupIds: readonly string[]): Promise<number[]>;
}

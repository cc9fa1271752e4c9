/**
 * GroupService: the groups port (port.ts) over the GroupCoordinator and the operations kept beside
 * it (offsets.ts, txn-offsets.ts, admin.ts). It only forwards; the rules live in those modules.
 */
import { deleteGroups, describeGroup, listGroups, type GroupDescription, type GroupListing } from './admin.js';
import type { GroupCoordinator, HeartbeatRequest, JoinRequest, LeaveResult, LeavingMember, SyncRequest } from './coordinator.js';
import type { JoinResult, SyncResult } from './member.js';
import { commitOffsets, deleteOffsets, fetchOffsets, type FetchedOffset, type OffsetCommitRequest } from './offsets.js';
import type { GroupsPort } from './port.js';
import { commitTxnOffsets, type TxnOffsetCommitRequest } from './txn-offsets.js';
import { describeConsumerGroup, type DescribedConsumerGroup } from './consumer/describe.js';
import type { ConsumerHeartbeatRequest, ConsumerHeartbeatResult } from './consumer/heartbeat.js';

export class GroupService implements GroupsPort {
  constructor(readonly coordinator: GroupCoordinator) {}

  get stopping(): boolean {
    return this.coordinator.stopping;
  }

  ensureOffsetsTopic(): Promise<void> {
    return this.coordinator.ensureOffsetsTopic();
  }

  partitionFor(groupId: string): number {
    return this.coordinator.partitionFor(groupId);
  }

  coordinatorRefusal(groupId: string): number | Promise<number> {
    return this.coordinator.readyFor(groupId);
  }

  hasGroup(groupId: string): boolean {
    const group = this.coordinator.getGroup(groupId);
    return group !== undefined && !group.is('Dead');
  }

  partitionExists(topic: string, partition: number): boolean {
    return this.coordinator.partitionExists(topic, partition);
  }

  join(req: JoinRequest): Promise<JoinResult> {
    return this.coordinator.join(req);
  }

  sync(req: SyncRequest): Promise<SyncResult> {
    return this.coordinator.sync(req);
  }

  heartbeat(req: HeartbeatRequest): number {
    return this.coordinator.heartbeat(req);
  }

  leave(groupId: string, leaving: readonly LeavingMember[]): LeaveResult {
    return this.coordinator.leave(groupId, leaving);
  }

  commitOffsets(req: OffsetCommitRequest): Promise<number[]> {
    return commitOffsets(this.coordinator, req);
  }

  fetchOffsets(
    groupId: string,
    partitions: Array<{ topic: string; partition: number }> | null,
    requireStable: boolean,
    member: { memberId: string | null; memberEpoch: number } | null = null,
  ): { errorCode: number; offsets: FetchedOffset[] } {
    return fetchOffsets(this.coordinator, groupId, partitions, requireStable, member);
  }

  deleteOffsets(groupId: string, partitions: Array<{ topic: string; partition: number }>): Promise<{ errorCode: number; partitions: number[] }> {
    return deleteOffsets(this.coordinator, groupId, partitions);
  }

  commitTxnOffsets(req: TxnOffsetCommitRequest): Promise<number[]> {
    return commitTxnOffsets(this.coordinator, req);
  }

  consumerGroupHeartbeat(req: ConsumerHeartbeatRequest): Promise<ConsumerHeartbeatResult> {
    return this.coordinator.consumerHeartbeat(req);
  }

  describeConsumerGroup(groupId: string): DescribedConsumerGroup {
    return describeConsumerGroup(this.coordinator, groupId);
  }

  describeGroup(groupId: string): GroupDescription {
    return describeGroup(this.coordinator, groupId);
  }

  listGroups(states: readonly string[]): { errorCode: number; groups: GroupListing[] } {
    return listGroups(this.coordinator, states);
  }

  deleteGroups(groupIds: readonly string[]): Promise<number[]> {
    return deleteGroups(this.coordinator, groupIds);
  }
}

/**
 * One group type per group id, as Kafka keeps it: a share group's id is refused by the classic and
 * consumer group APIs, and a classic or consumer group's id by ShareGroupHeartbeat. "Exists" is
 * Kafka's: a classic group counts even when it is Empty and only holds committed offsets (an
 * OffsetCommit with generation -1 makes one). Both kinds of group live on the group's coordinator
 * (the same __consumer_offsets partition), so the broker asked knows both.
 *
 * Kafka's answers (checked by test/differential/group-types.test.ts):
 * - ShareGroupHeartbeat, id of a classic or consumer group: GROUP_ID_NOT_FOUND "Group X is not a share group."
 * - ConsumerGroupHeartbeat, id of a share group: GROUP_ID_NOT_FOUND "Group X is not a consumer group."
 * - JoinGroup, id of a share group: INCONSISTENT_GROUP_PROTOCOL, member id "".
 * - ConsumerGroupDescribe, id of a share group: GROUP_ID_NOT_FOUND "Group X is not a consumer group."
 * - OffsetCommit, id of a share group: GROUP_ID_NOT_FOUND on every partition.
 * SyncGroup, Heartbeat and LeaveGroup need a member the share group does not have, and OffsetFetch
 * and OffsetDelete find no classic group, so they already answer as Kafka does without a check here
 * (UNKNOWN_MEMBER_ID; no offsets; GROUP_ID_NOT_FOUND). DescribeGroups has its own (15-describe-groups.ts).
 */
import type { BrokerServices } from './types.js';

type Groups = Pick<BrokerServices, 'groups' | 'shareGroups'>;

/** Whether `groupId` is a share group (KIP-932) coordinated here. */
export function isShareGroup(ctx: Groups, groupId: string): boolean {
  return ctx.shareGroups.hasGroup(groupId);
}

/** Whether `groupId` is a classic or consumer group coordinated here (Empty with offsets counts). */
export function isClassicOrConsumerGroup(ctx: Groups, groupId: string): boolean {
  return ctx.groups.hasGroup(groupId);
}

export const notShareGroup = (groupId: string): string => `Group ${groupId} is not a share group.`;
export const notConsumerGroup = (groupId: string): string => `Group ${groupId} is not a consumer group.`;

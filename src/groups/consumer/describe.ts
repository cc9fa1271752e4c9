/**
 * ConsumerGroupDescribe (KIP-848) as Kafka's ConsumerGroup.asDescribedGroup: group and assignment
 * epochs, the assignor, and per member its subscription, current and target assignment (with topic
 * names). An unknown group, or a classic one, is GROUP_ID_NOT_FOUND with Kafka's messages.
 */
import { ErrorCode } from '../../../protocol/errors.js';
import type { GroupCoordinator } from '../coordinator.js';
import { partitionCount, type Assignment } from './assignment.js';

export interface DescribedAssignment {
  topicPartitions: Array<{ topicId: Buffer; topicName: string; partitions: number[] }>;
}

export interface DescribedConsumerMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  memberEpoch: number;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string;
  assignment: DescribedAssignment;
  targetAssignment: DescribedAssignment;
  /** Whether it uses the classic protocol (a migrating group): ConsumerGroupDescribe v1's MemberType 0. */
  classic: boolean;
}

export interface DescribedConsumerGroup {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  groupState: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: DescribedConsumerMember[];
}

export function describeConsumerGroup(coord: GroupCoordinator, groupId: string): DescribedConsumerGroup {
  const none = (errorCode: number, errorMessage: string | null): DescribedConsumerGroup => ({ errorCode, errorMessage, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] });
  const refused = coord.refusal(groupId);
  if (refused !== ErrorCode.NONE) return none(refused, null);
  const group = coord.getGroup(groupId);
  if (!group || group.is('Dead')) return none(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} not found.`);
  const cg = group.consumer;
  if (!cg) return none(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
  const named = (a: Assignment): DescribedAssignment => ({
    topicPartitions: [...a].map(([id, parts]) => {
      const topicId = Buffer.from(id, 'hex');
      return { topicId, topicName: coord.topics.byId(topicId)?.name ?? '', partitions: [...parts].sort((x, y) => x - y) };
    }),
  });
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    groupId,
    groupState: cg.stateName(),
    groupEpoch: cg.groupEpoch,
    assignmentEpoch: cg.assignmentEpoch,
    assignorName: cg.assignorName === '' ? (coord.consumerCfg().assignors[0] ?? 'uniform') : cg.assignorName,
    members: [...cg.members.values()].map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      rackId: m.rackId,
      memberEpoch: m.memberEpoch,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: m.subscribedTopicNames,
      // Kafka shows "" for a member without a regex.
      subscribedTopicRegex: m.subscribedTopicRegex ?? '',
      assignment: named(m.assigned),
      targetAssignment: named(cg.target.get(m.memberId) ?? new Map()),
      classic: m.classic !== null,
    })),
  };
}

/** Partitions owned per member, for the lag view of a consumer group. */
export function consumerGroupOwners(coord: GroupCoordinator, groupId: string): Map<string, { memberId: string; clientId: string }> {
  const out = new Map<string, { memberId: string; clientId: string }>();
  const cg = coord.getGroup(groupId)?.consumer;
  if (!cg) return out;
  for (const m of cg.members.values()) {
    if (partitionCount(m.assigned) === 0) continue;
    for (const [id, parts] of m.assigned) {
      const name = coord.topics.byId(Buffer.from(id, 'hex'))?.name;
      if (name !== undefined) for (const p of parts) out.set(`${name}\u0000${p}`, { memberId: m.memberId, clientId: m.clientId });
    }
  }
  return out;
}

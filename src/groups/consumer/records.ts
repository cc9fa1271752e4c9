/**
 * The consumer group records of `__consumer_offsets`, byte for byte Kafka 4's (record types 3-8;
 * 16, resolved regexes, is read and ignored: regexes are resolved again on load). Each key is an
 * int16 record type followed by the key fields; each value an int16 version (0) followed by the
 * flexible value. A null value is a tombstone.
 *
 *   3  ConsumerGroupMetadata                 group epoch (+ metadata hash, tagged)
 *   4  ConsumerGroupPartitionMetadata        subscribed topic metadata (Kafka < 4.1; read, not written)
 *   5  ConsumerGroupMemberMetadata           one member: ids, subscription, assignor
 *   6  ConsumerGroupTargetAssignmentMetadata target assignment epoch
 *   7  ConsumerGroupTargetAssignmentMember   one member's target partitions
 *   8  ConsumerGroupCurrentMemberAssignment  one member's epoch, state, owned and revoking partitions
 */
import {
  decodeConsumerGroupCurrentMemberAssignmentKey,
  decodeConsumerGroupMemberMetadataKey,
  decodeConsumerGroupMetadataKey,
  decodeConsumerGroupPartitionMetadataKey,
  decodeConsumerGroupRegularExpressionKey,
  decodeConsumerGroupTargetAssignmentMemberKey,
  decodeConsumerGroupTargetAssignmentMetadataKey,
  readConsumerGroupCurrentMemberAssignmentValue,
  readConsumerGroupMemberMetadataValue,
  readConsumerGroupMetadataValue,
  readConsumerGroupTargetAssignmentMemberValue,
  readConsumerGroupTargetAssignmentMetadataValue,
  writeConsumerGroupCurrentMemberAssignmentKey,
  writeConsumerGroupCurrentMemberAssignmentValue,
  writeConsumerGroupMemberMetadataKey,
  writeConsumerGroupMemberMetadataValue,
  writeConsumerGroupMetadataKey,
  writeConsumerGroupMetadataValue,
  writeConsumerGroupPartitionMetadataKey,
  writeConsumerGroupTargetAssignmentMemberKey,
  writeConsumerGroupTargetAssignmentMemberValue,
  writeConsumerGroupTargetAssignmentMetadataKey,
  writeConsumerGroupTargetAssignmentMetadataValue,
} from '../../../protocol/generated/data/index.js';
import { Reader } from '../../../protocol/primitives.js';
import type { KeyedRecord } from '../offsets-log.js';
import { assignmentFrom, assignmentToList, type Assignment } from './assignment.js';
import { readClassicMetadata, withClassicMetadata } from './classic-metadata-record.js';
import type { ClassicProtocolMetadata, ConsumerMember } from './group.js';
import type { MemberStateCode } from './reconcile.js';

export const RecordType = { METADATA: 3, PARTITION_METADATA: 4, MEMBER: 5, TARGET_METADATA: 6, TARGET_MEMBER: 7, CURRENT_ASSIGNMENT: 8, REGEX: 16 } as const;

export type ConsumerRecordKey =
  | { type: 3 | 4 | 6; group: string }
  | { type: 5 | 7 | 8; group: string; memberId: string }
  | { type: 16; group: string };

/** The key of a consumer group record, or null for other record types. */
export function decodeConsumerKey(b: Buffer): ConsumerRecordKey | null {
  const r = new Reader(b);
  const type = r.int16();
  let key: ConsumerRecordKey | null = null;
  switch (type) {
    case 3:
      key = { type, group: decodeConsumerGroupMetadataKey(r, type).groupId };
      break;
    case 4:
      key = { type, group: decodeConsumerGroupPartitionMetadataKey(r, type).groupId };
      break;
    case 6:
      key = { type, group: decodeConsumerGroupTargetAssignmentMetadataKey(r, type).groupId };
      break;
    case 5: {
      const k = decodeConsumerGroupMemberMetadataKey(r, type);
      key = { type, group: k.groupId, memberId: k.memberId };
      break;
    }
    case 7: {
      const k = decodeConsumerGroupTargetAssignmentMemberKey(r, type);
      key = { type, group: k.groupId, memberId: k.memberId };
      break;
    }
    case 8: {
      const k = decodeConsumerGroupCurrentMemberAssignmentKey(r, type);
      key = { type, group: k.groupId, memberId: k.memberId };
      break;
    }
    case 16:
      key = { type, group: decodeConsumerGroupRegularExpressionKey(r, type).groupId };
      break;
    default:
      return null;
  }
  return r.error === null ? key : null;
}

export function groupEpochRecord(group: string, epoch: number, metadataHash: number): KeyedRecord {
  return { key: writeConsumerGroupMetadataKey(3, { groupId: group }), value: writeConsumerGroupMetadataValue(0, { epoch, metadataHash }) };
}

export function memberRecord(group: string, m: ConsumerMember): KeyedRecord {
  return {
    key: writeConsumerGroupMemberMetadataKey(5, { groupId: group, memberId: m.memberId }),
    value: withClassicMetadata(writeConsumerGroupMemberMetadataValue(0, {
      instanceId: m.instanceId,
      rackId: m.rackId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: m.subscribedTopicNames,
      subscribedTopicRegex: m.subscribedTopicRegex,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      serverAssignor: m.serverAssignor,
    }), m.classic),
  };
}

export function targetMemberRecord(group: string, memberId: string, a: Assignment): KeyedRecord {
  return { key: writeConsumerGroupTargetAssignmentMemberKey(7, { groupId: group, memberId }), value: writeConsumerGroupTargetAssignmentMemberValue(0, { topicPartitions: assignmentToList(a) }) };
}

export function targetEpochRecord(group: string, epoch: number, now: number): KeyedRecord {
  return { key: writeConsumerGroupTargetAssignmentMetadataKey(6, { groupId: group }), value: writeConsumerGroupTargetAssignmentMetadataValue(0, { assignmentEpoch: epoch, assignmentTimestamp: now }) };
}

export function currentAssignmentRecord(group: string, m: ConsumerMember): KeyedRecord {
  return {
    key: writeConsumerGroupCurrentMemberAssignmentKey(8, { groupId: group, memberId: m.memberId }),
    value: writeConsumerGroupCurrentMemberAssignmentValue(0, {
      memberEpoch: m.memberEpoch,
      previousMemberEpoch: m.previousMemberEpoch,
      state: m.state,
      assignedPartitions: assignmentToList(m.assigned).map((t) => {
        const id = t.topicId.toString('hex');
        return { ...t, assignmentEpochs: t.partitions.map((p) => m.ownedSince.get(`${id}:${p}`) ?? m.memberEpoch) };
      }),
      partitionsPendingRevocation: assignmentToList(m.pendingRevocation),
    }),
  };
}

/** Tombstones removing a member: current assignment, target assignment, then its metadata (Kafka's order). */
export function memberTombstones(group: string, memberId: string): KeyedRecord[] {
  return [
    { key: writeConsumerGroupCurrentMemberAssignmentKey(8, { groupId: group, memberId }), value: null },
    { key: writeConsumerGroupTargetAssignmentMemberKey(7, { groupId: group, memberId }), value: null },
    { key: writeConsumerGroupMemberMetadataKey(5, { groupId: group, memberId }), value: null },
  ];
}

/** Tombstones removing a group's own records (its members' go first, with memberTombstones). */
export function groupTombstones(group: string): KeyedRecord[] {
  return [
    { key: writeConsumerGroupTargetAssignmentMetadataKey(6, { groupId: group }), value: null },
    { key: writeConsumerGroupPartitionMetadataKey(4, { groupId: group }), value: null },
    { key: writeConsumerGroupMetadataKey(3, { groupId: group }), value: null },
  ];
}

// Values, decoded for the load. null when unreadable (the record is skipped).

export function readGroupEpoch(b: Buffer): { epoch: number; metadataHash: number } | null {
  const m = readConsumerGroupMetadataValue(b)?.message;
  return m ? { epoch: m.epoch, metadataHash: m.metadataHash } : null;
}

export interface StoredMember {
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  rebalanceTimeoutMs: number;
  serverAssignor: string | null;
  /** Set for a member using the classic protocol (tagged field 0). */
  classic: ClassicProtocolMetadata | null;
}

export function readMember(b: Buffer): StoredMember | null {
  const m = readConsumerGroupMemberMetadataValue(b)?.message;
  return m
    ? {
        instanceId: m.instanceId,
        rackId: m.rackId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: [...m.subscribedTopicNames],
        subscribedTopicRegex: m.subscribedTopicRegex,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        serverAssignor: m.serverAssignor,
        classic: readClassicMetadata(b),
      }
    : null;
}

export function readTargetEpoch(b: Buffer): number | null {
  return readConsumerGroupTargetAssignmentMetadataValue(b)?.message.assignmentEpoch ?? null;
}

export function readTargetMember(b: Buffer): Assignment | null {
  const m = readConsumerGroupTargetAssignmentMemberValue(b)?.message;
  return m ? assignmentFrom(m.topicPartitions) : null;
}

export interface StoredCurrent {
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberStateCode;
  assigned: Assignment;
  pendingRevocation: Assignment;
  /** `${topicIdHex}:${partition}` → the epoch since which it is owned (KIP-1251), when recorded. */
  ownedSince: Map<string, number>;
}

export function readCurrent(b: Buffer): StoredCurrent | null {
  const m = readConsumerGroupCurrentMemberAssignmentValue(b)?.message;
  return m
    ? {
        memberEpoch: m.memberEpoch,
        previousMemberEpoch: m.previousMemberEpoch,
        state: (m.state >= 0 && m.state <= 3 ? m.state : 3) as MemberStateCode,
        assigned: assignmentFrom(m.assignedPartitions),
        pendingRevocation: assignmentFrom(m.partitionsPendingRevocation),
        ownedSince: ownedSinceOf(m.assignedPartitions),
      }
    : null;
}

function ownedSinceOf(list: ReadonlyArray<{ topicId: Buffer; partitions: number[]; assignmentEpochs: number[] | null }>): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of list) {
    if (t.assignmentEpochs === null || t.assignmentEpochs.length !== t.partitions.length) continue;
    const id = t.topicId.toString('hex');
    t.partitions.forEach((p, i) => out.set(`${id}:${p}`, t.assignmentEpochs![i]!));
  }
  return out;
}

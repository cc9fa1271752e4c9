/**
 * Share groups in `__consumer_offsets` (KIP-932), in Kafka 4.4's record formats and key types, so
 * that a share group and its members outlive a restart and, in a cluster, a coordinator move:
 *
 *   10 ShareGroupMemberMetadata          a member's rack, client id/host and subscribed topics
 *   11 ShareGroupMetadata                the group epoch
 *   12 ShareGroupTargetAssignmentMetadata the epoch the target assignment was computed at
 *   13 ShareGroupTargetAssignmentMember  a member's target partitions
 *   14 ShareGroupCurrentMemberAssignment a member's epoch (the one its next heartbeat carries)
 *   15 ShareGroupStatePartitionMetadata  the topic-partitions whose share state is initialised
 *
 * All sit in the group's __consumer_offsets partition (offsetsPartitionFor, as Kafka places a
 * group). A member leaving writes tombstones of 14, 13 and 10 (Kafka's order); deleting the group
 * tombstones 12, 15 and 11, and a tombstone of 11 drops the whole group at load.
 *
 * The group coordinator reads the same partitions and skips these record types; this module
 * writes and reads them on its own (appends to a partition keep their order whoever makes them).
 */
import {
  readShareGroupCurrentMemberAssignmentValue,
  readShareGroupMemberMetadataValue,
  readShareGroupMetadataValue,
  readShareGroupStatePartitionMetadataValue,
  readShareGroupTargetAssignmentMemberValue,
  readShareGroupTargetAssignmentMetadataValue,
  writeShareGroupCurrentMemberAssignmentKey,
  writeShareGroupCurrentMemberAssignmentValue,
  writeShareGroupMemberMetadataKey,
  writeShareGroupMemberMetadataValue,
  writeShareGroupMetadataKey,
  writeShareGroupMetadataValue,
  writeShareGroupStatePartitionMetadataKey,
  writeShareGroupStatePartitionMetadataValue,
  writeShareGroupTargetAssignmentMemberKey,
  writeShareGroupTargetAssignmentMemberValue,
  writeShareGroupTargetAssignmentMetadataKey,
  writeShareGroupTargetAssignmentMetadataValue,
} from '../../protocol/generated/data/index.js';
import { Reader } from '../../protocol/primitives.js';
import type { ConfigView } from '../config/view.js';
import type { InternalTopicHost } from '../data/internal-topic.js';
import type { PartitionsPort } from '../data/partitions.js';
import { TopicOffsetsLog, type KeyedRecord, type OffsetsLog } from '../groups/offsets-log.js';
import { offsetsPartitionFor } from '../groups/offsets-partition.js';
import type { TopicsPort } from '../metadata/port.js';

export type { KeyedRecord };

const MEMBER = 10;
const METADATA = 11;
const TARGET_METADATA = 12;
const TARGET_MEMBER = 13;
const CURRENT_ASSIGNMENT = 14;
const STATE_PARTITIONS = 15;
/** Kafka's MemberState.STABLE: share members never revoke, so they are always stable. */
const STABLE = 0;

/** topic id hex → partitions. */
export type StoredAssignment = Map<string, number[]>;

export interface StoredShareMember {
  /** Null until the member's metadata record (10) is read: 13/14 alone make no member. */
  metadata: { rackId: string | null; clientId: string; clientHost: string; subscribedTopicNames: string[] } | null;
  memberEpoch: number;
  previousMemberEpoch: number;
  /** The target assignment (13). */
  target: StoredAssignment;
}

export interface StoredShareGroup {
  epoch: number;
  assignmentEpoch: number;
  /** topic id hex → name and partitions whose share state is initialised. */
  initialized: Map<string, { name: string; partitions: Set<number> }>;
  members: Map<string, StoredShareMember>;
}

const toTopicPartitions = (a: ReadonlyMap<string, readonly number[]>) => [...a].map(([hex, ps]) => ({ topicId: Buffer.from(hex, 'hex'), partitions: [...ps].sort((x, y) => x - y) }));
const fromTopicPartitions = (tps: ReadonlyArray<{ topicId: Buffer; partitions: number[] }>): StoredAssignment => new Map(tps.map((t) => [t.topicId.toString('hex'), [...t.partitions]]));

// ---- records (keys and values in Kafka's formats) ------------------------------------------

export function groupEpochRecord(groupId: string, epoch: number): KeyedRecord {
  return { key: writeShareGroupMetadataKey(METADATA, { groupId }), value: writeShareGroupMetadataValue(0, { epoch, metadataHash: 0 }) };
}

export function statePartitionsRecord(groupId: string, initialized: StoredShareGroup['initialized']): KeyedRecord {
  const initializedTopics = [...initialized].map(([hex, t]) => ({ topicId: Buffer.from(hex, 'hex'), topicName: t.name, partitions: [...t.partitions].sort((a, b) => a - b) }));
  return { key: writeShareGroupStatePartitionMetadataKey(STATE_PARTITIONS, { groupId }), value: writeShareGroupStatePartitionMetadataValue(0, { initializingTopics: [], initializedTopics, deletingTopics: [] }) };
}

export function memberRecord(groupId: string, m: { memberId: string; rackId: string | null; clientId: string; clientHost: string; subscribedTopicNames: readonly string[] }): KeyedRecord {
  return {
    key: writeShareGroupMemberMetadataKey(MEMBER, { groupId, memberId: m.memberId }),
    value: writeShareGroupMemberMetadataValue(0, { rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: [...m.subscribedTopicNames] }),
  };
}

export function targetEpochRecord(groupId: string, assignmentEpoch: number): KeyedRecord {
  return { key: writeShareGroupTargetAssignmentMetadataKey(TARGET_METADATA, { groupId }), value: writeShareGroupTargetAssignmentMetadataValue(0, { assignmentEpoch, assignmentTimestamp: Date.now() }) };
}

export function targetMemberRecord(groupId: string, memberId: string, assignment: ReadonlyMap<string, readonly number[]>): KeyedRecord {
  return { key: writeShareGroupTargetAssignmentMemberKey(TARGET_MEMBER, { groupId, memberId }), value: writeShareGroupTargetAssignmentMemberValue(0, { topicPartitions: toTopicPartitions(assignment) }) };
}

export function currentAssignmentRecord(groupId: string, memberId: string, memberEpoch: number, previousMemberEpoch: number, assignment: ReadonlyMap<string, readonly number[]>): KeyedRecord {
  return {
    key: writeShareGroupCurrentMemberAssignmentKey(CURRENT_ASSIGNMENT, { groupId, memberId }),
    value: writeShareGroupCurrentMemberAssignmentValue(0, { memberEpoch, previousMemberEpoch, state: STABLE, assignedPartitions: toTopicPartitions(assignment) }),
  };
}

/** A member's records gone (Kafka's order: current assignment, target, metadata). */
export function memberTombstones(groupId: string, memberId: string): KeyedRecord[] {
  return [
    { key: writeShareGroupCurrentMemberAssignmentKey(CURRENT_ASSIGNMENT, { groupId, memberId }), value: null },
    { key: writeShareGroupTargetAssignmentMemberKey(TARGET_MEMBER, { groupId, memberId }), value: null },
    { key: writeShareGroupMemberMetadataKey(MEMBER, { groupId, memberId }), value: null },
  ];
}

/** The group's own records gone (its members' go first, with memberTombstones). */
export function groupTombstones(groupId: string): KeyedRecord[] {
  return [
    { key: writeShareGroupTargetAssignmentMetadataKey(TARGET_METADATA, { groupId }), value: null },
    { key: writeShareGroupStatePartitionMetadataKey(STATE_PARTITIONS, { groupId }), value: null },
    { key: writeShareGroupMetadataKey(METADATA, { groupId }), value: null },
  ];
}

// ---- the log --------------------------------------------------------------------------------

export class ShareGroupRecords {
  private readonly log: OffsetsLog;

  /** `log`: where the records go (unit tests: a MemoryOffsetsLog); by default the broker's __consumer_offsets. */
  constructor(config: ConfigView, topics: TopicsPort & InternalTopicHost, partitions: PartitionsPort, log?: OffsetsLog) {
    this.log =
      log ??
      new TopicOffsetsLog({
        config,
        topics,
        partitions,
        appendTransactional: () => Promise.reject(new Error('share group records are never transactional')),
      });
  }

  partitionCount(): number {
    return this.log.partitionCount();
  }

  exists(): boolean {
    return this.log.exists();
  }

  partitionFor(groupId: string): number {
    return offsetsPartitionFor(groupId, this.log.partitionCount());
  }

  /** Appends the records to the group's partition as one batch (acks=all); resolves once durable. */
  async append(groupId: string, records: readonly KeyedRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.log.ensure();
    await this.log.append(this.partitionFor(groupId), records);
  }

  /** Every share group in __consumer_offsets (a single node reads them all at startup). */
  async load(): Promise<Map<string, StoredShareGroup>> {
    const out = new Map<string, StoredShareGroup>();
    if (!this.log.exists()) return out;
    for (let p = 0; p < this.log.partitionCount(); p++) await this.replay(p, out);
    return out;
  }

  /** The share groups of one partition (a coordinator that became its leader). */
  async loadPartition(partition: number): Promise<Map<string, StoredShareGroup>> {
    const out = new Map<string, StoredShareGroup>();
    if (this.log.exists()) await this.replay(partition, out);
    return out;
  }

  /** Replays one partition into `out`: later records win, tombstones delete. */
  private async replay(partition: number, out: Map<string, StoredShareGroup>): Promise<void> {
    const entry = (groupId: string): StoredShareGroup => {
      let g = out.get(groupId);
      if (!g) out.set(groupId, (g = { epoch: 0, assignmentEpoch: 0, initialized: new Map(), members: new Map() }));
      return g;
    };
    const member = (g: StoredShareGroup, memberId: string): StoredShareMember => {
      let m = g.members.get(memberId);
      if (!m) g.members.set(memberId, (m = { metadata: null, memberEpoch: 0, previousMemberEpoch: -1, target: new Map() }));
      return m;
    };
    await this.log.replay(partition, (key, value) => {
      const r = new Reader(key);
      const type = r.int16();
      if (r.error !== null || type < MEMBER || type > STATE_PARTITIONS) return;
      const groupId = r.string();
      const memberId = type === MEMBER || type === TARGET_MEMBER || type === CURRENT_ASSIGNMENT ? r.string() : '';
      if (r.error !== null) return;
      if (value === null) {
        if (type === METADATA) out.delete(groupId);
        else if (type === MEMBER) out.get(groupId)?.members.delete(memberId);
        else if (type === TARGET_MEMBER) out.get(groupId)?.members.get(memberId)?.target.clear();
        return;
      }
      switch (type) {
        case METADATA: {
          const v = readShareGroupMetadataValue(value);
          if (v) entry(groupId).epoch = v.message.epoch;
          break;
        }
        case STATE_PARTITIONS: {
          const v = readShareGroupStatePartitionMetadataValue(value);
          if (v) entry(groupId).initialized = new Map(v.message.initializedTopics.map((t) => [t.topicId.toString('hex'), { name: t.topicName, partitions: new Set(t.partitions) }]));
          break;
        }
        case TARGET_METADATA: {
          const v = readShareGroupTargetAssignmentMetadataValue(value);
          if (v) entry(groupId).assignmentEpoch = v.message.assignmentEpoch;
          break;
        }
        case MEMBER: {
          const v = readShareGroupMemberMetadataValue(value);
          if (v) member(entry(groupId), memberId).metadata = { rackId: v.message.rackId, clientId: v.message.clientId, clientHost: v.message.clientHost, subscribedTopicNames: v.message.subscribedTopicNames };
          break;
        }
        case TARGET_MEMBER: {
          const v = readShareGroupTargetAssignmentMemberValue(value);
          if (v) member(entry(groupId), memberId).target = fromTopicPartitions(v.message.topicPartitions);
          break;
        }
        case CURRENT_ASSIGNMENT: {
          const v = readShareGroupCurrentMemberAssignmentValue(value);
          if (!v) break;
          const m = member(entry(groupId), memberId);
          m.memberEpoch = v.message.memberEpoch;
          m.previousMemberEpoch = v.message.previousMemberEpoch;
          break;
        }
      }
    });
  }
}

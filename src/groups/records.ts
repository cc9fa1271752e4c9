/**
 * The record formats of `__consumer_offsets`, byte for byte Kafka's, so Kafka's own tools
 * (kafka-dump-log --offsets-decoder, kafka-console-consumer with the offsets formatter) read our
 * topic and we could read one written by Kafka. Written from the message specs in apache/kafka
 * `group-coordinator/src/main/resources/common/message/` (OffsetCommitKey/Value,
 * GroupMetadataKey/Value).
 *
 * Every key and value starts with an int16 version. The key version says what the record is:
 *   0, 1  offset commit   key: group string, topic string, partition int32
 *   2     group metadata  key: group string
 *   3+    records of the new consumer-group protocol, share groups... (not ours: skipped on load)
 * A null value is a tombstone (offset deleted / group deleted).
 *
 * OffsetCommitValue (we write v3, or v1 when an expire timestamp was given; we read 0-4):
 *   offset int64 | leaderEpoch int32 (v3+) | metadata string | commitTimestamp int64 |
 *   expireTimestamp int64 (v1 only)                          — v4 is flexible (compact + tags)
 * GroupMetadataValue (we write v3; we read 0-4):
 *   protocolType string | generation int32 | protocol string? | leader string? |
 *   currentStateTimestamp int64 (v2+) | members [memberId string, groupInstanceId string? (v3+),
 *   clientId string, clientHost string, rebalanceTimeout int32 (v1+), sessionTimeout int32,
 *   subscription bytes, assignment bytes]                    — v4 is flexible
 * Versions above 4 are read as 4: since KIP-915 newer versions only add tagged fields.
 */
import { Reader, Writer, stringSize, nullableStringSize, compactStringSize, compactBytesSize, uvarintSize } from '../../protocol/primitives.js';

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;

export interface OffsetCommitKey {
  type: 'offset';
  group: string;
  topic: string;
  partition: number;
}

export interface GroupMetadataKey {
  type: 'group';
  group: string;
}

export type RecordKey = OffsetCommitKey | GroupMetadataKey;

export interface OffsetCommitValue {
  offset: number;
  /** -1 when unknown. */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** -1 unless the commit carried a retention time (OffsetCommit v2-v4): then value version 1. */
  expireTimestamp: number;
}

export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout: number;
  sessionTimeout: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** -1 when unknown (value versions 0-1). */
  currentStateTimestamp: number;
  members: StoredMember[];
}

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  const w = new Writer(2 + stringSize(group) + stringSize(topic) + 4);
  w.int16(OFFSET_COMMIT_KEY_VERSION);
  w.string(group);
  w.string(topic);
  w.int32(partition);
  return w.finish();
}

export function encodeGroupMetadataKey(group: string): Buffer {
  const w = new Writer(2 + stringSize(group));
  w.int16(GROUP_METADATA_KEY_VERSION);
  w.string(group);
  return w.finish();
}

/** The key of a record, or null for record types that are not ours (key version 3+) or garbage. */
export function decodeKey(b: Buffer): RecordKey | null {
  const r = new Reader(b);
  const version = r.int16();
  let key: RecordKey | null = null;
  if (version === 0 || version === 1) {
    const group = r.string();
    const topic = r.string();
    const partition = r.int32();
    key = { type: 'offset', group, topic, partition };
  } else if (version === 2) {
    key = { type: 'group', group: r.string() };
  }
  return r.error === null ? key : null;
}

export function encodeOffsetCommitValue(v: OffsetCommitValue): Buffer {
  const version = v.expireTimestamp >= 0 ? 1 : 3;
  const size = 2 + 8 + (version >= 3 ? 4 : 0) + stringSize(v.metadata) + 8 + (version === 1 ? 8 : 0);
  const w = new Writer(size);
  w.int16(version);
  w.int64(v.offset);
  if (version >= 3) w.int32(v.leaderEpoch);
  w.string(v.metadata);
  w.int64(v.commitTimestamp);
  if (version === 1) w.int64(v.expireTimestamp);
  return w.finish();
}

export function decodeOffsetCommitValue(b: Buffer): OffsetCommitValue | null {
  const r = new Reader(b);
  const version = Math.min(r.int16(), 4);
  if (version < 0) return null;
  const flex = version >= 4;
  const offset = r.int64();
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = flex ? r.compactString() : r.string();
  const commitTimestamp = r.int64();
  const expireTimestamp = version === 1 ? r.int64() : -1;
  if (flex) r.taggedFields();
  return r.error === null ? { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp } : null;
}

const GROUP_VALUE_VERSION = 3;

export function encodeGroupMetadataValue(g: GroupMetadataValue): Buffer {
  let size = 2 + stringSize(g.protocolType) + 4 + nullableStringSize(g.protocol) + nullableStringSize(g.leader) + 8 + 4;
  for (const m of g.members) {
    size += stringSize(m.memberId) + nullableStringSize(m.groupInstanceId) + stringSize(m.clientId) + stringSize(m.clientHost);
    size += 4 + 4 + 4 + m.subscription.length + 4 + m.assignment.length;
  }
  const w = new Writer(size);
  w.int16(GROUP_VALUE_VERSION);
  w.string(g.protocolType);
  w.int32(g.generation);
  w.nullableString(g.protocol);
  w.nullableString(g.leader);
  w.int64(g.currentStateTimestamp);
  w.int32(g.members.length);
  for (const m of g.members) {
    w.string(m.memberId);
    w.nullableString(m.groupInstanceId);
    w.string(m.clientId);
    w.string(m.clientHost);
    w.int32(m.rebalanceTimeout);
    w.int32(m.sessionTimeout);
    w.bytes(m.subscription);
    w.bytes(m.assignment);
  }
  return w.finish();
}

export function decodeGroupMetadataValue(b: Buffer): GroupMetadataValue | null {
  const r = new Reader(b);
  const version = Math.min(r.int16(), 4);
  if (version < 0) return null;
  const flex = version >= 4;
  const str = (): string => (flex ? r.compactString() : r.string());
  const nstr = (): string | null => (flex ? r.compactNullableString() : r.nullableString());
  const bytes = (): Buffer => Buffer.from(flex ? r.compactBytes() : r.bytes());
  const protocolType = str();
  const generation = r.int32();
  const protocol = nstr();
  const leader = nstr();
  const currentStateTimestamp = version >= 2 ? r.int64() : -1;
  const n = flex ? r.compactArrayLength() : r.arrayLength();
  const members: StoredMember[] = [];
  for (let i = 0; i < n && r.error === null; i++) {
    const memberId = str();
    const groupInstanceId = version >= 3 ? nstr() : null;
    const clientId = str();
    const clientHost = str();
    const sessionOrRebalance = version >= 1 ? r.int32() : -1;
    const sessionTimeout = r.int32();
    // Copies: the record buffer belongs to a read of the log and must not be pinned by the group.
    const subscription = bytes();
    const assignment = bytes();
    if (flex) r.taggedFields();
    members.push({
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      rebalanceTimeout: version >= 1 ? sessionOrRebalance : sessionTimeout,
      sessionTimeout,
      subscription,
      assignment,
    });
  }
  if (flex) r.taggedFields();
  return r.error === null ? { protocolType, generation, protocol, leader, currentStateTimestamp, members } : null;
}

/** Flexible (v4) encoders, used only by tests to check that we read what newer Kafka writes. */
export function encodeOffsetCommitValueV4(v: OffsetCommitValue): Buffer {
  const w = new Writer(2 + 8 + 4 + compactStringSize(v.metadata) + 8 + 1);
  w.int16(4);
  w.int64(v.offset);
  w.int32(v.leaderEpoch);
  w.compactString(v.metadata);
  w.int64(v.commitTimestamp);
  w.noTags();
  return w.finish();
}

export function encodeGroupMetadataValueV4(g: GroupMetadataValue): Buffer {
  let size = 2 + compactStringSize(g.protocolType) + 4 + compactStringSize(g.protocol) + compactStringSize(g.leader) + 8;
  size += uvarintSize(g.members.length + 1) + 1;
  for (const m of g.members) {
    size += compactStringSize(m.memberId) + compactStringSize(m.groupInstanceId) + compactStringSize(m.clientId) + compactStringSize(m.clientHost);
    size += 8 + compactBytesSize(m.subscription) + compactBytesSize(m.assignment) + 1;
  }
  const w = new Writer(size);
  w.int16(4);
  w.compactString(g.protocolType);
  w.int32(g.generation);
  w.compactNullableString(g.protocol);
  w.compactNullableString(g.leader);
  w.int64(g.currentStateTimestamp);
  w.uvarint(g.members.length + 1);
  for (const m of g.members) {
    w.compactString(m.memberId);
    w.compactNullableString(m.groupInstanceId);
    w.compactString(m.clientId);
    w.compactString(m.clientHost);
    w.int32(m.rebalanceTimeout);
    w.int32(m.sessionTimeout);
    w.compactBytes(m.subscription);
    w.compactBytes(m.assignment);
    w.noTags();
  }
  w.noTags();
  return w.finish();
}

/**
 * The records of `__consumer_offsets`, byte for byte Kafka's, so Kafka's own tools
 * (kafka-dump-log --offsets-decoder, kafka-console-consumer with the offsets formatter) read our
 * topic and we read one written by Kafka. The codecs are generated from protocol/data
 * (OffsetCommitKey/Value, GroupMetadataKey/Value); this module is the thin layer the coordinator
 * uses: which record a key is, which versions we write, and the group's view of the values.
 *
 * Every key and value starts with an int16 version. The key version says what the record is:
 *   0, 1  offset commit   (we write 1)
 *   2     group metadata
 *   3+    records of the new consumer-group protocol, share groups... (not ours: skipped on load)
 * A null value is a tombstone (offset deleted / group deleted).
 * Values: OffsetCommitValue we write v3, or v1 when an expire timestamp was given; GroupMetadataValue
 * we write v3. We read 0-4, and newer versions as 4 (since KIP-915 they only add tagged fields).
 */
import { ZERO_UUID } from '../../protocol/codec-support.js';
import {
  decodeGroupMetadataKey,
  decodeOffsetCommitKey,
  newOffsetCommitKey,
  newOffsetCommitValue,
  readGroupMetadataValue,
  readOffsetCommitValue,
  writeGroupMetadataKey,
  writeGroupMetadataValue,
  writeOffsetCommitKey,
  writeOffsetCommitValue,
  type GroupMetadataValue,
  type GroupMetadataValueMember,
} from '../../protocol/generated/data/index.js';
import { Reader } from '../../protocol/primitives.js';

export type { GroupMetadataValue };
export type StoredMember = GroupMetadataValueMember;

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
/** The value versions we write: Kafka 2.1-3.x's layouts, which every Kafka since reads. */
const OFFSET_VALUE_VERSION = 3;
const OFFSET_VALUE_WITH_EXPIRY_VERSION = 1;
const GROUP_VALUE_VERSION = 3;

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

/** A committed offset as the coordinator keeps it (the value's topic id is not used). */
export interface OffsetCommitValue {
  offset: number;
  /** -1 when unknown. */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** -1 unless the commit carried a retention time (OffsetCommit v2-v4): then value version 1. */
  expireTimestamp: number;
}

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return writeOffsetCommitKey(OFFSET_COMMIT_KEY_VERSION, newOffsetCommitKey({ group, topic, partition }));
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return writeGroupMetadataKey(GROUP_METADATA_KEY_VERSION, { group });
}

/** The key of a record, or null for record types that are not ours (key version 3+) or garbage. */
export function decodeKey(b: Buffer): RecordKey | null {
  const r = new Reader(b);
  const version = r.int16();
  let key: RecordKey | null = null;
  if (version === 0 || version === 1) {
    const k = decodeOffsetCommitKey(r, version);
    key = { type: 'offset', group: k.group, topic: k.topic, partition: k.partition };
  } else if (version === 2) {
    key = { type: 'group', group: decodeGroupMetadataKey(r, version).group };
  }
  return r.error === null ? key : null;
}

function writeOffsetValue(version: number, v: OffsetCommitValue): Buffer {
  return writeOffsetCommitValue(version, newOffsetCommitValue({ ...v, topicId: ZERO_UUID }));
}

export function encodeOffsetCommitValue(v: OffsetCommitValue): Buffer {
  return writeOffsetValue(v.expireTimestamp >= 0 ? OFFSET_VALUE_WITH_EXPIRY_VERSION : OFFSET_VALUE_VERSION, v);
}

export function decodeOffsetCommitValue(b: Buffer): OffsetCommitValue | null {
  const m = readOffsetCommitValue(b)?.message;
  return m === undefined ? null : { offset: m.offset, leaderEpoch: m.leaderEpoch, metadata: m.metadata, commitTimestamp: m.commitTimestamp, expireTimestamp: m.expireTimestamp };
}

export function encodeGroupMetadataValue(g: GroupMetadataValue): Buffer {
  return writeGroupMetadataValue(GROUP_VALUE_VERSION, g);
}

export function decodeGroupMetadataValue(b: Buffer): GroupMetadataValue | null {
  const read = readGroupMetadataValue(b);
  if (read === null) return null;
  const g = read.message;
  for (const m of g.members) {
    // Version 0 has no rebalance timeout: Kafka takes the session timeout.
    if (read.version < 1) m.rebalanceTimeout = m.sessionTimeout;
    // Copies: the record buffer belongs to a read of the log and must not be pinned by the group.
    m.subscription = Buffer.from(m.subscription);
    m.assignment = Buffer.from(m.assignment);
  }
  return g;
}

/** Flexible (v4) encoders, used only by tests to check that we read what newer Kafka writes. */
export function encodeOffsetCommitValueV4(v: OffsetCommitValue): Buffer {
  return writeOffsetValue(4, v);
}

export function encodeGroupMetadataValueV4(g: GroupMetadataValue): Buffer {
  return writeGroupMetadataValue(4, g);
}

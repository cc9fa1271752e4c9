/**
 * __consumer_offsets record formats: round trips, every value version we read, and byte equality
 * with Apache Kafka's own serializers (fixtures/golden.json, produced by
 * fixtures/GoldenOffsetsRecords.java with Kafka 4.4's group-coordinator classes). When the
 * reference Kafka classpath is present, Kafka also decodes the bytes we write.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeGroupMetadataValue,
  decodeKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeGroupMetadataValueV4,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  encodeOffsetCommitValueV4,
  type GroupMetadataValue,
} from '../../../src/groups/records.js';
import { javaStringHashCode, offsetsPartitionFor } from '../../../src/groups/offsets-partition.js';
import { ensureJavaBuilt, javaAvailable, javaClasspath } from '../../helpers/java.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const golden = JSON.parse(readFileSync(join(FIXTURES, 'golden.json'), 'utf8')) as Record<string, any>;
const hex = (b: Buffer) => b.toString('hex');
const unhex = (s: string) => Buffer.from(s, 'hex');

const GROUP: GroupMetadataValue = {
  protocolType: 'consumer',
  generation: 4,
  protocol: 'range',
  leader: 'c-1',
  currentStateTimestamp: 1700000000999,
  members: [
    { memberId: 'c-1', groupInstanceId: null, clientId: 'cid', clientHost: '/127.0.0.1', rebalanceTimeout: 60000, sessionTimeout: 30000, subscription: Buffer.from([0, 1, 2]), assignment: Buffer.from([9]) },
    { memberId: 's-1', groupInstanceId: 'inst', clientId: 'cid2', clientHost: '/10.0.0.2', rebalanceTimeout: 300000, sessionTimeout: 45000, subscription: Buffer.alloc(0), assignment: Buffer.from([1, 2]) },
  ],
};

describe('record keys', () => {
  it('match Kafka byte for byte', () => {
    expect(hex(encodeOffsetCommitKey('my-group', 'orders', 7))).toBe(golden.commit.key);
    expect(hex(encodeOffsetCommitKey('g', 't', 0))).toBe(golden.commitExpire.key);
    expect(hex(encodeGroupMetadataKey('my-group'))).toBe(golden.groupTombstone.key);
  });

  it('decode by key version; other record types are skipped', () => {
    expect(decodeKey(unhex(golden.commit.key))).toEqual({ type: 'offset', group: 'my-group', topic: 'orders', partition: 7 });
    expect(decodeKey(unhex(golden.groupTombstone.key))).toEqual({ type: 'group', group: 'my-group' });
    // Version 0 offset keys (old Kafka) have the same layout.
    const v0 = encodeOffsetCommitKey('a', 'b', 1);
    v0.writeInt16BE(0, 0);
    expect(decodeKey(v0)).toEqual({ type: 'offset', group: 'a', topic: 'b', partition: 1 });
    const consumerGroupRecord = Buffer.from('000300016700', 'hex');
    expect(decodeKey(consumerGroupRecord)).toBeNull();
    expect(decodeKey(Buffer.from([0, 1, 0]))).toBeNull();
  });
});

describe('offset commit values', () => {
  it('write version 3 (Kafka 2.1-3.x layout) and round trip', () => {
    const v = { offset: 12345, leaderEpoch: 3, metadata: 'meta', commitTimestamp: 1700000000123, expireTimestamp: -1 };
    const b = encodeOffsetCommitValue(v);
    // version 3 | offset | leaderEpoch | metadata "meta" | commitTimestamp
    expect(hex(b)).toBe('0003' + '0000000000003039' + '00000003' + '0004' + Buffer.from('meta').toString('hex') + '0000018bcfe5687b');
    expect(decodeOffsetCommitValue(b)).toEqual(v);
  });

  it('write version 1 with an expire timestamp, as Kafka does (golden)', () => {
    const v = { offset: 5, leaderEpoch: -1, metadata: '', commitTimestamp: 1700000000000, expireTimestamp: 1700000600000 };
    expect(hex(encodeOffsetCommitValue(v))).toBe(golden.commitExpire.value);
    expect(decodeOffsetCommitValue(unhex(golden.commitExpire.value))).toEqual(v);
  });

  it('read Kafka 4.x flexible version 4 (golden) and our own v4 encoding', () => {
    const v = { offset: 12345, leaderEpoch: 3, metadata: 'meta', commitTimestamp: 1700000000123, expireTimestamp: -1 };
    expect(decodeOffsetCommitValue(unhex(golden.commit.value))).toEqual(v);
    expect(hex(encodeOffsetCommitValueV4(v))).toBe(golden.commit.value);
  });

  it('read versions 0 and 2 (no leader epoch)', () => {
    const v0 = Buffer.concat([Buffer.from('0000', 'hex'), Buffer.from('000000000000000a', 'hex'), Buffer.from('000178', 'hex'), Buffer.from('0000000000000064', 'hex')]);
    expect(decodeOffsetCommitValue(v0)).toEqual({ offset: 10, leaderEpoch: -1, metadata: 'x', commitTimestamp: 100, expireTimestamp: -1 });
    const v2 = Buffer.from(v0);
    v2.writeInt16BE(2, 0);
    expect(decodeOffsetCommitValue(v2)).toEqual({ offset: 10, leaderEpoch: -1, metadata: 'x', commitTimestamp: 100, expireTimestamp: -1 });
  });

  it('reject truncated values', () => {
    expect(decodeOffsetCommitValue(Buffer.from('0003000000', 'hex'))).toBeNull();
  });
});

describe('group metadata values', () => {
  it('write version 3 byte for byte as Kafka (golden), static members included', () => {
    expect(hex(encodeGroupMetadataValue(GROUP))).toBe(golden.groupValueV3);
    expect(decodeGroupMetadataValue(unhex(golden.groupValueV3))).toEqual(GROUP);
  });

  it('write an empty group (null protocol and leader) as Kafka', () => {
    const empty = { protocolType: 'consumer', generation: 5, protocol: null, leader: null, currentStateTimestamp: 1700000001000, members: [] };
    expect(hex(encodeGroupMetadataValue(empty))).toBe(golden.emptyGroupValueV3);
    expect(decodeGroupMetadataValue(unhex(golden.emptyGroupValueV3))).toEqual(empty);
  });

  it('read flexible version 4 (golden)', () => {
    expect(decodeGroupMetadataValue(unhex(golden.groupValueV4))).toEqual(GROUP);
    expect(hex(encodeGroupMetadataValueV4(GROUP))).toBe(golden.groupValueV4);
  });

  it('read versions 0-2 (no instance id; v0 without rebalance timeout or state timestamp)', () => {
    const one = { ...GROUP, members: [GROUP.members[0]!] };
    const v3 = encodeGroupMetadataValue(one);
    // v2 = v3 without the groupInstanceId of each member (2 bytes: null string).
    const memberStart = 2 + 10 + 4 + 7 + 5 + 8 + 4;
    const idEnd = memberStart + 2 + 3;
    const v2 = Buffer.concat([v3.subarray(0, idEnd), v3.subarray(idEnd + 2)]);
    v2.writeInt16BE(2, 0);
    expect(decodeGroupMetadataValue(v2)).toEqual(one);
    const decoded0 = decodeGroupMetadataValue(
      Buffer.concat([
        Buffer.from('0000', 'hex'),
        Buffer.from('0008', 'hex'),
        Buffer.from('consumer'),
        Buffer.from('00000001', 'hex'),
        Buffer.from('ffff', 'hex'),
        Buffer.from('ffff', 'hex'),
        Buffer.from('00000001', 'hex'),
        Buffer.from('0001', 'hex'),
        Buffer.from('m'),
        Buffer.from('0001', 'hex'),
        Buffer.from('c'),
        Buffer.from('0001', 'hex'),
        Buffer.from('h'),
        Buffer.from('00002710', 'hex'),
        Buffer.from('00000000', 'hex'),
        Buffer.from('00000000', 'hex'),
      ]),
    );
    expect(decoded0).toEqual({
      protocolType: 'consumer',
      generation: 1,
      protocol: null,
      leader: null,
      currentStateTimestamp: -1,
      members: [{ memberId: 'm', groupInstanceId: null, clientId: 'c', clientHost: 'h', rebalanceTimeout: 10000, sessionTimeout: 10000, subscription: Buffer.alloc(0), assignment: Buffer.alloc(0) }],
    });
  });
});

describe('group → __consumer_offsets partition', () => {
  it("uses Java's String.hashCode and Kafka's Utils.abs (values from Java)", () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('my-group')).toBe(-1906497762);
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    // UTF-16 code units, as Java: one astral character is two units.
    expect(javaStringHashCode('\u{1F600}')).toBe(1772899);
    expect(offsetsPartitionFor('my-group', 50)).toBe(12);
    expect(offsetsPartitionFor('polygenelubricants', 50)).toBe(0);
    expect(offsetsPartitionFor('\u{1F600}', 50)).toBe(49);
    expect(offsetsPartitionFor('console-consumer-12345', 50)).toBe(6);
  });
});

const REF_CP = join(import.meta.dirname, '..', '..', '..', 'scripts', 'reference-kafka', 'target', 'classpath-default.txt');

describe.skipIf(!existsSync(REF_CP) && !javaAvailable())("Kafka's deserializer", () => {
  it('decodes the records Runnel writes', async () => {
    let cp: string;
    if (existsSync(REF_CP)) cp = readFileSync(REF_CP, 'utf8').trim();
    else {
      await ensureJavaBuilt();
      cp = javaClasspath();
    }
    const args = [
      hex(encodeOffsetCommitKey('my-group', 'orders', 7)),
      hex(encodeOffsetCommitValue({ offset: 42, leaderEpoch: 2, metadata: 'hello', commitTimestamp: 1700000000123, expireTimestamp: -1 })),
      hex(encodeGroupMetadataKey('my-group')),
      hex(encodeGroupMetadataValue(GROUP)),
      hex(encodeOffsetCommitKey('my-group', 'orders', 7)),
      'null',
    ];
    const out = execFileSync('java', ['-cp', cp, join(FIXTURES, 'GoldenOffsetsRecords.java'), ...args], { encoding: 'utf8', timeout: 60_000 }).trim().split('\n');
    expect(out[0]).toContain("group='my-group', topic='orders', partition=7");
    expect(out[0]).toContain('offset=42, leaderEpoch=2, metadata=\'hello\', commitTimestamp=1700000000123');
    expect(out[1]).toContain("protocolType='consumer', generation=4, protocol='range', leader='c-1'");
    expect(out[1]).toContain("memberId='s-1', groupInstanceId='inst'");
    expect(out[2]).toMatch(/=> null$/);
  });
});

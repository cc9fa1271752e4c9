/**
 * Data messages that real Kafka software wrote, read with the generated codecs and written back
 * byte for byte, and read through the broker's and the client's thin layers on top:
 *   - every record of __consumer_offsets and __transaction_state that Apache Kafka 4.4 wrote while
 *     Java clients committed, aborted and consumed in groups (fixtures/kafka-coordinator-records.json,
 *     captured by scripts/capture-coordinator-records.ts); the group records carry the Java
 *     consumer's ConsumerProtocol subscription and assignment;
 *   - the ConsumerProtocol bytes in the JoinGroup and SyncGroup frames of the golden captures
 *     (test/golden: Java, librdkafka, kafkajs, kafka-python against Apache Kafka).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssignerProtocol } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { assignmentPartitions, subscriptionTopics } from '../../../protocol/consumer-protocol.js';
import { API_CODECS } from '../../../protocol/generated/index.js';
import type { JoinGroupRequest, JoinGroupResponse, SyncGroupRequest, SyncGroupResponse } from '../../../protocol/generated/index.js';
import * as D from '../../../protocol/generated/data/index.js';
import { decodeGroupMetadataValue, decodeKey, decodeOffsetCommitValue } from '../../../src/groups/records.js';
import { decodeTxnKey, decodeTxnValue } from '../../../src/txn/records.js';
import { GOLDEN_DIR, decodeFrame, loadGoldenIndex } from '../golden/frames.js';

interface Captured {
  offset: number;
  key: string;
  value: string | null;
}

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'kafka-coordinator-records.json'), 'utf8')) as {
  broker: string;
  consumerOffsets: Captured[];
  transactionState: Captured[];
};
const unhex = (s: string) => Buffer.from(s, 'hex');

/** Reads version-prefixed bytes and checks that writing the message at that version gives them back. */
function sameBytes<T>(bytes: Buffer, read: (b: Buffer) => { version: number; message: T } | null, write: (v: number, m: T) => Buffer, what: string): { version: number; message: T } {
  const got = read(bytes);
  expect(got, `${what}: readable`).not.toBeNull();
  expect(write(got!.version, got!.message).toString('hex'), `${what}: re-encoded`).toBe(bytes.toString('hex'));
  return got!;
}

describe(`__consumer_offsets records written by ${fixture.broker}`, () => {
  it('read and re-encode to identical bytes, keys by record type', () => {
    const seen = new Set<string>();
    for (const rec of fixture.consumerOffsets) {
      const where = `offset ${rec.offset}`;
      const key = unhex(rec.key);
      const type = key.readInt16BE(0);
      expect([0, 1, 2], `${where}: a record type of the classic protocol`).toContain(type);
      const ours = decodeKey(key);
      if (type === 2) {
        const k = sameBytes(key, D.readGroupMetadataKey, D.writeGroupMetadataKey, where);
        expect(ours).toEqual({ type: 'group', group: k.message.group });
      } else {
        const k = sameBytes(key, D.readOffsetCommitKey, D.writeOffsetCommitKey, where);
        expect(ours).toEqual({ type: 'offset', ...k.message });
      }
      if (rec.value === null) continue;
      const value = unhex(rec.value);
      if (type === 2) {
        const v = sameBytes(value, D.readGroupMetadataValue, D.writeGroupMetadataValue, where);
        seen.add(`group value v${v.version}${v.message.members.length > 0 ? ' with members' : ''}`);
        expect(decodeGroupMetadataValue(value)).toEqual(v.message);
      } else {
        const v = sameBytes(value, D.readOffsetCommitValue, D.writeOffsetCommitValue, where);
        seen.add(`offset value v${v.version}${v.message.topicId.equals(Buffer.alloc(16)) ? '' : ' with topic id'}`);
        const { topicId: _, ...view } = v.message;
        expect(decodeOffsetCommitValue(value)).toEqual(view);
      }
    }
    // Kafka 4.4 writes offsets as v4 with the tagged topic id, and group metadata as v3.
    expect([...seen].sort()).toEqual(['group value v3', 'group value v3 with members', 'offset value v4 with topic id']);
  });

  it("carry the Java consumer's ConsumerProtocol bytes, which read and re-encode identically", () => {
    let members = 0;
    const instanceIds = new Set<string | null>();
    for (const rec of fixture.consumerOffsets) {
      if (unhex(rec.key).readInt16BE(0) !== 2 || rec.value === null) continue;
      const g = decodeGroupMetadataValue(unhex(rec.value))!;
      for (const m of g.members) {
        members++;
        instanceIds.add(m.groupInstanceId);
        const s = sameBytes(m.subscription, D.readConsumerProtocolSubscription, D.writeConsumerProtocolSubscription, `${m.memberId} subscription`);
        expect(s.version).toBe(3);
        expect(s.message.topics).toEqual(['orders']);
        expect(subscriptionTopics(m.subscription)).toEqual(['orders']);
        const a = sameBytes(m.assignment, D.readConsumerProtocolAssignment, D.writeConsumerProtocolAssignment, `${m.memberId} assignment`);
        expect(a.message.assignedPartitions).toEqual([{ topic: 'orders', partitions: [0] }]);
        expect(assignmentPartitions(m.assignment)).toEqual(new Map([['orders', [0]]]));
      }
    }
    expect(members).toBe(2);
    expect(instanceIds).toEqual(new Set([null, 'static-1']));
  });
});

describe(`__transaction_state records written by ${fixture.broker}`, () => {
  it('read and re-encode to identical bytes, through every state of a commit and an abort', () => {
    const states: string[] = [];
    for (const rec of fixture.transactionState) {
      const where = `offset ${rec.offset}`;
      const key = sameBytes(unhex(rec.key), D.readTransactionLogKey, D.writeTransactionLogKey, where);
      expect(decodeTxnKey(unhex(rec.key))).toBe(key.message.transactionalId);
      const value = sameBytes(unhex(rec.value!), D.readTransactionLogValue, D.writeTransactionLogValue, where);
      // Transaction protocol v2: the flexible value, tagged fields set (previousProducerId
      // always; the client's transaction version once a transaction started).
      expect(value.version).toBe(1);
      expect(value.message.previousProducerId).toBe(value.message.producerId);
      const ours = decodeTxnValue(unhex(rec.value!))!;
      expect(value.message.clientTransactionVersion).toBe(ours.state === 'Empty' ? 0 : 2);
      // A transaction in state Empty has a null partition list.
      expect(value.message.transactionPartitions === null).toBe(ours.state === 'Empty');
      expect(ours.producerId).toBe(value.message.producerId);
      expect([...ours.partitions]).toEqual((value.message.transactionPartitions ?? []).map((p) => [p.topic, p.partitionIds]));
      states.push(`${key.message.transactionalId} ${ours.state}`);
    }
    expect(states).toEqual([
      'tx-commit Empty',
      'tx-commit Ongoing',
      'tx-commit PrepareCommit',
      'tx-commit CompleteCommit',
      'tx-abort Empty',
      'tx-abort Ongoing',
      'tx-abort PrepareAbort',
      'tx-abort CompleteAbort',
    ]);
  });
});

describe('ConsumerProtocol bytes in the golden JoinGroup / SyncGroup frames', () => {
  const frames = loadGoldenIndex().frames.filter((f) => f.apiKey === 11 || f.apiKey === 14);

  /** The subscriptions and assignments carried by one frame. */
  function payloads(apiKey: number, direction: string, body: object): { subscriptions: Buffer[]; assignments: Buffer[] } {
    if (apiKey === 11 && direction === 'request') return { subscriptions: (body as JoinGroupRequest).protocols.map((p) => p.metadata), assignments: [] };
    if (apiKey === 11) return { subscriptions: (body as JoinGroupResponse).members.map((m) => m.metadata), assignments: [] };
    if (direction === 'request') return { subscriptions: [], assignments: (body as SyncGroupRequest).assignments.map((a) => a.assignment) };
    return { subscriptions: [], assignments: [(body as SyncGroupResponse).assignment] };
  }

  it.each(frames.map((f) => [f.file, f] as const))('%s', (_file, f) => {
    const codec = API_CODECS.get(f.apiKey)!;
    const frame = decodeFrame(codec, f.direction, f.version, readFileSync(join(GOLDEN_DIR, f.file)));
    expect(frame.error).toBeNull();
    const { subscriptions, assignments } = payloads(f.apiKey, f.direction, frame.body);
    for (const s of subscriptions) {
      expect(subscriptionTopics(s)?.length, 'the view reads the topics').toBeGreaterThan(0);
      sameBytes(s, D.readConsumerProtocolSubscription, D.writeConsumerProtocolSubscription, 'subscription');
    }
    for (const a of assignments) {
      if (a.length === 0) continue; // an empty assignment means "none"
      expect(assignmentPartitions(a), 'the view reads the partitions').not.toBeNull();
      sameBytes(a, D.readConsumerProtocolAssignment, D.writeConsumerProtocolAssignment, 'assignment');
    }
  });

  it('the views read a kafkajs assignor that announces version 1 but writes only the version-0 fields', () => {
    const sub = AssignerProtocol.MemberMetadata.encode({ version: 1, topics: ['orders', 'payments'], userData: Buffer.from('u') });
    expect(D.readConsumerProtocolSubscription(sub), 'no owned partitions after the user data').toBeNull();
    expect(subscriptionTopics(sub)).toEqual(['orders', 'payments']);
    const asg = AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: { orders: [0, 2] }, userData: Buffer.alloc(0) });
    expect(assignmentPartitions(asg)).toEqual(new Map([['orders', [0, 2]]]));
  });
});

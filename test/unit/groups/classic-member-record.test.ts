/**
 * The ClassicMemberMetadata tagged field of the consumer group member record (online migration):
 * written as Kafka's nullable struct under tag 0, read back, and absent for consumer-protocol
 * members (their record is byte for byte the one without it).
 */
import { describe, expect, it } from 'vitest';
import { readConsumerGroupMemberMetadataValue } from '../../../protocol/generated/data/index.js';
import { memberRecord, readMember } from '../../../src/groups/consumer/records.js';
import { newConsumerMember } from '../../../src/groups/consumer/group.js';

describe('classic member metadata in the member record', () => {
  it('round-trips, and the generated reader still reads the other fields', () => {
    const m = newConsumerMember('m-1');
    m.clientId = 'c';
    m.subscribedTopicNames = ['a', 'b'];
    m.rebalanceTimeoutMs = 30000;
    const plain = memberRecord('g', m).value!;
    expect(readMember(plain)!.classic).toBeNull();
    m.classic = { sessionTimeoutMs: 10000, protocols: [{ name: 'range', metadata: Buffer.from([0, 1, 2]) }, { name: 'cooperative-sticky', metadata: Buffer.alloc(0) }] };
    const withClassic = memberRecord('g', m).value!;
    // Same prefix, then one tagged field (count 1, tag 0, size, int8 1 = present).
    expect(withClassic.subarray(0, plain.length - 1)).toEqual(plain.subarray(0, plain.length - 1));
    expect([...withClassic.subarray(plain.length - 1, plain.length + 1)]).toEqual([1, 0]);
    expect(withClassic[plain.length + 2]).toBe(1);
    const back = readMember(withClassic)!;
    expect(back.classic).toEqual(m.classic);
    expect(back.subscribedTopicNames).toEqual(['a', 'b']);
    expect(readConsumerGroupMemberMetadataValue(withClassic)!.message.rebalanceTimeoutMs).toBe(30000);
  });
});

/**
 * One group type per group id (Runnel-only twin of test/differential/group-types.test.ts, so the
 * rule is checked where no Apache Kafka runs): over a raw socket, a share group's id refused by
 * JoinGroup, ConsumerGroupHeartbeat, ConsumerGroupDescribe and OffsetCommit, and the ids of an
 * Empty classic group (offsets only) and of a consumer group refused by ShareGroupHeartbeat, with
 * Kafka's codes and messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSubscription } from '../../protocol/consumer-protocol.js';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

describe('one group type per group id (raw socket)', () => {
  let broker: TestBroker;
  let c: RawClient;

  beforeAll(async () => {
    broker = await startTestBroker();
    c = await RawClient.connect('127.0.0.1', broker.port);
    const r = await c.request(19, 7, { topics: [{ name: 'gt', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    expect(r.topics[0].errorCode).toBe(0);
  }, 30_000);

  afterAll(async () => {
    c?.close();
    await broker?.cleanup();
  });

  const shareHb = (groupId: string) => c.request(76, 1, { groupId, memberId: 's1', memberEpoch: 0, rackId: null, subscribedTopicNames: ['gt'] });
  const consumerHb = (groupId: string) =>
    c.request(68, 1, { groupId, memberId: 'k1', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30000, subscribedTopicNames: ['gt'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [] });
  const commit = (groupId: string) =>
    c.request(8, 9, { groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'gt', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' }] }] });

  it("a share group's id is refused by the classic and consumer group APIs", async () => {
    expect((await shareHb('sh')).errorCode).toBe(ErrorCode.NONE);
    const j = await c.request(11, 9, { groupId: 'sh', sessionTimeoutMs: 30000, rebalanceTimeoutMs: 30000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: encodeSubscription(['gt']) }], reason: null });
    expect([j.errorCode, j.memberId]).toEqual([ErrorCode.INCONSISTENT_GROUP_PROTOCOL, '']);
    const k = await consumerHb('sh');
    expect([k.errorCode, k.errorMessage]).toEqual([ErrorCode.GROUP_ID_NOT_FOUND, 'Group sh is not a consumer group.']);
    const d = await c.request(69, 1, { groupIds: ['sh'], includeAuthorizedOperations: false });
    expect([d.groups[0].errorCode, d.groups[0].errorMessage]).toEqual([ErrorCode.GROUP_ID_NOT_FOUND, 'Group sh is not a consumer group.']);
    expect((await commit('sh')).topics[0].partitions[0].errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    // Still a share group.
    expect((await c.request(76, 1, { groupId: 'sh', memberId: 's2', memberEpoch: 0, rackId: null, subscribedTopicNames: ['gt'] })).errorCode).toBe(ErrorCode.NONE);
  });

  it('the id of a classic group (even Empty, with offsets only) or a consumer group is refused by ShareGroupHeartbeat', async () => {
    expect((await commit('classic')).topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    const a = await shareHb('classic');
    expect([a.errorCode, a.errorMessage]).toEqual([ErrorCode.GROUP_ID_NOT_FOUND, 'Group classic is not a share group.']);
    expect((await consumerHb('kg')).errorCode).toBe(ErrorCode.NONE);
    const b = await shareHb('kg');
    expect([b.errorCode, b.errorMessage]).toEqual([ErrorCode.GROUP_ID_NOT_FOUND, 'Group kg is not a share group.']);
  });
});

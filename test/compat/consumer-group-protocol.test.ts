/**
 * The consumer group protocol (KIP-848) over a real socket: ConsumerGroupHeartbeat joins, hands
 * partitions out incrementally (a partition moves only after its owner revoked it), answers
 * Kafka's errors (UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH, UNRELEASED_INSTANCE_ID, INVALID_REQUEST,
 * UNSUPPORTED_ASSIGNOR, INVALID_REGULAR_EXPRESSION, GROUP_MAX_SIZE_REACHED), picks up topics a
 * regex matches later; ConsumerGroupDescribe, ListGroups' type filter, OffsetCommit's member-epoch
 * check; kafka-consumer-groups.sh's view of it; and the group survives a broker restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { javaAvailable, runKafkaScript } from '../helpers/java.js';

let broker: TestBroker;
let c: RawClient;
const ids = new Map<string, Buffer>();

async function createTopic(name: string, partitions: number): Promise<Buffer> {
  const r = await c.request(19, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
  expect(errorName(r.topics[0].errorCode)).toBe('NONE');
  ids.set(name, r.topics[0].topicId);
  return r.topics[0].topicId;
}

type Owned = Array<{ topicId: Buffer; partitions: number[] }> | null;
const hb = (body: Record<string, unknown>) =>
  c.request(68, 1, { instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null, ...body });
const join = (groupId: string, memberId: string, extra: Record<string, unknown> = {}) =>
  hb({ groupId, memberId, memberEpoch: 0, rebalanceTimeoutMs: 30000, subscribedTopicNames: ['cgp'], topicPartitions: [], ...extra });
const parts = (a: Owned): number[] => (a ?? []).flatMap((t) => t.partitions).sort((x, y) => x - y);

beforeAll(async () => {
  broker = await startTestBroker({ keepData: true, config: { 'group.consumer.max.size': 3 } });
  c = await RawClient.connect('127.0.0.1', broker.port);
  await createTopic('cgp', 4);
});
afterAll(async () => {
  c?.close();
  await broker?.cleanup();
});

describe('ConsumerGroupHeartbeat', () => {
  it('refuses invalid requests as Kafka does', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ groupId: '', memberId: 'm', memberEpoch: 0 }, 'INVALID_REQUEST'],
      [{ groupId: 'g0', memberId: '', memberEpoch: 0, rebalanceTimeoutMs: 1000, subscribedTopicNames: ['cgp'], topicPartitions: [] }, 'INVALID_REQUEST'],
      [{ groupId: 'g0', memberId: 'm', memberEpoch: 0, subscribedTopicNames: ['cgp'], topicPartitions: [] }, 'INVALID_REQUEST'],
      [{ groupId: 'g0', memberId: 'm', memberEpoch: 0, rebalanceTimeoutMs: 1000, topicPartitions: [] }, 'INVALID_REQUEST'],
      [{ groupId: 'g0', memberId: 'm', memberEpoch: -2 }, 'INVALID_REQUEST'],
      [{ groupId: 'g0', memberId: 'm', memberEpoch: -3 }, 'INVALID_REQUEST'],
      [{ groupId: 'g0', memberId: 'm', memberEpoch: 0, rebalanceTimeoutMs: 1000, subscribedTopicRegex: '(a)\\1', topicPartitions: [] }, 'INVALID_REGULAR_EXPRESSION'],
      [{ groupId: 'g0', memberId: 'm', memberEpoch: 0, rebalanceTimeoutMs: 1000, subscribedTopicNames: ['cgp'], serverAssignor: 'sticky', topicPartitions: [] }, 'UNSUPPORTED_ASSIGNOR'],
      [{ groupId: 'g0', memberId: 'x'.repeat(300), memberEpoch: 0, rebalanceTimeoutMs: 1000, subscribedTopicNames: ['cgp'], topicPartitions: [] }, 'INVALID_REQUEST'],
    ];
    for (const [body, expected] of cases) {
      const r = await hb(body);
      expect(errorName(r.errorCode), JSON.stringify(body).slice(0, 200)).toBe(expected);
      expect(r.errorMessage).toBeTruthy();
    }
  });

  it('hands a partition to a new member only after its owner revoked it', async () => {
    const a1 = await join('g1', 'A');
    expect(errorName(a1.errorCode)).toBe('NONE');
    expect(a1.memberEpoch).toBe(1);
    expect(parts(a1.assignment.topicPartitions)).toEqual([0, 1, 2, 3]);
    const tid = ids.get('cgp')!;
    const owned = (ps: number[]) => [{ topicId: tid, partitions: ps }];

    // B joins: the target gives B two partitions A still owns, so B gets nothing yet.
    const b1 = await join('g1', 'B');
    expect(b1.memberEpoch).toBe(2);
    expect(parts(b1.assignment.topicPartitions)).toEqual([]);

    // A learns it must give two up: same epoch, a smaller assignment.
    const a2 = await hb({ groupId: 'g1', memberId: 'A', memberEpoch: 1, topicPartitions: owned([0, 1, 2, 3]) });
    expect(a2.memberEpoch).toBe(1);
    const keep = parts(a2.assignment.topicPartitions);
    expect(keep).toHaveLength(2);
    const moving = [0, 1, 2, 3].filter((p) => !keep.includes(p));

    // B still gets nothing while A owns them.
    const b2 = await hb({ groupId: 'g1', memberId: 'B', memberEpoch: 2 });
    expect(b2.assignment).toBeNull();
    const d = await c.request(69, 1, { groupIds: ['g1'], includeAuthorizedOperations: false });
    expect(d.groups[0].groupState).toBe('Reconciling');

    // A revokes: now at epoch 2; then B gets them.
    const a3 = await hb({ groupId: 'g1', memberId: 'A', memberEpoch: 1, topicPartitions: owned(keep) });
    expect(a3.memberEpoch).toBe(2);
    const b3 = await hb({ groupId: 'g1', memberId: 'B', memberEpoch: 2 });
    expect(parts(b3.assignment.topicPartitions)).toEqual(moving);

    const described = await c.request(69, 1, { groupIds: ['g1', 'nope'], includeAuthorizedOperations: false });
    const g = described.groups[0];
    expect(g.groupState).toBe('Stable');
    expect(g.groupEpoch).toBe(2);
    expect(g.assignmentEpoch).toBe(2);
    expect(g.assignorName).toBe('uniform');
    expect(g.members.map((m: any) => m.memberId).sort()).toEqual(['A', 'B']);
    expect(g.members[0].assignment.topicPartitions[0].topicName).toBe('cgp');
    expect(g.members[0].memberType).toBe(1);
    expect(errorName(described.groups[1].errorCode)).toBe('GROUP_ID_NOT_FOUND');

    // Epoch errors.
    expect(errorName((await hb({ groupId: 'g1', memberId: 'A', memberEpoch: 5 })).errorCode)).toBe('FENCED_MEMBER_EPOCH');
    expect(errorName((await hb({ groupId: 'g1', memberId: 'A', memberEpoch: 1, topicPartitions: owned([0, 1, 2, 3]) })).errorCode)).toBe('FENCED_MEMBER_EPOCH');
    expect(errorName((await hb({ groupId: 'g1', memberId: 'Z', memberEpoch: 1 })).errorCode)).toBe('UNKNOWN_MEMBER_ID');
    expect(errorName((await hb({ groupId: 'g-none', memberId: 'Z', memberEpoch: 1 })).errorCode)).toBe('GROUP_ID_NOT_FOUND');

    // OffsetCommit v9 checks the member epoch.
    const commit = (epoch: number) =>
      c.request(8, 9, { groupId: 'g1', generationIdOrMemberEpoch: epoch, memberId: 'B', groupInstanceId: null, topics: [{ name: 'cgp', partitions: [{ partitionIndex: moving[0], committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
    expect(errorName((await commit(1)).topics[0].partitions[0].errorCode)).toBe('STALE_MEMBER_EPOCH');
    expect(errorName((await commit(2)).topics[0].partitions[0].errorCode)).toBe('NONE');

    // ListGroups v5: by type.
    const listed = async (types: string[]) => (await c.request(16, 5, { statesFilter: [], typesFilter: types })).groups.map((x: any) => `${x.groupId}:${x.groupType}:${x.groupState}`);
    expect(await listed(['consumer'])).toContain('g1:consumer:Stable');
    expect(await listed(['classic'])).not.toContain('g1:consumer:Stable');
    // DescribeGroups v6: not a classic group.
    const dg = await c.request(15, 6, { groups: ['g1'], includeAuthorizedOperations: false });
    expect(errorName(dg.groups[0].errorCode)).toBe('GROUP_ID_NOT_FOUND');

    // group.consumer.max.size = 3.
    expect(errorName((await join('g1', 'C')).errorCode)).toBe('NONE');
    expect(errorName((await join('g1', 'D')).errorCode)).toBe('GROUP_MAX_SIZE_REACHED');
    // Leaving frees the slot.
    const left = await hb({ groupId: 'g1', memberId: 'C', memberEpoch: -1 });
    expect(left.memberEpoch).toBe(-1);
    expect(errorName((await join('g1', 'D')).errorCode)).toBe('NONE');
  });

  it('a classic JoinGroup of another protocol type on a consumer group is INCONSISTENT_GROUP_PROTOCOL; a heartbeat on a classic group it cannot upgrade is GROUP_ID_NOT_FOUND', async () => {
    const jg = await c.request(11, 9, { groupId: 'g1', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', groupInstanceId: null, protocolType: 'connect', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null });
    expect(errorName(jg.errorCode)).toBe('INCONSISTENT_GROUP_PROTOCOL');
    // Of type `consumer` it may join as a classic-protocol member (online migration): first the member id round trip.
    const jc = await c.request(11, 9, { groupId: 'g1', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null });
    expect(errorName(jc.errorCode)).toBe('MEMBER_ID_REQUIRED');
    // A classic group with a member (JoinGroup v3: no member-id round trip).
    const joined = await c.request(11, 3, { groupId: 'classic1', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] });
    expect(errorName(joined.errorCode)).toBe('NONE');
    expect(errorName((await join('classic1', 'X')).errorCode)).toBe('GROUP_ID_NOT_FOUND');
  });

  it('static members: a released instance id is taken over with its partitions; an unreleased one is UNRELEASED_INSTANCE_ID', async () => {
    const s1 = await join('g2', 'S1', { instanceId: 'inst-1' });
    expect(parts(s1.assignment.topicPartitions)).toEqual([0, 1, 2, 3]);
    expect(errorName((await join('g2', 'S2', { instanceId: 'inst-1' })).errorCode)).toBe('UNRELEASED_INSTANCE_ID');
    const out = await hb({ groupId: 'g2', memberId: 'S1', memberEpoch: -2, instanceId: 'inst-1' });
    expect(out.memberEpoch).toBe(-2);
    const s2 = await join('g2', 'S2', { instanceId: 'inst-1' });
    expect(errorName(s2.errorCode)).toBe('NONE');
    expect(parts(s2.assignment.topicPartitions)).toEqual([0, 1, 2, 3]);
    expect(s2.memberEpoch).toBe(s1.memberEpoch);
  });

  it("accepts librdkafka's joins: names with an empty regex, a regex with an empty name list", async () => {
    const names = await join('g4', 'L1', { subscribedTopicRegex: '' });
    expect(errorName(names.errorCode)).toBe('NONE');
    expect(parts(names.assignment.topicPartitions)).toEqual([0, 1, 2, 3]);
    const regex = await join('g5', 'L2', { subscribedTopicNames: [], subscribedTopicRegex: '(^cg.*)' });
    expect(errorName(regex.errorCode)).toBe('NONE');
    expect(parts(regex.assignment.topicPartitions)).toEqual([0, 1, 2, 3]);
  });

  it('a regex subscription picks up a topic created later', async () => {
    const r1 = await hb({ groupId: 'g3', memberId: 'R', memberEpoch: 0, rebalanceTimeoutMs: 30000, subscribedTopicRegex: 'rx-.*', topicPartitions: [] });
    expect(errorName(r1.errorCode)).toBe('NONE');
    expect(parts(r1.assignment.topicPartitions)).toEqual([]);
    const id = await createTopic('rx-later', 2);
    const r2 = await hb({ groupId: 'g3', memberId: 'R', memberEpoch: r1.memberEpoch, topicPartitions: [] });
    expect(r2.memberEpoch).toBeGreaterThan(r1.memberEpoch);
    expect(r2.assignment.topicPartitions).toEqual([{ topicId: id, partitions: [0, 1] }]);
  });

  it.skipIf(!javaAvailable())('kafka-consumer-groups.sh lists and describes the consumer group (members, epochs, target assignment)', async () => {
    const tool = (args: string[]) => runKafkaScript('kafka-consumer-groups.sh', ['--bootstrap-server', broker.bootstrap, ...args]);
    const list = await tool(['--list', '--type']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^g1\s+Consumer\s*$/m);
    const members = await tool(['--describe', '--group', 'g1', '--members', '--verbose']);
    expect(members.code).toBe(0);
    expect(members.stdout).toMatch(/CURRENT-EPOCH\s+CURRENT-ASSIGNMENT\s+TARGET-EPOCH\s+TARGET-ASSIGNMENT/);
    expect(members.stdout).toMatch(/^g1\s+B\s+\S+\s+raw\s+2\s+/m);
  }, 120_000);

  it('the group, its epochs and assignments survive a broker restart', async () => {
    const before = (await c.request(69, 1, { groupIds: ['g1'], includeAuthorizedOperations: false })).groups[0];
    c.close();
    await broker.stop();
    broker = await startTestBroker({ dataDir: broker.dataDir, port: broker.port, config: { 'group.consumer.max.size': 3 } });
    c = await RawClient.connect('127.0.0.1', broker.port);
    const after = (await c.request(69, 1, { groupIds: ['g1'], includeAuthorizedOperations: false })).groups[0];
    const shape = (g: any) => ({ state: g.groupState, epoch: g.groupEpoch, assignmentEpoch: g.assignmentEpoch, members: g.members.map((m: any) => [m.memberId, m.memberEpoch, m.assignment.topicPartitions, m.targetAssignment.topicPartitions]).sort() });
    expect(shape(after)).toEqual(shape(before));
    // Its members carry on with their epochs, and the committed offset is there.
    const b = before.members.find((m: any) => m.memberId === 'B');
    expect(errorName((await hb({ groupId: 'g1', memberId: 'B', memberEpoch: b.memberEpoch })).errorCode)).toBe('NONE');
    const fetched = await c.request(9, 9, { groups: [{ groupId: 'g1', memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
    expect(fetched.groups[0].topics[0].partitions[0].committedOffset).toBe(0);
  });
});

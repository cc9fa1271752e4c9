/**
 * Online migration between the classic and the consumer group protocol (KIP-848,
 * `group.consumer.migration.policy`) over a real socket: a classic group with a member is
 * upgraded by the first ConsumerGroupHeartbeat and keeps the classic member, which is then driven
 * by the consumer group's epochs through Heartbeat (REBALANCE_IN_PROGRESS), JoinGroup (generation =
 * member epoch) and SyncGroup (its assigned partitions); it commits with its generation. The
 * mixed group survives a broker restart; when the consumer-protocol member leaves, the group is
 * classic again (and survives a restart too). The policies refuse what they should, with
 * Kafka's errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAssignment, encodeSubscription, assignmentPartitions } from '../../protocol/consumer-protocol.js';
import { errorName } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const TOPIC = 'migt';
const CONFIG = { 'group.initial.rebalance.delay.ms': 0 };

let broker: TestBroker;
let c: RawClient;

async function connect(config: Record<string, unknown>, dataDir?: string, port?: number): Promise<void> {
  broker = await startTestBroker({ keepData: true, config: { ...CONFIG, ...config }, ...(dataDir ? { dataDir, port } : {}) });
  c = await RawClient.connect('127.0.0.1', broker.port);
}

async function restart(config: Record<string, unknown>): Promise<void> {
  c.close();
  const { dataDir, port } = broker;
  await broker.stop();
  await connect(config, dataDir, port);
}

const classicJoin = (group: string, memberId: string, owned: Array<{ topic: string; partitions: number[] }> = []) =>
  c.request(11, 5, {
    groupId: group,
    sessionTimeoutMs: 30000,
    rebalanceTimeoutMs: 30000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    // v1 subscriptions carry owned partitions (cooperative clients); v0 none (eager).
    protocols: [{ name: 'range', metadata: owned.length === 0 ? encodeSubscription([TOPIC]) : subscriptionWithOwned(owned) }],
  });

function subscriptionWithOwned(owned: Array<{ topic: string; partitions: number[] }>): Buffer {
  // ConsumerProtocolSubscription v1: topics, userData, ownedPartitions.
  const parts: Buffer[] = [Buffer.from([0, 1])];
  const str = (s: string) => Buffer.concat([Buffer.from([0, s.length]), Buffer.from(s)]);
  const i32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  parts.push(i32(1), str(TOPIC), i32(-1), i32(owned.length));
  for (const o of owned) parts.push(str(o.topic), i32(o.partitions.length), ...o.partitions.map(i32));
  return Buffer.concat(parts);
}

const sync = (group: string, memberId: string, generationId: number, assignments: Array<{ memberId: string; assignment: Buffer }> = []) =>
  c.request(14, 5, { groupId: group, generationId, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments });
const heartbeat = (group: string, memberId: string, generationId: number) => c.request(12, 3, { groupId: group, generationId, memberId, groupInstanceId: null });
const cgHeartbeat = (body: Record<string, unknown>) =>
  c.request(68, 1, { instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null, ...body });
const cgJoin = (group: string, memberId: string) => cgHeartbeat({ groupId: group, memberId, memberEpoch: 0, rebalanceTimeoutMs: 30000, subscribedTopicNames: [TOPIC], topicPartitions: [] });
const describeConsumer = (group: string) => c.request(69, 1, { groupIds: [group], includeAuthorizedOperations: false });
const describeClassic = (group: string) => c.request(15, 5, { groups: [group], includeAuthorizedOperations: false });
const partsOf = (bytes: Buffer): number[] => [...(assignmentPartitions(bytes)?.get(TOPIC) ?? [])].sort((a, b) => a - b);
const cgParts = (a: Array<{ partitions: number[] }> | null): number[] => (a ?? []).flatMap((t) => t.partitions).sort((x, y) => x - y);

/** A classic group `group` with one member holding every partition; returns its id and generation. */
async function classicGroupOfOne(group: string): Promise<{ memberId: string; generation: number }> {
  const required = await classicJoin(group, '');
  expect(errorName(required.errorCode)).toBe('MEMBER_ID_REQUIRED');
  const j = await classicJoin(group, required.memberId);
  expect(errorName(j.errorCode)).toBe('NONE');
  const s = await sync(group, j.memberId, j.generationId, [{ memberId: j.memberId, assignment: encodeAssignment(new Map([[TOPIC, [0, 1, 2, 3]]])) }]);
  expect(errorName(s.errorCode)).toBe('NONE');
  return { memberId: j.memberId, generation: j.generationId };
}

describe('online migration between the classic and the consumer protocol', () => {
  beforeAll(async () => {
    await connect({});
    const r = await c.request(19, 7, { topics: [{ name: TOPIC, numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    expect(errorName(r.topics[0].errorCode)).toBe('NONE');
  });
  afterAll(async () => {
    c?.close();
    await broker?.cleanup();
  });

  it('upgrade: the classic member stays and follows the consumer group; the mixed group survives a restart; downgrade when the consumer member leaves', async () => {
    const g = 'mig-both';
    const a = await classicGroupOfOne(g);
    const commit = (generationId: number, offset: number, partition = 0) =>
      c.request(8, 8, { groupId: g, generationIdOrMemberEpoch: generationId, memberId: a.memberId, groupInstanceId: null, topics: [{ name: TOPIC, partitions: [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    expect(errorName((await commit(a.generation, 5)).topics[0].partitions[0].errorCode)).toBe('NONE');

    // The first consumer-protocol member converts the group.
    const c1 = await cgJoin(g, 'C1');
    expect(errorName(c1.errorCode)).toBe('NONE');
    expect(c1.memberEpoch).toBe(a.generation + 1);
    expect(cgParts(c1.assignment.topicPartitions)).toEqual([]); // its partitions are still A's
    const d = await describeConsumer(g);
    expect(errorName(d.groups[0].errorCode)).toBe('NONE');
    expect(d.groups[0].members.length).toBe(2);
    // ConsumerGroupDescribe v1's MemberType: 0 classic, 1 consumer.
    expect(d.groups[0].members.map((m: { memberId: string; memberType: number }) => [m.memberId === 'C1' ? 'C1' : 'A', m.memberType]).sort()).toEqual([['A', 0], ['C1', 1]]);

    // The classic member learns of the new epoch by its heartbeat, rejoins (eager: owns nothing) and syncs.
    expect(errorName((await heartbeat(g, a.memberId, a.generation)).errorCode)).toBe('REBALANCE_IN_PROGRESS');
    const rejoined = await classicJoin(g, a.memberId);
    expect(errorName(rejoined.errorCode)).toBe('NONE');
    expect(rejoined.generationId).toBe(c1.memberEpoch);
    expect(rejoined.leader).not.toBe(a.memberId);
    expect(rejoined.protocolName).toBe('range');
    const synced = await sync(g, a.memberId, rejoined.generationId);
    expect(errorName(synced.errorCode)).toBe('NONE');
    const aParts = partsOf(synced.assignment);
    expect(aParts.length).toBe(2);
    expect(errorName((await heartbeat(g, a.memberId, rejoined.generationId)).errorCode)).toBe('NONE');
    expect(errorName((await heartbeat(g, a.memberId, a.generation)).errorCode)).toBe('ILLEGAL_GENERATION');
    // It commits with its generation (= its member epoch), as in a classic group.
    expect(errorName((await commit(rejoined.generationId, 7)).topics[0].partitions[0].errorCode)).toBe('NONE');
    // An older generation: valid only for a partition owned since then (KIP-1251, as Kafka 4.4), else ILLEGAL_GENERATION.
    const given = [0, 1, 2, 3].find((p) => !aParts.includes(p))!;
    expect(errorName((await commit(a.generation, 8, given)).topics[0].partitions[0].errorCode)).toBe('ILLEGAL_GENERATION');
    expect(errorName((await commit(a.generation, 7, aParts[0])).topics[0].partitions[0].errorCode)).toBe('NONE');
    const c1b = await cgHeartbeat({ groupId: g, memberId: 'C1', memberEpoch: c1.memberEpoch, topicPartitions: [] });
    expect(cgParts(c1b.assignment.topicPartitions)).toEqual([0, 1, 2, 3].filter((p) => !aParts.includes(p)));

    // A restart keeps the mixed group: both members carry on.
    await restart({});
    const after = await describeConsumer(g);
    expect(errorName(after.groups[0].errorCode)).toBe('NONE');
    expect(after.groups[0].members.map((m: { memberId: string }) => m.memberId).sort()).toEqual(['C1', a.memberId].sort());
    expect(errorName((await heartbeat(g, a.memberId, rejoined.generationId)).errorCode)).toBe('NONE');
    expect(errorName((await cgHeartbeat({ groupId: g, memberId: 'C1', memberEpoch: c1.memberEpoch, topicPartitions: c1b.assignment.topicPartitions })).errorCode)).toBe('NONE');

    // Downgrade: the last consumer-protocol member leaves; the classic member is told to rejoin a classic group.
    expect((await cgHeartbeat({ groupId: g, memberId: 'C1', memberEpoch: -1 })).memberEpoch).toBe(-1);
    expect(errorName((await describeConsumer(g)).groups[0].errorCode)).toBe('GROUP_ID_NOT_FOUND');
    const classic = (await describeClassic(g)).groups[0];
    expect(classic.protocolType).toBe('consumer');
    expect(classic.groupState).toBe('PreparingRebalance');
    expect(classic.members.map((m: { memberId: string }) => m.memberId)).toEqual([a.memberId]);
    const back = await classicJoin(g, a.memberId);
    expect(errorName(back.errorCode)).toBe('NONE');
    expect(back.leader).toBe(a.memberId);
    const s2 = await sync(g, a.memberId, back.generationId, [{ memberId: a.memberId, assignment: encodeAssignment(new Map([[TOPIC, [0, 1, 2, 3]]])) }]);
    expect(errorName(s2.errorCode)).toBe('NONE');

    // The classic group and the offsets survive a restart.
    await restart({});
    const reloaded = (await describeClassic(g)).groups[0];
    expect(reloaded.groupState).toBe('Stable');
    expect(reloaded.members.map((m: { memberId: string }) => m.memberId)).toEqual([a.memberId]);
    const fetched = await c.request(9, 7, { groupId: g, topics: [{ name: TOPIC, partitionIndexes: [0] }], requireStable: false });
    expect(fetched.topics[0].partitions[0].committedOffset).toBe(7);
    expect(errorName((await heartbeat(g, a.memberId, back.generationId)).errorCode)).toBe('NONE');
  }, 60_000);

  it('a cooperative classic member revokes first: it keeps owning what it reports until a sync takes it away', async () => {
    const g = 'mig-coop';
    const a = await classicGroupOfOne(g);
    const c1 = await cgJoin(g, 'C1');
    expect(cgParts(c1.assignment.topicPartitions)).toEqual([]);
    // A rejoins still owning all four: it stays at its epoch with two to revoke; the sync shows what it keeps.
    const j = await classicJoin(g, a.memberId, [{ topic: TOPIC, partitions: [0, 1, 2, 3] }]);
    expect(j.generationId).toBe(a.generation);
    const s = await sync(g, a.memberId, j.generationId);
    expect(errorName(s.errorCode)).toBe('NONE');
    const kept = partsOf(s.assignment);
    expect(kept.length).toBe(2);
    // Nothing is handed to C1 until A reports the revocation.
    expect(cgParts((await cgHeartbeat({ groupId: g, memberId: 'C1', memberEpoch: c1.memberEpoch, topicPartitions: [] })).assignment?.topicPartitions ?? null)).toEqual([]);
    expect(errorName((await heartbeat(g, a.memberId, j.generationId)).errorCode)).toBe('REBALANCE_IN_PROGRESS');
    const j2 = await classicJoin(g, a.memberId, [{ topic: TOPIC, partitions: kept }]);
    expect(j2.generationId).toBe(c1.memberEpoch);
    const c1c = await cgHeartbeat({ groupId: g, memberId: 'C1', memberEpoch: c1.memberEpoch, topicPartitions: [] });
    expect(cgParts(c1c.assignment.topicPartitions)).toEqual([0, 1, 2, 3].filter((p) => !kept.includes(p)));
  });

  it('a static classic member restarting under a new member id replaces its old self', async () => {
    const g = 'mig-static';
    expect(errorName((await cgJoin(g, 'C1')).errorCode)).toBe('NONE');
    const staticJoin = (memberId: string) =>
      c.request(11, 5, { groupId: g, sessionTimeoutMs: 30000, rebalanceTimeoutMs: 30000, memberId, groupInstanceId: 'inst-1', protocolType: 'consumer', protocols: [{ name: 'range', metadata: encodeSubscription([TOPIC]) }] });
    const first = await staticJoin('');
    expect(errorName(first.errorCode)).toBe('NONE');
    const second = await staticJoin('');
    expect(errorName(second.errorCode)).toBe('NONE');
    expect(second.memberId).not.toBe(first.memberId);
    expect(errorName((await heartbeat(g, first.memberId, first.generationId)).errorCode)).toBe('UNKNOWN_MEMBER_ID');
    const d = await describeConsumer(g);
    expect(d.groups[0].members.map((m: { memberId: string }) => m.memberId).sort()).toEqual(['C1', second.memberId].sort());
  });

  it('the policies: disabled refuses the upgrade (GROUP_ID_NOT_FOUND) and the downgrade; a malformed embedded protocol is refused', async () => {
    // Under the default policy (bidirectional): a classic group whose subscription cannot be read is not upgraded.
    const malformed = await c.request(11, 3, { groupId: 'pol-bad', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] });
    expect(errorName(malformed.errorCode)).toBe('NONE');
    const bad = await cgJoin('pol-bad', 'C3');
    expect(errorName(bad.errorCode)).toBe('GROUP_ID_NOT_FOUND');
    expect(bad.errorMessage).toBe('Cannot upgrade classic group pol-bad to consumer group because the embedded consumer protocol is malformed.');

    c.close();
    await broker.cleanup();
    await connect({ 'group.consumer.migration.policy': 'disabled' });
    await c.request(19, 7, { topics: [{ name: TOPIC, numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    await classicGroupOfOne('pol-up');
    const refused = await cgJoin('pol-up', 'C1');
    expect(errorName(refused.errorCode)).toBe('GROUP_ID_NOT_FOUND');
    expect(refused.errorMessage).toBe('Group pol-up is not a consumer group.');
    // A classic member joining a consumer group is accepted whatever the policy (as Kafka), but the
    // group stays a consumer group when the consumer member leaves (downgrade disabled).
    const c2 = await cgJoin('pol-down', 'C2');
    expect(errorName(c2.errorCode)).toBe('NONE');
    const req = await classicJoin('pol-down', '');
    expect(errorName(req.errorCode)).toBe('MEMBER_ID_REQUIRED');
    const j = await classicJoin('pol-down', req.memberId);
    expect(errorName(j.errorCode)).toBe('NONE');
    await cgHeartbeat({ groupId: 'pol-down', memberId: 'C2', memberEpoch: -1 });
    const d = await describeConsumer('pol-down');
    expect(errorName(d.groups[0].errorCode)).toBe('NONE');
    expect(d.groups[0].members.map((m: { memberId: string }) => m.memberId)).toEqual([req.memberId]);

  });
});

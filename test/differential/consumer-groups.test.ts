/**
 * Differential tests, consumer groups of the KIP-848 protocol, against Apache Kafka 4.4: a group
 * driven step by step over ConsumerGroupHeartbeat — invalid requests, joins, epochs, the
 * incremental handoff between two members, UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH,
 * UNRELEASED_INSTANCE_ID, GROUP_ID_NOT_FOUND — and what ConsumerGroupDescribe, ListGroups v5,
 * DescribeGroups v6 and OffsetCommit v9 answer about it. Topic ids differ between the brokers, so
 * assignments are compared as partition numbers; which partitions the uniform assignor picks is
 * compared as counts.
 */
import { describe, it } from 'vitest';
import { assignmentPartitions, encodeAssignment, encodeSubscription } from '../../protocol/consumer-protocol.js';
import { apacheKafkaAvailable } from '../helpers/apache-kafka.js';
import type { RawClient } from '../helpers/raw-client.js';
import { err, expectSame, msg, normalise, raw, usePair, uniq } from './harness.js';
import { createTopicsReady } from './requests.js';

type Owned = Array<{ topicId: Buffer; partitions: number[] }>;

describe.skipIf(!apacheKafkaAvailable())('differential: consumer groups (KIP-848)', () => {
  // Kafka 4.3+ batches target assignments (KIP-1263); computed at once, both brokers answer alike.
  const pair = usePair({ 'group.consumer.min.assignment.interval.ms': 0, 'group.consumer.assignment.interval.ms': 0 });

  it('heartbeat errors, epochs, incremental handoff and describe output', async () => {
    const topic = uniq('cg');
    const group = uniq('cgg');
    const sgroup = uniq('cgs');
    const obs = await pair.both(async (t) => {
      const c = await raw(t);
      c.responseTimeoutMs = 20_000;
      const steps: Record<string, unknown> = {};
      try {
        await createTopicsReady(c, [{ name: topic, partitions: 4 }]);
        // Kafka answers NOT_COORDINATOR until __consumer_offsets exists and is loaded.
        for (let i = 0; i < 100; i++) {
          const fc = await c.request(10, 4, { keyType: 0, coordinatorKeys: [group, sgroup] });
          const d = await c.request(69, 1, { groupIds: [group, sgroup], includeAuthorizedOperations: false });
          if (fc.coordinators.every((x: any) => x.errorCode === 0) && d.groups.every((g: any) => g.errorCode !== 16 && g.errorCode !== 14)) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        const hb = (body: Record<string, unknown>) =>
          c.request(68, 1, { instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null, ...body });
        const join = (g: string, memberId: string, extra: Record<string, unknown> = {}) => hb({ groupId: g, memberId, memberEpoch: 0, rebalanceTimeoutMs: 30000, subscribedTopicNames: [topic], topicPartitions: [], ...extra });
        const parts = (a: Owned | undefined) => (a ?? []).flatMap((x) => x.partitions).sort((x, y) => x - y);
        const view = (r: any) => ({ error: err(r.errorCode), message: r.errorMessage, epoch: r.memberEpoch, interval: r.heartbeatIntervalMs > 0, partitions: r.assignment === null ? null : parts(r.assignment.topicPartitions).length });

        // Invalid requests.
        const invalid: Array<[string, Record<string, unknown>]> = [
          ['emptyGroup', { groupId: '', memberId: 'm', memberEpoch: 0 }],
          ['emptyMember', { groupId: group, memberId: '', memberEpoch: 0, rebalanceTimeoutMs: 1000, subscribedTopicNames: [topic], topicPartitions: [] }],
          ['noRebalanceTimeout', { groupId: group, memberId: 'm', memberEpoch: 0, subscribedTopicNames: [topic], topicPartitions: [] }],
          ['noSubscription', { groupId: group, memberId: 'm', memberEpoch: 0, rebalanceTimeoutMs: 1000, topicPartitions: [] }],
          ['ownedOnJoin', { groupId: group, memberId: 'm', memberEpoch: 0, rebalanceTimeoutMs: 1000, subscribedTopicNames: [topic], topicPartitions: null }],
          ['staticLeaveWithoutInstance', { groupId: group, memberId: 'm', memberEpoch: -2 }],
          ['badEpoch', { groupId: group, memberId: 'm', memberEpoch: -3 }],
          ['namesAndRegex', { groupId: group, memberId: 'm', memberEpoch: 0, rebalanceTimeoutMs: 1000, subscribedTopicNames: [topic], subscribedTopicRegex: 'cg.*', topicPartitions: [] }],
          ['badRegex', { groupId: group, memberId: 'm', memberEpoch: 0, rebalanceTimeoutMs: 1000, subscribedTopicRegex: '(abc', topicPartitions: [] }],
          ['unknownAssignor', { groupId: group, memberId: 'm', memberEpoch: 0, rebalanceTimeoutMs: 1000, subscribedTopicNames: [topic], serverAssignor: 'sticky', topicPartitions: [] }],
        ];
        for (const [name, body] of invalid) steps[`invalid.${name}`] = view(await hb(body));

        steps.unknownGroup = view(await hb({ groupId: uniq('nogroup'), memberId: 'm', memberEpoch: 3 }));
        const a1 = await join(group, 'member-a');
        steps.joinA = view(a1);
        steps.unknownMember = view(await hb({ groupId: group, memberId: 'member-z', memberEpoch: 1 }));
        steps.fencedHigher = view(await hb({ groupId: group, memberId: 'member-a', memberEpoch: a1.memberEpoch + 5 }));
        const md = await c.request(3, 12, { topics: [{ name: topic, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
        const tid: Buffer = md.topics[0].topicId;
        const owned = (ps: number[]) => [{ topicId: tid, partitions: ps }];
        const b1 = await join(group, 'member-b');
        steps.joinB = view(b1);
        const a2 = await hb({ groupId: group, memberId: 'member-a', memberEpoch: a1.memberEpoch, topicPartitions: owned(parts(a1.assignment?.topicPartitions)) });
        steps.aRevokes = view(a2);
        steps.bWaits = view(await hb({ groupId: group, memberId: 'member-b', memberEpoch: b1.memberEpoch }));
        steps.describeReconciling = await describeGroup(c, group);
        const a3 = await hb({ groupId: group, memberId: 'member-a', memberEpoch: a2.memberEpoch, topicPartitions: owned(parts(a2.assignment?.topicPartitions)) });
        steps.aRevoked = view(a3);
        steps.bGets = view(await hb({ groupId: group, memberId: 'member-b', memberEpoch: b1.memberEpoch }));
        steps.fencedLower = view(await hb({ groupId: group, memberId: 'member-a', memberEpoch: a1.memberEpoch - 1 }));
        steps.describeStable = await describeGroup(c, group);
        const commit = (epoch: number, p: number) =>
          c.request(8, 9, { groupId: group, generationIdOrMemberEpoch: epoch, memberId: 'member-a', groupInstanceId: null, topics: [{ name: topic, partitions: [{ partitionIndex: p, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
        const aPart = parts(a3.assignment?.topicPartitions ?? a2.assignment?.topicPartitions)[0]!;
        steps.commitCurrentEpoch = err((await commit(a3.memberEpoch, aPart)).topics[0].partitions[0].errorCode);
        steps.commitFutureEpoch = err((await commit(a3.memberEpoch + 3, aPart)).topics[0].partitions[0].errorCode);
        // An older epoch, for a partition the member has owned since then (KIP-1251).
        steps.commitOlderEpochOwned = err((await commit(a1.memberEpoch, aPart)).topics[0].partitions[0].errorCode);
        steps.commitOlderEpochBefore = err((await commit(a1.memberEpoch - 1, aPart)).topics[0].partitions[0].errorCode);
        const lg = await c.request(16, 5, { statesFilter: [], typesFilter: ['consumer'] });
        steps.listConsumer = lg.groups.filter((g: any) => g.groupId === group).map((g: any) => ({ type: g.groupType, state: g.groupState, protocolType: g.protocolType }));
        const lgc = await c.request(16, 5, { statesFilter: [], typesFilter: ['classic'] });
        steps.listClassic = lgc.groups.filter((g: any) => g.groupId === group).length;
        const dg = await c.request(15, 6, { groups: [group], includeAuthorizedOperations: false });
        steps.describeGroupsV6 = { error: err(dg.groups[0].errorCode), message: msg(dg.groups[0].errorMessage), state: dg.groups[0].groupState };
        const dg5 = await c.request(15, 5, { groups: [group], includeAuthorizedOperations: false });
        steps.describeGroupsV5 = { error: err(dg5.groups[0].errorCode), state: dg5.groups[0].groupState };
        steps.leaveB = view(await hb({ groupId: group, memberId: 'member-b', memberEpoch: -1 }));
        steps.leaveUnknown = view(await hb({ groupId: group, memberId: 'member-q', memberEpoch: -1 }));

        // Static membership.
        const s1 = await join(sgroup, 'static-1', { instanceId: 'inst' });
        steps.staticJoin = view(s1);
        steps.unreleased = view(await join(sgroup, 'static-2', { instanceId: 'inst' }));
        steps.staticLeave = view(await hb({ groupId: sgroup, memberId: 'static-1', memberEpoch: -2, instanceId: 'inst' }));
        steps.staticRejoin = view(await join(sgroup, 'static-2', { instanceId: 'inst' }));
        steps.describeStatic = await describeGroup(c, sgroup);
        steps.describeUnknown = await describeGroup(c, uniq('nogroup'));
      } finally {
        c.close();
      }
      return normalise(JSON.parse(JSON.stringify(steps).replaceAll(sgroup, '<sgroup>').replaceAll(group, '<group>').replaceAll(topic, '<topic>')));
    });
    expectSame('consumer-groups/heartbeat', obs);
  }, 180_000);

  it('online migration: a classic group upgraded by a consumer heartbeat, its classic member driven by the epochs, downgraded when the consumer member leaves', async () => {
    const topic = uniq('mig');
    const group = uniq('migg');
    const bad = uniq('migbad');
    const obs = await pair.both(async (t) => {
      const c = await raw(t);
      c.responseTimeoutMs = 20_000;
      const steps: Record<string, unknown> = {};
      try {
        await createTopicsReady(c, [{ name: topic, partitions: 4 }]);
        for (let i = 0; i < 100; i++) {
          const fc = await c.request(10, 4, { keyType: 0, coordinatorKeys: [group, bad] });
          if (fc.coordinators.every((x: any) => x.errorCode === 0)) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        const subscription = encodeSubscription([topic]);
        const join = (memberId: string, metadata = subscription) =>
          c.request(11, 5, { groupId: group, sessionTimeoutMs: 30000, rebalanceTimeoutMs: 30000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata }] });
        const sync = (memberId: string, generationId: number, assignments: Array<{ memberId: string; assignment: Buffer }> = []) =>
          c.request(14, 5, { groupId: group, generationId, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments });
        const heartbeat = (memberId: string, generationId: number) => c.request(12, 4, { groupId: group, generationId, memberId, groupInstanceId: null });
        const hb = (body: Record<string, unknown>) =>
          c.request(68, 1, { instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null, ...body });
        const count = (bytes: Buffer) => [...(assignmentPartitions(bytes)?.values() ?? [])].flat().length;

        const required = await join('');
        const a = required.memberId as string;
        steps.memberA = a;
        const j = await join(a);
        const gen0 = j.generationId as number;
        await sync(a, gen0, [{ memberId: a, assignment: encodeAssignment(new Map([[topic, [0, 1, 2, 3]]])) }]);
        const c1 = await hb({ groupId: group, memberId: 'c1', memberEpoch: 0, rebalanceTimeoutMs: 30000, subscribedTopicNames: [topic], topicPartitions: [] });
        steps.upgrade = { error: err(c1.errorCode), epoch: c1.memberEpoch - gen0, partitions: c1.assignment?.topicPartitions.flatMap((x: any) => x.partitions).length };
        // (authorized operations are compared by the heartbeat scenario)
        steps.describeMixed = { ...(await describeGroup(c, group)) as object, ops: undefined };
        steps.classicHeartbeat = err((await heartbeat(a, gen0)).errorCode);
        const rj = await join(a);
        steps.classicRejoin = { error: err(rj.errorCode), generation: rj.generationId - gen0, leaderIsSelf: rj.leader === a, leader: rj.leader === '' ? '' : 'set', protocolType: rj.protocolType, protocolName: rj.protocolName, members: rj.members.length };
        const sy = await sync(a, rj.generationId);
        steps.classicSync = { error: err(sy.errorCode), partitions: count(sy.assignment) };
        steps.classicHeartbeatNew = err((await heartbeat(a, rj.generationId)).errorCode);
        steps.classicHeartbeatOld = err((await heartbeat(a, gen0)).errorCode);
        const commit = (generation: number) =>
          c.request(8, 8, { groupId: group, generationIdOrMemberEpoch: generation, memberId: a, groupInstanceId: null, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
        steps.classicCommit = err((await commit(rj.generationId)).topics[0].partitions[0].errorCode);
        steps.classicCommitOld = err((await commit(gen0)).topics[0].partitions[0].errorCode);
        steps.consumerLeaves = err((await hb({ groupId: group, memberId: 'c1', memberEpoch: -1 })).errorCode);
        steps.describeAfterDowngrade = await describeGroup(c, group);
        const dg = await c.request(15, 5, { groups: [group], includeAuthorizedOperations: false });
        steps.classicAfterDowngrade = { error: err(dg.groups[0].errorCode), state: dg.groups[0].groupState, protocolType: dg.groups[0].protocolType, members: dg.groups[0].members.length };
        steps.heartbeatAfterDowngrade = err((await heartbeat(a, rj.generationId)).errorCode);

        // A classic group whose member's subscription cannot be read is not upgraded.
        await c.request(11, 3, { groupId: bad, sessionTimeoutMs: 30000, rebalanceTimeoutMs: 30000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] });
        const refused = await hb({ groupId: bad, memberId: 'c2', memberEpoch: 0, rebalanceTimeoutMs: 30000, subscribedTopicNames: [topic], topicPartitions: [] });
        steps.malformed = { error: err(refused.errorCode), message: refused.errorMessage };
      } finally {
        c.close();
      }
      const a = (steps.memberA as string) ?? '';
      delete steps.memberA;
      return normalise(JSON.parse(JSON.stringify(steps).replaceAll(a, '<a>').replaceAll(bad, '<bad>').replaceAll(group, '<group>').replaceAll(topic, '<topic>')));
    });
    expectSame('consumer-groups/migration', obs);
  }, 180_000);
});

async function describeGroup(c: RawClient, group: string): Promise<unknown> {
  const r = await c.request(69, 1, { groupIds: [group], includeAuthorizedOperations: true });
  const g = r.groups[0];
  return {
    error: err(g.errorCode),
    message: msg(g.errorMessage),
    state: g.groupState,
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    assignor: g.assignorName,
    ops: g.authorizedOperations,
    members: Object.fromEntries(
      g.members.map((m: any) => [
        m.memberId,
        {
          instanceId: m.instanceId,
          rackId: m.rackId,
          epoch: m.memberEpoch,
          clientId: m.clientId,
          subscribed: m.subscribedTopicNames.length,
          regex: m.subscribedTopicRegex,
          assigned: m.assignment.topicPartitions.flatMap((t: any) => t.partitions).length,
          target: m.targetAssignment.topicPartitions.flatMap((t: any) => t.partitions).length,
          type: m.memberType,
        },
      ]),
    ),
  };
}

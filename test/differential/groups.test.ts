/**
 * Differential tests, consumer groups (classic protocol): a group driven step by step over the raw
 * protocol — JoinGroup/SyncGroup/Heartbeat/OffsetCommit/LeaveGroup with right and wrong
 * generations and member ids, protocol selection, the states DescribeGroups/ListGroups report,
 * assignments, DeleteGroups/OffsetDelete rules — and the same with kafkajs consumers as a user
 * runs them. Member ids are replaced by the name of the member that got them.
 */
import { describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { newJoinGroupRequestProtocol } from '../../protocol/generated/11-join-group.js';
import { newSyncGroupRequestAssignment } from '../../protocol/generated/14-sync-group.js';
import { newOffsetCommitRequestPartition, newOffsetCommitRequestTopic } from '../../protocol/generated/08-offset-commit.js';
import { newOffsetFetchRequestGroup, newOffsetFetchRequestGroupTopic } from '../../protocol/generated/09-offset-fetch.js';
import { newLeaveGroupRequestMember } from '../../protocol/generated/13-leave-group.js';
import { newOffsetDeleteRequestPartition, newOffsetDeleteRequestTopic } from '../../protocol/generated/47-offset-delete.js';
import { apacheKafkaAvailable } from '../helpers/apache-kafka.js';
import { RawClient } from '../helpers/raw-client.js';
import { err, expectSame, expectSamePhases, keyed, normalise, raw, usePair, uniq, type Target } from './harness.js';
import { assignment, createTopicsReady, decodeAssignment, req, subscription } from './requests.js';

/** Replaces member ids by member names in everything observed. */
class Members {
  private readonly names = new Map<string, string>();
  name(id: string, name: string): void {
    if (id) this.names.set(id, name);
  }
  /** A member id as its name ('' stays '', an unknown id becomes '<unknown id>'). */
  of(id: string | null): string | null {
    if (id === null || id === '') return id;
    return this.names.get(id) ?? '<unknown id>';
  }
}

describe.skipIf(!apacheKafkaAvailable())('differential: consumer groups', () => {
  const pair = usePair();

  it('a classic group step by step: joins, syncs, heartbeats, commits, errors, states', async () => {
    const topic = uniq('gt');
    const other = uniq('gt-other');
    const group = uniq('g');
    const obs = await pair.both(async (t) => {
      const x = await raw(t);
      const a = await raw(t);
      const b = await raw(t);
      const m = new Members();
      const steps: Record<string, unknown> = {};
      try {
        await createTopicsReady(x, [{ name: topic, partitions: 4 }, { name: other, partitions: 1 }]);
        await runGroupScenario(t, { x, a, b }, m, steps, { topic, other, group, freshBrokers: pair.kafka.broker.home !== null });
      } finally {
        for (const conn of [x, a, b]) conn.close();
      }
      return normalise(steps);
    });
    expectSamePhases('group', obs);
  }, 120_000);

  it('kafkajs consumers: assignment, states, committed offsets, rebalance on leave', async () => {
    const topic = uniq('kjs');
    const group = uniq('kjs-g');
    const obs = await pair.both(async (t) => {
      const kafka = new Kafka({ clientId: 'differential', brokers: [t.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
      const admin = kafka.admin();
      await admin.connect();
      const out: Record<string, unknown> = {};
      const consumers = [0, 1].map(() => kafka.consumer({ groupId: group, sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 100 }));
      try {
        await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
        const producer = kafka.producer();
        await producer.connect();
        await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 4 })) });
        await producer.disconnect();
        const seen = new Map<number, Set<number>>();
        let received = 0;
        for (const [i, consumer] of consumers.entries()) {
          seen.set(i, new Set());
          await consumer.connect();
          await consumer.subscribe({ topic, fromBeginning: true });
          await consumer.run({
            autoCommitInterval: 100,
            eachMessage: async ({ partition }) => {
              seen.get(i)!.add(partition);
              received++;
            },
          });
        }
        await waitFor(async () => {
          const [d] = (await admin.describeGroups([group])).groups;
          return received >= 40 && d!.state === 'Stable' && d!.members.length === 2 && d!.members.every((mm) => mm.memberAssignment.length > 0);
        }, 30_000);
        await waitFor(async () => (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.every((p) => p.offset === '10'), 15_000);
        out.twoMembers = await describeKjs(admin, group);
        out.committed = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.map((p) => ({ partition: p.partition, offset: p.offset, metadata: p.metadata })).sort((p, q) => p.partition - q.partition);
        out.listed = (await admin.listGroups()).groups.filter((g) => g.groupId === group);
        await consumers[1]!.disconnect();
        await waitFor(async () => {
          const [d] = (await admin.describeGroups([group])).groups;
          return d!.state === 'Stable' && d!.members.length === 1;
        }, 30_000);
        out.oneMember = await describeKjs(admin, group);
        await consumers[0]!.disconnect();
        out.empty = await describeKjs(admin, group);
        out.offsetsForTime = (await admin.fetchTopicOffsetsByTimestamp(topic, 0)).sort((p, q) => p.partition - q.partition);
        out.topicOffsets = (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.offset, low: p.low, high: p.high })).sort((p, q) => p.partition - q.partition);
        await admin.deleteGroups([group]);
        out.deleted = await describeKjs(admin, group);
      } finally {
        for (const consumer of consumers) await consumer.disconnect().catch(() => undefined);
        await admin.disconnect();
      }
      return normalise(out);
    });
    expectSame('group/kafkajs', obs);
  }, 120_000);
});

async function waitFor(fn: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function describeKjs(admin: ReturnType<Kafka['admin']>, group: string): Promise<unknown> {
  const [d] = (await admin.describeGroups([group])).groups;
  return {
    errorCode: (d as unknown as { errorCode: number }).errorCode,
    state: d!.state,
    protocolType: d!.protocolType,
    protocol: d!.protocol,
    // Partitions per member, largest first (member ids differ).
    assignments: d!.members.map((mm) => {
      const a = decodeAssignment(mm.memberAssignment);
      return Object.values(a).reduce((n, ps) => n + ps.length, 0);
    }).sort().reverse(),
    clientIds: d!.members.map((mm) => mm.clientId),
  };
}

interface Conns {
  x: RawClient;
  a: RawClient;
  b: RawClient;
}

async function runGroupScenario(t: Target, { x, a, b }: Conns, m: Members, steps: Record<string, unknown>, n: { topic: string; other: string; group: string; freshBrokers: boolean }): Promise<void> {
  const { topic, other, group } = n;
  const sub = subscription([topic]);
  const proto = (...names: string[]) => names.map((name) => newJoinGroupRequestProtocol({ name, metadata: sub }));
  const join = async (conn: RawClient, memberId: string, protocols = proto('range', 'roundrobin'), o: { sessionTimeoutMs?: number; protocolType?: string; groupId?: string } = {}) =>
    req(conn, 11, 5, {
      groupId: o.groupId ?? group,
      // Members do not heartbeat between steps: a session long enough for a slow machine.
      sessionTimeoutMs: o.sessionTimeoutMs ?? 60_000,
      rebalanceTimeoutMs: 30_000,
      memberId,
      groupInstanceId: null,
      protocolType: o.protocolType ?? 'consumer',
      protocols,
    });
  const joinShape = (r: any) => ({
    errorCode: err(r.errorCode),
    generationId: r.generationId,
    protocolName: r.protocolName,
    leader: m.of(r.leader),
    memberId: m.of(r.memberId),
    members: r.members.map((mm: any) => m.of(mm.memberId)).sort(), // Kafka's order is a hash map's
  });
  /** Joins as a new member: MEMBER_ID_REQUIRED first (v4+), then the join itself. */
  const joinNew = async (conn: RawClient, name: string, protocols?: ReturnType<typeof proto>) => {
    const first = await join(conn, '', protocols);
    m.name(first.memberId, name);
    return { first, id: first.memberId as string, second: join(conn, first.memberId, protocols) };
  };
  const sync = async (conn: RawClient, generationId: number, memberId: string, assignments: Record<string, Record<string, number[]>> = {}, protocolName: string | null = 'range') => {
    const r = await req(conn, 14, 5, {
      groupId: group,
      generationId,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName,
      assignments: Object.entries(assignments).map(([id, parts]) => newSyncGroupRequestAssignment({ memberId: id, assignment: assignment(parts) })),
    });
    return { errorCode: err(r.errorCode), protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment.length ? decodeAssignment(r.assignment) : '<empty>' };
  };
  const heartbeat = async (conn: RawClient, generationId: number, memberId: string, groupId = group) =>
    err((await req(conn, 12, 4, { groupId, generationId, memberId, groupInstanceId: null })).errorCode);
  const commit = async (conn: RawClient, generationId: number, memberId: string, parts: Array<[string, number, number]>, groupId = group) => {
    const byTopic = new Map<string, Array<[number, number]>>();
    for (const [tn, p, o] of parts) byTopic.set(tn, [...(byTopic.get(tn) ?? []), [p, o]]);
    const r = await req(conn, 8, 8, {
      groupId,
      generationIdOrMemberEpoch: generationId,
      memberId,
      groupInstanceId: null,
      topics: [...byTopic].map(([name, ps]) =>
        newOffsetCommitRequestTopic({ name, partitions: ps.map(([partitionIndex, committedOffset]) => newOffsetCommitRequestPartition({ partitionIndex, committedOffset, committedMetadata: 'md' })) }),
      ),
    });
    return r.topics.flatMap((tt: any) => tt.partitions.map((p: any) => `${tt.name}/${p.partitionIndex}: ${err(p.errorCode)}`));
  };
  const fetchOffsets = async (groupId: string, topics: Array<[string, number[]]> | null) => {
    const r = await req(x, 9, 8, {
      requireStable: false,
      groups: [newOffsetFetchRequestGroup({ groupId, topics: topics === null ? null : topics.map(([name, partitionIndexes]) => newOffsetFetchRequestGroupTopic({ name, partitionIndexes })) })],
    });
    const g = r.groups[0];
    return {
      errorCode: err(g.errorCode),
      offsets: g.topics.flatMap((tt: any) => tt.partitions.map((p: any) => `${tt.name}/${p.partitionIndex}: ${p.committedOffset} ${JSON.stringify(p.metadata)} epoch ${p.committedLeaderEpoch} ${err(p.errorCode)}`)).sort(),
    };
  };
  const describeGroup = async (groupId = group) => {
    const r = await req(x, 15, 5, { groups: [groupId], includeAuthorizedOperations: false });
    const g = r.groups[0];
    return {
      errorCode: err(g.errorCode),
      state: g.groupState,
      protocolType: g.protocolType,
      protocol: g.protocolData,
      members: g.members.map((mm: any) => ({
        member: m.of(mm.memberId),
        clientId: mm.clientId,
        clientHost: mm.clientHost.replace(t.host, '<host>'),
        metadata: mm.memberMetadata.length > 0 ? '<subscription>' : '<empty>',
        assignment: mm.memberAssignment.length > 0 ? decodeAssignment(mm.memberAssignment) : '<empty>',
      })).sort((p: any, q: any) => String(p.member).localeCompare(String(q.member))),
      authorizedOperations: g.authorizedOperations,
    };
  };
  const listGroups = async (version: number, statesFilter: string[] = [], typesFilter: string[] = []) => {
    const r = await req(x, 16, version, { statesFilter, typesFilter });
    return { errorCode: err(r.errorCode), groups: r.groups.filter((g: any) => g.groupId === group).map((g: any) => ({ protocolType: g.protocolType, state: g.groupState, type: g.groupType })) };
  };
  const deleteGroups = async (...groups: string[]) => keyed((await req(x, 42, 2, { groupsNames: groups })).results, (r: any) => r.groupId, (r: any) => err(r.errorCode));
  const offsetDelete = async (tn: string, partitions: number[]) => {
    const r = await req(x, 47, 0, { groupId: group, topics: [newOffsetDeleteRequestTopic({ name: tn, partitions: partitions.map((partitionIndex) => newOffsetDeleteRequestPartition({ partitionIndex })) })] });
    return { errorCode: err(r.errorCode), partitions: r.topics.flatMap((tt: any) => tt.partitions.map((p: any) => `${tt.name}/${p.partitionIndex}: ${err(p.errorCode)}`)) };
  };
  const leave = async (conn: RawClient, ids: string[]) => {
    const r = await req(conn, 13, 5, { groupId: group, members: ids.map((memberId) => newLeaveGroupRequestMember({ memberId, groupInstanceId: null, reason: 'differential test' })) });
    return { errorCode: err(r.errorCode), members: r.members.map((mm: any) => ({ member: m.of(mm.memberId), errorCode: err(mm.errorCode) })) };
  };
  /** A join that may hang (when a broker accepts what it should refuse): give up after 3 s. */
  const tryJoin = async (conn: () => Promise<RawClient>, memberId: string, protocols: ReturnType<typeof proto>, o: Parameters<typeof join>[3] = {}) => {
    const cc = await conn();
    try {
      const r = await Promise.race([join(cc, memberId, protocols, o), new Promise<null>((res) => setTimeout(() => res(null), 3000))]);
      return r === null ? 'no answer in 3 s' : { errorCode: err(r.errorCode), memberIdSet: r.memberId !== '' };
    } finally {
      cc.close();
    }
  };

  // -- before any member: coordinator, an unknown group
  const coordinator = (co: any) => ({ errorCode: err(co.errorCode), nodeId: co.nodeId, host: co.host === t.host ? '<host>' : co.host, port: co.port === t.port ? '<port>' : co.port });
  // The first answer of a fresh broker (before __consumer_offsets exists on Kafka), then the
  // answer once the coordinator is there.
  const first = coordinator(await req(x, 10, 3, { key: group, keyType: 0 }));
  let fc3 = await req(x, 10, 3, { key: group, keyType: 0 });
  for (let i = 0; fc3.errorCode === 15 && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    fc3 = await req(x, 10, 3, { key: group, keyType: 0 });
  }
  // Kafka then loads the offsets partition (COORDINATOR_LOAD_IN_PROGRESS meanwhile): wait for it.
  for (let i = 0; i < 100; i++) {
    const d = await req(x, 15, 5, { groups: [group], includeAuthorizedOperations: false });
    if (d.groups[0].errorCode !== 14 && d.groups[0].errorCode !== 15) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const fc4 = await req(x, 10, 4, { keyType: 0, coordinatorKeys: [group] });
  steps.coordinator = {
    ...(n.freshBrokers ? { first } : {}),
    v3: coordinator(fc3),
    v4: fc4.coordinators.map((co: any) => ({ key: co.key, ...coordinator(co) })),
  };
  steps.unknownGroup = {
    describe: await describeGroup(),
    offsets: await fetchOffsets(group, [[topic, [0, 1]]]),
    heartbeat: await heartbeat(x, 1, 'nobody'),
    sync: await sync(x, 1, 'nobody'),
    syncWithoutProtocolName: await sync(x, 1, 'nobody', {}, null),
    leave: await leave(x, ['nobody']),
    deleteGroups: await deleteGroups(group),
  };

  // -- member A alone: generation 1
  const ja = await joinNew(a, 'A');
  const a1 = await ja.second;
  steps.firstJoin = { memberIdRequired: joinShape(ja.first), joined: joinShape(a1), describe: await describeGroup(), heartbeatBeforeSync: await heartbeat(a, a1.generationId, ja.id) };
  steps.firstSync = {
    wrongGeneration: await sync(a, a1.generationId + 1, ja.id, { [ja.id]: { [topic]: [0, 1, 2, 3] } }),
    unknownMember: await sync(a, a1.generationId, 'nobody', { [ja.id]: { [topic]: [0, 1, 2, 3] } }),
    otherProtocolName: await sync(a, a1.generationId, ja.id, { [ja.id]: { [topic]: [0, 1, 2, 3] } }, 'roundrobin'),
    ok: await sync(a, a1.generationId, ja.id, { [ja.id]: { [topic]: [0, 1, 2, 3] } }),
    describe: await describeGroup(),
  };
  steps.stable = {
    heartbeat: await heartbeat(a, a1.generationId, ja.id),
    heartbeatWrongGeneration: await heartbeat(a, a1.generationId + 4, ja.id),
    heartbeatUnknownMember: await heartbeat(a, a1.generationId, 'nobody'),
    commit: await commit(a, a1.generationId, ja.id, [[topic, 0, 5], [topic, 1, 7]]),
    commitWrongGeneration: await commit(a, a1.generationId + 6, ja.id, [[topic, 0, 6]]),
    commitUnknownMember: await commit(a, a1.generationId, 'nobody', [[topic, 0, 6]]),
    commitSimpleToActiveGroup: await commit(x, -1, '', [[topic, 2, 1]]),
    commitUnknownTopic: await commit(a, a1.generationId, ja.id, [[uniq('nope'), 0, 1]]),
    commitUnknownPartition: await commit(a, a1.generationId, ja.id, [[topic, 9, 1]]),
    offsets: await fetchOffsets(group, [[topic, [0, 1, 2, 3, 9]]]),
    allOffsets: await fetchOffsets(group, null),
    listV4: await listGroups(4),
    listStable: await listGroups(4, ['Stable']),
    listEmpty: await listGroups(4, ['Empty']),
    listClassic: await listGroups(5, [], ['classic']),
    listConsumer: await listGroups(5, [], ['consumer']),
    deleteNonEmpty: await deleteGroups(group),
    offsetDeleteSubscribed: await offsetDelete(topic, [0]),
    offsetDeleteOther: await offsetDelete(other, [0]),
  };

  // -- member B joins: rebalance, A rejoins with another preference; only roundrobin is common
  const jb = await joinNew(b, 'B', proto('roundrobin'));
  for (let i = 0; i < 50 && (await describeGroup()).state !== 'PreparingRebalance'; i++) await new Promise((r) => setTimeout(r, 100));
  steps.rebalance = {
    memberIdRequired: joinShape(jb.first),
    describe: await describeGroup(),
    heartbeat: await heartbeat(a, a1.generationId, ja.id),
    commit: await commit(a, a1.generationId, ja.id, [[topic, 0, 8]]),
  };
  const [a2, b2] = await Promise.all([join(a, ja.id, proto('range', 'roundrobin')), jb.second]);
  steps.secondJoin = { a: joinShape(a2), b: joinShape(b2), describe: await describeGroup() };
  const leader = a2.leader === ja.id ? a : b;
  const leaderId = a2.leader as string;
  const [syncLeader, syncFollower] = await Promise.all([
    sync(leader, a2.generationId, leaderId, { [ja.id]: { [topic]: [0, 1] }, [jb.id]: { [topic]: [2, 3] } }, a2.protocolName),
    sync(leader === a ? b : a, a2.generationId, leader === a ? jb.id : ja.id, {}, a2.protocolName),
  ]);
  steps.secondSync = { leader: syncLeader, follower: syncFollower, describe: await describeGroup() };

  // -- joins the group must refuse while A and B are in it
  steps.refusedJoins = {
    otherProtocolType: await tryJoin(() => raw(t), '', proto('range'), { protocolType: 'connect' }),
    noCommonProtocol: await tryJoin(() => raw(t), '', proto('sticky')),
    noProtocols: await tryJoin(() => raw(t), '', []),
    sessionTimeoutTooShort: await tryJoin(() => raw(t), '', proto('roundrobin'), { sessionTimeoutMs: 1000 }),
    sessionTimeoutTooLong: await tryJoin(() => raw(t), '', proto('roundrobin'), { sessionTimeoutMs: 4_000_000 }),
    unknownMemberId: await tryJoin(() => raw(t), 'nobody', proto('roundrobin')),
    emptyGroupId: await tryJoin(() => raw(t), '', proto('roundrobin'), { groupId: '' }),
  };

  // -- A leaves: B must rejoin alone; then B leaves: Empty; then the group is deleted
  const leaveA = await leave(a, [ja.id]);
  const hbB = await heartbeat(b, a2.generationId, jb.id);
  const b3 = await join(b, jb.id, proto('roundrobin'));
  const syncB3 = await sync(b, b3.generationId, jb.id, { [jb.id]: { [topic]: [0, 1, 2, 3] } }, b3.protocolName);
  steps.afterLeave = { leaveA, heartbeatB: hbB, rejoinB: joinShape(b3), syncB: syncB3, describe: await describeGroup() };
  steps.emptyGroup = {
    leaveB: await leave(b, [jb.id]),
    leaveAgain: await leave(b, [jb.id]),
    describe: await describeGroup(),
    listEmpty: await listGroups(4, ['Empty']),
    offsets: await fetchOffsets(group, [[topic, [0, 1, 2]]]),
    offsetDelete: await offsetDelete(topic, [0]),
    offsetsAfterDelete: await fetchOffsets(group, [[topic, [0, 1, 2]]]),
    heartbeatOld: await heartbeat(b, b3.generationId, jb.id),
  };
  steps.deleted = {
    deleteGroups: await deleteGroups(group, uniq('never-existed')),
    describe: await describeGroup(),
    offsets: await fetchOffsets(group, [[topic, [0]]]),
  };

  // -- a group that only ever gets simple (generation -1) commits
  const simple = uniq('simple');
  steps.simpleCommits = {
    commit: await commit(x, -1, '', [[topic, 0, 3]], simple),
    describe: await describeGroup(simple),
    offsets: await fetchOffsets(simple, [[topic, [0, 1]]]),
    heartbeat: await heartbeat(x, -1, '', simple),
  };
}

/**
 * Share groups (KIP-932) survive the SIGKILL of their group coordinator (etcd + 3 broker
 * processes; build first): the coordinator writes the groups' records (types 10-15) to its
 * replicated `__consumer_offsets` partition with acks=all, and the broker that takes the partition
 * over loads them. The new coordinator lists both groups (ListGroups, type share; the empty one
 * too), describes the one with members as before (ShareGroupDescribe: epochs, members, member
 * epochs, partitions), and a member carries on heartbeating there with its epoch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { createTopicReady, waitIsrFull, waitUntil, withBroker } from '../helpers/cluster-target.js';
import { type RunnelCluster, startRunnelCluster } from './cluster-harness.js';
import { etcdMissing } from './etcd-harness.js';
import { GROUP_KEY, waitCoordinator } from './coordinator-helpers.js';

describe.skipIf(etcdMissing)('share groups across a coordinator move: etcd + 3 broker processes', () => {
  let c: RunnelCluster;
  beforeAll(async () => {
    c = await startRunnelCluster({
      brokers: 3,
      props: {
        // One partition: both groups have the same coordinator.
        'offsets.topic.replication.factor': 3,
        'offsets.topic.num.partitions': 1,
        'share.coordinator.state.topic.num.partitions': 1,
        'auto.leader.rebalance.enable': false,
        'replica.lag.time.max.ms': 4000,
        'group.share.min.heartbeat.interval.ms': 500,
        'group.share.heartbeat.interval.ms': 1000,
      },
    });
  }, 90_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('the new coordinator lists and describes the share groups; a member carries on with its epoch', async () => {
    const topic = 'share-move';
    const group = 'share-move-g';
    const emptyGroup = 'share-move-empty';
    await createTopicReady(c, { name: topic, partitions: 2, replicationFactor: 3 });
    const first = await waitCoordinator(c, group, GROUP_KEY);
    await waitIsrFull(c, '__consumer_offsets', 0, 60_000);
    const hb = (id: number, groupId: string, memberId: string, body: Record<string, unknown>) =>
      withBroker(c, id, (raw) => raw.request(76, 1, { groupId, memberId, memberEpoch: 0, rackId: null, subscribedTopicNames: [topic], ...body })) as Promise<any>;
    const joinAt = (id: number, groupId: string, memberId: string) =>
      waitUntil(`${memberId} joins ${groupId}`, async () => {
        const r = await hb(id, groupId, memberId, {});
        return r.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || r.errorCode === ErrorCode.NOT_COORDINATOR ? undefined : r;
      }, 30_000);
    const a = await joinAt(first, group, 'member-a');
    expect(errorName(a.errorCode)).toBe('NONE');
    const b = await hb(first, group, 'member-b', {});
    expect(errorName(b.errorCode)).toBe('NONE');
    const a2 = await hb(first, group, 'member-a', { memberEpoch: a.memberEpoch, subscribedTopicNames: null });
    expect(a2.memberEpoch).toBe(b.memberEpoch);
    const e = await hb(first, emptyGroup, 'member-e', {});
    expect(errorName((await hb(first, emptyGroup, 'member-e', { memberEpoch: -1, subscribedTopicNames: null })).errorCode)).toBe('NONE');
    void e;

    const describeAt = (id: number) => withBroker(c, id, (raw) => raw.request(77, 1, { groupIds: [group, emptyGroup], includeAuthorizedOperations: false })) as Promise<any>;
    const shape = (d: any) =>
      d.groups.map((g: any) => ({
        id: g.groupId,
        error: g.errorCode,
        state: g.groupState,
        epoch: g.groupEpoch,
        assignmentEpoch: g.assignmentEpoch,
        members: [...g.members].sort((x: any, y: any) => x.memberId.localeCompare(y.memberId)).map((m: any) => [m.memberId, m.memberEpoch, m.subscribedTopicNames, m.assignment.topicPartitions.map((t: any) => [t.topicName, [...t.partitions].sort()])]),
      }));
    const before = shape(await describeAt(first));
    expect(before.map((g: any) => [g.id, g.state, g.members.length])).toEqual([[group, 'Stable', 2], [emptyGroup, 'Empty', 0]]);

    await c.kill(first, 'SIGKILL');
    const next = await waitCoordinator(c, group, GROUP_KEY, (id) => id !== first);
    const after = await waitUntil('the share groups at the new coordinator', async () => {
      const d = await describeAt(next).catch(() => undefined);
      return d && d.groups.every((g: any) => g.errorCode === ErrorCode.NONE) ? shape(d) : undefined;
    }, 60_000);
    expect(after).toEqual(before);
    const listed: any = await withBroker(c, next, (raw) => raw.request(16, 5, { statesFilter: [], typesFilter: ['share'] }));
    expect(listed.groups.map((g: any) => [g.groupId, g.groupState]).sort()).toEqual([[emptyGroup, 'Empty'], [group, 'Stable']]);
    // member-a carries on with its epoch at the new coordinator (no UNKNOWN_MEMBER_ID, no rejoin).
    const again = await hb(next, group, 'member-a', { memberEpoch: a2.memberEpoch, subscribedTopicNames: null });
    expect(errorName(again.errorCode)).toBe('NONE');
    expect(again.memberEpoch).toBe(a2.memberEpoch);
    await c.restart(first);
  }, 240_000);
});

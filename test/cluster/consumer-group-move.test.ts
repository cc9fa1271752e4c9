/**
 * A consumer group of the KIP-848 protocol survives the SIGKILL of its coordinator (etcd + 3 broker
 * processes): the broker that takes over `__consumer_offsets` loads the group from its records —
 * epochs, target and current assignments, the member — and the member carries on heartbeating
 * with its epoch; its committed offset is there; a new member joins and gets its share.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { createTopicReady, waitIsrFull, waitUntil, withBroker } from '../helpers/cluster-target.js';
import { type RunnelCluster, startRunnelCluster } from './cluster-harness.js';
import { etcdMissing } from './etcd-harness.js';
import { GROUP_KEY, waitCoordinator } from './coordinator-helpers.js';

const OFFSETS_PARTITIONS = 3;

describe.skipIf(etcdMissing)('consumer group (KIP-848) across a coordinator move: etcd + 3 broker processes', () => {
  let c: RunnelCluster;
  beforeAll(async () => {
    c = await startRunnelCluster({
      brokers: 3,
      props: { 'offsets.topic.replication.factor': 3, 'offsets.topic.num.partitions': OFFSETS_PARTITIONS, 'auto.leader.rebalance.enable': false, 'replica.lag.time.max.ms': 4000 },
    });
  }, 90_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('the new coordinator has the group, its epochs, assignments and offsets; the member carries on', async () => {
    const topic = 'kip848-move';
    const group = 'kip848-move-g';
    await createTopicReady(c, { name: topic, partitions: 4, replicationFactor: 3 });
    const first = await waitCoordinator(c, group, GROUP_KEY);
    for (let p = 0; p < OFFSETS_PARTITIONS; p++) await waitIsrFull(c, '__consumer_offsets', p, 60_000);
    const hb = (id: number, body: Record<string, unknown>) =>
      withBroker(c, id, (raw) => raw.request(68, 1, { instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null, ...body }));
    const describeAt = (id: number) => withBroker(c, id, (raw) => raw.request(69, 1, { groupIds: [group], includeAuthorizedOperations: false }));

    const joined: any = await hb(first, { groupId: group, memberId: 'member-a', memberEpoch: 0, rebalanceTimeoutMs: 30000, subscribedTopicNames: [topic], topicPartitions: [] });
    expect(errorName(joined.errorCode)).toBe('NONE');
    expect(joined.assignment.topicPartitions[0].partitions).toHaveLength(4);
    const committed: any = await withBroker(c, first, (raw) =>
      raw.request(8, 9, { groupId: group, generationIdOrMemberEpoch: joined.memberEpoch, memberId: 'member-a', groupInstanceId: null, topics: [{ name: topic, partitions: [{ partitionIndex: 2, committedOffset: 17, committedLeaderEpoch: -1, committedMetadata: '' }] }] }),
    );
    expect(errorName(committed.topics[0].partitions[0].errorCode)).toBe('NONE');
    const before: any = (await describeAt(first)).groups[0];

    await c.kill(first, 'SIGKILL');
    const next = await waitCoordinator(c, group, GROUP_KEY, (id) => id !== first);
    const after: any = await waitUntil('the group at the new coordinator', async () => {
      const d: any = await describeAt(next);
      return d?.groups[0].errorCode === ErrorCode.NONE ? d.groups[0] : undefined;
    }, 60_000);
    const shape = (g: any) => ({ state: g.groupState, epoch: g.groupEpoch, assignmentEpoch: g.assignmentEpoch, members: g.members.map((m: any) => [m.memberId, m.memberEpoch, m.assignment.topicPartitions, m.targetAssignment.topicPartitions]) });
    expect(shape(after)).toEqual(shape(before));

    // The member carries on with its epoch; its offset is there; a second member gets half.
    expect(errorName((await hb(next, { groupId: group, memberId: 'member-a', memberEpoch: joined.memberEpoch }) as any).errorCode)).toBe('NONE');
    const fetched: any = await withBroker(c, next, (raw) => raw.request(9, 9, { groups: [{ groupId: group, memberId: 'member-a', memberEpoch: joined.memberEpoch, topics: [{ name: topic, partitionIndexes: [2] }] }], requireStable: true }));
    expect(fetched.groups[0].topics[0].partitions[0].committedOffset).toBe(17);
    const b: any = await hb(next, { groupId: group, memberId: 'member-b', memberEpoch: 0, rebalanceTimeoutMs: 30000, subscribedTopicNames: [topic], topicPartitions: [] });
    expect(errorName(b.errorCode)).toBe('NONE');
    expect(b.memberEpoch).toBe(joined.memberEpoch + 1);
    await c.restart(first);
  }, 240_000);
});

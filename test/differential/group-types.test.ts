/**
 * Differential test, one group type per group id, against Apache Kafka 4.4: a share group's id
 * used by the classic and consumer group APIs (JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 * OffsetCommit, ConsumerGroupHeartbeat), and the ids of a classic group (an Empty one holding only
 * committed offsets, and one with a member) and of a consumer group used by ShareGroupHeartbeat.
 * Kafka keeps one type per group id and refuses the other APIs; the error codes and messages are
 * compared.
 */
import { describe, it } from 'vitest';
import { encodeSubscription } from '../../protocol/consumer-protocol.js';
import { apacheKafkaAvailable } from '../helpers/apache-kafka.js';
import type { RawClient } from '../helpers/raw-client.js';
import { err, expectSame, raw, usePair, uniq } from './harness.js';
import { createTopicsReady } from './requests.js';

/** Retries while Kafka's coordinator is still loading __consumer_offsets (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS). */
async function settled(c: RawClient, group: string, send: () => Promise<any>, code: (r: any) => number = (r) => r.errorCode): Promise<any> {
  await c.request(10, 4, { keyType: 0, coordinatorKeys: [group] });
  let r: any;
  for (let i = 0; i < 100; i++) {
    r = await send();
    if (code(r) !== 14 && code(r) !== 15 && code(r) !== 16) return r;
    await new Promise((res) => setTimeout(res, 200));
    if (code(r) === 15 || code(r) === 16) await c.request(10, 4, { keyType: 0, coordinatorKeys: [group] });
  }
  return r;
}

describe.skipIf(!apacheKafkaAvailable())('differential: one group type per group id', () => {
  const pair = usePair({});

  it('share group ids refused by the classic and consumer group APIs, and the other way round', async () => {
    const topic = uniq('gt');
    const share = uniq('gts');
    const emptyClassic = uniq('gte');
    const classic = uniq('gtc');
    const consumer = uniq('gtk');
    const obs = await pair.both(async (t) => {
      const c = await raw(t);
      c.responseTimeoutMs = 20_000;
      const steps: Record<string, unknown> = {};
      // Messages compared word for word, the group id replaced.
      const view = (r: any) => ({ error: err(r.errorCode), message: r.errorMessage === null ? null : [share, emptyClassic, classic, consumer].reduce((m: string, id) => m.replaceAll(id, '<group>'), r.errorMessage) });
      try {
        await createTopicsReady(c, [{ name: topic, partitions: 1 }]);
        const shareHb = (groupId: string) => c.request(76, 1, { groupId, memberId: 's1', memberEpoch: 0, rackId: null, subscribedTopicNames: [topic] });
        const join = (groupId: string, memberId: string) =>
          c.request(11, 9, { groupId, sessionTimeoutMs: 30000, rebalanceTimeoutMs: 30000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: encodeSubscription([topic]) }], reason: null });
        const commit = (groupId: string) =>
          c.request(8, 9, { groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 3, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
        const commitError = (r: any) => r.topics[0].partitions[0].errorCode;
        const consumerHb = (groupId: string) =>
          c.request(68, 1, { groupId, memberId: 'k1', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30000, subscribedTopicNames: [topic], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [] });

        // A share group, then the classic and consumer group APIs with its id.
        steps.shareJoin = view(await settled(c, share, () => shareHb(share)));
        const j = await join(share, '');
        steps.joinGroupOnShare = { error: err(j.errorCode), memberIdSet: j.memberId !== '', generation: j.generationId };
        const jm = await join(share, 'someone');
        steps.joinGroupWithMemberOnShare = { error: err(jm.errorCode), memberIdSet: jm.memberId !== '' };
        steps.syncGroupOnShare = err((await c.request(14, 5, { groupId: share, generationId: 1, memberId: 'someone', groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] })).errorCode);
        steps.heartbeatOnShare = err((await c.request(12, 4, { groupId: share, generationId: 1, memberId: 'someone', groupInstanceId: null })).errorCode);
        const lg = await c.request(13, 5, { groupId: share, members: [{ memberId: 'someone', groupInstanceId: null, reason: null }] });
        steps.leaveGroupOnShare = { error: err(lg.errorCode), members: lg.members.map((m: any) => err(m.errorCode)) };
        steps.offsetCommitOnShare = err(commitError(await commit(share)));
        steps.consumerHeartbeatOnShare = view(await consumerHb(share));
        const of = await c.request(9, 8, { groupId: '', topics: null, groups: [{ groupId: share, memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
        steps.offsetFetchOnShare = { error: err(of.groups[0].errorCode), topics: of.groups[0].topics.length };
        steps.offsetDeleteOnShare = err((await c.request(47, 0, { groupId: share, topics: [{ name: topic, partitions: [{ partitionIndex: 0 }] }] })).errorCode);
        const cd = await c.request(69, 1, { groupIds: [share], includeAuthorizedOperations: false });
        steps.consumerDescribeOnShare = view(cd.groups[0]);

        // An Empty classic group holding only committed offsets.
        steps.emptyClassicCommit = err(commitError(await settled(c, emptyClassic, () => commit(emptyClassic), commitError)));
        steps.shareHeartbeatOnEmptyClassic = view(await shareHb(emptyClassic));

        // A classic group with a member.
        const required = await settled(c, classic, () => join(classic, ''));
        const joined = await join(classic, required.memberId);
        steps.classicJoin = err(joined.errorCode);
        steps.classicSync = err((await c.request(14, 5, { groupId: classic, generationId: joined.generationId, memberId: required.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] })).errorCode);
        steps.shareHeartbeatOnClassic = view(await shareHb(classic));

        // A consumer group.
        steps.consumerJoin = view(await settled(c, consumer, () => consumerHb(consumer)));
        steps.shareHeartbeatOnConsumer = view(await shareHb(consumer));
        // The share group is still there and still a share group.
        steps.shareStill = view(await c.request(76, 1, { groupId: share, memberId: 's2', memberEpoch: 0, rackId: null, subscribedTopicNames: [topic] }));
      } finally {
        c.close();
      }
      return steps;
    });
    expectSame('group-types', obs);
  }, 240_000);
});

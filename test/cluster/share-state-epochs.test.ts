/**
 * Offsets administration of a share group in a cluster reaches the share-partition leader on
 * another broker without the partition moving (KIP-932's state epochs): a real etcd and three
 * `dist/runnel.mjs` processes (cluster-harness.ts; build first).
 *
 * The share partition is led by broker X; the group coordinator and the share coordinator of the
 * key are elsewhere. A member consumes and accepts every record on X and leaves; X keeps the share
 * partition in memory (start offset past everything). Then, through a third broker Z:
 *  - `kafka-share-groups.sh --reset-offsets --to-earliest --execute` (Kafka 4.4's tool:
 *    AlterShareGroupOffsets → InitializeShareGroupState at a new state epoch): a new member gets
 *    every record again from X, whose leadership never changed;
 *  - `--delete-offsets` (DeleteShareGroupOffsets → DeleteShareGroupState): a new member starts
 *    again from share.auto.offset.reset (earliest here);
 *  - a reset while a departed member's share session still holds locks on X: its acknowledgement's
 *    write carries the old state epoch and is fenced (FENCED_STATE_EPOCH → NOT_LEADER_OR_FOLLOWER).
 * DescribeShareGroupOffsets at the group coordinator reads the start offset from the share
 * coordinator on another broker (ReadShareGroupStateSummary).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { createTopicReady, metadataFrom, partitions, upBrokers, waitUntil, withBroker } from '../helpers/cluster-target.js';
import { javaAvailable, runKafkaScript } from '../helpers/java.js';
import type { RawClient } from '../helpers/raw-client.js';
import { type RunnelCluster, startRunnelCluster } from './cluster-harness.js';
import { etcdMissing } from './etcd-harness.js';
import { GROUP_KEY, waitCoordinator } from './coordinator-helpers.js';

const SHARE_KEY = 2;
const TOPIC = 'epochs';
const RECORDS = 5;

describe.skipIf(etcdMissing || !javaAvailable())('share-group offsets administration reaches a share-partition leader on another broker', () => {
  let c: RunnelCluster;

  beforeAll(async () => {
    c = await startRunnelCluster({
      brokers: 3,
      sessionTimeoutMs: 3000,
      props: {
        'offsets.topic.replication.factor': 3,
        'offsets.topic.num.partitions': 3,
        'share.coordinator.state.topic.num.partitions': 3,
        'auto.leader.rebalance.enable': false,
        'group.share.min.heartbeat.interval.ms': 500,
        'group.share.heartbeat.interval.ms': 1000,
        'group.share.min.session.timeout.ms': 6000,
        'group.share.session.timeout.ms': 6000,
        'runnel.group.share.auto.offset.reset': 'earliest',
      },
    });
  }, 90_000);
  afterAll(async () => {
    await c?.stop();
  });

  const coordinatorOf = (key: string, keyType: number) =>
    waitUntil(`the coordinator of ${key}`, async () => {
      const answers = await Promise.all(upBrokers(c).map((id) => withBroker(c, id, (raw) => raw.request(10, 6, { keyType, coordinatorKeys: [key] })) as Promise<any>));
      const ids = answers.map((a) => (a.coordinators[0].errorCode === 0 ? (a.coordinators[0].nodeId as number) : -1));
      return ids.every((id) => id === ids[0] && id > 0) ? ids[0] : undefined;
    }, 30_000);

  it('a reset (kafka-share-groups --reset-offsets) and an offsets deletion reach the leader: a new member gets the records again, the leader never moved', async () => {
    await createTopicReady(c, { name: TOPIC, partitions: 1, replicationFactor: 3 });
    const topicId: Buffer = (await metadataFrom(c, upBrokers(c)[0]!, [TOPIC])).topics[0].topicId;
    const before = (await partitions(c, TOPIC))[0]!;
    const x = before.leader;
    // A group whose coordinator and whose share coordinator (of TOPIC-0) are not X.
    let group = '';
    let gc = -1;
    let sc = -1;
    for (let i = 0; i < 40 && group === ''; i++) {
      const g = `epochs-${i}`;
      const coordinator = await waitCoordinator(c, g, GROUP_KEY);
      const shareCoordinator = await coordinatorOf(`${g}:${topicId.toString('base64url')}:0`, SHARE_KEY);
      if (coordinator !== x && shareCoordinator !== x) [group, gc, sc] = [g, coordinator, shareCoordinator];
    }
    expect(group, 'a group coordinated away from the leader').not.toBe('');
    const z = upBrokers(c).find((id) => id !== gc) ?? gc;

    await withBroker(c, x, async (raw) => {
      for (let i = 0; i < RECORDS; i++) {
        const r: any = await raw.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: buildBatchSync([{ value: `r${i}` }]) }] }] });
        expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
      }
    });

    const heartbeat = (memberId: string, memberEpoch: number) =>
      withBroker(c, gc, (raw) => raw.request(76, 1, { groupId: group, memberId, memberEpoch, rackId: null, subscribedTopicNames: memberEpoch === 0 ? [TOPIC] : null })) as Promise<any>;
    // A share session lives on one connection (it ends when that closes), as a client's does.
    const fetch = (raw: RawClient, memberId: string, epoch: number, acks: object[] = []): Promise<any> =>
      raw.request(78, 2, { groupId: group, memberId, shareSessionEpoch: epoch, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }], forgottenTopicsData: [] });
    const offsets = (r: any): number[] =>
      (r.responses[0]?.partitions[0]?.acquiredRecords ?? []).flatMap((a: any) => Array.from({ length: Number(a.lastOffset) - Number(a.firstOffset) + 1 }, (_, i) => Number(a.firstOffset) + i));
    const all = Array.from({ length: RECORDS }, (_, i) => i);
    const acceptAll = [{ firstOffset: 0, lastOffset: RECORDS - 1, acknowledgeTypes: [1] }];
    /** A member joins, takes every record from X, accepts them, closes its share session and leaves. */
    const consumeAll = async (memberId: string) => {
      expect((await waitUntil('joined', async () => {
        const r = await heartbeat(memberId, 0);
        return r.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? undefined : r;
      })).errorCode).toBe(0);
      const taken = await withBroker(c, x, async (raw) => {
        const got = await fetch(raw, memberId, 0);
        expect(got.responses[0].partitions[0].errorCode).toBe(0);
        const t = offsets(got);
        // Accepts what it got (everything, unless the leader still serves its stale state).
        const closed = await fetch(raw, memberId, -1, t.length === RECORDS ? acceptAll : []);
        if (t.length === RECORDS) expect(closed.responses[0].partitions[0].acknowledgeErrorCode).toBe(0);
        else expect(closed.errorCode).toBe(0);
        return t;
      });
      expect((await heartbeat(memberId, -1)).errorCode).toBe(0);
      return taken;
    };
    const describeStart = async () => {
      const r: any = await withBroker(c, gc, (raw) => raw.request(90, 1, { groups: [{ groupId: group, topics: [{ topicName: TOPIC, partitions: [0] }] }] }));
      const p = r.groups[0].topics[0].partitions[0];
      expect(p.errorCode).toBe(0);
      return Number(p.startOffset);
    };
    const tool = async (...args: string[]) => {
      const r = await runKafkaScript('kafka-share-groups.sh', ['--bootstrap-server', `127.0.0.1:${c.endpoint(z).port}`, ...args]);
      expect(r.code, `kafka-share-groups ${args.join(' ')}: ${r.stdout} ${r.stderr}`).toBe(0);
      return r.stdout;
    };

    expect(await consumeAll('m1')).toEqual(all);
    // The group coordinator reads the start offset from the share coordinator (another broker when sc !== gc).
    expect(await describeStart()).toBe(RECORDS);

    // Reset to the earliest offset through broker Z: X still holds the share partition at start 5.
    expect(await tool('--reset-offsets', '--to-earliest', '--execute', '--group', group, '--topic', TOPIC)).toMatch(new RegExp(`${group}\\s+${TOPIC}\\s+0\\s+0`));
    expect(await describeStart()).toBe(0);
    expect(await consumeAll('m2')).toEqual(all);

    // Offsets deleted: the next member starts from share.auto.offset.reset (earliest).
    expect(await tool('--delete-offsets', '--group', group, '--topic', TOPIC)).toMatch(new RegExp(`${TOPIC}\\s+Successful`));
    expect(await describeStart()).toBe(-1);
    expect(await consumeAll('m3')).toEqual(all);

    // A write from the stale state is fenced: m4 takes everything and leaves the group with its
    // share session (and locks) still open on X; after a reset its acknowledgement rides on a write
    // of the old state epoch, which the share coordinator refuses (FENCED_STATE_EPOCH): X answers
    // NOT_LEADER_OR_FOLLOWER, as Kafka's leader does, drops its copy, and m5 gets every record.
    await tool('--reset-offsets', '--to-earliest', '--execute', '--group', group, '--topic', TOPIC);
    expect((await heartbeat('m4', 0)).errorCode).toBe(0);
    await withBroker(c, x, async (m4) => {
      expect(offsets(await fetch(m4, 'm4', 0))).toEqual(all);
      expect((await heartbeat('m4', -1)).errorCode).toBe(0);
      await tool('--reset-offsets', '--to-earliest', '--execute', '--group', group, '--topic', TOPIC);
      const fenced = await fetch(m4, 'm4', 1, acceptAll);
      expect(fenced.responses[0].partitions[0].acknowledgeErrorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    });
    expect(await consumeAll('m5')).toEqual(all);

    // X led the partition throughout, at the same leader epoch.
    const after = (await partitions(c, TOPIC))[0]!;
    expect([after.leader, after.leaderEpoch]).toEqual([x, before.leaderEpoch]);
    expect(sc).toBeGreaterThan(0);
  }, 180_000);

  it('DeleteGroups of an empty share group removes its state kept on other brokers: the group id starts again from share.auto.offset.reset', async () => {
    const topic = 'delg';
    await createTopicReady(c, { name: topic, partitions: 1, replicationFactor: 3 });
    const topicId: Buffer = (await metadataFrom(c, upBrokers(c)[0]!, [topic])).topics[0].topicId;
    const x = (await partitions(c, topic))[0]!.leader;
    // Neither the partition's leader nor its share coordinator is the group coordinator: before, the
    // coordinator knew nothing of that state and left it behind.
    let group = '';
    let gc = -1;
    for (let i = 0; i < 60 && group === ''; i++) {
      const g = `delg-${i}`;
      const coordinator = await waitCoordinator(c, g, GROUP_KEY);
      const shareCoordinator = await coordinatorOf(`${g}:${topicId.toString('base64url')}:0`, SHARE_KEY);
      if (coordinator !== x && shareCoordinator !== coordinator) [group, gc] = [g, coordinator];
    }
    expect(group, 'a group coordinated away from the leader and the share coordinator').not.toBe('');
    await withBroker(c, x, async (raw) => {
      const r: any = await raw.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: 0, records: buildBatchSync(Array.from({ length: RECORDS }, (_, i) => ({ value: `d${i}` }))) }] }] });
      expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
    });
    const heartbeat = (memberId: string, memberEpoch: number) =>
      withBroker(c, gc, (raw) => raw.request(76, 1, { groupId: group, memberId, memberEpoch, rackId: null, subscribedTopicNames: memberEpoch === 0 ? [topic] : null })) as Promise<any>;
    const join = (memberId: string) =>
      waitUntil(`${memberId} assigned`, async () => {
        const r = await heartbeat(memberId, 0);
        return r.errorCode === 0 && r.assignment?.topicPartitions.length > 0 ? r : undefined;
      });
    const fetch = (raw: RawClient, memberId: string, epoch: number, acks: object[] = []): Promise<any> =>
      raw.request(78, 2, { groupId: group, memberId, shareSessionEpoch: epoch, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }], forgottenTopicsData: [] });
    const acquired = (r: any) => (r.responses[0]?.partitions[0]?.acquiredRecords ?? []).map((a: any) => [Number(a.firstOffset), Number(a.lastOffset), a.deliveryCount]);

    await join('m1');
    await withBroker(c, x, async (raw) => {
      expect(acquired(await fetch(raw, 'm1', 0))).toEqual([[0, RECORDS - 1, 1]]);
      expect((await fetch(raw, 'm1', -1, [{ firstOffset: 0, lastOffset: RECORDS - 1, acknowledgeTypes: [1] }])).responses[0].partitions[0].acknowledgeErrorCode).toBe(0);
    });
    expect((await heartbeat('m1', -1)).errorCode).toBe(0);
    const deleted: any = await withBroker(c, gc, (raw) => raw.request(42, 2, { groupsNames: [group] }));
    expect(deleted.results[0].errorCode).toBe(0);

    // The same group id again: its state is gone, so it starts at the earliest offset.
    await join('m2');
    const again = await withBroker(c, x, (raw) => fetch(raw, 'm2', 0));
    expect(acquired(again)).toEqual([[0, RECORDS - 1, 1]]);
  }, 120_000);
});

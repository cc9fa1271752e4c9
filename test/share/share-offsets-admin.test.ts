/**
 * Share-group offsets administration over a real socket, and what of it survives kill -9:
 * DescribeShareGroupOffsets (start offsets and lag), AlterShareGroupOffsets (the in-flight state
 * below the new start goes; the next fetch starts there), DeleteShareGroupOffsets (the next fetch
 * starts again from share.auto.offset.reset), DeleteGroups of a share group (NON_EMPTY_GROUP with
 * members; otherwise the group and its state are gone for good), DescribeGroups of a share group
 * (GROUP_ID_NOT_FOUND, not a classic group), and the group itself (epoch, initialised partitions)
 * kept in __consumer_offsets so an empty group is still listed and described after a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { spawnBroker, type ChildBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const FLAGS = { 'runnel.group.share.auto.offset.reset': 'earliest', 'share.coordinator.state.topic.num.partitions': 3, 'offsets.topic.num.partitions': 3, 'group.share.session.timeout.ms': 45_000 };
const G = 'admin-g';

describe('share-group offsets administration', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-share-admin-'));
  let broker: ChildBroker | null = null;
  let c: RawClient;
  let topicId: Buffer;

  afterAll(async () => {
    c?.close();
    await broker?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const restart = async () => {
    c.close();
    await broker!.kill('SIGKILL');
    broker = await spawnBroker(dataDir, FLAGS);
    c = await RawClient.connect(broker.host, broker.port);
  };
  /** [partition, start offset, lag] of every partition DescribeShareGroupOffsets v1 answers for all topics. */
  const describeAll = async () => {
    const r = await c.request(90, 1, { groups: [{ groupId: G, topics: null }] });
    expect(r.groups[0].errorCode).toBe(0);
    return r.groups[0].topics.flatMap((t: any) => t.partitions.map((p: any) => [t.topicName, p.partitionIndex, Number(p.startOffset), Number(p.lag)]));
  };
  const heartbeat = (memberId: string, memberEpoch: number) => c.request(76, 1, { groupId: G, memberId, memberEpoch, rackId: null, subscribedTopicNames: memberEpoch === 0 ? ['jobs'] : null });
  let sessionEpoch = 0;
  const fetch = (memberId: string, acks: object[] = []) =>
    c.request(78, 2, { groupId: G, memberId, shareSessionEpoch: sessionEpoch++, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }], forgottenTopicsData: [] });
  const acquired = (r: any) => r.responses[0]?.partitions[0]?.acquiredRecords ?? [];

  it('describe, alter, delete offsets and delete the group; each survives kill -9', async () => {
    broker = await spawnBroker(dataDir, FLAGS);
    c = await RawClient.connect(broker.host, broker.port);
    const created = await c.request(19, 7, { topics: [{ name: 'jobs', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    topicId = created.topics[0].topicId;
    await c.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'jobs', partitionData: [{ index: 0, records: buildBatchSync(Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` }))) }] }] });

    // A member takes 0-9 and accepts 0-3: start 4; lag = 10 - 4.
    expect((await heartbeat('m1', 0)).errorCode).toBe(0);
    expect(acquired(await fetch('m1'))).toEqual([{ firstOffset: 0, lastOffset: 9, deliveryCount: 1 }]);
    await fetch('m1', [{ firstOffset: 0, lastOffset: 3, acknowledgeTypes: [1] }]);
    expect(await describeAll()).toEqual([['jobs', 0, 4, 6], ['jobs', 1, -1, -1]]);
    // Named partitions: an unknown partition or topic is UNKNOWN_TOPIC_OR_PARTITION (Kafka 4.4 leaves such a request unanswered).
    const named = await c.request(90, 1, { groups: [{ groupId: G, topics: [{ topicName: 'jobs', partitions: [0, 7] }, { topicName: 'nosuch', partitions: [0] }] }] });
    expect(named.groups[0].topics.map((t: any) => [t.topicName, t.partitions.map((p: any) => [p.partitionIndex, Number(p.startOffset), p.errorCode])])).toEqual([
      ['jobs', [[0, 4, 0], [7, -1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
      ['nosuch', [[0, -1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
    ]);

    // With a member: no reset, no offset deletion, no group deletion. DescribeGroups: not classic.
    const alter = (startOffset: number) => c.request(91, 0, { groupId: G, topics: [{ topicName: 'jobs', partitions: [{ partitionIndex: 0, startOffset }] }] });
    expect((await alter(7)).errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    expect((await c.request(92, 0, { groupId: G, topics: [{ topicName: 'jobs' }] })).errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    expect((await c.request(42, 2, { groupsNames: [G] })).results[0].errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    const dg = (await c.request(15, 6, { groups: [G], includeAuthorizedOperations: false })).groups[0];
    expect([dg.errorCode, dg.errorMessage, dg.groupState]).toEqual([ErrorCode.GROUP_ID_NOT_FOUND, `Group ${G} is not a classic group.`, 'Dead']);

    // The member leaves; the start moves to 7 (a new state: 4-6 are never delivered). Partition 1
    // was assigned, so the group keeps it among its initialised partitions (as Kafka's coordinator
    // does), with no state yet.
    await heartbeat('m1', -1);
    const altered = await alter(7);
    expect([altered.errorCode, altered.responses[0].partitions[0].errorCode]).toEqual([0, 0]);
    expect(await describeAll()).toEqual([['jobs', 0, 7, 3], ['jobs', 1, -1, -1]]);

    // kill -9: the empty group is still listed, its start offset kept; a fetch starts at 7.
    await restart();
    const listed = await c.request(16, 5, { statesFilter: [], typesFilter: ['share'] });
    expect(listed.groups.map((g: any) => [g.groupId, g.groupState, g.groupType])).toEqual([[G, 'Empty', 'share']]);
    const described = (await c.request(77, 1, { groupIds: [G], includeAuthorizedOperations: false })).groups[0];
    expect([described.errorCode, described.groupState, described.groupEpoch]).toEqual([0, 'Empty', 2]);
    expect(await describeAll()).toEqual([['jobs', 0, 7, 3], ['jobs', 1, -1, -1]]);
    sessionEpoch = 0;
    expect(acquired(await fetch('m2'))).toEqual([{ firstOffset: 7, lastOffset: 9, deliveryCount: 1 }]);
    await fetch('m2', [{ firstOffset: 7, lastOffset: 9, acknowledgeTypes: [1] }]);
    expect(await describeAll()).toEqual([['jobs', 0, 10, 0], ['jobs', 1, -1, -1]]);

    // Delete the topic's share state: gone after kill -9 too; the next fetch starts from earliest.
    await c.request(78, 2, { groupId: G, memberId: 'm2', shareSessionEpoch: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [], forgottenTopicsData: [] });
    const deleted = await c.request(92, 0, { groupId: G, topics: [{ topicName: 'jobs' }, { topicName: 'nosuch' }] });
    expect([deleted.errorCode, ...deleted.responses.map((t: any) => [t.topicName, t.errorCode])]).toEqual([0, ['jobs', 0], ['nosuch', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    expect(await describeAll()).toEqual([]);
    await restart();
    expect(await describeAll()).toEqual([]);
    sessionEpoch = 0;
    expect(acquired(await fetch('m3'))).toEqual([{ firstOffset: 0, lastOffset: 9, deliveryCount: 1 }]);
    await c.request(78, 2, { groupId: G, memberId: 'm3', shareSessionEpoch: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 0, lastOffset: 9, acknowledgeTypes: [1] }] }] }], forgottenTopicsData: [] });

    // DeleteGroups: the group and its state go, and stay gone after kill -9.
    expect((await c.request(42, 2, { groupsNames: [G] })).results[0].errorCode).toBe(0);
    expect((await c.request(42, 2, { groupsNames: [G] })).results[0].errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    await restart();
    expect((await c.request(16, 5, { statesFilter: [], typesFilter: ['share'] })).groups).toEqual([]);
    expect((await c.request(77, 1, { groupIds: [G], includeAuthorizedOperations: false })).groups[0].errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(await describeAll()).toEqual([]);
    sessionEpoch = 0;
    expect(acquired(await fetch('m4'))).toEqual([{ firstOffset: 0, lastOffset: 9, deliveryCount: 1 }]);
  }, 120_000);
});

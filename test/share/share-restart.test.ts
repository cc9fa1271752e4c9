/**
 * Share-partition state survives a broker crash (kill -9) and a restart: it is kept in
 * __share_group_state and written before a ShareFetch or ShareAcknowledge is answered. After the
 * restart an acknowledged (or rejected) record is never delivered again, and a record that was
 * acquired but not acknowledged comes back with its delivery count raised. Share-group members,
 * their epochs and assignments survive too (__consumer_offsets record types 10-14).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { spawnBroker, type ChildBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { javaAvailable, runJava } from '../helpers/java.js';

const FLAGS = { 'runnel.group.share.auto.offset.reset': 'earliest', 'share.coordinator.state.topic.num.partitions': 3 };

describe('share-partition state across kill -9', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-share-restart-'));
  let broker: ChildBroker | null = null;

  afterAll(async () => {
    await broker?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('acknowledged records stay done; acquired ones come back with their delivery count', async () => {
    broker = await spawnBroker(dataDir, FLAGS);
    let c = await RawClient.connect(broker.host, broker.port);
    const created = await c.request(19, 7, { topics: [{ name: 'durable', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    const topicId: Buffer = created.topics[0].topicId;
    for (let b = 0; b < 4; b++) {
      const records = buildBatchSync(Array.from({ length: 5 }, (_, i) => ({ value: `v${b * 5 + i}` })));
      await c.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'durable', partitionData: [{ index: 0, records }] }] });
    }
    const fetch = (epoch: number, acks: object[] = []) =>
      c.request(78, 2, { groupId: 'dg', memberId: 'm1', shareSessionEpoch: epoch, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }], forgottenTopicsData: [] });
    const acquired = (r: any) => r.responses[0]?.partitions[0]?.acquiredRecords ?? [];
    expect(acquired(await fetch(0))).toEqual([{ firstOffset: 0, lastOffset: 19, deliveryCount: 1 }]);
    // Accept 0-4, reject 5-9, release 10-14 (15-19 stay acquired); the fetch gives 10-14 again.
    const types = [...Array(5).fill(1), ...Array(5).fill(3), ...Array(5).fill(2)];
    const r = await fetch(1, [{ firstOffset: 0, lastOffset: 14, acknowledgeTypes: types }]);
    expect(r.responses[0].partitions[0].acknowledgeErrorCode).toBe(0);
    expect(acquired(r)).toEqual([{ firstOffset: 10, lastOffset: 14, deliveryCount: 2 }]);
    c.close();

    await broker.kill('SIGKILL');
    broker = await spawnBroker(dataDir, FLAGS);
    c = await RawClient.connect(broker.host, broker.port);
    // A new session after the crash: 0-9 never again; 10-19 back, each one delivery later.
    const after = await fetch(0);
    expect(acquired(after)).toEqual([
      { firstOffset: 10, lastOffset: 14, deliveryCount: 3 },
      { firstOffset: 15, lastOffset: 19, deliveryCount: 2 },
    ]);
    const done = await fetch(1, [{ firstOffset: 10, lastOffset: 19, acknowledgeTypes: [1] }]);
    expect(done.responses[0].partitions[0].acknowledgeErrorCode).toBe(0);
    c.close();

    // A graceful restart: everything acknowledged, nothing comes back.
    await broker.kill('SIGTERM');
    broker = await spawnBroker(dataDir, FLAGS);
    c = await RawClient.connect(broker.host, broker.port);
    expect(acquired(await fetch(0))).toEqual([]);
    c.close();
  }, 90_000);
});

describe('share-group members across kill -9', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-share-members-'));
  let broker: ChildBroker | null = null;
  // Short sessions, so a member that never returns after the restart expires within the test.
  const MEMBER_FLAGS = { ...FLAGS, 'group.share.min.session.timeout.ms': 3000, 'group.share.session.timeout.ms': 3000, 'offsets.topic.num.partitions': 1 };

  afterAll(async () => {
    await broker?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** What ShareGroupDescribe says of the group: epochs and each member's epoch, subscription and partitions. */
  const describeShape = async (c: RawClient, groupId: string) => {
    const d = (await c.request(77, 1, { groupIds: [groupId], includeAuthorizedOperations: false })).groups[0];
    return {
      error: d.errorCode,
      state: d.groupState,
      groupEpoch: d.groupEpoch,
      assignmentEpoch: d.assignmentEpoch,
      members: [...d.members]
        .sort((a: any, b: any) => a.memberId.localeCompare(b.memberId))
        .map((m: any) => ({ id: m.memberId, epoch: m.memberEpoch, rack: m.rackId, client: m.clientId, topics: m.subscribedTopicNames, partitions: m.assignment.topicPartitions.map((t: any) => [t.topicName, [...t.partitions].sort()]) })),
    };
  };

  // Members and assignments are in __consumer_offsets (record types 10, 12, 13, 14): after a crash
  // ShareGroupDescribe shows the same members, epochs and partitions, a member carries on with its
  // epoch (no UNKNOWN_MEMBER_ID, no rejoin), and a member that never comes back expires. Kafka's
  // own decoder (kafka-dump-log --offsets-decoder) reads the records Runnel wrote.
  it('members, member epochs and assignments survive; a member carries on; one that never returns expires', async () => {
    broker = await spawnBroker(dataDir, MEMBER_FLAGS);
    let c = await RawClient.connect(broker.host, broker.port);
    await c.request(19, 7, { topics: [{ name: 'members', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    const hb = (memberId: string, body: Record<string, unknown>) => c.request(76, 1, { groupId: 'mg', memberId, memberEpoch: 0, rackId: null, subscribedTopicNames: ['members'], ...body });
    const a = await hb('member-a', { rackId: 'rack-1' });
    expect(a.errorCode).toBe(0);
    const b = await hb('member-b', {});
    expect(b.errorCode).toBe(0);
    const a2 = await hb('member-a', { memberEpoch: a.memberEpoch, subscribedTopicNames: null });
    expect(a2.errorCode).toBe(0);
    expect(a2.memberEpoch).toBe(b.memberEpoch); // member-a got the assignment made when member-b joined
    const before = await describeShape(c, 'mg');
    expect(before.members.map((m) => [m.id, m.epoch, m.partitions])).toEqual([
      ['member-a', a2.memberEpoch, [['members', [0]]]],
      ['member-b', b.memberEpoch, [['members', [1]]]],
    ]);
    // An unchanged heartbeat writes nothing: the log end of __consumer_offsets stays.
    const end = async () => (await c.request(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: '__consumer_offsets', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }] })).topics[0].partitions[0].offset;
    const endBefore = await end();
    expect((await hb('member-a', { memberEpoch: a2.memberEpoch, subscribedTopicNames: null })).errorCode).toBe(0);
    expect(await end()).toEqual(endBefore);
    c.close();

    await broker.kill('SIGKILL');
    broker = await spawnBroker(dataDir, MEMBER_FLAGS);
    c = await RawClient.connect(broker.host, broker.port);
    expect(await describeShape(c, 'mg')).toEqual(before);
    // member-a carries on with its epoch (no UNKNOWN_MEMBER_ID, no new assignment).
    const again = await hb('member-a', { memberEpoch: a2.memberEpoch, subscribedTopicNames: null });
    expect(again.errorCode).toBe(0);
    expect(again.memberEpoch).toBe(a2.memberEpoch);
    // Its previous epoch (kept in record type 14) is accepted too, as Kafka does (a lost answer):
    // the answer carries the current epoch and the assignment again; an older one is fenced.
    const previous = await hb('member-a', { memberEpoch: a.memberEpoch, subscribedTopicNames: null });
    expect([previous.errorCode, previous.memberEpoch, previous.assignment?.topicPartitions[0].partitions]).toEqual([0, a2.memberEpoch, [0]]);
    expect((await hb('member-b', { memberEpoch: b.memberEpoch - 1, subscribedTopicNames: null })).errorCode).toBe(110); // FENCED_MEMBER_EPOCH
    // member-b never returns: its session (restarted at load) expires and member-a gets both partitions.
    const deadline = Date.now() + 20_000;
    let epoch = again.memberEpoch;
    let shape = await describeShape(c, 'mg');
    while (shape.members.length > 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const h = await hb('member-a', { memberEpoch: epoch, subscribedTopicNames: null });
      expect(h.errorCode).toBe(0);
      epoch = h.memberEpoch;
      shape = await describeShape(c, 'mg');
    }
    expect(shape.members.map((m) => [m.id, m.partitions])).toEqual([['member-a', [['members', [0, 1]]]]]);
    // member-a leaves: the group stays, empty, across another crash.
    expect((await hb('member-a', { memberEpoch: -1, subscribedTopicNames: null })).errorCode).toBe(0);
    const empty = await describeShape(c, 'mg');
    c.close();

    await broker.kill('SIGKILL');
    broker = await spawnBroker(dataDir, MEMBER_FLAGS);
    c = await RawClient.connect(broker.host, broker.port);
    expect(await describeShape(c, 'mg')).toEqual({ ...empty, state: 'Empty', members: [] });
    const listed = await c.request(16, 5, { statesFilter: [], typesFilter: ['share'] });
    expect(listed.groups.map((g: any) => [g.groupId, g.groupState])).toEqual([['mg', 'Empty']]);
    // A member unknown to a known group rejoins (UNKNOWN_MEMBER_ID); an unknown group stays GROUP_ID_NOT_FOUND.
    expect((await hb('member-a', { memberEpoch: 5, subscribedTopicNames: null })).errorCode).toBe(25);
    expect((await c.request(76, 1, { groupId: 'never', memberId: 'm1', memberEpoch: 3, rackId: null, subscribedTopicNames: null })).errorCode).toBe(69);
    c.close();
    await broker.kill('SIGTERM');
    broker = null;

    // Kafka 4.4's own decoder reads the records (kafka-dump-log --offsets-decoder).
    if (!javaAvailable()) return;
    const dump = await runJava('org.apache.kafka.tools.DumpLogSegments', ['--offsets-decoder', '--files', join(dataDir, '__consumer_offsets-0', '00000000000000000000.log')]);
    expect(dump.code).toBe(0);
    expect(dump.stdout).toMatch(/key: \{"type":"10","data":\{"groupId":"mg","memberId":"member-a"\}\} payload: \{"version":"0","data":\{"rackId":"rack-1","clientId":"raw","clientHost":"\/127\.0\.0\.1","subscribedTopicNames":\["members"\]\}\}/);
    expect(dump.stdout).toMatch(/key: \{"type":"12","data":\{"groupId":"mg"\}\} payload: \{"version":"0","data":\{"assignmentEpoch":2,/);
    expect(dump.stdout).toMatch(/key: \{"type":"13","data":\{"groupId":"mg","memberId":"member-b"\}\} payload: \{"version":"0","data":\{"topicPartitions":\[\{"topicId":"[^"]+","partitions":\[1\]\}\]\}\}/);
    expect(dump.stdout).toMatch(/key: \{"type":"14","data":\{"groupId":"mg","memberId":"member-a"\}\} payload: \{"version":"0","data":\{"memberEpoch":2,"previousMemberEpoch":1,"state":0,"assignedPartitions":\[\{"topicId":"[^"]+","partitions":\[0\]\}\]\}\}/);
    expect(dump.stdout).toMatch(/key: \{"type":"10","data":\{"groupId":"mg","memberId":"member-b"\}\} payload: <DELETE>/);
    expect(dump.stdout).not.toMatch(/isvalid: false|Unknown|Error/i);
  }, 90_000);
});

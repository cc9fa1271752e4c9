/**
 * Issue 5 acceptance: group administration shows the real members, assignments, offsets and lag —
 * DescribeGroups / ListGroups / DeleteGroups / OffsetDelete through kafkajs admin,
 * confluent-kafka-python's AdminClient, kafka-python's KafkaAdminClient and Kafka's own
 * kafka-consumer-groups tool (OffsetDelete: neither kafkajs 2.2.4 nor confluent-kafka-python 1.7
 * has it), plus the coordinator's describeGroupLag().
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssignerProtocol, Kafka, logLevel, type Consumer } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors.js';
import { describeGroupLag } from '../../src/groups/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { python } from '../helpers/clients.js';
import { javaAvailable, runKafkaTool } from '../helpers/java.js';
import { RawClient } from '../helpers/raw-client.js';

const TOPIC = 'admin-groups';
let broker: TestBroker;
let kafka: Kafka;
const consumers: Consumer[] = [];

async function startConsumer(clientId: string, seen: Set<string>): Promise<Consumer> {
  const c = new Kafka({ brokers: [broker.bootstrap], clientId, logLevel: logLevel.NOTHING }).consumer({ groupId: 'active', sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 500 });
  await c.connect();
  await c.subscribe({ topic: TOPIC, fromBeginning: true });
  await c.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      await c.commitOffsets([{ topic: TOPIC, partition, offset: String(Number(message.offset) + 1) }]);
      seen.add(message.value!.toString());
    },
  });
  consumers.push(c);
  return c;
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
  kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 4 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: TOPIC, messages: Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, value: `v${i}` })) });
  // Two live members that consumed (and committed) everything.
  const seen = new Set<string>();
  await startConsumer('member-one', seen);
  await startConsumer('member-two', seen);
  await waitFor('both members to consume everything', async () => {
    if (seen.size < 40) return false;
    const d = (await admin.describeGroups(['active'])).groups[0]!;
    return d.state === 'Stable' && d.members.length === 2;
  });
  // Stop consuming without leaving: pause keeps the members (and their heartbeats); then more
  // records arrive after the commits: lag 5 per partition.
  for (const c of consumers) c.pause([{ topic: TOPIC }]);
  await new Promise((r) => setTimeout(r, 1000));
  await producer.send({ topic: TOPIC, messages: Array.from({ length: 20 }, (_, i) => ({ partition: i % 4, value: `lag${i}` })) });
  await producer.disconnect();
  // A simple group: offsets committed without group management (generation -1, no member id).
  const raw = await RawClient.connect(broker.host, broker.port);
  const simple = await raw.request<any>(8, 2, { groupId: 'simple', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 3, committedMetadata: 'raw' }] }] });
  raw.close();
  expect(simple.topics[0].partitions[0].errorCode).toBe(0);
  // Empty consumer groups (kafkajs setOffsets joins the group, commits and leaves).
  await admin.setOffsets({ groupId: 'empty', topic: TOPIC, partitions: [0, 1, 2, 3].map((p) => ({ partition: p, offset: String(p * 2) })) });
  await admin.setOffsets({ groupId: 'doomed', topic: TOPIC, partitions: [{ partition: 0, offset: '1' }] });
  await admin.setOffsets({ groupId: 'doomed-kp', topic: TOPIC, partitions: [{ partition: 0, offset: '1' }] });
  await admin.disconnect();
}, 60_000);

afterAll(async () => {
  await Promise.all(consumers.map((c) => c.disconnect()));
  await broker?.cleanup();
});

describe('kafkajs admin', () => {
  it('lists and describes groups with their members and assignments', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const listed = (await admin.listGroups()).groups.sort((a, b) => a.groupId.localeCompare(b.groupId));
      expect(listed).toEqual([
        { groupId: 'active', protocolType: 'consumer' },
        { groupId: 'doomed', protocolType: 'consumer' },
        { groupId: 'doomed-kp', protocolType: 'consumer' },
        { groupId: 'empty', protocolType: 'consumer' },
        { groupId: 'simple', protocolType: '' },
      ]);
      const [active, empty, simple, unknown] = (await admin.describeGroups(['active', 'empty', 'simple', 'nope'])).groups;
      expect(active).toMatchObject({ errorCode: 0, groupId: 'active', state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' });
      const members = active!.members.map((m) => ({
        clientId: m.clientId,
        clientHost: m.clientHost,
        assignment: AssignerProtocol.MemberAssignment.decode(m.memberAssignment)!.assignment[TOPIC]!.sort(),
        topics: AssignerProtocol.MemberMetadata.decode(m.memberMetadata)!.topics,
      }));
      members.sort((a, b) => a.clientId.localeCompare(b.clientId));
      expect(members).toEqual([
        { clientId: 'member-one', clientHost: '/127.0.0.1', assignment: expect.any(Array), topics: [TOPIC] },
        { clientId: 'member-two', clientHost: '/127.0.0.1', assignment: expect.any(Array), topics: [TOPIC] },
      ]);
      expect([...members[0]!.assignment, ...members[1]!.assignment].sort()).toEqual([0, 1, 2, 3]);
      expect(members[0]!.assignment).toHaveLength(2);
      expect(empty).toMatchObject({ state: 'Empty', protocolType: 'consumer', protocol: '', members: [] });
      expect(simple).toMatchObject({ state: 'Empty', protocolType: '', members: [] });
      expect((await admin.fetchOffsets({ groupId: 'simple', topics: [TOPIC] }))[0]!.partitions[0]).toMatchObject({ offset: '3', metadata: 'raw' });
      expect(unknown).toMatchObject({ errorCode: 0, state: 'Dead', members: [] });
    } finally {
      await admin.disconnect();
    }
  });

  it('fetches committed offsets; with the topic end offsets that is the lag', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: 'active', topics: [TOPIC] });
      const ends = await admin.fetchTopicOffsets(TOPIC);
      const lag = committed!.partitions.map((p) => Number(ends.find((e) => e.partition === p.partition)!.high) - Number(p.offset));
      expect(committed!.partitions.map((p) => p.offset)).toEqual(['10', '10', '10', '10']);
      expect(lag).toEqual([5, 5, 5, 5]);
      expect((await admin.fetchOffsets({ groupId: 'empty', topics: [TOPIC] }))[0]!.partitions.map((p) => p.offset)).toEqual(['0', '2', '4', '6']);
      // resetOffsets works on an empty group (kafkajs commits -2, "earliest", stored as is, as Kafka
      // does) and is refused for an active one.
      await admin.resetOffsets({ groupId: 'empty', topic: TOPIC, earliest: true });
      expect((await admin.fetchOffsets({ groupId: 'empty', topics: [TOPIC] }))[0]!.partitions.map((p) => p.offset)).toEqual(['-2', '-2', '-2', '-2']);
      await expect(admin.setOffsets({ groupId: 'active', topic: TOPIC, partitions: [{ partition: 0, offset: '0' }] })).rejects.toThrow();
    } finally {
      await admin.disconnect();
    }
  });

  it('deletes empty groups, refuses active ones', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await expect(admin.deleteGroups(['active'])).rejects.toMatchObject({ groups: [expect.objectContaining({ groupId: 'active', errorCode: ErrorCode.NON_EMPTY_GROUP })] });
      expect(await admin.deleteGroups(['doomed'])).toEqual([{ groupId: 'doomed', errorCode: 0 }]);
      expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain('doomed');
      expect((await admin.fetchOffsets({ groupId: 'doomed', topics: [TOPIC] }))[0]!.partitions[0]!.offset).toBe('-1');
    } finally {
      await admin.disconnect();
    }
  });
});

describe('describeGroupLag()', () => {
  it('reports committed, log end and lag per partition with the owning member', () => {
    const lag = describeGroupLag(broker.broker.groups, 'active')!;
    expect(lag.state).toBe('Stable');
    expect(lag.totalLag).toBe(20);
    expect(lag.partitions.map((p) => [p.partition, p.committed, p.logEndOffset, p.lag])).toEqual([
      [0, 10, 15, 5],
      [1, 10, 15, 5],
      [2, 10, 15, 5],
      [3, 10, 15, 5],
    ]);
    expect(new Set(lag.partitions.map((p) => p.clientId))).toEqual(new Set(['member-one', 'member-two']));
  });
});

describe('Python admin clients', () => {
  it('confluent-kafka-python and kafka-python see the same groups, members, assignments and offsets', async () => {
    const r = await python<Record<string, any>>('group_admin.py', { bootstrap: broker.bootstrap, active: 'active', empty: 'empty', simple: 'simple', topic: TOPIC, delete: 'doomed-kp' });
    const ckActive = r.ck_groups.active;
    expect(ckActive).toMatchObject({ state: 'Stable', protocol_type: 'consumer', protocol: 'RoundRobinAssigner' });
    expect(ckActive.members.map((m: any) => m.client_id)).toEqual(['member-one', 'member-two']);
    expect(ckActive.members.flatMap((m: any) => m.assignment[TOPIC]).sort()).toEqual([0, 1, 2, 3]);
    expect(ckActive.members[0].client_host).toBe('/127.0.0.1');
    expect(r.ck_groups.empty).toMatchObject({ state: 'Empty', members: [] });

    expect(r.kp_list).toEqual(expect.arrayContaining([['active', 'consumer'], ['empty', 'consumer'], ['simple', '']]));
    expect(r.kp_describe.active).toMatchObject({ state: 'Stable', protocol_type: 'consumer', protocol: 'RoundRobinAssigner' });
    expect(r.kp_describe.active.members.flatMap((m: any) => m.assignment[TOPIC]).sort()).toEqual([0, 1, 2, 3]);
    expect(r.kp_describe.empty).toMatchObject({ state: 'Empty', members: [] });
    expect(r.kp_offsets).toEqual({ [`${TOPIC}-0`]: 10, [`${TOPIC}-1`]: 10, [`${TOPIC}-2`]: 10, [`${TOPIC}-3`]: 10 });
    expect(r.kp_offsets_some).toEqual({ [`${TOPIC}-0`]: 3, [`${TOPIC}-99`]: -1 });
    expect(r.kp_delete).toEqual([
      ['doomed-kp', 0],
      ['active', ErrorCode.NON_EMPTY_GROUP],
      ['no-such-group', ErrorCode.GROUP_ID_NOT_FOUND],
    ]);
    expect(r.kp_list_after).not.toContain('doomed-kp');
  });
});

describe('OffsetDelete', () => {
  it('deletes offsets of empty groups and of unsubscribed topics only (raw protocol)', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    try {
      const del = (groupId: string, partitions: number[], topic = TOPIC) =>
        c.request<any>(47, 0, { groupId, topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex })) }] });
      const active = await del('active', [0]);
      expect(active.errorCode).toBe(0);
      expect(active.topics[0].partitions[0].errorCode).toBe(ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
      const empty = await del('empty', [1, 7]);
      expect(empty.errorCode).toBe(0);
      expect(empty.topics[0].partitions.map((p: any) => p.errorCode)).toEqual([0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
      expect((await del('nope', [0])).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
      const fetched = await c.request<any>(9, 7, { groupId: 'empty', topics: null });
      expect(fetched.topics[0].partitions.map((p: any) => p.partitionIndex).sort()).toEqual([0, 2, 3]);
    } finally {
      c.close();
    }
  });

  it.skipIf(!javaAvailable())("through Kafka's kafka-consumer-groups --delete-offsets", async () => {
    const r = await runKafkaTool('ConsumerGroupCommand', ['--bootstrap-server', broker.bootstrap, '--delete-offsets', '--group', 'empty', '--topic', `${TOPIC}:2`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/admin-groups\s+2\s+Successful/);
    const d = await runKafkaTool('ConsumerGroupCommand', ['--bootstrap-server', broker.bootstrap, '--describe', '--group', 'active']);
    expect(d.code).toBe(0);
    // TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
    const rows = d.stdout.split('\n').filter((l) => l.startsWith('active '));
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(row).toMatch(/admin-groups\s+\d\s+10\s+15\s+5\s+member-\S+\s+\/127\.0\.0\.1\s+member-(one|two)/);
  }, 120_000);
});

describe('first use of groups on a fresh broker', () => {
  it('concurrent FindCoordinator/JoinGroup/SyncGroup while __consumer_offsets is being created all succeed', async () => {
    const fresh = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
    const clients = await Promise.all(Array.from({ length: 5 }, () => RawClient.connect(fresh.host, fresh.port)));
    try {
      const results = await Promise.all(
        clients.map(async (c, i) => {
          const group = `fresh-${i}`;
          const fc = await c.request<any>(10, 3, { key: group, keyType: 0 });
          const j = await c.request<any>(11, 3, { groupId: group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(6) }] });
          const s = await c.request<any>(14, 3, { groupId: group, generationId: j.generationId, memberId: j.memberId, assignments: [{ memberId: j.memberId, assignment: Buffer.from([1]) }] });
          return [fc.errorCode, fc.nodeId, j.errorCode, s.errorCode, s.assignment];
        }),
      );
      for (const r of results) expect(r).toEqual([0, 1, 0, 0, Buffer.from([1])]);
      expect(fresh.broker.topics.get('__consumer_offsets')).toMatchObject({ partitions: 50, internal: true });
    } finally {
      for (const c of clients) c.close();
      await fresh.cleanup();
    }
  });
});

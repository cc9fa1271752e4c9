/**
 * The Java clients 4.4 with their defaults against Runnel (issue 9): a default producer
 * (idempotent, acks=all: InitProducerId and per-partition sequences) and a consumer group of two
 * members (classic protocol, the default) round-trip 100,000 records; the AdminClient's
 * describeCluster, describeTopics (DescribeTopicPartitions, which 4.x admin clients prefer),
 * listOffsets, describeConfigs and listConsumerGroupOffsets return the right values; the KIP-848
 * consumer protocol (group.protocol=consumer) fails the way it fails against a Kafka without it,
 * with Kafka's own message — see the README's compatibility table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { ensureJavaBuilt, runJava, runJavaOk, runKafkaScript } from '../helpers/java.js';
import { RawClient } from '../helpers/raw-client.js';
import { ErrorCode } from '../../protocol/errors.js';

const RECORDS = 100_000;
const TOPIC = 'java-roundtrip';
const PARTITIONS = 6;
const GROUP = 'java-roundtrip-group';

let broker: TestBroker;
let b: string;

type PartitionStats = Record<string, { count: number; first: number; last: number }>;

beforeAll(async () => {
  await ensureJavaBuilt();
  broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
  b = broker.bootstrap;
}, 300_000);
afterAll(async () => {
  await broker?.cleanup();
});

describe('Java producer and consumer group with default settings', () => {
  let produced: { acked: number; errors: unknown[]; partitions: PartitionStats; valueChecksum: number };

  it('a default producer and a two-member group round-trip 100,000 records; the group commits and shows no lag', async () => {
    const created = await runJavaOk('Admin', ['create-topics', '--bootstrap', b, '--topic', TOPIC, '--partitions', String(PARTITIONS), '--config', 'retention.ms=86400000']);
    expect(created.topics[TOPIC]).toEqual({ partitions: PARTITIONS, replicationFactor: 1 });

    // Two members join first, so both are assigned partitions before a record exists. Each stops
    // 5 s after its last record and commits (also on a revocation, so a member that leaves first
    // does not make the other re-read what it counted).
    const member = (id: string) =>
      runJava('Consume', ['--bootstrap', b, '--topic', TOPIC, '--group', GROUP, '--client-id', id, '--from-beginning', '--commit', '--idle-ms', '5000', '--timeout-ms', '120000'], { timeoutMs: 150_000 });
    const members = [member('member-a'), member('member-b')];
    const deadline = Date.now() + 60_000;
    for (;;) {
      const d = await runJavaOk('Admin', ['describe-groups', '--bootstrap', b, '--group', GROUP]);
      const g = d.groups[GROUP];
      if (g.state === 'Stable' && g.members.length === 2 && g.members.every((m: { assignment: string[] }) => m.assignment.length === PARTITIONS / 2)) {
        expect(g.protocol).toBe('range'); // the first of the Java consumer's default assignors
        expect(g.members.map((m: { clientId: string }) => m.clientId).sort()).toEqual(['member-a', 'member-b']);
        break;
      }
      if (Date.now() > deadline) throw new Error(`the group did not get two members: ${JSON.stringify(d)}`);
      await new Promise((r) => setTimeout(r, 250));
    }

    // The producer with its defaults: no acks/idempotence/batching settings given.
    produced = await runJavaOk('Produce', ['--bootstrap', b, '--topic', TOPIC, '--count', String(RECORDS), '--key-pattern', 'key-%d'], { timeoutMs: 120_000 });
    expect(produced.acked).toBe(RECORDS);
    expect(produced.errors).toEqual([]);
    expect(Object.keys(produced.partitions).sort()).toEqual([...Array(PARTITIONS).keys()].map(String));

    const [a, c] = await Promise.all(members);
    for (const r of [a, c]) expect(r!.code, r!.stderr).toBe(0);
    const ja = a!.json;
    const jc = c!.json;
    expect(ja.timedOut).toBe(false);
    expect(jc.timedOut).toBe(false);
    expect(ja.count + jc.count).toBe(RECORDS);
    // Each member read its own half of the partitions.
    const pa = Object.keys(ja.partitions as PartitionStats);
    const pc = Object.keys(jc.partitions as PartitionStats);
    expect(pa).toHaveLength(PARTITIONS / 2);
    expect(pc).toHaveLength(PARTITIONS / 2);
    expect(pa.filter((p) => pc.includes(p))).toEqual([]);
    // Every record exactly once, in offset order per partition.
    for (const [p, info] of Object.entries(produced.partitions)) {
      expect(info).toMatchObject({ first: 0, last: info.count - 1 });
      const got = ja.partitions[`${TOPIC}-${p}`] ?? jc.partitions[`${TOPIC}-${p}`];
      expect(got).toEqual({ count: info.count, first: 0, last: info.count - 1 });
    }
    expect((ja.valueChecksum + jc.valueChecksum) % 2 ** 32).toBe(produced.valueChecksum);

    // kafka-consumer-groups: every partition committed at its log end, LAG 0, nobody left.
    const groups = await runKafkaScript('kafka-consumer-groups.sh', ['--bootstrap-server', b, '--describe', '--group', GROUP]);
    expect(groups.stderr).toContain(`Consumer group '${GROUP}' has no active members.`); // (Kafka prints it to stderr)
    const rows = groups.stdout.split('\n').filter((l) => l.startsWith(`${GROUP} `)).map((l) => l.trim().split(/\s+/));
    expect(rows).toHaveLength(PARTITIONS);
    for (const [, topic, partition, current, end, lag] of rows) {
      const count = String(produced.partitions[partition!]!.count);
      expect({ topic, current, end, lag }).toEqual({ topic: TOPIC, current: count, end: count, lag: '0' });
    }
  }, 240_000);

  it('AdminClient: describeCluster, describeTopics, listOffsets, describeConfigs and listConsumerGroupOffsets', async () => {
    expect(produced, 'needs the round trip above').toBeDefined();
    const counts = Object.fromEntries(Object.entries(produced.partitions).map(([p, s]) => [`${TOPIC}-${p}`, s.count]));

    const cluster = await runJavaOk('Admin', ['describe-cluster', '--bootstrap', b]);
    const node = { id: 1, host: '127.0.0.1', port: broker.port, rack: null };
    expect(cluster).toMatchObject({ clusterId: broker.broker.clusterId, controller: node, nodes: [node] });

    // describeTopics goes through DescribeTopicPartitions (advertised since issue 9).
    const described = await runJavaOk('Admin', ['describe-topics', '--bootstrap', b, '--topic', `${TOPIC},__consumer_offsets,no-such-topic`]);
    const t = described.topics[TOPIC];
    expect(t.internal).toBe(false);
    expect(t.topicId).toBe(broker.broker.topics.get(TOPIC)!.id.toString('base64url'));
    expect(t.partitions).toEqual([...Array(PARTITIONS).keys()].map((p) => ({ partition: p, leader: 1, replicas: [1], isr: [1] })));
    expect(described.topics.__consumer_offsets.internal).toBe(true);
    expect(described.topics.__consumer_offsets.partitions).toHaveLength(50);
    expect(described.topics['no-such-topic'].error.class).toBe('UnknownTopicOrPartitionException');

    const earliest = await runJavaOk('Admin', ['list-offsets', '--bootstrap', b, '--topic', TOPIC, '--spec', 'earliest']);
    const latest = await runJavaOk('Admin', ['list-offsets', '--bootstrap', b, '--topic', TOPIC, '--spec', 'latest']);
    const maxTs = await runJavaOk('Admin', ['list-offsets', '--bootstrap', b, '--topic', TOPIC, '--spec', 'max-timestamp']);
    const future = await runJavaOk('Admin', ['list-offsets', '--bootstrap', b, '--topic', TOPIC, '--spec', String(Date.now() + 3_600_000)]);
    for (const [tp, count] of Object.entries(counts)) {
      expect(earliest.partitions[tp]).toMatchObject({ offset: 0 });
      expect(latest.partitions[tp]).toMatchObject({ offset: count });
      expect(maxTs.partitions[tp].offset).toBeGreaterThanOrEqual(0);
      expect(maxTs.partitions[tp].offset).toBeLessThan(count);
      expect(maxTs.partitions[tp].timestamp).toBeGreaterThan(Date.now() - 600_000);
      expect(future.partitions[tp]).toMatchObject({ offset: -1, timestamp: -1 });
    }

    const topicConfigs = await runJavaOk('Admin', ['describe-configs', '--bootstrap', b, '--topic', TOPIC, '--all', 'true']);
    const tc = topicConfigs.configs[TOPIC] as Record<string, { value: string; source: string; readOnly: boolean }>;
    expect(tc['retention.ms']).toMatchObject({ value: '86400000', source: 'DYNAMIC_TOPIC_CONFIG' });
    expect(tc['cleanup.policy']).toMatchObject({ value: 'delete', source: 'DEFAULT_CONFIG' });
    expect(tc['max.message.bytes']).toMatchObject({ value: '1048588', source: 'DEFAULT_CONFIG' });
    expect(tc['segment.bytes']).toMatchObject({ value: '1073741824', source: 'DEFAULT_CONFIG' });
    const brokerConfigs = await runJavaOk('Admin', ['describe-configs', '--bootstrap', b, '--broker', '1', '--all', 'true']);
    const bc = brokerConfigs.configs['1'] as Record<string, { value: string; source: string; readOnly: boolean }>;
    expect(bc['group.initial.rebalance.delay.ms']).toMatchObject({ value: '0', source: 'STATIC_BROKER_CONFIG' });
    expect(bc['log.retention.hours']).toMatchObject({ value: '168', source: 'DEFAULT_CONFIG' });
    expect(bc['num.partitions']).toMatchObject({ value: '1', source: 'DEFAULT_CONFIG' });

    const offsets = await runJavaOk('Admin', ['list-group-offsets', '--bootstrap', b, '--group', GROUP]);
    expect(Object.fromEntries(Object.entries(offsets.offsets as Record<string, { offset: number }>).map(([tp, o]) => [tp, o.offset]))).toEqual(counts);
  }, 120_000);
});

describe('what the Java clients cannot use yet', () => {
  // group.protocol=consumer (KIP-848) is served now: the consumer joins through
  // ConsumerGroupHeartbeat and reads (test/compat/consumer-group-clients.test.ts covers groups of them).
  it('group.protocol=consumer (KIP-848) consumes: the consumer joins through ConsumerGroupHeartbeat', async () => {
    const r = await runJava('Consume', ['--bootstrap', b, '--topic', TOPIC, '--group', 'kip848', '--group-protocol', 'consumer', '--from-beginning', '--max', '1', '--timeout-ms', '30000']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.count).toBeGreaterThanOrEqual(1);
  });

  it('Kafka Streams with group.protocol=streams (KIP-1071) stops at once: StreamsGroupHeartbeat is not served', async () => {
    const r = await runJava('StreamsPipe', ['--bootstrap', b, '--application-id', 'kip1071', '--input', TOPIC, '--output', 'kip1071-out', '--max', '1', '--timeout-ms', '30000', '--prop', 'group.protocol=streams']);
    expect(r.code).toBe(1);
    expect(r.json.error.message).toBe(
      'org.apache.kafka.common.errors.UnsupportedVersionException: The cluster does not support the STREAMS group protocol or does not support the versions of the STREAMS group protocol used by this client (used versions: 0 to 1).',
    );
  });
});

describe('DescribeTopicPartitions (key 75) as Kafka pages it', () => {
  it('pages by partition limit and cursor, sorted by topic; unknown topics and bad cursors get Kafka\'s errors', async () => {
    for (const [t, n] of [['dtp-b', 3], ['dtp-a', 2], ['dtp-c', 1]] as const) {
      await broker.broker.topics.create(t, { partitions: n, replicationFactor: -1, configs: [] });
    }
    const raw = await RawClient.connect(broker.host, broker.port);
    try {
      const page = async (limit: number, cursor: { topicName: string; partitionIndex: number } | null, names = ['dtp-c', 'dtp-a', 'dtp-b', 'dtp-x']) => {
        const res = await raw.request(75, 0, { topics: names.map((name) => ({ name })), responsePartitionLimit: limit, cursor });
        return {
          topics: res.topics.map((t: any) => [t.name, t.errorCode, t.partitions.map((p: any) => p.partitionIndex)]),
          next: res.nextCursor,
        };
      };
      expect(await page(2000, null)).toEqual({
        topics: [['dtp-a', 0, [0, 1]], ['dtp-b', 0, [0, 1, 2]], ['dtp-c', 0, [0]], ['dtp-x', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []]],
        next: null,
      });
      // A limit of 3: dtp-a fully, dtp-b's first partition, then a cursor into dtp-b.
      expect(await page(3, null)).toEqual({ topics: [['dtp-a', 0, [0, 1]], ['dtp-b', 0, [0]]], next: { topicName: 'dtp-b', partitionIndex: 1 } });
      expect(await page(3, { topicName: 'dtp-b', partitionIndex: 1 })).toEqual({
        topics: [['dtp-b', 0, [1, 2]], ['dtp-c', 0, [0]]],
        next: { topicName: 'dtp-x', partitionIndex: 0 },
      });
      // The limit reached exactly at a topic's end: the cursor points at the next topic.
      expect(await page(2, null)).toEqual({ topics: [['dtp-a', 0, [0, 1]]], next: { topicName: 'dtp-b', partitionIndex: 0 } });
      // A cursor topic outside the requested list is an invalid request.
      expect(await page(10, { topicName: 'dtp-zzz', partitionIndex: 0 }, ['dtp-a'])).toEqual({ topics: [['dtp-a', ErrorCode.INVALID_REQUEST, []]], next: null });
      // Every partition of one of them, as kafka-topics --describe shows it.
      const one = await raw.request(75, 0, { topics: [{ name: 'dtp-b' }], responsePartitionLimit: 2000, cursor: null });
      expect(one.topics[0]).toMatchObject({ name: 'dtp-b', isInternal: false, topicId: broker.broker.topics.get('dtp-b')!.id });
      expect(one.topics[0].partitions[2]).toEqual({
        errorCode: 0, partitionIndex: 2, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1],
        eligibleLeaderReplicas: [], lastKnownElr: [], offlineReplicas: [],
      });
      // An empty list means every topic (from the cursor on).
      const all = await raw.request(75, 0, { topics: [], responsePartitionLimit: 2000, cursor: { topicName: 'dtp-b', partitionIndex: 2 } });
      const rest = [...broker.broker.topics.all()].filter((t) => t.name > 'dtp-c').sort((x, y) => (x.name < y.name ? -1 : 1));
      expect(all.topics.map((t: any) => [t.name, t.partitions.length])).toEqual([['dtp-b', 1], ['dtp-c', 1], ...rest.map((t) => [t.name, t.partitions])]);
    } finally {
      raw.close();
    }
  });
});

/**
 * The Java clients (kafka-clients 4.4) and Kafka's own CLI tools against Runnel: admin, an
 * idempotent compressed producer, a consumer, and kafka-topics / kafka-configs / console tools.
 * Java 4.x clients negotiate the versions both sides know (Produce v13, Fetch v18, ...; java-versions.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { ensureJavaBuilt, runJava, runJavaOk, runKafkaTool } from '../helpers/java.js';

let broker: TestBroker;

beforeAll(async () => {
  await ensureJavaBuilt();
  // The console consumer and the Streams apps form groups; none of this is about the initial
  // rebalance delay (3 s per empty group by default).
  broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
}, 300_000);
afterAll(async () => {
  await broker?.cleanup();
});

describe('Java AdminClient', () => {
  it('creates, describes, alters and deletes topics; describes the cluster', async () => {
    const b = broker.bootstrap;
    const created = await runJavaOk('Admin', ['create-topics', '--bootstrap', b, '--topic', 'java-admin', '--partitions', '3', '--config', 'retention.ms=60000']);
    expect(created.topics['java-admin']).toEqual({ partitions: 3, replicationFactor: 1 });
    const dup = await runJavaOk('Admin', ['create-topics', '--bootstrap', b, '--topic', 'java-admin', '--partitions', '3']);
    expect(dup.topics['java-admin'].error.class).toBe('TopicExistsException');
    const listed = await runJavaOk('Admin', ['list-topics', '--bootstrap', b]);
    expect(listed.topics).toContain('java-admin');
    const described = await runJavaOk('Admin', ['describe-topics', '--bootstrap', b, '--topic', 'java-admin']);
    expect(described.topics['java-admin'].partitions).toEqual([0, 1, 2].map((p) => ({ partition: p, leader: 1, replicas: [1], isr: [1] })));
    await runJavaOk('Admin', ['alter-configs', '--bootstrap', b, '--topic', 'java-admin', '--set', 'retention.ms=120000', '--set', 'cleanup.policy=compact']);
    const configs = await runJavaOk('Admin', ['describe-configs', '--bootstrap', b, '--topic', 'java-admin']);
    const entries = Object.values(configs.configs)[0] as Record<string, { value: string; source: string }>;
    expect(entries['retention.ms']).toMatchObject({ value: '120000', source: 'DYNAMIC_TOPIC_CONFIG' });
    expect(entries['cleanup.policy']).toMatchObject({ value: 'compact', source: 'DYNAMIC_TOPIC_CONFIG' });
    const cluster = await runJavaOk('Admin', ['describe-cluster', '--bootstrap', b]);
    expect(cluster.nodes).toHaveLength(1);
    expect(cluster.controller).toMatchObject({ id: 1, port: broker.port });
    await runJavaOk('Admin', ['create-partitions', '--bootstrap', b, '--topic', 'java-admin', '--total', '4']);
    const after = await runJavaOk('Admin', ['describe-topics', '--bootstrap', b, '--topic', 'java-admin']);
    expect(after.topics['java-admin'].partitions).toHaveLength(4);
    await runJavaOk('Admin', ['delete-topics', '--bootstrap', b, '--topic', 'java-admin']);
    expect((await runJavaOk('Admin', ['list-topics', '--bootstrap', b])).topics).not.toContain('java-admin');
  });
});

describe('Java producer and consumer', () => {
  it('produces idempotently with lz4 and consumes everything back in order', async () => {
    const b = broker.bootstrap;
    await runJavaOk('Admin', ['create-topics', '--bootstrap', b, '--topic', 'java-data', '--partitions', '3']);
    const produced = await runJavaOk('Produce', ['--bootstrap', b, '--topic', 'java-data', '--count', '3000', '--key-pattern', 'key-%d', '--headers', 'h=v%d', '--compression', 'lz4', '--acks', 'all', '--idempotence', 'true']);
    expect(produced.acked).toBe(3000);
    expect(produced.errors).toEqual([]);
    const consumed = await runJavaOk('Consume', ['--bootstrap', b, '--topic', 'java-data', '--assign', 'java-data:0,java-data:1,java-data:2', '--from-beginning', '--max', '3000', '--timeout-ms', '30000']);
    expect(consumed.count).toBe(3000);
    expect(consumed.valueChecksum).toBe(produced.valueChecksum);
    for (const [p, info] of Object.entries(produced.partitions as Record<string, { count: number; first: number; last: number }>)) {
      expect(info.first).toBe(0);
      expect(info.last).toBe(info.count - 1);
      expect(consumed.partitions[`java-data-${p}`]).toMatchObject({ count: info.count, first: 0, last: info.count - 1 });
    }
    // Every key stays on one partition.
    for (const parts of Object.values(consumed.keys as Record<string, number[]>)) expect(new Set(parts).size).toBe(1);
  });

  it('lists offsets (earliest, latest, max timestamp) and deletes records', async () => {
    const b = broker.bootstrap;
    await runJavaOk('Admin', ['create-topics', '--bootstrap', b, '--topic', 'java-offsets', '--partitions', '1']);
    await runJavaOk('Produce', ['--bootstrap', b, '--topic', 'java-offsets', '--count', '50']);
    const latest = await runJavaOk('Admin', ['list-offsets', '--bootstrap', b, '--topic', 'java-offsets', '--spec', 'latest']);
    expect(latest.partitions['java-offsets-0'].offset).toBe(50);
    const maxTs = await runJavaOk('Admin', ['list-offsets', '--bootstrap', b, '--topic', 'java-offsets', '--spec', 'max-timestamp']);
    expect(maxTs.partitions['java-offsets-0'].offset).toBeGreaterThanOrEqual(0);
    await runJavaOk('Admin', ['delete-records', '--bootstrap', b, '--topic', 'java-offsets', '--partition', '0', '--before', '20']);
    const earliest = await runJavaOk('Admin', ['list-offsets', '--bootstrap', b, '--topic', 'java-offsets', '--spec', 'earliest']);
    expect(earliest.partitions['java-offsets-0'].offset).toBe(20);
  });
});

describe("Kafka's CLI tools", () => {
  it('kafka-topics creates, lists and describes', async () => {
    const b = broker.bootstrap;
    const create = await runKafkaTool('TopicCommand', ['--bootstrap-server', b, '--create', '--topic', 'cli-topic', '--partitions', '2', '--config', 'max.message.bytes=100000']);
    expect(create.stdout).toContain('Created topic cli-topic.');
    const list = await runKafkaTool('TopicCommand', ['--bootstrap-server', b, '--list']);
    expect(list.stdout.split('\n')).toContain('cli-topic');
    const describe = await runKafkaTool('TopicCommand', ['--bootstrap-server', b, '--describe', '--topic', 'cli-topic']);
    expect(describe.stdout).toMatch(/Topic: cli-topic\s+TopicId: \S+\s+PartitionCount: 2\s+ReplicationFactor: 1\s+Configs: max.message.bytes=100000/);
    expect(describe.stdout).toMatch(/Partition: 1\s+Leader: 1\s+Replicas: 1\s+Isr: 1/);
  });

  it('kafka-configs alters and describes topic and broker configs', async () => {
    const b = broker.bootstrap;
    await runKafkaTool('TopicCommand', ['--bootstrap-server', b, '--create', '--topic', 'cli-configs']);
    const alter = await runKafkaTool('ConfigCommand', ['--bootstrap-server', b, '--alter', '--entity-type', 'topics', '--entity-name', 'cli-configs', '--add-config', 'retention.ms=1000,segment.bytes=1048576']);
    expect(alter.code).toBe(0);
    const describe = await runKafkaTool('ConfigCommand', ['--bootstrap-server', b, '--describe', '--entity-type', 'topics', '--entity-name', 'cli-configs']);
    expect(describe.stdout).toContain('retention.ms=1000');
    expect(describe.stdout).toContain('segment.bytes=1048576');
    const brokerCfg = await runKafkaTool('ConfigCommand', ['--bootstrap-server', b, '--alter', '--entity-type', 'brokers', '--entity-default', '--add-config', 'log.retention.ms=86400000']);
    expect(brokerCfg.code).toBe(0);
    const brokerDescribe = await runKafkaTool('ConfigCommand', ['--bootstrap-server', b, '--describe', '--entity-type', 'brokers', '--entity-default']);
    expect(brokerDescribe.stdout).toContain('log.retention.ms=86400000');
  });

  it('console producer and consumer round-trip lines', async () => {
    const b = broker.bootstrap;
    const lines = Array.from({ length: 20 }, (_, i) => `line-${i}`);
    const prod = await runKafkaTool('ConsoleProducer', ['--bootstrap-server', b, '--topic', 'cli-console'], { input: lines.join('\n') + '\n' });
    expect(prod.code).toBe(0);
    const cons = await runKafkaTool('ConsoleConsumer', ['--bootstrap-server', b, '--topic', 'cli-console', '--from-beginning', '--max-messages', '20', '--timeout-ms', '20000']);
    expect(cons.stdout.trim().split('\n')).toEqual(lines);
  });

  it('kafka-get-offsets and kafka-broker-api-versions work', async () => {
    const b = broker.bootstrap;
    await runKafkaTool('ConsoleProducer', ['--bootstrap-server', b, '--topic', 'cli-offsets'], { input: 'a\nb\nc\n' });
    const offsets = await runKafkaTool('GetOffsetShell', ['--bootstrap-server', b, '--topic', 'cli-offsets']);
    expect(offsets.stdout.trim()).toBe('cli-offsets:0:3');
    const versions = await runKafkaTool('BrokerApiVersionsCommand', ['--bootstrap-server', b]);
    expect(versions.stdout).toMatch(/Produce\(0\): 0 to 13 \[usable: 13\]/);
    expect(versions.stdout).toMatch(/Fetch\(1\): 0 to 18 \[usable: 18\]/);
    expect(versions.stdout).toMatch(/UpdateFeatures\(57\): 0 to 2 \[usable: 2\]/);
  });
});

describe('Kafka Streams', () => {
  it('runs a stateless and a stateful (repartition + changelog) topology', async () => {
    const b = broker.bootstrap;
    const produced = await runJavaOk('Produce', ['--bootstrap', b, '--topic', 'streams-in', '--count', '200', '--key-pattern', 'k%d', '--value-pattern', 'w%d']);
    expect(produced.acked).toBe(200);
    const upper = await runJavaOk('StreamsPipe', ['--bootstrap', b, '--application-id', 'streams-upper', '--input', 'streams-in', '--output', 'streams-upper-out', '--op', 'upper', '--max', '200', '--timeout-ms', '60000']);
    expect(upper).toMatchObject({ processed: 200, timedOut: false });
    const out = await runJavaOk('Consume', ['--bootstrap', b, '--topic', 'streams-upper-out', '--assign', 'streams-upper-out:0', '--from-beginning', '--max', '200', '--records', 'true', '--timeout-ms', '30000']);
    expect(out.count).toBe(200);
    expect(out.records.every((r: unknown[]) => /^W\d+$/.test(String(r[4])))).toBe(true);
    const count = await runJavaOk('StreamsPipe', ['--bootstrap', b, '--application-id', 'streams-count', '--input', 'streams-in', '--output', 'streams-count-out', '--op', 'count', '--max', '200', '--timeout-ms', '60000']);
    expect(count).toMatchObject({ processed: 200, timedOut: false });
    // The internal topics Streams created through the admin API, with their configs.
    const topics = (await runJavaOk('Admin', ['list-topics', '--bootstrap', b])).topics as string[];
    expect(topics.some((t) => t.startsWith('streams-count-') && t.endsWith('-repartition'))).toBe(true);
    const changelog = topics.find((t) => t.startsWith('streams-count-') && t.endsWith('-changelog'))!;
    const cfg = await runJavaOk('Admin', ['describe-configs', '--bootstrap', b, '--topic', changelog]);
    expect((Object.values(cfg.configs)[0] as Record<string, { value: string }>)['cleanup.policy']!.value).toBe('compact');
  });
});

void runJava;

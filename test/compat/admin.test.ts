/**
 * Issue 2 acceptance: metadata and topic administration through real clients — kcat (librdkafka),
 * confluent-kafka-python's AdminClient, kafka-python's KafkaAdminClient and kafkajs admin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, ConfigResourceTypes } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { kcat, python } from '../helpers/clients.js';
import { RawClient } from '../helpers/raw-client.js';

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.cleanup();
});

describe('kcat', () => {
  it('lists the broker and topics with -L -J after ApiVersions negotiation', async () => {
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kcat-listed', numPartitions: 2 }] });
    await admin.disconnect();
    const out = JSON.parse(await kcat(['-b', broker.bootstrap, '-L', '-J', '-X', 'debug=protocol'], { timeoutMs: 20_000 })) as {
      brokers: Array<{ id: number; name: string }>;
      topics: Array<{ topic: string; partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }>; isrs: Array<{ id: number }> }> }>;
      controllerid: number;
    };
    expect(out.brokers).toEqual([{ id: 1, name: broker.bootstrap }]);
    expect(out.controllerid).toBe(1);
    const t = out.topics.find((x) => x.topic === 'kcat-listed');
    expect(t?.partitions.map((p) => p.partition).sort()).toEqual([0, 1]);
    expect(t?.partitions[0]).toMatchObject({ leader: 1, replicas: [{ id: 1 }], isrs: [{ id: 1 }] });
  });

  it('negotiates API versions (kcat reports the broker features it enabled)', async () => {
    const r = await kcat(['-b', broker.bootstrap, '-L', '-X', 'debug=feature', '-X', 'api.version.request=true'], { timeoutMs: 20_000 }).catch((e: Error) => e.message);
    expect(r).toContain('1 brokers');
  });
});

describe('confluent-kafka-python AdminClient', () => {
  it('creates, lists, describes and alters configs, adds partitions, deletes', async () => {
    const r = await python<Record<string, any>>('ck_admin.py', { bootstrap: broker.bootstrap, topic: 'ck-admin' });
    expect(r.create).toEqual({ 'ck-admin': null });
    expect(r.create_again['ck-admin']).toMatch(/TOPIC_ALREADY_EXISTS|already exists/);
    expect(r.create_bad_rf['ck-admin-rf']).toMatch(/INVALID_REPLICATION_FACTOR|replication factor/i);
    expect(r.brokers).toEqual([{ id: 1, host: broker.host, port: broker.port }]);
    expect(r.topics['ck-admin']).toBe(3);
    expect(r.configs['retention.ms']).toMatchObject({ value: '3600000', is_default: false });
    expect(r.configs['cleanup.policy'].value).toBe('compact');
    expect(r.configs['segment.bytes']).toMatchObject({ value: '1073741824', is_default: true });
    expect(r.alter).toEqual({ 'ConfigResource(Type.TOPIC,ck-admin)': null });
    expect(r.configs_after['retention.ms'].value).toBe('7200000');
    expect(r.configs_after['max.message.bytes'].value).toBe('200000');
    // AlterConfigs replaces every override: cleanup.policy went back to its default.
    expect(r.configs_after['cleanup.policy']).toMatchObject({ value: 'delete', is_default: true });
    expect(Object.values(r.alter_bad)[0]).toMatch(/INVALID_CONFIG|retention.ms/);
    expect(r.broker_configs).toEqual({ 'num.partitions': '1', 'log.retention.hours': '168', 'message.max.bytes': '1048588' });
    expect(r.partitions).toEqual({ 'ck-admin': null });
    expect(r.partitions_shrink['ck-admin']).toMatch(/INVALID_PARTITIONS/);
    expect(r.partition_count).toBe(5);
    expect(r.delete).toEqual({ 'ck-admin': null });
    expect(r.delete_unknown['ck-admin-nope']).toMatch(/UNKNOWN_TOPIC_OR_PART/);
    expect(r.topics_after).not.toContain('ck-admin');
  });
});

describe('kafka-python KafkaAdminClient', () => {
  it('creates, lists, describes and deletes topics', async () => {
    const r = await python<Record<string, any>>('kp_admin.py', { bootstrap: broker.bootstrap, topic: 'kp-admin' });
    expect(r.create).toEqual([['kp-admin', 0]]);
    expect(r.create_again).toBe('TopicAlreadyExistsError');
    expect(r.topics).toContain('kp-admin');
    expect(r.describe).toEqual([{ topic: 'kp-admin', partitions: 4, error: 0 }]);
    expect(r.configs['segment.bytes']).toBe('1048576');
    expect(r.configs['retention.ms']).toBe('604800000');
    expect(r.delete).toEqual([['kp-admin', 0]]);
    expect(r.topics_after).not.toContain('kp-admin');
  });
});

describe('kafkajs admin', () => {
  it('creates, lists, describes/alters configs, adds partitions, deletes', async () => {
    const admin = new Kafka({ brokers: [broker.bootstrap], clientId: 'kjs-admin', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 3, configEntries: [{ name: 'retention.bytes', value: '1000000' }] }] })).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 3 }] })).toBe(false);
      const bad = await admin.createTopics({ topics: [{ topic: 'bad/name' }] }).catch((e: { errors?: Array<{ type: string }> }) => e);
      expect((bad as { errors: Array<{ type: string }> }).errors[0]!.type).toBe('INVALID_TOPIC_EXCEPTION');
      // '.' and '_' collide (Kafka's metric-name rule), against existing topics and within a request.
      expect(await admin.createTopics({ topics: [{ topic: 'kjs.coll' }] })).toBe(true);
      const clash = await admin.createTopics({ topics: [{ topic: 'kjs_coll' }] }).catch((e: { errors?: Array<{ type: string }> }) => e);
      expect((clash as { errors: Array<{ type: string }> }).errors[0]!.type).toBe('INVALID_TOPIC_EXCEPTION');
      const inRequest = await admin.createTopics({ topics: [{ topic: 'kjs.pair' }, { topic: 'kjs_pair' }] }).catch((e: { errors?: Array<{ type: string }> }) => e);
      expect((inRequest as { errors: Array<{ type: string }> }).errors.map((e) => e.type)).toEqual(['INVALID_TOPIC_EXCEPTION']);
      expect(await admin.listTopics()).toContain('kjs-admin');
      const meta = await admin.fetchTopicMetadata({ topics: ['kjs-admin'] });
      expect(meta.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toEqual([{ nodeId: 1, host: broker.host, port: broker.port }]);
      expect(cluster.controller).toBe(1);

      const describe = async () => {
        const d = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-admin' }] });
        return Object.fromEntries(d.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
      };
      expect((await describe())['retention.bytes']).toBe('1000000');
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-admin', configEntries: [{ name: 'retention.bytes', value: '2000000' }] }] });
      expect((await describe())['retention.bytes']).toBe('2000000');
      await expect(
        admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-admin', configEntries: [{ name: 'no.such.key', value: '1' }] }] }),
      ).rejects.toThrow(/Configuration is invalid/); // INVALID_CONFIG

      await admin.createPartitions({ topicPartitions: [{ topic: 'kjs-admin', count: 6 }] });
      const after = await admin.fetchTopicMetadata({ topics: ['kjs-admin'] });
      expect(after.topics[0]!.partitions).toHaveLength(6);

      await admin.deleteTopics({ topics: ['kjs-admin'] });
      expect(await admin.listTopics()).not.toContain('kjs-admin');
    } finally {
      await admin.disconnect();
    }
  });
});

describe('DescribeCluster v1 endpoint types (raw socket)', () => {
  it('answers brokers (1); refuses controllers (2) with MISMATCHED_ENDPOINT_TYPE and an undefined type with UNSUPPORTED_ENDPOINT_TYPE, as Kafka\'s broker listener does', async () => {
    const raw = await RawClient.connect(broker.host, broker.port);
    try {
      const ask = (endpointType: number): Promise<any> => raw.request(60, 1, { includeClusterAuthorizedOperations: false, endpointType });
      expect(await ask(1)).toMatchObject({ errorCode: 0, endpointType: 1, controllerId: 1, brokers: [{ brokerId: 1, host: broker.host, port: broker.port }] });
      // Kafka answers these with the code and message alone: no cluster id, controller -1, no brokers.
      expect(await ask(2)).toMatchObject({ errorCode: 114, errorMessage: 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER', endpointType: 1, clusterId: '', controllerId: -1, brokers: [] });
      expect(await ask(3)).toMatchObject({ errorCode: 115, errorMessage: 'Unsupported endpoint type 3', endpointType: 1, clusterId: '', controllerId: -1, brokers: [] });
    } finally {
      raw.close();
    }
  });
});

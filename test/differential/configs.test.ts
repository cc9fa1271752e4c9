/**
 * Differential tests, configuration: the names, values, sources, types, read-only and sensitive
 * flags and synonyms DescribeConfigs reports for a topic (the whole set, compared exactly) and for
 * the broker (the keys Runnel has), CreateTopics' returned configs, and how overrides set with
 * CreateTopics / IncrementalAlterConfigs / AlterConfigs show up, with their errors; and which
 * resources ListConfigResources (API 74, v0 and v1) lists for each type, in which type order.
 */
import { describe, it } from 'vitest';
import { newDescribeConfigsRequestResource } from '../../protocol/generated/32-describe-configs.js';
import { newIncrementalAlterConfigsRequestConfig, newIncrementalAlterConfigsRequestResource } from '../../protocol/generated/44-incremental-alter-configs.js';
import { newAlterConfigsRequestConfig, newAlterConfigsRequestResource } from '../../protocol/generated/33-alter-configs.js';
import { apacheKafkaAvailable } from '../helpers/apache-kafka.js';
import { RawClient } from '../helpers/raw-client.js';
import { err, expectSame, expectSamePhases, keyed, msg, normalise, placeholder, usePair, uniq, withRaw, type Target } from './harness.js';
import * as G from '../../protocol/generated/index.js';
import { createTopics, createTopicsReady, req, waitTopics } from './requests.js';

const TOPIC = 2;
const BROKER = 4;
const GROUP = 32;
const SOURCES = ['UNKNOWN', 'DYNAMIC_TOPIC_CONFIG', 'DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG', 'DEFAULT_CONFIG', 'DYNAMIC_BROKER_LOGGER_CONFIG', 'CLIENT_METRICS_CONFIG', 'GROUP_CONFIG'];
const TYPES = ['UNKNOWN', 'BOOLEAN', 'STRING', 'INT', 'SHORT', 'LONG', 'DOUBLE', 'LIST', 'CLASS', 'PASSWORD'];
const source = (s: number): string => SOURCES[s] ?? String(s);

/** Broker values that name this machine or run (paths, ports, ids): only whether they are set. */
const LOCAL_VALUES = new Set(['log.dirs', 'log.dir', 'listeners', 'advertised.listeners', 'metadata.log.dir', 'cluster.id', 'controller.quorum.voters', 'controller.quorum.bootstrap.servers']);

async function describeConfigs(c: RawClient, resourceType: number, resourceName: string, keys: string[] | null = null, o: { synonyms?: boolean; docs?: boolean } = {}) {
  const r = await req(c, 32, 4, {
    includeSynonyms: o.synonyms ?? true,
    includeDocumentation: o.docs ?? true,
    resources: [newDescribeConfigsRequestResource({ resourceType, resourceName, configurationKeys: keys })],
  });
  const x = r.results[0];
  const value = (name: string, v: string | null) => (LOCAL_VALUES.has(name) ? placeholder(v) : v);
  return {
    errorCode: err(x.errorCode),
    errorMessage: msg(x.errorMessage),
    configs: keyed(x.configs, (cfg: any) => cfg.name, (cfg: any) => ({
      value: value(cfg.name, cfg.value),
      readOnly: cfg.readOnly,
      source: source(cfg.configSource),
      sensitive: cfg.isSensitive,
      type: TYPES[cfg.configType] ?? cfg.configType,
      synonyms: cfg.synonyms.map((s: any) => `${s.name}=${value(s.name, s.value)} (${source(s.source)})`),
      documentation: placeholder(cfg.documentation),
    })) as Record<string, any>,
  };
}

async function incrementalAlter(c: RawClient, resourceType: number, resourceName: string, ops: Array<[string, number, string | null]>, validateOnly = false) {
  const r = await req(c, 44, 1, {
    validateOnly,
    resources: [newIncrementalAlterConfigsRequestResource({ resourceType, resourceName, configs: ops.map(([name, configOperation, value]) => newIncrementalAlterConfigsRequestConfig({ name, configOperation, value })) })],
  });
  return { errorCode: err(r.responses[0].errorCode), errorMessage: msg(r.responses[0].errorMessage) };
}

async function alter(c: RawClient, resourceType: number, resourceName: string, configs: Record<string, string | null>, validateOnly = false) {
  const r = await req(c, 33, 2, {
    validateOnly,
    resources: [newAlterConfigsRequestResource({ resourceType, resourceName, configs: Object.entries(configs).map(([name, value]) => newAlterConfigsRequestConfig({ name, value })) })],
  });
  return { errorCode: err(r.responses[0].errorCode), errorMessage: msg(r.responses[0].errorMessage) };
}

/**
 * Kafka applies config changes through its metadata log: a DescribeConfigs right after the change
 * may not show it yet. Waits (up to 5 s) until `key` of the resource shows `value` (null: the
 * key's source is no longer the dynamic one it had).
 */
async function settled(c: RawClient, resourceType: number, resourceName: string, key: string, value: string | null): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const d = await describeConfigs(c, resourceType, resourceName, [key], { synonyms: false, docs: false });
    const cfg = d.configs[key];
    if (cfg && (value === null ? !String(cfg.source).startsWith('DYNAMIC') : cfg.value === value)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

describe.skipIf(!apacheKafkaAvailable())('differential: configs', () => {
  const pair = usePair();

  it('a new topic: every config, its default, source, type, synonyms (DescribeConfigs and CreateTopics)', async () => {
    const topic = uniq('cfg-defaults');
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        const created = (await createTopics(c, [{ name: topic, partitions: 2 }])).topics[0];
        await waitTopics(c, [topic]);
        return normalise({
          createTopics: { errorCode: err(created.errorCode), numPartitions: created.numPartitions, replicationFactor: created.replicationFactor, configs: keyed(created.configs ?? [], (x: any) => x.name, (x: any) => ({ value: x.value, readOnly: x.readOnly, source: source(x.configSource), sensitive: x.isSensitive })) },
          describe: await describeConfigs(c, TOPIC, topic),
          describeSomeKeys: await describeConfigs(c, TOPIC, topic, ['retention.ms', 'cleanup.policy', 'no.such.key'], { synonyms: false, docs: false }),
        });
      }),
    );
    expectSamePhases('configs/topic-defaults', obs);
  });

  it('topic overrides: CreateTopics, IncrementalAlterConfigs, AlterConfigs, and their errors', async () => {
    const topic = uniq('cfg-over');
    const keys = ['retention.ms', 'cleanup.policy', 'max.message.bytes', 'segment.ms', 'min.insync.replicas', 'compression.type', 'retention.bytes'];
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        const out: Record<string, unknown> = {};
        await createTopics(c, [{ name: topic, configs: { 'retention.ms': '3600000', 'cleanup.policy': 'compact', 'max.message.bytes': '2000' } }]);
        await waitTopics(c, [topic]);
        out.created = await describeConfigs(c, TOPIC, topic, keys);
        out.incremental = await incrementalAlter(c, TOPIC, topic, [['segment.ms', SET, '600000'], ['retention.ms', DELETE, null], ['cleanup.policy', APPEND, 'delete'], ['compression.type', SET, 'zstd']]);
        await settled(c, TOPIC, topic, 'compression.type', 'zstd');
        out.afterIncremental = await describeConfigs(c, TOPIC, topic, keys);
        out.subtract = await incrementalAlter(c, TOPIC, topic, [['cleanup.policy', SUBTRACT, 'compact']]);
        await settled(c, TOPIC, topic, 'cleanup.policy', 'delete');
        out.afterSubtract = await describeConfigs(c, TOPIC, topic, ['cleanup.policy']);
        out.validateOnly = await incrementalAlter(c, TOPIC, topic, [['retention.bytes', SET, '1000']], true);
        out.afterValidateOnly = await describeConfigs(c, TOPIC, topic, ['retention.bytes']);
        out.errors = {
          unknownKey: await incrementalAlter(c, TOPIC, topic, [['no.such.config', SET, '1']]),
          badValue: await incrementalAlter(c, TOPIC, topic, [['retention.ms', SET, 'soon']]),
          badEnum: await incrementalAlter(c, TOPIC, topic, [['cleanup.policy', SET, 'shred']]),
          appendToNonList: await incrementalAlter(c, TOPIC, topic, [['retention.ms', APPEND, '5']]),
          unknownOperation: await incrementalAlter(c, TOPIC, topic, [['retention.ms', 9, '5']]),
          sameKeyTwice: await incrementalAlter(c, TOPIC, topic, [['retention.ms', SET, '5'], ['retention.ms', SET, '6']]),
          unknownTopic: await incrementalAlter(c, TOPIC, uniq('nope'), [['retention.ms', SET, '5']]),
          brokerKeyOnTopic: await incrementalAlter(c, TOPIC, topic, [['log.retention.ms', SET, '5']]),
          minInsyncZero: await incrementalAlter(c, TOPIC, topic, [['min.insync.replicas', SET, '0']]),
          alterUnknownKey: await alter(c, TOPIC, topic, { 'no.such.config': '1' }),
          alterUnknownTopic: await alter(c, TOPIC, uniq('nope'), { 'retention.ms': '5' }),
        };
        out.afterErrors = await describeConfigs(c, TOPIC, topic, keys);
        // AlterConfigs replaces every override of the topic.
        out.alter = await alter(c, TOPIC, topic, { 'retention.ms': '1000' });
        await settled(c, TOPIC, topic, 'retention.ms', '1000');
        await settled(c, TOPIC, topic, 'segment.ms', null);
        out.afterAlter = await describeConfigs(c, TOPIC, topic, keys);
        return normalise(out);
      }),
    );
    expectSamePhases('configs/topic-overrides', obs);
  });

  it('group configs (resource type 32): defaults, overrides, invalid values and their errors', async () => {
    const group = uniq('cfg-grp');
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        const out: Record<string, unknown> = {};
        out.defaults = await describeConfigs(c, GROUP, group);
        out.emptyName = await describeConfigs(c, GROUP, '');
        out.someKeys = await describeConfigs(c, GROUP, group, ['share.isolation.level', 'no.such.config']);
        out.set = await incrementalAlter(c, GROUP, group, [['share.auto.offset.reset', SET, 'by_duration:PT1H'], ['share.isolation.level', SET, 'read_committed'], ['share.delivery.count.limit', SET, '3'], ['errors.deadletterqueue.topic.name', SET, 'dlq.x']]);
        await settled(c, GROUP, group, 'share.delivery.count.limit', '3');
        out.afterSet = await describeConfigs(c, GROUP, group, ['share.auto.offset.reset', 'share.isolation.level', 'share.delivery.count.limit', 'errors.deadletterqueue.topic.name']);
        out.errors = {
          badReset: await incrementalAlter(c, GROUP, group, [['share.auto.offset.reset', SET, 'by_duration:-PT1H']]),
          badIsolation: await incrementalAlter(c, GROUP, group, [['share.isolation.level', SET, 'READ_COMMITTED']]),
          lockBelowMin: await incrementalAlter(c, GROUP, group, [['share.record.lock.duration.ms', SET, '1000']]),
          sessionAboveMax: await incrementalAlter(c, GROUP, group, [['share.session.timeout.ms', SET, '70000']]),
          heartbeatAboveMax: await incrementalAlter(c, GROUP, group, [['share.heartbeat.interval.ms', SET, '20000']]),
          deliveryLimitOne: await incrementalAlter(c, GROUP, group, [['share.delivery.count.limit', SET, '1']]),
          deliveryLimitEleven: await incrementalAlter(c, GROUP, group, [['share.delivery.count.limit', SET, '11']]),
          recordLocksLow: await incrementalAlter(c, GROUP, group, [['share.partition.max.record.locks', SET, '50']]),
          notAnInt: await incrementalAlter(c, GROUP, group, [['share.session.timeout.ms', SET, 'abc']]),
          notABoolean: await incrementalAlter(c, GROUP, group, [['errors.deadletterqueue.copy.record.enable', SET, 'maybe']]),
          dlqUnderscore: await incrementalAlter(c, GROUP, group, [['errors.deadletterqueue.topic.name', SET, '__x']]),
          consumerSession: await incrementalAlter(c, GROUP, group, [['consumer.session.timeout.ms', SET, '1']]),
          unknownKey: await incrementalAlter(c, GROUP, group, [['no.such.config', SET, '1']]),
          deleteUnknownKey: await incrementalAlter(c, GROUP, group, [['no.such.config', DELETE, null]]),
          appendToNonList: await incrementalAlter(c, GROUP, group, [['share.isolation.level', APPEND, 'x']]),
          nullValue: await incrementalAlter(c, GROUP, group, [['share.isolation.level', SET, null]]),
          sameKeyTwice: await incrementalAlter(c, GROUP, group, [['share.isolation.level', SET, 'read_committed'], ['share.isolation.level', SET, 'read_committed']]),
          emptyName: await incrementalAlter(c, GROUP, '', [['share.isolation.level', SET, 'read_committed']]),
        };
        out.validateOnly = await incrementalAlter(c, GROUP, group, [['share.session.timeout.ms', SET, '50000']], true);
        out.afterErrors = await describeConfigs(c, GROUP, group, ['share.session.timeout.ms', 'share.isolation.level', 'share.delivery.count.limit']);
        // AlterConfigs replaces every override of the group.
        out.alter = await alter(c, GROUP, group, { 'share.isolation.level': 'read_committed' });
        await settled(c, GROUP, group, 'share.delivery.count.limit', null);
        out.afterAlter = await describeConfigs(c, GROUP, group, ['share.isolation.level', 'share.delivery.count.limit', 'share.auto.offset.reset']);
        return normalise(out);
      }),
    );
    expectSamePhases('configs/group', obs);
  });

  it('ListConfigResources (API 74): groups with configs (not every group), topics, brokers, no client metrics; unsupported types; v0', async () => {
    const configured = uniq('lcr-cfg');
    const plain = uniq('lcr-plain');
    const topic = uniq('lcr-topic');
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        const out: Record<string, unknown> = {};
        await createTopicsReady(c, [{ name: topic }]);
        // Two groups that exist (offsets committed by an admin: generation -1); only one gets configs.
        for (const group of [configured, plain]) {
          for (let i = 0; i < 60; i++) {
            const r = await req(c, 10, 4, { keyType: 0, coordinatorKeys: [group] });
            if (r.coordinators[0].errorCode === 0) break;
            await new Promise((res) => setTimeout(res, 500));
          }
          let code = -1;
          for (let i = 0; i < 60 && code !== 0; i++) {
            const oc = await req(c, 8, 8, { groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [G.newOffsetCommitRequestTopic({ name: topic, partitions: [G.newOffsetCommitRequestPartition({ partitionIndex: 0, committedOffset: 0, committedMetadata: '' })] })] });
            code = oc.topics[0].partitions[0].errorCode;
            if (code !== 0) await new Promise((res) => setTimeout(res, 500));
          }
          out[`commit-${group === configured ? 'configured' : 'plain'}`] = err(code);
        }
        out.set = await incrementalAlter(c, GROUP, configured, [['share.delivery.count.limit', SET, '3']]);
        await settled(c, GROUP, configured, 'share.delivery.count.limit', '3');
        // Other tests of this file share the brokers: only our names and the shape are compared.
        const list = async (version: number, resourceTypes: number[]) => {
          const r = await req(c, 74, version, { resourceTypes });
          const res: Array<{ resourceName: string; resourceType: number }> = r.configResources;
          const types = res.map((x) => x.resourceType).filter((x, i, a) => i === 0 || a[i - 1] !== x);
          return {
            errorCode: err(r.errorCode),
            typeOrder: types,
            configuredGroup: res.some((x) => x.resourceType === GROUP && x.resourceName === configured),
            plainGroup: res.some((x) => x.resourceName === plain),
            topic: res.some((x) => x.resourceType === TOPIC && x.resourceName === topic),
            offsetsTopic: res.some((x) => x.resourceType === TOPIC && x.resourceName === '__consumer_offsets'),
            brokers: res.filter((x) => x.resourceType === BROKER).map((x) => x.resourceName),
            brokerLoggers: res.filter((x) => x.resourceType === 8).map((x) => x.resourceName),
            clientMetrics: res.filter((x) => x.resourceType === 16).length,
          };
        };
        out.all = await list(1, []);
        out.groups = await list(1, [GROUP]);
        out.topicsAndGroups = await list(1, [TOPIC, GROUP]);
        out.clientMetrics = await list(1, [16]);
        out.duplicates = await list(1, [GROUP, GROUP]);
        out.unsupported = { any: await list(1, [1]), aclGroup: await list(1, [3]), unknown: await list(1, [99]), mixed: await list(1, [TOPIC, 3]) };
        out.v0 = await list(0, []);
        // Deleting the group keeps its configs (Kafka's group configs outlive the group).
        const del = await req(c, 42, 2, { groupsNames: [configured] });
        out.deleteGroup = err(del.results[0].errorCode);
        out.afterDelete = await list(1, [GROUP]);
        out.describeAfterDelete = (await describeConfigs(c, GROUP, configured, ['share.delivery.count.limit'], { synonyms: false, docs: false })).configs;
        // A group whose every config is deleted is no longer a config resource.
        out.unset = await incrementalAlter(c, GROUP, configured, [['share.delivery.count.limit', DELETE, null]]);
        await settled(c, GROUP, configured, 'share.delivery.count.limit', null);
        out.afterUnset = await list(1, [GROUP]);
        return normalise(out);
      }),
    );
    expectSamePhases('configs/list-config-resources', obs);
  });

  it('broker configs: the keys Runnel has, with values, sources, types and synonyms', async () => {
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => ({
        broker: await describeConfigs(c, BROKER, '1', null),
        // Kafka has no such resource as "the cluster defaults" to describe with values; it answers
        // with the dynamic defaults only.
        clusterDefaults: await describeConfigs(c, BROKER, '', null),
      })),
    );
    // advertised.listeners: the reference sets it in server.properties; a test Runnel on port 0 cannot.
    // listener.security.protocol.map: the reference sets it for its KRaft CONTROLLER listener.
    // inter.broker.listener.name: KRaft needs it beside a CONTROLLER listener; the test Runnel leaves it unset.
    for (const side of [obs.runnel, obs.kafka]) for (const k of ['advertised.listeners', 'listener.security.protocol.map', 'inter.broker.listener.name']) delete side.broker.configs[k];
    const runnelKeys = new Set(Object.keys(obs.runnel.broker.configs));
    // Kafka has hundreds of broker keys; compare the ones Runnel has (and see those Kafka lacks).
    const kafkaBroker = { ...obs.kafka.broker, configs: Object.fromEntries(Object.entries(obs.kafka.broker.configs).filter(([k]) => runnelKeys.has(k))) };
    expectSame('configs/broker', normalise({ runnel: obs.runnel.broker, kafka: kafkaBroker }) as Record<'runnel' | 'kafka', unknown>);
    expectSame('configs/broker-key-count', { runnel: runnelKeys.size, kafka: Object.keys(obs.kafka.broker.configs).length });
    expectSame('configs/cluster-defaults', normalise({ runnel: obs.runnel.clusterDefaults, kafka: obs.kafka.clusterDefaults }) as Record<'runnel' | 'kafka', unknown>);
  });

  it('dynamic broker configs: per broker and cluster-wide, as a topic sees them', async () => {
    const topic = uniq('cfg-dyn');
    const key = 'log.cleaner.min.compaction.lag.ms';
    const obs = await pair.both((t: Target) =>
      withRaw(t, async (c) => {
        const out: Record<string, unknown> = {};
        await createTopics(c, [{ name: topic }]);
        await waitTopics(c, [topic]);
        out.setDefault = await incrementalAlter(c, BROKER, '', [[key, SET, '1000']]);
        out.setBroker = await incrementalAlter(c, BROKER, '1', [[key, SET, '2000']]);
        await settled(c, BROKER, '1', key, '2000');
        out.broker = (await describeConfigs(c, BROKER, '1', [key])).configs;
        out.defaults = (await describeConfigs(c, BROKER, '', [key])).configs;
        out.topic = (await describeConfigs(c, TOPIC, topic, ['min.compaction.lag.ms'])).configs;
        out.readOnly = await incrementalAlter(c, BROKER, '1', [['log.dirs', SET, '/tmp/x']]);
        out.unknownKey = await incrementalAlter(c, BROKER, '1', [['no.such.config', SET, '1']]);
        out.otherBroker = await incrementalAlter(c, BROKER, '7', [[key, SET, '1']]);
        out.deleteBroker = await incrementalAlter(c, BROKER, '1', [[key, DELETE, null]]);
        out.deleteDefault = await incrementalAlter(c, BROKER, '', [[key, DELETE, null]]);
        await settled(c, BROKER, '1', key, null);
        out.after = (await describeConfigs(c, TOPIC, topic, ['min.compaction.lag.ms'])).configs;
        return normalise(out);
      }),
    );
    expectSamePhases('configs/dynamic-broker', obs);
  });
});

/**
 * GROUP config resources (type 32) over real sockets, as Kafka 4.4 answers them: DescribeConfigs
 * lists every group config with its default and the broker key as synonym; IncrementalAlterConfigs
 * and AlterConfigs validate with Kafka's messages and bounds; values survive a restart and are
 * APPLIED per group: share.auto.offset.reset (earliest, by_duration), share.isolation.level
 * (read_committed: aborted transactions never delivered, open ones not yet), and
 * errors.deadletterqueue.topic.name (KIP-1191: Kafka's headers, key/value only with
 * errors.deadletterqueue.copy.record.enable, the topic needs errors.deadletterqueue.group.enable),
 * and consumer.heartbeat.interval.ms for a consumer-protocol group.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { forEachRecord } from '../../protocol/records/records.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const CONFIG = { 'num.partitions': 1, 'share.coordinator.state.topic.num.partitions': 1, 'group.share.min.delivery.count.limit': 2 };
let broker: TestBroker;
let c: RawClient;

const describeGroup = async (group: string, keys: string[] | null = null) =>
  (await c.request(32, 4, { resources: [{ resourceType: 32, resourceName: group, configurationKeys: keys }], includeSynonyms: true, includeDocumentation: false })).results[0];
const alter = async (group: string, configs: Array<{ name: string; value: string | null; op?: number }>, validateOnly = false) => {
  const r = await c.request(44, 1, { resources: [{ resourceType: 32, resourceName: group, configs: configs.map((x) => ({ name: x.name, value: x.value, configOperation: x.op ?? 0 })) }], validateOnly });
  return [r.responses[0].errorCode, r.responses[0].errorMessage];
};

async function createTopic(name: string, configs: Array<{ name: string; value: string }> = []): Promise<Buffer> {
  const r = await c.request(19, 7, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs }], timeoutMs: 5000 });
  expect(r.topics[0].errorCode).toBe(0);
  return r.topics[0].topicId;
}
const produce = (topic: string, values: string[]) =>
  c.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: 0, records: buildBatchSync(values.map((v, i) => ({ key: `k${i}`, value: v }))) }] }] });

async function readTopic(topic: string): Promise<any[]> {
  const r = await c.request(1, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }] });
  const out: any[] = [];
  const bytes: Buffer = r.responses[0].partitions[0].records ?? Buffer.alloc(0);
  if (bytes.length > 0) await forEachRecord(bytes, (rec) => void out.push({ key: rec.key, value: rec.value, headers: Object.fromEntries(rec.headers.map((h) => [h.key, h.value?.toString()])) }));
  return out;
}

/** A share member: fetch(acks) opens/continues its session; returns the values and acquired ranges. */
function member(group: string, topicId: Buffer) {
  let epoch = 0;
  return async (acks: object[] = []) => {
    const r = await c.request(78, 2, { groupId: group, memberId: `m-${group}`, shareSessionEpoch: epoch++, maxWaitMs: 200, minBytes: 0, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }], forgottenTopicsData: [] });
    const p = r.responses[0]?.partitions[0];
    const values: string[] = [];
    const bytes: Buffer = p?.records ?? Buffer.alloc(0);
    for (let pos = 0; pos + 12 <= bytes.length; ) {
      const b = bytes.subarray(pos, pos + 12 + bytes.readInt32BE(pos + 8));
      pos += b.length;
      if ((b.readInt16BE(21) & 0x20) === 0) await forEachRecord(b, (rec) => void values.push(rec.value?.toString() ?? ''));
    }
    return { values, acquired: p?.acquiredRecords ?? [] };
  };
}

describe('GROUP config resources (share groups)', () => {
  beforeAll(async () => {
    broker = await startTestBroker({ config: CONFIG, keepData: true });
    c = await RawClient.connect(broker.host, broker.port);
  });
  afterAll(async () => {
    c?.close();
    await broker?.cleanup();
  });

  it('describes every group config with its default, the broker key as synonym', async () => {
    const r = await describeGroup('any');
    expect(r.errorCode).toBe(0);
    const byName = new Map(r.configs.map((x: any) => [x.name, x]));
    expect(byName.size).toBe(21);
    expect(byName.get('share.delivery.count.limit')).toMatchObject({ value: '5', configSource: 5, readOnly: false, configType: 3, synonyms: [{ name: 'group.share.delivery.count.limit', value: '5', source: 5 }] });
    expect(byName.get('share.auto.offset.reset')).toMatchObject({ value: 'latest', configType: 2, synonyms: [{ name: 'share.auto.offset.reset', value: 'latest', source: 5 }] });
    expect(byName.get('errors.deadletterqueue.topic.name')).toMatchObject({ value: '', configSource: 5 });
    expect((await describeGroup('')).errorCode).toBe(42);
    expect((await describeGroup('any', ['share.isolation.level', 'nosuch'])).configs.map((x: any) => x.name)).toEqual(['share.isolation.level']);
  });

  it('concurrent alters of one group from several connections: every change kept', async () => {
    const changes: Array<[string, string]> = [
      ['share.delivery.count.limit', '4'],
      ['share.record.lock.duration.ms', '25000'],
      ['share.heartbeat.interval.ms', '6000'],
      ['share.session.timeout.ms', '50000'],
      ['share.isolation.level', 'read_committed'],
      ['share.auto.offset.reset', 'earliest'],
    ];
    const conns = await Promise.all(changes.map(() => RawClient.connect(broker.host, broker.port)));
    try {
      const answers = await Promise.all(changes.map(([name, value], i) => conns[i]!.request(44, 1, { resources: [{ resourceType: 32, resourceName: 'race', configs: [{ name, value, configOperation: 0 }] }], validateOnly: false })));
      expect(answers.map((a: any) => a.responses[0].errorCode)).toEqual(changes.map(() => 0));
    } finally {
      for (const x of conns) x.close();
    }
    const set = Object.fromEntries((await describeGroup('race')).configs.filter((x: any) => x.configSource === 8).map((x: any) => [x.name, x.value]));
    expect(set).toEqual(Object.fromEntries(changes));
  });

  it('refuses invalid values with Kafka\'s errors and messages', async () => {
    expect(await alter('g', [{ name: 'share.auto.offset.reset', value: 'foo' }])).toEqual([40, "Invalid value foo for configuration share.auto.offset.reset: Invalid value `foo` for configuration share.auto.offset.reset. The value must be either 'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'."]);
    expect(await alter('g', [{ name: 'share.isolation.level', value: 'READ_COMMITTED' }])).toEqual([40, 'Invalid value READ_COMMITTED for configuration share.isolation.level: String must be one of: read_committed, read_uncommitted']);
    expect(await alter('g', [{ name: 'share.record.lock.duration.ms', value: '1000' }])).toEqual([40, 'share.record.lock.duration.ms must be in the range 15000 to 60000 inclusive.']);
    expect(await alter('g', [{ name: 'share.delivery.count.limit', value: '1' }])).toEqual([40, 'Invalid value 1 for configuration share.delivery.count.limit: Value must be at least 2']);
    expect(await alter('g', [{ name: 'share.session.timeout.ms', value: 'abc' }])).toEqual([40, 'Invalid value abc for configuration share.session.timeout.ms: Not a number of type INT']);
    expect(await alter('g', [{ name: 'consumer.session.timeout.ms', value: '1' }])).toEqual([40, 'consumer.session.timeout.ms must be in the range 45000 to 60000 inclusive.']);
    expect(await alter('g', [{ name: 'errors.deadletterqueue.topic.name', value: '__x' }])).toEqual([40, "errors.deadletterqueue.topic.name: DLQ topic name must not start with '__'"]);
    expect(await alter('g', [{ name: 'nosuch', value: '1' }])).toEqual([40, 'Unknown group config name: nosuch']);
    expect(await alter('g', [{ name: 'share.isolation.level', value: 'x', op: 2 }])).toEqual([40, "Can't APPEND to key share.isolation.level because its type is not LIST."]);
    expect(await alter('', [{ name: 'share.isolation.level', value: 'read_committed' }])).toEqual([42, 'Default group resources are not allowed.']);
    expect(await alter('g', [{ name: 'share.isolation.level', value: 'read_committed' }], true)).toEqual([0, null]);
    expect((await describeGroup('g', ['share.isolation.level'])).configs[0].configSource).toBe(5);
  });

  it('share.auto.offset.reset: earliest and by_duration per group, while the broker default stays latest', async () => {
    const topicId = await createTopic('reset-t');
    await produce('reset-t', ['old-0', 'old-1']);
    expect(await alter('early', [{ name: 'share.auto.offset.reset', value: 'earliest' }])).toEqual([0, null]);
    expect(await alter('recent', [{ name: 'share.auto.offset.reset', value: 'by_duration:PT1H' }])).toEqual([0, null]);
    expect((await member('early', topicId)()).values).toEqual(['old-0', 'old-1']);
    expect((await member('recent', topicId)()).values).toEqual(['old-0', 'old-1']);
    expect((await member('default', topicId)()).values).toEqual([]);
    const d = (await describeGroup('early', ['share.auto.offset.reset'])).configs[0];
    expect(d).toMatchObject({ value: 'earliest', configSource: 8, synonyms: [{ name: 'share.auto.offset.reset', value: 'earliest', source: 8 }, { name: 'share.auto.offset.reset', value: 'latest', source: 5 }] });
  });

  it('errors.deadletterqueue.topic.name: Kafka headers, no key/value by default, the topic must allow it', async () => {
    const topicId = await createTopic('dl-t');
    await createTopic('dlq.refusing');
    await createTopic('dlq.ok', [{ name: 'errors.deadletterqueue.group.enable', value: 'true' }]);
    await produce('dl-t', ['a', 'b']);
    for (const [group, dlq] of [['dg1', 'dlq.refusing'], ['dg2', 'dlq.ok']]) {
      expect(await alter(group!, [{ name: 'share.auto.offset.reset', value: 'earliest' }, { name: 'errors.deadletterqueue.topic.name', value: dlq! }])).toEqual([0, null]);
      const f = member(group!, topicId);
      expect((await f()).values).toEqual(['a', 'b']);
      await f([{ firstOffset: 0, lastOffset: 1, acknowledgeTypes: [3, 1] }]);
    }
    let ok: any[] = [];
    for (let i = 0; i < 50 && ok.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ok = await readTopic('dlq.ok');
    }
    expect(ok).toEqual([{ key: null, value: null, headers: { '__dlq.errors.topic': 'dl-t', '__dlq.errors.partition': '0', '__dlq.errors.offset': '0', '__dlq.errors.group': 'dg2', '__dlq.errors.delivery.count': '1', '__dlq.errors.message': 'Offset rejected by client.' } }]);
    expect(await readTopic('dlq.refusing')).toEqual([]);
  });

  it('errors.deadletterqueue.auto.create.topics.enable creates a missing dead-letter topic; copy.record.enable copies key and value', async () => {
    const topicId = await createTopic('auto-t');
    await produce('auto-t', ['x']);
    const setBroker = async (op: number, value: string | null) => (await c.request(44, 1, { resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'errors.deadletterqueue.auto.create.topics.enable', configOperation: op, value }] }], validateOnly: false })).responses[0].errorCode;
    expect(await setBroker(0, 'true')).toBe(0);
    try {
      expect(await alter('auto-g', [{ name: 'share.auto.offset.reset', value: 'earliest' }, { name: 'errors.deadletterqueue.topic.name', value: 'dlq.auto' }, { name: 'errors.deadletterqueue.copy.record.enable', value: 'true' }])).toEqual([0, null]);
      const f = member('auto-g', topicId);
      expect((await f()).values).toEqual(['x']);
      await f([{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [3] }]);
      let copies: any[] = [];
      for (let i = 0; i < 50 && copies.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        if (broker.broker.topics.get('dlq.auto')) copies = await readTopic('dlq.auto');
      }
      expect(copies.map((r) => [r.key?.toString(), r.value?.toString(), r.headers['__dlq.errors.offset']])).toEqual([['k0', 'x', '0']]);
      expect(broker.broker.topics.get('dlq.auto')!.configs.get('errors.deadletterqueue.group.enable')).toBe(true);
    } finally {
      expect(await setBroker(1, null)).toBe(0);
    }
  });

  it('share.isolation.level=read_committed: aborted transactions are never delivered, open ones wait', async () => {
    const topicId = await createTopic('txn-t');
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'sgc', logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ transactionalId: 'sgc-tx', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (const g of ['rc', 'ru']) expect(await alter(g, [{ name: 'share.auto.offset.reset', value: 'earliest' }, ...(g === 'rc' ? [{ name: 'share.isolation.level', value: 'read_committed' }] : [])])).toEqual([0, null]);
      const t1 = await producer.transaction();
      await t1.send({ topic: 'txn-t', messages: [{ value: 'committed-1' }] });
      await t1.commit();
      const t2 = await producer.transaction();
      await t2.send({ topic: 'txn-t', messages: [{ value: 'aborted-1' }, { value: 'aborted-2' }] });
      await t2.abort();
      const t3 = await producer.transaction();
      await t3.send({ topic: 'txn-t', messages: [{ value: 'open-1' }] });
      const rc = member('rc', topicId);
      const ru = member('ru', topicId);
      expect((await rc()).values).toEqual(['committed-1']);
      expect((await ru()).values).toEqual(['committed-1', 'aborted-1', 'aborted-2', 'open-1']);
      await t3.commit();
      let later: string[] = [];
      for (let i = 0; i < 20 && later.length === 0; i++) later = (await rc()).values;
      expect(later).toEqual(['open-1']);
    } finally {
      await producer.disconnect();
    }
  }, 30_000);

  it('consumer.heartbeat.interval.ms applies to a consumer-protocol group (ConsumerGroupHeartbeat)', async () => {
    await createTopic('cg-t');
    expect(await alter('cg-conf', [{ name: 'consumer.heartbeat.interval.ms', value: '7000' }])).toEqual([0, null]);
    const join = (groupId: string) => c.request(68, 0, { groupId, memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30000, subscribedTopicNames: ['cg-t'], serverAssignor: null, topicPartitions: [] });
    const configured = await join('cg-conf');
    expect([configured.errorCode, configured.heartbeatIntervalMs]).toEqual([0, 7000]);
    const plain = await join('cg-plain');
    expect([plain.errorCode, plain.heartbeatIntervalMs]).toEqual([0, 5000]);
  });

  it('runnel.group.configs.max.groups bounds how many groups have configs', async () => {
    const broker1 = async (op: number, value: string | null) => (await c.request(44, 1, { resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'runnel.group.configs.max.groups', configOperation: op, value }] }], validateOnly: false })).responses[0].errorCode;
    expect(await broker1(0, '1')).toBe(0);
    try {
      expect(await alter('one-too-many', [{ name: 'share.isolation.level', value: 'read_committed' }])).toEqual([42, 'Configs are set for 1 groups already (runnel.group.configs.max.groups).']);
      expect(await alter('early', [{ name: 'share.isolation.level', value: 'read_committed' }])).toEqual([0, null]);
    } finally {
      expect(await broker1(1, null)).toBe(0);
    }
  });

  it('group configs survive a restart', async () => {
    expect(await alter('persist', [{ name: 'share.record.lock.duration.ms', value: '20000' }])).toEqual([0, null]);
    const r33 = await c.request(33, 2, { resources: [{ resourceType: 32, resourceName: 'legacy', configs: [{ name: 'share.heartbeat.interval.ms', value: '6000' }] }], validateOnly: false });
    expect(r33.responses[0].errorCode).toBe(0);
    c.close();
    await broker.stop();
    broker = await startTestBroker({ config: CONFIG, dataDir: broker.dataDir });
    c = await RawClient.connect(broker.host, broker.port);
    expect((await describeGroup('persist', ['share.record.lock.duration.ms'])).configs[0]).toMatchObject({ value: '20000', configSource: 8 });
    expect((await describeGroup('legacy', ['share.heartbeat.interval.ms'])).configs[0]).toMatchObject({ value: '6000', configSource: 8 });
  });
});

/**
 * Cluster-mode topic changes against a real etcd (src/cluster/topic-store.ts, producer-ids.ts):
 * a topic is created and deleted by single transactions (all its keys at one revision), of
 * concurrent creates of one name from different brokers exactly one wins and the others get
 * TOPIC_ALREADY_EXISTS, replicas are placed rack-aware over the live brokers, a replication factor
 * above them is INVALID_REPLICATION_FACTOR with nothing written, partitions are added and configs
 * changed by compare-and-swap, and producer id blocks never overlap under concurrent allocation.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { type WatchBatch } from '../../src/cluster/etcd.js';
import { PRODUCER_ID_BLOCK_SIZE, allocateProducerIdBlock } from '../../src/cluster/producer-ids.js';
import { decodeTopicRecord } from '../../src/cluster/records.js';
import { TestCluster, partitionInEtcd } from './cluster-helpers.js';
import { type EtcdCluster, etcdMissing, eventually, startEtcd } from './etcd-harness.js';

const codeOf = (e: unknown) => (e instanceof KafkaError ? e.code : `not a KafkaError: ${String(e)}`);

describe.skipIf(etcdMissing)('cluster topic store', () => {
  let etcd: EtcdCluster;
  let cluster: TestCluster;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterEach(async () => {
    await cluster?.close();
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('creates a topic with all its partitions in one transaction, and deletes it the same way', async () => {
    cluster = new TestCluster(etcd, 'atomic');
    await Promise.all([1, 2, 3].map((id) => cluster.broker(id)));
    const store = await cluster.store();
    const topics = await cluster.topics(store);
    const batches: WatchBatch[] = [];
    const w = store.watchPrefix('', (await store.currentRevision()) + 1, { events: (b) => batches.push(b), compacted: () => undefined });

    const created = await topics.createTopic({ name: 'orders', partitions: 6, replicationFactor: 3, configs: { 'retention.ms': '1000' } });
    expect(created.partitions).toHaveLength(6);
    const { kvs } = await store.range('');
    const mine = kvs.filter((kv) => kv.key === 'topics/orders' || kv.key.startsWith('partitions/orders/'));
    expect(mine).toHaveLength(7);
    expect(new Set(mine.map((kv) => kv.createRevision)).size).toBe(1);
    const record = decodeTopicRecord('orders', mine.find((kv) => kv.key === 'topics/orders')!.value)!;
    expect(record).toMatchObject({ id: created.id, configs: { 'retention.ms': '1000' } });
    for (let p = 0; p < 6; p++) {
      const s = (await partitionInEtcd(store, 'orders', p))!;
      expect(s.replicas).toHaveLength(3);
      expect(new Set(s.replicas).size).toBe(3);
      expect(s).toMatchObject({ leader: s.replicas[0], isr: s.replicas, leaderEpoch: 0, partitionEpoch: 0 });
    }
    // Leaders spread: each broker leads 2 of the 6.
    const leaders = created.partitions.map((p) => p.leader);
    for (const id of [1, 2, 3]) expect(leaders.filter((l) => l === id)).toHaveLength(2);

    await topics.deleteTopic('orders');
    expect((await store.range('partitions/orders/')).kvs).toEqual([]);
    expect((await store.get('topics/orders')).kv).toBeNull();
    await eventually(() => batches.length >= 2, 5000);
    expect(batches.map((b) => b.events.length)).toEqual([7, 7]);
    expect(batches[1]!.events.every((e) => e.type === 'delete')).toBe(true);
    await w.close();
    expect(codeOf(await topics.deleteTopic('orders').catch((e) => e))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('concurrent creates of the same name from different brokers: exactly one wins, the rest get TOPIC_ALREADY_EXISTS', async () => {
    cluster = new TestCluster(etcd, 'race');
    await Promise.all([1, 2].map((id) => cluster.broker(id)));
    const stores = await Promise.all([0, 1, 2, 3, 4, 5].map(() => cluster.topics()));
    for (let round = 0; round < 5; round++) {
      const name = `race-${round}`;
      const results = await Promise.all(stores.map((t, i) => t.createTopic({ name, partitions: 1 + i, replicationFactor: 2, configs: {} }).then((c) => c, (e) => e)));
      const winners = results.filter((r) => !(r instanceof Error));
      const losers = results.filter((r) => r instanceof Error);
      expect(winners).toHaveLength(1);
      expect(losers.map(codeOf)).toEqual(Array(5).fill(ErrorCode.TOPIC_ALREADY_EXISTS));
      expect(losers[0].message).toBe(`Topic '${name}' already exists.`);
      // etcd holds the winner's topic, with the winner's partition count and nothing of the others.
      const store = await cluster.store();
      const id = decodeTopicRecord(name, (await store.get(`topics/${name}`)).kv!.value)!.id;
      expect(id).toBe(winners[0].id);
      expect((await store.range(`partitions/${name}/`)).kvs).toHaveLength(winners[0].partitions.length);
    }
  });

  it('replication factor above the live brokers: INVALID_REPLICATION_FACTOR, nothing written; shutting-down brokers do not count', async () => {
    cluster = new TestCluster(etcd, 'rf');
    const [, b2] = await Promise.all([1, 2].map((id) => cluster.broker(id)));
    const store = await cluster.store();
    const image = await cluster.image(store);
    const topics = await cluster.topics(store, image);
    const err = await topics.createTopic({ name: 'big', partitions: 1, replicationFactor: 3, configs: {} }).catch((e) => e);
    expect(codeOf(err)).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(err.message).toBe('Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 2 broker(s) are registered.');
    expect((await store.range('')).kvs.filter((kv) => kv.key.includes('big'))).toEqual([]);

    await b2!.registration.markShuttingDown();
    await eventually(() => image.current().brokers.get(2)?.shuttingDown, 5000);
    expect(codeOf(await topics.createTopic({ name: 'two', partitions: 1, replicationFactor: 2, configs: {} }).catch((e) => e))).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    // Explicit assignments: unknown brokers and mixed replication factors are refused.
    expect(codeOf(await topics.createTopic({ name: 'x', partitions: 0, replicationFactor: 0, assignments: [[1, 9]], configs: {} }).catch((e) => e))).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(codeOf(await topics.createTopic({ name: 'x', partitions: 0, replicationFactor: 0, assignments: [[1, 2], [1]], configs: {} }).catch((e) => e))).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    // Too many partitions for one etcd transaction: POLICY_VIOLATION, as runnel.etcd.max.txn.ops says.
    const small = await cluster.topics(store, image, 8);
    expect(codeOf(await small.createTopic({ name: 'wide', partitions: 8, replicationFactor: 1, configs: {} }).catch((e) => e))).toBe(ErrorCode.POLICY_VIOLATION);
  });

  it('places replicas rack-aware: every partition spans as many racks as replicas', async () => {
    cluster = new TestCluster(etcd, 'racks');
    const racks: Record<number, string> = { 1: 'a', 2: 'a', 3: 'b', 4: 'b', 5: 'c', 6: 'c' };
    await Promise.all(Object.entries(racks).map(([id, rack]) => cluster.broker(Number(id), { rack })));
    const topics = await cluster.topics();
    const t = await topics.createTopic({ name: 'spread', partitions: 12, replicationFactor: 3, configs: {} });
    for (const p of t.partitions) expect(new Set(p.replicas.map((r) => racks[r])).size).toBe(3);
  });

  it('adds partitions (CreatePartitions) and replaces configs by compare-and-swap', async () => {
    cluster = new TestCluster(etcd, 'grow');
    await Promise.all([1, 2, 3].map((id) => cluster.broker(id)));
    const store = await cluster.store();
    const topics = await cluster.topics(store);
    await topics.createTopic({ name: 'g', partitions: 2, replicationFactor: 2, configs: {} });
    const added = await topics.createPartitions('g', 5, null);
    expect(added).toHaveLength(3);
    expect((await store.range('partitions/g/')).kvs.map((kv) => kv.key)).toEqual(['partitions/g/0', 'partitions/g/1', 'partitions/g/2', 'partitions/g/3', 'partitions/g/4']);
    for (const s of added) expect(s.replicas).toHaveLength(2);
    expect(codeOf(await topics.createPartitions('g', 5, null).catch((e) => e))).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(codeOf(await topics.createPartitions('nope', 5, null).catch((e) => e))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    // Two brokers growing it at once: one to 7, one to 8; the result is one of them, never a mix.
    const both = await Promise.all([topics.createPartitions('g', 7, null).catch((e) => e), (await cluster.topics()).createPartitions('g', 8, null).catch((e) => e)]);
    const count = (await store.range('partitions/g/')).kvs.length;
    expect([7, 8]).toContain(count);
    expect(both.filter((r) => r instanceof Error).map(codeOf)).toEqual(both.some((r) => r instanceof Error) ? [ErrorCode.INVALID_PARTITIONS] : []);

    await topics.setTopicConfigs('g', { 'cleanup.policy': 'compact', 'retention.ms': '5' });
    expect(decodeTopicRecord('g', (await store.get('topics/g')).kv!.value)!.configs).toEqual({ 'cleanup.policy': 'compact', 'retention.ms': '5' });
    expect(codeOf(await topics.setTopicConfigs('nope', {}).catch((e) => e))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('producer id blocks are unique and contiguous under concurrent allocation from several brokers', async () => {
    cluster = new TestCluster(etcd, 'pids');
    const stores = await Promise.all([1, 2, 3, 4].map(() => cluster.store()));
    const blocks = (await Promise.all(stores.map(async (s, i) => {
      const mine = [];
      for (let n = 0; n < 10; n++) mine.push(await allocateProducerIdBlock(s, i + 1));
      return mine;
    }))).flat();
    expect(blocks).toHaveLength(40);
    const sorted = [...blocks].sort((a, b) => a.firstProducerId - b.firstProducerId);
    sorted.forEach((b, i) => {
      expect(b.firstProducerId).toBe(i * PRODUCER_ID_BLOCK_SIZE);
      expect(b.lastProducerId).toBe(b.firstProducerId + PRODUCER_ID_BLOCK_SIZE - 1);
    });
    const { kv } = await stores[0]!.get('producer-ids');
    expect(JSON.parse(kv!.value.toString()).lastProducerId).toBe(40 * PRODUCER_ID_BLOCK_SIZE - 1);
  });
});

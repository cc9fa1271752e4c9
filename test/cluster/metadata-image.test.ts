/**
 * The metadata image against a real etcd (src/cluster/metadata-image.ts): under concurrent topic
 * creates and deletes and partition compare-and-swaps from several clients, every image it
 * publishes is a state etcd had (a topic always with all its partitions, epochs never going
 * back), and the last one equals a fresh read; deltas name what changed; after a compaction
 * the image re-reads and reports the difference as a snapshot delta.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EtcdStore } from '../../src/cluster/etcd.js';
import { writePartitions } from '../../src/cluster/controller.js';
import { ElectionCandidate } from '../../src/cluster/election.js';
import type { ClusterImage, ImageDelta, MetadataImage } from '../../src/cluster/metadata-image.js';
import { decodePartitionState, decodeTopicRecord } from '../../src/cluster/records.js';
import { TestCluster, partitionInEtcd } from './cluster-helpers.js';
import { type EtcdCluster, etcdMissing, eventually, startEtcd } from './etcd-harness.js';

/** The image's topics and partitions, as plain data to compare. */
function summary(image: ClusterImage) {
  const topics: Record<string, unknown> = {};
  for (const [name, t] of image.topics) {
    const parts = [...(image.partitions.get(name)?.values() ?? [])].sort((a, b) => a.partition - b.partition);
    topics[name] = { id: t.id, configs: t.configs, partitions: parts.map((p) => ({ leader: p.leader, isr: p.isr, replicas: p.replicas, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, modRevision: p.modRevision })) };
  }
  return { brokers: [...image.brokers.keys()].sort(), topics };
}

/** The same, read from etcd directly at one revision. */
async function summaryFromEtcd(store: EtcdStore) {
  const { kvs, revision } = await store.range('');
  const topics: Record<string, { id: string; configs: Record<string, string>; partitions: unknown[] }> = {};
  const brokers: number[] = [];
  for (const kv of kvs) {
    if (kv.key.startsWith('brokers/')) brokers.push(Number(kv.key.slice(8)));
    if (kv.key.startsWith('topics/')) {
      const r = decodeTopicRecord(kv.key.slice(7), kv.value)!;
      topics[r.name] = { id: r.id, configs: r.configs, partitions: [] };
    }
  }
  for (const kv of kvs) {
    if (!kv.key.startsWith('partitions/')) continue;
    const [, topic, p] = kv.key.split('/');
    const s = decodePartitionState(kv.value)!;
    topics[topic!]!.partitions[Number(p)] = { leader: s.leader, isr: s.isr, replicas: s.replicas, leaderEpoch: s.leaderEpoch, partitionEpoch: s.partitionEpoch, modRevision: kv.modRevision };
  }
  return { revision, summary: { brokers: brokers.sort(), topics } };
}

describe.skipIf(etcdMissing)('metadata image', () => {
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

  it('stays consistent under concurrent creates, deletes and partition CAS writes from several clients', async () => {
    cluster = new TestCluster(etcd, 'image');
    await Promise.all([1, 2, 3].map((id) => cluster.broker(id)));
    const image = await cluster.image();
    const partitionCounts = new Map<string, number>();
    const problems: string[] = [];
    const lastEpoch = new Map<string, { id: string; epoch: number }>();
    let images = 0;
    image.on('change', (d: ImageDelta) => {
      images++;
      const img = d.image;
      if (img.revision <= d.previous.revision) problems.push(`revision went from ${d.previous.revision} to ${img.revision}`);
      for (const [name, t] of img.topics) {
        const got = img.partitions.get(name)?.size ?? 0;
        if (got !== partitionCounts.get(name)) problems.push(`${name} at ${img.revision}: ${got} partitions, created with ${partitionCounts.get(name)}`);
        for (const p of img.partitions.get(name)?.values() ?? []) {
          const k = `${name}/${p.partition}`;
          const before = lastEpoch.get(k);
          if (before && before.id === t.id && p.partitionEpoch < before.epoch) problems.push(`${k} epoch went back`);
          lastEpoch.set(k, { id: t.id, epoch: p.partitionEpoch });
        }
      }
      for (const name of img.partitions.keys()) if (!img.topics.has(name)) problems.push(`partitions of ${name} without its topic at ${img.revision}`);
    });

    const writers = await Promise.all([0, 1, 2].map(() => cluster.topics()));
    const stores = await Promise.all([0, 1, 2].map(() => cluster.store()));
    const work = writers.map(async (topics, w) => {
      for (let i = 0; i < 6; i++) {
        const name = `t${w}-${i}`;
        partitionCounts.set(name, 1 + ((w + i) % 8));
        await topics.createTopic({ name, partitions: partitionCounts.get(name)!, replicationFactor: 2, configs: { 'retention.ms': String(i) } });
        if (i % 3 === 2) await topics.deleteTopic(`t${w}-${i - 1}`);
      }
    });
    // Meanwhile: ISR shrinks and expands by compare-and-swap on the partitions that exist.
    let casWrites = 0;
    let stop = false;
    const churn = stores.map(async (store) => {
      while (!stop) {
        const names = [...image.current().topics.keys()];
        const name = names[Math.floor(Math.random() * names.length)];
        if (name) {
          const current = await partitionInEtcd(store, name, 0);
          if (current) {
            const isr = current.isr.length > 1 ? current.isr.slice(0, 1) : current.replicas;
            const r = await writePartitions(store, [{ topic: name, partition: 0, modRevision: current.modRevision, next: { ...current, isr, partitionEpoch: current.partitionEpoch + 1 } }], [], 128);
            if (r !== null) casWrites++;
          }
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    await Promise.all(work);
    stop = true;
    await Promise.all(churn);

    const fresh = await summaryFromEtcd(stores[0]!);
    expect(await image.waitForRevision(fresh.revision, 5000)).toBe(true);
    await eventually(() => image.current().revision >= fresh.revision, 5000);
    expect(problems).toEqual([]);
    expect(casWrites).toBeGreaterThan(5);
    expect(images).toBeGreaterThan(20);
    expect(summary(image.current())).toEqual(fresh.summary);
    expect(Object.keys(fresh.summary.topics).length).toBe(12); // 18 created, 6 deleted
    // A second image, loaded now, is the same state.
    const second = await cluster.image();
    expect(summary(second.current())).toEqual(summary(image.current()));
  });

  it('deltas say what changed: brokers, topics, leader vs ISR, the controller', async () => {
    cluster = new TestCluster(etcd, 'delta');
    const [b1] = await Promise.all([cluster.broker(1), cluster.broker(2)]);
    const store = await cluster.store();
    const image = await cluster.image();
    const topics = await cluster.topics(store, image);
    const deltas: ImageDelta[] = [];
    image.on('change', (d: ImageDelta) => deltas.push(d));
    // The next delta (after the last one matched) that satisfies `pred`.
    let seen = 0;
    const next = (pred: (d: ImageDelta) => boolean) =>
      eventually(
        () => {
          const i = deltas.findIndex((d, j) => j >= seen && pred(d));
          if (i < 0) return null;
          seen = i + 1;
          return deltas[i]!;
        },
        5000,
        'delta',
      );

    await topics.createTopic({ name: 'd', partitions: 3, replicationFactor: 2, configs: {} });
    const created = await next((d) => d.topicsCreated.includes('d'));
    expect(created.partitions.map((p) => [p.partition, p.before, p.after?.partition])).toEqual([[0, null, 0], [1, null, 1], [2, null, 2]]);

    const p0 = (await partitionInEtcd(store, 'd', 0))!;
    const follower = p0.replicas[1]!;
    await writePartitions(store, [{ topic: 'd', partition: 0, modRevision: p0.modRevision, next: { ...p0, isr: [p0.leader], partitionEpoch: p0.partitionEpoch + 1 } }], [], 128);
    const isr = await next((d) => d.partitions.some((p) => p.isrChanged));
    expect(isr.partitions).toHaveLength(1);
    expect(isr.partitions[0]).toMatchObject({ topic: 'd', partition: 0, isrChanged: true, leaderChanged: false, replicasChanged: false });

    const p0b = (await partitionInEtcd(store, 'd', 0))!;
    await writePartitions(store, [{ topic: 'd', partition: 0, modRevision: p0b.modRevision, next: { ...p0b, leader: follower, isr: [follower], leaderEpoch: p0b.leaderEpoch + 1, partitionEpoch: p0b.partitionEpoch + 1 } }], [], 128);
    const leader = await next((d) => d.partitions.some((p) => p.leaderChanged));
    expect(leader.partitions[0]).toMatchObject({ leaderChanged: true, isrChanged: true, replicasChanged: false });
    expect(leader.image.partitions.get('d')!.get(0)!.leader).toBe(follower);

    await b1.registration.markShuttingDown();
    await next((d) => d.brokersChanged.includes(1));
    expect(image.current().brokers.get(1)!.shuttingDown).toBe(true);
    const lastRegistration = image.current().brokers.get(1)!;
    await b1.registration.stop();
    await next((d) => d.brokersRemoved.includes(1));
    // Kept as departed (its last listeners), so Metadata can list it while it still leads.
    expect(image.current().departedBrokers.get(1)).toEqual(lastRegistration);

    expect(image.current().controllerId).toBe(-1);
    const candidate = new ElectionCandidate(store, (await cluster.broker(5)).registration.current()!.incarnation, 5);
    await candidate.campaign();
    await next((d) => d.controllerChanged && d.image.controllerId === 5);

    await topics.setTopicConfigs('d', { 'cleanup.policy': 'compact' });
    await next((d) => d.topicsChanged.includes('d'));
    expect(image.current().topics.get('d')!.configs).toEqual({ 'cleanup.policy': 'compact' });
    await topics.deleteTopic('d');
    const deleted = await next((d) => d.topicsDeleted.includes('d'));
    expect(deleted.partitions.map((p) => p.after)).toEqual([null, null, null]);
    expect(image.current().partitions.has('d')).toBe(false);
    await candidate.resign();
  });

  it('after etcd compacted what the watch needed, it re-reads and reports the difference as a snapshot', async () => {
    cluster = new TestCluster(etcd, 'compact');
    await cluster.broker(1);
    const writer = await cluster.topics();
    const proxy = await cluster.proxy();
    const image: MetadataImage = await cluster.image(await cluster.store([proxy.endpoint]));
    await writer.createTopic({ name: 'gone', partitions: 2, replicationFactor: 1, configs: {} });
    await eventually(() => image.current().topics.has('gone'), 5000);
    const deltas: ImageDelta[] = [];
    image.on('change', (d: ImageDelta) => deltas.push(d));

    proxy.blocked = true;
    proxy.cut();
    await writer.deleteTopic('gone');
    await writer.createTopic({ name: 'new', partitions: 3, replicationFactor: 1, configs: {} });
    const store = await cluster.store();
    const rev = await store.currentRevision();
    await etcd.compact(rev);
    proxy.blocked = false;

    const snap = await eventually(() => deltas.find((d) => d.snapshot), 15_000, 'snapshot delta');
    expect(snap.topicsDeleted).toEqual(['gone']);
    expect(snap.topicsCreated).toEqual(['new']);
    expect(snap.partitions.filter((p) => p.after === null).length).toBe(2);
    expect(snap.partitions.filter((p) => p.before === null).length).toBe(3);
    expect(summary(image.current())).toEqual((await summaryFromEtcd(store)).summary);
  });
});

/**
 * The topic mirror of cluster mode (src/metadata/cluster-topics.ts): the broker's in-memory topic
 * store follows the metadata image — topics created, grown, re-configured and deleted by any
 * broker — keeping each topic's object while its id stays, and reports the topic events in the
 * order listeners need them (a topic re-created under the same name: deleted, then created).
 * Broker-state topics get their configured replication factor capped at the live brokers. Logs
 * already on disk (loaded with the broker's defaults at startup) get their topic's configs.
 */
import { describe, expect, it } from 'vitest';
import { BrokerConfig, optionsLayer } from '../../../src/config/broker-config.js';
import { type BrokerImage, type ClusterImage, EMPTY_IMAGE, type PartitionImage, type TopicImage } from '../../../src/cluster/metadata-image.js';
import type { ClusterTopicStore } from '../../../src/cluster/topic-store.js';
import { ClusterTopics } from '../../../src/metadata/cluster-topics.js';
import { TopicStore } from '../../../src/metadata/topic-store.js';
import { TopicManager } from '../../../src/metadata/topic-manager.js';
import { silentLogger } from '../../../src/logger.js';
import { LogManager } from '../../../storage/log-manager.js';
import { silentLogger as storageLogger } from '../../../storage/logger.js';
import { logConfig } from '../../../storage/log-config.js';
import { tempDir } from '../storage/helpers.js';

const ID_A = Buffer.alloc(16, 1).toString('base64url');
const ID_B = Buffer.alloc(16, 2).toString('base64url');

function img(topics: Array<{ name: string; id: string; partitions: number; configs?: Record<string, string>; rev?: number }>, brokers = 3): ClusterImage {
  const t = new Map<string, TopicImage>();
  const p = new Map<string, Map<number, PartitionImage>>();
  for (const x of topics) {
    t.set(x.name, { name: x.name, id: x.id, configs: x.configs ?? {}, modRevision: x.rev ?? 1 });
    p.set(x.name, new Map(Array.from({ length: x.partitions }, (_, i) => [i, { topic: x.name, partition: i, leader: 1, leaderEpoch: 0, partitionEpoch: 0, replicas: [1], isr: [1], adding: [], removing: [], modRevision: 1 }])));
  }
  const b = new Map<number, BrokerImage>();
  for (let id = 1; id <= brokers; id++) b.set(id, { id, listeners: [], rack: null, incarnation: String(id), shuttingDown: false, modRevision: 1 });
  return { ...EMPTY_IMAGE, topics: t, partitions: p, brokers: b };
}

function topicsOver(image: () => ClusterImage): ClusterTopics {
  return new ClusterTopics({ nodeId: 1, store: {} as ClusterTopicStore, image, applied: async () => true, applyTimeoutMs: 1000 });
}

describe('ClusterTopics.mirror', () => {
  it('follows the image: created, grown, re-configured, deleted, re-created; topic objects kept while the id stays', () => {
    const store = TopicStore.inMemory();
    const ct = topicsOver(() => EMPTY_IMAGE);
    const names = (events: Array<[string, { name: string }]>) => events.map(([e, t]) => `${e}:${t.name}`);

    expect(names(ct.mirror(store, img([{ name: 'a', id: ID_A, partitions: 2 }, { name: '__consumer_offsets', id: ID_B, partitions: 3 }])))).toEqual(['created:a', 'created:__consumer_offsets']);
    const a = store.get('a')!;
    expect(a).toMatchObject({ partitions: 2, internal: false });
    expect(store.get('__consumer_offsets')!.internal).toBe(true);
    expect(ct.mirror(store, img([{ name: 'a', id: ID_A, partitions: 2 }, { name: '__consumer_offsets', id: ID_B, partitions: 3 }]))).toEqual([]);

    expect(names(ct.mirror(store, img([{ name: 'a', id: ID_A, partitions: 4, configs: { 'retention.ms': '1000' }, rev: 2 }])))).toEqual(['deleted:__consumer_offsets', 'partitions:a', 'configs:a']);
    expect(store.get('a')).toBe(a);
    expect(a.partitions).toBe(4);
    expect(a.configs.get('retention.ms')).toBe(1000);

    // Deleted and created again under the same name (another id) in one image: both events, in order.
    expect(names(ct.mirror(store, img([{ name: 'a', id: ID_B, partitions: 1, rev: 3 }])))).toEqual(['deleted:a', 'created:a']);
    expect(store.get('a')).not.toBe(a);
    expect(store.get('a')!.id.toString('base64url')).toBe(ID_B);
    expect(store.size()).toBe(1);
  });

  it('broker-state topics: the configured replication factor, capped at the live brokers', () => {
    let image = img([], 2);
    const ct = topicsOver(() => image);
    const config = new BrokerConfig([optionsLayer({ 'offsets.topic.replication.factor': 3, 'runnel.etcd.endpoints': 'http://127.0.0.1:1' })]);
    expect(ct.internalReplicationFactor('__consumer_offsets', config)).toBe(2);
    expect(ct.internalReplicationFactor('__transaction_state', config)).toBe(2);
    image = img([], 5);
    expect(ct.internalReplicationFactor('__consumer_offsets', config)).toBe(3);
    expect(ct.internalReplicationFactor('_schemas', config)).toBe(3);
    image = img([], 0);
    expect(ct.internalReplicationFactor('__transaction_state', config)).toBe(1);
  });
});

describe('TopicManager.applyClusterImage', () => {
  it('gives logs loaded at startup their topic\'s configs (a compacted state topic stays compacted)', async () => {
    const dir = tempDir('runnel-cluster-topics-');
    const open = () => LogManager.open({ dataDir: dir.dir, logger: storageLogger(), defaults: logConfig({}), retentionCheckIntervalMs: 0, cleanerBackoffMs: 0, recoveryPointCheckpointIntervalMs: 0 });
    const first = await open();
    await first.createFresh([{ topic: '__consumer_offsets', partition: 0, config: logConfig({ cleanupPolicy: { delete: false, compact: true } }) }]);
    await first.close();
    const logs = await open();
    try {
      expect(logs.get('__consumer_offsets', 0)!.config.cleanupPolicy).toEqual({ delete: true, compact: false });
      const config = new BrokerConfig([optionsLayer({ 'runnel.etcd.endpoints': 'http://127.0.0.1:1' })]);
      const image = img([{ name: '__consumer_offsets', id: ID_A, partitions: 1, configs: { 'cleanup.policy': 'compact' } }]);
      const tm = new TopicManager(TopicStore.inMemory(), config, silentLogger(), 1, topicsOver(() => image));
      tm.attachLogs(logs);
      const emit = tm.applyClusterImage(image);
      expect(logs.get('__consumer_offsets', 0)!.config.cleanupPolicy).toEqual({ delete: false, compact: true });
      const seen: string[] = [];
      tm.onChange((e, t) => seen.push(`${e}:${t.name}`));
      emit();
      expect(seen).toEqual(['created:__consumer_offsets']);
    } finally {
      await logs.close();
      dir.cleanup();
    }
  });
});

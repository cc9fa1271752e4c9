/**
 * Test helpers for the replica layer: a LogManager in a temp dir, a topic directory standing in
 * for the broker's topic store, and a ReplicaManager over both (node id 1).
 */
import { randomBytes } from 'node:crypto';
import { silentLogger } from '../../../src/logger.js';
import { type HostedTopic, ReplicaManager } from '../../../src/replica/replica-manager.js';
import type { StorageFs } from '../../../storage/fs.js';
import { type LogConfig, logConfig } from '../../../storage/log-config.js';
import { LogManager } from '../../../storage/log-manager.js';
import { tempDir } from '../storage/helpers.js';

export const BROKER_ID = 1;
export const testLogConfig = logConfig({ segmentBytes: 4000, fileDeleteDelayMs: 0 });

/** The broker's topic list, as the replica manager sees it. */
export class TestTopics {
  readonly map = new Map<string, HostedTopic>();
  get(name: string): HostedTopic | undefined {
    return this.map.get(name);
  }
  all(): IterableIterator<HostedTopic> {
    return this.map.values();
  }
}

export interface ReplicaFixture {
  dataDir: string;
  logs: LogManager;
  topics: TestTopics;
  rm: ReplicaManager;
  /** Records the topic, creates its logs, then tells the manager (TopicManager's order). */
  createTopic(name: string, partitions: number, config?: LogConfig): Promise<HostedTopic>;
  /** Grows a topic as CreatePartitions does. */
  addPartitions(name: string, count: number): Promise<void>;
  /** Forgets the topic, deletes its logs, then tells the manager (TopicManager's order). */
  deleteTopic(name: string): Promise<void>;
  /** Closes the logs and opens them again with a new manager, as a broker restart does. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function replicaFixture(opts: { fs?: StorageFs; dataDir?: string } = {}): Promise<ReplicaFixture> {
  const t = opts.dataDir ? null : tempDir('runnel-replica-');
  const dataDir = opts.dataDir ?? t!.dir;
  const openLogs = () => LogManager.open({ dataDir, fs: opts.fs, logger: silentLogger(), defaults: testLogConfig, retentionCheckIntervalMs: 0, cleanerBackoffMs: 0, recoveryPointCheckpointIntervalMs: 0 });
  const topics = new TestTopics();
  const f: ReplicaFixture = {
    dataDir,
    logs: await openLogs(),
    topics,
    rm: null as unknown as ReplicaManager,
    async createTopic(name, partitions, config = testLogConfig) {
      const topic = { name, id: randomBytes(16), partitions };
      topics.map.set(name, topic);
      await f.logs.createFresh(Array.from({ length: partitions }, (_, partition) => ({ topic: name, partition, config })));
      f.rm.onTopicChange('created', topic);
      return topic;
    },
    async addPartitions(name, count) {
      const old = topics.map.get(name)!;
      await f.logs.createFresh(Array.from({ length: count - old.partitions }, (_, i) => ({ topic: name, partition: old.partitions + i, config: testLogConfig })));
      const grown = { ...old, partitions: count };
      topics.map.set(name, grown);
      f.rm.onTopicChange('partitions', grown);
    },
    async deleteTopic(name) {
      const topic = topics.map.get(name)!;
      topics.map.delete(name);
      await f.logs.deleteTopic(name);
      f.rm.onTopicChange('deleted', topic);
    },
    async restart() {
      await f.logs.close();
      f.logs = await openLogs();
      f.rm = new ReplicaManager({ brokerId: BROKER_ID, topics, logs: f.logs });
      f.rm.loadTopics(topics.all());
    },
    async close() {
      await f.logs.close();
      t?.cleanup();
    },
  };
  f.rm = new ReplicaManager({ brokerId: BROKER_ID, topics, logs: f.logs });
  return f;
}

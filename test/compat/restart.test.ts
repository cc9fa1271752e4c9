/**
 * Issue 2 acceptance: topics and configs survive a clean stop()/start and a kill -9/start.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, ConfigResourceTypes, type Admin } from 'kafkajs';
import { removeDir, spawnBroker, startTestBroker, tempDir } from '../helpers/broker.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

async function withAdmin<T>(bootstrap: string, fn: (a: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

async function snapshot(bootstrap: string) {
  return withAdmin(bootstrap, async (admin) => {
    const meta = await admin.fetchTopicMetadata({ topics: ['keep-a', 'keep-b'] });
    const cfg = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'keep-a' }] });
    const overrides = cfg.resources[0]!.configEntries.filter((e) => !e.isDefault).map((e) => [e.configName, e.configValue]);
    return { partitions: meta.topics.map((t) => [t.name, t.partitions.length]).sort(), overrides: Object.fromEntries(overrides), topics: (await admin.listTopics()).sort() };
  });
}

async function createTopics(bootstrap: string) {
  await withAdmin(bootstrap, async (admin) => {
    await admin.createTopics({
      topics: [
        { topic: 'keep-a', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '123456' }, { name: 'cleanup.policy', value: 'compact' }] },
        { topic: 'keep-b', numPartitions: 2 },
        { topic: 'gone', numPartitions: 1 },
      ],
    });
    await admin.deleteTopics({ topics: ['gone'] });
    await admin.createPartitions({ topicPartitions: [{ topic: 'keep-b', count: 4 }] });
  });
}

const expected = {
  partitions: [
    ['keep-a', 3],
    ['keep-b', 4],
  ],
  overrides: { 'retention.ms': '123456', 'cleanup.policy': 'compact' },
};

describe('restart', () => {
  it('keeps topics and configs across stop()/start', async () => {
    const dataDir = tempDir('restart-clean');
    dirs.push(dataDir);
    const first = await startTestBroker({ dataDir, keepData: true });
    await createTopics(first.bootstrap);
    const before = await snapshot(first.bootstrap);
    expect(before).toMatchObject(expected);
    await first.cleanup();
    const second = await startTestBroker({ dataDir, keepData: true });
    try {
      const after = await snapshot(second.bootstrap);
      expect(after).toEqual(before);
      expect(after.topics).not.toContain('gone');
    } finally {
      await second.cleanup();
    }
  });

  it('keeps topics and configs across kill -9', async () => {
    const dataDir = tempDir('restart-kill');
    dirs.push(dataDir);
    const first = await spawnBroker(dataDir);
    await createTopics(first.bootstrap);
    const before = await snapshot(first.bootstrap);
    expect(before).toMatchObject(expected);
    await first.kill('SIGKILL');
    const second = await spawnBroker(dataDir);
    try {
      expect(await snapshot(second.bootstrap)).toEqual(before);
    } finally {
      await second.kill('SIGTERM');
    }
  });

  it('stops gracefully on SIGTERM within 8 s and writes the clean-shutdown marker', async () => {
    const dataDir = tempDir('restart-term');
    dirs.push(dataDir);
    const b = await spawnBroker(dataDir);
    await createTopics(b.bootstrap);
    const t0 = Date.now();
    const code = await b.kill('SIGTERM');
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(8000);
    const { existsSync } = await import('node:fs');
    expect(existsSync(`${dataDir}/.kafka_cleanshutdown`)).toBe(true);
  });
});

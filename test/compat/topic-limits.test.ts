/**
 * Issue 14 item 2: counts and sizes a client picks in topic administration are bounded before
 * anything is stored — partitions per request (Kafka's 10,000, POLICY_VIOLATION) and per topic
 * (INVALID_PARTITIONS), topics auto-created per Metadata request, config value sizes — and one
 * request's topics are created (or deleted) with one metadata write.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { FaultyFs, type OpenMode } from '../../storage/fs.js';
import { spawnBroker, startTestBroker, tempDir, removeDir, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { TOPIC_RESOURCE, connectRaw, createPartitions, createTopics, deleteTopics, metadata, setConfigs } from '../helpers/topic-admin.js';

/** Counts the writes of runnel-metadata.json (each atomic write opens its .tmp once). */
class CountingFs extends FaultyFs {
  metadataWrites = 0;
  override open(path: string, mode: OpenMode): Promise<number> {
    if (path.endsWith('runnel-metadata.json.tmp')) this.metadataWrites++;
    return super.open(path, mode);
  }
}

const fs = new CountingFs();
let broker: TestBroker;
let c: RawClient;

beforeAll(async () => {
  broker = await startTestBroker({ storageFs: fs });
  c = await connectRaw(broker.bootstrap);
});
afterAll(async () => {
  c?.close();
  await broker?.cleanup();
});

describe('partitions per request and per topic', () => {
  it('refuses 2,147,483,647 partitions before storing anything; Metadata and a restart stay fine (child broker)', async () => {
    const dir = tempDir('huge-partitions');
    let child = await spawnBroker(dir);
    try {
      const raw = await RawClient.connect(child.host, child.port);
      const [huge] = await createTopics(raw, [{ name: 'huge', numPartitions: 2_147_483_647 }]);
      expect(huge).toMatchObject({ errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: 'Excessively large number of partitions per request.' });
      await createTopics(raw, [{ name: 'small', numPartitions: 2 }]);
      const [grown] = await createPartitions(raw, [{ name: 'small', count: 2_147_483_647 }]);
      expect(grown).toMatchObject({ errorCode: ErrorCode.POLICY_VIOLATION });
      const all = await metadata(raw, null);
      expect(all.map((t) => [t.name, t.partitions.length])).toEqual([['small', 2]]);
      raw.close();
      expect(readFileSync(join(dir, 'runnel-metadata.json'), 'utf8')).not.toContain('huge');
      await child.kill();
      child = await spawnBroker(dir);
      const again = await RawClient.connect(child.host, child.port);
      expect((await metadata(again, null)).map((t) => t.name)).toEqual(['small']);
      again.close();
    } finally {
      await child.kill('SIGKILL');
      removeDir(dir);
    }
  });

  it('counts every topic of a CreateTopics request against the 10,000 partitions: 10,001 refuses them all', async () => {
    const over = await createTopics(c, [{ name: 'batch-a', numPartitions: 5000 }, { name: 'batch-b', numPartitions: 5001 }], true);
    expect(over.map((t) => t.errorCode)).toEqual([ErrorCode.POLICY_VIOLATION, ErrorCode.POLICY_VIOLATION]);
    const exact = await createTopics(c, [{ name: 'batch-a', numPartitions: 5000 }, { name: 'batch-b', numPartitions: 5000 }], true);
    expect(exact.map((t) => t.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  });

  it('refuses a topic above runnel.max.partitions.per.topic, on creation and on CreatePartitions', async () => {
    const b = await startTestBroker({ config: { 'runnel.max.partitions.per.topic': 8 } });
    const raw = await connectRaw(b.bootstrap);
    try {
      expect((await createTopics(raw, [{ name: 'wide', numPartitions: 9 }]))[0]).toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS });
      expect((await createTopics(raw, [{ name: 'wide', numPartitions: 4 }]))[0]!.errorCode).toBe(ErrorCode.NONE);
      expect((await createPartitions(raw, [{ name: 'wide', count: 9 }]))[0]).toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS });
      expect((await createPartitions(raw, [{ name: 'wide', count: 8 }]))[0]!.errorCode).toBe(ErrorCode.NONE);
    } finally {
      raw.close();
      await b.cleanup();
    }
  });

  it('refuses partitions beyond runnel.max.partitions on the broker, created or added; deletion frees them', async () => {
    // The broker's internal topics (__consumer_offsets ...) count too, but are always created.
    const b = await startTestBroker({ config: { 'runnel.max.partitions': 60 } });
    const raw = await connectRaw(b.bootstrap);
    try {
      const used = (await metadata(raw, null)).reduce((n, t) => n + t.partitions.length, 0);
      const room = 60 - used;
      expect((await createTopics(raw, [{ name: 'fill', numPartitions: room - 2 }]))[0]!.errorCode).toBe(ErrorCode.NONE);
      expect((await createTopics(raw, [{ name: 'over', numPartitions: 3 }]))[0]).toMatchObject({ errorCode: ErrorCode.POLICY_VIOLATION });
      expect((await createPartitions(raw, [{ name: 'fill', count: room + 1 }]))[0]).toMatchObject({ errorCode: ErrorCode.POLICY_VIOLATION });
      expect((await createTopics(raw, [{ name: 'fits', numPartitions: 2 }]))[0]!.errorCode).toBe(ErrorCode.NONE);
      const deleted = await raw.request(20, 4, { topicNames: ['fill'], timeoutMs: 10_000 });
      expect(deleted.responses[0].errorCode).toBe(ErrorCode.NONE);
      expect((await createTopics(raw, [{ name: 'over', numPartitions: 3 }]))[0]!.errorCode).toBe(ErrorCode.NONE);
    } finally {
      raw.close();
      await b.cleanup();
    }
  });

  it('refuses a replication factor a single broker cannot have', async () => {
    expect((await createTopics(c, [{ name: 'rf-huge', replicationFactor: 32767 }]))[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICATION_FACTOR });
  });
});

describe('auto-creation and the metadata file', () => {
  it('a Metadata request auto-creates at most 100 topics; the rest are LEADER_NOT_AVAILABLE until the next request', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `auto-${i}`);
    const first = await metadata(c, names, true);
    expect(first.filter((t) => t.errorCode === ErrorCode.NONE)).toHaveLength(100);
    expect(first.filter((t) => t.errorCode === ErrorCode.LEADER_NOT_AVAILABLE)).toHaveLength(50);
    const second = await metadata(c, names, true);
    expect(second.every((t) => t.errorCode === ErrorCode.NONE)).toBe(true);
  });

  it('records all topics of one CreateTopics request with one metadata write', async () => {
    const before = fs.metadataWrites;
    const r = await createTopics(c, Array.from({ length: 50 }, (_, i) => ({ name: `one-write-${i}` })));
    expect(r.every((t) => t.errorCode === ErrorCode.NONE)).toBe(true);
    expect(fs.metadataWrites - before).toBe(1);
  });

  it('removes all topics of one DeleteTopics request with one metadata write', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `one-write-${i}`);
    const before = fs.metadataWrites;
    const r = await deleteTopics(c, [...names, 'one-write-0']);
    expect(r.slice(0, 50).every((t) => t.errorCode === ErrorCode.NONE)).toBe(true);
    expect(r[50]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(fs.metadataWrites - before).toBe(1);
  });
});

describe('config sizes', () => {
  const big = 'x'.repeat(100_000);

  it('refuses a config value over runnel.max.config.value.bytes in CreateTopics without echoing it', async () => {
    const [r] = await createTopics(c, [{ name: 'big-config', configs: { 'message.format.version': big } }]);
    expect(r!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(r!.errorMessage!.length).toBeLessThan(300);
    expect((await metadata(c, ['big-config']))[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('refuses it in IncrementalAlterConfigs', async () => {
    await createTopics(c, [{ name: 'big-alter' }]);
    const r = await setConfigs(c, TOPIC_RESOURCE, 'big-alter', { 'message.format.version': big });
    expect(r.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(r.errorMessage!.length).toBeLessThan(300);
  });
});

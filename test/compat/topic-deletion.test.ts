/**
 * Issue 14 item 1: topic deletion never leaves a topic half-deleted.
 * - A 249-character topic name (legal) is deleted: its deletion directory name is cut to 255 bytes
 *   as Kafka does, instead of failing with ENAMETOOLONG and breaking every later start.
 * - A re-created topic starts empty even when an old partition directory was left behind.
 * - A leftover that cannot be removed at startup is a warning, not a broker that cannot start.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors.js';
import { FaultyFs } from '../../storage/fs.js';
import { startTestBroker, tempDir, removeDir, type TestBroker } from '../helpers/broker.js';
import { connectRaw, createTopics, deleteTopics } from '../helpers/topic-admin.js';

const dirs: string[] = [];
const brokers: TestBroker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.cleanup().catch(() => undefined);
  for (const d of dirs.splice(0)) removeDir(d);
});

async function start(dataDir: string, storageFs?: FaultyFs): Promise<TestBroker> {
  const b = await startTestBroker({ dataDir, storageFs, keepData: true });
  brokers.push(b);
  return b;
}

async function stop(b: TestBroker): Promise<void> {
  brokers.splice(brokers.indexOf(b), 1);
  await b.cleanup();
}

async function produce(b: TestBroker, topic: string, partitions: number, values: string[]): Promise<void> {
  const producer = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  for (let p = 0; p < partitions; p++) await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value, partition: p })) });
  await producer.disconnect();
}

/** High watermarks per partition, over the wire (ListOffsets). */
async function highWatermarks(b: TestBroker, topic: string): Promise<number[]> {
  const admin = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.sort((x, y) => x.partition - y.partition).map((o) => Number(o.high));
  } finally {
    await admin.disconnect();
  }
}

describe('topic deletion', () => {
  it('deletes a topic with a 249-character name; re-created it is empty, and the broker restarts', async () => {
    const dir = tempDir('long-topic');
    dirs.push(dir);
    const topic = 'l'.repeat(249);
    let b = await start(dir);
    const c = await connectRaw(b.bootstrap);
    expect((await createTopics(c, [{ name: topic, numPartitions: 12 }]))[0]!.errorCode).toBe(ErrorCode.NONE);
    await produce(b, topic, 12, ['old-1', 'old-2']);
    expect((await deleteTopics(c, [topic]))[0]).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(existsSync(join(dir, `${topic}-11`))).toBe(false);
    const deleting = readdirSync(dir).filter((n) => n.endsWith('-delete'));
    expect(deleting).toHaveLength(12);
    for (const n of deleting) expect(Buffer.byteLength(n)).toBeLessThanOrEqual(255);

    expect((await createTopics(c, [{ name: topic, numPartitions: 12 }]))[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(await highWatermarks(b, topic)).toEqual(Array(12).fill(0));
    c.close();
    await stop(b);

    b = await start(dir);
    expect(await highWatermarks(b, topic)).toEqual(Array(12).fill(0));
    // Startup removes what deletion left (in the background).
    await b.broker.logs.settle();
    expect(readdirSync(dir).filter((n) => n.endsWith('-delete'))).toEqual([]);
  });

  it('a deletion whose directory rename fails still deletes the topic, and the re-created topic starts empty', async () => {
    const dir = tempDir('deletion-half');
    dirs.push(dir);
    const fs = new FaultyFs();
    const b = await start(dir, fs);
    const c = await connectRaw(b.bootstrap);
    await createTopics(c, [{ name: 'half-deleted' }]);
    await produce(b, 'half-deleted', 1, ['old-1', 'old-2', 'old-3']);
    fs.inject({ op: 'rename', code: 'EIO', pathIncludes: 'half-deleted-0' });
    expect((await deleteTopics(c, ['half-deleted']))[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(existsSync(join(dir, 'half-deleted-0'))).toBe(true);
    expect((await createTopics(c, [{ name: 'half-deleted' }]))[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(await highWatermarks(b, 'half-deleted')).toEqual([0]);
    c.close();
  });

  it('a deleted topic whose directory cannot be removed at startup is a warning; a later start removes it', async () => {
    const dir = tempDir('deletion-orphan');
    dirs.push(dir);
    const fs = new FaultyFs();
    let b = await start(dir, fs);
    const c = await connectRaw(b.bootstrap);
    await createTopics(c, [{ name: 'orphan-left' }]);
    await produce(b, 'orphan-left', 1, ['x']);
    fs.inject({ op: 'rename', code: 'EIO', pathIncludes: 'orphan-left-0' });
    await deleteTopics(c, ['orphan-left']);
    c.close();
    await stop(b);
    expect(existsSync(join(dir, 'orphan-left-0'))).toBe(true);

    const failing = new FaultyFs();
    failing.inject({ op: 'rename', code: 'EIO', pathIncludes: 'orphan-left-0', times: Infinity });
    b = await start(dir, failing);
    expect(b.broker.ready).toBe(true);
    expect(b.broker.topics.get('orphan-left')).toBeUndefined();
    await stop(b);

    b = await start(dir);
    expect(existsSync(join(dir, 'orphan-left-0'))).toBe(false);
  });
});

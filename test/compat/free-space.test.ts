/**
 * Issue 14, free-disk threshold: below runnel.log.dir.min.free.bytes produce answers
 * KAFKA_STORAGE_ERROR (retriable, with the reason) before the disk is full, and resumes by itself
 * when space returns. Once with the fault fs reporting little free space (default settings), once
 * on a real 24 MiB tmpfs filled by producers (root only; skipped where mount is not allowed).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors.js';
import { newProduceRequestPartition, newProduceRequestTopic } from '../../protocol/generated/index.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { FaultyFs } from '../../storage/fs.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import type { RawClient } from '../helpers/raw-client.js';
import { connectRaw, createTopics, deleteRecords } from '../helpers/topic-admin.js';

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return cond();
}

async function produceRaw(c: RawClient, topic: string, value: Buffer): Promise<{ errorCode: number; errorMessage: string | null }> {
  const records = buildBatchSync([{ key: null, value, timestamp: Date.now() }]);
  const r = await c.request(0, 9, { acks: -1, timeoutMs: 5000, topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: 0, records })] })] });
  return r.responses[0].partitionResponses[0];
}

describe('free-disk threshold (fault fs)', () => {
  const fs = new FaultyFs();
  let broker: TestBroker;
  let producer: Producer;

  beforeAll(async () => {
    broker = await startTestBroker({ storageFs: fs });
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'low-disk', numPartitions: 1 }] });
    await admin.disconnect();
    producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await broker?.cleanup();
  });

  it('refuses produce with KAFKA_STORAGE_ERROR below the default 64 MiB, and resumes when space returns', async () => {
    await producer.send({ topic: 'low-disk', acks: -1, messages: [{ value: 'before' }] });
    fs.freeBytes = 1024 * 1024;
    expect(await until(() => broker.broker.freeSpace?.problem != null, 3000)).toBe(true);
    const c = await connectRaw(broker.bootstrap);
    const refused = await produceRaw(c, 'low-disk', Buffer.from('refused'));
    expect(refused.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(refused.errorMessage).toMatch(/runnel\.log\.dir\.min\.free\.bytes/);
    c.close();
    await expect(producer.send({ topic: 'low-disk', acks: -1, messages: [{ value: 'refused' }] })).rejects.toMatchObject({ cause: { type: 'KAFKA_STORAGE_ERROR' } });

    // A producer that retries gets through once space returns.
    const retrying = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer({ retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 300 } });
    await retrying.connect();
    const sent = retrying.send({ topic: 'low-disk', acks: -1, messages: [{ value: 'after' }] });
    await new Promise((r) => setTimeout(r, 300));
    fs.freeBytes = null;
    await sent;
    await retrying.disconnect();
    expect(broker.broker.topics.partitionLog('low-disk', 0)!.highWatermark).toBe(2);
  });
});

function tryMountTmpfs(sizeMb: number): string | null {
  if (process.getuid?.() !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'runnel-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmdirSync(dir);
    return null;
  }
}

const mountPoint = tryMountTmpfs(24);

describe.skipIf(mountPoint === null)('free-disk threshold (a real 24 MiB tmpfs)', () => {
  afterAll(() => {
    execFileSync('umount', [mountPoint!], { stdio: 'ignore' });
    rmdirSync(mountPoint!);
  });

  it('producers filling the disk get KAFKA_STORAGE_ERROR before ENOSPC; deleting records frees space and produce resumes', async () => {
    const broker = await startTestBroker({
      dataDir: join(mountPoint!, 'data'),
      config: { 'runnel.log.dir.min.free.bytes': 8 * 1024 * 1024, 'runnel.log.dir.free.space.check.interval.ms': 20 },
    });
    const c = await connectRaw(broker.bootstrap);
    try {
      await createTopics(c, [{ name: 'fill', configs: { 'segment.bytes': String(1024 * 1024), 'file.delete.delay.ms': '0' } }]);
      const chunk = Buffer.alloc(256 * 1024, 7);
      let stored = 0;
      let refused: { errorCode: number; errorMessage: string | null } | null = null;
      for (let i = 0; i < 200 && refused === null; i++) {
        const r = await produceRaw(c, 'fill', chunk);
        if (r.errorCode === ErrorCode.NONE) stored++;
        else refused = r;
        await new Promise((res) => setTimeout(res, 5));
      }
      expect(refused).toMatchObject({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: expect.stringMatching(/min\.free\.bytes/) });
      expect(stored).toBeGreaterThan(30);
      // Refused before the disk was full: the partition never failed a write.
      const log = broker.broker.topics.partitionLog('fill', 0)!;
      expect(log.hasFailed).toBe(false);

      expect((await deleteRecords(c, 'fill', 0, -1)).errorCode).toBe(ErrorCode.NONE);
      expect(await until(() => broker.broker.freeSpace.problem === null, 5000)).toBe(true);
      expect((await produceRaw(c, 'fill', chunk)).errorCode).toBe(ErrorCode.NONE);
    } finally {
      c.close();
      await broker.cleanup();
    }
  });
});

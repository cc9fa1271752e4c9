/**
 * Issue 3 acceptance through the whole broker: disk full (ENOSPC) and fsync failure, injected
 * through the storage fs seam, fail the produce with KAFKA_STORAGE_ERROR and no ack; nothing
 * unacknowledged becomes visible; the broker keeps serving reads of what was acknowledged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { FaultyFs } from '../../storage/fs.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { kcat } from '../helpers/clients.js';

let broker: TestBroker;
const fs = new FaultyFs();
let producer: Producer;

beforeAll(async () => {
  broker = await startTestBroker({ storageFs: fs });
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'disk-full', numPartitions: 1 }, { topic: 'fsync-fail', numPartitions: 1 }] });
  await admin.disconnect();
  producer = kafka.producer({ retry: { retries: 0 } });
  await producer.connect();
});
afterAll(async () => {
  await producer?.disconnect();
  fs.clearFaults();
  await broker?.cleanup();
});

async function values(topic: string): Promise<string[]> {
  const out = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%o:%s\n']);
  return out.trim().split('\n').filter((l) => l !== '');
}

function send(topic: string, value: string) {
  return producer.send({ topic, acks: -1, messages: [{ value }] });
}

describe('storage faults through the broker', () => {
  it('ENOSPC on write: the produce fails, the partition stays writable, only acked records are visible', async () => {
    await send('disk-full', 'a');
    fs.failNextWrite('ENOSPC', 'disk-full-0');
    await expect(send('disk-full', 'lost')).rejects.toMatchObject({ cause: { type: 'KAFKA_STORAGE_ERROR' } });
    await send('disk-full', 'b');
    expect(await values('disk-full')).toEqual(['0:a', '1:b']);
  });

  it('torn write: half a batch on disk is never visible and is cut off', async () => {
    await send('disk-full', 'c');
    fs.tearNextWrite(20, 'ENOSPC', 'disk-full-0');
    await expect(send('disk-full', 'torn')).rejects.toMatchObject({ cause: { type: 'KAFKA_STORAGE_ERROR' } });
    await send('disk-full', 'd');
    expect(await values('disk-full')).toEqual(['0:a', '1:b', '2:c', '3:d']);
  });

  it('fsync failure: the produce fails, the partition goes offline for writes, reads keep working', async () => {
    await send('fsync-fail', 'x');
    await send('fsync-fail', 'y');
    fs.failNextFsync('EIO', 'fsync-fail-0');
    await expect(send('fsync-fail', 'unsynced')).rejects.toMatchObject({ cause: { type: 'KAFKA_STORAGE_ERROR' } });
    await expect(send('fsync-fail', 'after')).rejects.toMatchObject({ cause: { type: 'KAFKA_STORAGE_ERROR' } });
    expect(await values('fsync-fail')).toEqual(['0:x', '1:y']);
    // Other partitions are unaffected.
    await send('disk-full', 'e');
    expect((await values('disk-full')).at(-1)).toBe('4:e');
  });
});

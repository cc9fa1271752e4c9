/**
 * Issue 14 item 12: every state file of the data dir is written through the storage fs seam, and a
 * failed write (ENOSPC, EIO) fails the request that needed it with a clear error while memory stays
 * as it was on disk: runnel-metadata.json (topics, topic and broker configs), meta.properties, the
 * producer-id block, transactional-partitions.json, producer-state snapshots and the
 * log-start-offset-checkpoint DeleteRecords waits for.
 */
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors.js';
import { newAddPartitionsToTxnRequestTopic } from '../../protocol/generated/index.js';
import { FaultyFs } from '../../storage/fs.js';
import { startTestBroker, tempDir, removeDir, type TestBroker } from '../helpers/broker.js';
import type { RawClient } from '../helpers/raw-client.js';
import { BROKER_RESOURCE, TOPIC_RESOURCE, connectRaw, createTopics, deleteRecords, deleteTopics, describeTopicConfig, metadata, setConfigs } from '../helpers/topic-admin.js';
import { buildBatchSync, produceOne } from '../differential/requests.js';
import { fetchValues, offsetRange } from '../crash/state-files.js';

const fs = new FaultyFs();
let broker: TestBroker;
let c: RawClient;

beforeAll(async () => {
  broker = await startTestBroker({ storageFs: fs });
  c = await connectRaw(broker.bootstrap);
});
afterAll(async () => {
  c?.close();
  fs.clearFaults();
  await broker?.cleanup();
});

describe('runnel-metadata.json', () => {
  it('CreateTopics whose metadata write hits ENOSPC answers KAFKA_STORAGE_ERROR and creates nothing; the retry creates it', async () => {
    fs.failNextWrite('ENOSPC', 'runnel-metadata.json');
    const [failed] = await createTopics(c, [{ name: 'meta-enospc', numPartitions: 2 }]);
    expect(failed).toMatchObject({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR });
    expect(failed!.errorMessage).toMatch(/ENOSPC/);
    const [listed] = await metadata(c, ['meta-enospc']);
    expect(listed!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await createTopics(c, [{ name: 'meta-enospc', numPartitions: 2 }]))[0]!.errorCode).toBe(ErrorCode.NONE);
    expect((await metadata(c, ['meta-enospc']))[0]!.partitions).toHaveLength(2);
  });

  it('a topic config change whose fsync fails (EIO) is not applied', async () => {
    await createTopics(c, [{ name: 'meta-eio-config' }]);
    fs.failNextFsync('EIO', 'runnel-metadata.json');
    expect(await setConfigs(c, TOPIC_RESOURCE, 'meta-eio-config', { 'retention.ms': '1000' })).toMatchObject({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR });
    expect(await describeTopicConfig(c, 'meta-eio-config', 'retention.ms')).toBe('604800000');
    expect(await setConfigs(c, TOPIC_RESOURCE, 'meta-eio-config', { 'retention.ms': '1000' })).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(await describeTopicConfig(c, 'meta-eio-config', 'retention.ms')).toBe('1000');
  });

  it('a dynamic broker config whose write fails is not applied', async () => {
    fs.failNextWrite('EIO', 'runnel-metadata.json');
    expect(await setConfigs(c, BROKER_RESOURCE, '1', { 'log.retention.ms': '5000' })).toMatchObject({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR });
    expect(broker.broker.config.get('log.retention.ms')).toBeNull();
  });

  it('DeleteTopics whose write fails leaves the topic listed and its data readable', async () => {
    await createTopics(c, [{ name: 'meta-delete-fail' }]);
    fs.failNextWrite('ENOSPC', 'runnel-metadata.json');
    expect((await deleteTopics(c, ['meta-delete-fail']))[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect((await metadata(c, ['meta-delete-fail']))[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(broker.broker.topics.partitionLog('meta-delete-fail', 0)?.isClosed).toBe(false);
  });
});

describe('log-start-offset-checkpoint', () => {
  it('DeleteRecords whose checkpoint write fails answers KAFKA_STORAGE_ERROR; the retry records the log start offset', async () => {
    await createTopics(c, [{ name: 'logstart-fault' }]);
    const records = buildBatchSync(Array.from({ length: 5 }, (_, i) => ({ key: null, value: `v${i}`, timestamp: Date.now() })));
    expect((await produceOne(c, 'logstart-fault', 0, records)).errorCode).toBe(ErrorCode.NONE);
    fs.failNextWrite('ENOSPC', 'log-start-offset-checkpoint');
    expect(await deleteRecords(c, 'logstart-fault', 0, 3)).toMatchObject({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR, lowWatermark: -1 });
    expect(await deleteRecords(c, 'logstart-fault', 0, 3)).toMatchObject({ errorCode: ErrorCode.NONE, lowWatermark: 3 });
    expect(readFileSync(join(broker.dataDir, 'log-start-offset-checkpoint'), 'utf8')).toContain('\nlogstart-fault 0 3\n');
  });

  it('DeleteRecords deletes no segment before its log start offset is checkpointed: a crash finds the old log start and every record', async () => {
    // Found by state-files-kill.test.ts: segments below the new log start were deleted before the
    // checkpoint was written, so a kill -9 in between came back with the first remaining
    // segment's base as log start, neither the old log start nor the one asked for.
    await createTopics(c, [{ name: 'logstart-crash', configs: { 'segment.bytes': '1000' } }]);
    const values: string[] = [];
    for (let i = 0; i < 12; i++) {
      const batch = Array.from({ length: 4 }, (_, k) => ({ key: null, value: `v${i}-${k}-${'x'.repeat(60)}`, timestamp: Date.now() }));
      expect((await produceOne(c, 'logstart-crash', 0, buildBatchSync(batch))).errorCode).toBe(ErrorCode.NONE);
      values.push(...batch.map((r) => r.value));
    }
    const partDir = join(broker.dataDir, 'logstart-crash-0');
    const segments = () => readdirSync(partDir).filter((n) => n.endsWith('.log') || n.endsWith('.log.deleted')).sort();
    const before = segments();
    expect(before.length).toBeGreaterThan(3);
    fs.inject({ op: 'write', code: 'ENOSPC', pathIncludes: 'log-start-offset-checkpoint', times: Infinity });
    try {
      expect(await deleteRecords(c, 'logstart-crash', 0, 40)).toMatchObject({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR });
      await broker.broker.logs.runRetentionNow().catch(() => {}); // its checkpoint write fails too
      // Nothing checkpointed, nothing deleted: every segment file is still there under its name.
      expect(segments()).toEqual(before);
      // kill -9 now (a copy of the data dir as it is): the restart serves offset 0 on, every record.
      const crashed = tempDir();
      cpSync(broker.dataDir, crashed, { recursive: true });
      const again = await startTestBroker({ dataDir: crashed });
      try {
        const c2 = await connectRaw(again.bootstrap);
        expect((await offsetRange(c2, 'logstart-crash', 1))[0]).toEqual([0, values.length]);
        expect([...(await fetchValues(c2, 'logstart-crash', 0, 0)).values()]).toEqual(values);
        c2.close();
      } finally {
        await again.cleanup();
      }
    } finally {
      fs.clearFaults();
    }
    // The retry checkpoints it; then the segments below it go.
    expect(await deleteRecords(c, 'logstart-crash', 0, 40)).toMatchObject({ errorCode: ErrorCode.NONE, lowWatermark: 40 });
    for (let i = 0; i < 100 && segments().filter((n) => n.endsWith('.log')).length === before.length; i++) await new Promise((r) => setTimeout(r, 20));
    expect(segments().filter((n) => n.endsWith('.log')).length).toBeLessThan(before.length);
  });
});

describe('producer ids and transactions', () => {
  it('InitProducerId whose producer-id block write fails answers KAFKA_STORAGE_ERROR; the retry gets an id', async () => {
    fs.failNextWrite('ENOSPC', 'producer-id-block');
    const failed = await c.request(22, 1, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(failed.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    const ok = await c.request(22, 1, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(ok).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: 0 });
    expect(readFileSync(join(broker.dataDir, 'producer-id-block'), 'utf8')).toMatch(/nextBlockStart=\d+/);
  });

  it('AddPartitionsToTxn whose transactional-partitions.json write fails is retriable and records nothing until it succeeds', async () => {
    await createTopics(c, [{ name: 'txn-file-fault' }]);
    const init = await c.request(22, 1, { transactionalId: 'txn-file-fault', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(init.errorCode).toBe(ErrorCode.NONE);
    const add = () =>
      c.request(24, 1, { transactionalId: 'txn-file-fault', producerId: init.producerId, producerEpoch: init.producerEpoch, topics: [newAddPartitionsToTxnRequestTopic({ name: 'txn-file-fault', partitions: [0] })] });
    fs.failNextWrite('EIO', 'transactional-partitions.json');
    const failed = await add();
    expect(failed.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(broker.broker.txn.partitions.has('txn-file-fault', 0)).toBe(false);
    const ok = await add();
    expect(ok.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(ErrorCode.NONE);
    expect(JSON.parse(readFileSync(join(broker.dataDir, 'transactional-partitions.json'), 'utf8'))).toMatchObject({ 'txn-file-fault': [0] });
  });
});

describe('files written at startup and shutdown', () => {
  it('meta.properties: a fresh data dir whose meta.properties write fails refuses to start with the cause', async () => {
    const faulty = new FaultyFs();
    faulty.failNextWrite('ENOSPC', 'meta.properties');
    const dir = tempDir('meta-props-fault');
    try {
      await expect(startTestBroker({ dataDir: dir, storageFs: faulty })).rejects.toThrow(/ENOSPC/);
    } finally {
      removeDir(dir);
    }
  });

  it('producer-state snapshot: a failed write at stop is only a warning; the restart rebuilds the state from the log', async () => {
    const faulty = new FaultyFs();
    const dir = tempDir('snapshot-fault');
    let b = await startTestBroker({ dataDir: dir, storageFs: faulty, keepData: true });
    try {
      const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'snap-fault', numPartitions: 1 }] });
      await admin.disconnect();
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      await producer.send({ topic: 'snap-fault', acks: -1, messages: [{ value: 'a' }, { value: 'b' }] });
      await producer.disconnect();
      faulty.inject({ op: 'write', code: 'ENOSPC', pathIncludes: '.snapshot', times: Infinity });
      await b.cleanup();
      expect(readdirSync(join(dir, 'snap-fault-0')).filter((n) => n.endsWith('.snapshot'))).toEqual([]);
      b = await startTestBroker({ dataDir: dir, keepData: true });
      const partition = b.broker.partitions.get('snap-fault', 0)!;
      const state = await b.broker.producerStates.get(partition);
      expect(state.toJSON()).toHaveLength(1);
    } finally {
      await b.cleanup();
      removeDir(dir);
    }
  });
});

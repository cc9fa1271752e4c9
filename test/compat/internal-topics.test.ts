/**
 * Issue 14 item 7: the topics holding broker state (__consumer_offsets, __transaction_state,
 * _schemas) are written only by the broker. Clients get Kafka's answers: Produce and DeleteRecords
 * INVALID_TOPIC_EXCEPTION; DeleteTopics and CreatePartitions INVALID_TOPIC_EXCEPTION; any
 * cleanup.policy but compact INVALID_CONFIG; Metadata never auto-creates them. A `_schemas` that is
 * not compacted (left by an older version) keeps the registry readable but refuses writes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { newIncrementalAlterConfigsRequestConfig, newIncrementalAlterConfigsRequestResource, newProduceRequestPartition, newProduceRequestTopic } from '../../protocol/generated/index.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { startTestBroker, tempDir, removeDir, type TestBroker } from '../helpers/broker.js';
import type { RawClient } from '../helpers/raw-client.js';
import { TOPIC_RESOURCE, connectRaw, createPartitions, createTopics, deleteRecords, deleteTopics, describeTopicConfig, metadata, replaceConfigs, setConfigs } from '../helpers/topic-admin.js';

let broker: TestBroker;
let c: RawClient;

beforeAll(async () => {
  broker = await startTestBroker();
  c = await connectRaw(broker.bootstrap);
  // The broker creates its state topics on first need: a group coordinator lookup and a schema.
  expect((await c.request(10, 3, { key: 'g', keyType: 0 })).errorCode).toBe(ErrorCode.NONE);
  const res = await fetch(`${broker.schemaRegistryUrl}/subjects/s-value/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: '"string"' }) });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  c?.close();
  await broker?.cleanup();
});

async function produce(topic: string, partition: number): Promise<number> {
  const records = buildBatchSync([{ key: Buffer.from('forged'), value: Buffer.from('forged'), timestamp: Date.now() }]);
  const r = await c.request(0, 9, { acks: -1, timeoutMs: 5000, topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: partition, records })] })] });
  return r.responses[0].partitionResponses[0].errorCode;
}

describe('broker-state topics refuse client writes', () => {
  it('Produce: INVALID_TOPIC_EXCEPTION, nothing appended', async () => {
    const log = broker.broker.topics.partitionLog('__consumer_offsets', 0)!;
    const end = log.logEndOffset;
    expect(await produce('__consumer_offsets', 0)).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(await produce('_schemas', 0)).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(await produce('__transaction_state', 0)).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(log.logEndOffset).toBe(end);
  });

  it('DeleteRecords: INVALID_TOPIC_EXCEPTION', async () => {
    expect(await deleteRecords(c, '__consumer_offsets', 0, -1)).toMatchObject({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION });
    expect(await deleteRecords(c, '_schemas', 0, -1)).toMatchObject({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION });
  });

  it('DeleteTopics: INVALID_TOPIC_EXCEPTION, and the topics stay', async () => {
    const r = await deleteTopics(c, ['__consumer_offsets', '_schemas']);
    expect(r.map((t) => t.errorCode)).toEqual([ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.INVALID_TOPIC_EXCEPTION]);
    expect((await metadata(c, ['__consumer_offsets', '_schemas'])).map((t) => t.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  });

  it('CreatePartitions: INVALID_TOPIC_EXCEPTION', async () => {
    const r = await createPartitions(c, [{ name: '__consumer_offsets', count: 60 }, { name: '_schemas', count: 2 }]);
    expect(r.map((t) => t.errorCode)).toEqual([ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.INVALID_TOPIC_EXCEPTION]);
  });

  it('cleanup.policy: anything but compact is INVALID_CONFIG (set, replaced or deleted); other configs may change', async () => {
    expect(await setConfigs(c, TOPIC_RESOURCE, '__consumer_offsets', { 'cleanup.policy': 'delete' })).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG });
    expect(await setConfigs(c, TOPIC_RESOURCE, '_schemas', { 'cleanup.policy': 'compact,delete' })).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG });
    expect(await replaceConfigs(c, TOPIC_RESOURCE, '_schemas', { 'retention.ms': '1000' })).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG });
    const removed = await c.request(44, 1, {
      validateOnly: false,
      resources: [newIncrementalAlterConfigsRequestResource({ resourceType: TOPIC_RESOURCE, resourceName: '_schemas', configs: [newIncrementalAlterConfigsRequestConfig({ name: 'cleanup.policy', configOperation: 1, value: null })] })],
    });
    expect(removed.responses[0].errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(await describeTopicConfig(c, '_schemas', 'cleanup.policy')).toBe('compact');
    expect(await setConfigs(c, TOPIC_RESOURCE, '__consumer_offsets', { 'segment.bytes': '104857600' })).toMatchObject({ errorCode: ErrorCode.NONE });
  });
});

describe('creation of broker-state topics', () => {
  it('Metadata never auto-creates them; a client may create _schemas only compacted', async () => {
    const b = await startTestBroker();
    const raw = await connectRaw(b.bootstrap);
    try {
      const listed = await metadata(raw, ['_schemas', '__consumer_offsets', '__transaction_state'], true);
      expect(listed.map((t) => t.errorCode)).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
      expect(b.broker.topics.get('_schemas')).toBeUndefined();
      expect((await createTopics(raw, [{ name: '_schemas' }]))[0]).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG });
      expect((await createTopics(raw, [{ name: '_schemas', configs: { 'cleanup.policy': 'compact' } }]))[0]!.errorCode).toBe(ErrorCode.NONE);
    } finally {
      raw.close();
      await b.cleanup();
    }
  });
});

describe('a _schemas topic that is not compacted', () => {
  it('the registry keeps serving reads, refuses writes with the reason, and resumes once it is compacted', async () => {
    const dir = tempDir('schemas-delete');
    let b = await startTestBroker({ dataDir: dir, keepData: true });
    try {
      const post = (base: string, subject: string, schema: string) =>
        fetch(`${base}/subjects/${subject}/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema }) });
      expect((await post(b.schemaRegistryUrl!, 'a-value', '"string"')).status).toBe(200);
      await b.cleanup();
      // What an older Runnel left: _schemas auto-created through Metadata as an ordinary topic.
      const file = join(dir, 'runnel-metadata.json');
      const meta = JSON.parse(readFileSync(file, 'utf8'));
      meta.topics.find((t: { name: string }) => t.name === '_schemas').configs = {};
      writeFileSync(file, JSON.stringify(meta));

      b = await startTestBroker({ dataDir: dir, keepData: true });
      const base = b.schemaRegistryUrl!;
      expect(await (await fetch(`${base}/schemas/ids/1`)).json()).toMatchObject({ schema: '"string"' });
      const refused = await post(base, 'b-value', '"int"');
      expect(refused.status).toBe(500);
      expect(await refused.json()).toMatchObject({ error_code: 50001, message: expect.stringMatching(/cleanup\.policy=delete/) });

      const raw = await connectRaw(b.bootstrap);
      expect(await setConfigs(raw, TOPIC_RESOURCE, '_schemas', { 'cleanup.policy': 'compact' })).toMatchObject({ errorCode: ErrorCode.NONE });
      raw.close();
      expect((await post(base, 'b-value', '"int"')).status).toBe(200);
    } finally {
      await b.cleanup();
      removeDir(dir);
    }
  });
});

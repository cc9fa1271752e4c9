/**
 * Issue 6 acceptance with real clients against a real broker:
 * - @kafkajs/confluent-schema-registry registers an Avro schema, encodes records, kafkajs produces
 *   them to a validated topic, a kafkajs consumer decodes them; an incompatible evolution is
 *   refused with 409, a compatible one becomes version 2;
 * - confluent-kafka-python's SchemaRegistryClient / AvroSerializer / AvroDeserializer do the same
 *   (Debian's confluent_kafka 1.7 with requests from Debian and fastavro from PyPI, installed by
 *   .ci/run into .cache/pydeps);
 * - .avsc files: a subject registered from one, a topic created bound to one (embedding API);
 * - with validation on, a kcat plain-text record, a record with an unknown schema id and a record
 *   whose payload does not decode are each refused with INVALID_RECORD (record_errors and
 *   error_message on Produce v9) and not stored, while valid batches around them are stored.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemaRegistry as KafkajsRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { CompressionTypes, type Kafka } from 'kafkajs';
import { REPO_ROOT, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { DEBIAN_PYTHON, run } from '../helpers/clients.js';
import { RawClient } from '../helpers/raw-client.js';
import { kafkajs, registerKafkajsCodecs } from '../../bench/data-path/clients.js';
import { newProduceRequestPartition, newProduceRequestTopic } from '../../protocol/generated/index.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { ErrorCode } from '../../protocol/errors.js';
import { createTopicWithSchema, registerAvscFile, RegistryError } from '../../src/index.js';

const PYDEPS = join(REPO_ROOT, '.cache', 'pydeps');

const ORDER_V1 = {
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'customer', type: 'string' },
    { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'sku', type: 'string' }, { name: 'qty', type: 'int' }] } } },
  ],
};
const ORDER_V2 = { ...ORDER_V1, fields: [...ORDER_V1.fields, { name: 'coupon', type: ['null', 'string'], default: null }] };
const ORDER_BAD = { ...ORDER_V1, fields: [...ORDER_V1.fields, { name: 'region', type: 'string' }] };

const order = (i: number) => ({ id: i, customer: `customer-${i}`, lines: [{ sku: `sku-${i % 7}`, qty: i % 5 }] });

let b: TestBroker;
let kafka: Kafka;
let registry: KafkajsRegistry;

beforeAll(async () => {
  registerKafkajsCodecs();
  b = await startTestBroker();
  kafka = kafkajs(b.bootstrap, 'schema-test');
  registry = new KafkajsRegistry({ host: b.schemaRegistryUrl! });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'orders', numPartitions: 2, configEntries: [{ name: 'confluent.value.schema.validation', value: 'true' }] },
      { topic: 'checked', numPartitions: 1, configEntries: [{ name: 'confluent.value.schema.validation', value: 'true' }] },
      { topic: 'payments', numPartitions: 1, configEntries: [{ name: 'confluent.value.schema.validation', value: 'true' }] },
      { topic: 'free', numPartitions: 1 },
    ],
  });
  await admin.disconnect();
});

afterAll(async () => {
  await b?.cleanup();
});

async function consumeAll(topic: string, count: number, groupId: string): Promise<Array<{ key: string | null; value: Buffer }>> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out: Array<{ key: string | null; value: Buffer }> = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${out.length} of ${count}`)), 30_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        out.push({ key: message.key?.toString() ?? null, value: message.value! });
        if (out.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}

describe('@kafkajs/confluent-schema-registry + kafkajs', () => {
  it('registers, encodes, produces to a validated topic, consumes and decodes', async () => {
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(ORDER_V1) }, { subject: 'orders-value' });
    expect(id).toBeGreaterThan(0);
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const messages = await Promise.all(Array.from({ length: 200 }, async (_, i) => ({ key: `k${i}`, value: await registry.encode(id, order(i)) })));
    await producer.send({ topic: 'orders', messages: messages.slice(0, 100) });
    // A compressed batch is decompressed and checked too.
    await producer.send({ topic: 'orders', messages: messages.slice(100), compression: CompressionTypes.GZIP });
    await producer.disconnect();
    const got = await consumeAll('orders', 200, 'orders-readers');
    const decoded = await Promise.all(got.map((m) => registry.decode(m.value)));
    expect(decoded.map((d) => d.id).sort((x: number, y: number) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(decoded.find((d) => d.id === 42)).toEqual(order(42));
  });

  it('refuses an incompatible evolution with 409 and accepts a compatible one as version 2', async () => {
    const incompatible = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(ORDER_BAD) }, { subject: 'orders-value' }).catch((e: { status?: number; message: string }) => e);
    expect(incompatible).toMatchObject({ status: 409 });
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(ORDER_V2) }, { subject: 'orders-value' });
    const latest = await (await fetch(`${b.schemaRegistryUrl}/subjects/orders-value/versions/latest`)).json();
    expect(latest).toMatchObject({ subject: 'orders-value', version: 2, id });
    expect(await registry.getLatestSchemaId('orders-value')).toBe(id);
    // Records written with v2 pass validation, and v1 readers (kafkajs decodes with the writer's id) still work.
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: [{ value: await registry.encode(id, { ...order(500), coupon: 'SPRING' }) }] });
    await producer.disconnect();
  });
});

describe('confluent-kafka-python SchemaRegistryClient / AvroSerializer', () => {
  const available = existsSync(join(PYDEPS, 'fastavro'));
  // In CI the dependencies are always installed (.ci/run); a developer machine without them skips.
  it.skipIf(!available && process.env.CI !== 'true')('registers, serializes, produces, consumes and evolves', async () => {
    const r = await run(DEBIAN_PYTHON, [join(REPO_ROOT, 'test', 'compat', 'py', 'schema_ck.py'), JSON.stringify({ bootstrap: b.bootstrap, registry: b.schemaRegistryUrl, topic: 'payments', count: 300 })], {
      env: { PYTHONPATH: PYDEPS },
      timeoutMs: 90_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.produce_errors).toEqual([]);
    expect(out.registered).toMatchObject({ version: 1, subjects: expect.arrayContaining(['payments-value']) });
    expect(out.consumed).toBe(300);
    expect(out.first).toEqual({ id: 0, amount: 0, currency: 'EUR' });
    expect(out.last).toEqual({ id: 299, amount: 74.75, currency: 'USD' });
    expect(out.incompatible).toMatchObject({ status: 409, code: 409 });
    expect(out.compatible).toMatchObject({ version: 2, id: out.compatible_id });
    expect(out.lookup_v1).toBe(1);
  });
});

describe('broker-side validation', () => {
  let id: number;
  let raw: RawClient;

  beforeAll(async () => {
    id = (await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(ORDER_V1) }, { subject: 'checked-value' })).id;
    raw = await RawClient.connect('127.0.0.1', b.port);
  });
  afterAll(() => raw?.socket.destroy());

  const produceRaw = async (topic: string, records: Array<{ value: Buffer | string }>) => {
    const r = await raw.request<any>(0, 9, { acks: -1, timeoutMs: 10_000, transactionalId: null, topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: 0, records: buildBatchSync(records) })] })] });
    return r.responses[0].partitionResponses[0] as { errorCode: number; errorMessage: string | null; recordErrors: Array<{ batchIndex: number; batchIndexErrorMessage: string | null }>; baseOffset: number };
  };

  async function endOffset(topic: string): Promise<number> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return Number((await admin.fetchTopicOffsets(topic))[0]!.high);
    } finally {
      await admin.disconnect();
    }
  }

  it('refuses bad records with INVALID_RECORD, stores nothing of their batch, keeps valid batches', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const valid = async (i: number) => ({ key: `ok-${i}`, value: await registry.encode(id, order(i)) });
    await producer.send({ topic: 'checked', messages: [await valid(1), await valid(2)] });

    // kcat, plain text.
    const kc = await run('kcat', ['-P', '-b', b.bootstrap, '-t', 'checked', '-p', '0', '-X', 'message.timeout.ms=5000'], { input: 'just some text\n', timeoutMs: 30_000 });
    expect(kc.stderr).toMatch(/Broker failed to validate record/); // librdkafka's text for INVALID_RECORD

    // kafkajs: an id nobody registered, and a payload that does not decode with a registered id.
    const unknownId = Buffer.concat([Buffer.from([0, 0, 0, 0x27, 0x0f]), Buffer.from((await valid(3)).value.subarray(5))]);
    const notDecoding = Buffer.concat([Buffer.from((await valid(4)).value.subarray(0, 5)), Buffer.from('definitely not avro')]);
    for (const value of [unknownId, notDecoding]) {
      const err = await producer.send({ topic: 'checked', messages: [await valid(5), { key: 'bad', value }] }).catch((e: { type?: string; cause?: { type?: string } }) => e);
      expect(JSON.stringify({ type: (err as { type?: string }).type, cause: (err as { cause?: { type?: string } }).cause?.type })).toMatch(/INVALID_RECORD/);
    }

    // Produce v9 response: the record index and messages.
    const r = await produceRaw('checked', [{ value: (await valid(6)).value }, { value: (await valid(7)).value }, { value: 'plain' }]);
    expect(r.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(r.recordErrors).toEqual([{ batchIndex: 2, batchIndexErrorMessage: expect.stringMatching(/^Record 2 value has unknown magic byte/) }]);
    expect(r.errorMessage).toMatch(/One or more records have been rejected/);

    await producer.send({ topic: 'checked', messages: [await valid(8)] });
    await producer.disconnect();

    // Exactly the three valid records are stored, all decodable.
    expect(await endOffset('checked')).toBe(3);
    const got = await consumeAll('checked', 3, 'checked-readers');
    expect(await Promise.all(got.map(async (m) => (await registry.decode(m.value)).id))).toEqual([1, 2, 8]);
  });

  it('tombstones pass; topics without validation take anything', async () => {
    const t = await produceRaw('checked', [{ value: null as unknown as Buffer }]);
    expect(t.errorCode).toBe(0);
    const free = await run('kcat', ['-P', '-b', b.bootstrap, '-t', 'free', '-X', 'message.timeout.ms=5000'], { input: 'just some text\n', timeoutMs: 30_000 });
    expect(free.code).toBe(0);
    expect(await endOffset('free')).toBe(1);
  });
});

describe('.avsc files', () => {
  it('registers a subject from a file and creates a topic bound to one', async () => {
    const dir = mkdtempSync(join(REPO_ROOT, 'test', '.work', 'avsc-'));
    const file = join(dir, 'order.avsc');
    writeFileSync(file, JSON.stringify(ORDER_V1, null, 2));
    const bad = join(dir, 'bad.avsc');
    writeFileSync(bad, '{"type": "record", "name": "Broken"}');

    expect(await registerAvscFile(b.broker.schemaRegistry, 'from-file-value', file)).toMatchObject({ subject: 'from-file-value', version: 1 });
    const bound = await createTopicWithSchema(b.broker, 'bound', { valueSchemaFile: file, partitions: 2 });
    expect(bound.value).toMatchObject({ subject: 'bound-value', version: 1 });
    // The same schema as orders-value v1: the same id.
    expect(bound.value!.id).toBe(((await (await fetch(`${b.schemaRegistryUrl}/subjects/orders-value/versions/1`)).json()) as { id: number }).id);

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'bound', messages: [{ value: await registry.encode(bound.value!.id, order(1)) }] });
    const err = await producer.send({ topic: 'bound', messages: [{ value: 'not avro' }] }).catch((e: { type?: string }) => e);
    expect((err as { type?: string }).type).toBe('INVALID_RECORD');
    await producer.disconnect();

    // A file that is not a valid schema: 42201, and no topic.
    const failed = await createTopicWithSchema(b.broker, 'never', { valueSchemaFile: bad }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(RegistryError);
    expect((failed as RegistryError).errorCode).toBe(42201);
    expect(b.broker.topics.get('never')).toBeUndefined();
  });
});

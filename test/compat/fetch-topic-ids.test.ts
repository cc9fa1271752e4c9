/**
 * Fetch v13 (KIP-516: topics by id), over a raw socket: a consumer names the topic by the id
 * Metadata gave it and reads its records; the response names the topic by that id; an unknown id
 * (never created, or the id of a deleted topic whose name was reused) is answered UNKNOWN_TOPIC_ID
 * at once, without waiting out max_wait_ms, and never reads the namesake. Before Fetch v13 was
 * served, @platformatic/kafka could not consume at all (clients-platformatic.test.ts): at v12 it
 * sends the topic id where v12 has the topic name.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { ErrorCode } from '../../protocol/errors.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { ZERO_UUID } from '../../protocol/codec-support.js';
import type { FetchResponse } from '../../protocol/generated/index.js';

let broker: TestBroker;
let c: RawClient;
beforeAll(async () => {
  broker = await startTestBroker();
  c = await RawClient.connect(broker.host, broker.port);
});
afterAll(async () => {
  c?.close();
  await broker?.cleanup();
});

async function create(name: string): Promise<Buffer> {
  const r = await c.request(19, 5, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
  expect(r.topics[0].errorCode).toBe(0);
  const m = await c.request(3, 12, { topics: [{ name, topicId: ZERO_UUID }], allowAutoTopicCreation: false });
  return m.topics[0].topicId as Buffer;
}

async function produce(name: string, values: string[]): Promise<void> {
  const records = buildBatchSync(values.map((v) => ({ key: null, value: Buffer.from(v) })));
  const r = await c.request(0, 9, { acks: -1, timeoutMs: 5000, topicData: [{ name, partitionData: [{ index: 0, records }] }] });
  expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
}

const fetchByIds = (topics: { topicId: Buffer; fetchOffset?: number }[], maxWaitMs = 0): Promise<FetchResponse | null> =>
  c.request<FetchResponse>(1, 13, {
    replicaId: -1, maxWaitMs, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: topics.map(({ topicId, fetchOffset = 0 }) => ({ topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] })),
    forgottenTopicsData: [], rackId: '',
  });
const fetchById = (topicId: Buffer, maxWaitMs = 0): Promise<FetchResponse | null> => fetchByIds([{ topicId }], maxWaitMs);

it('advertises Fetch v13', async () => {
  const r = await c.request(18, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
  expect(r.apiKeys.find((k: { apiKey: number }) => k.apiKey === 1).maxVersion).toBeGreaterThanOrEqual(13);
});

it('reads a topic named by its id and answers with that id', async () => {
  const id = await create('by-id');
  await produce('by-id', ['a', 'b', 'c']);
  const r = (await fetchById(id))!;
  expect(r.errorCode).toBe(0);
  expect(r.responses).toHaveLength(1);
  expect(r.responses[0]!.topicId.equals(id)).toBe(true);
  const p = r.responses[0]!.partitions[0]!;
  expect(p.errorCode).toBe(0);
  expect(p.highWatermark).toBe(3);
  expect((p.records as Buffer).length).toBeGreaterThan(0);
});

it('answers an unknown topic id UNKNOWN_TOPIC_ID at once, also when the name was re-created', async () => {
  const t0 = Date.now();
  const unknown = (await fetchById(Buffer.alloc(16, 7), 3000))!;
  expect(unknown.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
  expect(unknown.responses[0]!.topicId.equals(Buffer.alloc(16, 7))).toBe(true);
  const zero = (await fetchById(ZERO_UUID, 3000))!;
  expect(zero.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
  expect(Date.now() - t0).toBeLessThan(2500);

  const old = await create('reborn');
  await produce('reborn', ['old']);
  expect((await c.request(20, 6, { topics: [{ name: 'reborn', topicId: ZERO_UUID }], timeoutMs: 5000 })).responses[0].errorCode).toBe(0);
  const fresh = await create('reborn');
  await produce('reborn', ['new']);
  expect(fresh.equals(old)).toBe(false);
  expect((await fetchById(old))!.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
  expect((await fetchById(fresh))!.responses[0]!.partitions[0]!.highWatermark).toBe(1);
});

it('long-polls the known partitions of a request that also names an unknown id (Kafka resolves ids first)', async () => {
  const id = await create('mixed');
  const unknown = Buffer.alloc(16, 9);
  const t0 = Date.now();
  const r = (await fetchByIds([{ topicId: id, fetchOffset: 0 }, { topicId: unknown }], 1000))!;
  expect(Date.now() - t0).toBeGreaterThanOrEqual(900); // nothing to read at offset 0 yet: it waited
  expect(r.responses.map((t) => [t.topicId.equals(id), t.partitions[0]!.errorCode])).toEqual([[true, 0], [false, ErrorCode.UNKNOWN_TOPIC_ID]]);
});

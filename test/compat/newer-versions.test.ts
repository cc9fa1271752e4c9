/**
 * The Kafka 4.x versions of older APIs over a real socket (raw frames; the Java clients' use of
 * them is in java-versions.test.ts, Kafka's own answers in test/differential/newer-versions):
 * topics by id in Produce v13 / Fetch v13-18 / OffsetCommit and OffsetFetch v10 — an id stays
 * bound to its topic, so a deleted and re-created topic's old id is UNKNOWN_TOPIC_ID —, the
 * tiered-storage ListOffsets timestamps, and ListTransactions v2's pattern on a linear-time engine
 * (a pattern that backtracks exponentially elsewhere answers at once; over-long ones are refused).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { batch } from '../differential/requests.js';

const ZERO = Buffer.alloc(16);

let broker: TestBroker;
let c: RawClient;

beforeAll(async () => {
  broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': 0, 'runnel.transactional.id.pattern.max.length': 64 } });
  c = await RawClient.connect(broker.host, broker.port);
});
afterAll(async () => {
  c?.close();
  await broker?.cleanup();
});

async function req(key: number, version: number, body: Record<string, unknown>): Promise<any> {
  const r = await c.request(key, version, body);
  if (r === null) throw new Error(`connection closed on API ${key} v${version}`);
  return r;
}

async function createTopic(name: string, partitions = 1): Promise<Buffer> {
  const r = await req(19, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  expect(r.topics[0].errorCode).toBe(0);
  return r.topics[0].topicId;
}

const produceById = async (topicId: Buffer, partition = 0) =>
  (await req(0, 13, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ topicId, partitionData: [{ index: partition, records: await batch(2) }] }] })).responses[0];

const fetchPartition = (fetchOffset: number) => ({ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO, highWatermark: 9223372036854775807 });
const fetchById = (version: number, ids: Buffer[]) =>
  req(1, version, { replicaState: { replicaId: -1, replicaEpoch: -1 }, replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: ids.map((topicId) => ({ topicId, partitions: [fetchPartition(0)] })), forgottenTopicsData: [], rackId: '' });

describe('topics by id (KIP-516)', () => {
  it('Produce v13 and Fetch v13-v18 address a topic by id; an unknown id is UNKNOWN_TOPIC_ID', async () => {
    const id = await createTopic('by-id');
    const produced = await produceById(id);
    expect({ name: produced.name, topicId: produced.topicId.equals(id), errorCode: produced.partitionResponses[0].errorCode, baseOffset: produced.partitionResponses[0].baseOffset }).toEqual({ name: '', topicId: true, errorCode: 0, baseOffset: 0 });
    const unknown = await produceById(Buffer.alloc(16, 9));
    expect(unknown.partitionResponses[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    expect((await produceById(id, 5)).partitionResponses[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    for (const version of [13, 14, 15, 16, 17, 18]) {
      const r = await fetchById(version, [id, Buffer.alloc(16, 9)]);
      const [known, missing] = r.responses;
      expect(known.topicId.equals(id)).toBe(true);
      expect(known.partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 2, logStartOffset: 0 });
      expect(known.partitions[0].records.length).toBeGreaterThan(0);
      expect(missing.partitions[0]).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_ID, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: [] });
    }
  });

  it("a deleted and re-created topic's old id is UNKNOWN_TOPIC_ID; the new id reads the new topic", async () => {
    const old = await createTopic('recreated');
    await produceById(old);
    expect((await req(20, 6, { topics: [{ name: 'recreated', topicId: ZERO }], timeoutMs: 5000 })).responses[0].errorCode).toBe(0);
    const fresh = await createTopic('recreated');
    expect(fresh.equals(old)).toBe(false);
    expect((await produceById(old)).partitionResponses[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    expect((await fetchById(18, [old])).responses[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    expect((await fetchById(18, [fresh])).responses[0].partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 0 });
  });

  it('OffsetCommit v10 and OffsetFetch v10 store and read offsets by topic id', async () => {
    const id = await createTopic('commit-by-id', 2);
    const group = 'v10-group';
    const part = (partitionIndex: number, committedOffset: number) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: 'meta' });
    const commit = await req(8, 10, { groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ topicId: id, partitions: [part(0, 5), part(1, 7)] }, { topicId: Buffer.alloc(16, 3), partitions: [part(0, 1)] }] });
    expect(commit.topics.map((t: any) => [t.topicId.equals(id), t.partitions.map((p: any) => p.errorCode)])).toEqual([
      [true, [0, 0]],
      [false, [ErrorCode.UNKNOWN_TOPIC_ID]],
    ]);
    // v9 sees the same offsets by name.
    const byName = await req(9, 9, { groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ name: 'commit-by-id', partitionIndexes: [0, 1] }] }], requireStable: false });
    expect(byName.groups[0].topics[0].partitions.map((p: any) => p.committedOffset)).toEqual([5, 7]);
    const fetched = await req(9, 10, { groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ topicId: id, partitionIndexes: [0, 1] }, { topicId: Buffer.alloc(16, 3), partitionIndexes: [0] }] }], requireStable: false });
    const [known, unknown] = fetched.groups[0].topics;
    expect(known.topicId.equals(id)).toBe(true);
    expect(known.partitions.map((p: any) => [p.committedOffset, p.metadata, p.errorCode])).toEqual([
      [5, 'meta', 0],
      [7, 'meta', 0],
    ]);
    expect(unknown.partitions[0]).toMatchObject({ committedOffset: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_ID });
    const all = await req(9, 10, { groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
    expect(all.groups[0].topics.map((t: any) => t.topicId.equals(id))).toEqual([true]);
  });
});

describe('ListOffsets v8-v11 without remote storage', () => {
  it('earliest local is the log start; latest tiered and earliest pending upload are -1; each needs its version', async () => {
    await createTopic('tiered');
    const ask = async (version: number, timestamp: number) => {
      const r = await req(2, version, { replicaId: -1, isolationLevel: 0, timeoutMs: 1000, topics: [{ name: 'tiered', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }] });
      const p = r.topics[0].partitions[0];
      return [p.errorCode, p.offset, p.leaderEpoch];
    };
    expect(await ask(11, -4)).toEqual([0, 0, 0]);
    expect(await ask(11, -5)).toEqual([0, -1, -1]);
    expect(await ask(11, -6)).toEqual([0, -1, -1]);
    expect(await ask(7, -4)).toEqual([ErrorCode.UNSUPPORTED_VERSION, -1, -1]);
    expect(await ask(8, -5)).toEqual([ErrorCode.UNSUPPORTED_VERSION, -1, -1]);
    expect(await ask(10, -6)).toEqual([ErrorCode.UNSUPPORTED_VERSION, -1, -1]);
    expect(await ask(11, -7)).toEqual([ErrorCode.UNSUPPORTED_VERSION, -1, -1]);
  });
});

describe('ListTransactions v2 (KIP-1152)', () => {
  it('filters by a whole-match pattern on a linear-time engine; bad or over-long patterns are INVALID_REGULAR_EXPRESSION', async () => {
    const ids = ['orders-1', 'orders-2', 'payments-1', 'a'.repeat(40)];
    for (const transactionalId of ids) {
      const r = await req(22, 4, { transactionalId, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 });
      expect(r.errorCode).toBe(0);
    }
    const list = async (pattern: string | null) => {
      const r = await req(66, 2, { stateFilters: [], producerIdFilters: [], durationFilter: -1, transactionalIdPattern: pattern });
      return { errorCode: r.errorCode, ids: r.transactionStates.map((t: any) => t.transactionalId).sort() };
    };
    expect(await list(null)).toEqual({ errorCode: 0, ids: [...ids].sort() });
    expect(await list('')).toEqual({ errorCode: 0, ids: [...ids].sort() });
    expect(await list('orders-.*')).toEqual({ errorCode: 0, ids: ['orders-1', 'orders-2'] });
    expect(await list('orders')).toEqual({ errorCode: 0, ids: [] }); // a whole match, as Java's matches()
    // Exponential for a backtracking engine on the 40 a's; linear here.
    const t0 = Date.now();
    expect(await list('(a+)+b')).toEqual({ errorCode: 0, ids: [] });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((await list('(')).errorCode).toBe(ErrorCode.INVALID_REGULAR_EXPRESSION);
    expect((await list('(a)\\1')).errorCode).toBe(ErrorCode.INVALID_REGULAR_EXPRESSION); // needs backtracking
    expect((await list('x'.repeat(65))).errorCode).toBe(ErrorCode.INVALID_REGULAR_EXPRESSION); // runnel.transactional.id.pattern.max.length
    // v1 has no pattern: everything.
    expect((await req(66, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1 })).transactionStates).toHaveLength(ids.length);
  });
});

describe('Metadata v13, DescribeCluster v2, FindCoordinator v6', () => {
  it('answer with the new fields', async () => {
    const m = await req(3, 13, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(m.errorCode).toBe(0);
    const d = await req(60, 2, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: true });
    expect(d.brokers.map((b: any) => [b.brokerId, b.isFenced])).toEqual([[1, false]]);
    // Key type 2 (KIP-932): the share coordinator of a share partition, here this node; a malformed key is INVALID_REQUEST.
    const f = await req(10, 6, { keyType: 2, coordinatorKeys: ['group:AAAAAAAAAAAAAAAAAAAAAA:0', 'group:x:0'] });
    expect(f.coordinators[0]).toMatchObject({ errorCode: 0, nodeId: 1 });
    expect(f.coordinators[1].errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const g = await req(10, 6, { keyType: 0, coordinatorKeys: ['some-group'] });
    expect(g.coordinators[0]).toMatchObject({ errorCode: 0, nodeId: 1 });
  });
});

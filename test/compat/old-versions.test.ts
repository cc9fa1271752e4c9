/**
 * Request versions Kafka 4.0 removed (KIP-896) that clients still shipped by distributions send
 * (docs/compatibility.md): OffsetCommit v0-v1, OffsetFetch v0, Fetch v0-v3 and Produce v0-v2 with
 * message format v0/v1, driven over a raw socket. Kafka 4.4 closes the connection on each of them;
 * Runnel answered the same way before they were served (Produce v0-v2: UNSUPPORTED_VERSION), so
 * sarama 1.22 consumer groups never kept a committed offset and its default producer failed.
 *
 * Commits of v0/v1 are stored in __consumer_offsets in Kafka 2.x's record format (key v1, value
 * v3; v1's explicit commit timestamp kept) and survive a broker restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { removeDir, startTestBroker, tempDir, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { batch } from '../../protocol/records/batch.js';
import { readRecords } from '../../protocol/records/records.js';
import { readOffsetCommitKey, readOffsetCommitValue } from '../../protocol/generated/data/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { gzipWrapper, legacyMessage, legacyMessageSet } from '../helpers/legacy-messages.js';

const TOPIC = 'old-versions';
const LEGACY = 'legacy-produce';
const CONFIG = { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 1 };
const dataDir = tempDir('old-versions');
let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker({ dataDir, keepData: true, config: CONFIG });
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }, { topic: LEGACY, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: TOPIC, messages: Array.from({ length: 5 }, (_, i) => ({ partition: 0, value: `v${i}` })) });
  await producer.disconnect();
});
afterAll(async () => {
  await broker?.cleanup();
  removeDir(dataDir);
});

async function raw<T = any>(key: number, version: number, body: Record<string, unknown>): Promise<T | null> {
  const c = await RawClient.connect(broker.host, broker.port);
  try {
    return await c.request<T>(key, version, body);
  } finally {
    c.close();
  }
}

const commitTopic = (partitions: Array<[number, number, string | null, number?]>, topic = TOPIC) => [
  { name: topic, partitions: partitions.map(([partitionIndex, committedOffset, committedMetadata, commitTimestamp]) => ({ partitionIndex, committedOffset, committedMetadata, commitTimestamp: commitTimestamp ?? -1 })) },
];
const codes = (r: any) => r.topics.flatMap((t: any) => t.partitions.map((p: any) => [t.name, p.partitionIndex, p.errorCode]));

async function offsetFetch(version: number, groupId: string): Promise<Array<[number, number, string | null, number]>> {
  const r: any = await raw(9, version, { groupId, topics: [{ name: TOPIC, partitionIndexes: [0, 1] }] });
  expect(r).not.toBeNull();
  return r.topics[0].partitions.map((p: any) => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode]);
}

/** The offset-commit records in __consumer_offsets (one partition here), newest last. */
async function storedCommits(): Promise<Array<{ group: string; partition: number; version: number; offset: number; metadata: string; commitTimestamp: number }>> {
  const r: any = await raw(1, 4, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topic: '__consumer_offsets', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] });
  const bytes: Buffer = r.responses[0].partitions[0].records;
  const out = [];
  for (let at = 0; at + 12 <= bytes.length; at += batch.totalSize(bytes, at)) {
    const records = await readRecords(bytes.subarray(at, at + batch.totalSize(bytes, at)), { allowOffsetGaps: true });
    for (const rec of records.value ?? []) {
      const key = rec.key && readOffsetCommitKey(rec.key);
      const value = rec.value && readOffsetCommitValue(rec.value);
      if (key && value && key.message.topic === TOPIC) {
        out.push({ group: key.message.group, partition: key.message.partition, version: value.version, offset: value.message.offset, metadata: value.message.metadata, commitTimestamp: value.message.commitTimestamp });
      }
    }
  }
  return out;
}

describe('KIP-896 versions served for old clients', () => {
  it('OffsetCommit v0/v1 and OffsetFetch v0 round trip, stored as Kafka 2.x did, and survive a restart', async () => {
    const before = Date.now();
    // v0: no generation, no member id (Kafka 2.x wrote these to ZooKeeper).
    expect(codes(await raw(8, 0, { groupId: 'g-v0', topics: commitTopic([[0, 3, 'zero']]) }))).toEqual([[TOPIC, 0, ErrorCode.NONE]]);
    // v1: a simple commit (generation -1, empty member id) with an explicit and a default commit timestamp.
    const v1 = await raw(8, 1, { groupId: 'g-v1', generationIdOrMemberEpoch: -1, memberId: '', topics: commitTopic([[0, 4, 'one', 1_600_000_000_000], [1, 0, null]]) });
    expect(codes(v1)).toEqual([[TOPIC, 0, ErrorCode.NONE], [TOPIC, 1, ErrorCode.NONE]]);
    // Errors as in later versions: an unknown partition; a generation for a group that does not exist.
    expect(codes(await raw(8, 0, { groupId: 'g-v0', topics: commitTopic([[7, 1, null]]) }))).toEqual([[TOPIC, 7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    expect(codes(await raw(8, 1, { groupId: 'g-none', generationIdOrMemberEpoch: 3, memberId: 'm', topics: commitTopic([[0, 1, null]]) }))).toEqual([[TOPIC, 0, ErrorCode.ILLEGAL_GENERATION]]);

    const expected = {
      'g-v0': [[0, 3, 'zero', 0], [1, -1, '', 0]],
      'g-v1': [[0, 4, 'one', 0], [1, 0, '', 0]],
    };
    for (const [group, want] of Object.entries(expected)) {
      expect(await offsetFetch(0, group)).toEqual(want);
      expect(await offsetFetch(1, group)).toEqual(want);
    }

    const stored = await storedCommits();
    expect(stored.map(({ commitTimestamp: _, ...s }) => s)).toEqual([
      { group: 'g-v0', partition: 0, version: 3, offset: 3, metadata: 'zero' },
      { group: 'g-v1', partition: 0, version: 3, offset: 4, metadata: 'one' },
      { group: 'g-v1', partition: 1, version: 3, offset: 0, metadata: '' },
    ]);
    expect(stored[0]!.commitTimestamp).toBeGreaterThanOrEqual(before);
    expect(stored[1]!.commitTimestamp).toBe(1_600_000_000_000);
    expect(stored[2]!.commitTimestamp).toBeGreaterThanOrEqual(before);

    await broker.cleanup();
    broker = await startTestBroker({ dataDir, keepData: true, config: CONFIG });
    for (const [group, want] of Object.entries(expected)) {
      expect(await offsetFetch(0, group)).toEqual(want);
      expect(await offsetFetch(1, group)).toEqual(want);
    }
  }, 60_000);

  it('Fetch v0-v3 return the stored record batches', async () => {
    for (const version of [0, 1, 2, 3]) {
      const r: any = await raw(1, version, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        topics: [{ topic: TOPIC, partitions: [{ partition: 0, fetchOffset: 2, partitionMaxBytes: 1 << 20 }, { partition: 1, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
      });
      expect(r, `Fetch v${version}`).not.toBeNull();
      const [p0, p1] = r.responses[0].partitions;
      expect([p0.partitionIndex, p0.errorCode, p0.highWatermark, p1.errorCode, p1.highWatermark, p1.records.length]).toEqual([0, 0, 5, 0, 0, 0]);
      const values: string[] = [];
      const bytes: Buffer = p0.records;
      for (let at = 0; at < bytes.length; at += batch.totalSize(bytes, at)) {
        const b = bytes.subarray(at, at + batch.totalSize(bytes, at));
        const base = batch.baseOffset(b);
        for (const rec of (await readRecords(b)).value!) if (base + rec.offsetDelta >= 2) values.push(rec.value!.toString());
      }
      expect(values, `Fetch v${version}`).toEqual(['v2', 'v3', 'v4']);
    }
  }, 30_000);

  it('Produce v0-v2 with message format v0/v1 are converted to RecordBatch v2 and read back', async () => {
    const produce = async (version: number, set: Buffer) => {
      const r: any = await raw(0, version, { acks: -1, timeoutMs: 5000, topicData: [{ name: LEGACY, partitionData: [{ index: 0, records: set }] }] });
      expect(r, `Produce v${version}`).not.toBeNull();
      const p = r.responses[0].partitionResponses[0];
      return [p.errorCode, p.baseOffset];
    };
    expect(await produce(0, legacyMessageSet([legacyMessage(0, { key: 'k', value: 'a' }), legacyMessage(0, { value: 'b' })]))).toEqual([ErrorCode.NONE, 0]);
    expect(await produce(1, legacyMessageSet([legacyMessage(0, { value: 'c' })]))).toEqual([ErrorCode.NONE, 2]);
    const inner = legacyMessageSet([legacyMessage(1, { value: 'd', timestamp: 1_700_000_000_000 }), legacyMessage(1, { value: 'e', timestamp: 1_700_000_000_005 })]);
    expect(await produce(2, legacyMessageSet([gzipWrapper(1, inner, 1_700_000_000_005)]))).toEqual([ErrorCode.NONE, 3]);
    const bad = legacyMessage(1, { value: 'f', timestamp: 1 });
    bad[bad.length - 1] ^= 1;
    expect(await produce(2, legacyMessageSet([bad]))).toEqual([ErrorCode.CORRUPT_MESSAGE, -1]);

    const r: any = await raw(1, 4, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topic: LEGACY, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] });
    const bytes: Buffer = r.responses[0].partitions[0].records;
    const got: Array<[number, string | null, string, number]> = [];
    for (let at = 0; at < bytes.length; at += batch.totalSize(bytes, at)) {
      const b = bytes.subarray(at, at + batch.totalSize(bytes, at));
      expect(batch.magic(b)).toBe(2);
      for (const rec of (await readRecords(b)).value!) got.push([batch.baseOffset(b) + rec.offsetDelta, rec.key?.toString() ?? null, rec.value!.toString(), batch.baseTimestamp(b) + rec.timestampDelta]);
    }
    expect(got).toEqual([
      [0, 'k', 'a', -1],
      [1, null, 'b', -1],
      [2, null, 'c', -1],
      [3, null, 'd', 1_700_000_000_000],
      [4, null, 'e', 1_700_000_000_005],
    ]);
    // Counted as Kafka's ProduceMessageConversionsPerSec: the 5 converted records.
    expect(broker.broker.metrics.render().toString()).toContain(`kafka_server_brokertopicmetrics_producemessageconversions_total{topic="${LEGACY}"} 5`);
    // The magic 1 timestamps index the records: ListOffsets v1 by time finds them.
    const lo: any = await raw(2, 1, { replicaId: -1, topics: [{ name: LEGACY, partitions: [{ partitionIndex: 0, timestamp: 1_700_000_000_001 }] }] });
    expect(lo.topics[0].partitions[0].offset).toBe(4);
  }, 30_000);
});

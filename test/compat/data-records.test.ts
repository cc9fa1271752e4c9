/**
 * Issue 14 item 8, over a real socket: the records inside produced batches.
 * - CRC-valid batches whose records are garbage, or whose record count says 1,000 where one record
 *   follows (every kind of malformed records, every codec) are refused with INVALID_RECORD (Kafka's
 *   code) and nothing is stored: the end offset does not move, a fetch returns nothing, and the
 *   next good batch gets the next offset;
 * - a batch whose header maxTimestamp is -1 (as sarama 1.22 writes it) is stored with its
 *   maxTimestamp recomputed from its records (CRC still valid), so ListOffsets by timestamp and
 *   max timestamp find its records;
 * - a compressed batch is decompressed once on the produce path, even when the topic is compacted
 *   (keys checked) and recompresses it to another codec;
 * - decompression bombs (a few KiB that expand past runnel.produce.max.decompressed.bytes) get
 *   MESSAGE_TOO_LARGE, and one request carrying 40 of them is decompressed a few at a time.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { CompressionType, batch, batchCrcValid } from '../../protocol/records/batch.js';
import { buildBatch } from '../../protocol/records/builder.js';
import { codecName } from '../../protocol/records/compression.js';
import { readRecords } from '../../protocol/records/records.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { BASE_TIMESTAMP, encodeRecord, frameBatch, goodRecords, malformedBatches } from '../helpers/malformed-batches.js';
import { RawClient } from '../helpers/raw-client.js';
import { createTopicsReady, fetch, listOffsets, produceOne } from '../differential/requests.js';
import { newProduceRequestPartition, newProduceRequestTopic } from '../../protocol/generated/00-produce.js';
import { DECOMPRESSION_SLOTS, decompressionSlotsState } from '../../src/data/decompression-slots.js';

// Counts decompressions (passing every call through) to prove the produce path decompresses once.
const decompressCalls = vi.hoisted(() => ({ n: 0 }));
vi.mock('../../protocol/records/compression.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../protocol/records/compression.js')>();
  return {
    ...real,
    decompress: (...args: Parameters<typeof real.decompress>) => {
      decompressCalls.n++;
      return real.decompress(...args);
    },
  };
});

const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

let broker: TestBroker;
let c: RawClient;

const MAX_DECOMPRESSED = 1 << 20;

beforeAll(async () => {
  broker = await startTestBroker({ config: { 'runnel.produce.max.decompressed.bytes': MAX_DECOMPRESSED } });
  c = await RawClient.connect(broker.host, broker.port);
});

afterAll(async () => {
  c?.close();
  await broker?.cleanup();
});

async function endOffset(topic: string): Promise<number> {
  return (await listOffsets(c, topic, [{ partition: 0, timestamp: -1 }])).topics[0].partitions[0].offset;
}

/** The stored batches from offset 0 (each a Buffer). */
async function storedBatches(topic: string): Promise<Buffer[]> {
  const f = await fetch(c, [{ topic, partition: 0, offset: 0 }]);
  const bytes: Buffer = f.responses[0].partitions[0].records ?? Buffer.alloc(0);
  const out: Buffer[] = [];
  for (let at = 0; at + 61 <= bytes.length; at += batch.totalSize(bytes, at)) out.push(bytes.subarray(at, at + batch.totalSize(bytes, at)));
  return out;
}

describe('malformed records are refused and nothing is stored', () => {
  it('garbage records with a valid CRC', async () => {
    await createTopicsReady(c, [{ name: 'garbage' }]);
    const p = await produceOne(c, 'garbage', 0, await malformedBatches().garbageRecords!());
    expect(p.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(p.baseOffset).toBe(-1);
    expect(p.errorMessage).toMatch(/record 0: invalid record size/);
    expect(await endOffset('garbage')).toBe(0);
    expect(await storedBatches('garbage')).toEqual([]);
  });

  it('a record count of 1,000 with one record (lastOffsetDelta 999, so the header adds up)', async () => {
    await createTopicsReady(c, [{ name: 'count1000' }]);
    const b = await frameBatch(goodRecords(1), { recordCount: 1000, maxTimestamp: BASE_TIMESTAMP });
    expect(batch.lastOffsetDelta(b)).toBe(999);
    const p = await produceOne(c, 'count1000', 0, b);
    expect(p.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(await endOffset('count1000')).toBe(0);
    // The good batch after it gets offset 0: nothing was reserved for the refused one.
    const ok = await produceOne(c, 'count1000', 0, await frameBatch(goodRecords(2), { recordCount: 2 }));
    expect([ok.errorCode, ok.baseOffset]).toEqual([ErrorCode.NONE, 0]);
    expect(await endOffset('count1000')).toBe(2);
  });

  it('every kind, every codec, between good batches', async () => {
    await createTopicsReady(c, [{ name: 'malformed' }]);
    let end = 0;
    for (const codec of CODECS) {
      for (const [name, make] of Object.entries(malformedBatches(codec))) {
        const p = await produceOne(c, 'malformed', 0, await make());
        expect([p.errorCode, p.baseOffset], `${codecName(codec)} ${name}`).toEqual([ErrorCode.INVALID_RECORD, -1]);
        expect(p.logStartOffset, 'Kafka reports the log start offset').toBe(0);
      }
      const ok = await produceOne(c, 'malformed', 0, await frameBatch(goodRecords(3), { recordCount: 3, compression: codec }));
      expect([ok.errorCode, ok.baseOffset]).toEqual([ErrorCode.NONE, end]);
      end += 3;
    }
    expect(await endOffset('malformed')).toBe(end);
    for (const b of await storedBatches('malformed')) expect((await readRecords(b)).error).toBeNull();
  });
});

describe('maxTimestamp -1 (sarama 1.22) is repaired', () => {
  it('is stored with the largest record timestamp; ListOffsets by timestamp and max timestamp find the records', async () => {
    await createTopicsReady(c, [{ name: 'sarama' }]);
    const block = (at: number) => Buffer.concat([0, 1, 2].map((i) => encodeRecord({ offsetDelta: i, timestampDelta: at + (i === 1 ? 5 : i) })));
    // Offsets 0-2 at BASE+0,+5,+2; 3-5 (gzip) at BASE+10,+15,+12; every header says -1.
    expect((await produceOne(c, 'sarama', 0, await frameBatch(block(0), { recordCount: 3, maxTimestamp: -1 }))).errorCode).toBe(ErrorCode.NONE);
    expect((await produceOne(c, 'sarama', 0, await frameBatch(block(10), { recordCount: 3, maxTimestamp: -1, compression: CompressionType.Gzip }))).errorCode).toBe(ErrorCode.NONE);
    const stored = await storedBatches('sarama');
    expect(stored.map((b) => batch.maxTimestamp(b))).toEqual([BASE_TIMESTAMP + 5, BASE_TIMESTAMP + 15]);
    for (const b of stored) expect(batchCrcValid(b)).toBe(true);
    const at = async (timestamp: number) => {
      const p = (await listOffsets(c, 'sarama', [{ partition: 0, timestamp }])).topics[0].partitions[0];
      return [p.errorCode, p.offset, p.timestamp];
    };
    expect(await at(BASE_TIMESTAMP)).toEqual([0, 0, BASE_TIMESTAMP]);
    expect(await at(BASE_TIMESTAMP + 3)).toEqual([0, 1, BASE_TIMESTAMP + 5]);
    expect(await at(BASE_TIMESTAMP + 6)).toEqual([0, 3, BASE_TIMESTAMP + 10]);
    expect(await at(BASE_TIMESTAMP + 13)).toEqual([0, 4, BASE_TIMESTAMP + 15]);
    expect(await at(BASE_TIMESTAMP + 16)).toEqual([0, -1, -1]);
    expect(await at(-3)).toEqual([0, 4, BASE_TIMESTAMP + 15]);
  });
});

describe('decompression bombs', () => {
  it('one request with 40 partitions of them: each refused with MESSAGE_TOO_LARGE, a few decompressed at a time', async () => {
    await createTopicsReady(c, [{ name: 'bombs', partitions: 41 }]);
    // 2 MiB of zeros in one record: a few KiB of gzip or zstd, twice runnel.produce.max.decompressed.bytes.
    const bomb = async (compression: CompressionType) => buildBatch([{ key: 'k', value: Buffer.alloc(2 * MAX_DECOMPRESSED), timestamp: BASE_TIMESTAMP }], { compression });
    const partitionData = [];
    for (let p = 0; p < 40; p++) partitionData.push(newProduceRequestPartition({ index: p, records: await bomb(p % 2 === 0 ? CompressionType.Gzip : CompressionType.Zstd) }));
    partitionData.push(newProduceRequestPartition({ index: 40, records: await frameBatch(goodRecords(1), { recordCount: 1, compression: CompressionType.Zstd }) }));
    expect(Math.max(...partitionData.slice(0, 40).map((p) => (p.records as Buffer).length))).toBeLessThan(10_000);
    const before = decompressionSlotsState().peak;
    const r = await c.request(0, 9, { acks: -1, timeoutMs: 30_000, topicData: [newProduceRequestTopic({ name: 'bombs', partitionData })] });
    const byIndex = new Map<number, any>(r.responses[0].partitionResponses.map((p: any) => [p.index, p]));
    for (let p = 0; p < 40; p++) expect(byIndex.get(p).errorCode, `partition ${p}`).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect([byIndex.get(40).errorCode, byIndex.get(40).baseOffset]).toEqual([ErrorCode.NONE, 0]);
    expect(Math.max(before, decompressionSlotsState().peak)).toBeLessThanOrEqual(DECOMPRESSION_SLOTS);
    expect(decompressionSlotsState()).toMatchObject({ busy: 0, waiting: 0 });
  });
});

describe('a compressed batch is decompressed once', () => {
  it('on a compacted topic that recompresses to another codec', async () => {
    await createTopicsReady(c, [{ name: 'once', configs: { 'cleanup.policy': 'compact', 'compression.type': 'lz4' } }]);
    const b = await buildBatch([{ key: 'a', value: 'x', timestamp: BASE_TIMESTAMP }, { key: 'b', value: 'y', timestamp: BASE_TIMESTAMP }], { compression: CompressionType.Gzip });
    decompressCalls.n = 0;
    const p = await produceOne(c, 'once', 0, b);
    expect(p.errorCode).toBe(ErrorCode.NONE);
    expect(decompressCalls.n).toBe(1);
    const [stored] = await storedBatches('once');
    expect(batch.compression(stored!)).toBe(CompressionType.Lz4);
  });
});

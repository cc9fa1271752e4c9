import { describe, expect, it } from 'vitest';
import { ATTR_TIMESTAMP_TYPE, BATCH_HEADER_SIZE, CompressionType, batch, batchCrcValid } from '../../../protocol/records/batch.js';
import { buildBatch, buildBatchSync, buildControlBatch, recompress } from '../../../protocol/records/builder.js';
import { ControlRecordType, readRecords } from '../../../protocol/records/records.js';
import { SAMPLE_BASE_TIMESTAMP, fixture, plain, plainInput, sampleRecords } from './sample-records.js';

const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];
const expected = sampleRecords().map((r) => plainInput(r, SAMPLE_BASE_TIMESTAMP));

describe('byte-for-byte with the Java client', () => {
  it('an uncompressed batch equals MemoryRecords.withRecords(NONE, ...)', () => {
    expect(buildBatchSync(sampleRecords()).equals(fixture('java-none.bin'))).toBe(true);
  });

  it('transaction markers equal MemoryRecords.withEndTransactionMarker(...)', () => {
    const options = { producerId: 4242, producerEpoch: 7, coordinatorEpoch: 9, baseOffset: 1025, partitionLeaderEpoch: 3, timestamp: 1700000001000 };
    expect(buildControlBatch(ControlRecordType.Commit, options).equals(fixture('java-control-commit.bin'))).toBe(true);
    expect(buildControlBatch(ControlRecordType.Abort, options).equals(fixture('java-control-abort.bin'))).toBe(true);
  });

  it('transactional batch header fields equal Java\'s', async () => {
    const ours = await buildBatch(sampleRecords(), {
      compression: CompressionType.Zstd,
      baseOffset: 1000,
      producerId: 4242,
      producerEpoch: 7,
      baseSequence: 100,
      partitionLeaderEpoch: 3,
      transactional: true,
    });
    const java = fixture('java-txn-zstd.bin');
    // Everything before the CRC, and attributes..recordCount after it; lengths differ with the encoder.
    expect(ours.subarray(0, 8).equals(java.subarray(0, 8))).toBe(true);
    expect(ours.subarray(12, 17).equals(java.subarray(12, 17))).toBe(true);
    expect(ours.subarray(21, BATCH_HEADER_SIZE).equals(java.subarray(21, BATCH_HEADER_SIZE))).toBe(true);
    expect((await readRecords(ours)).value!.map(plain)).toEqual(expected);
  });
});

describe('round trips', () => {
  for (const codec of CODECS) {
    it(`codec ${codec}: records, header fields, CRC`, async () => {
      const b = await buildBatch(sampleRecords(), { compression: codec, baseOffset: 77, producerId: 5, producerEpoch: 1, baseSequence: 9 });
      expect(batchCrcValid(b)).toBe(true);
      expect(batch.totalSize(b)).toBe(b.length);
      expect(batch.compression(b)).toBe(codec);
      expect(batch.baseOffset(b)).toBe(77);
      expect(batch.lastOffsetDelta(b)).toBe(24);
      expect(batch.recordCount(b)).toBe(25);
      expect(batch.baseTimestamp(b)).toBe(SAMPLE_BASE_TIMESTAMP);
      expect(batch.maxTimestamp(b)).toBe(SAMPLE_BASE_TIMESTAMP + 240);
      expect([batch.producerId(b), batch.producerEpoch(b), batch.baseSequence(b)]).toEqual([5, 1, 9]);
      expect((await readRecords(b)).value!.map(plain)).toEqual(expected);
    });
  }

  it('large values, binary keys, many headers, timestamps before the base', async () => {
    const value = Buffer.alloc(300_000, 'x');
    const key = Buffer.from([0, 255, 128, 7]);
    const headers = Array.from({ length: 50 }, (_, i) => ({ key: `h${i}`, value: i % 2 ? null : `v${i}` }));
    for (const codec of CODECS) {
      const b = await buildBatch(
        [
          { key, value, headers, timestamp: 5_000 },
          { key: null, value: null, timestamp: 1_000 },
        ],
        { compression: codec },
      );
      const [a, c] = (await readRecords(b)).value!;
      expect(a!.key!.equals(key)).toBe(true);
      expect(a!.value!.equals(value)).toBe(true);
      expect(a!.headers.map((h) => [h.key, h.value?.toString() ?? null])).toEqual(headers.map((h) => [h.key, h.value]));
      expect(c).toMatchObject({ key: null, value: null, timestampDelta: -4000, offsetDelta: 1 });
      expect(batch.maxTimestamp(b)).toBe(5_000);
    }
  });

  it('LogAppendTime sets the timestamp type and maxTimestamp', () => {
    const b = buildBatchSync([{ value: 'v', timestamp: 10 }], { logAppendTime: 99 });
    expect(batch.attributes(b) & ATTR_TIMESTAMP_TYPE).toBe(ATTR_TIMESTAMP_TYPE);
    expect(batch.maxTimestamp(b)).toBe(99);
    expect(batch.baseTimestamp(b)).toBe(10);
  });

  it('compaction shapes: kept offset deltas, original lastOffsetDelta, empty batches', async () => {
    const b = buildBatchSync(
      [
        { key: 'a', value: '1', timestamp: 1, offsetDelta: 2 },
        { key: 'b', value: '2', timestamp: 2, offsetDelta: 7 },
      ],
      { lastOffsetDelta: 9 },
    );
    expect(batch.lastOffsetDelta(b)).toBe(9);
    expect((await readRecords(b, { allowOffsetGaps: true })).value!.map((r) => r.offsetDelta)).toEqual([2, 7]);
    const empty = buildBatchSync([], { lastOffsetDelta: 9, baseTimestamp: 50, producerId: 3 });
    expect([batch.recordCount(empty), batch.baseTimestamp(empty), batch.maxTimestamp(empty)]).toEqual([0, 50, 50]);
    expect(() => buildBatchSync([{ value: 'a', offsetDelta: 3 }, { value: 'b', offsetDelta: 3 }])).toThrow(RangeError);
    expect(() => buildBatchSync([{ value: 'a', offsetDelta: 3 }], { lastOffsetDelta: 2 })).toThrow(RangeError);
  });

  it('buildBatchSync refuses compression', () => {
    expect(() => buildBatchSync([], { compression: CompressionType.Gzip })).toThrow(RangeError);
  });
});

describe('recompress', () => {
  it('between every pair of codecs, keeping offsets, timestamps and producer fields', async () => {
    const sources = ['java-txn-zstd.bin', 'java-idempotent-snappy.bin', 'librdkafka-snappy.bin', 'kafka-python-lz4.bin'].map(fixture);
    for (const source of sources) {
      const before = (await readRecords(source)).value!.map(plain);
      for (const codec of CODECS) {
        const out = await recompress(source, codec);
        expect(out.error).toBeNull();
        const b = out.value!;
        expect(batchCrcValid(b)).toBe(true);
        expect(batch.compression(b)).toBe(codec);
        expect(batch.attributes(b) & ~7).toBe(batch.attributes(source) & ~7);
        for (const at of [0, 12, 23, 27, 35, 43, 51, 53, 57]) expect(b.readInt32BE(at)).toBe(source.readInt32BE(at));
        expect((await readRecords(b)).value!.map(plain)).toEqual(before);
      }
    }
  });

  it('to none gives exactly the Java uncompressed batch', async () => {
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
      const out = await recompress(fixture(`java-${codec}.bin`), CompressionType.None);
      expect(out.value!.equals(fixture('java-none.bin'))).toBe(true);
    }
  });

  it('refuses malformed batches instead of giving them a valid CRC', async () => {
    const bad = Buffer.from(fixture('java-none.bin'));
    bad.writeInt32BE(26, 57);
    const out = await recompress(bad, CompressionType.Lz4, { verifyCrc: false });
    expect(out.error).toMatch(/record 25/);
    expect((await recompress(fixture('java-zstd-large.bin'), CompressionType.Gzip, { maxSize: 1000 })).error).toMatch(/exceeds/);
  });
});

/**
 * The produce-time record walk (protocol/records/record-walk.ts): every batch real clients write
 * (golden files of Java, kafka-python and librdkafka in every codec, and the builder's) walks
 * clean with the right max timestamp; every kind of malformed records is found, in every codec;
 * varints are read as Java reads them.
 */
import { describe, expect, it } from 'vitest';
import { BATCH_HEADER_SIZE, CompressionType, batch } from '../../../protocol/records/batch.js';
import { buildBatch, buildBatchSync } from '../../../protocol/records/builder.js';
import { codecName, decompress } from '../../../protocol/records/compression.js';
import { newRecordWalk, walkRecordBlock, type RecordWalk } from '../../../protocol/records/record-walk.js';
import { BASE_TIMESTAMP, encodeRecord, frameBatch, goodRecords, malformedBatches, varint } from '../../helpers/malformed-batches.js';
import { SAMPLE_BASE_TIMESTAMP, fixture, sampleRecords } from './sample-records.js';

const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

/** Walks a whole batch (decompressing it first when compressed) with an optional window. */
async function walkBatch(b: Buffer, low = -Infinity, high = Infinity, collectKeyless = false): Promise<{ problem: string | null; walk: RecordWalk }> {
  const size = batch.totalSize(b);
  const block = batch.compression(b) === 0 ? b.subarray(BATCH_HEADER_SIZE, size) : await decompress(batch.compression(b), b.subarray(BATCH_HEADER_SIZE, size));
  const walk = newRecordWalk(collectKeyless);
  return { problem: walkRecordBlock(block, 0, block.length, batch.recordCount(b), batch.baseTimestamp(b), low, high, walk), walk };
}

describe('well-formed batches walk clean', () => {
  for (const producer of ['java', 'kafka-python', 'librdkafka']) {
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      it(`${producer} ${codec} (golden)`, async () => {
        const b = fixture(`${producer}-${codec}.bin`);
        const { problem, walk } = await walkBatch(b, -Infinity, Infinity, true);
        expect(problem).toBeNull();
        expect(walk.maxTimestamp).toBe(batch.maxTimestamp(b));
        expect(walk.badTimestamps).toBeNull();
        if (producer === 'librdkafka') return; // kcat's own records (see records.test.ts)
        expect(walk.keyless).toEqual(sampleRecords().flatMap((r, i) => (r.key === null ? [i] : [])));
        expect(walk.firstKeyless).toBe(3);
      });
    }
  }
  for (const name of ['java-gzip-large', 'java-lz4-large', 'java-zstd-large', 'java-snappy-large', 'java-txn-zstd', 'java-idempotent-snappy', 'kafka-python-idempotent-lz4']) {
    it(`${name} (golden)`, async () => {
      const b = fixture(`${name}.bin`);
      const { problem, walk } = await walkBatch(b);
      expect(problem).toBeNull();
      expect(walk.maxTimestamp).toBe(batch.maxTimestamp(b));
    });
  }

  it('the builder in every codec: headers, nulls, large values (multi-byte varints), negative deltas', async () => {
    const records = [
      { key: null, value: null, timestamp: 5000 },
      { key: 'k', value: Buffer.alloc(300_000, 7), headers: [{ key: 'h', value: null }, { key: '', value: Buffer.alloc(200, 1) }], timestamp: 4000 },
      { key: Buffer.alloc(0), value: Buffer.alloc(0), timestamp: 9_000_000_000_000 },
    ];
    for (const compression of CODECS) {
      const b = await buildBatch(records, { compression });
      const { problem, walk } = await walkBatch(b);
      expect(problem, codecName(compression)).toBeNull();
      expect(walk.maxTimestamp).toBe(9_000_000_000_000);
      expect(walk.firstKeyless).toBe(0);
    }
  });

  it('more than 8192 records (three-byte offset deltas) and long timestamp deltas', async () => {
    const records = Array.from({ length: 20_000 }, (_, i) => ({ key: null, value: 'v', timestamp: 1000 + (i % 3 === 0 ? i * 1000 : i) }));
    const b = buildBatchSync(records);
    const { problem, walk } = await walkBatch(b);
    expect(problem).toBeNull();
    expect(walk.maxTimestamp).toBe(1000 + 19_998 * 1000);
    // A wrong three-byte delta is found (record 10,000 says 10,001).
    const block = Buffer.concat([goodRecords(10_000), encodeRecord({ offsetDelta: 10_001 })]);
    expect(walkRecordBlock(block, 0, block.length, 10_001, 0, -Infinity, Infinity, newRecordWalk())).toMatch(/record 10000: offsetDelta 10001, expected 10000/);
  });

  it('computes the max timestamp whatever the header says (sarama 1.22 writes -1)', async () => {
    const b = await frameBatch(Buffer.concat([encodeRecord({ offsetDelta: 0, timestampDelta: 7 }), encodeRecord({ offsetDelta: 1, timestampDelta: 3 })]), { recordCount: 2, maxTimestamp: -1 });
    const { problem, walk } = await walkBatch(b);
    expect(problem).toBeNull();
    expect(walk.maxTimestamp).toBe(BASE_TIMESTAMP + 7);
  });

  it('records without timestamps (-1) leave the max at -1', async () => {
    const b = await frameBatch(goodRecords(1), { recordCount: 1, baseTimestamp: -1, maxTimestamp: -1 });
    expect((await walkBatch(b, 0, 10)).walk).toMatchObject({ maxTimestamp: -1, badTimestamps: null });
  });
});

describe('timestamp window', () => {
  it('lists every record outside [low, high] with its timestamp; -1 is never checked', async () => {
    const block = Buffer.concat([
      encodeRecord({ offsetDelta: 0, timestampDelta: 0 }),
      encodeRecord({ offsetDelta: 1, timestampDelta: -50 }),
      encodeRecord({ offsetDelta: 2, timestampDelta: 10 }),
      encodeRecord({ offsetDelta: 3, timestampDelta: 500 }),
      encodeRecord({ offsetDelta: 4, timestampDelta: -BASE_TIMESTAMP - 1 }),
    ]);
    const b = await frameBatch(block, { recordCount: 5 });
    const { problem, walk } = await walkBatch(b, BASE_TIMESTAMP - 10, BASE_TIMESTAMP + 100);
    expect(problem).toBeNull();
    expect(walk.badTimestamps).toEqual([1, 3]);
    expect(walk.badTimestampValues).toEqual([BASE_TIMESTAMP - 50, BASE_TIMESTAMP + 500]);
    expect(walk.maxTimestamp).toBe(BASE_TIMESTAMP + 500);
  });

  it('a timestamp beyond 2^53 is outside every window', async () => {
    const b = await frameBatch(encodeRecord({ offsetDelta: 0, timestampDelta: 2 ** 60 }), { recordCount: 1 });
    expect((await walkBatch(b)).walk.badTimestamps).toEqual([0]);
  });
});

describe('malformed records are found in every codec', () => {
  const expected: Record<string, RegExp> = {
    garbageRecords: /record 0: invalid record size/,
    countTooHigh: /record count 1000 cannot fit/,
    countTooLow: /bytes remain after the last of 1 records/,
    trailingBytes: /3 bytes remain after the last of 1 records/,
    lengthPastEnd: /record 0: invalid record size \d+ \(\d+ bytes left/,
    lengthShort: /record 0: invalid (value length|record size)/,
    keyPastRecord: /record 0: invalid key length 30/,
    negativeHeaderCount: /record 0: invalid number of headers -3/,
    negativeHeaderKey: /record 0: invalid header key length -2/,
    varintTooLong: /record 0: the length is not a valid varint/,
  };
  for (const compression of CODECS) {
    for (const [name, make] of Object.entries(malformedBatches(compression))) {
      it(`${codecName(compression)} ${name}`, async () => {
        const { problem } = await walkBatch(await make());
        expect(problem).toMatch(expected[name]!);
      });
    }
  }

  it('offset deltas must be 0..n-1', async () => {
    const gap = Buffer.concat([encodeRecord({ offsetDelta: 0 }), encodeRecord({ offsetDelta: 2 })]);
    expect((await walkBatch(await frameBatch(gap, { recordCount: 2 }))).problem).toMatch(/record 1: offsetDelta 2, expected 1/);
    const fromOne = Buffer.concat([encodeRecord({ offsetDelta: 1 }), encodeRecord({ offsetDelta: 2 })]);
    expect((await walkBatch(await frameBatch(fromOne, { recordCount: 2 }))).problem).toMatch(/record 0: offsetDelta 1, expected 0/);
  });

  it('key and value lengths below -1, header values below -1, header count past the record', async () => {
    const cases: Array<[Buffer, RegExp]> = [
      [encodeRecord({ offsetDelta: 0, key: { length: -5 } }), /invalid key length -5/],
      [encodeRecord({ offsetDelta: 0, value: { length: -2 } }), /invalid value length -2/],
      [encodeRecord({ offsetDelta: 0, headers: [['h', { length: -3 }]] }), /invalid header value length -3/],
      [encodeRecord({ offsetDelta: 0, headerCount: 1000 }), /invalid number of headers 1000/],
    ];
    for (const [block, error] of cases) expect(walkRecordBlock(block, 0, block.length, 1, 0, -Infinity, Infinity, newRecordWalk())).toMatch(error);
  });

  it('a record length that leaves bytes unread inside the record', () => {
    const block = encodeRecord({ offsetDelta: 0, lengthSkew: 3 });
    const padded = Buffer.concat([block, Buffer.alloc(3)]);
    expect(walkRecordBlock(padded, 0, padded.length, 1, 0, -Infinity, Infinity, newRecordWalk())).toMatch(/expected to read \d+ bytes, but the fields take/);
  });

  it('empty blocks, negative and zero counts', () => {
    const w = newRecordWalk();
    expect(walkRecordBlock(Buffer.alloc(0), 0, 0, 1, 0, -Infinity, Infinity, w)).toMatch(/cannot fit/);
    expect(walkRecordBlock(Buffer.alloc(0), 0, 0, -1, 0, -Infinity, Infinity, w)).toMatch(/negative record count/);
    expect(walkRecordBlock(Buffer.alloc(0), 0, 0, 0, 0, -Infinity, Infinity, w)).toBeNull();
  });

  it('walks only its window of a larger buffer (the batch itself, in place)', () => {
    const b = buildBatchSync([{ key: 'a', value: 'b', timestamp: 10 }]);
    const tail = Buffer.concat([b, Buffer.from([1, 2, 3])]);
    expect(walkRecordBlock(tail, BATCH_HEADER_SIZE, b.length, 1, 10, -Infinity, Infinity, newRecordWalk())).toBeNull();
    expect(walkRecordBlock(tail, BATCH_HEADER_SIZE, tail.length, 1, 10, -Infinity, Infinity, newRecordWalk())).toMatch(/3 bytes remain/);
  });
});

describe('varints as Java reads them', () => {
  const oneRecordWithLengthPrefix = (prefix: Buffer, body: Buffer) => Buffer.concat([prefix, body]);
  const body = encodeRecord({ offsetDelta: 0 }).subarray(1); // the body of a short record

  it('accepts a non-minimal (padded) length varint, as Java does', () => {
    const padded = Buffer.from([0x80 | (body.length * 2), 0x00]); // same value, two bytes
    const block = oneRecordWithLengthPrefix(padded, body);
    expect(walkRecordBlock(block, 0, block.length, 1, 0, -Infinity, Infinity, newRecordWalk())).toBeNull();
  });

  it('refuses a 6-byte varint and one whose continuation bits never end', () => {
    for (const prefix of [Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80])]) {
      const block = oneRecordWithLengthPrefix(prefix, prefix.length === 6 ? body : Buffer.alloc(0));
      expect(walkRecordBlock(block, 0, block.length, 1, 0, -Infinity, Infinity, newRecordWalk())).toMatch(/not a valid varint/);
    }
  });

  it('reads 5-byte values with Java int overflow (bits past 32 dropped): a huge length is refused', () => {
    const prefix = Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f]); // zig-zag 2^31-1
    const block = oneRecordWithLengthPrefix(prefix, body);
    expect(walkRecordBlock(block, 0, block.length, 1, 0, -Infinity, Infinity, newRecordWalk())).toMatch(/invalid record size 2147483647/);
  });

  it('varlong timestamp deltas up to 10 bytes, both signs', async () => {
    for (const delta of [-1, 63, -64, 64, 8191, -8193, 2 ** 40, -(2 ** 40), 2 ** 52]) {
      const block = encodeRecord({ offsetDelta: 0, timestampDelta: delta });
      const w = newRecordWalk();
      expect(walkRecordBlock(block, 0, block.length, 1, 1000, -Infinity, Infinity, w)).toBeNull();
      expect(w.maxTimestamp).toBe(Math.max(-1, 1000 + delta));
    }
    expect(varint(-1)).toEqual(Buffer.from([1]));
  });
});

it('sample timestamps include one older than the first (max is not the last record)', () => {
  expect(sampleRecords()[4]!.timestamp).toBeLessThan(SAMPLE_BASE_TIMESTAMP + 40);
});

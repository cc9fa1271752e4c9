/**
 * Produce-time checks that Apache Kafka makes and Runnel matches (see test/differential): the
 * header checks (data/batch-validation) and the record walk's policy (data/record-validation):
 * malformed records, keyless records on compacted topics, CreateTime bounds per record
 * (message.timestamp.before/after.max.ms), a producer-set LogAppendTime bit, decompression
 * failures and the decompressed-size limit, and the header repair (maxTimestamp, CRC).
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { CompressionType, batch, batchCrcValid } from '../../../protocol/records/batch.js';
import { buildBatch, buildBatchSync } from '../../../protocol/records/builder.js';
import { validateProducedBatch } from '../../../src/data/batch-validation.js';
import { checkProducedRecords, recordsOf, type RecordPolicy, type RecordsCheck } from '../../../src/data/record-validation.js';
import { BASE_TIMESTAMP, encodeRecord, frameBatch, goodRecords, malformedBatches } from '../../helpers/malformed-batches.js';

const records = (keys: Array<string | null>, timestamp = 1000) => keys.map((key, i) => ({ key, value: `v${i}`, timestamp: timestamp + i }));
const NONE = Number.MAX_SAFE_INTEGER;
const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

function policy(o: Partial<RecordPolicy> = {}): RecordPolicy {
  return {
    topic: 't',
    partition: 0,
    logAppendTime: false,
    compacted: false,
    maxTimestampBeforeMs: NONE,
    maxTimestampAfterMs: NONE,
    maxTimestampDiffMs: NONE,
    maxDecompressedBytes: 1 << 20,
    now: 10_000_000,
    ...o,
  };
}

const check = (b: Buffer, o: Partial<RecordPolicy> = {}): Promise<RecordsCheck> => Promise.resolve(checkProducedRecords(b, policy(o)));

describe('the header checks', () => {
  it('refuse an idempotent batch without a sequence number (Kafka: INVALID_RECORD)', () => {
    const b = buildBatchSync(records(['a']), { producerId: 5, producerEpoch: 0, baseSequence: -1 });
    expect(validateProducedBatch(b, { maxMessageBytes: 1 << 20, produceVersion: 9 })).toMatchObject({ code: ErrorCode.INVALID_RECORD });
  });
});

describe('malformed records: INVALID_RECORD, without record errors', () => {
  for (const compression of CODECS) {
    it(`every kind, ${compression === 0 ? 'uncompressed' : `codec ${compression}`}`, async () => {
      for (const [name, make] of Object.entries(malformedBatches(compression))) {
        const r = await check(await make());
        expect(r, name).toMatchObject({ ok: false, code: ErrorCode.INVALID_RECORD, records: [] });
      }
    });
  }

  it('an uncompressed batch is checked synchronously, a compressed one asynchronously', async () => {
    expect(checkProducedRecords(buildBatchSync(records(['a'])), policy())).toMatchObject({ ok: true, decompressed: null });
    const r = checkProducedRecords(await buildBatch(records(['a']), { compression: CompressionType.Lz4 }), policy());
    expect(r).toBeInstanceOf(Promise);
    expect((await r).ok).toBe(true);
  });

  it('a compressed payload that does not decompress', async () => {
    for (const compression of CODECS.slice(1)) {
      const b = await frameBatch(Buffer.from('not compressed at all, but says it is'), { recordCount: 1, compression: CompressionType.None });
      b.writeInt16BE(compression, 21);
      const { restampCrc } = await import('../../../protocol/records/batch.js');
      restampCrc(b);
      expect(await check(b), String(compression)).toMatchObject({ ok: false, code: ErrorCode.INVALID_RECORD, message: expect.stringMatching(/cannot be decompressed/) });
    }
  });

  it('decompressing past runnel.produce.max.decompressed.bytes: MESSAGE_TOO_LARGE', async () => {
    const b = await buildBatch([{ key: 'k', value: Buffer.alloc(200_000), timestamp: 1 }], { compression: CompressionType.Zstd });
    expect(b.length).toBeLessThan(1000);
    expect(await check(b, { maxDecompressedBytes: 100_000 })).toMatchObject({ ok: false, code: ErrorCode.MESSAGE_TOO_LARGE });
    expect(await check(b, { maxDecompressedBytes: 300_000 })).toMatchObject({ ok: true });
  });

  it('hands the decompressed records on (decompressed once for every later step)', async () => {
    const plain = buildBatchSync(records(['a', 'b']));
    const gz = await buildBatch(records(['a', 'b']), { compression: CompressionType.Gzip });
    const r = await check(gz);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(recordsOf(gz, r)).toEqual(plain.subarray(61));
    const p = await check(plain);
    if (p.ok) expect(recordsOf(plain, p)).toEqual(plain.subarray(61));
  });
});

describe('compacted topics refuse keyless records', () => {
  it('accepts a batch whose records all have keys', async () => {
    expect(await check(buildBatchSync(records(['a', 'b'])), { compacted: true })).toMatchObject({ ok: true });
    expect(await check(await buildBatch(records(['a', 'b']), { compression: CompressionType.Gzip }), { compacted: true })).toMatchObject({ ok: true });
  });

  it('names every keyless record, also inside a compressed batch', async () => {
    const plain = await check(buildBatchSync(records(['a', null, 'c', null])), { compacted: true, topic: 'orders', partition: 3 });
    const message = 'Compacted topic cannot accept message without key in topic partition orders-3.';
    expect(plain).toMatchObject({ ok: false, code: ErrorCode.INVALID_RECORD, records: [{ index: 1, message }, { index: 3, message }] });
    const zstd = await check(await buildBatch(records([null, 'b']), { compression: CompressionType.Zstd }), { compacted: true });
    expect(zstd).toMatchObject({ ok: false, code: ErrorCode.INVALID_RECORD, records: [{ index: 0 }] });
  });

  it('keyless records are fine elsewhere', async () => {
    expect(await check(buildBatchSync(records([null, null])))).toMatchObject({ ok: true });
  });
});

describe('CreateTime bounds per record (KIP-937)', () => {
  const now = 10_000_000;

  it('refuses each record more than after.max.ms ahead, naming it', async () => {
    const b = buildBatchSync([{ key: 'a', timestamp: now }, { key: 'b', timestamp: now + 5000 }, { key: 'c', timestamp: now }]);
    expect(await check(b, { maxTimestampAfterMs: 10_000 })).toMatchObject({ ok: true });
    const r = await check(buildBatchSync([{ key: 'a', timestamp: now }, { key: 'b', timestamp: now + 5000 }, { key: 'c', timestamp: now }]), { maxTimestampAfterMs: 4999 });
    expect(r).toMatchObject({ ok: false, code: ErrorCode.INVALID_TIMESTAMP, records: [{ index: 1, message: `Timestamp ${now + 5000} of message with offset 1 is out of range. The timestamp should be within [no lower limit, ${now + 4999}]` }] });
  });

  it('refuses records more than before.max.ms behind, wherever they are in the batch', async () => {
    // The header's first and newest timestamps are fine; the middle record is not.
    const b = () => buildBatchSync([{ key: 'a', timestamp: now }, { key: 'b', timestamp: now - 60_001 }, { key: 'c', timestamp: now }]);
    expect(await check(b(), { maxTimestampBeforeMs: 60_001 })).toMatchObject({ ok: true });
    expect(await check(b(), { maxTimestampBeforeMs: 60_000 })).toMatchObject({ ok: false, code: ErrorCode.INVALID_TIMESTAMP, records: [{ index: 1 }] });
  });

  it('message.timestamp.difference.max.ms bounds both sides; -1 (no timestamp) is never checked', async () => {
    const b = () => buildBatchSync([{ key: 'a', timestamp: now - 2000 }, { key: 'b', timestamp: now + 2000 }, { key: 'c', timestamp: -1 }], { baseTimestamp: now - 2000 });
    expect(await check(b(), { maxTimestampDiffMs: 1000 })).toMatchObject({ ok: false, records: [{ index: 0 }, { index: 1 }] });
  });

  it('a keyless record with a bad timestamp on a compacted topic reports the key, the batch INVALID_TIMESTAMP if any timestamp is reported', async () => {
    const b = () => buildBatchSync([{ key: null, timestamp: now + 10_000 }, { key: 'b', timestamp: now + 10_000 }]);
    expect(await check(b(), { compacted: true, maxTimestampAfterMs: 0 })).toMatchObject({ ok: false, code: ErrorCode.INVALID_TIMESTAMP, records: [{ index: 0, message: expect.stringMatching(/without key/) }, { index: 1, message: expect.stringMatching(/out of range/) }] });
  });

  it('does not check LogAppendTime topics', async () => {
    const b = buildBatchSync(records(['a'], now + 10 * 3600_000));
    expect(await check(b, { maxTimestampAfterMs: 3600_000, logAppendTime: true })).toMatchObject({ ok: true });
  });
});

describe('a LogAppendTime bit set by the producer', () => {
  const lat = (maxTimestamp: number) => frameBatch(goodRecords(2), { recordCount: 2, baseTimestamp: 1000, maxTimestamp, attributes: 0x08 });

  it('is refused on a LogAppendTime topic, every record named', async () => {
    expect(await check(await lat(5000), { logAppendTime: true })).toMatchObject({ ok: false, code: ErrorCode.INVALID_TIMESTAMP, records: [{ index: 0 }, { index: 1 }] });
  });

  it('on a CreateTime topic: refused without a timestamp, else cleared with maxTimestamp kept (Kafka reads every record at maxTimestamp)', async () => {
    expect(await check(await lat(-1))).toMatchObject({ ok: false, code: ErrorCode.INVALID_TIMESTAMP, records: [{ index: 0 }, { index: 1 }] });
    expect(await check(await lat(5000), { now: 10_000_000, maxTimestampBeforeMs: 1000 })).toMatchObject({ ok: false, code: ErrorCode.INVALID_TIMESTAMP });
    const huge = await frameBatch(goodRecords(1), { recordCount: 1, baseTimestamp: 1000, maxTimestamp: 0, attributes: 0x08 });
    huge.writeBigInt64BE(0x7fffffffffffffffn, 35);
    const { restampCrc } = await import('../../../protocol/records/batch.js');
    restampCrc(huge);
    expect(await check(huge)).toMatchObject({ ok: false, code: ErrorCode.INVALID_TIMESTAMP });
    const b = await lat(5000);
    expect(await check(b)).toMatchObject({ ok: true });
    expect(batch.attributes(b) & 0x08).toBe(0);
    expect(batch.maxTimestamp(b)).toBe(5000);
    expect(batchCrcValid(b)).toBe(true);
  });
});

describe('the header maxTimestamp is repaired on CreateTime topics', () => {
  it('sarama 1.22 writes -1: set to the largest record timestamp, CRC recomputed, in every codec', async () => {
    const block = Buffer.concat([encodeRecord({ offsetDelta: 0, timestampDelta: 5 }), encodeRecord({ offsetDelta: 1, timestampDelta: 2 })]);
    for (const compression of CODECS) {
      const b = await frameBatch(block, { recordCount: 2, maxTimestamp: -1, compression });
      expect(await check(b)).toMatchObject({ ok: true });
      expect(batch.maxTimestamp(b)).toBe(BASE_TIMESTAMP + 5);
      expect(batchCrcValid(b)).toBe(true);
    }
  });

  it('a header maxTimestamp above every record is lowered too (as Kafka does)', async () => {
    const b = await frameBatch(goodRecords(3), { recordCount: 3, maxTimestamp: BASE_TIMESTAMP + 99 });
    await check(b);
    expect(batch.maxTimestamp(b)).toBe(BASE_TIMESTAMP + 2);
    expect(batchCrcValid(b)).toBe(true);
  });

  it('a correct header is left alone (no CRC pass), and LogAppendTime topics are stamped on append instead', async () => {
    const b = await frameBatch(goodRecords(3), { recordCount: 3, maxTimestamp: -1 });
    const copy = Buffer.from(b);
    await check(b, { logAppendTime: true });
    expect(b).toEqual(copy);
    const ok = buildBatchSync(records(['a', 'b']));
    const before = Buffer.from(ok);
    await check(ok);
    expect(ok).toEqual(before);
  });

  it('a refused batch is not modified', async () => {
    const b = await frameBatch(Buffer.concat([goodRecords(1), Buffer.from([0])]), { recordCount: 1, maxTimestamp: -1 });
    const copy = Buffer.from(b);
    expect((await check(b)).ok).toBe(false);
    expect(b).toEqual(copy);
  });
});

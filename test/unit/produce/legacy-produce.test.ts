/**
 * Produce v0-v2 message sets (message format v0/v1) converted to one RecordBatch v2
 * (src/produce/legacy-produce.ts upConvert): records, timestamps and codec as Kafka's LogValidator
 * up-converts them, and Kafka's error for each malformed input.
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { BATCH_HEADER_SIZE, batch, CompressionType } from '../../../protocol/records/batch.js';
import { decompress } from '../../../protocol/records/compression.js';
import { readRecords } from '../../../protocol/records/records.js';
import { upConvert } from '../../../src/produce/legacy-produce.js';
import { gzipWrapper, legacyMessage, legacyMessageSet } from '../../helpers/legacy-messages.js';

const MAX = 1 << 20;

async function converted(set: Buffer, max = MAX) {
  const converted = await upConvert(set, max);
  if (!('batch' in converted)) return converted;
  const b = converted.batch;
  const records = (await readRecords(b)).value!;
  // The records block handed to the record walk is the batch's records, decompressed.
  expect(converted.records.equals(await decompress(batch.compression(b), b.subarray(BATCH_HEADER_SIZE)))).toBe(true);
  return {
    codec: batch.compression(b),
    producerId: batch.producerId(b),
    maxTimestamp: batch.maxTimestamp(b),
    records: records.map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null, batch.baseTimestamp(b) + r.timestampDelta]),
  };
}

describe('message format v0/v1 up-conversion', () => {
  it('magic 0: records in order without timestamps', async () => {
    const set = legacyMessageSet([legacyMessage(0, { key: 'a', value: '1' }), legacyMessage(0, { key: null, value: '2' }), legacyMessage(0, { key: 'c', value: null })]);
    expect(await converted(set)).toEqual({ codec: 0, producerId: -1, maxTimestamp: -1, records: [['a', '1', -1], [null, '2', -1], ['c', null, -1]] });
  });

  it('magic 1: timestamps kept; a gzip wrapper expands in its place and gives the batch its codec', async () => {
    const inner = legacyMessageSet([legacyMessage(1, { value: 'w1', timestamp: 1000 }), legacyMessage(1, { value: 'w2', timestamp: 1005 })]);
    const set = legacyMessageSet([legacyMessage(1, { value: 'before', timestamp: 990 }), gzipWrapper(1, inner, 1005), legacyMessage(1, { value: 'after', timestamp: 1010 })]);
    expect(await converted(set)).toEqual({
      codec: CompressionType.Gzip,
      producerId: -1,
      maxTimestamp: 1010,
      records: [[null, 'before', 990], [null, 'w1', 1000], [null, 'w2', 1005], [null, 'after', 1010]],
    });
  });

  it('refuses what Kafka refuses', async () => {
    const good = legacyMessage(0, { value: 'x' });
    const badCrc = Buffer.from(good);
    badCrc[badCrc.length - 1] ^= 1;
    expect(await converted(legacyMessageSet([badCrc]))).toMatchObject({ code: ErrorCode.CORRUPT_MESSAGE });
    // Truncated: the last message claims more bytes than were sent.
    expect(await converted(legacyMessageSet([good]).subarray(0, 20))).toMatchObject({ code: ErrorCode.CORRUPT_MESSAGE });
    // A wrapper holding a compressed message, or messages of another magic.
    const nested = legacyMessageSet([gzipWrapper(0, legacyMessageSet([good]))]);
    expect(await converted(legacyMessageSet([gzipWrapper(0, nested)]))).toMatchObject({ code: ErrorCode.INVALID_RECORD });
    expect(await converted(legacyMessageSet([gzipWrapper(1, legacyMessageSet([good]))]))).toMatchObject({ code: ErrorCode.INVALID_RECORD });
    // A wrapper whose value does not decompress; zstd (codec 4) with magic 0/1.
    expect(await converted(legacyMessageSet([legacyMessage(0, { value: 'not gzip' }, 1)]))).toMatchObject({ code: ErrorCode.INVALID_RECORD });
    expect(await converted(legacyMessageSet([legacyMessage(1, { value: 'zstd?' }, 4)]))).toMatchObject({ code: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE });
    // Larger than max.message.bytes once converted: refused before the batch is built.
    expect(await upConvert(legacyMessageSet([legacyMessage(0, { value: Buffer.alloc(2000) })]), MAX, 1000)).toMatchObject({ code: ErrorCode.MESSAGE_TOO_LARGE });
    // Decompression bomb: all wrappers together within half of runnel.produce.max.decompressed.bytes.
    const big = legacyMessageSet([legacyMessage(0, { value: Buffer.alloc(100_000) })]);
    expect(zlib.gzipSync(big).length).toBeLessThan(1000);
    expect(await converted(legacyMessageSet([gzipWrapper(0, big)]), 150_000)).toMatchObject({ code: ErrorCode.MESSAGE_TOO_LARGE });
    expect(await converted(legacyMessageSet([gzipWrapper(0, big)]), 300_000)).toMatchObject({ codec: CompressionType.Gzip });
    expect(await converted(legacyMessageSet([gzipWrapper(0, big), gzipWrapper(0, big)]), 300_000)).toMatchObject({ code: ErrorCode.MESSAGE_TOO_LARGE });
  });

  it('many small messages, empty and null keys: sized and written alike', async () => {
    const n = 5000;
    const set = legacyMessageSet(Array.from({ length: n }, (_, i) => legacyMessage(1, { key: i % 3 === 0 ? null : i % 3 === 1 ? '' : `k${i}`, value: `v${i}`, timestamp: 1_700_000_000_000 + (i % 7) * 1000 })));
    const c = await converted(set);
    if (!('records' in c)) throw new Error(JSON.stringify(c));
    expect(c.records).toHaveLength(n);
    expect(c.maxTimestamp).toBe(1_700_000_006_000);
    expect(c.records[4]).toEqual(['', 'v4', 1_700_000_004_000]);
    expect(c.records[3]).toEqual([null, 'v3', 1_700_000_003_000]);
    expect(c.records[5]).toEqual(['k5', 'v5', 1_700_000_005_000]);
    expect(c.records[n - 1]).toEqual(['', `v${n - 1}`, 1_700_000_000_000 + ((n - 1) % 7) * 1000]);
  });
});

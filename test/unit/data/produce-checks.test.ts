/**
 * Produce-time checks that Apache Kafka makes and Runnel matches (see test/differential): keyless
 * records on compacted topics (data/compacted-keys) and CreateTime bounds from
 * message.timestamp.before/after.max.ms (data/batch-validation).
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { CompressionType } from '../../../protocol/records/batch.js';
import { buildBatch, buildBatchSync } from '../../../protocol/records/builder.js';
import { checkCompactedKeys } from '../../../src/data/compacted-keys.js';
import { validateProducedBatch, type BatchLimits } from '../../../src/data/batch-validation.js';

const records = (keys: Array<string | null>, timestamp = 1000) => keys.map((key, i) => ({ key, value: `v${i}`, timestamp: timestamp + i }));

describe('compacted topics refuse keyless records', () => {
  it('accepts a batch whose records all have keys', async () => {
    expect(checkCompactedKeys(buildBatchSync(records(['a', 'b'])), 't', 0)).toBeNull();
    expect(await checkCompactedKeys(await buildBatch(records(['a', 'b']), { compression: CompressionType.Gzip }), 't', 0)).toBeNull();
  });

  it('names the first keyless record, also inside a compressed batch', async () => {
    const plain = checkCompactedKeys(buildBatchSync(records(['a', null, 'c', null])), 'orders', 3);
    expect(plain).toEqual({ code: ErrorCode.INVALID_RECORD, index: 1, message: 'Compacted topic cannot accept message without key in topic partition orders-3.' });
    const zstd = await checkCompactedKeys(await buildBatch(records([null, 'b']), { compression: CompressionType.Zstd }), 'orders', 0);
    expect(zstd).toMatchObject({ code: ErrorCode.INVALID_RECORD, index: 0 });
  });

  it('reports a batch it cannot read as CORRUPT_MESSAGE', () => {
    const b = buildBatchSync(records(['a', 'b']));
    b.writeInt32BE(5, 57); // record count larger than the records present
    expect(checkCompactedKeys(b, 't', 0)).toMatchObject({ code: ErrorCode.CORRUPT_MESSAGE, index: -1 });
  });
});

describe('CreateTime bounds (KIP-937)', () => {
  const now = 10_000_000;
  const limits = (o: Partial<BatchLimits>): BatchLimits => ({ maxMessageBytes: 1 << 20, logAppendTime: false, maxTimestampDiffMs: Number.MAX_SAFE_INTEGER, produceVersion: 9, ...o });

  it('refuses a batch whose newest record is more than after.max.ms ahead', () => {
    const b = buildBatchSync(records(['a', 'b'], now + 5000));
    expect(validateProducedBatch(b, limits({ maxTimestampAfterMs: 10_000 }), now)).toBeNull();
    expect(validateProducedBatch(b, limits({ maxTimestampAfterMs: 5000 }), now)).toMatchObject({ code: ErrorCode.INVALID_TIMESTAMP });
  });

  it('refuses a batch whose first record is more than before.max.ms behind', () => {
    const b = buildBatchSync(records(['a'], now - 60_000));
    expect(validateProducedBatch(b, limits({ maxTimestampBeforeMs: 60_000 }), now)).toBeNull();
    expect(validateProducedBatch(b, limits({ maxTimestampBeforeMs: 59_999 }), now)).toMatchObject({ code: ErrorCode.INVALID_TIMESTAMP });
  });

  it('does not check LogAppendTime topics', () => {
    const b = buildBatchSync(records(['a'], now + 10 * 3600_000));
    expect(validateProducedBatch(b, limits({ maxTimestampAfterMs: 3600_000, logAppendTime: true }), now)).toBeNull();
  });
});

/**
 * How often the produce pipeline decompresses and compresses, counted at the codec module
 * (protocol/records/compression.ts, replaced here by counting wrappers around the real codecs, so
 * every decompression anywhere in the process counts: the record walk, the schema check,
 * recompression). A compressed batch on a compacted, schema-validated, recompressing topic is
 * decompressed exactly once, and each later stage reads that same block; an uncompressed batch is
 * never decompressed or copied; a batch refused before its records is never decompressed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import type { ProduceResponse } from '../../../protocol/generated/index.js';
import { BATCH_HEADER_SIZE, CompressionType, batch } from '../../../protocol/records/batch.js';
import { ProducedBatch } from '../../../src/produce/produced-batch.js';
import { ProduceScope } from '../../../src/produce/produce-scope.js';
import { runPipeline } from '../../../src/produce/pipeline.js';
import { whenAnswered } from '../../../src/produce/stages/acks.js';
import { fakeBroker, type FakeBroker } from '../handlers/fakes.js';
import { LZ4, PRODUCE, VALUE_POLICY, answers, keyedBatch, produceRequest, recordingSchemas, topicWith } from './helpers.js';

const codec = vi.hoisted(() => ({ decompressions: 0, compressions: 0, blocks: [] as Buffer[] }));

vi.mock('../../../protocol/records/compression.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../protocol/records/compression.js')>();
  return {
    ...real,
    decompress: async (...args: Parameters<typeof real.decompress>) => {
      codec.decompressions++;
      const block = await real.decompress(...args);
      codec.blocks.push(block);
      return block;
    },
    compress: (...args: Parameters<typeof real.compress>) => {
      codec.compressions++;
      return real.compress(...args);
    },
  };
});

/** Counts from here on (building the test's batches compresses too). */
function resetCounts(): void {
  codec.decompressions = 0;
  codec.compressions = 0;
  codec.blocks.length = 0;
}

let b: FakeBroker;
beforeEach(() => {
  b = fakeBroker();
});
afterEach(() => b.close());

describe('the produce pipeline decompresses a batch at most once', () => {
  it('a compressed batch on a compacted topic with schema validation and recompression: one decompression, every stage reads its block', async () => {
    topicWith(b, 't', { schemaValidation: VALUE_POLICY, compressionType: 'zstd' }, true);
    const schemas = recordingSchemas();
    const sent = await keyedBatch(['a', 'b', 'c'], LZ4);
    resetCounts();
    const res = await b.handle<ProduceResponse>(PRODUCE, 9, produceRequest({ t: [[0, sent]] }), { schemas });
    expect(answers(res)['t-0']).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 });
    expect(codec.decompressions).toBe(1);
    // The schema check was given the one decompressed block (never a second decompression)...
    expect(schemas.blocks).toHaveLength(1);
    expect(schemas.blocks[0]).toEqual(codec.blocks[0]);
    // ...and recompression compressed it once, into the topic's codec.
    expect(codec.compressions).toBe(1);
    const p = b.partitions.log('t', 0);
    expect(batch.compression(p.bytes)).toBe(CompressionType.Zstd);
    expect(batch.recordCount(p.bytes)).toBe(3);
  });

  it('the same batch stored as sent (compression.type producer): one decompression, no compression', async () => {
    topicWith(b, 't', { schemaValidation: VALUE_POLICY }, true);
    const schemas = recordingSchemas();
    const sent = await keyedBatch(['a', 'b'], LZ4);
    resetCounts();
    const res = await b.handle<ProduceResponse>(PRODUCE, 9, produceRequest({ t: [[0, sent]] }), { schemas });
    expect(answers(res)['t-0']!.errorCode).toBe(ErrorCode.NONE);
    expect([codec.decompressions, codec.compressions, schemas.blocks.length]).toEqual([1, 0, 1]);
    expect(b.partitions.log('t', 0).bytes.equals(sent)).toBe(true);
  });

  it('an uncompressed batch is never decompressed or copied: appended as sent, before the handler returns', async () => {
    topicWith(b, 't', { schemaValidation: VALUE_POLICY }, true);
    const schemas = recordingSchemas();
    const sent = await keyedBatch(['a', 'b']);
    const p = b.partitions.log('t', 0);
    const appended: Buffer[] = [];
    const append = p.append.bind(p);
    p.append = (bytes, epoch) => {
      appended.push(bytes);
      return append(bytes, epoch);
    };
    resetCounts();
    const pending = b.handle<ProduceResponse>(PRODUCE, 9, produceRequest({ t: [[0, sent]] }), { schemas });
    // Offsets assigned synchronously, while the handler ran.
    expect(p.highWatermark).toBe(2);
    expect(answers(await pending)['t-0']!.errorCode).toBe(ErrorCode.NONE);
    expect(appended[0]).toBe(sent);
    // The schema check read the records where they lie, in the request's own buffer.
    expect(schemas.blocks[0]).toEqual(sent.subarray(BATCH_HEADER_SIZE));
    expect([codec.decompressions, codec.compressions]).toEqual([0, 0]);
  });

  it('a batch refused before its records (internal topic, CRC, unknown partition, min ISR) is never decompressed', async () => {
    b.topics.add('__consumer_offsets', 1, true);
    topicWith(b, 't', { minInsyncReplicas: 2 });
    const good = await keyedBatch(['a'], LZ4);
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length - 1]! ^= 0xff;
    resetCounts();
    const res = await b.handle<ProduceResponse>(PRODUCE, 9, produceRequest({ __consumer_offsets: [[0, good]], t: [[0, corrupt], [3, good]] }));
    expect(answers(res)).toMatchObject({
      '__consumer_offsets-0': { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION },
      't-0': { errorCode: ErrorCode.CORRUPT_MESSAGE },
      't-3': { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
    });
    const isr = await b.handle<ProduceResponse>(PRODUCE, 9, produceRequest({ t: [[0, good]] }));
    expect(answers(isr)['t-0']!.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(codec.decompressions).toBe(0);
  });

  it('a keyless record on a compacted topic refuses the batch after the one decompression; the schema check and recompression never run', async () => {
    topicWith(b, 't', { schemaValidation: VALUE_POLICY, compressionType: 'zstd' }, true);
    const schemas = recordingSchemas();
    const sent = await keyedBatch(['a', 'b', 'c'], { ...LZ4, keys: ['k0', null, 'k2'] });
    resetCounts();
    const res = await b.handle<ProduceResponse>(PRODUCE, 9, produceRequest({ t: [[0, sent]] }), { schemas });
    expect(answers(res)['t-0']).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD, baseOffset: -1, logStartOffset: 0, recordErrors: [1] });
    expect([codec.decompressions, codec.compressions, schemas.blocks.length]).toEqual([1, 0, 0]);
    expect(b.partitions.get('t', 0)!.highWatermark).toBe(0);
  });

  it('a schema rejection refuses the batch with record_errors and skips recompression', async () => {
    topicWith(b, 't', { schemaValidation: VALUE_POLICY, compressionType: 'zstd' });
    const schemas = recordingSchemas({ code: ErrorCode.INVALID_RECORD, index: 1, message: 'unknown schema id 9' });
    const sent = await keyedBatch(['a', 'b'], LZ4);
    resetCounts();
    const res = await b.handle<ProduceResponse>(PRODUCE, 9, produceRequest({ t: [[0, sent]] }), { schemas });
    expect(answers(res)['t-0']).toEqual({
      errorCode: ErrorCode.INVALID_RECORD,
      baseOffset: -1,
      logStartOffset: 0,
      errorMessage: 'One or more records have been rejected: unknown schema id 9',
      recordErrors: [1],
    });
    expect([codec.decompressions, codec.compressions]).toEqual([1, 0]);
  });

  it('a batch decompressing past runnel.produce.max.decompressed.bytes is MESSAGE_TOO_LARGE, with record_errors', async () => {
    topicWith(b, 't', { maxDecompressedBytes: 1000 });
    const bomb = await keyedBatch(['x'.repeat(50_000)], { compression: CompressionType.Gzip });
    resetCounts();
    const res = await b.handle<ProduceResponse>(PRODUCE, 9, produceRequest({ t: [[0, bomb]] }));
    expect(answers(res)['t-0']).toMatchObject({ errorCode: ErrorCode.MESSAGE_TOO_LARGE, logStartOffset: 0, recordErrors: [] });
    expect(codec.decompressions).toBe(1);
  });

  it('the records view is dropped once the last stage read it, and a compressed batch cannot be read before its decompression', async () => {
    topicWith(b, 't', { schemaValidation: VALUE_POLICY, compressionType: 'zstd' }, true);
    const scope = new ProduceScope(b.ctx(PRODUCE, 9, { schemas: recordingSchemas() }), 9, produceRequest({}));
    const pb = new ProducedBatch(scope.topic('t'), 0, await keyedBatch(['a'], LZ4));
    pb.readHeader();
    expect(() => pb.records()).toThrow(/before decompress/);
    const fresh = new ProducedBatch(scope.topic('t'), 0, await keyedBatch(['a'], LZ4));
    runPipeline(scope, fresh);
    expect(fresh.appending).not.toBeNull();
    await whenAnswered(fresh, 5000);
    expect(fresh.failed).toBe(false);
    expect(fresh.recordsHeld).toBe(false);
  });
});

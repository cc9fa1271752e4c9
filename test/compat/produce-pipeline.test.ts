/**
 * Issue 15 item 4, over a real socket: a compressed batch goes through every produce stage that
 * reads records — the record walk (keys on a compacted topic), schema validation against the
 * broker's registry, recompression to the topic's compression.type — on one decompression.
 * Decompressions are counted at the codec module (every call passes through to the real codec),
 * in the broker running in this process. Refusals by the walk or by the schema check cost the same
 * one decompression, name their records, and store nothing.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { CompressionType, batch } from '../../protocol/records/batch.js';
import { buildBatch } from '../../protocol/records/builder.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { createTopicsReady, fetch, produceOne } from '../differential/requests.js';

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

const TOPIC = 'pipeline-once';
let broker: TestBroker;
let c: RawClient;
let schemaId: number;

beforeAll(async () => {
  broker = await startTestBroker();
  c = await RawClient.connect(broker.host, broker.port);
  const res = await globalThis.fetch(`${broker.schemaRegistryUrl}/subjects/${TOPIC}-value/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: '"string"' }),
  });
  expect(res.status).toBe(200);
  schemaId = ((await res.json()) as { id: number }).id;
  await createTopicsReady(c, [{ name: TOPIC, configs: { 'cleanup.policy': 'compact', 'confluent.value.schema.validation': 'true', 'compression.type': 'lz4' } }]);
});

afterAll(async () => {
  c?.close();
  await broker?.cleanup();
});

/** An Avro string in Confluent's wire format: magic 0, the schema id, then the zig-zag length and the bytes. */
function wire(s: string): Buffer {
  const head = Buffer.alloc(5);
  head.writeInt32BE(schemaId, 1);
  return Buffer.concat([head, Buffer.from([Buffer.byteLength(s) * 2]), Buffer.from(s)]);
}

const gzipBatch = (records: Array<{ key: string | null; value: Buffer }>): Promise<Buffer> =>
  buildBatch(
    records.map((r, i) => ({ ...r, timestamp: Date.now() + i })),
    { compression: CompressionType.Gzip },
  );

async function storedBatches(): Promise<Buffer[]> {
  const f = await fetch(c, [{ topic: TOPIC, partition: 0, offset: 0 }]);
  const bytes: Buffer = f.responses[0].partitions[0].records ?? Buffer.alloc(0);
  const out: Buffer[] = [];
  for (let at = 0; at + 61 <= bytes.length; at += batch.totalSize(bytes, at)) out.push(bytes.subarray(at, at + batch.totalSize(bytes, at)));
  return out;
}

describe('one decompression per produced batch', () => {
  it('a gzip batch on a compacted, schema-validated topic that stores lz4 is decompressed once and stored recompressed', async () => {
    const sent = await gzipBatch([
      { key: 'a', value: wire('one') },
      { key: 'b', value: wire('two') },
      { key: 'c', value: wire('three') },
    ]);
    decompressCalls.n = 0;
    const p = await produceOne(c, TOPIC, 0, sent);
    expect([p.errorCode, p.baseOffset]).toEqual([ErrorCode.NONE, 0]);
    expect(decompressCalls.n).toBe(1);
    const [stored] = await storedBatches();
    expect(batch.compression(stored!)).toBe(CompressionType.Lz4);
    expect(batch.recordCount(stored!)).toBe(3);
  });

  it('a record failing the schema refuses the batch after that one decompression', async () => {
    const sent = await gzipBatch([
      { key: 'a', value: wire('ok') },
      { key: 'b', value: Buffer.from('not in the wire format') },
    ]);
    decompressCalls.n = 0;
    const p = await produceOne(c, TOPIC, 0, sent);
    expect(p.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(p.recordErrors.map((e: { batchIndex: number }) => e.batchIndex)).toEqual([1]);
    expect(p.logStartOffset).toBe(0);
    expect(decompressCalls.n).toBe(1);
    expect(await storedBatches()).toHaveLength(1);
  });

  it('a keyless record is refused by the walk: one decompression, the schema check and recompression never run', async () => {
    const sent = await gzipBatch([
      { key: 'a', value: wire('ok') },
      { key: null, value: Buffer.from('neither a key nor the wire format') },
    ]);
    decompressCalls.n = 0;
    const p = await produceOne(c, TOPIC, 0, sent);
    expect(p.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(p.recordErrors).toEqual([{ batchIndex: 1, batchIndexErrorMessage: `Compacted topic cannot accept message without key in topic partition ${TOPIC}-0.` }]);
    expect(decompressCalls.n).toBe(1);
    const next = await produceOne(c, TOPIC, 0, await gzipBatch([{ key: 'z', value: wire('last') }]));
    expect([next.errorCode, next.baseOffset]).toEqual([ErrorCode.NONE, 3]);
  });
});

/**
 * Differential tests, the records inside produced batches: CRC-valid batches whose records do not
 * match their header (garbage, wrong counts, overrunning lengths, offset deltas out of order) in
 * every codec, the sarama 1.22 batch whose maxTimestamp is -1 (Kafka recomputes it; ListOffsets by
 * timestamp must then find its records), a producer-set LogAppendTime bit, and per-record timestamp
 * limits. Each scenario runs against Runnel and Apache Kafka; observations must be equal or differ
 * only as test/differential/known-differences.ts says.
 */
import { describe, it } from 'vitest';
import { CompressionType, batch as header, restampCrc } from '../../protocol/records/batch.js';
import { codecName } from '../../protocol/records/compression.js';
import { readRecords } from '../../protocol/records/records.js';
import { apacheKafkaAvailable } from '../helpers/apache-kafka.js';
import { BASE_TIMESTAMP, encodeRecord, frameBatch, goodRecords, malformedBatches } from '../helpers/malformed-batches.js';
import { err, expectSame, msg, normalise, usePair, uniq, withRaw } from './harness.js';
import { createTopicsReady, fetch, listOffsets, produceOne } from './requests.js';
import type { RawClient } from '../helpers/raw-client.js';

const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

const shape = (p: any) => ({ errorCode: err(p.errorCode), baseOffset: p.baseOffset, logStartOffset: p.logStartOffset, recordErrors: p.recordErrors.map((e: any) => e.batchIndex), errorMessage: msg(p.errorMessage) });
/** The same, where the offsets assigned depend on which earlier batches each side accepted. */
const accepted = (p: any) => ({ ...shape(p), baseOffset: p.baseOffset < 0 ? p.baseOffset : 'assigned' });

async function endOffset(c: RawClient, topic: string): Promise<number> {
  return (await listOffsets(c, topic, [{ partition: 0, timestamp: -1 }])).topics[0].partitions[0].offset;
}

/** What a consumer reads back from offset 0: per batch its header timestamps and record offsets/timestamps. */
async function readBack(c: RawClient, topic: string): Promise<unknown> {
  const f = await fetch(c, [{ topic, partition: 0, offset: 0 }]);
  const bytes: Buffer = f.responses[0].partitions[0].records ?? Buffer.alloc(0);
  const out: unknown[] = [];
  for (let at = 0; at + 61 <= bytes.length; ) {
    const size = header.totalSize(bytes, at);
    const b = bytes.subarray(at, at + size);
    const r = await readRecords(b, { allowOffsetGaps: true });
    out.push({
      baseOffset: header.baseOffset(b),
      lastOffset: header.lastOffset(b),
      logAppendTime: (header.attributes(b) & 0x08) !== 0,
      maxTimestamp: header.maxTimestamp(b),
      records: r.error ?? r.value!.map((x) => ({ offset: header.baseOffset(b) + x.offsetDelta, timestamp: header.baseTimestamp(b) + x.timestampDelta })),
    });
    at += size;
  }
  return out;
}

describe.skipIf(!apacheKafkaAvailable())('differential: records of produced batches', () => {
  const pair = usePair();

  it('malformed records in every codec are refused and nothing is stored', async () => {
    const topic = uniq('malformed');
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        await createTopicsReady(c, [{ name: topic }]);
        const out: Record<string, unknown> = {};
        for (const codec of CODECS) {
          for (const [name, make] of Object.entries(malformedBatches(codec))) {
            out[`${codecName(codec)}/${name}`] = accepted(await produceOne(c, topic, 0, await make()));
          }
        }
        out.endOffset = await endOffset(c, topic);
        return normalise(out);
      }),
    );
    expectSame('produce-malformed-records', obs);
  });

  it('odd batches: offset gaps, key lengths below -1, record attributes, garbage compressed payloads', async () => {
    const topic = uniq('odd');
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        await createTopicsReady(c, [{ name: topic }]);
        const out: Record<string, unknown> = {};
        const gaps = Buffer.concat([encodeRecord({ offsetDelta: 0 }), encodeRecord({ offsetDelta: 2, timestampDelta: 1 })]);
        out.gapsNone = accepted(await produceOne(c, topic, 0, await frameBatch(gaps, { recordCount: 2 })));
        out.gapsGzip = accepted(await produceOne(c, topic, 0, await frameBatch(gaps, { recordCount: 2, compression: CompressionType.Gzip })));
        out.keyLengthMinus5 = accepted(await produceOne(c, topic, 0, await frameBatch(encodeRecord({ offsetDelta: 0, key: { length: -5 } }), { recordCount: 1 })));
        out.recordAttributes = accepted(await produceOne(c, topic, 0, await frameBatch(encodeRecord({ offsetDelta: 0, attributes: 0x7f }), { recordCount: 1 })));
        for (const codec of CODECS.slice(1)) {
          const b = await frameBatch(goodRecords(2), { recordCount: 2, compression: codec });
          b.fill(0x5a, 61 + 4);
          restampCrc(b, 0, b.length);
          out[`garbagePayload/${codecName(codec)}`] = accepted(await produceOne(c, topic, 0, b));
        }
        return normalise(out);
      }),
    );
    expectSame('produce-odd-records', obs);
  });

  it('maxTimestamp -1 (sarama 1.22) is recomputed: ListOffsets by timestamp finds the records', async () => {
    const topic = uniq('sarama');
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        await createTopicsReady(c, [{ name: topic }]);
        const out: Record<string, unknown> = {};
        // Offsets 0-2 at BASE+0,+1,+2; 3-5 (gzip) at BASE+10,+11,+12, all with maxTimestamp -1.
        const block = (at: number) => Buffer.concat([0, 1, 2].map((i) => encodeRecord({ offsetDelta: i, timestampDelta: at + i })));
        out.p1 = shape(await produceOne(c, topic, 0, await frameBatch(block(0), { recordCount: 3, maxTimestamp: -1 })));
        out.p2 = shape(await produceOne(c, topic, 0, await frameBatch(block(10), { recordCount: 3, maxTimestamp: -1, compression: CompressionType.Gzip })));
        // Header maxTimestamp larger than any record: Kafka rewrites it down too.
        out.p3 = shape(await produceOne(c, topic, 0, await frameBatch(block(20), { recordCount: 3, maxTimestamp: BASE_TIMESTAMP + 99 })));
        for (const ts of [-3, BASE_TIMESTAMP, BASE_TIMESTAMP + 1, BASE_TIMESTAMP + 5, BASE_TIMESTAMP + 12, BASE_TIMESTAMP + 22, BASE_TIMESTAMP + 23]) {
          const p = (await listOffsets(c, topic, [{ partition: 0, timestamp: ts }])).topics[0].partitions[0];
          out[`byTime/${ts === -3 ? 'max' : ts - BASE_TIMESTAMP}`] = { errorCode: err(p.errorCode), offset: p.offset, timestamp: p.timestamp };
        }
        out.readBack = await readBack(c, topic);
        return normalise(out);
      }),
    );
    expectSame('produce-max-timestamp', obs);
  });

  it('timestamps: per-record limits and a producer-set LogAppendTime bit', async () => {
    const recent = uniq('ts-recent');
    const lat = uniq('ts-lat');
    const plain = uniq('ts-plain');
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        await createTopicsReady(c, [
          { name: recent, configs: { 'message.timestamp.before.max.ms': '60000' } },
          { name: lat, configs: { 'message.timestamp.type': 'LogAppendTime' } },
          { name: plain },
        ]);
        const now = Date.now();
        const out: Record<string, unknown> = {};
        // Header timestamps fine (first and newest), the middle record an hour old.
        const middleOld = Buffer.concat([encodeRecord({ offsetDelta: 0 }), encodeRecord({ offsetDelta: 1, timestampDelta: -3_600_000 }), encodeRecord({ offsetDelta: 2, timestampDelta: 2 })]);
        out.middleOld = shape(await produceOne(c, recent, 0, await frameBatch(middleOld, { recordCount: 3, baseTimestamp: now, maxTimestamp: now + 2 })));
        const twoOld = Buffer.concat([0, 1, 2].map((i) => encodeRecord({ offsetDelta: i, timestampDelta: i === 1 ? 0 : -3_600_000 })));
        out.twoOld = shape(await produceOne(c, recent, 0, await frameBatch(twoOld, { recordCount: 3, baseTimestamp: now, maxTimestamp: now })));
        out.latBitOnLatTopic = shape(await produceOne(c, lat, 0, await frameBatch(goodRecords(2), { recordCount: 2, baseTimestamp: now, attributes: 0x08 })));
        out.latBitOnCreateTimeTopic = shape(await produceOne(c, plain, 0, await frameBatch(goodRecords(2), { recordCount: 2, baseTimestamp: 1000, maxTimestamp: 5000, attributes: 0x08 })));
        out.latBitNoTimestamp = shape(await produceOne(c, plain, 0, await frameBatch(goodRecords(2), { recordCount: 2, baseTimestamp: -1, maxTimestamp: -1, attributes: 0x08 })));
        out.readBackPlain = await readBack(c, plain);
        return normalise(out);
      }),
    );
    expectSame('produce-record-timestamps', obs);
  });
});

/**
 * Produce (key 0) against fakes: offsets assigned in order, per-partition errors (unknown
 * partition, internal topic, low disk, unsupported version, bad acks), idempotent duplicates
 * answered with their original offsets, acks=0 answering nothing, and the data-path metrics.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { newProduceRequest, newProduceRequestPartition, newProduceRequestTopic, type ProduceResponse } from '../../../protocol/generated/index.js';
import { batch } from '../../../protocol/records/batch.js';
import { fakeBroker, records, type FakeBroker } from './fakes.js';

const PRODUCE = 0;

function produce(topics: Record<string, Array<[number, Buffer | null]>>, acks = -1) {
  return newProduceRequest({
    acks,
    timeoutMs: 5000,
    topicData: Object.entries(topics).map(([name, parts]) => newProduceRequestTopic({ name, partitionData: parts.map(([index, r]) => newProduceRequestPartition({ index, records: r })) })),
  });
}

/** The response's partitions as "topic-partition" → { errorCode, baseOffset, logStartOffset }. */
function outcome(res: ProduceResponse): Record<string, { errorCode: number; baseOffset: number; logStartOffset: number }> {
  const out: Record<string, { errorCode: number; baseOffset: number; logStartOffset: number }> = {};
  for (const t of res.responses) for (const p of t.partitionResponses) out[`${t.name}-${p.index}`] = { errorCode: p.errorCode, baseOffset: p.baseOffset, logStartOffset: p.logStartOffset };
  return out;
}

let b: FakeBroker;
afterEach(() => b?.close());

describe('Produce', () => {
  it('appends batches in order and answers each partition with its base offset', async () => {
    b = fakeBroker();
    b.topics.add('t', 2);
    const first = await b.handle<ProduceResponse>(PRODUCE, 9, produce({ t: [[0, records(['a', 'b', 'c'])], [1, records(['x'])]] }));
    expect(outcome(first)).toEqual({ 't-0': { errorCode: 0, baseOffset: 0, logStartOffset: 0 }, 't-1': { errorCode: 0, baseOffset: 0, logStartOffset: 0 } });
    const second = await b.handle<ProduceResponse>(PRODUCE, 9, produce({ t: [[0, records(['d'])]] }));
    expect(outcome(second)['t-0']).toMatchObject({ errorCode: 0, baseOffset: 3 });
    expect(b.partitions.get('t', 0)!.highWatermark).toBe(4);
    const p0 = b.partitions.log('t', 0);
    // The offset is stamped into the stored batch; its records are stored as sent.
    expect(p0.batches.map((s) => s.base)).toEqual([0, 3]);
    expect(batch.baseOffset(p0.bytes, p0.batches[1]!.position)).toBe(3);
    expect(b.metrics.messages.get('t')).toBe(5); // 4 on t-0, 1 on t-1
  });

  it('answers an unknown topic or partition with UNKNOWN_TOPIC_OR_PARTITION, the others still succeed', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    const res = await b.handle<ProduceResponse>(PRODUCE, 9, produce({ t: [[0, records(['a'])], [5, records(['b'])]], nope: [[0, records(['c'])]] }));
    expect(outcome(res)).toEqual({
      't-0': { errorCode: ErrorCode.NONE, baseOffset: 0, logStartOffset: 0 },
      't-5': { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1, logStartOffset: -1 },
      'nope-0': { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1, logStartOffset: -1 },
    });
  });

  it('refuses appends to the broker-state topics and while the disk is low', async () => {
    b = fakeBroker();
    b.topics.add('__consumer_offsets', 1, true);
    b.topics.add('t', 1);
    const internal = await b.handle<ProduceResponse>(PRODUCE, 9, produce({ __consumer_offsets: [[0, records(['a'])]] }));
    expect(outcome(internal)['__consumer_offsets-0']!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    b.partitions.appendRefusal = 'free space below runnel.log.dir.min.free.bytes';
    const low = await b.handle<ProduceResponse>(PRODUCE, 9, produce({ t: [[0, records(['a'])]] }));
    expect(outcome(low)['t-0']!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(b.partitions.get('t', 0)!.highWatermark).toBe(0);
  });

  it('takes a RecordBatch v2 in Produce v0-v2 (as Kafka 2.x did) and answers invalid acks with INVALID_REQUIRED_ACKS', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    const acks = await b.handle<ProduceResponse>(PRODUCE, 9, produce({ t: [[0, records(['a'])]] }, 2));
    expect(outcome(acks)['t-0']!.errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
    expect(b.partitions.get('t', 0)!.highWatermark).toBe(0);
    const old = await b.handle<ProduceResponse>(PRODUCE, 2, produce({ t: [[0, records(['a'])]] }));
    expect(outcome(old)['t-0']!.errorCode).toBe(ErrorCode.NONE);
    expect(b.partitions.get('t', 0)!.highWatermark).toBe(1);
  });

  it('answers a null record set with a per-partition error, not a crash', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    const res = await b.handle<ProduceResponse>(PRODUCE, 9, produce({ t: [[0, null]] }));
    expect(outcome(res)['t-0']!.errorCode).not.toBe(ErrorCode.NONE);
  });

  it('answers an idempotent retry with the original offsets and appends nothing', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    const idem = { producerId: 7, producerEpoch: 0, baseSequence: 0 };
    const first = await b.handle<ProduceResponse>(PRODUCE, 9, produce({ t: [[0, records(['a', 'b'], idem)]] }));
    expect(outcome(first)['t-0']).toMatchObject({ errorCode: 0, baseOffset: 0 });
    const next = await b.handle<ProduceResponse>(PRODUCE, 9, produce({ t: [[0, records(['c'], { ...idem, baseSequence: 2 })]] }));
    expect(outcome(next)['t-0']).toMatchObject({ errorCode: 0, baseOffset: 2 });
    const retry = await b.handle<ProduceResponse>(PRODUCE, 9, produce({ t: [[0, records(['a', 'b'], idem)]] }));
    expect(outcome(retry)['t-0']).toMatchObject({ errorCode: 0, baseOffset: 0 });
    const gap = await b.handle<ProduceResponse>(PRODUCE, 9, produce({ t: [[0, records(['z'], { ...idem, baseSequence: 9 })]] }));
    expect(outcome(gap)['t-0']!.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(b.partitions.get('t', 0)!.highWatermark).toBe(3);
  });

  it('sends no response for acks=0, and closes the connection when a partition failed', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    expect(await b.handle(PRODUCE, 9, produce({ t: [[0, records(['a'])]] }, 0))).toBeNull();
    await new Promise((r) => setImmediate(r));
    expect(b.partitions.get('t', 0)!.highWatermark).toBe(1);
    expect(b.conn.closed).toBe(false);
    expect(await b.handle(PRODUCE, 9, produce({ nope: [[0, records(['a'])]] }, 0))).toBeNull();
    await new Promise((r) => setImmediate(r));
    expect(b.conn.closed).toBe(true);
    expect(b.conn.closeReason).toContain('UNKNOWN_TOPIC_OR_PARTITION');
  });
});

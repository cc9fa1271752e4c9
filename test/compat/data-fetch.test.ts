/**
 * Issue 4 acceptance, the read side as Kafka users meet it:
 * - long poll: a fetch parked with max_wait 5 s at the end of a partition answers within 50 ms of
 *   a produce to that partition from another connection (raw Fetch v12, and kafkajs's Fetch);
 * - a fetch at an offset out of range: the broker answers OFFSET_OUT_OF_RANGE and the consumers'
 *   auto.offset.reset (earliest / latest) takes over (librdkafka, kafka-python, kcat);
 * - DeleteRecords (kafkajs admin), then every client consuming from earliest starts at the new log
 *   start; a fetch at log start == high watermark of an emptied partition is not out of range;
 * - ListOffsets by timestamp: kafkajs fetchTopicOffsetsByTimestamp, kcat -o s@<ts>,
 *   offsets_for_times in both Python clients;
 * - LogAppendTime topics: every client sees the broker's append time, flagged as LogAppendTime.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startTestBroker, tempDir, removeDir, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { python } from '../helpers/clients.js';
import { ErrorCode } from '../../protocol/errors.js';
import { buildBatch, buildBatchSync } from '../../protocol/records/builder.js';
import { Reader } from '../../protocol/primitives.js';
import { readResponseHeader } from '../../protocol/headers.js';
import { API_CODECS, type FetchResponse } from '../../protocol/generated/index.js';
import {
  kafkajs,
  kafkajsCluster,
  kafkajsFetch,
  kafkajsProduce,
  kcatConsume,
  kcatProduce,
  pyConsume,
  pyConsumeRecords,
  rawFetch,
  rawFetchFrame,
  rawProduce,
  storedBatches,
} from '../../bench/data-path/clients.js';

let broker: TestBroker;
let work: string;

beforeAll(async () => {
  broker = await startTestBroker();
  work = tempDir('dp-fetch');
  const admin = kafkajs(broker.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'lp', numPartitions: 2 },
      { topic: 'oor', numPartitions: 1 },
      { topic: 'dr', numPartitions: 2 },
      { topic: 'ts', numPartitions: 1 },
      { topic: 'ts-z', numPartitions: 1 },
      { topic: 'lat', numPartitions: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] },
    ],
  });
  await admin.disconnect();
});

afterAll(async () => {
  await broker?.cleanup();
  if (work) removeDir(work);
});

function decodeFetch(frame: Buffer): FetchResponse {
  const r = new Reader(frame);
  readResponseHeader(r, true);
  return API_CODECS.get(1)!.decodeResponse(r, 12) as FetchResponse;
}

/**
 * Latency from sending the produce to receiving the parked fetch's answer, per trial. The goal is
 * 50 ms; on a loaded 2-core CI machine (other test files run beside this one, the broker shares
 * this process's event loop) one trial may be slow, but none may look like polling or a timeout.
 */
function expectWoken(latencies: number[], allowedSlow: number): void {
  const text = `latencies ${latencies.map((l) => l.toFixed(1)).join(' ')} ms`;
  expect(latencies.filter((l) => l >= 50).length, text).toBeLessThanOrEqual(allowedSlow);
  expect(Math.max(...latencies), text).toBeLessThan(500);
}

describe('long poll', () => {
  it('a fetch waiting 5 s answers within 50 ms of a produce on another connection (raw)', async () => {
    const fetcher = await RawClient.connect(broker.host, broker.port);
    const producer = await RawClient.connect(broker.host, broker.port);
    try {
      const latencies: number[] = [];
      let offset = 0;
      for (let trial = 0; trial < 8; trial++) {
        const sentAt = performance.now();
        fetcher.write(rawFetchFrame('lp', 0, offset, 5000, 1000 + trial));
        const answer = fetcher.readFrame(10_000).then((f) => ({ f, at: performance.now() }));
        await new Promise((r) => setTimeout(r, 100 + trial * 20));
        const produceAt = performance.now();
        const p = await rawProduce(producer, 'lp', 0, buildBatchSync([{ key: 'k', value: `lp-${trial}` }]), 1);
        expect(p.errorCode).toBe(ErrorCode.NONE);
        const { f, at } = await answer;
        expect(f).not.toBeNull();
        const res = decodeFetch(f!);
        const part = res.responses[0]!.partitions[0]!;
        expect(part.errorCode).toBe(ErrorCode.NONE);
        expect(part.highWatermark).toBe(offset + 1);
        expect((part.records as Buffer).length).toBeGreaterThan(0);
        expect(at - sentAt).toBeGreaterThan(100); // it did wait for the produce
        latencies.push(at - produceAt);
        offset++;
      }
      expectWoken(latencies, 1);
    } finally {
      fetcher.close();
      producer.close();
    }
  });

  it('a produce to another partition does not end the wait; max_wait does', async () => {
    const fetcher = await RawClient.connect(broker.host, broker.port);
    const producer = await RawClient.connect(broker.host, broker.port);
    try {
      const hw = (await rawFetch(fetcher, 'lp', 1, 0)).responses[0]!.partitions[0]!.highWatermark;
      const sentAt = performance.now();
      fetcher.write(rawFetchFrame('lp', 1, hw, 600, 77));
      const answer = fetcher.readFrame(10_000).then((f) => ({ f, at: performance.now() }));
      await new Promise((r) => setTimeout(r, 100));
      expect((await rawProduce(producer, 'lp', 0, buildBatchSync([{ value: 'other' }]), 1)).errorCode).toBe(ErrorCode.NONE);
      const { f, at } = await answer;
      expect(at - sentAt).toBeGreaterThanOrEqual(590);
      expect(at - sentAt).toBeLessThan(1500);
      const part = decodeFetch(f!).responses[0]!.partitions[0]!;
      expect(part.errorCode).toBe(ErrorCode.NONE);
      expect((part.records as Buffer).length).toBe(0);
    } finally {
      fetcher.close();
      producer.close();
    }
  });

  it('kafkajs: Fetch with maxWaitTime 5000 answers within 50 ms of a kafkajs produce', async () => {
    const kafka = kafkajs(broker.bootstrap);
    const cluster = kafkajsCluster(kafka);
    await cluster.connect();
    await cluster.addTargetTopic('lp');
    const producer = kafka.producer();
    await producer.connect();
    try {
      const b = await cluster.findBroker({ nodeId: '1' });
      const latencies: number[] = [];
      for (let trial = 0; trial < 5; trial++) {
        const hw = (await rawHighWatermark('lp', 0));
        const fetching = b.fetch({ isolationLevel: 0, maxWaitTime: 5000, minBytes: 1, maxBytes: 1 << 20, topics: [{ topic: 'lp', partitions: [{ partition: 0, fetchOffset: String(hw), maxBytes: 1 << 20 }] }] }).then((res: any) => ({ res, at: performance.now() }));
        await new Promise((r) => setTimeout(r, 150));
        const produceAt = performance.now();
        await producer.send({ topic: 'lp', messages: [{ value: `kjs-${trial}`, partition: 0 }], acks: 1 });
        const { res, at } = await fetching;
        expect(res.responses[0].partitions[0].messages.map((m: any) => m.value.toString())).toEqual([`kjs-${trial}`]);
        latencies.push(at - produceAt);
      }
      expectWoken(latencies, 1);
    } finally {
      await producer.disconnect();
      await cluster.disconnect();
    }
  });
});

async function rawHighWatermark(topic: string, partition: number): Promise<number> {
  const c = await RawClient.connect(broker.host, broker.port);
  try {
    return (await rawFetch(c, topic, partition, 0)).responses[0]!.partitions[0]!.highWatermark;
  } finally {
    c.close();
  }
}

describe('offset out of range', () => {
  beforeAll(async () => {
    const r = await kafkajsProduce(broker.bootstrap, 'oor', { count: 100, prefix: 'oor', partition: 0, chunk: 50 });
    expect(r.acked).toBe(100);
  });

  it('the broker answers OFFSET_OUT_OF_RANGE (raw, kafkajs)', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    try {
      const part = (await rawFetch(c, 'oor', 0, 5000)).responses[0]!.partitions[0]!;
      // Without watermarks (-1), as Apache Kafka answers (test/differential/protocol.test.ts).
      expect(part).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: -1, logStartOffset: -1 });
      // At the high watermark exactly: not out of range, just nothing yet.
      expect((await rawFetch(c, 'oor', 0, 100)).responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    } finally {
      c.close();
    }
    await expect(kafkajsFetch(broker.bootstrap, 'oor', new Map([[0, 5000]]), { expect: 1 })).rejects.toThrow(/not within the range/);
  });

  it.each(['ck', 'kp'] as const)('%s: auto.offset.reset=earliest restarts at the log start', async (client) => {
    const { result, records } = await pyConsumeRecords(client, broker.bootstrap, 'oor', join(work, `oor-${client}.tsv`), { assign: [[0, 5000]], reset: 'earliest', expect: 100, timeoutMs: 20_000 });
    expect(result.count).toBe(100);
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  }, 40_000);

  it('kcat: -o <beyond the end> with auto.offset.reset=earliest reads from the beginning', async () => {
    const recs = await kcatConsume(broker.bootstrap, 'oor', { offset: '5000', props: { 'auto.offset.reset': 'earliest' } });
    expect(recs.map((r) => r.offset)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it.each(['ck', 'kp'] as const)('%s: auto.offset.reset=latest moves to the end', async (client) => {
    // Records keep arriving while the consumer starts: it must begin at the end (offset >= 100),
    // never at 0.
    const producer = kafkajs(broker.bootstrap).producer();
    await producer.connect();
    let stop = false;
    const feeding = (async () => {
      while (!stop) {
        await producer.send({ topic: 'oor', messages: [{ value: 'late', partition: 0 }] });
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    try {
      const { records } = await pyConsumeRecords(client, broker.bootstrap, 'oor', join(work, `oor-late-${client}.tsv`), { assign: [[0, 5000]], reset: 'latest', expect: 2, timeoutMs: 20_000 });
      // librdkafka may hand over a few more than asked for in one consume() call.
      expect(records.length).toBeGreaterThanOrEqual(2);
      expect(records[0]!.offset).toBeGreaterThanOrEqual(100);
      expect(new Set(records.map((r) => r.value))).toEqual(new Set(['late']));
      expect(records.map((r) => r.offset - records[0]!.offset)).toEqual(records.map((_, i) => i));
    } finally {
      stop = true;
      await feeding;
      await producer.disconnect();
    }
  }, 40_000);
});

describe('DeleteRecords then consume from earliest', () => {
  beforeAll(async () => {
    for (const partition of [0, 1]) expect((await kafkajsProduce(broker.bootstrap, 'dr', { count: 100, prefix: `dr${partition}`, partition, chunk: 10 })).acked).toBe(100);
    const admin = kafkajs(broker.bootstrap).admin();
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: ['dr'] }); // kafkajs's deleteTopicRecords needs it loaded
    await admin.deleteTopicRecords({ topic: 'dr', partitions: [{ partition: 0, offset: '40' }, { partition: 1, offset: '-1' }] });
    const offsets = await admin.fetchTopicOffsets('dr');
    await admin.disconnect();
    expect(offsets.map((o) => [o.partition, Number(o.low), Number(o.high)]).sort()).toEqual([
      [0, 40, 100],
      [1, 100, 100],
    ]);
  });

  it('kcat -o beginning starts at the new log start', async () => {
    const recs = await kcatConsume(broker.bootstrap, 'dr');
    expect(recs.map((r) => `${r.partition}/${r.offset}/${r.value}`)).toEqual(Array.from({ length: 60 }, (_, i) => `0/${40 + i}/dr0-${40 + i}`));
  });

  it.each(['ck', 'kp'] as const)('%s from earliest starts at the new log start; an old offset resets to it', async (client) => {
    const { records } = await pyConsumeRecords(client, broker.bootstrap, 'dr', join(work, `dr-${client}.tsv`), { partitions: 2, offset: 'earliest', idleMs: 1500, timeoutMs: 20_000 });
    expect(records.map((r) => `${r.partition}/${r.offset}`)).toEqual(Array.from({ length: 60 }, (_, i) => `0/${40 + i}`));
    const old = await pyConsume(client, broker.bootstrap, 'dr', { assign: [[0, 5]], reset: 'earliest', expect: 60, timeoutMs: 20_000 });
    expect(old.count).toBe(60);
    expect(old.positions['0']).toBe(100);
  }, 40_000);

  it('kafkajs (fetch from log start) and raw fetches at and below the log start', async () => {
    const { records } = await kafkajsFetch(broker.bootstrap, 'dr', new Map([[0, 40], [1, 100]]), { idleMs: 500 });
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 60 }, (_, i) => 40 + i));
    const c = await RawClient.connect(broker.host, broker.port);
    try {
      expect((await rawFetch(c, 'dr', 0, 39)).responses[0]!.partitions[0]!).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: -1 });
      // Emptied partition: offset == log start == high watermark is a plain empty fetch.
      expect((await rawFetch(c, 'dr', 1, 100)).responses[0]!.partitions[0]!).toMatchObject({ errorCode: ErrorCode.NONE, logStartOffset: 100, highWatermark: 100 });
    } finally {
      c.close();
    }
  });
});

describe('ListOffsets by timestamp', () => {
  const tsBase = Date.now() - 3_600_000;
  // 'ts': offsets 0..99 from kafkajs with timestamps 0..99 (ms since the epoch), then offsets
  // 100..199 with timestamps tsBase + 1000 i, raw batches of 10 so that lookups land inside
  // batches. 'ts-z': the same 100 timed records in gzip batches, at offsets 0..99.
  beforeAll(async () => {
    expect((await kafkajsProduce(broker.bootstrap, 'ts', { count: 100, prefix: 'ts', partition: 0, chunk: 10, tsBase: 0, headers: false })).acked).toBe(100);
  });

  beforeAll(async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    try {
      for (const [topic, compression] of [['ts', 0], ['ts-z', 1]] as const) {
        for (let b = 0; b < 10; b++) {
          const records = Array.from({ length: 10 }, (_, k) => ({ value: `t-${b * 10 + k}`, timestamp: tsBase + 1000 * (b * 10 + k) }));
          const r = await rawProduce(c, topic, 0, await buildBatch(records, { compression }), -1);
          expect(r.errorCode).toBe(ErrorCode.NONE);
        }
      }
    } finally {
      c.close();
    }
  });

  const at = (i: number): number => tsBase + 1000 * i;

  it('kafkajs admin.fetchTopicOffsetsByTimestamp finds the first record at or after the time', async () => {
    const admin = kafkajs(broker.bootstrap).admin();
    await admin.connect();
    try {
      expect(await admin.fetchTopicOffsetsByTimestamp('ts', at(55))).toEqual([{ partition: 0, offset: '155' }]);
      expect(await admin.fetchTopicOffsetsByTimestamp('ts', at(55) - 1)).toEqual([{ partition: 0, offset: '155' }]);
      expect(await admin.fetchTopicOffsetsByTimestamp('ts', at(0))).toEqual([{ partition: 0, offset: '100' }]);
      expect(await admin.fetchTopicOffsetsByTimestamp('ts', 50)).toEqual([{ partition: 0, offset: '50' }]);
      // Past the newest record: kafkajs falls back to the high watermark when the broker says -1.
      expect(await admin.fetchTopicOffsetsByTimestamp('ts', at(1000))).toEqual([{ partition: 0, offset: '200' }]);
    } finally {
      await admin.disconnect();
    }
  });

  it('kcat -o s@<ts> starts consuming there', async () => {
    const recs = await kcatConsume(broker.bootstrap, 'ts', { offset: `s@${at(90)}` });
    expect(recs.map((r) => r.offset)).toEqual(Array.from({ length: 10 }, (_, i) => 190 + i));
    expect(recs[0]!.timestamp).toBe(at(90));
  });

  it.each(['ck', 'kp'] as const)('%s offsets_for_times', async (client) => {
    const r = await python<{ offsets: Record<string, unknown> }>('dp_clients.py', { op: 'offsets_for_times', client, bootstrap: broker.bootstrap, topic: 'ts', partitions: 1, timestamp: at(37) });
    expect(r.offsets['0']).toEqual(client === 'ck' ? 137 : [137, at(37)]);
    const none = await python<{ offsets: Record<string, unknown> }>('dp_clients.py', { op: 'offsets_for_times', client, bootstrap: broker.bootstrap, topic: 'ts', partitions: 1, timestamp: at(1000) });
    expect(none.offsets['0']).toEqual(client === 'ck' ? -1 : null);
  }, 30_000);

  // Kafka looks inside compressed batches too (LogSegment.findOffsetByTimestamp iterates the
  // records of each batch); Runnel's PartitionLog.refineInBatch returns the batch's base offset
  // and max timestamp for a compressed batch. Known deviation: remove `.fails` when fixed.
  it('finds the exact record inside a compressed batch', async () => {
    const admin = kafkajs(broker.bootstrap).admin();
    await admin.connect();
    try {
      expect(await admin.fetchTopicOffsetsByTimestamp('ts-z', at(55))).toEqual([{ partition: 0, offset: '55' }]);
    } finally {
      await admin.disconnect();
    }
  });

  it('inside a compressed batch it at least never starts after the record', async () => {
    const admin = kafkajs(broker.bootstrap).admin();
    await admin.connect();
    try {
      const [r] = await admin.fetchTopicOffsetsByTimestamp('ts-z', at(55));
      expect(Number(r!.offset)).toBeGreaterThanOrEqual(50);
      expect(Number(r!.offset)).toBeLessThanOrEqual(55);
    } finally {
      await admin.disconnect();
    }
  });
});

describe('LogAppendTime topic', () => {
  const old = Date.now() - 86_400_000;
  let window: [number, number];

  beforeAll(async () => {
    const t0 = Date.now();
    const r = await kafkajsProduce(broker.bootstrap, 'lat', { count: 50, prefix: 'lat', tsBase: old, chunk: 10 });
    expect(r.acked).toBe(50);
    const k = await kcatProduce(broker.bootstrap, 'lat', { count: 50, prefix: 'latk' });
    expect(k.code).toBe(0);
    window = [t0, Date.now()];
    for (const b of storedBatches(broker.dataDir, 'lat', 0)) {
      expect(b.timestampType).toBe(1);
      expect(b.maxTimestamp).toBeGreaterThanOrEqual(window[0]);
      expect(b.maxTimestamp).toBeLessThanOrEqual(window[1]);
    }
  });

  const check = (recs: Array<{ timestamp: number; tsType: number }>, typed: boolean): void => {
    expect(recs.length).toBe(100);
    for (const r of recs) {
      expect(r.timestamp).toBeGreaterThanOrEqual(window[0]);
      expect(r.timestamp).toBeLessThanOrEqual(window[1]);
      if (typed) expect(r.tsType).toBe(1);
    }
  };

  it('kafkajs sees the append time, typed LogAppendTime', async () => {
    check((await kafkajsFetch(broker.bootstrap, 'lat', new Map([[0, 0]]), { expect: 100 })).records, true);
  });
  it('kcat sees the append time', async () => {
    check(await kcatConsume(broker.bootstrap, 'lat'), false);
  });
  it.each(['ck', 'kp'] as const)('%s sees the append time, typed LogAppendTime', async (client) => {
    check((await pyConsumeRecords(client, broker.bootstrap, 'lat', join(work, `lat-${client}.tsv`), { partitions: 1, expect: 100, timeoutMs: 20_000 })).records, true);
  }, 30_000);
  it('the produce response carries the append time', async () => {
    const producer = kafkajs(broker.bootstrap).producer();
    await producer.connect();
    const before = Date.now();
    const [res] = await producer.send({ topic: 'lat', messages: [{ value: 'x', timestamp: String(old) }] });
    await producer.disconnect();
    expect(Number(res!.logAppendTime)).toBeGreaterThanOrEqual(before);
    expect(Number(res!.logAppendTime)).toBeLessThanOrEqual(Date.now());
  });
});

/**
 * Issue 14 acceptance: hostile clients, raw frames over real sockets, against a broker child
 * process. Each case is one attack run through `Session.attack()` (harness.ts): during it the
 * broker's RSS stays under LIMITS.rssBytes, the ApiVersions canary on its own connection answers
 * within LIMITS.canaryMs at the worst moment, and the kafkajs producer/consumer pair running
 * alongside loses no acknowledged record. Some cases add their own expectations (Kafka's error
 * code, a restart that must succeed, CPU that must stay low).
 *
 * Most cases share one broker; cases that destroy state (restarts, internal topics, runaway topic
 * creation) get a fresh one. A case that kills the shared broker is reported as such, and the next
 * case starts a fresh broker, so one crash does not fail the rest.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import kafkajsPkg from 'kafkajs';
import { ErrorCode } from '../../protocol/errors.js';
import {
  newCreatePartitionsRequestTopic,
  newCreateTopicsRequestConfig,
  newCreateTopicsRequestTopic,
  newDescribeConfigsRequestResource,
  newFetchRequestPartition,
  newFetchRequestTopic,
  newJoinGroupRequestProtocol,
  newListOffsetsRequestPartition,
  newListOffsetsRequestTopic,
  newMetadataRequestTopic,
  newOffsetCommitRequestPartition,
  newOffsetCommitRequestTopic,
  newOffsetFetchRequestTopic,
  newProduceRequestPartition,
  newProduceRequestTopic,
} from '../../protocol/generated/index.js';
import { HostileBroker, KafkaPair, Session, mib, openFilesLimit, sleep, withTimeout, type AttackReport } from './harness.js';
import { removeDir, tempDir } from '../helpers/broker.js';
import {
  RawClient,
  closedWithin,
  decodeResponse,
  frame,
  headerV1,
  headerV2,
  int16,
  int32,
  int64,
  openSocket,
  request,
  roundTrip,
  str,
  uvarint,
  writeFrames,
  writePaced,
} from './frames.js';
import { CompressionType, batchWithRecords, buildBatchSync, compress, gzipBomb, noise, realRecords, recordWithKeyLength } from './batches.js';

const { Kafka, logLevel } = kafkajsPkg;

const MiB = 1024 * 1024;
const CASE_TIMEOUT = 90_000;

function expectHealthy(r: AttackReport): void {
  expect(r.problems, `${r.name}: ${r.problems.join('; ')}`).toEqual([]);
}

/** Produce v7 of one batch to one partition; returns the partition's error code (null: closed). */
async function produceBatch(c: RawClient, topic: string, partition: number, records: Buffer, acks = -1): Promise<number | null> {
  const res = await c.request(0, 7, { acks, timeoutMs: 5000, topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: partition, records })] })] });
  return res === null ? null : (res.responses[0].partitionResponses[0].errorCode as number);
}

async function createTopic(host: string, port: number, name: string, partitions = 1, configs: Array<{ name: string; value: string }> = []): Promise<number> {
  const res = await roundTrip(host, port, 19, 5, { topics: [newCreateTopicsRequestTopic({ name, numPartitions: partitions, replicationFactor: 1, configs: configs.map((c) => newCreateTopicsRequestConfig(c)) })], timeoutMs: 5000 });
  return res.topics[0].errorCode;
}

function kafka(bootstrap: string) {
  return new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 }, connectionTimeout: 3000, requestTimeout: 10_000 });
}

/** `n` tagged fields, each tag i with no data: 4 bytes apiece (varint tag up to 2^21, size 0). */
function tagFlood(n: number): Buffer {
  const b = Buffer.alloc(n * 4);
  let at = 0;
  for (let i = 0; i < n; i++) {
    at += uvarint(i).copy(b, at);
    b[at++] = 0;
  }
  return b.subarray(0, at);
}

/** Closes every socket (the attack is over). */
function destroyAll(sockets: Socket[]): void {
  for (const s of sockets) s.destroy();
}

/** Answer-or-close for `frames`, each on its own connection; returns what happened to each. */
async function answeredOrClosed(host: string, port: number, frames: Buffer[], timeoutMs = 3000): Promise<string[]> {
  const problems: string[] = [];
  await Promise.all(
    frames.map(async (f, i) => {
      const c = await RawClient.connect(host, port);
      try {
        c.write(f);
        await c.readFrame(timeoutMs).catch(() => problems.push(`frame ${i}: neither answered nor closed within ${timeoutMs} ms`));
      } finally {
        c.close();
      }
    }),
  );
  return problems;
}

// -------------------------------------------------------------------------------------------------

describe('hostile clients against a shared broker', () => {
  let s: Session;
  beforeAll(async () => {
    s = await Session.open();
  }, CASE_TIMEOUT);
  beforeEach(async () => {
    await s.ensureUp();
  }, CASE_TIMEOUT);
  afterAll(async () => {
    await s?.close();
  });

  it('a zero-size frame closes the connection', async () => {
    const r = await s.attack('zero-size frame', async ({ broker }) => {
      const problems: string[] = [];
      for (const tail of [Buffer.alloc(0), request(18, 0, {}, 2)]) {
        const c = await openSocket(broker.host, broker.port).catch(() => null);
        if (c === null) return [...problems, 'the broker refuses connections after a zero-size frame'];
        c.write(Buffer.concat([int32(0), tail]));
        if (!(await closedWithin(c, 3000))) problems.push('connection left open after a zero-size frame');
        c.destroy();
      }
      await sleep(200);
      return problems;
    });
    expectHealthy(r);
  });

  it('truncated and garbage frames are closed or answered, never fatal', async () => {
    const r = await s.attack('truncated and garbage frames', async ({ broker }) => {
      const { host, port } = broker;
      const frames: Buffer[] = [
        frame(Buffer.from([0])), // 1-byte header
        frame(Buffer.from([0, 18, 0])), // 3 bytes of header
        frame(int16(18)), // api key only
        frame(Buffer.concat([int16(18), int16(0), int32(1)])), // no client id length
        frame(Buffer.concat([int16(18), int16(0), int32(1), int16(0x7fff), Buffer.from('x')])), // client id claims 32 KiB
        frame(Buffer.concat([int16(18), int16(0), int32(1), int16(-2)])), // client id length -2
        frame(Buffer.concat([int16(0x7fff), int16(0), int32(1), str('x')])), // unknown api key
        frame(Buffer.concat([int16(-1), int16(-1), int32(-1), str('x')])),
        frame(Buffer.concat([int16(3), int16(-1), int32(1), str('x')])), // version -1
        frame(Buffer.concat([int16(18), int16(0x7fff), int32(1), str('x')])), // ApiVersions v32767: answered as v0
        frame(Buffer.concat([headerV1(3, 1), int32(0x7fffffff)])), // Metadata: 2^31-1 topics in 4 bytes
        frame(Buffer.concat([headerV1(3, 1), int32(-2)])), // Metadata: topic count -2
        frame(Buffer.concat([headerV2(3, 9), uvarint(0xffffffff)])), // compact array length 2^32-2
        frame(Buffer.concat([headerV2(3, 9), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])])), // over-long varint
        frame(Buffer.concat([headerV2(3, 9), uvarint(2), uvarint(0xfffffff0), Buffer.from('abc')])), // compact string length overflow
        frame(Buffer.concat([headerV2(3, 9), uvarint(2), uvarint(4), Buffer.from('abc')])), // string shorter than its length
        frame(Buffer.concat([headerV1(18, 3), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])])), // flexible header tag count 2^32-1
        frame(Buffer.concat([headerV1(18, 3), uvarint(1), uvarint(0), uvarint(0x7fffffff)])), // a tag claiming 2 GiB
        frame(Buffer.concat([headerV1(18, 3), uvarint(3), uvarint(5), uvarint(0), uvarint(5), uvarint(0), uvarint(1), uvarint(0)])), // duplicate/unsorted tags
        Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), // a TLS ClientHello
        Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      ];
      // Random bodies behind real headers of every API the broker serves, at its max version.
      const versions = (await roundTrip(host, port, 18, 0, {}))!.apiKeys as Array<{ apiKey: number; maxVersion: number }>;
      let seed = 7;
      for (const v of versions) for (const size of [1, 7, 64, 700]) frames.push(frame(Buffer.concat([headerV2(v.apiKey, v.maxVersion), noise(size, seed++)])));
      const problems = await answeredOrClosed(host, port, frames);
      // A frame cut short, then the client goes away; and one split into 1-byte writes.
      const cut = await openSocket(host, port);
      cut.write(request(3, 1, { topics: null }).subarray(0, 9));
      const drip = await openSocket(host, port);
      for (const b of request(18, 3, { clientSoftwareName: 'drip', clientSoftwareVersion: '1' })) {
        drip.write(Buffer.from([b]));
        await sleep(1);
      }
      await sleep(300);
      cut.destroy();
      drip.destroy();
      return problems;
    });
    expectHealthy(r);
  });

  it('a client that never reads its 60,000 responses', async () => {
    const r = await s.attack('never-reading client, 60,000 requests', async ({ broker }) => {
      const sock = await openSocket(broker.host, broker.port);
      sock.pause(); // never read: the broker's responses pile up on its side
      // DescribeConfigs of the broker with synonyms and documentation: a 35-byte request whose
      // response is ~10 KiB, so 60,000 unread responses would be ~600 MB.
      const one = request(32, 3, { resources: [newDescribeConfigsRequestResource({ resourceType: 4, resourceName: '1', configurationKeys: null })], includeSynonyms: true, includeDocumentation: true });
      const batch = Buffer.concat(Array.from({ length: 1000 }, () => one));
      const deadline = Date.now() + 12_000;
      let sent = 0;
      for (let i = 0; i < 60 && (await writePaced(sock, batch, deadline)); i++) sent += 1000;
      await sleep(1500);
      sock.destroy();
      console.log(`  never-reading client: ${sent} requests written before the broker stopped reading`);
    });
    expectHealthy(r);
  });

  it('a reading client pipelining 3,000 small requests does not starve other connections', async () => {
    // 35-byte requests whose answers take ~0.25 ms each (the broker's configs with synonyms and
    // documentation): a client that reads everything, pipelining 3,000 of them (100 KB).
    const one = request(32, 3, { resources: [newDescribeConfigsRequestResource({ resourceType: 4, resourceName: '1', configurationKeys: null })], includeSynonyms: true, includeDocumentation: true });
    const burst = Buffer.concat(Array.from({ length: 3000 }, (_, i) => Buffer.concat([one.subarray(0, 8), int32(i + 1), one.subarray(12)])));
    const r = await s.attack('3,000 pipelined DescribeConfigs from a reading client', async ({ broker }) => {
      const c = await RawClient.connect(broker.host, broker.port);
      c.write(burst);
      for (let i = 0; i < 3000; i++) if ((await c.readFrame(20_000)) === null) return [`the broker closed the connection after ${i} answers`];
      c.close();
      return [];
    });
    expectHealthy(r);
  });

  it('many connections trickling a huge frame', async () => {
    const r = await s.attack('64 connections trickling 100 MB frames', async ({ broker }) => {
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const sockets = await Promise.all(Array.from({ length: 64 }, () => openSocket(broker.host, broker.port)));
      const deadline = Date.now() + 8_000;
      let written = 0;
      await Promise.all(
        sockets.map(async (sock) => {
          // Just under socket.request.max.bytes (100 MiB default): a legal size prefix.
          if (!(await writePaced(sock, Buffer.concat([int32(100 * 1000 * 1000), headerV1(0, 7)]), deadline))) return;
          for (let i = 0; i < 128 && Date.now() < deadline; i++) {
            if (!(await writePaced(sock, chunk, deadline))) return;
            written += chunk.length;
            await sleep(5);
          }
        }),
      );
      await sleep(1000);
      destroyAll(sockets);
      console.log(`  trickle: ${mib(written)} MiB written in total`);
    });
    expectHealthy(r);
  });

  it('8 × 32 MiB Produce frames queued behind a parked Fetch', async () => {
    const r = await s.attack('8 × 32 MiB Produce behind a parked Fetch', async ({ broker }) => {
      const topic = 'hostile-parked';
      await createTopic(broker.host, broker.port, topic);
      const sock = await openSocket(broker.host, broker.port);
      // Fetch from the (empty) partition's end, waiting for 100 MB: it parks for max_wait, and
      // everything behind it on this connection waits (one request at a time).
      const fetch = request(1, 11, {
        replicaId: -1,
        maxWaitMs: 20_000,
        minBytes: 100 * MiB,
        maxBytes: 100 * MiB,
        topics: [newFetchRequestTopic({ topic, partitions: [newFetchRequestPartition({ partition: 0, fetchOffset: 0, partitionMaxBytes: MiB })] })],
      });
      const records = Buffer.alloc(32 * MiB, 0x42);
      const produce = request(0, 7, { acks: -1, timeoutMs: 5000, topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: 0, records })] })] }, 2);
      const deadline = Date.now() + 10_000;
      await writePaced(sock, fetch, deadline);
      let sent = 0;
      for (let i = 0; i < 8 && (await writePaced(sock, produce, deadline)); i++) sent++;
      await sleep(1500);
      sock.destroy();
      console.log(`  parked fetch: ${sent} × 32 MiB produce frames written`);
    });
    expectHealthy(r);
  });

  it('a Fetch naming one partition 100,000 times', async () => {
    const r = await s.attack('Fetch with 100,000 copies of one partition', async ({ broker, pair }) => {
      const partitions = Array.from({ length: 100_000 }, () => newFetchRequestPartition({ partition: 0, fetchOffset: 0, partitionMaxBytes: MiB }));
      const c = await RawClient.connect(broker.host, broker.port);
      c.write(request(1, 4, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 50 * MiB, topics: [newFetchRequestTopic({ topic: pair!.topic, partitions })] }));
      const answer = await c.readFrame(10_000).catch(() => 'timeout' as const);
      c.close();
      console.log(`  fetch x100k: ${answer === null ? 'closed' : answer === 'timeout' ? 'no answer in 10 s' : `${mib(answer.length)} MiB answer`}`);
    });
    expectHealthy(r);
  });

  it('Fetches waiting for more bytes than exist keep the broker idle', async () => {
    // The pair's own traffic costs some CPU: measure it first, then add 30 long polls.
    const quiet = await s.quietCpu(3000);
    console.log(`  quiet broker CPU (pair + canary): ${(quiet * 100).toFixed(0)}%`);
    const r = await s.attack(
      '30 long-poll Fetches with min_bytes above the data',
      async ({ broker, pair }) => {
        const clients = await Promise.all(Array.from({ length: 30 }, () => RawClient.connect(broker.host, broker.port)));
        for (const c of clients) {
          c.write(
            request(1, 11, {
              replicaId: -1,
              maxWaitMs: 4000,
              minBytes: 64 * MiB,
              maxBytes: 100 * MiB,
              topics: [
                newFetchRequestTopic({
                  topic: pair!.topic,
                  partitions: [0, 1].map((partition) => newFetchRequestPartition({ partition, fetchOffset: 0, partitionMaxBytes: 100 * MiB })),
                }),
              ],
            }),
          );
        }
        const answered = await Promise.all(clients.map((c) => c.readFrame(8000).then((f) => f !== null, () => false)));
        clients.forEach((c) => c.close());
        if (answered.some((a) => !a)) return ['a long-poll Fetch was not answered within max_wait + 4 s'];
        return [];
      },
      { cpuFraction: quiet + 0.15 },
    );
    expectHealthy(r);
  });

  it('a CRC-valid batch with garbage records is rejected and never reaches a consumer', async () => {
    const topic = 'hostile-garbage';
    const r = await s.attack('CRC-valid batches with garbage inside', async ({ broker }) => {
      const problems: string[] = [];
      await createTopic(broker.host, broker.port, topic);
      const compactTopic = 'hostile-garbage-compact';
      await createTopic(broker.host, broker.port, compactTopic, 1, [{ name: 'cleanup.policy', value: 'compact' }]);
      const garbage = noise(3000, 99);
      const lies: Array<[string, Buffer]> = [
        ['random records region', batchWithRecords(garbage, { recordCount: 5, lastOffsetDelta: 4 })],
        ['recordCount 2^31-1', batchWithRecords(realRecords(2), { recordCount: 0x7fffffff })],
        ['recordCount -1', batchWithRecords(realRecords(2), { recordCount: -1 })],
        ['recordCount 0 with records', batchWithRecords(realRecords(2), { recordCount: 0, lastOffsetDelta: 0 })],
        ['lastOffsetDelta 2^31-1', batchWithRecords(realRecords(2), { lastOffsetDelta: 0x7fffffff })],
        ['lastOffsetDelta -5', batchWithRecords(realRecords(2), { lastOffsetDelta: -5 })],
        ['key length 2^30', batchWithRecords(recordWithKeyLength(2 ** 30), { recordCount: 1, lastOffsetDelta: 0 })],
        ['key length -7', batchWithRecords(recordWithKeyLength(-7), { recordCount: 1, lastOffsetDelta: 0 })],
        ['records cut short', batchWithRecords(realRecords(5).subarray(0, 20), { recordCount: 5, lastOffsetDelta: 4 })],
        ['gzip of garbage', batchWithRecords(await compress(CompressionType.Gzip, garbage), { recordCount: 5, lastOffsetDelta: 4, compression: CompressionType.Gzip })],
        ['snappy of garbage', batchWithRecords(await compress(CompressionType.Snappy, garbage), { recordCount: 5, lastOffsetDelta: 4, compression: CompressionType.Snappy })],
        ['lz4 of garbage', batchWithRecords(await compress(CompressionType.Lz4, garbage), { recordCount: 5, lastOffsetDelta: 4, compression: CompressionType.Lz4 })],
        ['zstd of garbage', batchWithRecords(await compress(CompressionType.Zstd, garbage), { recordCount: 5, lastOffsetDelta: 4, compression: CompressionType.Zstd })],
        ['garbage claiming gzip', batchWithRecords(garbage, { recordCount: 5, lastOffsetDelta: 4, compression: CompressionType.Gzip })],
        ['garbage claiming zstd', batchWithRecords(garbage, { recordCount: 5, lastOffsetDelta: 4, compression: CompressionType.Zstd })],
        ['compression codec 7', batchWithRecords(realRecords(2), { compression: 7 as CompressionType })],
      ];
      const c = await RawClient.connect(broker.host, broker.port);
      for (const [what, b] of lies) {
        for (const t of [topic, compactTopic]) {
          const code = await produceBatch(c.closed ? await RawClient.connect(broker.host, broker.port) : c, t, 0, b).catch((e: Error) => `error ${e.message}`);
          if (code === ErrorCode.NONE) problems.push(`${what} (${t}): accepted`);
        }
      }
      c.close();
      // A consumer reading the topic from the start sees exactly the one valid record after them.
      const k = kafka(broker.bootstrap);
      const producer = k.producer();
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'valid' }] });
      await producer.disconnect();
      const consumer = k.consumer({ groupId: `garbage-reader-${Date.now()}`, maxWaitTimeInMs: 100 });
      const seen: string[] = [];
      let crashed: string | null = null;
      consumer.on(consumer.events.CRASH, (e) => void (crashed = String(e.payload.error)));
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value?.toString() ?? 'null') });
      const deadline = Date.now() + 15_000;
      while (seen.length === 0 && crashed === null && Date.now() < deadline) await sleep(50);
      await sleep(300);
      await consumer.disconnect();
      if (crashed) problems.push(`a kafkajs consumer of the topic crashed: ${crashed}`);
      if (seen.join() !== 'valid') problems.push(`the consumer read [${seen.slice(0, 5).join(', ')}], expected [valid]`);
      return problems;
    });
    expectHealthy(r);
  });

  it('decompression bombs into a compacted topic, in parallel', async () => {
    const r = await s.attack('gzip bombs (256 MiB each) into a compacted topic', async ({ broker }) => {
      const topic = 'hostile-bombs';
      await createTopic(broker.host, broker.port, topic, 1, [{ name: 'cleanup.policy', value: 'compact' }]);
      // ~260 KiB on the wire, 256 MiB inflated; compacted topics inflate every batch to check keys.
      const bomb = batchWithRecords(gzipBomb(256 * MiB - 1024), { recordCount: 1, lastOffsetDelta: 0, compression: CompressionType.Gzip });
      const clients = await Promise.all(Array.from({ length: 8 }, () => RawClient.connect(broker.host, broker.port)));
      const codes = await Promise.all(clients.map((c) => produceBatch(c, topic, 0, bomb).catch(() => null)));
      clients.forEach((c) => c.close());
      return codes.some((code) => code === ErrorCode.NONE) ? [`a bomb was accepted (codes ${codes.join(',')})`] : [];
    });
    expectHealthy(r);
  });

  it('array counts of 2^31, length overflows and tagged-field floods in request bodies', async () => {
    const cases: Array<[string, Buffer]> = [
      ['OffsetFetch v1 claiming 2^31-1 topics', frame(Buffer.concat([headerV1(9, 1), str('g'), int32(0x7fffffff), str('t'), int32(1)]))],
      ['OffsetFetch v1 claiming 2^31-1 partitions', frame(Buffer.concat([headerV1(9, 1), str('g'), int32(1), str('t'), int32(0x7fffffff), int32(0)]))],
      ['Produce v7 claiming 2^31-1 partitions', frame(Buffer.concat([headerV1(0, 7), int16(-1), int16(1), int32(1000), int32(1), str('t'), int32(0x7fffffff), int32(0)]))],
      ['DescribeConfigs v1 claiming 2^31-1 resources', frame(Buffer.concat([headerV1(32, 1), int32(0x7fffffff), Buffer.alloc(64)]))],
      ['CreateTopics v5 claiming 2^31-1 configs', frame(Buffer.concat([headerV1(19, 5), int32(1), str('hostile-claims'), int32(1), int16(1), int32(0), int32(0x7fffffff), int32(1000), Buffer.from([0])]))],
      // Metadata v9: topics (compact array) of one name whose compact length is 2^32-2.
      ['Metadata v9 compact string of 2^32-2 bytes', frame(Buffer.concat([headerV2(3, 9), uvarint(2), uvarint(0xffffffff), Buffer.from('abc')]))],
      // Tagged-field floods: 5,000,000 empty tags (20 MB, well under socket.request.max.bytes).
      // No topics, three booleans, then the body's tagged-field section.
      ['Metadata v9 body with 5,000,000 empty tagged fields', frame(Buffer.concat([headerV2(3, 9), uvarint(1), Buffer.from([1, 0, 0]), uvarint(5_000_000), tagFlood(5_000_000)]))],
      ['ApiVersions v3 header with 5,000,000 empty tagged fields', frame(Buffer.concat([headerV1(18, 3), uvarint(5_000_000), tagFlood(5_000_000)]))],
    ];
    const failures: string[] = [];
    for (const [name, f] of cases) {
      await s.ensureUp();
      const r = await s.attack(name, async ({ broker }) => answeredOrClosed(broker.host, broker.port, [f], 10_000));
      failures.push(...r.problems.map((p) => `${name}: ${p}`));
    }
    expect(failures).toEqual([]);
  }, 240_000);

  it('requests fanning out to 100,000 entries (DescribeConfigs, Metadata, OffsetFetch, ListOffsets, Produce)', async () => {
    // One attack per API, each on a broker that is not bloated by the previous one.
    const n = 100_000;
    const cases: Array<[string, (topic: string) => Buffer]> = [
      ['DescribeConfigs naming one topic 100,000 times', (topic) => request(32, 1, { resources: Array.from({ length: n }, () => newDescribeConfigsRequestResource({ resourceType: 2, resourceName: topic, configurationKeys: null })), includeSynonyms: true })],
      ['DescribeConfigs of 100,000 missing topics', () => request(32, 1, { resources: Array.from({ length: n }, (_, i) => newDescribeConfigsRequestResource({ resourceType: 2, resourceName: `missing-${i}`, configurationKeys: null })) })],
      ['Metadata naming one topic 100,000 times', (topic) => request(3, 1, { topics: Array.from({ length: n }, () => newMetadataRequestTopic({ name: topic })) })],
      ['OffsetFetch of 100,000 partitions', (topic) => request(9, 1, { groupId: 'hostile-of', topics: [newOffsetFetchRequestTopic({ name: topic, partitionIndexes: Array.from({ length: n }, (_, i) => i) })] })],
      ['ListOffsets naming one partition 100,000 times', (topic) => request(2, 1, { replicaId: -1, topics: [newListOffsetsRequestTopic({ name: topic, partitions: Array.from({ length: n }, () => newListOffsetsRequestPartition({ partitionIndex: 0, timestamp: -1 })) })] })],
      [
        'Produce of 20,000 batches to one partition',
        (topic) => {
          const valid = buildBatchSync([{ value: 'dup' }]);
          return request(0, 7, { acks: 1, timeoutMs: 5000, topicData: [newProduceRequestTopic({ name: topic, partitionData: Array.from({ length: 20_000 }, () => newProduceRequestPartition({ index: 0, records: valid })) })] });
        },
      ],
    ];
    const failures: string[] = [];
    for (const [name, make] of cases) {
      await s.ensureUp();
      // Built before the attack: encoding 100,000 entries here would compete with the broker for CPU.
      const f = make(s.pair!.topic);
      const r = await s.attack(name, async ({ broker }) => answeredOrClosed(broker.host, broker.port, [f], 15_000));
      failures.push(...r.problems.map((p) => `${name}: ${p}`));
    }
    expect(failures).toEqual([]);
  }, 240_000);

  it('SASL handshakes with odd mechanisms and authenticate without a handshake', async () => {
    const r = await s.attack('SASL handshake abuse', async ({ broker }) => {
      const problems: string[] = [];
      const h = await roundTrip(broker.host, broker.port, 17, 1, { mechanism: 'X'.repeat(30_000) });
      if (h && h.errorCode === ErrorCode.NONE) problems.push('an unknown 30 kB mechanism was accepted');
      problems.push(
        ...(await answeredOrClosed(broker.host, broker.port, [
          request(36, 0, { authBytes: randomBytes(MiB) }),
          request(36, 2, { authBytes: Buffer.alloc(0) }),
          Buffer.concat([request(17, 1, { mechanism: 'PLAIN' }), request(36, 2, { authBytes: Buffer.from('\0user\0pass') }, 2), request(3, 1, { topics: null }, 3)]),
        ])),
      );
      return problems;
    });
    expectHealthy(r);
  });

  it('JoinGroup with session timeout 0, huge timeouts and huge metadata', async () => {
    const r = await s.attack('JoinGroup timeouts and metadata', async ({ broker }) => {
      const problems: string[] = [];
      const join = (group: string, session: number, rebalance: number, metadata: Buffer, memberId = '') =>
        request(11, 5, { groupId: group, sessionTimeoutMs: session, rebalanceTimeoutMs: rebalance, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [newJoinGroupRequestProtocol({ name: 'range', metadata })] });
      const zero = await roundTrip(broker.host, broker.port, 11, 5, { groupId: 'hj-0', sessionTimeoutMs: 0, rebalanceTimeoutMs: 1000, memberId: '', protocolType: 'consumer', protocols: [newJoinGroupRequestProtocol({ name: 'range' })] });
      if (zero?.errorCode !== ErrorCode.INVALID_SESSION_TIMEOUT) problems.push(`session timeout 0: error ${zero?.errorCode}, expected INVALID_SESSION_TIMEOUT`);
      const huge = await roundTrip(broker.host, broker.port, 11, 5, { groupId: 'hj-1', sessionTimeoutMs: 0x7fffffff, rebalanceTimeoutMs: 1000, memberId: '', protocolType: 'consumer', protocols: [newJoinGroupRequestProtocol({ name: 'range' })] });
      if (huge?.errorCode !== ErrorCode.INVALID_SESSION_TIMEOUT) problems.push(`session timeout 2^31-1: error ${huge?.errorCode}, expected INVALID_SESSION_TIMEOUT`);
      // A member with a 2^31-1 ms rebalance timeout, then a second member forcing a rebalance.
      const a = await RawClient.connect(broker.host, broker.port);
      a.write(join('hj-2', 10_000, 0x7fffffff, Buffer.alloc(8)));
      const first = await a.readFrame(5000);
      const memberA = first ? decodeResponse(11, 5, first).body.memberId : '';
      a.write(join('hj-2', 10_000, 0x7fffffff, Buffer.alloc(8), memberA));
      await a.readFrame(5000).catch(() => null);
      const b = await RawClient.connect(broker.host, broker.port);
      b.write(join('hj-2', 10_000, 0x7fffffff, Buffer.alloc(8)));
      b.write(join('hj-2', 10_000, 1000, Buffer.alloc(8)));
      await sleep(2000);
      a.close();
      b.close();
      return problems;
    });
    expectHealthy(r);
  });

  it('JoinGroup into 300 groups with 512 KiB of protocol metadata each', async () => {
    const r = await s.attack('300 groups × 512 KiB JoinGroup metadata', async ({ broker }) => {
      const meta = Buffer.alloc(512 * 1024, 1);
      const join = (group: string) =>
        request(11, 5, { groupId: group, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', protocolType: 'consumer', protocols: [newJoinGroupRequestProtocol({ name: 'range', metadata: meta })] });
      const conns = await Promise.all(Array.from({ length: 10 }, () => openSocket(broker.host, broker.port)));
      const deadline = Date.now() + 15_000;
      await Promise.all(conns.map((c, i) => writeFrames(c, Array.from({ length: 30 }, (_, j) => join(`hj-meta-${i}-${j}`)), deadline)));
      await sleep(1500);
      destroyAll(conns);
    });
    expectHealthy(r);
  });

  it('JoinGroup with 8 MiB of protocol metadata is refused; it would be kept while the member stays', async () => {
    const r = await s.attack('JoinGroup with 8 MiB of metadata', async ({ broker }) => {
      const problems: string[] = [];
      const big = await roundTrip(broker.host, broker.port, 11, 5, { groupId: 'hj-big', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: 'known-member', groupInstanceId: null, protocolType: 'consumer', protocols: [newJoinGroupRequestProtocol({ name: 'range', metadata: Buffer.alloc(8 * 1024 * 1024, 1) })] });
      if (big?.errorCode !== ErrorCode.INVALID_REQUEST) problems.push(`8 MiB metadata: error ${big?.errorCode}, expected INVALID_REQUEST`);
      return problems;
    });
    expectHealthy(r);
  });

  it('JoinGroup listing one protocol name twice still completes (found by the fuzzer)', async () => {
    // Counted twice, the name was never "supported by every member": the rebalance timer threw
    // on every attempt, the joiner waited forever and real consumers of the group got
    // INCONSISTENT_GROUP_PROTOCOL.
    const r = await s.attack('JoinGroup with a duplicated protocol name', async ({ broker }) => {
      const problems: string[] = [];
      const c = await RawClient.connect(broker.host, broker.port);
      const join = (memberId: string, names: string[]) =>
        request(11, 5, { groupId: 'hostile-dup-protocols', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, protocolType: 'consumer', protocols: names.map((name) => newJoinGroupRequestProtocol({ name })) });
      c.write(join('', ['range', 'range']));
      const first = decodeResponse(11, 5, (await c.readFrame(5000))!).body;
      c.write(join(first.memberId, ['range', 'range']));
      const second = await c.readFrame(5000).catch(() => null);
      if (second === null) problems.push('the member listing "range" twice never got its JoinGroup answer');
      else if (decodeResponse(11, 5, second).body.errorCode !== ErrorCode.NONE) problems.push(`JoinGroup answered error ${decodeResponse(11, 5, second).body.errorCode}`);
      c.close();
      return problems;
    });
    expectHealthy(r);
  });

  it('Produce racing DeleteTopics on a topic that rolls a segment per batch (found by the fuzzer)', async () => {
    // The writer awaited a segment roll while deletion emptied its queue, then wrote a group of
    // nothing and failed on it: "unexpected error in log writer", partition offline.
    const r = await s.attack('Produce racing DeleteTopics mid-roll', async ({ broker }) => {
      const { host, port } = broker;
      const batch = buildBatchSync([{ value: 'x'.repeat(100) }]);
      for (let round = 0; round < 10; round++) {
        const topic = `hostile-roll-race-${round}`;
        await createTopic(host, port, topic, 1, [{ name: 'segment.bytes', value: '14' }]);
        const producer = await RawClient.connect(host, port);
        const produce = (i: number) =>
          request(0, 7, { acks: 1, timeoutMs: 5000, topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: 0, records: batch })] })] }, i + 1);
        producer.write(Buffer.concat(Array.from({ length: 30 + round * 5 }, (_, i) => produce(i))));
        await sleep(round % 4);
        await roundTrip(host, port, 20, 4, { topicNames: [topic], timeoutMs: 5000 });
        await sleep(50);
        producer.close();
      }
      await sleep(200);
    });
    expectHealthy(r);
  });

  it('InitProducerId with huge transaction timeouts and many transactional ids', async () => {
    const r = await s.attack('InitProducerId abuse', async ({ broker }) => {
      const problems: string[] = [];
      for (const timeout of [0x7fffffff, -1]) {
        const res = await roundTrip(broker.host, broker.port, 22, 2, { transactionalId: `ht-${timeout}`, transactionTimeoutMs: timeout });
        if (res?.errorCode !== ErrorCode.INVALID_TRANSACTION_TIMEOUT) problems.push(`transaction timeout ${timeout}: error ${res?.errorCode}, expected INVALID_TRANSACTION_TIMEOUT`);
      }
      // 3,000 transactional ids over 30 connections.
      const clients = await Promise.all(Array.from({ length: 30 }, () => RawClient.connect(broker.host, broker.port)));
      const deadline = Date.now() + 20_000;
      let done = 0;
      await Promise.all(
        clients.map(async (c, i) => {
          for (let j = 0; j < 100 && Date.now() < deadline; j++) {
            const res = await c.request(22, 2, { transactionalId: `hostile-txn-${i}-${j}`, transactionTimeoutMs: 60_000 }).catch(() => null);
            if (res?.errorCode === ErrorCode.NONE) done++;
          }
        }),
      );
      clients.forEach((c) => c.close());
      console.log(`  ${done} transactional ids initialised`);
      return problems;
    });
    expectHealthy(r);
  });

  it('OffsetCommit with huge metadata strings', async () => {
    const r = await s.attack('OffsetCommit metadata abuse', async ({ broker, pair }) => {
      const problems: string[] = [];
      const commit = (group: string, partitions: number, metadata: string) =>
        request(8, 2, {
          groupId: group,
          generationIdOrMemberEpoch: -1,
          memberId: '',
          retentionTimeMs: -1,
          topics: [
            newOffsetCommitRequestTopic({
              name: pair!.topic,
              partitions: Array.from({ length: partitions }, (_, p) => newOffsetCommitRequestPartition({ partitionIndex: p, committedOffset: 1, committedMetadata: metadata })),
            }),
          ],
        });
      const c = await RawClient.connect(broker.host, broker.port);
      c.write(commit('hostile-oc-big', 1, 'm'.repeat(32_000)));
      const f = await c.readFrame(5000);
      const code = f ? decodeResponse(8, 2, f).body.topics[0].partitions[0].errorCode : null;
      if (code !== ErrorCode.OFFSET_METADATA_TOO_LARGE) problems.push(`32 kB offset metadata: error ${code}, expected OFFSET_METADATA_TOO_LARGE`);
      // 1,000 partitions × 4000-byte metadata (just under offset.metadata.max.bytes), 3 groups.
      for (let g = 0; g < 3; g++) {
        c.write(commit(`hostile-oc-${g}`, 1000, 'm'.repeat(4000)));
        await c.readFrame(20_000).catch(() => problems.push(`a 1,000-partition OffsetCommit was not answered in 20 s`));
      }
      c.close();
      return problems;
    });
    expectHealthy(r);
  });

  it('huge and deeply nested schemas POSTed to the schema registry', async () => {
    // The bodies are built before the attack (stringifying 8 MiB competes with the broker for CPU).
    // A record with 200,000 fields (~8 MiB of schema text).
    const fields = Array.from({ length: 200_000 }, (_, i) => ({ name: `f${i}`, type: 'string' }));
    const wide = JSON.stringify({ schema: JSON.stringify({ type: 'record', name: 'Wide', fields }) });
    // Arrays nested 20,000 deep.
    const deep = JSON.stringify({ schema: '{"type":"array","items":'.repeat(20_000) + '"int"' + '}'.repeat(20_000) });
    const junk = Array.from({ length: 6 }, (_, i) => JSON.stringify({ schema: 'x'.repeat(15 * MiB + i) }));
    const r = await s.attack('schema registry abuse', async ({ broker }) => {
      const problems: string[] = [];
      const url = `${broker.registryUrl}/subjects/hostile-value/versions`;
      const post = async (body: string | Buffer) => {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body }).catch((e: Error) => e);
        if (res instanceof Error) return `error ${res.message}`;
        await res.arrayBuffer();
        return res.status;
      };
      // Wide, deep, a 64 MiB body, and 6 parallel 15 MiB bodies of junk.
      const statuses = [await post(wide), await post(deep), await post(Buffer.alloc(64 * MiB, 0x20))];
      statuses.push(...(await Promise.all(junk.map((body) => post(body)))));
      console.log(`  registry statuses: ${statuses.join(', ')}`);
      // Refusing (4xx) or cutting the connection of an oversized body is fine; a 5xx is not.
      if (statuses.some((st) => typeof st === 'number' && st >= 500)) problems.push(`the registry answered ${statuses.join(', ')} (5xx)`);
      return problems;
    });
    expectHealthy(r);
  });

  it('10,000+ connections (connection cap)', async () => {
    // Both ends need a descriptor per connection: a machine with a low open-files limit gets as
    // many as it allows (said in the log), which still drives the broker to its own limit.
    const target = Math.min(10_200, openFilesLimit() - 500);
    if (target < 10_200) console.log(`  open-files limit ${openFilesLimit()}: opening ${target} connections, not 10,200`);
    const r = await s.attack(`${target} connections`, async ({ broker }) => {
      const sockets: Socket[] = [];
      let refused = 0;
      for (let i = 0; i < target; i += 200) {
        const batch = await Promise.allSettled(Array.from({ length: 200 }, () => openSocket(broker.host, broker.port)));
        for (const b of batch) b.status === 'fulfilled' ? sockets.push(b.value) : refused++;
      }
      await sleep(1500);
      const open = sockets.filter((x) => !x.destroyed && !x.readableEnded).length;
      destroyAll(sockets);
      console.log(`  connections: ${sockets.length} accepted by the kernel, ${open} still open after 1.5 s, ${refused} refused`);
      await sleep(500);
    });
    expectHealthy(r);
  });
});

// -------------------------------------------------------------------------------------------------

describe('hostile clients that need a broker of their own', () => {
  it('CreateTopics and CreatePartitions with 2^31-1 partitions', async () => {
    const s = await Session.open();
    try {
      const r = await s.attack('2^31-1 partitions', async ({ broker }) => {
        const problems: string[] = [];
        const res = await withTimeout(
          roundTrip(broker.host, broker.port, 19, 5, { topics: [newCreateTopicsRequestTopic({ name: 'hostile-huge', numPartitions: 0x7fffffff, replicationFactor: 1 })], timeoutMs: 5000 }, 10_000),
          10_000,
          'CreateTopics with 2^31-1 partitions',
        );
        if (!res || res.topics[0].errorCode === ErrorCode.NONE) problems.push(`CreateTopics with 2^31-1 partitions: error ${res?.topics[0].errorCode}, expected one`);
        await createTopic(broker.host, broker.port, 'hostile-grow');
        const grow = await withTimeout(
          roundTrip(broker.host, broker.port, 37, 1, { topics: [newCreatePartitionsRequestTopic({ name: 'hostile-grow', count: 0x7fffffff, assignments: null })], timeoutMs: 5000 }, 10_000),
          10_000,
          'CreatePartitions to 2^31-1',
        );
        if (!grow || grow.results[0].errorCode === ErrorCode.NONE) problems.push(`CreatePartitions to 2^31-1: error ${grow?.results[0].errorCode}, expected one`);
        return problems;
      });
      expectHealthy(r);
    } finally {
      await s.close();
    }
  });

  it('CreateTopics and CreatePartitions racing DeleteTopics leave no orphans (found by the fuzzer)', async () => {
    const s = await Session.open({ pair: false });
    try {
      const r = await s.attack('topic create/grow racing delete', async ({ broker }) => {
        const problems: string[] = [];
        const { host, port } = broker;
        const create = roundTrip(host, port, 19, 5, { topics: [newCreateTopicsRequestTopic({ name: 'hostile-race-create', numPartitions: 200, replicationFactor: 1 })], timeoutMs: 30_000 }, 30_000);
        await sleep(30);
        const del = roundTrip(host, port, 20, 4, { topicNames: ['hostile-race-create'], timeoutMs: 5000 });
        await Promise.all([create, del]);
        await createTopic(host, port, 'hostile-race-grow');
        const grow = roundTrip(host, port, 37, 1, { topics: [newCreatePartitionsRequestTopic({ name: 'hostile-race-grow', count: 200, assignments: null })], timeoutMs: 30_000 }, 30_000);
        await sleep(30);
        const del2 = roundTrip(host, port, 20, 4, { topicNames: ['hostile-race-grow'], timeoutMs: 5000 });
        const [g] = await Promise.all([grow, del2]);
        if (g?.results[0].errorCode === ErrorCode.UNKNOWN_SERVER_ERROR) problems.push(`CreatePartitions racing DeleteTopics answered UNKNOWN_SERVER_ERROR: ${g.results[0].errorMessage}`);
        await sleep(500);
        const md = await roundTrip(host, port, 3, 4, { topics: ['hostile-race-create', 'hostile-race-grow'].map((name) => newMetadataRequestTopic({ name })), allowAutoTopicCreation: false });
        const live = readdirSync(broker.dataDir).filter((d) => d.startsWith('hostile-race-') && !d.endsWith('-delete'));
        const known = new Set((md?.topics ?? []).filter((t: { errorCode: number }) => t.errorCode === ErrorCode.NONE).map((t: { name: string }) => t.name));
        const orphans = live.filter((d) => !known.has(d.replace(/-\d+$/, '')));
        if (orphans.length > 0) problems.push(`${orphans.length} partition directories of deleted topics are left behind, e.g. ${orphans.slice(0, 3).join(', ')}`);
        return problems;
      });
      expectHealthy(r);
    } finally {
      await s.close();
    }
  });

  it('the data directory lock: a second broker, and six started at once, never share a directory', async () => {
    const s = await Session.open();
    try {
      const r = await s.attack('data-dir lock', async ({ broker }) => {
        const problems: string[] = [];
        // A second broker on a running broker's directory must refuse to start.
        const second = await HostileBroker.start({}, broker.dataDir).then(
          (b) => b,
          (e: Error) => e,
        );
        if (!(second instanceof Error)) {
          problems.push('a second broker started on a directory in use');
          await second.stop();
        }
        // Six brokers racing for one fresh directory: exactly one may start.
        const dir = tempDir('hostile-lock');
        try {
          const racers = await Promise.all(Array.from({ length: 6 }, () => HostileBroker.start({}, dir).catch(() => null)));
          const started = racers.filter((b) => b !== null);
          if (started.length !== 1) problems.push(`${started.length} of 6 brokers racing for one directory started`);
          await Promise.all(started.map((b) => b!.stop()));
        } finally {
          removeDir(dir);
        }
        return problems;
      });
      expectHealthy(r);
    } finally {
      await s.close();
    }
  });

  it('a 240-character topic created, deleted, recreated, and the broker restarted', async () => {
    const s = await Session.open();
    try {
      const name = 't'.repeat(240);
      const r = await s.attack('240-char topic lifecycle + restart', async (sess) => {
        const problems: string[] = [];
        const k = kafka(sess.broker.bootstrap);
        const admin = k.admin();
        await admin.connect();
        const producer = k.producer();
        await producer.connect();
        try {
          await admin.createTopics({ topics: [{ topic: name, numPartitions: 2 }] });
          await producer.send({ topic: name, acks: -1, messages: [{ value: 'first life' }] });
          await admin.deleteTopics({ topics: [name] });
          await admin.createTopics({ topics: [{ topic: name, numPartitions: 2 }] });
          await producer.send({ topic: name, acks: -1, messages: [{ value: 'second life' }] });
        } catch (e) {
          problems.push(`kafkajs lifecycle failed: ${(e as Error).message}`);
        } finally {
          await producer.disconnect();
          await admin.disconnect();
        }
        await sess.restartBroker();
        const admin2 = kafka(sess.broker.bootstrap).admin();
        await admin2.connect();
        const offsets = await admin2.fetchTopicOffsets(name).catch((e: Error) => e);
        await admin2.disconnect();
        if (offsets instanceof Error) problems.push(`after restart the topic is unreadable: ${offsets.message}`);
        else if (offsets.reduce((n, o) => n + Number(o.high), 0) !== 1) problems.push(`after restart the topic holds ${offsets.map((o) => o.high).join('+')} records, expected 1 (second life only)`);
        return problems;
      });
      expectHealthy(r);
    } finally {
      await s.close();
    }
  });

  it('Produce into __consumer_offsets and __transaction_state is refused; garbage in _schemas survives a restart', async () => {
    const s = await Session.open();
    try {
      const r = await s.attack('Produce into internal topics + restart', async (sess) => {
        const problems: string[] = [];
        const { broker } = sess;
        // Make the registry's topic exist with one schema in it.
        const schema = JSON.stringify({ schema: JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }) });
        const reg = await fetch(`${broker.registryUrl}/subjects/hostile-keep-value/versions`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: schema });
        const { id } = (await reg.json()) as { id: number };
        const garbage = buildBatchSync([
          { key: noise(40, 3), value: noise(200, 4) },
          { key: Buffer.from([0, 1, 0, 0]), value: noise(100, 5) },
          { key: Buffer.from([0, 2]), value: Buffer.from([0xff]) },
          { key: JSON.stringify({ keytype: 'SCHEMA', subject: 'hostile-keep-value', version: 1, magic: 1 }), value: '{"not":"a schema"' },
        ]);
        // A transactional InitProducerId makes __transaction_state exist (the pair made __consumer_offsets).
        await roundTrip(broker.host, broker.port, 22, 2, { transactionalId: 'hostile-produce-txn', transactionTimeoutMs: 60_000 });
        const c = await RawClient.connect(broker.host, broker.port);
        for (const topic of ['__consumer_offsets', '__transaction_state']) {
          for (const p of [0, 1, 17, 49]) {
            const code = await produceBatch(c, topic, p, garbage);
            if (code !== ErrorCode.INVALID_TOPIC_EXCEPTION) problems.push(`Produce to ${topic}-${p}: error ${code}, expected INVALID_TOPIC_EXCEPTION`);
          }
        }
        // _schemas is an ordinary topic in Kafka; whatever the broker answers, it must survive it.
        await produceBatch(c, '_schemas', 0, garbage);
        c.close();
        await sess.restartBroker();
        const back = await fetch(`${sess.broker.registryUrl}/schemas/ids/${id}`).then((x) => x.status, (e: Error) => e.message);
        if (back !== 200) problems.push(`after restart, schema ${id} answers ${back}`);
        return problems;
      });
      expectHealthy(r);
    } finally {
      await s.close();
    }
  });

  it('DeleteTopics of __consumer_offsets, __transaction_state and _schemas is refused', async () => {
    const s = await Session.open();
    try {
      const r = await s.attack('DeleteTopics of internal topics', async (sess) => {
        const problems: string[] = [];
        const { broker } = sess;
        const schema = JSON.stringify({ schema: JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }) });
        const reg = await fetch(`${broker.registryUrl}/subjects/hostile-del-value/versions`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: schema });
        const { id } = (await reg.json()) as { id: number };
        // An InitProducerId with a transactional id makes __transaction_state exist.
        await roundTrip(broker.host, broker.port, 22, 2, { transactionalId: 'hostile-del-txn', transactionTimeoutMs: 60_000 });
        const internal = ['__consumer_offsets', '__transaction_state', '_schemas'];
        const res = await roundTrip(broker.host, broker.port, 20, 4, { topicNames: internal, timeoutMs: 5000 });
        for (const t of res?.responses ?? []) if (t.errorCode === ErrorCode.NONE) problems.push(`DeleteTopics ${t.name}: accepted`);
        const md = await roundTrip(broker.host, broker.port, 3, 4, { topics: internal.map((name) => newMetadataRequestTopic({ name })), allowAutoTopicCreation: false });
        for (const t of md?.topics ?? []) if (t.errorCode !== ErrorCode.NONE) problems.push(`${t.name} is gone after DeleteTopics (error ${t.errorCode})`);
        await sess.restartBroker();
        const back = await fetch(`${sess.broker.registryUrl}/schemas/ids/${id}`).then((x) => x.status, (e: Error) => e.message);
        if (back !== 200) problems.push(`after DeleteTopics and a restart, schema ${id} answers ${back}`);
        return problems;
      });
      expectHealthy(r);
    } finally {
      await s.close();
    }
  });

  it('Metadata auto-creating _schemas and __consumer_offsets as the first request', async () => {
    // No pair at first: its group would create __consumer_offsets the proper way.
    const s = await Session.open({ pair: false });
    try {
      const r = await s.attack('Metadata auto-creates internal topics first', async (sess) => {
        const problems: string[] = [];
        const internal = ['_schemas', '__consumer_offsets', '__transaction_state'];
        await roundTrip(sess.broker.host, sess.broker.port, 3, 4, { topics: internal.map((name) => newMetadataRequestTopic({ name })), allowAutoTopicCreation: true });
        // Now the registry, a consumer group and a transactional id use whatever exists.
        const schema = JSON.stringify({ schema: JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }) });
        const reg = await fetch(`${sess.broker.registryUrl}/subjects/hostile-md-value/versions`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: schema });
        if (reg.status !== 200) problems.push(`registering a schema answers ${reg.status}: ${await reg.text()}`);
        const { id } = (await reg.json().catch(() => ({ id: -1 }))) as { id: number };
        await roundTrip(sess.broker.host, sess.broker.port, 22, 2, { transactionalId: 'hostile-md-txn', transactionTimeoutMs: 60_000 });
        sess.pair = await KafkaPair.start(sess.broker.bootstrap, 'hostile-md-pair');
        await sleep(1000);
        const { host, port } = sess.broker;
        for (const [topic, policy] of [['_schemas', 'compact'], ['__consumer_offsets', 'compact'], ['__transaction_state', 'compact']]) {
          const cfg = await roundTrip(host, port, 32, 1, { resources: [newDescribeConfigsRequestResource({ resourceType: 2, resourceName: topic!, configurationKeys: ['cleanup.policy'] })] });
          const got = cfg?.results[0].configs[0]?.value;
          if (got !== policy) problems.push(`${topic} has cleanup.policy=${got}, expected ${policy}`);
        }
        const md = await roundTrip(host, port, 3, 4, { topics: [newMetadataRequestTopic({ name: '__consumer_offsets' }), newMetadataRequestTopic({ name: '__transaction_state' })], allowAutoTopicCreation: false });
        for (const t of md?.topics ?? []) if (t.partitions.length !== 50) problems.push(`${t.name} has ${t.partitions.length} partitions, expected 50 (the *.num.partitions default)`);
        await sess.restartBroker();
        const back = await fetch(`${sess.broker.registryUrl}/schemas/ids/${id}`).then((x) => x.status, (e: Error) => e.message);
        if (back !== 200) problems.push(`after a restart, schema ${id} answers ${back}`);
        return problems;
      });
      expectHealthy(r);
    } finally {
      await s.close();
    }
  });

  it('Metadata auto-creating 1,000 topics in one request', async () => {
    const s = await Session.open();
    try {
      const r = await s.attack('Metadata auto-creating 1,000 topics', async ({ broker }) => {
        const topics = Array.from({ length: 1000 }, (_, i) => newMetadataRequestTopic({ name: `hostile-auto-${i}` }));
        const res = await roundTrip(broker.host, broker.port, 3, 4, { topics, allowAutoTopicCreation: true }, 20_000).catch((e: Error) => e);
        if (res instanceof Error) return [`Metadata auto-creating 1,000 topics: ${res.message}`];
        const created = (res?.topics ?? []).filter((t: { errorCode: number }) => t.errorCode === ErrorCode.NONE || t.errorCode === ErrorCode.LEADER_NOT_AVAILABLE).length;
        console.log(`  auto-create: ${created} of 1000 topics created or being created`);
        return [];
      });
      expectHealthy(r);
    } finally {
      await s.close();
    }
  });
});

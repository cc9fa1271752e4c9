/**
 * Data-path attacks on the shared broker: Produce frames queued behind a parked Fetch, Fetches
 * that fan out or wait for data that will never come, CRC-valid batches with lies inside,
 * decompression bombs, and Produce racing the deletion of its topic.
 */
import { it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { newFetchRequestPartition, newFetchRequestTopic, newProduceRequestPartition, newProduceRequestTopic } from '../../../protocol/generated/index.js';
import { mib, type Session, sleep } from '../harness.js';
import { openSocket, RawClient, request, roundTrip, writePaced } from '../frames.js';
import { batchWithRecords, buildBatchSync, compress, CompressionType, gzipBomb, noise, realRecords, recordWithKeyLength } from '../batches.js';
import { createTopic, expectHealthy, kafka, MiB, produceBatch } from './common.js';
import { legacyMessage, legacyMessageSet } from '../../helpers/legacy-messages.js';

/** Registers the data-path cases (in the describe block of the shared broker). */
export function dataPathAttacks(session: () => Session): void {
  it('8 × 32 MiB Produce frames queued behind a parked Fetch', async () => {
    const s = session();
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
    const s = session();
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
    const s = session();
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
    const s = session();
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
    const s = session();
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

  it('message format v0/v1 gzip bombs in Produce v2, in parallel', async () => {
    const s = session();
    const r = await s.attack('legacy gzip bombs (256 MiB each) in Produce v2', async ({ broker }) => {
      const topic = 'hostile-legacy-bombs';
      await createTopic(broker.host, broker.port, topic);
      // A magic 1 wrapper message whose value inflates to 256 MiB: converted on the way in, so
      // bounded by half of runnel.produce.max.decompressed.bytes (src/produce/legacy-produce.ts).
      const bomb = legacyMessageSet([legacyMessage(1, { value: gzipBomb(256 * MiB - 1024), timestamp: Date.now() }, CompressionType.Gzip)]);
      const clients = await Promise.all(Array.from({ length: 8 }, () => RawClient.connect(broker.host, broker.port)));
      const codes = await Promise.all(
        clients.map((c) =>
          c
            .request(0, 2, { acks: -1, timeoutMs: 5000, topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: 0, records: bomb })] })] })
            .then((res: any) => (res === null ? null : (res.responses[0].partitionResponses[0].errorCode as number)))
            .catch(() => null),
        ),
      );
      clients.forEach((c) => c.close());
      return codes.every((code) => code === ErrorCode.MESSAGE_TOO_LARGE) ? [] : [`legacy bombs answered ${codes.join(',')}, expected MESSAGE_TOO_LARGE`];
    });
    expectHealthy(r);
  });

  it('Produce racing DeleteTopics on a topic that rolls a segment per batch (found by the fuzzer)', async () => {
    const s = session();
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
}

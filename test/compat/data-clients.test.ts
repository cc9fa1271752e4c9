/**
 * Issue 4 acceptance, clients: kafkajs, kcat (librdkafka), confluent-kafka-python (librdkafka) and
 * kafka-python each produce 100,000 keyed records with headers to their own 6-partition topic;
 * then every client consumes every topic (a 4 × 4 matrix, so each client reads its own and the
 * three others' data). Each read is checked record by record (bench/data-path/clients.ts
 * verifyDump): count, each record once, offsets contiguous from 0 per partition, send order
 * within a partition, one partition per key and that partition equal to Java's murmur2 (every
 * producer here uses the Java-compatible partitioner: kafkajs's DefaultPartitioner, librdkafka's
 * murmur2_random, kafka-python's default), headers, CreateTime timestamps (explicit per record,
 * except kcat which cannot set them: the produce window).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startTestBroker, tempDir, removeDir, type TestBroker } from '../helpers/broker.js';
import {
  CLIENTS,
  kafkajs,
  kafkajsFetch,
  kafkajsProduce,
  kcatConsume,
  kcatProduce,
  pyConsumeRecords,
  pyProduce,
  storedBatches,
  verifyDump,
  type ClientName,
  type DumpRecord,
  type Expectation,
} from '../../bench/data-path/clients.js';

const N = 100_000;
const PARTITIONS = 6;
const KEY_MOD = 1000;

let broker: TestBroker;
let work: string;
const expectations = new Map<ClientName, Expectation>();
const topicOf = (c: ClientName): string => `dp-matrix-${c}`;

beforeAll(async () => {
  broker = await startTestBroker();
  work = tempDir('dp-matrix');
  const admin = kafkajs(broker.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: CLIENTS.map((c) => ({ topic: topicOf(c), numPartitions: PARTITIONS })) });
  await admin.disconnect();
});

afterAll(async () => {
  await broker?.cleanup();
  if (work) removeDir(work);
});

async function consumeWith(consumer: ClientName, topic: string): Promise<DumpRecord[]> {
  switch (consumer) {
    case 'kafkajs':
      return (await kafkajsFetch(broker.bootstrap, topic, new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, 0])), { expect: N })).records;
    case 'kcat':
      return kcatConsume(broker.bootstrap, topic);
    default:
      return (await pyConsumeRecords(consumer, broker.bootstrap, topic, join(work, `${consumer}-${topic}.tsv`), { partitions: PARTITIONS, expect: N, timeoutMs: 90_000 })).records;
  }
}

describe('100,000 keyed records with headers per client', () => {
  it.each(CLIENTS)('%s produces them to a 6-partition topic', async (client) => {
    const topic = topicOf(client);
    const tsBase = Date.now() - 3_600_000;
    const base = { count: N, keyMod: KEY_MOD, prefix: client, tsBase };
    const t0 = Date.now();
    let acked: number;
    if (client === 'kafkajs') {
      const r = await kafkajsProduce(broker.bootstrap, topic, base);
      expect(r.errors).toEqual([]);
      acked = r.acked;
    } else if (client === 'kcat') {
      const r = await kcatProduce(broker.bootstrap, topic, base);
      expect(r.code, r.stderr).toBe(0);
      acked = N; // kcat exits non-zero when a message fails delivery
    } else {
      const r = await pyProduce(client, broker.bootstrap, topic, base);
      expect(r.errors).toEqual([]);
      acked = r.acked;
    }
    expect(acked).toBe(N);
    const exp: Expectation = { ...base, partitions: PARTITIONS, murmur2: true, tsType: 0 };
    if (client === 'kcat') {
      delete exp.tsBase;
      exp.headerMode = 'static';
      exp.window = [t0 - 1000, Date.now() + 1000];
    }
    expectations.set(client, exp);
    // The log holds exactly the records sent, as CreateTime batches from a non-idempotent producer.
    let stored = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      const batches = storedBatches(broker.dataDir, topic, p);
      stored += batches.reduce((n, b) => n + b.records, 0);
      for (const b of batches) expect(b.timestampType).toBe(0);
      for (let k = 1; k < batches.length; k++) expect(batches[k]!.baseOffset).toBe(batches[k - 1]!.lastOffset + 1);
    }
    expect(stored).toBe(N);
  }, 120_000);

  describe.each(CLIENTS)('consumer %s', (consumer) => {
    it.each(CLIENTS)(`reads the topic produced by %s`, async (producer) => {
      const exp = expectations.get(producer);
      expect(exp, `producer ${producer} did not run`).toBeDefined();
      const records = await consumeWith(consumer, topicOf(producer));
      expect(verifyDump(records, exp!)).toEqual([]);
    }, 120_000);
  });
});

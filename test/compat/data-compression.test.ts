/**
 * Issue 4 acceptance, compression: every codec each client supports (gzip, snappy, lz4, zstd: all
 * four for all four clients; kafkajs through codec plugins on the broker's own native libraries),
 * produced compressed by one client and consumed by another (never itself; over the codecs every
 * client reads every other client's output at least once), with the stored batches checked to
 * keep the producer's codec byte for byte in their attributes (the broker does not re-encode).
 * A topic with compression.type=gzip recompresses whatever arrives (snappy, zstd, lz4, none) to
 * gzip, and every client reads the result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startTestBroker, tempDir, removeDir, type TestBroker } from '../helpers/broker.js';
import {
  CLIENTS,
  CODEC_IDS,
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
  type Codec,
  type DumpRecord,
  type Expectation,
  type GenOptions,
} from '../../bench/data-path/clients.js';

const N = 3000;
const PARTITIONS = 3;
const CODECS: Codec[] = ['gzip', 'snappy', 'lz4', 'zstd'];

let broker: TestBroker;
let work: string;

beforeAll(async () => {
  broker = await startTestBroker();
  work = tempDir('dp-compression');
  const admin = kafkajs(broker.bootstrap).admin();
  await admin.connect();
  const topics = [];
  for (const c of CLIENTS) for (const codec of CODECS) topics.push({ topic: `dp-z-${c}-${codec}`, numPartitions: PARTITIONS });
  for (const c of CLIENTS) topics.push({ topic: `dp-zgzip-${c}`, numPartitions: PARTITIONS, configEntries: [{ name: 'compression.type', value: 'gzip' }] });
  await admin.createTopics({ topics });
  await admin.disconnect();
});

afterAll(async () => {
  await broker?.cleanup();
  if (work) removeDir(work);
});

async function produceWith(client: ClientName, topic: string, gen: GenOptions, compression: Codec): Promise<Expectation> {
  const t0 = Date.now();
  if (client === 'kafkajs') {
    const r = await kafkajsProduce(broker.bootstrap, topic, { ...gen, compression, chunk: 500 });
    expect(r.errors).toEqual([]);
    expect(r.acked).toBe(gen.count);
  } else if (client === 'kcat') {
    const r = await kcatProduce(broker.bootstrap, topic, { ...gen, compression });
    expect(r.code, r.stderr).toBe(0);
  } else {
    const r = await pyProduce(client, broker.bootstrap, topic, { ...gen, compression });
    expect(r.errors).toEqual([]);
    expect(r.acked).toBe(gen.count);
  }
  const exp: Expectation = { ...gen, partitions: PARTITIONS, murmur2: true, tsType: 0 };
  if (client === 'kcat') {
    delete exp.tsBase;
    exp.headerMode = 'static';
    exp.window = [t0 - 1000, Date.now() + 1000];
  }
  return exp;
}

async function consumeWith(client: ClientName, topic: string, expect: number): Promise<DumpRecord[]> {
  switch (client) {
    case 'kafkajs':
      return (await kafkajsFetch(broker.bootstrap, topic, new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, 0])), { expect })).records;
    case 'kcat':
      return kcatConsume(broker.bootstrap, topic);
    default:
      return (await pyConsumeRecords(client, broker.bootstrap, topic, join(work, `${client}-${topic}.tsv`), { partitions: PARTITIONS, expect })).records;
  }
}

function storedCodecs(topic: string): Set<number> {
  const codecs = new Set<number>();
  for (let p = 0; p < PARTITIONS; p++) for (const b of storedBatches(broker.dataDir, topic, p)) codecs.add(b.codec);
  return codecs;
}

describe('codecs across clients', () => {
  const cases: Array<[ClientName, Codec, ClientName]> = [];
  CLIENTS.forEach((producer, pi) =>
    CODECS.forEach((codec, ci) => {
      // Shift 1, 2, 3, 1: never the producer itself, and each codec reaches all four consumers.
      cases.push([producer, codec, CLIENTS[(pi + 1 + (ci % 3)) % CLIENTS.length]!]);
    }),
  );

  it.for<[ClientName, Codec, ClientName]>(cases)('%s produces %s, stored as sent, %s consumes', { timeout: 60_000 }, async ([producer, codec, consumer], ctx) => {
    // librdkafka 2.0.2 enables lz4 only when the broker advertises FindCoordinator v0 (its feature
    // map ties LZ4 to it) and otherwise sends lz4 batches uncompressed, silently.
    if (codec === 'lz4' && (producer === 'kcat' || producer === 'ck') && !broker.broker.handlers.has(10)) {
      ctx.skip('librdkafka turns lz4 off: the broker does not advertise FindCoordinator (key 10) yet');
    }
    const topic = `dp-z-${producer}-${codec}`;
    const exp = await produceWith(producer, topic, { count: N, keyMod: 100, prefix: `${producer}-${codec}`, valueSize: 100, tsBase: Date.now() - 60_000 }, codec);
    expect([...storedCodecs(topic)]).toEqual([CODEC_IDS[codec]]);
    const records = await consumeWith(consumer, topic, N);
    expect(verifyDump(records, exp)).toEqual([]);
  });
});

describe('topic compression.type=gzip', () => {
  const sent: Array<[ClientName, Codec]> = [
    ['kcat', 'snappy'],
    ['kafkajs', 'zstd'],
    ['ck', 'lz4'],
    ['kp', 'none'],
  ];
  const exps = new Map<ClientName, Expectation>();

  it.each(sent)('%s sends %s, the broker stores gzip', async (producer, codec) => {
    const topic = `dp-zgzip-${producer}`;
    exps.set(producer, await produceWith(producer, topic, { count: N, keyMod: 100, prefix: `gz-${producer}`, valueSize: 100, tsBase: Date.now() - 60_000 }, codec));
    expect([...storedCodecs(topic)]).toEqual([CODEC_IDS.gzip]);
  }, 60_000);

  it.each(CLIENTS)('%s reads every recompressed topic', async (consumer) => {
    for (const [producer] of sent) {
      const exp = exps.get(producer);
      expect(exp, `producer ${producer} did not run`).toBeDefined();
      expect(verifyDump(await consumeWith(consumer, `dp-zgzip-${producer}`, N), exp!), `${producer} → ${consumer}`).toEqual([]);
    }
  }, 90_000);
});

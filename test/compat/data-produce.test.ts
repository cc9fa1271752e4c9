/**
 * Issue 4 acceptance, producing as Kafka users meet it, with each client:
 * - a topic that does not exist: created on first use with auto.create.topics.enable=true (with
 *   num.partitions), refused (and not created) with it off;
 * - a record larger than the topic's max.message.bytes: MESSAGE_TOO_LARGE surfaces in each
 *   client as its own error, nothing is appended, and the producer goes on afterwards;
 * - acks=0: records arrive although no response is sent; a failing acks=0 produce closes the
 *   connection (Kafka's way of telling such a producer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { javaAvailable, runJava } from '../helpers/java.js';
import { ErrorCode } from '../../protocol/errors.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import {
  CLIENTS,
  kafkajs,
  kafkajsProduce,
  kcatConsume,
  kcatProduce,
  pyProduce,
  rawFetch,
  rawProduce,
  storedBatches,
  verifyDump,
  type ClientName,
} from '../../bench/data-path/clients.js';

let on: TestBroker;
let off: TestBroker;

beforeAll(async () => {
  [on, off] = await Promise.all([
    startTestBroker({ config: { 'num.partitions': 3 } }),
    startTestBroker({ config: { 'auto.create.topics.enable': false } }),
  ]);
  const admin = kafkajs(on.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({
    topics: [...CLIENTS, 'java'].map((c) => ({ topic: `big-${c}`, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '10000' }] })),
  });
  await admin.disconnect();
});

afterAll(async () => {
  await Promise.all([on?.cleanup(), off?.cleanup()]);
});

async function listTopics(b: TestBroker): Promise<string[]> {
  const admin = kafkajs(b.bootstrap).admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

/** Produces `count` records with one client; returns the errors it reported (exit status for kcat). */
async function produceWith(client: ClientName, bootstrap: string, topic: string, o: { count: number; prefix: string; valueSize?: number; acks?: number }): Promise<string[]> {
  // Short timeouts: librdkafka waits topic.metadata.propagation.max.ms (30 s) for an unknown topic,
  // kafka-python max_block_ms (60 s) for metadata.
  switch (client) {
    case 'kafkajs':
      return (await kafkajsProduce(bootstrap, topic, { ...o, chunk: 100 })).errors;
    case 'kcat': {
      const r = await kcatProduce(bootstrap, topic, { ...o, props: { 'message.timeout.ms': 5000, 'topic.metadata.propagation.max.ms': 1000 }, timeoutMs: 30_000 });
      return r.code === 0 ? [] : [r.stderr];
    }
    case 'ck':
      return (await pyProduce('ck', bootstrap, topic, { ...o, config: { 'message.timeout.ms': 5000, 'topic.metadata.propagation.max.ms': 1000 } })).errors;
    case 'kp':
      return (await pyProduce('kp', bootstrap, topic, { ...o, config: { max_block_ms: 3000 } })).errors;
  }
}

describe('produce to a topic that does not exist', () => {
  it.each(CLIENTS)('%s: auto.create.topics.enable=true creates it with num.partitions', async (client) => {
    const topic = `auto-${client}`;
    expect(await produceWith(client, on.bootstrap, topic, { count: 20, prefix: client })).toEqual([]);
    const admin = kafkajs(on.bootstrap).admin();
    await admin.connect();
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.disconnect();
    expect(md.topics[0]!.partitions.length).toBe(3);
    const recs = await kcatConsume(on.bootstrap, topic);
    expect(recs.map((r) => r.value).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `${client}-${i}`).sort());
  }, 30_000);

  it.each(CLIENTS)('%s: auto.create.topics.enable=false refuses and creates nothing', async (client) => {
    const topic = `noauto-${client}`;
    const errors = await produceWith(client, off.bootstrap, topic, { count: 1, prefix: client });
    expect(errors.length).toBeGreaterThan(0);
    const want = {
      kafkajs: /does not host this topic-partition|UNKNOWN_TOPIC/i,
      kcat: /Unknown topic|UNKNOWN_TOPIC/i,
      ck: /UNKNOWN_TOPIC/,
      kp: /KafkaTimeoutError|Failed to update metadata/,
    }[client];
    expect(errors.join('\n')).toMatch(want);
    expect(await listTopics(off)).not.toContain(topic);
  }, 30_000);

  it('raw Produce to an unknown topic answers UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const c = await RawClient.connect(off.host, off.port);
    try {
      expect((await rawProduce(c, 'nowhere', 0, buildBatchSync([{ value: 'x' }]))).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    } finally {
      c.close();
    }
  });
});

describe('MESSAGE_TOO_LARGE (topic max.message.bytes=10000)', () => {
  it.each(CLIENTS)('%s reports it, nothing is stored, and a small record still goes through', async (client) => {
    const topic = `big-${client}`;
    const errors = await produceWith(client, on.bootstrap, topic, { count: 1, prefix: `${client}-big`, valueSize: 20_000 });
    const want = {
      kafkajs: /larger than the max message size/,
      kcat: /Message size too large|MSG_SIZE_TOO_LARGE/i,
      ck: /MSG_SIZE_TOO_LARGE/,
      kp: /MessageSizeTooLargeError/,
    }[client];
    expect(errors.join('\n')).toMatch(want);
    expect(storedBatches(on.dataDir, topic, 0)).toEqual([]);
    expect(await produceWith(client, on.bootstrap, topic, { count: 1, prefix: `${client}-small`, valueSize: 100 })).toEqual([]);
    expect((await kcatConsume(on.bootstrap, topic)).map((r) => r.value!.slice(0, 20))).toEqual([`${client}-small-0`.padEnd(20, 'x')]);
  }, 30_000);

  it.skipIf(!javaAvailable())('Java reports RecordTooLargeException', async () => {
    const r = await runJava('Produce', ['--bootstrap', on.bootstrap, '--topic', 'big-java', '--count', '1', '--value-size', '20000', '--timeout-ms', '40000'], { timeoutMs: 60_000 });
    expect(JSON.stringify(r.json)).toMatch(/RecordTooLargeException|MESSAGE_TOO_LARGE|larger than the max message size/);
    expect(r.json.acked).toBe(0);
    expect(storedBatches(on.dataDir, 'big-java', 0)).toEqual([]);
  }, 60_000);
});

describe('acks=-1 and the fsync policy', () => {
  it('a topic with flush.messages > 1 answers acks=-1 after the write, not at a later fsync', async () => {
    const admin = kafkajs(on.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'relaxed-fsync', numPartitions: 1, configEntries: [{ name: 'flush.messages', value: '100' }] }] });
    await admin.disconnect();
    const producer = kafkajs(on.bootstrap).producer();
    await producer.connect();
    try {
      for (let i = 0; i < 3; i++) {
        const t0 = Date.now();
        const [r] = await producer.send({ topic: 'relaxed-fsync', acks: -1, timeout: 3000, messages: [{ value: `r-${i}` }] });
        expect(Number(r!.baseOffset)).toBe(i);
        expect(Date.now() - t0).toBeLessThan(1000);
      }
    } finally {
      await producer.disconnect();
    }
  });
});

describe('acks=0', () => {
  it.each(CLIENTS)('%s: records arrive with no response sent', async (client) => {
    const topic = `acks0-${client}`;
    const admin = kafkajs(on.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    await admin.disconnect();
    const gen = { count: 2000, keyMod: 100, prefix: client, tsBase: Date.now() - 1000 };
    const t0 = Date.now();
    const errors =
      client === 'kafkajs'
        ? (await kafkajsProduce(on.bootstrap, topic, { ...gen, acks: 0, chunk: 200 })).errors
        : client === 'kcat'
          ? ((r) => (r.code === 0 ? [] : [r.stderr]))(await kcatProduce(on.bootstrap, topic, { ...gen, acks: 0 }))
          : (await pyProduce(client, on.bootstrap, topic, { ...gen, acks: 0 })).errors;
    expect(errors).toEqual([]);
    // Nothing told the producer when the appends were done: wait for them.
    const deadline = Date.now() + 10_000;
    let stored = 0;
    while (Date.now() < deadline) {
      stored = [0, 1, 2].reduce((n, p) => n + storedBatches(on.dataDir, topic, p).reduce((s, b) => s + b.records, 0), 0);
      if (stored >= 2000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(stored).toBe(2000);
    // On disk is not yet readable: a record is served once its batch is flushed (the high
    // watermark), and kcat -e stops at the high watermark it sees. Wait for every partition's.
    const visible = async (): Promise<number> => {
      const c = await RawClient.connect(on.host, on.port);
      try {
        const r = await c.request(2, 1, { replicaId: -1, topics: [{ name: topic, partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, timestamp: -1 })) }] });
        return (r?.topics?.[0]?.partitions ?? []).reduce((n: number, p: { offset: bigint | number }) => n + Number(p.offset), 0);
      } finally {
        c.close();
      }
    };
    let hw = 0;
    for (const until = Date.now() + 10_000; Date.now() < until && (hw = await visible()) < 2000; ) await new Promise((r) => setTimeout(r, 50));
    expect(hw, 'high watermarks').toBe(2000);
    const exp = client === 'kcat' ? { ...gen, tsBase: undefined, headerMode: 'static' as const, window: [t0 - 1000, Date.now()] as [number, number] } : gen;
    expect(verifyDump(await kcatConsume(on.bootstrap, topic), { ...exp, partitions: 3, murmur2: true })).toEqual([]);
  }, 60_000);

  it('a failed acks=0 produce closes the connection', async () => {
    const c = await RawClient.connect(on.host, on.port);
    try {
      const big = buildBatchSync([{ value: 'y'.repeat(20_000) }]);
      c.write(RawClient.encodeRequest(0, 9, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'big-kafkajs', partitionData: [{ index: 0, records: big }] }] }, 5));
      await c.waitClosed(5000);
    } finally {
      c.close();
    }
    // A good acks=0 produce keeps the connection open (a fetch on it still answers).
    const ok = await RawClient.connect(on.host, on.port);
    try {
      ok.write(RawClient.encodeRequest(0, 9, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'big-kafkajs', partitionData: [{ index: 0, records: buildBatchSync([{ value: 'z' }]) }] }] }, 6));
      const part = (await rawFetch(ok, 'big-kafkajs', 0, 0)).responses[0]!.partitions[0]!;
      expect(part.errorCode).toBe(ErrorCode.NONE);
    } finally {
      ok.close();
    }
  });
});

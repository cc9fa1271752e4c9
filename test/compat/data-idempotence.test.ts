/**
 * Issue 4 acceptance, idempotence.
 *
 * Lost responses: a TCP proxy (test/helpers/proxy.ts) forwards a Produce request, lets the broker
 * append it, drops the response and cuts the connection — the client never learns its batch was
 * written and sends it again. With idempotence on (librdkafka `enable.idempotence=true` through
 * confluent-kafka-python, kafkajs `idempotent: true`, the Java client's default) the log must hold
 * every record exactly once; a non-idempotent kafkajs producer under the same cut shows the
 * duplicate that the check would catch.
 *
 * Restarts: the broker's producer state (last five batches per producer and partition) survives a
 * clean restart (snapshot), a kill -9 (rebuilt from the log), and a kill -9 after a snapshot with
 * more appends behind it: a batch re-sent after the restart is answered with its original offsets
 * and not appended again. Checked byte-exactly with raw Produce requests, and end to end with
 * librdkafka: the proxy eats a response, the broker is killed -9 and restarted on the same port,
 * and the producer's retry is deduplicated by the rebuilt state.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker, spawnBroker, tempDir, removeDir, type TestBroker, type ChildBroker } from '../helpers/broker.js';
import { KafkaProxy } from '../helpers/proxy.js';
import { RawClient } from '../helpers/raw-client.js';
import { javaAvailable, runJava } from '../helpers/java.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  freePort,
  kafkajs,
  kafkajsProduce,
  kcatConsume,
  pyProduce,
  rawInitProducerId,
  rawProduce,
  storedBatches,
  verifyDump,
  type Expectation,
} from '../../bench/data-path/clients.js';

const PRODUCE = 0;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface ProxiedBroker {
  proxy: KafkaProxy;
  port: number;
  dataDir: string;
  /** The proxy's address: what clients bootstrap from and what the broker advertises. */
  bootstrap: string;
}

/** A proxy, and an in-process broker on a known port that advertises the proxy. */
async function proxiedBroker(): Promise<ProxiedBroker & { broker: TestBroker }> {
  const proxy = new KafkaProxy({ record: false });
  await proxy.start();
  const port = await freePort();
  proxy.setUpstream('127.0.0.1', port);
  const broker = await startTestBroker({ port, config: { 'advertised.listeners': `PLAINTEXT://${proxy.bootstrap}` } });
  cleanups.push(() => broker.cleanup(), () => proxy.stop());
  return { proxy, port, dataDir: broker.dataDir, bootstrap: proxy.bootstrap, broker };
}

async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = kafkajs(bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();
}

/**
 * Arms the proxy to cut after each of the next `max` Produce requests, one at a time (the next cut
 * is armed once the previous one happened and `onCut` finished). `cuts()` tells how many happened;
 * a cut still armed at the end is dropped when the test's proxy stops.
 */
async function cutProduces(proxy: KafkaProxy, max: number, onCut: () => Promise<void> = async () => undefined): Promise<{ cuts: () => number }> {
  let cuts = 0;
  void (async () => {
    while (cuts < max) {
      try {
        await proxy.cutAfterNextRequestOf(PRODUCE);
      } catch {
        return; // proxy stopped
      }
      cuts++;
      await onCut();
    }
  })();
  return { cuts: () => cuts };
}

function storedCount(dataDir: string, topic: string, partitions: number): number {
  let n = 0;
  for (let p = 0; p < partitions; p++) n += storedBatches(dataDir, topic, p).reduce((s, b) => s + b.records, 0);
  return n;
}

describe('a Produce response lost after the append', () => {
  const N = 3000;
  const P = 3;

  it('librdkafka (confluent-kafka-python, enable.idempotence=true) retries and the log holds each record once', async () => {
    const env = await proxiedBroker();
    const topic = 'idem-ck';
    await createTopic(env.bootstrap, topic, P);
    const cut = await cutProduces(env.proxy, 3);
    const gen = { count: N, keyMod: 50, prefix: 'ck', tsBase: Date.now() - 10_000 };
    const r = await pyProduce('ck', env.bootstrap, topic, { ...gen, idempotence: true, lingerMs: 2, config: { 'batch.num.messages': 200 } });
    expect(r.errors).toEqual([]);
    expect(r.acked).toBe(N);
    expect(cut.cuts()).toBeGreaterThanOrEqual(1);
    expect(storedCount(env.dataDir, topic, P)).toBe(N);
    const exp: Expectation = { ...gen, partitions: P, murmur2: true };
    expect(verifyDump(await kcatConsume(env.bootstrap, topic), exp)).toEqual([]);
  }, 60_000);

  it('kafkajs (idempotent: true) retries and the log holds each record once', async () => {
    const env = await proxiedBroker();
    const topic = 'idem-kafkajs';
    await createTopic(env.bootstrap, topic, P);
    const cut = await cutProduces(env.proxy, 3);
    const gen = { count: N, keyMod: 50, prefix: 'kjs', tsBase: Date.now() - 10_000 };
    const r = await kafkajsProduce(env.bootstrap, topic, { ...gen, idempotent: true, chunk: 200 });
    expect(r.errors).toEqual([]);
    expect(r.acked).toBe(N);
    expect(cut.cuts()).toBeGreaterThanOrEqual(1);
    expect(storedCount(env.dataDir, topic, P)).toBe(N);
    expect(verifyDump(await kcatConsume(env.bootstrap, topic), { ...gen, partitions: P, murmur2: true })).toEqual([]);
  }, 60_000);

  it('without idempotence the same cut duplicates records (the check above would see it)', async () => {
    const env = await proxiedBroker();
    const topic = 'idem-off';
    await createTopic(env.bootstrap, topic, P);
    const cut = await cutProduces(env.proxy, 1);
    const gen = { count: 1000, keyMod: 50, prefix: 'plain', tsBase: Date.now() - 10_000 };
    const r = await kafkajsProduce(env.bootstrap, topic, { ...gen, idempotent: false, chunk: 200 });
    expect(r.errors).toEqual([]);
    expect(cut.cuts()).toBe(1);
    expect(storedCount(env.dataDir, topic, P)).toBeGreaterThan(1000);
    expect(verifyDump(await kcatConsume(env.bootstrap, topic), { ...gen, partitions: P }).join('\n')).toMatch(/seen twice/);
  }, 60_000);

  it.skipIf(!javaAvailable())('the Java client (idempotent by default) retries and the log holds each record once', async () => {
    const env = await proxiedBroker();
    const topic = 'idem-java';
    await createTopic(env.bootstrap, topic, P);
    const cut = await cutProduces(env.proxy, 3);
    const t0 = Date.now();
    const r = await runJava(
      'Produce',
      ['--bootstrap', env.bootstrap, '--topic', topic, '--count', String(N), '--key-pattern', 'k%d', '--value-pattern', 'java-%d', '--headers', 'i=%d,src=java', '--linger-ms', '2', '--batch-size', '4096'],
      { timeoutMs: 90_000 },
    );
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.json).toMatchObject({ sent: N, acked: N, errors: [] });
    expect(cut.cuts()).toBeGreaterThanOrEqual(1);
    expect(storedCount(env.dataDir, topic, P)).toBe(N);
    // Java's keys are k<i> (one per record): keyMod = N gives the same keys.
    const exp: Expectation = { count: N, keyMod: N, prefix: 'java', partitions: P, murmur2: true, window: [t0, Date.now()] };
    expect(verifyDump(await kcatConsume(env.bootstrap, topic), exp)).toEqual([]);
  }, 120_000);
});

describe('producer state across broker restarts', () => {
  const topic = 'idem-restart';

  function batchOf(pid: number, epoch: number, seq: number, n: number): Buffer {
    return buildBatchSync(
      Array.from({ length: n }, (_, k) => ({ key: `k${seq + k}`, value: `raw-${seq + k}` })),
      { producerId: pid, producerEpoch: epoch, baseSequence: seq },
    );
  }

  async function start(dataDir: string, port: number): Promise<{ broker: ChildBroker; client: RawClient }> {
    const broker = await spawnBroker(dataDir, {}, port);
    const client = await RawClient.connect('127.0.0.1', port);
    return { broker, client };
  }

  it.each([
    ['a clean restart (snapshot)', 'SIGTERM', false],
    ['kill -9 (state rebuilt from the log)', 'SIGKILL', false],
    ['kill -9 after a snapshot with appends behind it', 'SIGKILL', true],
  ] as const)('re-sent batches are deduplicated after %s', async (_name, signal, snapshotFirst) => {
    const dataDir = tempDir('idem-restart');
    cleanups.push(() => removeDir(dataDir));
    const port = await freePort();
    let { broker, client } = await start(dataDir, port);
    cleanups.push(async () => {
      client.close();
      await broker.kill('SIGKILL');
    });
    await createTopic(broker.bootstrap, topic, 1);
    const { producerId: pid, producerEpoch: epoch } = await rawInitProducerId(client);
    const sent: Array<{ seq: number; batch: Buffer; offset: number }> = [];
    const send = async (seq: number): Promise<void> => {
      const b = batchOf(pid, epoch, seq, 10);
      const r = await rawProduce(client, topic, 0, b);
      expect(r.errorCode, r.errorMessage ?? '').toBe(ErrorCode.NONE);
      sent.push({ seq, batch: b, offset: r.baseOffset });
    };
    await send(0);
    await send(10);
    const restart = async (sig: NodeJS.Signals): Promise<void> => {
      client.close();
      await broker.kill(sig);
      ({ broker, client } = await start(dataDir, port));
    };
    if (snapshotFirst) {
      await restart('SIGTERM');
      await send(20);
    }
    await restart(signal);
    // Every batch sent so far (at most five) comes back with its original offsets, not appended again.
    for (const s of [...sent].reverse()) {
      const again = await rawProduce(client, topic, 0, s.batch);
      expect(again, `re-sent seq ${s.seq}`).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: s.offset });
    }
    // The sequence continues where it was; a gap is refused.
    const next = sent.length * 10;
    const gap = await rawProduce(client, topic, 0, batchOf(pid, epoch, next + 10, 10));
    expect(gap.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    await send(next);
    expect(sent.map((s) => s.offset)).toEqual(sent.map((_, i) => i * 10));
    const records = await kcatConsume(broker.bootstrap, topic);
    expect(records.map((r) => r.value)).toEqual(Array.from({ length: next + 10 }, (_, i) => `raw-${i}`));
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: next + 10 }, (_, i) => i));
  }, 60_000);

  it('librdkafka: response lost, broker killed -9 and restarted, the retry is deduplicated', async () => {
    const proxy = new KafkaProxy({ record: false });
    await proxy.start();
    const port = await freePort();
    proxy.setUpstream('127.0.0.1', port);
    const dataDir = tempDir('idem-kill-retry');
    const flags = { 'advertised.listeners': `PLAINTEXT://${proxy.bootstrap}` };
    let broker = await spawnBroker(dataDir, flags, port);
    cleanups.push(
      () => removeDir(dataDir),
      () => proxy.stop(),
      async () => {
        await broker.kill('SIGKILL');
      },
    );
    const t = 'idem-kill-ck';
    await createTopic(proxy.bootstrap, t, 3);
    let restarts = 0;
    const cut = await cutProduces(proxy, 2, async () => {
      await broker.kill('SIGKILL');
      broker = await spawnBroker(dataDir, flags, port);
      restarts++;
    });
    const gen = { count: 3000, keyMod: 50, prefix: 'ckk', tsBase: Date.now() - 10_000 };
    const r = await pyProduce('ck', proxy.bootstrap, t, { ...gen, idempotence: true, lingerMs: 2, config: { 'batch.num.messages': 200 } });
    expect(r.errors).toEqual([]);
    expect(r.acked).toBe(3000);
    expect(cut.cuts()).toBeGreaterThanOrEqual(1);
    expect(restarts).toBeGreaterThanOrEqual(1);
    expect(verifyDump(await kcatConsume(proxy.bootstrap, t), { ...gen, partitions: 3, murmur2: true })).toEqual([]);
  }, 90_000);
});

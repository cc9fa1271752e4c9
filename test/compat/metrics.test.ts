/**
 * Issue 7 acceptance, metrics and health: GET /metrics parses as Prometheus text (strictly, see
 * metrics-text-format.ts); per-topic counters move by exactly the records produced and fetched;
 * request counts, error codes and latency histograms per API; partitions, log sizes and offsets;
 * connections; consumer group lag of a kafkajs group; fsync latency; process metrics. GET /ready
 * answers 503 until storage recovery finished and the listeners are open, then 200.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, CompressionTypes } from 'kafkajs';
import { realFs, type StorageFs } from '../../storage/fs.js';
import { Admin, KafkaClient, Producer } from '../../src/client/index.js';
import { startTestBroker, tempDir, removeDir, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { parsePrometheusText, value, type Family } from './metrics-text-format.js';

let broker: TestBroker;
let base: string;

async function scrape(): Promise<Map<string, Family>> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheusText(await res.text());
}

beforeAll(async () => {
  broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
  base = broker.broker.adminHttp!.url!;
});

afterAll(async () => {
  await broker?.cleanup();
});

describe('GET /metrics', () => {
  it('is valid Prometheus text with the families Kafka dashboards use', async () => {
    const m = await scrape();
    for (const [name, type] of [
      ['kafka_server_brokertopicmetrics_messagesin_total', 'counter'],
      ['kafka_server_brokertopicmetrics_bytesin_total', 'counter'],
      ['kafka_server_brokertopicmetrics_bytesout_total', 'counter'],
      ['kafka_network_requestmetrics_requests_total', 'counter'],
      ['kafka_network_requestmetrics_errors_total', 'counter'],
      ['kafka_network_requestmetrics_totaltime_seconds', 'histogram'],
      ['kafka_server_replicamanager_partitioncount', 'gauge'],
      ['kafka_log_log_size', 'gauge'],
      ['kafka_server_socketservermetrics_connection_count', 'gauge'],
      ['kafka_consumergroup_lag', 'gauge'],
      ['kafka_log_logflushstats_logflush_seconds', 'histogram'],
      ['process_cpu_seconds_total', 'counter'],
      ['process_resident_memory_bytes', 'gauge'],
      ['runnel_ready', 'gauge'],
    ] as const) {
      expect(m.get(name)?.type, name).toBe(type);
      expect(m.get(name)!.help.length, name).toBeGreaterThan(0);
    }
    expect(value(m, 'runnel_ready')).toBe(1);
    expect(value(m, 'process_resident_memory_bytes')).toBeGreaterThan(1e6);
  });

  it('moves message and byte counters by exactly what was produced and fetched', async () => {
    const client = new KafkaClient({ bootstrap: broker.bootstrap });
    await new Admin(client).createTopics([{ name: 'counted', partitions: 3 }]);
    const before = await scrape();
    const allBefore = value(before, 'kafka_server_brokertopicmetrics_messagesin_total') ?? 0;
    // Our producer (gzip) and kafkajs (uncompressed, another batch shape) together.
    const producer = new Producer(client, { compression: 'gzip', batchSize: 4096 });
    await Promise.all(Array.from({ length: 1234 }, (_, i) => producer.sendAsync({ topic: 'counted', key: `k${i}`, value: `v${i}` })));
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const kp = kafka.producer();
    await kp.connect();
    await kp.send({ topic: 'counted', messages: Array.from({ length: 66 }, (_, i) => ({ value: `x${i}` })) });
    await kp.send({ topic: 'counted', compression: CompressionTypes.GZIP, messages: [{ value: 'y' }] });
    await kp.disconnect();
    const after = await scrape();
    expect(value(after, 'kafka_server_brokertopicmetrics_messagesin_total', { topic: 'counted' })).toBe(1234 + 66 + 1);
    expect(value(after, 'kafka_server_brokertopicmetrics_messagesin_total')).toBe(allBefore + 1301);
    // Bytes in = the bytes of the stored batches = the partitions' log sizes (a fresh topic).
    const logBytes = [0, 1, 2].reduce((n, p) => n + broker.broker.logs.get('counted', p)!.size, 0);
    expect(value(after, 'kafka_server_brokertopicmetrics_bytesin_total', { topic: 'counted' })).toBe(logBytes);
    for (const p of [0, 1, 2]) {
      const log = broker.broker.logs.get('counted', p)!;
      expect(value(after, 'kafka_log_log_size', { topic: 'counted', partition: p })).toBe(log.size);
      expect(value(after, 'kafka_log_log_logendoffset', { topic: 'counted', partition: p })).toBe(log.highWatermark);
      expect(value(after, 'kafka_log_log_logstartoffset', { topic: 'counted', partition: p })).toBe(0);
    }
    expect(value(after, 'kafka_topic_partitions', { topic: 'counted' })).toBe(3);
    // Reading everything once sends every stored byte once.
    const c = kafka.consumer({ groupId: 'counter-reader', maxWaitTimeInMs: 100 });
    await c.connect();
    await c.subscribe({ topic: 'counted', fromBeginning: true });
    let n = 0;
    await new Promise<void>((resolve) => void c.run({ eachMessage: async () => void (++n === 1301 && resolve()) }));
    await c.disconnect();
    const read = await scrape();
    expect(value(read, 'kafka_server_brokertopicmetrics_bytesout_total', { topic: 'counted' })).toBeGreaterThanOrEqual(logBytes);
    await producer.close();
    await client.close();
  });

  it('counts requests, error codes and latency per API', async () => {
    const before = await scrape();
    const client = new KafkaClient({ bootstrap: broker.bootstrap });
    const admin = new Admin(client);
    await admin.createTopics([{ name: 'errs', partitions: 1 }]);
    await admin.createTopics([{ name: 'errs', partitions: 1 }]); // TOPIC_ALREADY_EXISTS
    await admin.deleteTopics(['never-was', 'nor-this']); // 2 x UNKNOWN_TOPIC_OR_PARTITION
    await client.close();
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => (value(after, name, labels) ?? 0) - (value(before, name, labels) ?? 0);
    expect(delta('kafka_network_requestmetrics_requests_total', { request: 'CreateTopics' })).toBe(2);
    expect(delta('kafka_network_requestmetrics_errors_total', { request: 'CreateTopics', error: 'TOPIC_ALREADY_EXISTS' })).toBe(1);
    expect(delta('kafka_network_requestmetrics_errors_total', { request: 'DeleteTopics', error: 'UNKNOWN_TOPIC_OR_PARTITION' })).toBe(2);
    expect(value(after, 'kafka_network_requestmetrics_errors_total', { request: 'CreateTopics', error: 'NONE' })).toBeUndefined();
    // Every request is in its API's histogram.
    for (const s of after.get('kafka_network_requestmetrics_requests_total')!.samples) {
      expect(value(after, 'kafka_network_requestmetrics_totaltime_seconds_count', s.labels)).toBe(s.value);
    }
    expect(value(after, 'kafka_network_requestmetrics_totaltime_seconds_bucket', { request: 'CreateTopics', le: '+Inf' })).toBe(value(after, 'kafka_network_requestmetrics_totaltime_seconds_count', { request: 'CreateTopics' }));
    // acks=all appends are fsynced (flush.messages=1): the fsync histogram saw them.
    expect(value(after, 'kafka_log_logflushstats_logflush_seconds_count')).toBeGreaterThan(0);
    expect(value(after, 'kafka_log_logflushstats_logflush_failures_total')).toBe(0);
  });

  it('shows open connections per listener', async () => {
    const base0 = value(await scrape(), 'kafka_server_socketservermetrics_connection_count', { listener: 'PLAINTEXT' })!;
    const a = await RawClient.connect(broker.host, broker.port);
    const b = await RawClient.connect(broker.host, broker.port);
    await a.request(18, 0);
    await b.request(18, 0);
    expect(value(await scrape(), 'kafka_server_socketservermetrics_connection_count', { listener: 'PLAINTEXT' })).toBe(base0 + 2);
    a.close();
    b.close();
    await a.waitClosed();
    await b.waitClosed();
    await new Promise((r) => setTimeout(r, 100));
    expect(value(await scrape(), 'kafka_server_socketservermetrics_connection_count', { listener: 'PLAINTEXT' })).toBe(base0);
  });

  it('reports the lag of a kafkajs consumer group per partition', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'lagging', numPartitions: 2 }] });
    const kp = kafka.producer();
    await kp.connect();
    await kp.send({ topic: 'lagging', messages: [...Array.from({ length: 7 }, () => ({ value: 'a', partition: 0 })), ...Array.from({ length: 4 }, () => ({ value: 'b', partition: 1 }))] });
    const c = kafka.consumer({ groupId: 'laggards', maxWaitTimeInMs: 100 });
    await c.connect();
    await c.subscribe({ topic: 'lagging', fromBeginning: true });
    let n = 0;
    await new Promise<void>((resolve) => void c.run({ eachMessage: async () => void (++n === 11 && resolve()) }));
    await c.disconnect(); // commits
    await kp.send({ topic: 'lagging', messages: [...Array.from({ length: 5 }, () => ({ value: 'c', partition: 0 })), { value: 'd', partition: 1 }] });
    await kp.disconnect();
    await admin.disconnect();
    const m = await scrape();
    expect(value(m, 'kafka_consumergroup_current_offset', { consumergroup: 'laggards', topic: 'lagging', partition: 0 })).toBe(7);
    expect(value(m, 'kafka_consumergroup_lag', { consumergroup: 'laggards', topic: 'lagging', partition: 0 })).toBe(5);
    expect(value(m, 'kafka_consumergroup_lag', { consumergroup: 'laggards', topic: 'lagging', partition: 1 })).toBe(1);
    expect(value(m, 'kafka_consumergroup_lag_sum', { consumergroup: 'laggards', topic: 'lagging' })).toBe(6);
    expect(value(m, 'kafka_consumergroup_members', { consumergroup: 'laggards', state: 'Empty' })).toBe(0);
  });
});

describe('GET /health and /ready', () => {
  it('answers health, readiness, 404 and HEAD', async () => {
    const h = await fetch(`${base}/health`);
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ status: 'ok', ready: true, state: 'ready', nodeId: 1, offlinePartitions: 0 });
    const r = await fetch(`${base}/ready`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ready: true, state: 'ready' });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    const head = await fetch(`${base}/ready`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('flips /ready from 503 to 200 once recovery finished, and back to 503 at shutdown', async () => {
    const dataDir = tempDir('ready');
    // A data dir with partitions to recover.
    const first = await startTestBroker({ dataDir, keepData: true, config: { 'num.partitions': 4 } });
    const client = new KafkaClient({ bootstrap: first.bootstrap });
    const p = new Producer(client);
    await Promise.all(Array.from({ length: 40 }, (_, i) => p.sendAsync({ topic: 'recover-me', key: `k${i}`, value: 'v' })));
    await client.close();
    await first.cleanup();
    // Restart on a slow disk: every storage open takes 150 ms, so recovery takes a while.
    const slowFs: StorageFs = { ...realFs, open: async (path, mode) => (await new Promise((r) => setTimeout(r, 150)), realFs.open(path, mode)) };
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const states: number[] = [];
    let health = 0;
    const starting = startTestBroker({ dataDir, storageFs: slowFs, config: { 'runnel.admin.listener': `127.0.0.1:${port}` } });
    let started = false;
    void starting.then(() => (started = true));
    while (!started) {
      try {
        const r = await fetch(`${url}/ready`);
        states.push(r.status);
        if (health === 0) health = (await fetch(`${url}/health`)).status;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const second = await starting;
    try {
      expect(states).toContain(503);
      expect(health).toBe(200);
      expect(states.indexOf(200) === -1 || states.indexOf(200) > states.lastIndexOf(503)).toBe(true);
      expect((await fetch(`${url}/ready`)).status).toBe(200);
      expect(second.broker.logs.stats.partitionsLoaded).toBeGreaterThanOrEqual(4);
      // Shutdown: not ready any more from its first moment.
      const stopping = second.broker.stop();
      expect(second.broker.ready).toBe(false);
      await stopping;
      await expect(fetch(`${url}/ready`)).rejects.toThrow();
    } finally {
      await second.cleanup();
      removeDir(dataDir);
    }
  });

  it('refuses to start when an explicit admin listener cannot bind, warns when the default cannot', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startTestBroker({ config: { 'runnel.admin.listener': `127.0.0.1:${port}` } })).rejects.toThrow(/Admin HTTP endpoint cannot bind 127\.0\.0\.1:\d+ \(runnel\.admin\.listener\): the port is already in use/);
      const off = await startTestBroker({ config: { 'runnel.admin.listener': 'none' } });
      expect(off.broker.adminHttp).toBeNull();
      await off.cleanup();
    } finally {
      blocker.close();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Latency benchmarks against a broker in its own process (run `npm run build` first):
 *
 * - end-to-end latency at a fixed rate (default 10,000 msg/s of 100 B, one partition): from the
 *   producer's send call to the consumer receiving the record, the send time carried in the value.
 *   Three drivers: librdkafka (confluent-kafka-python, producer and consumer in two processes,
 *   linger.ms=0, acks=all, fetch.wait.max.ms=500), kafkajs (one process: send() per 1 ms tick,
 *   acks=-1, its Fetch with maxWaitTime 500), and raw (our codecs over sockets: what the broker
 *   itself adds). Percentiles p50 / p99 / p99.9.
 * - sequential acks=-1: 5,000 single 100 B records, each sent only after the previous one was
 *   acknowledged (default fsync policy: every ack waits for an fdatasync), with the raw client,
 *   kafkajs and librdkafka.
 *
 *   npx tsx bench/data-path/latency.ts [--rate 10000] [--seconds 10]
 */
import { readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { forEachRecordSync } from '../../protocol/records/records.js';
import { python } from '../../test/helpers/clients.js';
import { RawClient } from '../../test/helpers/raw-client.js';
import { kafkajs, kafkajsCluster, rawFetch, rawProduce } from './clients.js';
import { BENCH_WORK } from './machine.js';
import { createTopic, startBenchBroker } from './produce-consume.js';
import { isMain } from '../is-main.js';

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** Percentiles in milliseconds of latencies given in microseconds. */
export function percentiles(us: number[]): Percentiles {
  const s = Float64Array.from(us).sort();
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]! / 1000;
  return { count: s.length, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: s[s.length - 1]! / 1000 };
}

const nowNs = (): bigint => process.hrtime.bigint();
/** Wall-clock-free send stamp: hrtime in ns as 20 digits (both ends in this process). */
const stamp = (pad: Buffer): Buffer => Buffer.concat([Buffer.from(nowNs().toString().padStart(20, '0')), pad]);

/** Runs `tick(n)` every millisecond with the number of records owed at `rate`, for `seconds`. */
async function paced(rate: number, seconds: number, tick: (n: number) => void): Promise<number> {
  const total = Math.round(rate * seconds);
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000));
    if (due > sent) {
      tick(due - sent);
      sent = due;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  return sent;
}

export async function e2eRaw(bootstrap: string, topic: string, rate: number, seconds: number, size = 100): Promise<Percentiles> {
  const [host, port] = bootstrap.split(':') as [string, string];
  const fetcher = await RawClient.connect(host, Number(port));
  const producer = connect({ host, port: Number(port) });
  producer.setNoDelay(true);
  producer.on('data', () => undefined); // acks=1 responses, not needed
  await new Promise((r) => producer.once('connect', r));
  const pad = Buffer.alloc(size - 20, 'p'.charCodeAt(0));
  let offset = (await rawFetch(fetcher, topic, 0, 0)).responses[0]!.partitions[0]!.highWatermark;
  const lat: number[] = [];
  let stop = false;
  const consuming = (async () => {
    while (!stop) {
      const res = await rawFetch(fetcher, topic, 0, offset, 500);
      const now = nowNs();
      const recs = res.responses[0]!.partitions[0]!.records as Buffer;
      let at = 0;
      while (at + 61 <= recs.length) {
        const len = recs.readInt32BE(at + 8) + 12;
        const b = recs.subarray(at, at + len);
        forEachRecordSync(b, (r) => void lat.push(Number(now - BigInt(r.value!.toString('latin1', 0, 20))) / 1000), { verifyCrc: false });
        offset = Number(b.readBigInt64BE(0)) + b.readInt32BE(23) + 1;
        at += len;
      }
    }
  })();
  let corr = 1;
  await paced(rate, seconds, (n) => {
    const batch = buildBatchSync(Array.from({ length: n }, () => ({ value: stamp(pad) })));
    producer.write(RawClient.encodeRequest(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] }, corr++));
  });
  await new Promise((r) => setTimeout(r, 600));
  stop = true;
  await consuming;
  fetcher.close();
  producer.destroy();
  return percentiles(lat);
}

export async function e2eKafkajs(bootstrap: string, topic: string, rate: number, seconds: number, size = 100): Promise<Percentiles> {
  const kafka = kafkajs(bootstrap);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const cluster = kafkajsCluster(kafka);
  await cluster.connect();
  await cluster.addTargetTopic(topic);
  const broker = await cluster.findBroker({ nodeId: '1' });
  const pad = Buffer.alloc(size - 20, 'p'.charCodeAt(0));
  const [host, port] = bootstrap.split(':') as [string, string];
  const rc = await RawClient.connect(host, Number(port));
  let offset = (await rawFetch(rc, topic, 0, 0)).responses[0]!.partitions[0]!.highWatermark;
  rc.close();
  const lat: number[] = [];
  let stop = false;
  const consuming = (async () => {
    while (!stop) {
      const res = await broker.fetch({ isolationLevel: 0, maxWaitTime: 500, minBytes: 1, maxBytes: 1 << 20, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: String(offset), maxBytes: 1 << 20 }] }] });
      const now = nowNs();
      for (const m of res.responses[0].partitions[0].messages) {
        if (Number(m.offset) < offset) continue;
        lat.push(Number(now - BigInt((m.value as Buffer).toString('latin1', 0, 20))) / 1000);
        offset = Number(m.offset) + 1;
      }
    }
  })();
  const sends: Array<Promise<unknown>> = [];
  await paced(rate, seconds, (n) => {
    const messages = Array.from({ length: n }, () => ({ value: stamp(pad), partition: 0 }));
    sends.push(producer.send({ topic, messages, acks: -1 }));
  });
  await Promise.all(sends);
  await new Promise((r) => setTimeout(r, 600));
  stop = true;
  await consuming;
  await producer.disconnect();
  await cluster.disconnect();
  return percentiles(lat);
}

export async function e2eLibrdkafka(bootstrap: string, topic: string, rate: number, seconds: number, size = 100): Promise<Percentiles> {
  const out = join(BENCH_WORK, `latency-${process.pid}.txt`);
  const total = Math.round(rate * seconds);
  const consumer = python('dp_bench.py', { op: 'latency_consume', bootstrap, topic, count: total, out, timeout: seconds + 60 }, (seconds + 90) * 1000);
  await new Promise((r) => setTimeout(r, 2000)); // consumer started and parked at the end
  await python('dp_bench.py', { op: 'latency_produce', bootstrap, topic, rate, seconds, size }, (seconds + 60) * 1000);
  await consumer;
  const us = readFileSync(out, 'utf8').split('\n').filter((l) => l !== '').map(Number);
  rmSync(out, { force: true });
  return percentiles(us);
}

/** Seconds for `count` records sent one at a time, each waiting for its acks=-1 response. */
export async function sequentialAcks(bootstrap: string, topic: string, client: 'raw' | 'kafkajs' | 'ck', count = 5000, size = 100): Promise<number> {
  const value = Buffer.alloc(size, 's'.charCodeAt(0));
  if (client === 'ck') return (await python<{ elapsed: number }>('dp_bench.py', { op: 'sequential', bootstrap, topic, count, size }, 300_000)).elapsed;
  if (client === 'raw') {
    const [host, port] = bootstrap.split(':') as [string, string];
    const c = await RawClient.connect(host, Number(port));
    await rawProduce(c, topic, 0, buildBatchSync([{ value }]));
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const r = await rawProduce(c, topic, 0, buildBatchSync([{ value }]), -1);
      if (r.errorCode !== 0) throw new Error(`produce error ${r.errorCode}`);
    }
    const secs = (performance.now() - t0) / 1000;
    c.close();
    return secs;
  }
  const producer = kafkajs(bootstrap).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic, messages: [{ value, partition: 0 }], acks: -1 });
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await producer.send({ topic, messages: [{ value, partition: 0 }], acks: -1 });
  const secs = (performance.now() - t0) / 1000;
  await producer.disconnect();
  return secs;
}

export interface LatencyResults {
  rate: number;
  seconds: number;
  e2e: Record<string, Percentiles>;
  sequential: Record<string, number>;
}

export async function runLatency(bootstrap: string, rate = 10_000, seconds = 10, log: (s: string) => void = console.log): Promise<LatencyResults> {
  const e2e: Record<string, Percentiles> = {};
  for (const [name, fn] of [
    ['raw', e2eRaw],
    ['kafkajs', e2eKafkajs],
    ['librdkafka', e2eLibrdkafka],
  ] as const) {
    const topic = `lat-${name}-${Date.now()}`;
    await createTopic(bootstrap, topic, 1);
    const p = await fn(bootstrap, topic, rate, seconds);
    e2e[name] = p;
    log(`e2e ${name} @ ${rate} msg/s: p50 ${p.p50.toFixed(2)} ms, p99 ${p.p99.toFixed(2)} ms, p99.9 ${p.p999.toFixed(2)} ms, max ${p.max.toFixed(1)} ms (${p.count} records)`);
  }
  const sequential: Record<string, number> = {};
  for (const client of ['raw', 'kafkajs', 'ck'] as const) {
    const topic = `seq-${client}-${Date.now()}`;
    await createTopic(bootstrap, topic, 1);
    sequential[client] = await sequentialAcks(bootstrap, topic, client);
    log(`sequential acks=-1 ${client}: 5000 x 100 B in ${sequential[client]!.toFixed(2)} s (${Math.round(5000 / sequential[client]!)} records/s)`);
  }
  return { rate, seconds, e2e, sequential };
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (n: string, d: number): number => (args.includes(`--${n}`) ? Number(args[args.indexOf(`--${n}`) + 1]) : d);
  const broker = await startBenchBroker();
  try {
    await runLatency(broker.bootstrap, opt('rate', 10_000), opt('seconds', 10));
  } finally {
    await broker.stop();
  }
}

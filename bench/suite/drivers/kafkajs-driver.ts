/**
 * The suite's kafkajs driver, run as its own Node process per measurement (so the client's event
 * loop and GC are its own, as in an application) and printing one JSON line:
 *
 *   kafkajs-driver.js '{"op":"produce","bootstrap":"h:p","topic":"t","count":N,"size":B,"acks":1}'
 *       → {"elapsed"}: ~1 MiB per send() call, 4 calls in flight, one shared value
 *   kafkajs-driver.js '{"op":"consume","bootstrap":"h:p","topic":"t"}'
 *       → {"elapsed","count","bytes","firstMs"}: every partition from its log start to its high
 *         watermark, with kafkajs's Fetch and decoder (what its consumer runs; no group), 4 MiB per partition
 *   kafkajs-driver.js '{"op":"sequential","bootstrap":"h:p","topic":"t","count":N,"size":B}'
 *       → {"elapsed","p50","p99","max"}: one record per send(), acks=-1, each after the previous ack
 *   kafkajs-driver.js '{"op":"latency","bootstrap":"h:p","topic":"t","rate":R,"seconds":S,"size":B,"acks":-1}'
 *       → {"count","p50","p99","p999","max"}: send() per 1 ms tick to partition 0, a Fetch loop
 *         (max wait 500 ms) in the same process; send call → record fetched
 */
import kafkajsPkg from 'kafkajs';

const { Kafka, logLevel } = kafkajsPkg;

interface Args {
  op: string;
  bootstrap: string;
  topic: string;
  count?: number;
  size?: number;
  acks?: number;
  rate?: number;
  seconds?: number;
}

type Cluster = {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(b: { nodeId: string }): Promise<{ fetch(req: object): Promise<any> }>;
};

const kafka = (bootstrap: string) => new Kafka({ brokers: [bootstrap], clientId: 'bench-kafkajs', logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } });

/** kafkajs's internal Cluster (what its Consumer fetches through). */
function cluster(k: InstanceType<typeof Kafka>): Cluster {
  const sym = Object.getOwnPropertySymbols(k).find((s) => s.description === 'private:Kafka:createCluster');
  if (!sym) throw new Error('kafkajs internals changed: no createCluster symbol');
  return (k as any)[sym]({ allowAutoTopicCreation: false }) as Cluster;
}

function pct(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function produce(a: Args): Promise<object> {
  const producer = kafka(a.bootstrap).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const size = a.size!;
  const count = a.count!;
  const value = Buffer.alloc(size, 'v'.charCodeAt(0));
  const perSend = Math.max(100, Math.floor((1 << 20) / size));
  const t0 = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const n = Math.min(perSend, count - next);
      next += n;
      const messages = new Array(n);
      for (let i = 0; i < n; i++) messages[i] = { value };
      await producer.send({ topic: a.topic, messages, acks: a.acks ?? -1 });
    }
  };
  await Promise.all(Array.from({ length: 4 }, lane));
  const elapsed = (performance.now() - t0) / 1000;
  await producer.disconnect();
  return { elapsed, acked: count };
}

async function consume(a: Args): Promise<object> {
  const k = kafka(a.bootstrap);
  const admin = k.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(a.topic);
  await admin.disconnect();
  const positions = new Map(offsets.map((o) => [o.partition, Number(o.low)]));
  const ends = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  const c = cluster(k);
  await c.connect();
  await c.addTargetTopic(a.topic);
  const leaders = c.findLeaderForPartitions(a.topic, [...positions.keys()]);
  const brokers = await Promise.all(Object.keys(leaders).map(async (nodeId) => ({ broker: await c.findBroker({ nodeId }), partitions: leaders[nodeId]! })));
  let count = 0;
  let bytes = 0;
  const t0 = performance.now();
  let first = 0;
  const deadline = Date.now() + 600_000;
  const remaining = (): boolean => [...positions].some(([p, o]) => o < ends.get(p)!);
  while (remaining() && Date.now() < deadline) {
    for (const { broker, partitions } of brokers) {
      const res = await broker.fetch({
        isolationLevel: 0,
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: 64 << 20,
        topics: [{ topic: a.topic, partitions: partitions.filter((p) => positions.get(p)! < ends.get(p)!).map((p) => ({ partition: p, fetchOffset: String(positions.get(p)), maxBytes: 4 << 20 })) }],
      });
      for (const t of res.responses) {
        for (const p of t.partitions) {
          const pos = positions.get(p.partition)!;
          for (const m of p.messages) {
            const offset = Number(m.offset);
            if (offset < pos || m.isControlRecord) continue;
            if (first === 0) first = performance.now();
            count++;
            bytes += m.value ? m.value.length : 0;
            positions.set(p.partition, offset + 1);
          }
        }
      }
    }
  }
  const elapsed = (performance.now() - t0) / 1000;
  await c.disconnect();
  return { elapsed, count, bytes, firstMs: first === 0 ? -1 : first - t0, expected: [...ends].reduce((s, [p, e]) => s + e - Number(offsets.find((o) => o.partition === p)!.low), 0) };
}

async function sequential(a: Args): Promise<object> {
  const producer = kafka(a.bootstrap).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const value = Buffer.alloc(a.size!, 's'.charCodeAt(0));
  await producer.send({ topic: a.topic, messages: [{ value, partition: 0 }], acks: -1 });
  const lat = new Float64Array(a.count!);
  const t0 = performance.now();
  for (let i = 0; i < a.count!; i++) {
    const s = performance.now();
    await producer.send({ topic: a.topic, messages: [{ value, partition: 0 }], acks: -1 });
    lat[i] = performance.now() - s;
  }
  const elapsed = (performance.now() - t0) / 1000;
  await producer.disconnect();
  lat.sort();
  return { elapsed, acked: a.count, p50: pct(lat, 0.5), p99: pct(lat, 0.99), max: lat[lat.length - 1] };
}

async function latency(a: Args): Promise<object> {
  const k = kafka(a.bootstrap);
  const producer = k.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const admin = k.admin();
  await admin.connect();
  let offset = Number((await admin.fetchTopicOffsets(a.topic)).find((o) => o.partition === 0)!.high);
  await admin.disconnect();
  const c = cluster(k);
  await c.connect();
  await c.addTargetTopic(a.topic);
  const leaders = c.findLeaderForPartitions(a.topic, [0]);
  const broker = await c.findBroker({ nodeId: Object.keys(leaders)[0]! });
  const size = Math.max(a.size!, 20);
  const pad = Buffer.alloc(size - 20, 'p'.charCodeAt(0));
  const stamp = (): Buffer => Buffer.concat([Buffer.from(process.hrtime.bigint().toString().padStart(20, '0')), pad]);
  const total = Math.round(a.rate! * a.seconds!);
  const lat = new Float64Array(total);
  let n = 0;
  let stop = false;
  const consuming = (async () => {
    while (!stop && n < total) {
      const res = await broker.fetch({ isolationLevel: 0, maxWaitTime: 500, minBytes: 1, maxBytes: 1 << 20, topics: [{ topic: a.topic, partitions: [{ partition: 0, fetchOffset: String(offset), maxBytes: 1 << 20 }] }] });
      const now = process.hrtime.bigint();
      for (const m of res.responses[0].partitions[0].messages) {
        if (Number(m.offset) < offset) continue;
        if (n < total) lat[n++] = Number(now - BigInt((m.value as Buffer).toString('latin1', 0, 20))) / 1e6;
        offset = Number(m.offset) + 1;
      }
    }
  })();
  const sends: Array<Promise<unknown>> = [];
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * a.rate!) / 1000) + 1);
    // After an event-loop stall the records owed go out in sends of at most 256 (a batch must stay
    // under the brokers' 1 MB message.max.bytes).
    while (due > sent) {
      const n = Math.min(256, due - sent);
      const messages = Array.from({ length: n }, () => ({ value: stamp(), partition: 0 }));
      sends.push(producer.send({ topic: a.topic, messages, acks: a.acks ?? -1 }));
      sent += n;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(sends);
  const drainUntil = Date.now() + 10_000;
  while (n < total && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
  stop = true;
  await consuming;
  await producer.disconnect();
  await c.disconnect();
  const s = lat.slice(0, n).sort();
  return { sent, count: n, p50: pct(s, 0.5), p99: pct(s, 0.99), p999: pct(s, 0.999), max: n ? s[n - 1] : 0 };
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const ops: Record<string, (a: Args) => Promise<object>> = { produce, consume, sequential, latency };
const fn = ops[args.op];
if (!fn) {
  console.error(`kafkajs-driver: unknown op ${args.op}`);
  process.exit(2);
}
fn(args).then(
  (r) => {
    console.log(JSON.stringify(r));
    process.exit(0);
  },
  (e) => {
    console.error(`kafkajs-driver: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);

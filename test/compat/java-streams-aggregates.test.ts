/**
 * Kafka Streams 4.4 aggregations people write (issue 21), against a Runnel child process that is
 * restarted on its kept data dir in the middle, in at-least-once and exactly_once_v2 modes at once:
 * one JVM (test/java StreamsAggregates) runs one KafkaStreams instance per guarantee, each with
 * its own topics (alos-*, eos-*). Per guarantee:
 *
 *   - the aggregate exactly as written (groupByKey().aggregate(() -> 0.0, (key, order,
 *     total) -> total + order.getPrice(), Materialized.with(String, Double)), to a topic with
 *     Produced.with(String, Double));
 *   - count(), and reduce(Math::min) / reduce(Math::max) over the prices;
 *   - a 10 s tumbling window with 5 s grace, suppressed until the window closes (one final result
 *     per window; some orders arrive up to 3 s out of order, inside the grace);
 *   - a stream-table join (orders with the customers table: region per order);
 *   - a KTable-KTable join (totals with customers) and, through a KTable groupBy with adder and
 *     subtractor, totals per region, which must follow customers that move to another region.
 *
 * Every expected value is computed here from the records this test produced (prices are
 * multiples of 0.25, so sums are exact in any order). The outputs are read back (read_committed
 * for exactly-once) until they equal the expectation or a deadline passes. At-least-once is exact
 * here because nothing crashes: the broker is restarted while both apps are idle with everything
 * committed (commit.interval.ms 100), and the apps are stopped through stdin (close() commits).
 * java-streams-eos.test.ts kills an exactly-once app with SIGKILL.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Consumer, type Kafka } from 'kafkajs';
import { spawnBroker, tempDir, type ChildBroker } from '../helpers/broker.js';
import { ensureJavaBuilt, javaAvailable, spawnJava, type JavaProcess } from '../helpers/java.js';
import { freePort } from '../cluster/etcd-harness.js';
import { kafkajs } from '../../bench/data-path/clients.js';

const MODES = [
  ['alos', 'at_least_once'],
  ['eos', 'exactly_once_v2'],
] as const;
type Mode = (typeof MODES)[number][0];
const PARTITIONS = 4;
const KEYS = 40;
const REGIONS = ['north', 'south', 'east', 'west'];
const WINDOW_MS = 10_000;
const BROKER_FLAGS = { 'group.initial.rebalance.delay.ms': 0 };
const INPUTS = ['orders', 'customers'];
const OUTPUTS = ['totals', 'counts', 'min', 'max', 'windowed', 'enriched', 'summary', 'region-totals'];

let broker: ChildBroker;
let work: string;
let app: JavaProcess | null = null;
const java = javaAvailable();

interface Order {
  id: string;
  customer: string;
  price: number;
  ts: number;
}
const customer = (k: number): string => `customer-${String(k).padStart(3, '0')}`;
/** Window starts are aligned to the epoch: the 1-hour-old base is a multiple of the window size. */
const BASE = Math.floor((Date.now() - 3_600_000) / WINDOW_MS) * WINDOW_MS;

function order(i: number): Order {
  // Every 7th order is 3 s late: out of order, but inside the 5 s grace.
  const ts = Math.max(BASE, BASE + i * 20 - (i % 7 === 0 ? 3000 : 0));
  return { id: `order-${i}`, customer: customer(i % KEYS), price: (((i * 7919) % 1000) + 1) / 4, ts };
}
/** One order per customer an hour later: it moves every partition's stream time past every window, closing them. */
const flushOrder = (k: number, i: number): Order => ({ ...order(i), customer: customer(k), ts: BASE + 3_600_000 });

/** The expected outputs, from the orders and the customers' regions (first and final) alone. */
function expected(orders: Order[], regionAtJoin: Map<string, string>, finalRegion: Map<string, string>, flushFrom: number) {
  const totals = new Map<string, number>();
  const counts = new Map<string, number>();
  const min = new Map<string, number>();
  const max = new Map<string, number>();
  const windowed = new Map<string, number>();
  const enriched = new Map<string, { n: number; sum: number }>();
  orders.forEach((o, i) => {
    totals.set(o.customer, (totals.get(o.customer) ?? 0) + o.price);
    counts.set(o.customer, (counts.get(o.customer) ?? 0) + 1);
    min.set(o.customer, Math.min(min.get(o.customer) ?? Infinity, o.price));
    max.set(o.customer, Math.max(max.get(o.customer) ?? -Infinity, o.price));
    if (i < flushFrom) {
      const w = `${o.customer}@${o.ts - (o.ts % WINDOW_MS)}`;
      windowed.set(w, (windowed.get(w) ?? 0) + o.price);
    }
    const r = regionAtJoin.get(o.customer)!;
    const e = enriched.get(r) ?? { n: 0, sum: 0 };
    enriched.set(r, { n: e.n + 1, sum: e.sum + o.price });
  });
  const summary = new Map([...totals].map(([c, t]) => [c, `${finalRegion.get(c)}|${t}`]));
  const regionTotals = new Map<string, number>();
  for (const [c, t] of totals) regionTotals.set(finalRegion.get(c)!, (regionTotals.get(finalRegion.get(c)!) ?? 0) + t);
  return { totals, counts, min, max, windowed, enriched, summary, regionTotals };
}

type Outputs = Map<string, { key: string; value: Buffer }[]>;

/** Every record of both modes' output topics (read_committed), until nothing new came for idleMs. */
async function readOutputs(k: Kafka, idleMs = 1500): Promise<Map<Mode, Outputs>> {
  const out = new Map<Mode, Outputs>(MODES.map(([m]) => [m, new Map(OUTPUTS.map((t) => [t, []]))]));
  const consumer: Consumer = k.consumer({ groupId: `reader-${Date.now()}`, readUncommitted: false, maxWaitTimeInMs: 200 });
  let last = Date.now();
  let joined = false;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: MODES.flatMap(([m]) => OUTPUTS.map((t) => `${m}-${t}`)), fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
      last = Date.now();
    });
    await consumer.run({
      partitionsConsumedConcurrently: 4,
      eachMessage: async ({ topic, message }) => {
        last = Date.now();
        const dash = topic.indexOf('-');
        out.get(topic.slice(0, dash) as Mode)!.get(topic.slice(dash + 1))!.push({ key: message.key!.toString(), value: message.value! });
      },
    });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !(joined && Date.now() - last > idleMs)) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** The newest value per key. */
function lastValues<T>(records: { key: string; value: Buffer }[], decode: (b: Buffer) => T): Map<string, T> {
  const m = new Map<string, T>();
  for (const r of records) m.set(r.key, decode(r.value));
  return m;
}
const double = (b: Buffer): number => b.readDoubleBE(0);
const long = (b: Buffer): number => Number(b.readBigInt64BE(0));
const sorted = <T>(m: Map<string, T>): [string, T][] => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** What differs between the outputs and the expectation (empty when they agree). */
function differences(outs: Outputs, exp: ReturnType<typeof expected>): string[] {
  const problems: string[] = [];
  const same = (name: string, got: Map<string, unknown>, want: Map<string, unknown>): void => {
    const g = JSON.stringify(sorted(got));
    const w = JSON.stringify(sorted(want));
    if (g !== w) problems.push(`${name}: got ${g.slice(0, 300)}..., expected ${w.slice(0, 300)}...`);
  };
  same('totals', lastValues(outs.get('totals')!, double), exp.totals);
  same('counts', lastValues(outs.get('counts')!, long), exp.counts);
  same('min', lastValues(outs.get('min')!, double), exp.min);
  same('max', lastValues(outs.get('max')!, double), exp.max);
  // Suppressed: one final result per window, never an intermediate one.
  const windows = outs.get('windowed')!;
  const perWindow = new Map<string, number>();
  for (const r of windows) perWindow.set(r.key, (perWindow.get(r.key) ?? 0) + 1);
  const repeated = [...perWindow].filter(([, n]) => n > 1);
  if (repeated.length > 0) problems.push(`windowed: ${repeated.length} windows emitted more than once (${repeated.slice(0, 3).map(([k]) => k).join(', ')})`);
  same('windowed', lastValues(windows, double), exp.windowed);
  const enriched = new Map<string, { n: number; sum: number }>();
  for (const r of outs.get('enriched')!) {
    const [region, price] = r.value.toString().split('|');
    const e = enriched.get(region!) ?? { n: 0, sum: 0 };
    enriched.set(region!, { n: e.n + 1, sum: e.sum + Number(price) });
  }
  same('enriched (stream-table join)', enriched, exp.enriched);
  const summary = lastValues(outs.get('summary')!, (b) => {
    const [region, total] = b.toString().split('|');
    return `${region}|${Number(total)}`;
  });
  same('summary (KTable-KTable join)', summary, exp.summary);
  same('region totals (KTable groupBy, adder and subtractor)', lastValues(outs.get('region-totals')!, double), exp.regionTotals);
  return problems;
}

/** Reads the outputs until both modes agree with the expectation (or the deadline); returns the last differences per mode. */
async function settle(k: Kafka, exp: ReturnType<typeof expected>, deadlineMs: number, ignore = (_: string) => false): Promise<Record<Mode, string[]>> {
  const deadline = Date.now() + deadlineMs;
  const problems = { alos: ['not read'], eos: ['not read'] } as Record<Mode, string[]>;
  while (Date.now() < deadline) {
    const outs = await readOutputs(k);
    for (const [m] of MODES) problems[m] = differences(outs.get(m)!, exp).filter((p) => !ignore(p));
    if (MODES.every(([m]) => problems[m].length === 0)) break;
  }
  return problems;
}

const NONE = { alos: [], eos: [] };

async function startBroker(port: number): Promise<ChildBroker> {
  return spawnBroker(join(work, 'broker'), BROKER_FLAGS, port);
}

beforeAll(async () => {
  if (!java) return;
  await ensureJavaBuilt();
  work = tempDir('streams-aggregates');
  broker = await startBroker(await freePort());
}, 600_000);
afterAll(async () => {
  app?.kill();
  await broker?.kill();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!java)(`Kafka Streams aggregations, joins and windows${java ? '' : ' (skipped: no java/mvn)'}`, () => {
  it('agree with totals computed from the input, at-least-once and exactly-once, across a Runnel restart', async () => {
    let k = kafkajs(broker.bootstrap, 'streams-aggregates-test');
    const admin = k.admin();
    await admin.connect();
    await admin.createTopics({ topics: MODES.flatMap(([m]) => [...INPUTS, ...OUTPUTS].map((t) => ({ topic: `${m}-${t}`, numPartitions: PARTITIONS }))) });
    await admin.disconnect();

    const regionAtJoin = new Map<string, string>();
    for (let c = 0; c < KEYS; c++) regionAtJoin.set(customer(c), REGIONS[c % REGIONS.length]!);
    const produce = async (kafka: Kafka, topic: (m: Mode) => string, messages: { key: string; value: string; timestamp?: string }[]): Promise<void> => {
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await p.connect();
      for (const [m] of MODES) for (let i = 0; i < messages.length; i += 500) await p.send({ topic: topic(m), acks: -1, messages: messages.slice(i, i + 500) });
      await p.disconnect();
    };
    const orderMessages = (os: Order[]) => os.map((o) => ({ key: o.customer, value: JSON.stringify({ id: o.id, customer: o.customer, price: o.price }), timestamp: String(o.ts) }));
    await produce(k, (m) => `${m}-customers`, [...regionAtJoin].map(([key, value]) => ({ key, value, timestamp: String(BASE - 1000) })));

    const stateDir = join(work, 'state');
    mkdirSync(stateDir, { recursive: true });
    app = await spawnJava('StreamsAggregates', [
      '--bootstrap', broker.bootstrap, '--modes', MODES.map(([p, g]) => `${p}=${g}`).join(','), '--state-dir', stateDir, '--timeout-ms', '400000',
      '--prop', 'producer.transaction.timeout.ms=10000',
    ]);
    for (const [m] of MODES) await app.waitFor((j) => j.event === 'state' && j.app === m && j.state === 'RUNNING', 120_000);
    // The customers table is loaded before any order comes (the stream-table join's regions).
    await new Promise((r) => setTimeout(r, 2000));

    // Phase 1: 3,000 orders; both apps settle, then Runnel restarts while they are idle.
    const orders: Order[] = [];
    for (let i = 0; i < 3000; i++) orders.push(order(i));
    await produce(k, (m) => `${m}-orders`, orderMessages(orders));
    const noFlush = expected(orders, regionAtJoin, regionAtJoin, orders.length);
    // Without later records, the windows near the end are still open: only the rest is checked here.
    expect(await settle(k, noFlush, 90_000, (p) => p.startsWith('windowed'))).toEqual(NONE);
    await new Promise((r) => setTimeout(r, 1000)); // idle: everything committed
    const port = broker.port;
    expect(await broker.kill('SIGTERM')).toBe(0);
    broker = await startBroker(port);
    k = kafkajs(broker.bootstrap, 'streams-aggregates-test');

    // Phase 2, after the restart: 2,000 more orders and one late flush order per customer.
    const more: Order[] = [];
    for (let i = 3000; i < 5000; i++) more.push(order(i));
    for (let c = 0; c < KEYS; c++) more.push(flushOrder(c, 5000 + c));
    orders.push(...more);
    await produce(k, (m) => `${m}-orders`, orderMessages(more));
    const all = expected(orders, regionAtJoin, regionAtJoin, 5000);
    expect(await settle(k, all, 120_000)).toEqual(NONE);

    // Phase 3: every fifth customer moves to the next region; the joins and region totals follow.
    const finalRegion = new Map(regionAtJoin);
    const moves: { key: string; value: string }[] = [];
    for (let c = 0; c < KEYS; c += 5) {
      const to = REGIONS[(c + 1) % REGIONS.length]!;
      finalRegion.set(customer(c), to);
      moves.push({ key: customer(c), value: to });
    }
    await produce(k, (m) => `${m}-customers`, moves);
    const moved = expected(orders, regionAtJoin, finalRegion, 5000);
    expect(await settle(k, moved, 120_000)).toEqual(NONE);

    app.send('stop');
    const res = await app.exited;
    app = null;
    expect(res.code, `${res.stdout.slice(-2000)}\n${res.stderr.slice(-4000)}`).toBe(0);
    expect(res.json?.error).toBeUndefined();
    // After the clean stop nothing changed (no late duplicate or extra result).
    const outs = await readOutputs(k);
    for (const [m] of MODES) expect(differences(outs.get(m)!, moved), m).toEqual([]);
  }, 600_000);
});

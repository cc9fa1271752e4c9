/**
 * Faust (faust-streaming 0.15 from PyPI, in test/.venv; see test/compat/clients/setup.sh) against
 * Runnel: the issue's agent as users write it; a worker aggregating count/sum/min/max per key into
 * a plain table and 10 s tumbling and hopping windows, backed by changelog topics; a worker started
 * from empty local state recovering the tables from the changelogs; two workers sharing the work
 * and rebalancing when one stops; a worker SIGKILLed mid-stream and restarted; Avro values through
 * Runnel's schema registry. Every table is compared with totals computed here from the input.
 *
 * Faust's guarantee is at-least-once: after a crash, the records since the last committed offset are
 * processed again. The aggregates of orders_tables.py are idempotent by design (each value carries
 * the last sales_id folded in), so they must equal the totals exactly after a SIGKILL; its
 * un-deduplicated raw_counts must be at least the true counts. processing_guarantee=exactly_once
 * (transactions) is checked without a crash: exact counts, and recovery from read_committed
 * changelogs. After a crash Faust 0.15.3's exactly-once is not exact on any broker (it loses
 * updates on Apache Kafka 4.4 as on Runnel): see docs/streams-faust.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Kafka } from 'kafkajs';
import { REPO_ROOT, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { kafkajs } from '../../bench/data-path/clients.js';
import {
  FAUST_DIR,
  FaustWorker,
  baseTimestamp,
  expectedCounts,
  expectedTotals,
  faustMissing,
  order,
  produceOrders,
  readTopic,
  tablesEqual,
  type Order,
  type TablesSnapshot,
} from './faust/faust.js';

const missing = faustMissing();
let broker: TestBroker;
let kafka: Kafka;
const workers: FaustWorker[] = [];

function worker(module: string, name: string, env: Record<string, string>): FaustWorker {
  const w = FaustWorker.start(module, name, { BROKER: `kafka://${broker.bootstrap}`, ...env });
  workers.push(w);
  return w;
}

async function createTopic(topic: string, partitions: number, configEntries: { name: string; value: string }[] = []): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, configEntries }], waitForLeaders: true });
  await admin.disconnect();
}

const range = (from: number, n: number, base: number): Order[] => Array.from({ length: n }, (_, i) => order(from + i, base));
const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

// docs/streams-faust.md shows code from the programs these tests run: every python/sh block must
// still appear, verbatim, in one of them.
it('docs/streams-faust.md quotes the programs this file runs', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'streams-faust.md'), 'utf8');
  const sources = readdirSync(FAUST_DIR)
    .filter((f) => f.endsWith('.py'))
    .map((f) => readFileSync(join(FAUST_DIR, f), 'utf8'));
  const blocks = [...doc.matchAll(/```(?:python|sh)\n([\s\S]*?)```/g)].map((m) => m[1]!.trimEnd());
  expect(blocks.length).toBeGreaterThanOrEqual(7);
  for (const block of blocks) expect(sources.some((src) => src.includes(block)), block).toBe(true);
});

describe.skipIf(missing !== null)(`Faust workers on Runnel${missing ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(async () => {
    // Every worker start forms or re-forms a group. 1 s instead of the default 3 s initial rebalance
    // delay: still long enough for the two workers started together to join in one rebalance
    // (each arrival re-arms it), without 2 s more on every other join.
    broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': 1000 } });
    kafka = kafkajs(broker.bootstrap, 'faust-test');
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop(5_000)));
  });
  afterAll(async () => {
    await broker?.cleanup();
  });

  it("runs the issue's agent: every order's sales_id is printed", async () => {
    await createTopic('orders', 4);
    const w = worker('orders_agent', 'agent', {});
    const orders = range(0, 40, baseTimestamp());
    await produceOrders(kafka, 'orders', orders);
    // print() in an agent: Faust's worker logs it as "[WARNING] <text>".
    const printed = () => w.output.flatMap((l) => /^(?:\[.*\] \[WARNING\] )?(\d+)\s*$/.exec(l)?.[1] ?? []).sort();
    const want = orders.map((o) => String(o.sales_id)).sort();
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && printed().length < want.length && w.running) await new Promise((r) => setTimeout(r, 200));
    expect(printed(), w.stderrTail).toEqual(want);
  }, 90_000);

  it('aggregates count/sum/min/max per key, plain and in tumbling and hopping windows, into changelog-backed tables; a worker with empty local state recovers them', async () => {
    const topic = 'orders-tables';
    await createTopic(topic, 4);
    const env = { TOPIC: topic, APP_ID: 'tables' };
    const base = baseTimestamp();
    const first = range(0, 1500, base);
    const a = worker('orders_tables', 'tables-a', env);
    await produceOrders(kafka, topic, first);
    const want = expectedTotals(first);
    const s = await a.waitFor<TablesSnapshot>('the totals of 1500 orders', (s) => tablesEqual(s, want), 90_000);
    expect(s.raw_counts).toEqual(expectedCounts(first));
    expect(s.actives).toEqual([0, 1, 2, 3]);

    // The changelog holds the tables: its last record per key is the key's total.
    const admin = kafka.admin();
    await admin.connect();
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'tables-totals-changelog' }], includeSynonyms: false });
    await admin.disconnect();
    const policy = configs.resources[0]!.configEntries.find((c) => c.configName === 'cleanup.policy')?.configValue;
    expect(policy).toBe('compact');
    await a.stop();
    const changelog = new Map<string, number[]>();
    for (const m of await readTopic(kafka, 'tables-totals-changelog')) {
      const v = JSON.parse(m.value!.toString()) as { count: number; sum: number; min: number; max: number };
      changelog.set(m.key!.toString().replace(/^"|"$/g, ''), [v.count, v.sum, v.min, v.max]);
    }
    expect(Object.fromEntries(changelog)).toEqual(want.totals);

    // A new worker with an empty data dir: the tables come back from the changelogs before any
    // input is processed (processed stays 0), then it carries on with new orders.
    const b = worker('orders_tables', 'tables-b', env);
    const recovered = await b.waitFor<TablesSnapshot>('the tables recovered from the changelogs', (s) => tablesEqual(s, want), 60_000);
    expect(recovered.processed).toBe(0);
    const second = range(1500, 500, base);
    await produceOrders(kafka, topic, second);
    const all = expectedTotals([...first, ...second]);
    const after = await b.waitFor<TablesSnapshot>('the totals of 2000 orders', (s) => tablesEqual(s, all), 60_000);
    expect(after.processed).toBe(500);
    expect(after.raw_counts).toEqual(expectedCounts([...first, ...second]));
  }, 240_000);

  it('two workers share the partitions, and one takes them all over when the other stops', async () => {
    const topic = 'orders-shared';
    await createTopic(topic, 4);
    const env = { TOPIC: topic, APP_ID: 'shared' };
    const a = worker('orders_tables', 'shared-a', env);
    const b = worker('orders_tables', 'shared-b', env);
    const split = (s: TablesSnapshot) => s.actives.length > 0 && s.actives.length < 4;
    const [sa, sb] = await Promise.all([a.waitFor('a share of the partitions', split, 90_000), b.waitFor('a share of the partitions', split, 90_000)]);
    expect([...sa.actives, ...sb.actives].sort()).toEqual([0, 1, 2, 3]);

    const base = baseTimestamp();
    const first = range(0, 1000, base);
    await produceOrders(kafka, topic, first);
    const want = expectedTotals(first);
    // Each holds its active partitions' keys and, as a standby, the other's (table_standby_replicas=1).
    const [fa, fb] = await Promise.all([a.waitFor<TablesSnapshot>('the first totals', (s) => tablesEqual(s, want), 60_000), b.waitFor<TablesSnapshot>('the first totals', (s) => tablesEqual(s, want), 60_000)]);
    expect(fa.processed).toBeGreaterThan(0);
    expect(fb.processed).toBeGreaterThan(0);
    expect(fa.processed + fb.processed).toBe(1000);

    await b.stop();
    await a.waitFor<TablesSnapshot>('all four partitions', (s) => s.actives.length === 4, 60_000);
    const second = range(1000, 1000, base);
    await produceOrders(kafka, topic, second);
    const all = expectedTotals([...first, ...second]);
    const end = await a.waitFor<TablesSnapshot>('the totals of 2000 orders', (s) => tablesEqual(s, all), 60_000);
    // The stopped worker commits what it processed as it leaves, but Faust's guarantee is still
    // at-least-once: an order or two it processed after its last commit may be processed again
    // here (raw_counts then counts them twice; the idempotent tables above are exact anyway).
    expect(end.processed).toBeGreaterThanOrEqual(fa.processed + 1000);
    const counts = expectedCounts([...first, ...second]);
    for (const [k, n] of Object.entries(counts)) expect(end.raw_counts[k]).toBeGreaterThanOrEqual(n);
  }, 240_000);

  // Faust's guarantee is at-least-once: after a SIGKILL the orders since the last commit are
  // processed again. The idempotent aggregates must be exact, raw_counts at least the true counts.
  it('a worker SIGKILLed mid-stream and restarted ends with the exact totals (at-least-once, idempotent aggregates)', async () => {
    const topic = 'orders-kill';
    await createTopic(topic, 4);
    const env = { TOPIC: topic, APP_ID: 'kill', SESSION_TIMEOUT: '8' };
    const n = 3000;
    const orders = range(0, n, baseTimestamp());
    const a = worker('orders_tables', 'kill-a', env);
    await a.waitFor<TablesSnapshot>('its partitions', (s) => s.actives.length === 4, 60_000);
    const producing = produceOrders(kafka, topic, orders, 50);
    const before = await a.waitFor<TablesSnapshot>('a third of the orders processed', (s) => s.processed >= n / 3, 90_000);
    await a.kill();
    expect(before.processed).toBeLessThan(n);
    const b = worker('orders_tables', 'kill-b', env);
    await producing;
    const want = expectedTotals(orders);
    const end = await b.waitFor<TablesSnapshot>(`the totals of ${n} orders`, (s) => tablesEqual(s, want), 120_000);
    expect(end.processed).toBeGreaterThan(0);
    // No order is lost; the ones after the last commit were processed again.
    const counts = expectedCounts(orders);
    for (const [k, c] of Object.entries(counts)) expect(end.raw_counts[k]).toBeGreaterThanOrEqual(c);
    expect(sum(end.raw_counts)).toBeGreaterThanOrEqual(n);
  }, 240_000);

  // processing_guarantee=exactly_once on Runnel: one transactional producer per partition, the
  // changelog writes and the input offsets committed in one transaction, recovery reading the
  // changelogs read_committed. Without a crash every count is exact; a worker started from empty
  // local state after a clean stop recovers the committed tables.
  it('exactly_once: exact tables through transactions, recovered read_committed by a worker with empty local state', async () => {
    const topic = 'orders-eos';
    await createTopic(topic, 4);
    const env = { TOPIC: topic, APP_ID: 'eos', GUARANTEE: 'exactly_once' };
    const orders = range(0, 1500, baseTimestamp());
    const a = worker('orders_tables', 'eos-a', env);
    await produceOrders(kafka, topic, orders);
    const want = expectedTotals(orders);
    const s = await a.waitFor<TablesSnapshot>('the totals of 1500 orders', (s) => tablesEqual(s, want), 90_000);
    expect(s.raw_counts).toEqual(expectedCounts(orders));
    await a.stop();
    const b = worker('orders_tables', 'eos-b', env);
    // Faust 0.15.3 commits a transaction without flushing the changelog records still in its send
    // buffer (docs/streams-faust.md), so even a clean stop can leave the last few updates in a
    // transaction never committed (seen once in CI: 14 of 1,500). The recovered tables are then
    // exactly those of the committed transactions: nothing counted twice or invented, no input
    // processed again, at most a few of the last updates missing.
    const counts = expectedCounts(orders);
    const exact = await b.waitFor<TablesSnapshot>('the tables recovered from the changelogs', (s) => tablesEqual(s, want), 30_000).catch(() => null);
    const recovered = exact ?? (await b.waitFor<TablesSnapshot>('recovered tables', (s) => s.actives.length > 0, 5_000));
    expect(recovered.processed).toBe(0);
    if (exact) {
      expect(recovered.raw_counts).toEqual(counts);
    } else {
      let missing = 0;
      for (const [k, c] of Object.entries(counts)) {
        const got = recovered.totals[k]?.[0] ?? 0;
        expect(got, `count of ${k}`).toBeLessThanOrEqual(c);
        missing += c - got;
      }
      expect(missing, "updates lost in Faust's unflushed buffer at the stop").toBeLessThanOrEqual(30);
      console.log(`[faust] exactly_once recovery after a clean stop missed ${missing} of ${orders.length} updates (Faust 0.15.3's unflushed commit)`);
    }
  }, 240_000);

  it('Avro values through the schema registry: kafkajs-encoded orders in, Faust-encoded totals out', async () => {
    await createTopic('orders_avro', 2);
    // Runnel validates what Faust writes against the registered schema.
    await createTopic('order_totals_avro', 2, [{ name: 'confluent.value.schema.validation', value: 'true' }]);
    const registry = new SchemaRegistry({ host: broker.schemaRegistryUrl! });
    const orderSchema = {
      type: 'record',
      name: 'Order',
      namespace: 'shop',
      fields: [
        { name: 'sales_id', type: 'long' },
        { name: 'sales_amt', type: 'double' },
      ],
    };
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(orderSchema) }, { subject: 'orders_avro-value' });
    const totalsSchema = {
      type: 'record',
      name: 'OrderTotal',
      namespace: 'shop',
      fields: [
        { name: 'key', type: 'string' },
        { name: 'count', type: 'long' },
        { name: 'total', type: 'double' },
        { name: 'last_sales_id', type: 'long' },
      ],
    };
    // Registered beforehand so that the broker's validation knows it (Faust registers it too: the same schema, the same id).
    await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(totalsSchema) }, { subject: 'order_totals_avro-value' });

    const w = worker('orders_avro', 'avro', { REGISTRY: broker.schemaRegistryUrl!, APP_ID: 'avro' });
    const orders = range(0, 600, baseTimestamp());
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'orders_avro',
      acks: -1,
      messages: await Promise.all(orders.map(async (o) => ({ key: o.key, value: await registry.encode(id, { sales_id: o.sales_id, sales_amt: o.sales_amt }) }))),
    });
    await producer.disconnect();
    const want = expectedTotals(orders).totals;
    const wantSums = Object.fromEntries(Object.entries(want).map(([k, s]) => [k, s[1]]));
    type AvroSnapshot = { processed: number; counts: Record<string, number>; sums: Record<string, number> };
    const s = await w.waitFor<AvroSnapshot>('the sums of 600 Avro orders', (s) => s.processed === 600, 90_000);
    expect(s.sums).toEqual(wantSums);
    expect(s.counts).toEqual(expectedCounts(orders));

    const out = await readTopic(kafka, 'order_totals_avro');
    expect(out).toHaveLength(600);
    const last: Record<string, { key: string; count: number; total: number; last_sales_id: number }> = {};
    for (const m of out) {
      const v = await registry.decode(m.value!);
      last[m.key!.toString()] = v;
    }
    for (const [k, stats] of Object.entries(want)) {
      expect(last[k]).toEqual({ key: k, count: stats[0], total: stats[1], last_sales_id: Math.max(...orders.filter((o) => o.key === k).map((o) => o.sales_id)) });
    }
  }, 150_000);
});

/**
 * Kafka Streams 4.4 against Runnel: the seed's order-totals application (test/java OrdersTotals —
 * orders keyed by customer, `groupByKey().aggregate(() -> 0.0, (key, order, total) -> total +
 * price)` through a repartition topic, totals to an output topic), 10,000 orders over 100 keys,
 * with the application restarted twice (state dir kept, then wiped) and Runnel restarted under
 * the running application. At the end the totals in the state store, in the output topic and in
 * the orders as produced agree exactly.
 *
 * Why the totals can be checked exactly with at-least-once processing (Streams' default;
 * exactly-once under crashes is java-streams-eos.test.ts): a Streams app that crashes replays
 * what it processed after its last commit, so a hard stop could count some orders twice. Every
 * restart here is clean instead: the app is stopped through stdin, and close() commits the input
 * offsets after flushing the store, its changelog and the output. The broker is restarted only
 * while the app is idle with everything committed (commit.interval.ms is 100 ms; the test waits a
 * second after the last order). Each run reports how many orders it aggregated, and that must be
 * exactly the orders that arrived since the previous run: a lost commit or a replay would show.
 * Prices are multiples of 0.25, so every sum is exact in floating point, whatever the order.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, tempDir, type TestBroker } from '../helpers/broker.js';
import { ensureJavaBuilt, runJavaOk, runKafkaScript, spawnJava, type JavaProcess } from '../helpers/java.js';

const ORDERS = 10_000;
const KEYS = 100;
const APP = 'orders-totals-app';
const INPUT = 'orders';
const OUTPUT = 'order-totals';
const BROKER_CONFIG = { 'group.initial.rebalance.delay.ms': 0 };

let broker: TestBroker;
let work: string;
const running: JavaProcess[] = [];

interface Order {
  id: string;
  customer: string;
  price: number;
}

function order(i: number): Order {
  return { id: `order-${i}`, customer: `customer-${String(i % KEYS).padStart(3, '0')}`, price: (((i * 7919) % 1000) + 1) / 4 };
}

/** Totals per customer of orders [0, n), summed in the order they were produced. */
function expectedTotals(n: number): Record<string, number> {
  const totals: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const o = order(i);
    totals[o.customer] = (totals[o.customer] ?? 0) + o.price;
  }
  return totals;
}

function asNumbers(m: Record<string, string>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Number(v)]));
}

/** Orders [from, to) through kafka-console-producer, keyed by customer (`customer|{json}`). */
async function produceOrders(from: number, to: number): Promise<void> {
  const lines: string[] = [];
  for (let i = from; i < to; i++) {
    const o = order(i);
    lines.push(`${o.customer}|${JSON.stringify(o)}`);
  }
  const r = await runKafkaScript('kafka-console-producer.sh', [
    '--bootstrap-server', broker.bootstrap, '--topic', INPUT,
    '--property', 'parse.key=true', '--property', 'key.separator=|', '--producer-property', 'acks=all',
  ], { input: lines.join('\n') + '\n', timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
}

function startApp(stateDir: string): Promise<JavaProcess> {
  return spawnJava('OrdersTotals', [
    '--bootstrap', broker.bootstrap, '--application-id', APP, '--input', INPUT, '--output', OUTPUT, '--state-dir', stateDir,
    '--timeout-ms', '150000',
  ]).then((p) => {
    running.push(p);
    return p;
  });
}

/** Waits until the app aggregated `n` orders in this run, lets it idle (and commit), stops it. */
async function runUntil(app: JavaProcess, n: number): Promise<{ aggregated: number; store: Record<string, string> }> {
  await app.waitFor((j) => j.event === 'progress' && j.aggregated >= n, 90_000);
  await new Promise((r) => setTimeout(r, 1000));
  app.send('stop');
  const res = await app.exited;
  expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
  expect(res.json?.aggregated, `${res.stdout}\n${res.stderr}`).toBeTypeOf('number');
  return res.json;
}

async function restartBroker(): Promise<void> {
  const { dataDir, port } = broker;
  await broker.stop();
  broker = await startTestBroker({ dataDir, port, keepData: true, config: BROKER_CONFIG });
}

beforeAll(async () => {
  await ensureJavaBuilt();
  work = tempDir('streams-orders');
  broker = await startTestBroker({ dataDir: join(work, 'broker'), keepData: true, config: BROKER_CONFIG });
}, 300_000);
afterAll(async () => {
  for (const p of running) p.kill();
  await broker?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('Kafka Streams: order totals (groupByKey + aggregate)', () => {
  it('sums 10,000 orders over 100 keys exactly, across app restarts (state kept and wiped) and a Runnel restart', async () => {
    for (const topic of [INPUT, OUTPUT]) {
      const r = await runKafkaScript('kafka-topics.sh', ['--bootstrap-server', broker.bootstrap, '--create', '--topic', topic, '--partitions', '4']);
      expect(r.stdout).toContain(`Created topic ${topic}.`);
    }
    const stateKept = join(work, 'state-1');
    mkdirSync(stateKept, { recursive: true });

    // Run 1: the first 5,000 orders.
    await produceOrders(0, 5000);
    const run1 = await runUntil(await startApp(stateKept), 5000);
    expect(run1.aggregated).toBe(5000);
    expect(asNumbers(run1.store)).toEqual(expectedTotals(5000));

    // Run 2, same state dir: only the 3,000 orders that arrived while it was down...
    await produceOrders(5000, 8000);
    const app2 = await startApp(stateKept);
    await app2.waitFor((j) => j.event === 'progress' && j.aggregated >= 3000, 90_000);
    await new Promise((r) => setTimeout(r, 1000)); // idle: everything committed
    // ...then Runnel restarts under the running app, and 1,000 more orders arrive afterwards.
    await restartBroker();
    await produceOrders(8000, 9000);
    const run2 = await runUntil(app2, 4000);
    expect(run2.aggregated).toBe(4000);
    expect(asNumbers(run2.store)).toEqual(expectedTotals(9000));

    // Run 3 with a wiped state dir: the store is restored from its changelog topic.
    await produceOrders(9000, ORDERS);
    const stateWiped = join(work, 'state-2');
    mkdirSync(stateWiped, { recursive: true });
    const run3 = await runUntil(await startApp(stateWiped), 1000);
    expect(run3.aggregated).toBe(1000);
    const expected = expectedTotals(ORDERS);
    expect(Object.keys(expected)).toHaveLength(KEYS);
    expect(asNumbers(run3.store)).toEqual(expected);

    // The output topic's newest total per key is the right one.
    const out = await runJavaOk('Consume', [
      '--bootstrap', broker.bootstrap, '--topic', OUTPUT, '--from-beginning', '--last-values', '--until-end', 'true', '--idle-ms', '2000', '--timeout-ms', '30000',
    ]);
    expect(asNumbers(out.lastValues)).toEqual(expected);

    // The internal topics Streams created through the AdminClient (kafka-topics --describe goes
    // through DescribeTopicPartitions): a compacted changelog and a repartition topic, 4
    // partitions each, and the repartition topic purged (DeleteRecords) behind the commits.
    const changelog = `${APP}-${'order-totals-store'}-changelog`;
    const repartition = `${APP}-orders-by-customer-repartition`;
    const describe = await runKafkaScript('kafka-topics.sh', ['--bootstrap-server', broker.bootstrap, '--describe', '--topic', `${changelog}|${repartition}`]);
    expect(describe.stdout).toMatch(new RegExp(`Topic: ${changelog}\\s+TopicId: \\S+\\s+PartitionCount: 4\\s+ReplicationFactor: 1\\s+Configs: .*cleanup.policy=compact`));
    expect(describe.stdout).toMatch(new RegExp(`Topic: ${repartition}\\s+TopicId: \\S+\\s+PartitionCount: 4\\s+ReplicationFactor: 1\\s+Configs: .*cleanup.policy=delete`));
    const earliest = await runKafkaScript('kafka-get-offsets.sh', ['--bootstrap-server', broker.bootstrap, '--topic', repartition, '--time', '-2']);
    const starts = earliest.stdout.trim().split('\n').map((l) => Number(l.split(':')[2]));
    expect(starts).toHaveLength(4);
    expect(starts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    // The application's consumer group has consumed everything: no lag on the input or the
    // repartition topic.
    const group = await runKafkaScript('kafka-consumer-groups.sh', ['--bootstrap-server', broker.bootstrap, '--describe', '--group', APP]);
    const rows = group.stdout.split('\n').filter((l) => l.startsWith(`${APP} `)).map((l) => l.trim().split(/\s+/));
    expect(rows.map((r) => r[1]).sort()).toEqual([...Array(4).fill(INPUT), ...Array(4).fill(repartition)].sort());
    for (const r of rows) expect(r[5], r.join(' ')).toBe('0');
  }, 300_000);
});

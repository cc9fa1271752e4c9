/**
 * Kafka Streams 4.4 with processing.guarantee=exactly_once_v2 against Runnel, under failures: the
 * order-totals application (test/java OrdersTotals: repartition topic, aggregate in a state store
 * with a compacted changelog, totals to an output topic) is killed with SIGKILL in the middle of
 * processing — no clean close, no final commit — while more orders arrive, Runnel is restarted
 * under the next instance, and at the end the totals in the state store and the newest totals a
 * read_committed consumer sees in the output topic are exactly right. With at-least-once, a killed
 * app replays what it processed after its last commit and counts those orders twice; with
 * exactly-once the replayed work's earlier transaction was aborted (the new instance's
 * InitProducerId fences and aborts it, or its timeout does), so every order counts once. (The
 * same scenario with processing.guarantee=at_least_once ends with some totals too high: the kill
 * lands in the middle of a 30,000-order backlog.)
 *
 * Runnel finalizes transaction.version 2 (KIP-890) as a new Kafka 4.x cluster does, so the Streams
 * producers run the new protocol: no AddPartitionsToTxn or AddOffsetsToTxn (the writes and
 * TxnOffsetCommit v5 add the partitions), an epoch bump at every commit; the test checks both.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, tempDir, type TestBroker } from '../helpers/broker.js';
import { ensureJavaBuilt, runJavaOk, runKafkaScript, spawnJava, type JavaProcess } from '../helpers/java.js';

const KEYS = 50;
const APP = 'orders-eos-app';
const INPUT = 'orders-eos';
const OUTPUT = 'order-totals-eos';
const BROKER_CONFIG = { 'group.initial.rebalance.delay.ms': 0 };

let broker: TestBroker;
let work: string;
const running: JavaProcess[] = [];

function order(i: number): { id: string; customer: string; price: number } {
  return { id: `order-${i}`, customer: `customer-${String(i % KEYS).padStart(3, '0')}`, price: (((i * 7919) % 1000) + 1) / 4 };
}

function expectedTotals(n: number): Record<string, number> {
  const totals: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const o = order(i);
    totals[o.customer] = (totals[o.customer] ?? 0) + o.price;
  }
  return totals;
}

const asNumbers = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Number(v)]));

async function produceOrders(from: number, to: number): Promise<void> {
  const lines: string[] = [];
  for (let i = from; i < to; i++) lines.push(`${order(i).customer}|${JSON.stringify(order(i))}`);
  const r = await runKafkaScript('kafka-console-producer.sh', ['--bootstrap-server', broker.bootstrap, '--topic', INPUT, '--property', 'parse.key=true', '--property', 'key.separator=|', '--producer-property', 'acks=all'], {
    input: lines.join('\n') + '\n',
    timeoutMs: 60_000,
  });
  expect(r.code, r.stderr).toBe(0);
}

async function startApp(stateDir: string): Promise<JavaProcess> {
  const p = await spawnJava('OrdersTotals', [
    '--bootstrap', broker.bootstrap, '--application-id', APP, '--input', INPUT, '--output', OUTPUT, '--state-dir', stateDir, '--timeout-ms', '150000',
    '--prop', 'processing.guarantee=exactly_once_v2',
    // A killed instance's open transaction is aborted by the next instance's InitProducerId.
    '--prop', 'producer.transaction.timeout.ms=10000',
  ]);
  running.push(p);
  return p;
}

beforeAll(async () => {
  await ensureJavaBuilt();
  work = tempDir('streams-eos');
  broker = await startTestBroker({ dataDir: join(work, 'broker'), keepData: true, config: BROKER_CONFIG });
}, 300_000);
afterAll(async () => {
  for (const p of running) p.kill();
  await broker?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('Kafka Streams exactly_once_v2: order totals under kill -9 of the app and a Runnel restart', () => {
  it('every order is counted exactly once', async () => {
    for (const topic of [INPUT, OUTPUT]) {
      const r = await runKafkaScript('kafka-topics.sh', ['--bootstrap-server', broker.bootstrap, '--create', '--topic', topic, '--partitions', '4']);
      expect(r.stdout).toContain(`Created topic ${topic}.`);
    }
    const stateDir = join(work, 'state');
    mkdirSync(stateDir, { recursive: true });
    expect(broker.broker.features.finalizedLevel('transaction.version')).toBe(2);

    // Run 1 is killed -9 while it works through a backlog (it commits every 100 ms: the work since
    // the last commit is lost, and its transaction is left open).
    await produceOrders(0, 30_000);
    const app1 = await startApp(stateDir);
    await app1.waitFor((j) => j.event === 'progress' && j.aggregated >= 2000, 120_000);
    app1.kill();
    await app1.exited;

    // More orders, then run 2 (same state dir, dirty after the kill), and Runnel restarts under it.
    await produceOrders(30_000, 32_000);
    const app2 = await startApp(stateDir);
    await app2.waitFor((j) => j.event === 'progress' && j.aggregated >= 500, 120_000);
    // The Streams producers speak KIP-890: TV2 transactions, epochs bumped per commit, and no
    // AddPartitionsToTxn / AddOffsetsToTxn requests at all.
    const streamsTxns = [...broker.broker.txn.txns.values()].filter((m) => m.transactionalId.startsWith(APP));
    expect(streamsTxns.length).toBeGreaterThan(0);
    expect(streamsTxns.every((m) => m.clientTransactionVersion === 2)).toBe(true);
    expect(Math.max(...streamsTxns.map((m) => m.producerEpoch))).toBeGreaterThan(1);
    const metrics = broker.broker.metrics.render().toString();
    expect(metrics).not.toMatch(/requests_total\{request="(AddPartitionsToTxn|AddOffsetsToTxn)"\}/);
    const { dataDir, port } = broker;
    await broker.stop();
    broker = await startTestBroker({ dataDir, port, keepData: true, config: BROKER_CONFIG });
    await produceOrders(32_000, 33_000);

    // Wait until the output shows the final totals, then stop the app cleanly.
    const expected = expectedTotals(33_000);
    const deadline = Date.now() + 120_000;
    let last: Record<string, number> = {};
    while (Date.now() < deadline) {
      const out = await runJavaOk('Consume', ['--bootstrap', broker.bootstrap, '--topic', OUTPUT, '--from-beginning', '--isolation', 'read_committed', '--last-values', '--idle-ms', '1500', '--timeout-ms', '30000']);
      last = asNumbers(out.lastValues);
      if (JSON.stringify(last) === JSON.stringify(expected) || Object.entries(expected).every(([k, v]) => last[k] === v)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(last).toEqual(expected);
    app2.send('stop');
    const res = await app2.exited;
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
    expect(asNumbers(res.json.store)).toEqual(expected);
  }, 400_000);
});

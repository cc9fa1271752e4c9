/**
 * Transactions under kill -9 (a child broker, `node dist/runnel.mjs`; build first, `npm test`
 * does): a committed transaction (records and TxnOffsetCommit offsets), an aborted one and an open
 * one are in the log when the broker is killed with SIGKILL, so there is no producer snapshot and
 * no clean-shutdown marker. After the restart on the same data directory the producer state (open
 * transaction, aborted-transactions index) is rebuilt from the log: read_committed consumers see
 * exactly the committed records, the group offsets are the committed ones, the open transaction
 * holds the last stable offset until its timeout aborts it, and new transactions work.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { spawnBroker, tempDir, removeDir, type ChildBroker } from '../helpers/broker.js';
import { freePort, kafkajs } from '../../bench/data-path/clients.js';
import { RawClient } from '../helpers/raw-client.js';

const TOPIC = 'txn-kill';
const dirs: string[] = [];
let current: ChildBroker | null = null;
afterAll(async () => {
  await current?.kill('SIGKILL');
  dirs.forEach(removeDir);
});

async function readAll(bootstrap: string, readUncommitted: boolean, expect: number, idleMs = 1500): Promise<string[]> {
  const consumer = kafkajs(bootstrap, 'txn-kill-reader').consumer({ groupId: `r-${randomUUID()}`, readUncommitted, maxWaitTimeInMs: 100 });
  await consumer.connect();
  const values: string[] = [];
  let last = Date.now();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value!.toString());
        last = Date.now();
      },
    });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !(values.length >= expect && Date.now() - last > idleMs)) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await consumer.disconnect();
  }
  return values;
}

async function txnState(b: ChildBroker, id: string): Promise<string> {
  const c = await RawClient.connect(b.host, b.port);
  try {
    return (await c.request(65, 0, { transactionalIds: [id] })).transactionStates[0].transactionState;
  } finally {
    c.close();
  }
}

const msgs = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${prefix}-${i}` }));

describe('transactions under kill -9', () => {
  it('committed, aborted and open transactions are rebuilt from the log after SIGKILL', async () => {
    const dataDir = tempDir('txn-kill');
    dirs.push(dataDir);
    const port = await freePort();
    const flags = { 'group.initial.rebalance.delay.ms': 0, 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 500 };
    current = await spawnBroker(dataDir, flags, port);
    const kafka = kafkajs(current.bootstrap, 'txn-kill');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }] });
    await admin.disconnect();

    const p = kafka.producer({ transactionalId: 'kill-main', idempotent: true, maxInFlightRequests: 1 });
    await p.connect();
    const t1 = await p.transaction();
    await t1.send({ topic: TOPIC, messages: msgs('kept', 20) });
    await t1.sendOffsets({ consumerGroupId: 'kill-group', topics: [{ topic: TOPIC, partitions: [{ partition: 1, offset: '5' }] }] });
    await t1.commit();
    const t2 = await p.transaction();
    await t2.send({ topic: TOPIC, messages: msgs('dropped', 15) });
    await t2.sendOffsets({ consumerGroupId: 'kill-group', topics: [{ topic: TOPIC, partitions: [{ partition: 1, offset: '11' }] }] });
    await t2.abort();
    const open = kafka.producer({ transactionalId: 'kill-open', idempotent: true, maxInFlightRequests: 1, transactionTimeout: 4000 });
    await open.connect();
    const t3 = await open.transaction();
    await t3.send({ topic: TOPIC, messages: msgs('open', 8) });

    await current.kill('SIGKILL');
    await p.disconnect().catch(() => undefined);
    await open.disconnect().catch(() => undefined);
    current = await spawnBroker(dataDir, flags, port);
    const b = current;

    expect(await txnState(b, 'kill-main')).toBe('CompleteAbort');
    // Still open right after the restart (unless its 4 s timeout already passed): nothing after it is visible.
    const early = await readAll(b.bootstrap, false, 0, 500);
    expect(early.every((v) => v.startsWith('kept'))).toBe(true);

    // The coordinator aborts it once its timeout passed.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (await txnState(b, 'kill-open')) !== 'CompleteAbort') await new Promise((r) => setTimeout(r, 200));
    expect(await txnState(b, 'kill-open')).toBe('CompleteAbort');

    const admin2 = kafkajs(b.bootstrap).admin();
    await admin2.connect();
    const offsets = await admin2.fetchOffsets({ groupId: 'kill-group', topics: [TOPIC] });
    await admin2.disconnect();
    expect(offsets[0]!.partitions.find((x) => x.partition === 1)!.offset).toBe('5');

    const p2 = kafkajs(b.bootstrap, 'txn-kill-2').producer({ transactionalId: 'kill-main', idempotent: true, maxInFlightRequests: 1 });
    await p2.connect();
    const t4 = await p2.transaction();
    await t4.send({ topic: TOPIC, messages: msgs('after', 4) });
    await t4.commit();
    await p2.disconnect();

    const committed = await readAll(b.bootstrap, false, 24);
    expect(committed.length).toBe(24);
    expect(committed.filter((v) => v.startsWith('kept')).length).toBe(20);
    expect(committed.filter((v) => v.startsWith('after')).length).toBe(4);
    const everything = await readAll(b.bootstrap, true, 47);
    expect(everything.length).toBe(47);
  }, 120_000);
});

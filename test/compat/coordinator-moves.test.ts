/**
 * Coordinators moving with partition leadership, on one broker with real clients: the broker's
 * leadership port simulates the controller moving a `__consumer_offsets` / `__transaction_state`
 * partition away and back (broker.localLeadership.resign / lead), which is what a cluster's failover
 * does to the coordinators.
 *
 * - A running kafkajs consumer group sees NOT_COORDINATOR, looks the coordinator up again and,
 *   once the partition is led here again (its groups reloaded from the log), carries on from its
 *   committed offsets: nothing lost, nothing consumed twice.
 * - A transaction left in PrepareCommit by a coordinator that lost its partition is completed by
 *   the next leader of that partition (markers written, CompleteCommit), and a kafkajs
 *   transactional producer starting while its coordinator is away gets its id once it is back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors.js';
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from '../../src/data/internal-topic.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function client(bootstrap: string): Kafka {
  return new Kafka({ brokers: [bootstrap], clientId: 'coordinator-moves', logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
}

async function broker(): Promise<TestBroker> {
  const b = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
  cleanups.push(() => b.cleanup());
  return b;
}

async function createTopic(b: TestBroker, topic: string, partitions: number): Promise<void> {
  const admin = client(b.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
}

async function waitUntil(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function raw(b: TestBroker): Promise<RawClient> {
  const c = await RawClient.connect(b.host, b.port);
  cleanups.push(() => c.close());
  return c;
}

describe('coordinators move with their partition', () => {
  it('a kafkajs consumer group survives its coordinator moving away and back, offsets intact', async () => {
    const b = await broker();
    const topic = 'moving-group-topic';
    const group = 'moving-group';
    await createTopic(b, topic, 2);
    const producer = client(b.bootstrap).producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const produce = (from: number, n: number) => producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ partition: (from + i) % 2, value: `r${from + i}` })) });
    await produce(0, 10);

    const consumer: Consumer = client(b.bootstrap).consumer({ groupId: group, sessionTimeout: 6000, rebalanceTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
    await consumer.connect();
    cleanups.push(() => consumer.disconnect());
    await consumer.subscribe({ topic, fromBeginning: true });
    const values: string[] = [];
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
        values.push(message.value!.toString());
      },
    });
    await waitUntil('the first 10 records', () => values.length >= 10);

    // The controller moves __consumer_offsets' partition of the group to another broker.
    const groups = b.broker.groups;
    const p = groups.partitionFor(group);
    expect(b.broker.localLeadership!.resign(CONSUMER_OFFSETS_TOPIC, p)).toBe(true);
    expect(groups.getGroup(group)).toBeUndefined();
    expect(groups.refusal(group)).toBe(ErrorCode.NOT_COORDINATOR);
    // Over the wire: the group's requests are NOT_COORDINATOR (retriable: look it up again).
    const c = await raw(b);
    const fetched = await c.request(9, 7, { groupId: group, topics: null, requireStable: false });
    expect(fetched.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    const described = await c.request(15, 5, { groups: [group], includeAuthorizedOperations: false });
    expect(described.groups[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    // Heartbeats fail with NOT_COORDINATOR meanwhile; the consumer keeps looking for its coordinator.
    await sleep(1500);
    expect(b.broker.localLeadership!.lead(CONSUMER_OFFSETS_TOPIC, p)).toBe(true);
    await waitUntil('the group reloaded', () => groups.getGroup(group) !== undefined);
    // Reloaded from the log: the offsets committed before the move.
    const admin = client(b.bootstrap).admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const before = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(before[0]!.partitions.reduce((n, x) => n + Number(x.offset), 0)).toBe(10);

    await produce(10, 10);
    await waitUntil('all 20 records', () => values.length >= 20);
    await sleep(300);
    expect([...values].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`).sort());
    const after = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(after[0]!.partitions.map((x) => Number(x.offset)).sort()).toEqual([10, 10]);
    await waitUntil('the group stable again', () => groups.getGroup(group)?.state === 'Stable');
  }, 90_000);

  it('the next leader of __transaction_state completes a transaction its previous coordinator left in PrepareCommit', async () => {
    const b = await broker();
    const topic = 'moving-txn-topic';
    const id = 'moving-txn';
    await createTopic(b, topic, 2);
    const producer = client(b.bootstrap).producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect().catch(() => undefined));
    const txn = await producer.transaction();
    await txn.send({ topic, messages: Array.from({ length: 12 }, (_, i) => ({ partition: i % 2, value: `t${i}` })) });

    // This coordinator decides the commit, then loses its partition before any marker is written.
    const coord = b.broker.txn as unknown as { markers: { send: (...args: unknown[]) => Promise<number[]> } };
    const markers = coord.markers;
    coord.markers = { send: () => new Promise<number[]>(() => undefined) };
    void txn.commit().catch(() => undefined);
    await waitUntil('PrepareCommit', () => b.broker.txn.txns.get(id)?.state === 'PrepareCommit');
    const p = b.broker.txn.stateLog.partitionFor(id);
    b.broker.localLeadership!.resign(TRANSACTION_STATE_TOPIC, p);
    expect(b.broker.txn.txns.has(id)).toBe(false);
    expect(b.broker.txn.coordinatorError(id)).toBe(ErrorCode.NOT_COORDINATOR);
    const c = await raw(b);
    const described = await c.request(65, 0, { transactionalIds: [id] });
    expect(described.transactionStates[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);

    // The partition's next leader (this broker again, at a newer epoch) loads it and completes it.
    coord.markers = markers;
    b.broker.localLeadership!.lead(TRANSACTION_STATE_TOPIC, p);
    await waitUntil('CompleteCommit', () => b.broker.txn.txns.get(id)?.state === 'CompleteCommit');
    const consumer = client(b.bootstrap).consumer({ groupId: 'moving-txn-reader', readUncommitted: false, maxWaitTimeInMs: 100 });
    await consumer.connect();
    cleanups.push(() => consumer.disconnect());
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitUntil('the committed records', () => seen.length >= 12);
    expect([...seen].sort()).toEqual(Array.from({ length: 12 }, (_, i) => `t${i}`).sort());
  }, 90_000);

  it('a kafkajs transactional producer starting while its coordinator is away gets its id once it is back', async () => {
    const b = await broker();
    const id = 'waiting-txn';
    const admin = client(b.bootstrap).admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await b.broker.txn.ensureStateTopic();
    const p = b.broker.txn.stateLog.partitionFor(id);
    b.broker.localLeadership!.resign(TRANSACTION_STATE_TOPIC, p);
    const producer = client(b.bootstrap).producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect().catch(() => undefined));
    // The first transaction asks for the producer id (InitProducerId): NOT_COORDINATOR, retried.
    const started = producer.transaction();
    await sleep(800);
    expect(b.broker.txn.txns.has(id)).toBe(false);
    b.broker.localLeadership!.lead(TRANSACTION_STATE_TOPIC, p);
    const txn = await started;
    expect(b.broker.txn.txns.get(id)).toMatchObject({ state: 'Empty', producerEpoch: 0 });
    await txn.abort();
  }, 60_000);
});

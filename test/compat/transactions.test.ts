/**
 * Transactions with real clients (kafkajs 2.2.4 here; librdkafka and the Java client in
 * transactions-clients.test.ts): a transactional producer's committed records reach a
 * read_committed consumer and its aborted ones do not (a read_uncommitted consumer sees both, the
 * markers never show as records); consume-transform-produce with sendOffsets commits the group's
 * offsets atomically with the output (and an aborted one leaves them where they were); a second
 * producer with the same transactional.id fences the first; a transaction that outlives its
 * transaction.timeout.ms is aborted by the coordinator; and the outcome of every transaction, the
 * group offsets and an open transaction survive a broker restart, and a transaction stopped between
 * its PrepareCommit and its markers is completed by the restart. The coordinator's state is
 * checked with DescribeTransactions/ListTransactions/DescribeProducers requests.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka, Producer } from 'kafkajs';
import { startTestBroker, tempDir, removeDir, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kafkajs } from '../../bench/data-path/clients.js';
import { ErrorCode } from '../../protocol/errors.js';

const BROKER_CONFIG = { 'group.initial.rebalance.delay.ms': 0 };

let broker: TestBroker;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  broker = await startTestBroker({ config: BROKER_CONFIG });
});
afterAll(async () => {
  await broker?.cleanup();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
});

async function createTopic(bootstrap: string, topic: string, partitions = 1): Promise<void> {
  const admin = kafkajs(bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();
}

async function txProducer(kafka: Kafka, transactionalId: string, transactionTimeout = 60000): Promise<Producer> {
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout });
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  return producer;
}

interface Consumed {
  values: string[];
  byPartition: Map<number, number[]>;
}

/**
 * Reads a topic from the beginning with a kafkajs consumer group until `expect` records arrived
 * and nothing more came for `idleMs`, or (expect undefined) until idle.
 */
async function consumeAll(bootstrap: string, topic: string, readUncommitted: boolean, expect?: number, idleMs = 1500): Promise<Consumed> {
  const consumer = kafkajs(bootstrap, 'txn-reader').consumer({ groupId: `reader-${randomUUID()}`, readUncommitted, maxWaitTimeInMs: 100 });
  await consumer.connect();
  const out: Consumed = { values: [], byPartition: new Map() };
  let last = Date.now();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        out.values.push(message.value!.toString());
        let l = out.byPartition.get(partition);
        if (!l) out.byPartition.set(partition, (l = []));
        l.push(Number(message.offset));
        last = Date.now();
      },
    });
    const deadline = Date.now() + 30_000;
    last = Date.now();
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      if ((expect === undefined || out.values.length >= expect) && Date.now() - last > idleMs) break;
    }
  } finally {
    await consumer.disconnect();
  }
  return out;
}

async function raw(b: TestBroker): Promise<RawClient> {
  const c = await RawClient.connect(b.host, b.port);
  cleanups.push(() => c.close());
  return c;
}

async function describeTxn(b: TestBroker, id: string): Promise<any> {
  const c = await raw(b);
  const r = await c.request(65, 0, { transactionalIds: [id] });
  return r.transactionStates[0];
}

async function latest(b: TestBroker, topic: string, isolationLevel: number): Promise<number> {
  const c = await raw(b);
  const r = await c.request(2, 5, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }] });
  return r.topics[0].partitions[0].offset;
}

const values = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${prefix}-${i}` }));

describe('kafkajs transactional producer', () => {
  it('commits and aborts: read_committed sees only the committed records, read_uncommitted all of them', async () => {
    const topic = 'txn-kjs-basic';
    await createTopic(broker.bootstrap, topic, 3);
    const producer = await txProducer(kafkajs(broker.bootstrap, 'txn-basic'), 'kjs-basic');

    const t1 = await producer.transaction();
    await t1.send({ topic, messages: values('committed-a', 30) });
    await t1.commit();

    const t2 = await producer.transaction();
    await t2.send({ topic, messages: values('aborted', 20) });
    // While open: its records are readable uncommitted only, and the LSO holds back.
    const open = await describeTxn(broker, 'kjs-basic');
    expect(open.transactionState).toBe('Ongoing');
    expect(open.topics.map((t: any) => t.topic)).toEqual([topic]);
    expect(open.transactionStartTimeMs).toBeGreaterThan(0);
    await t2.abort();

    const t3 = await producer.transaction();
    await t3.send({ topic, messages: values('committed-b', 25) });
    await t3.commit();

    const committed = await consumeAll(broker.bootstrap, topic, false, 55);
    expect(committed.values.length).toBe(55);
    expect(committed.values.filter((v) => v.startsWith('aborted'))).toEqual([]);
    expect(new Set(committed.values)).toEqual(new Set([...values('committed-a', 30), ...values('committed-b', 25)].map((m) => m.value)));

    const all = await consumeAll(broker.bootstrap, topic, true, 75);
    expect(all.values.length).toBe(75);
    expect(all.values.filter((v) => v.startsWith('aborted')).length).toBe(20);

    const done = await describeTxn(broker, 'kjs-basic');
    expect(done).toMatchObject({ errorCode: ErrorCode.NONE, transactionState: 'CompleteCommit', topics: [] });
  }, 60_000);

  it('holds read_committed consumers at the last stable offset until the transaction ends', async () => {
    const topic = 'txn-kjs-lso';
    await createTopic(broker.bootstrap, topic, 1);
    const kafka = kafkajs(broker.bootstrap, 'txn-lso');
    const plain = kafka.producer();
    await plain.connect();
    cleanups.push(() => plain.disconnect());
    await plain.send({ topic, messages: values('before', 5) });
    const producer = await txProducer(kafka, 'kjs-lso');
    const txn = await producer.transaction();
    await txn.send({ topic, messages: values('in-txn', 10) });
    // Non-transactional records after the open transaction wait behind it too.
    await plain.send({ topic, messages: values('after', 5) });
    expect(await latest(broker, topic, 0)).toBe(20);
    expect(await latest(broker, topic, 1)).toBe(5);
    const c = await raw(broker);
    const fetch = (isolationLevel: number) =>
      c.request(1, 11, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1 }] }], forgottenTopicsData: [], rackId: '' });
    const rc = (await fetch(1)).responses[0].partitions[0];
    expect(rc).toMatchObject({ highWatermark: 20, lastStableOffset: 5, abortedTransactions: [] });
    const ru = (await fetch(0)).responses[0].partitions[0];
    expect(ru).toMatchObject({ highWatermark: 20, lastStableOffset: 5, abortedTransactions: null });
    expect(ru.records.length).toBeGreaterThan(rc.records.length);
    // DescribeProducers (kafka-transactions describe-producers) shows the open transaction's start.
    const open = (await c.request(61, 0, { topics: [{ name: topic, partitionIndexes: [0] }] })).topics[0].partitions[0].activeProducers;
    expect(open.map((p: any) => p.currentTxnStartOffset)).toEqual([5]);

    // A read_committed consumer parked at the LSO gets the records once the transaction commits.
    const reading = consumeAll(broker.bootstrap, topic, false, 20, 1000);
    await new Promise((r) => setTimeout(r, 1500));
    await txn.commit();
    const got = await reading;
    expect(got.values.length).toBe(20);
    expect(got.values.slice(0, 5)).toEqual(values('before', 5).map((m) => m.value));
    expect(await latest(broker, topic, 1)).toBe(21); // the marker counts as an offset

    // An aborted range is reported to read_committed fetches, with the producer id and first offset.
    const t2 = await producer.transaction();
    await t2.send({ topic, messages: values('gone', 3) });
    await t2.abort();
    const after = (await c.request(1, 11, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 21, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1 }] }], forgottenTopicsData: [], rackId: '' })).responses[0].partitions[0];
    const desc = await describeTxn(broker, 'kjs-lso');
    expect(after.abortedTransactions).toEqual([{ producerId: desc.producerId, firstOffset: 21 }]);
    expect(after.lastStableOffset).toBe(25);
    // DescribeProducers shows no open transaction any more.
    const producers = (await c.request(61, 0, { topics: [{ name: topic, partitionIndexes: [0] }] })).topics[0].partitions[0].activeProducers;
    expect(producers.find((p: any) => p.producerId === desc.producerId)).toMatchObject({ currentTxnStartOffset: -1 });
  }, 60_000);

  it('consume-transform-produce: sendOffsets commits the group offsets with the output, abort leaves them', async () => {
    const input = 'txn-kjs-in';
    const output = 'txn-kjs-out';
    await createTopic(broker.bootstrap, input, 2);
    await createTopic(broker.bootstrap, output, 2);
    const kafka = kafkajs(broker.bootstrap, 'txn-ctp');
    const plain = kafka.producer();
    await plain.connect();
    cleanups.push(() => plain.disconnect());
    await plain.send({ topic: input, messages: values('in', 40) });

    const group = 'ctp-group';
    const producer = await txProducer(kafka, 'kjs-ctp');
    // An aborted transaction first: its output disappears and its offsets (far past the end) are
    // not committed — else the consumer below would start there and process nothing.
    const aborted = await producer.transaction();
    await aborted.send({ topic: output, messages: values('aborted-out', 7) });
    await aborted.sendOffsets({ consumerGroupId: group, topics: [{ topic: input, partitions: [{ partition: 0, offset: '1000' }, { partition: 1, offset: '1000' }] }] });
    await aborted.abort();

    const consumer = kafka.consumer({ groupId: group, readUncommitted: false, maxWaitTimeInMs: 100 });
    await consumer.connect();
    cleanups.push(() => consumer.disconnect());
    await consumer.subscribe({ topic: input, fromBeginning: true });
    let processed = 0;
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const txn = await producer.transaction();
        await txn.send({ topic: output, messages: batch.messages.map((m) => ({ key: m.key, value: `out-${m.value!.toString()}` })) });
        const next = String(Number(batch.messages[batch.messages.length - 1]!.offset) + 1);
        await txn.sendOffsets({ consumerGroupId: group, topics: [{ topic: input, partitions: [{ partition: batch.partition, offset: next }] }] });
        await txn.commit();
        processed += batch.messages.length;
      },
    });
    const deadline = Date.now() + 30_000;
    while (processed < 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await consumer.disconnect();
    expect(processed).toBe(40);

    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const offsets = await admin.fetchOffsets({ groupId: group, topics: [input] });
    const total = offsets[0]!.partitions.reduce((n, p) => n + Number(p.offset), 0);
    expect(total).toBe(40);
    const out = await consumeAll(broker.bootstrap, output, false, 40);
    expect(out.values.length).toBe(40);
    expect(new Set(out.values)).toEqual(new Set(values('in', 40).map((m) => `out-${m.value}`)));
    const everything = await consumeAll(broker.bootstrap, output, true, 47);
    expect(everything.values.length).toBe(47);
    expect(everything.values.filter((v) => v.startsWith('aborted-out')).length).toBe(7);
  }, 60_000);

  it('TxnOffsetCommit offsets are invisible (UNSTABLE_OFFSET_COMMIT with requireStable) until the commit', async () => {
    const topic = 'txn-kjs-stable';
    await createTopic(broker.bootstrap, topic, 1);
    const producer = await txProducer(kafkajs(broker.bootstrap, 'txn-stable'), 'kjs-stable');
    const txn = await producer.transaction();
    await txn.send({ topic, messages: values('x', 1) });
    await txn.sendOffsets({ consumerGroupId: 'stable-group', topics: [{ topic, partitions: [{ partition: 0, offset: '7' }] }] });
    const c = await raw(broker);
    const fetchOffsets = (requireStable: boolean) => c.request(9, 7, { groupId: 'stable-group', topics: [{ name: topic, partitionIndexes: [0] }], requireStable });
    expect((await fetchOffsets(true)).topics[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT, committedOffset: -1 });
    expect((await fetchOffsets(false)).topics[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, committedOffset: -1 });
    await txn.commit();
    expect((await fetchOffsets(true)).topics[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, committedOffset: 7 });
  }, 30_000);

  it('a second producer with the same transactional.id fences the first, aborting its open transaction', async () => {
    const topic = 'txn-kjs-fence';
    await createTopic(broker.bootstrap, topic, 1);
    const first = await txProducer(kafkajs(broker.bootstrap, 'txn-fence-1'), 'kjs-fence');
    const t1 = await first.transaction();
    await t1.send({ topic, messages: values('zombie', 5) });
    const before = await describeTxn(broker, 'kjs-fence');

    const second = await txProducer(kafkajs(broker.bootstrap, 'txn-fence-2'), 'kjs-fence');
    // kafkajs runs InitProducerId when its first transaction begins.
    const t2 = await second.transaction();
    const after = await describeTxn(broker, 'kjs-fence');
    expect(after.producerId).toBe(before.producerId);
    expect(after.producerEpoch).toBeGreaterThan(before.producerEpoch);
    expect(after.transactionState).toBe('Empty');

    // The zombie can neither write nor commit.
    await expect(t1.send({ topic, messages: values('zombie-late', 1) })).rejects.toThrow();
    await expect(t1.commit()).rejects.toThrow();

    await t2.send({ topic, messages: values('winner', 3) });
    await t2.commit();
    const got = await consumeAll(broker.bootstrap, topic, false, 3);
    expect(got.values).toEqual(values('winner', 3).map((m) => m.value));
  }, 60_000);

  it('refuses transactional batches for partitions not added to the transaction, and bad timeouts', async () => {
    const c = await raw(broker);
    const tooLong = await c.request(22, 4, { transactionalId: 'kjs-timeout-too-long', transactionTimeoutMs: 900001, producerId: -1, producerEpoch: -1 });
    expect(tooLong.errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    const init = await c.request(22, 4, { transactionalId: 'kjs-raw', transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 });
    expect(init.errorCode).toBe(ErrorCode.NONE);
    const end = await c.request(26, 3, { transactionalId: 'kjs-raw', producerId: init.producerId, producerEpoch: init.producerEpoch, committed: true });
    expect(end.errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    const wrongId = await c.request(26, 3, { transactionalId: 'kjs-raw', producerId: init.producerId + 1000, producerEpoch: init.producerEpoch, committed: true });
    expect(wrongId.errorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const stale = await c.request(24, 3, { transactionalId: 'kjs-raw', producerId: init.producerId, producerEpoch: init.producerEpoch - 1, topics: [{ name: 'txn-kjs-basic', partitions: [0] }] });
    expect(stale.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(ErrorCode.PRODUCER_FENCED);
    const staleV1 = await c.request(24, 1, { transactionalId: 'kjs-raw', producerId: init.producerId, producerEpoch: init.producerEpoch - 1, topics: [{ name: 'txn-kjs-basic', partitions: [0] }] });
    expect(staleV1.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    const unknown = await c.request(24, 3, { transactionalId: 'kjs-raw', producerId: init.producerId, producerEpoch: init.producerEpoch, topics: [{ name: 'txn-kjs-basic', partitions: [0, 99] }] });
    expect(unknown.resultsByTopicV3AndBelow[0].resultsByPartition.map((p: any) => p.partitionErrorCode)).toEqual([ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);

    // A kafkajs transactional producer whose AddPartitionsToTxn is skipped: the batch is refused.
    const { buildBatchSync } = await import('../../protocol/records/builder.js');
    const b = buildBatchSync([{ value: 'sneaky' }], { producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: 0, transactional: true });
    const produce = await c.request(0, 9, { transactionalId: 'kjs-raw', acks: -1, timeoutMs: 5000, topicData: [{ name: 'txn-kjs-basic', partitionData: [{ index: 1, records: b }] }] });
    expect(produce.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
  }, 30_000);
});

describe('transaction timeout', () => {
  let b: TestBroker;
  beforeAll(async () => {
    b = await startTestBroker({
      config: {
        ...BROKER_CONFIG,
        'transaction.abort.timed.out.transaction.cleanup.interval.ms': 200,
        'transactional.id.expiration.ms': 3000,
        'transaction.remove.expired.transaction.cleanup.interval.ms': 200,
      },
    });
  });
  afterAll(async () => {
    await b?.cleanup();
  });

  it('aborts a transaction that outlives transaction.timeout.ms and fences its producer', async () => {
    const topic = 'txn-timeout';
    await createTopic(b.bootstrap, topic, 1);
    const producer = await txProducer(kafkajs(b.bootstrap, 'txn-timeout'), 'kjs-timeout', 1000);
    const txn = await producer.transaction();
    await txn.send({ topic, messages: values('late', 4) });
    expect(await latest(b, topic, 1)).toBe(0);
    const deadline = Date.now() + 10_000;
    let state = '';
    while (Date.now() < deadline) {
      state = (await describeTxn(b, 'kjs-timeout')).transactionState;
      if (state === 'CompleteAbort') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toBe('CompleteAbort');
    expect(await latest(b, topic, 1)).toBe(5);
    await expect(txn.commit()).rejects.toThrow();
    const seen = await consumeAll(b.bootstrap, topic, false, undefined, 1000);
    expect(seen.values).toEqual([]);
    expect((await consumeAll(b.bootstrap, topic, true, 4, 500)).values.length).toBe(4);
  }, 30_000);

  it('removes transactional ids idle longer than transactional.id.expiration.ms', async () => {
    const c = await raw(b);
    const init = await c.request(22, 4, { transactionalId: 'kjs-expiring', transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 });
    expect(init.errorCode).toBe(ErrorCode.NONE);
    expect((await describeTxn(b, 'kjs-expiring')).transactionState).toBe('Empty');
    const deadline = Date.now() + 10_000;
    let code = 0;
    while (Date.now() < deadline) {
      code = (await describeTxn(b, 'kjs-expiring')).errorCode;
      if (code === ErrorCode.TRANSACTIONAL_ID_NOT_FOUND) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(code).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    // A new InitProducerId starts over with a new producer id.
    const again = await c.request(22, 4, { transactionalId: 'kjs-expiring', transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 });
    expect(again).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: 0 });
    expect(again.producerId).not.toBe(init.producerId);
  }, 30_000);
});

describe('restart', () => {
  it('committed and aborted transactions, transactional offsets and an open transaction survive a restart (even without transactional-partitions.json)', async () => {
    const dataDir = tempDir('txn-restart');
    cleanups.push(() => removeDir(dataDir));
    let b = await startTestBroker({ dataDir, keepData: true, config: BROKER_CONFIG });
    const topic = 'txn-restart';
    await createTopic(b.bootstrap, topic, 2);
    {
      const kafka = kafkajs(b.bootstrap, 'txn-restart');
      const producer = kafka.producer({ transactionalId: 'kjs-restart', idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const t1 = await producer.transaction();
      await t1.send({ topic, messages: values('kept', 10) });
      await t1.sendOffsets({ consumerGroupId: 'restart-group', topics: [{ topic, partitions: [{ partition: 0, offset: '3' }] }] });
      await t1.commit();
      const t2 = await producer.transaction();
      await t2.send({ topic, messages: values('dropped', 10) });
      await t2.sendOffsets({ consumerGroupId: 'restart-group', topics: [{ topic, partitions: [{ partition: 0, offset: '9' }] }] });
      await t2.abort();
      const open = kafka.producer({ transactionalId: 'kjs-restart-open', idempotent: true, maxInFlightRequests: 1 });
      await open.connect();
      const t3 = await open.transaction();
      await t3.send({ topic, messages: values('open', 6) });
      await open.disconnect().catch(() => undefined);
      await producer.disconnect();
    }
    await b.stop();
    // Without the list of transactional partitions every partition is treated as possibly
    // transactional: read_committed still filters (the kill -9 test restarts with the list).
    rmSync(join(dataDir, 'transactional-partitions.json'));
    b = await startTestBroker({ dataDir, keepData: true, config: BROKER_CONFIG });
    cleanups.push(() => b.stop());

    expect((await describeTxn(b, 'kjs-restart')).transactionState).toBe('CompleteAbort');
    expect((await describeTxn(b, 'kjs-restart-open')).transactionState).toBe('Ongoing');
    // The open transaction holds read_committed readers back: only what committed before it.
    const before = await consumeAll(b.bootstrap, topic, false, undefined, 1000);
    expect(before.values.every((v) => v.startsWith('kept'))).toBe(true);
    const admin = kafkajs(b.bootstrap).admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const offsets = await admin.fetchOffsets({ groupId: 'restart-group', topics: [topic] });
    expect(offsets[0]!.partitions.find((p) => p.partition === 0)!.offset).toBe('3');

    // A new instance of the open transaction's producer aborts it.
    const again = await txProducer(kafkajs(b.bootstrap, 'txn-restart-2'), 'kjs-restart-open');
    const t4 = await again.transaction();
    await t4.send({ topic, messages: values('final', 2) });
    await t4.commit();
    const got = await consumeAll(b.bootstrap, topic, false, 12);
    expect(got.values.filter((v) => v.startsWith('kept')).length).toBe(10);
    expect(got.values.filter((v) => v.startsWith('final')).length).toBe(2);
    expect(got.values.length).toBe(12);
    const all = await consumeAll(b.bootstrap, topic, true, 28);
    expect(all.values.length).toBe(28);

    // ListTransactions reflects the states.
    const c = await raw(b);
    const list = await c.request(66, 1, { stateFilters: ['CompleteCommit', 'CompleteAbort'], producerIdFilters: [], durationFilter: -1 });
    const states = Object.fromEntries(list.transactionStates.map((t: any) => [t.transactionalId, t.transactionState]));
    expect(states).toMatchObject({ 'kjs-restart': 'CompleteAbort', 'kjs-restart-open': 'CompleteCommit' });
  }, 90_000);
  it('a transaction stopped between its PrepareCommit and its markers is completed by the restart', async () => {
    const dataDir = tempDir('txn-prepare');
    cleanups.push(() => removeDir(dataDir));
    let b = await startTestBroker({ dataDir, keepData: true, config: { ...BROKER_CONFIG, 'runnel.shutdown.timeout.ms': 1000 } });
    const topic = 'txn-prepare';
    await createTopic(b.bootstrap, topic, 2);
    const producer = kafkajs(b.bootstrap, 'txn-prepare').producer({ transactionalId: 'kjs-prepare', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic, messages: values('decided', 12) });
    await txn.sendOffsets({ consumerGroupId: 'prepare-group', topics: [{ topic, partitions: [{ partition: 0, offset: '4' }] }] });
    // The markers never get written: the decision (PrepareCommit) is durable, the rest is not.
    (b.broker.txn as unknown as { markers: { send: () => Promise<number[]> } }).markers = { send: () => new Promise<number[]>(() => undefined) };
    const ending = txn.commit().catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (await describeTxn(b, 'kjs-prepare')).transactionState !== 'PrepareCommit') await new Promise((r) => setTimeout(r, 50));
    expect((await describeTxn(b, 'kjs-prepare')).transactionState).toBe('PrepareCommit');
    expect(await latest(b, topic, 1)).toBe(0);
    await b.stop();
    await producer.disconnect().catch(() => undefined);
    await ending;

    b = await startTestBroker({ dataDir, keepData: true, config: BROKER_CONFIG });
    cleanups.push(() => b.stop());
    expect((await describeTxn(b, 'kjs-prepare')).transactionState).toBe('CompleteCommit');
    const got = await consumeAll(b.bootstrap, topic, false, 12);
    expect(got.values.length).toBe(12);
    const admin = kafkajs(b.bootstrap).admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const offsets = await admin.fetchOffsets({ groupId: 'prepare-group', topics: [topic] });
    expect(offsets[0]!.partitions.find((p) => p.partition === 0)!.offset).toBe('4');
  }, 90_000);
});

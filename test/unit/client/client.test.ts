/**
 * The client library: the range assignor and consumer protocol bytes, record-set decoding, and
 * against a real (in-process) broker: version negotiation, many requests in flight on one
 * connection, murmur2 partitioning, admin calls and two group members sharing partitions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBatch, buildBatchSync, buildControlBatch } from '../../../protocol/records/builder.js';
import { CompressionType } from '../../../protocol/records/batch.js';
import { ControlRecordType } from '../../../protocol/records/records.js';
import { assignmentPartitions, encodeAssignment, encodeSubscription, subscriptionTopics } from '../../../protocol/consumer-protocol.js';
import { rangeAssign } from '../../../src/client/range-assignor.js';
import { decodeRecordSet, type ConsumedRecord } from '../../../src/client/fetcher.js';
import { Admin, BrokerConnection, ConnectionError, Consumer, GroupMember, KafkaClient, Producer, parseBootstrap } from '../../../src/client/index.js';
import { partitionForKey } from '../../../src/client/partitioner.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';

describe('range assignor', () => {
  it("matches Kafka's RangeAssignor example (two consumers, two topics of three partitions)", () => {
    const plan = rangeAssign(
      [
        { memberId: 'C1', topics: ['t0', 't1'] },
        { memberId: 'C0', topics: ['t0', 't1'] },
      ],
      new Map([
        ['t0', 3],
        ['t1', 3],
      ]),
    );
    expect(Object.fromEntries(plan.get('C0')!)).toEqual({ t0: [0, 1], t1: [0, 1] });
    expect(Object.fromEntries(plan.get('C1')!)).toEqual({ t0: [2], t1: [2] });
  });

  it('gives nothing to members beyond the partition count and honours subscriptions', () => {
    const plan = rangeAssign(
      [
        { memberId: 'a', topics: ['x'] },
        { memberId: 'b', topics: ['x'] },
        { memberId: 'c', topics: ['y'] },
      ],
      new Map([
        ['x', 1],
        ['y', 2],
      ]),
    );
    expect(Object.fromEntries(plan.get('a')!)).toEqual({ x: [0] });
    expect(plan.get('b')!.size).toBe(0);
    expect(Object.fromEntries(plan.get('c')!)).toEqual({ y: [0, 1] });
  });
});

describe('consumer protocol', () => {
  it('writes version 0 subscriptions and assignments that the broker-side reader decodes', () => {
    const sub = encodeSubscription(['orders', 'payments']);
    expect(sub.subarray(0, 6)).toEqual(Buffer.from([0, 0, 0, 0, 0, 2]));
    expect(sub.subarray(-4)).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(subscriptionTopics(sub)).toEqual(['orders', 'payments']);
    const asg = encodeAssignment(new Map([['orders', [0, 2]]]));
    expect(Object.fromEntries(assignmentPartitions(asg)!)).toEqual({ orders: [0, 2] });
  });
});

describe('record set decoding', () => {
  it('skips records before the fetch offset, control batches and a trailing partial batch', async () => {
    const b1 = buildBatchSync([{ key: 'a', value: '1', timestamp: 1000 }, { value: '2', timestamp: 1001 }, { value: '3', timestamp: 1002, headers: [{ key: 'h', value: 'v' }] }], { baseOffset: 10 });
    const b2 = await buildBatch([{ value: '4', timestamp: 2000 }, { value: '5', timestamp: 2001 }], { baseOffset: 13, compression: CompressionType.Gzip });
    const ctl = buildControlBatch(ControlRecordType.Commit, { producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, baseOffset: 15 });
    const b4 = buildBatchSync([{ value: '6' }], { baseOffset: 16 });
    const set = Buffer.concat([b1, b2, ctl, b4.subarray(0, b4.length - 3)]);
    const out: ConsumedRecord[] = [];
    const next = await decodeRecordSet(set, { topic: 't', partition: 0, offset: 11 }, out);
    expect(out.map((r) => [r.offset, r.value!.toString(), r.timestamp])).toEqual([
      [11, '2', 1001],
      [12, '3', 1002],
      [13, '4', 2000],
      [14, '5', 2001],
    ]);
    expect(out[1]!.headers).toEqual([{ key: 'h', value: Buffer.from('v') }]);
    expect(next).toBe(16);
  });
});

describe('client against a broker', () => {
  let broker: TestBroker;
  let client: KafkaClient;

  beforeAll(async () => {
    broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
    client = new KafkaClient({ bootstrap: broker.bootstrap, clientId: 'client-test' });
  });
  afterAll(async () => {
    await client?.close();
    await broker?.cleanup();
  });

  it('parses bootstrap lists', () => {
    expect(parseBootstrap('a:1, PLAINTEXT://b:2,[::1]:3')).toEqual([
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
      { host: '::1', port: 3 },
    ]);
    expect(() => parseBootstrap('nohost')).toThrow(/host:port/);
  });

  it('negotiates versions and keeps many requests in flight on one connection', async () => {
    const conn = await client.anyConnection();
    expect(conn.versionFor(1)).toBe(12); // Fetch: capped where topic ids begin
    expect(conn.versionFor(0)).toBe(11);
    const all = await Promise.all(Array.from({ length: 50 }, () => conn.send<{ brokers: unknown[] }>(3, { topics: [] })));
    expect(all.every((r) => r.brokers.length === 1)).toBe(true);
  });

  it('reports refused connections clearly', async () => {
    await expect(BrokerConnection.open('127.0.0.1', 1, { clientId: 'x', connectTimeoutMs: 2000, requestTimeoutMs: 1000 })).rejects.toThrow(/cannot connect to 127.0.0.1:1: ECONNREFUSED/);
    await expect(BrokerConnection.open('127.0.0.1', 1, { clientId: 'x', connectTimeoutMs: 2000, requestTimeoutMs: 1000 })).rejects.toBeInstanceOf(ConnectionError);
  });

  it('places keyed records with murmur2 and reads them back', async () => {
    const admin = new Admin(client);
    expect((await admin.createTopics([{ name: 'keyed', partitions: 5 }]))[0]!.errorCode).toBe(0);
    const producer = new Producer(client, { compression: 'snappy', lingerMs: 1 });
    const metas = await Promise.all(Array.from({ length: 200 }, (_, i) => producer.sendAsync({ topic: 'keyed', key: `key-${i}`, value: `v${i}` })));
    metas.forEach((m, i) => expect(m.partition).toBe(partitionForKey(`key-${i}`, 5)));
    const consumer = new Consumer(client, { topics: ['keyed'], start: { kind: 'earliest' } });
    const seen: ConsumedRecord[] = [];
    for await (const batch of consumer.batches()) {
      seen.push(...batch);
      if (consumer.atEnd()) break;
    }
    await consumer.close();
    expect(seen).toHaveLength(200);
    for (const r of seen) expect(r.partition).toBe(partitionForKey(r.key!, 5));
    const ranges = await admin.offsetRange(['keyed']);
    expect(ranges.reduce((n, r) => n + r.end - r.start, 0)).toBe(200);
  });

  it('splits partitions between two group members and hands them over on leave', async () => {
    await new Admin(client).createTopics([{ name: 'shared', partitions: 4 }]);
    const c2 = new KafkaClient({ bootstrap: broker.bootstrap, clientId: 'member-2' });
    const a = new GroupMember(client, { groupId: 'pair', topics: ['shared'], heartbeatIntervalMs: 200 });
    const b = new GroupMember(c2, { groupId: 'pair', topics: ['shared'], heartbeatIntervalMs: 200 });
    try {
      await a.join();
      // b joining makes the coordinator ask a to rejoin (through its heartbeat).
      const bJoin = b.join();
      while (!a.needsRejoin) await new Promise((r) => setTimeout(r, 50));
      const [aAsg, bAsg] = await Promise.all([a.join(), bJoin]);
      const owned = [...(aAsg.get('shared') ?? []), ...(bAsg.get('shared') ?? [])].sort();
      expect(owned).toEqual([0, 1, 2, 3]);
      expect(aAsg.get('shared')).toHaveLength(2);
      await a.commit([{ topic: 'shared', partition: aAsg.get('shared')![0]!, offset: 0 }]);
      await b.leave();
      while (!a.needsRejoin) await new Promise((r) => setTimeout(r, 50));
      expect((await a.join()).get('shared')).toEqual([0, 1, 2, 3]);
    } finally {
      await a.leave().catch(() => undefined);
      await c2.close();
    }
  });
});

/**
 * A broker configured with a relaxed fsync policy (log.flush.interval.messages > 1, no flush.ms):
 * produce with acks=all, consumer-group offset commits and schema registration must all answer
 * promptly (after the write) instead of waiting for an fsync that never comes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ config: { 'log.flush.interval.messages': 10000, 'group.initial.rebalance.delay.ms': 0 } });
});
afterAll(async () => {
  await broker?.cleanup();
});

describe('relaxed flush policy', () => {
  it('acks=all produce, offset commits and fetches answer without waiting for an fsync', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const t0 = Date.now();
    await producer.send({ topic: 'relaxed', acks: -1, messages: [{ key: 'k', value: 'v' }] });
    expect(Date.now() - t0).toBeLessThan(3000);
    await producer.disconnect();

    // A simple (group-less) commit, as admin tools send it, straight on the wire.
    const raw = await RawClient.connect(broker.host, broker.port);
    const t1 = Date.now();
    const commit = await raw.request(8, 8, {
      groupId: 'relaxed-group',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: [{ name: 'relaxed', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    expect(Date.now() - t1).toBeLessThan(3000);
    expect(commit.topics[0].partitions[0].errorCode).toBe(0);
    raw.close();
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'relaxed-group', topics: ['relaxed'] });
    expect(offsets[0]!.partitions[0]!.offset).toBe('1');
    await admin.disconnect();
  });

  it('registers a schema promptly', async () => {
    const url = (broker.broker as unknown as { schemaRegistry?: { url: string } }).schemaRegistry?.url;
    expect(url).toBeTruthy();
    const t0 = Date.now();
    const res = await fetch(`${url}/subjects/relaxed-value/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }) }),
    });
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});

/**
 * Groups' dead-letter topics (KIP-1191) follow share.version as in Kafka 4.4 (its SV_2
 * "supportsShareGroupDLQ"): a new cluster is finalized at 2 and copies; downgraded to 1 (kafka-features
 * downgrade, here UpdateFeatures), records are archived without a copy; upgraded again, copies resume.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

describe('share group dead-letter topics and share.version', () => {
  let broker: TestBroker;
  let c: RawClient;
  let topicId: Buffer;

  beforeAll(async () => {
    broker = await startTestBroker({ config: { 'runnel.group.share.auto.offset.reset': 'earliest' } });
    c = await RawClient.connect('127.0.0.1', broker.port);
    const created = await c.request(19, 7, {
      topics: [
        { name: 'fjobs', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'dlq.fjobs', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'errors.deadletterqueue.group.enable', value: 'true' }] },
      ],
      timeoutMs: 5000,
    });
    expect(created.topics.map((t: any) => t.errorCode)).toEqual([0, 0]);
    topicId = created.topics[0].topicId;
    const records = buildBatchSync(Array.from({ length: 3 }, (_, i) => ({ value: `job-${i}` })));
    expect((await c.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'fjobs', partitionData: [{ index: 0, records }] }] })).responses[0].partitionResponses[0].errorCode).toBe(0);
    const alter = await c.request(44, 1, { resources: [{ resourceType: 32, resourceName: 'fg', configs: [{ name: 'errors.deadletterqueue.topic.name', configOperation: 0, value: 'dlq.fjobs' }] }], validateOnly: false });
    expect(alter.responses[0].errorCode).toBe(0);
  }, 30_000);

  afterAll(async () => {
    c?.close();
    await broker?.cleanup();
  });

  const setShareVersion = async (level: number) => {
    const r = await c.request(57, 1, { timeoutMs: 5000, featureUpdates: [{ feature: 'share.version', maxVersionLevel: level, upgradeType: level >= 2 ? 1 : 2 }], validateOnly: false });
    expect([r.errorCode, ...r.results.map((x: any) => x.errorCode)]).toEqual([0, 0]);
  };
  const dlqEnd = async () => (await c.request(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'dlq.fjobs', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }] })).topics[0].partitions[0].offset as number;
  let epoch = 0;
  const fetch = (acks: object[] = []) =>
    c.request(78, 2, { groupId: 'fg', memberId: 'w1', shareSessionEpoch: epoch++, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 1, batchSize: 1, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }], forgottenTopicsData: [] });
  const waitDlqEnd = async (n: number) => {
    for (let i = 0; i < 50 && (await dlqEnd()) < n; i++) await new Promise((r) => setTimeout(r, 100));
    return dlqEnd();
  };

  it('copies at share.version 2, not at 1, again at 2', async () => {
    // Records come in one stored batch (0-2): the fetch acquires it whole.
    const first = await fetch();
    expect(first.responses[0].partitions[0].acquiredRecords).toEqual([{ firstOffset: 0, lastOffset: 2, deliveryCount: 1 }]);
    await fetch([{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [3] }]); // REJECT 0 at level 2
    expect(await waitDlqEnd(1)).toBe(1);

    await setShareVersion(1);
    await fetch([{ firstOffset: 1, lastOffset: 1, acknowledgeTypes: [3] }]); // REJECT 1 at level 1: archived, no copy
    await new Promise((r) => setTimeout(r, 500));
    expect(await dlqEnd()).toBe(1);

    await setShareVersion(2);
    await fetch([{ firstOffset: 2, lastOffset: 2, acknowledgeTypes: [3] }]); // REJECT 2 at level 2 again
    expect(await waitDlqEnd(2)).toBe(2);
    await new Promise((r) => setTimeout(r, 300));
    expect(await dlqEnd()).toBe(2); // record 1 never copied later
  });
});

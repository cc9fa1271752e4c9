/**
 * A share session belongs to the connection that opened it (as in Kafka 4.4, see
 * test/differential/share-groups.test.ts): when that connection closes, the member's acquired
 * records are released at once instead of staying locked for group.share.record.lock.duration.ms.
 * A session replaced on the same connection, or ended with epoch -1, leaves no close hook behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

describe('share sessions and their connections', () => {
  let broker: TestBroker;
  let admin: RawClient;
  let topicId: Buffer;

  beforeAll(async () => {
    // A long lock: a release seen within seconds can only come from the closed connection.
    broker = await startTestBroker({ config: { 'group.share.record.lock.duration.ms': 60_000, 'runnel.group.share.auto.offset.reset': 'earliest' } });
    admin = await RawClient.connect('127.0.0.1', broker.port);
    const r = await admin.request(19, 7, { topics: [{ name: 'cc', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    expect(r.topics[0].errorCode).toBe(0);
    topicId = r.topics[0].topicId;
    const p = await admin.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'cc', partitionData: [{ index: 0, records: buildBatchSync(Array.from({ length: 4 }, (_, i) => ({ value: `v${i}` }))) }] }] });
    expect(p.responses[0].partitionResponses[0].errorCode).toBe(0);
  }, 30_000);

  afterAll(async () => {
    admin?.close();
    await broker?.cleanup();
  });

  const join = async (c: RawClient, group: string, memberId: string) => {
    const h = await c.request(76, 1, { groupId: group, memberId, memberEpoch: 0, rackId: null, subscribedTopicNames: ['cc'] });
    expect(h.errorCode).toBe(0);
  };
  const fetch = (c: RawClient, group: string, memberId: string, epoch: number, withPartition = true) =>
    c.request(78, 1, { groupId: group, memberId, shareSessionEpoch: epoch, maxWaitMs: withPartition ? 200 : 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: withPartition ? [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }] : [], forgottenTopicsData: [] });
  const acquired = (r: any) => r.responses.flatMap((t: any) => t.partitions.flatMap((p: any) => p.acquiredRecords.map((a: any) => [a.firstOffset, a.lastOffset, a.deliveryCount])));

  it("a closed connection releases its member's records at once; another member gets them with delivery count 2", async () => {
    const a = await RawClient.connect('127.0.0.1', broker.port);
    const b = await RawClient.connect('127.0.0.1', broker.port);
    try {
      await join(a, 'g1', 'm1');
      await join(b, 'g1', 'm2');
      expect(acquired(await fetch(a, 'g1', 'm1', 0))).toEqual([[0, 3, 1]]);
      expect(acquired(await fetch(b, 'g1', 'm2', 0))).toEqual([]); // all four are m1's
      a.close();
      let got: unknown[] = [];
      const t0 = Date.now();
      for (let e = 1; got.length === 0 && Date.now() - t0 < 5000; e++) got = acquired(await fetch(b, 'g1', 'm2', e));
      expect(got).toEqual([[0, 3, 2]]);
    } finally {
      a.close();
      b.close();
    }
  });

  it('a session reopened on the same connection, then the old connection closing, does not end the new session', async () => {
    const a = await RawClient.connect('127.0.0.1', broker.port);
    const b = await RawClient.connect('127.0.0.1', broker.port);
    try {
      await join(a, 'g2', 'm1');
      // Each replaces the last session (and its close hook); no partitions, so nothing is acquired.
      for (let i = 0; i < 200; i++) expect((await fetch(a, 'g2', 'm1', 0, false)).errorCode).toBe(0);
      // The member moves to connection b with a new session; a's closing must leave it alone.
      expect(acquired(await fetch(b, 'g2', 'm1', 0))).toEqual([[0, 3, 1]]);
      a.close();
      await new Promise((r) => setTimeout(r, 300));
      const next = await fetch(b, 'g2', 'm1', 1);
      expect(next.errorCode).toBe(0); // the session on b is still there (not SHARE_SESSION_NOT_FOUND)
      const other = await RawClient.connect('127.0.0.1', broker.port);
      try {
        await join(other, 'g2', 'm2');
        expect(acquired(await fetch(other, 'g2', 'm2', 0))).toEqual([]); // still locked to m1
      } finally {
        other.close();
      }
    } finally {
      a.close();
      b.close();
    }
  });
});

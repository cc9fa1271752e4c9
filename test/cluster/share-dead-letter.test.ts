/**
 * Share-group dead-letter topics (KIP-1191) in a cluster: a real etcd and three `dist/runnel.mjs`
 * processes (cluster-harness.ts; build first). The dead-letter partition is led by another broker
 * than the share partition, so each copy goes to its leader over the inter-broker path (Produce
 * acks=all, as idempotent batches: share/remote-dead-letter.ts, share/dead-letter-producer.ts).
 * A REJECTed record and one over the delivery limit each appear once with Kafka's headers; then
 * the dead-letter leader is SIGKILLed between two rejects, and every archived record is still in
 * the dead-letter topic exactly once.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { forEachRecord } from '../../protocol/records/records.js';
import { connectBroker, createTopicReady, metadataFrom, partitions, upBrokers, waitUntil, withBroker } from '../helpers/cluster-target.js';
import { type RunnelCluster, startRunnelCluster } from './cluster-harness.js';
import { etcdMissing } from './etcd-harness.js';

interface Copy { key: string; value: string; headers: Record<string, string> }

describe.skipIf(etcdMissing)('share-group dead-letter topic in a cluster: etcd + 3 broker processes', () => {
  let c: RunnelCluster;

  beforeAll(async () => {
    c = await startRunnelCluster({
      brokers: 3,
      sessionTimeoutMs: 3000,
      props: {
        'offsets.topic.replication.factor': 3,
        'offsets.topic.num.partitions': 1,
        'share.coordinator.state.topic.num.partitions': 1,
        'replica.lag.time.max.ms': 4000,
        'replica.fetch.backoff.ms': 200,
        'replica.fetch.wait.max.ms': 200,
        'auto.leader.rebalance.enable': false,
        'runnel.group.share.auto.offset.reset': 'earliest',
        'group.share.min.delivery.count.limit': 2,
        'group.share.delivery.count.limit': 2,
        'runnel.group.share.dead.letter.topics': 'cdq=dlq.cjobs',
        'runnel.group.share.dead.letter.retry.backoff.ms': 100,
        'runnel.group.share.dead.letter.retry.backoff.max.ms': 1000,
      },
    });
  }, 90_000);
  afterAll(async () => {
    await c?.stop();
  });

  /** The producer id of each batch dlqRecords read last: the copies are idempotent batches (share/dead-letter-producer.ts). */
  let batchProducerIds: number[] = [];
  /** The dead-letter topic's committed records, read from its current leader. */
  const dlqRecords = async (): Promise<Copy[]> => {
    const leader = (await partitions(c, 'dlq.cjobs', upBrokers(c)[0]!))[0]!.leader;
    const r: any = await withBroker(c, leader, (raw) =>
      raw.request(1, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic: 'dlq.cjobs', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }] }),
    );
    const p = r.responses[0].partitions[0];
    if (p.errorCode !== 0) throw new Error(`fetch dlq.cjobs: error ${p.errorCode}`);
    const bytes: Buffer = p.records ?? Buffer.alloc(0);
    const out: Copy[] = [];
    batchProducerIds = [];
    for (let pos = 0; pos + 12 <= bytes.length; ) {
      const end = pos + 12 + bytes.readInt32BE(pos + 8);
      batchProducerIds.push(Number(bytes.readBigInt64BE(pos + 43)));
      await forEachRecord(bytes.subarray(pos, end), (rec) => out.push({ key: rec.key?.toString() ?? '', value: rec.value?.toString() ?? '', headers: Object.fromEntries(rec.headers.map((h) => [h.key, h.value?.toString() ?? ''])) }));
      pos = end;
    }
    return out;
  };
  const waitCopies = (n: number) => waitUntil(`${n} records in dlq.cjobs`, async () => {
    const got = await dlqRecords().catch(() => undefined);
    return got && got.length >= n ? got : undefined;
  }, 60_000, 200);

  it('REJECT and delivery-limit copies reach a dead-letter partition led elsewhere, exactly once, also when its leader is SIGKILLed', async () => {
    const [a, b, d] = c.brokerIds as [number, number, number];
    // The share partition led by a, the dead-letter partition by b.
    await createTopicReady(c, { name: 'cjobs', assignments: [[a, b, d]] });
    await createTopicReady(c, { name: 'dlq.cjobs', assignments: [[b, d, a]] });
    const shareLeader = (await partitions(c, 'cjobs'))[0]!.leader;
    const dlqLeader = (await partitions(c, 'dlq.cjobs'))[0]!.leader;
    expect(shareLeader).toBe(a);
    expect(dlqLeader).toBe(b);
    const topicId: Buffer = (await metadataFrom(c, a, ['cjobs'])).topics[0].topicId;
    await withBroker(c, a, async (raw) => {
      for (let i = 0; i < 6; i++) {
        const r: any = await raw.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'cjobs', partitionData: [{ index: 0, records: buildBatchSync([{ key: `k${i}`, value: `job-${i}` }]) }] }] });
        expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
      }
    });
    // One connection for the share session, as a client keeps: a session ends with the connection that opened it.
    const session = await connectBroker(c, a);
    onTestFinished(() => session.close());
    let epoch = 0;
    const fetch = (acks: object[] = [], maxRecords = 100): Promise<any> =>
      session.request(78, 2, { groupId: 'cdq', memberId: 'w1', shareSessionEpoch: epoch++, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords, batchSize: maxRecords, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }], forgottenTopicsData: [] });
    // Later requests of a session answer only partitions with something to say (as Kafka's).
    const acquired = (r: any) => r.responses[0]?.partitions[0]?.acquiredRecords ?? [];
    const ack = async (first: number, type: number) => {
      const r: any = await session.request(79, 2, { groupId: 'cdq', memberId: 'w1', shareSessionEpoch: epoch++, isRenewAck: false, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: first, lastOffset: first, acknowledgeTypes: [type] }] }] }] });
      expect(r.errorCode).toBe(0);
      expect(r.responses[0].partitions[0].errorCode).toBe(0);
    };
    // 0-3 acquired (one batch each); 0 accepted, 1 rejected, 2 released (delivery 1 of 2), 3 accepted.
    expect(acquired(await fetch([], 4))).toEqual([{ firstOffset: 0, lastOffset: 3, deliveryCount: 1 }]);
    const r1 = await fetch([{ firstOffset: 0, lastOffset: 3, acknowledgeTypes: [1, 3, 2, 1] }], 1);
    expect(acquired(r1)).toEqual([{ firstOffset: 2, lastOffset: 2, deliveryCount: 2 }]);
    // Released again at the limit (2): archived and copied.
    await ack(2, 2);
    const copies = await waitCopies(2);
    expect(copies).toEqual([
      { key: 'k1', value: 'job-1', headers: { '__dlq.errors.topic': 'cjobs', '__dlq.errors.partition': '0', '__dlq.errors.offset': '1', '__dlq.errors.group': 'cdq', '__dlq.errors.delivery.count': '1', '__dlq.errors.message': 'Offset rejected by client.' } },
      { key: 'k2', value: 'job-2', headers: { '__dlq.errors.topic': 'cjobs', '__dlq.errors.partition': '0', '__dlq.errors.offset': '2', '__dlq.errors.group': 'cdq', '__dlq.errors.delivery.count': '2', '__dlq.errors.message': 'Offset delivery count exceeded the threshold.' } },
    ]);

    // 4 and 5 acquired; 4 rejected right before the dead-letter leader is SIGKILLed (its copy may
    // or may not have been acknowledged), 5 rejected right after (its copy fails until a new
    // leader is elected): each is still copied exactly once.
    const r2 = await fetch([], 2);
    expect(acquired(r2)).toEqual([{ firstOffset: 4, lastOffset: 5, deliveryCount: 1 }]);
    await ack(4, 3);
    await c.kill(b, 'SIGKILL');
    await ack(5, 3);
    await waitUntil('a new leader of dlq.cjobs-0', async () => {
      const p = (await partitions(c, 'dlq.cjobs', a).catch(() => []))[0];
      return p && p.leader > 0 && p.leader !== b ? p : undefined;
    }, 60_000);
    const after = await waitCopies(4).catch(async (e) => {
      const lines = c.process(a)?.logs.slice(-30) ?? [];
      throw new Error(`${(e as Error).message}; dlq: ${JSON.stringify(await dlqRecords().then((x) => x.map((y) => y.value), (err: Error) => err.message))}; broker ${a}:\n${lines.join('\n')}`);
    });
    // A little longer: a late duplicate would show up here.
    await new Promise((r) => setTimeout(r, 2000));
    const final = await dlqRecords();
    expect(final.length).toBe(after.length);
    expect(final.map((x) => `${x.value}@${x.headers['__dlq.errors.offset']}/${x.headers['__dlq.errors.message']}`)).toEqual([
      'job-1@1/Offset rejected by client.',
      'job-2@2/Offset delivery count exceeded the threshold.',
      'job-4@4/Offset rejected by client.',
      'job-5@5/Offset rejected by client.',
    ]);
    // Every copy went as an idempotent batch (a producer id, not -1).
    expect(batchProducerIds.length).toBeGreaterThan(0);
    expect(batchProducerIds.every((id) => id >= 0)).toBe(true);
    // Nothing is delivered again.
    expect(acquired(await fetch([], 10))).toEqual([]);
  }, 240_000);
});

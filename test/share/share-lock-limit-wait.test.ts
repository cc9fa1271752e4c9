/**
 * A ShareFetch long-polling on a share partition at its record-lock limit
 * (group.share.partition.max.record.locks), over real sockets: it waits for an acknowledgement to
 * free locks instead of re-running acquisition in a loop. The log's data waiter fired at once there
 * (the log goes past the end offset), so the fetch spun in microtasks for its whole MaxWaitMs and
 * held the event loop; an acknowledgement that frees locks now wakes it.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { SharePartition } from '../../src/share/share-partition.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const TOPIC = 'll';
const LOCKS = 100;

describe('ShareFetch waiting at the record-lock limit (raw sockets)', () => {
  let broker: TestBroker | undefined;
  const clients: RawClient[] = [];
  afterAll(async () => {
    vi.restoreAllMocks();
    for (const c of clients) c.close();
    await broker?.cleanup();
  });

  it('waits without spinning, and an acknowledgement that frees locks wakes it', async () => {
    broker = await startTestBroker({ config: { 'runnel.group.share.auto.offset.reset': 'earliest', 'group.share.partition.max.record.locks': LOCKS } });
    const [admin, a, b, probe] = await Promise.all([0, 1, 2, 3].map(() => RawClient.connect('127.0.0.1', broker!.port)));
    clients.push(admin!, a!, b!, probe!);
    const created = await admin!.request(19, 7, { topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    expect(created.topics[0].errorCode).toBe(0);
    const topicId: Buffer = created.topics[0].topicId;
    for (let i = 0; i < 30; i++) {
      const records = buildBatchSync(Array.from({ length: 10 }, (_, j) => ({ value: `v${i * 10 + j}` })));
      await admin!.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] });
    }
    const fetch = (c: RawClient, memberId: string, epoch: number, maxWaitMs: number) =>
      c.request(78, 2, { groupId: 'lg', memberId, shareSessionEpoch: epoch, maxWaitMs, minBytes: 0, maxBytes: 1 << 20, maxRecords: 500, batchSize: 500, shareAcquireMode: 0, isRenewAck: false, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [] });
    const acquiredOf = (r: any) => (r.responses[0]?.partitions ?? []).flatMap((p: any) => p.acquiredRecords) as Array<{ firstOffset: number; lastOffset: number }>;

    // Member a takes the whole lock budget.
    const first = acquiredOf(await fetch(a!, 'a', 0, 0));
    expect(first.reduce((n, r) => n + r.lastOffset - r.firstOffset + 1, 0)).toBe(LOCKS);

    // Member b long-polls 400 ms at the limit: a few acquisitions, not one per microtask, and the
    // broker answers other requests meanwhile.
    let acquisitions = 0;
    const original = SharePartition.prototype.acquire;
    vi.spyOn(SharePartition.prototype, 'acquire').mockImplementation(function (this: SharePartition, ...args: Parameters<SharePartition['acquire']>) {
      acquisitions++;
      return original.apply(this, args);
    });
    const waiting = fetch(b!, 'b', 0, 400);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await probe!.request(18, 3, { clientSoftwareName: 'probe', clientSoftwareVersion: '1' });
    const probeMs = performance.now() - t0;
    expect(acquiredOf(await waiting)).toEqual([]);
    expect(acquisitions, `${acquisitions} acquisitions in one 400 ms long poll`).toBeLessThanOrEqual(3);
    expect(probeMs, `ApiVersions took ${probeMs.toFixed(0)} ms during the long poll`).toBeLessThan(250);

    // b long-polls again; a accepts 10 records, which frees 10 locks: b gets records long before its MaxWaitMs.
    const t1 = performance.now();
    const again = fetch(b!, 'b', 1, 10_000);
    await new Promise((r) => setTimeout(r, 100));
    const ack = await a!.request(79, 1, { groupId: 'lg', memberId: 'a', shareSessionEpoch: 1, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 0, lastOffset: 9, acknowledgeTypes: [1] }] }] }] });
    expect(ack.errorCode).toBe(0);
    const got = acquiredOf(await again);
    expect(got.length).toBeGreaterThan(0);
    expect(got[0]!.firstOffset).toBe(LOCKS);
    expect(performance.now() - t1).toBeLessThan(5000);
  }, 60_000);
});

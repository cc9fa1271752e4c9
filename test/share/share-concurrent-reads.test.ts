/**
 * Several members' ShareFetches of ONE share partition at once, over real sockets: each chunk of
 * the log is read once. Run side by side, every acquisition used to read the same next chunk past
 * the end offset; the first to resume took it and the others found it acquired and read again
 * (share-partition.ts now acquires one at a time per share partition). Counts the log reads of the
 * topic (Partition.readBatches) against the fetches that got records, and checks every offset went
 * to one member exactly once.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { Partition } from '../../src/replica/partition.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const TOPIC = 'rr';
const BATCHES = 60;
const PER_BATCH = 10;
const TOTAL = BATCHES * PER_BATCH;
const MEMBERS = 8;
/** Two stored batches per fetch: the read is sized for about that (share-partition.ts readSize). */
const MAX_RECORDS = 2 * PER_BATCH;

describe('concurrent ShareFetch of one share partition (raw sockets)', () => {
  let broker: TestBroker | undefined;
  const clients: RawClient[] = [];
  afterAll(async () => {
    vi.restoreAllMocks();
    for (const c of clients) c.close();
    await broker?.cleanup();
  });

  it('reads each chunk of the log once, however many members fetch it at once', async () => {
    broker = await startTestBroker({ config: { 'runnel.group.share.auto.offset.reset': 'earliest' } });
    const admin = await RawClient.connect('127.0.0.1', broker.port);
    clients.push(admin);
    const created = await admin.request(19, 7, { topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    expect(created.topics[0].errorCode).toBe(0);
    const topicId: Buffer = created.topics[0].topicId;
    // Records of 1000 B: a fetch of 20 reads about 25 KB, above the least read (16 KiB).
    const value = 'x'.repeat(1000);
    for (let b = 0; b < BATCHES; b++) {
      const records = buildBatchSync(Array.from({ length: PER_BATCH }, () => ({ value })));
      const p = await admin.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] });
      expect(p.responses[0].partitionResponses[0].errorCode).toBe(0);
    }
    const members = await Promise.all(
      Array.from({ length: MEMBERS }, async (_, i) => {
        const c = await RawClient.connect('127.0.0.1', broker!.port);
        clients.push(c);
        return { id: `m${i}`, c, epoch: 0 };
      }),
    );
    const fetch = async (m: (typeof members)[number]): Promise<number[]> => {
      const r = await m.c.request(78, 2, { groupId: 'rg', memberId: m.id, shareSessionEpoch: m.epoch, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: MAX_RECORDS, batchSize: MAX_RECORDS, shareAcquireMode: 0, isRenewAck: false, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [] });
      expect(r.errorCode).toBe(0);
      m.epoch++;
      const got: number[] = [];
      for (const part of r.responses[0]?.partitions ?? []) {
        expect(part.errorCode).toBe(0);
        for (const a of part.acquiredRecords) for (let o = a.firstOffset; o <= a.lastOffset; o++) got.push(o);
      }
      return got;
    };
    const seen = new Set<number>();
    const take = (got: number[]) => {
      for (const o of got) {
        expect(seen.has(o), `offset ${o} acquired twice`).toBe(false);
        seen.add(o);
      }
    };
    // One fetch first: the share partition learns its batches' size (its first read is 1 MiB).
    take(await fetch(members[0]!));

    let reads = 0;
    const original = Partition.prototype.readBatches;
    vi.spyOn(Partition.prototype, 'readBatches').mockImplementation(function (this: Partition, from: number, maxBytes: number) {
      if (this.topic === TOPIC) reads++;
      return original.call(this, from, maxBytes);
    });
    let fetchesWithRecords = 0;
    for (let round = 0; round < 50 && seen.size < TOTAL; round++) {
      const results = await Promise.all(members.map(fetch));
      for (const got of results) {
        if (got.length > 0) fetchesWithRecords++;
        take(got);
      }
    }
    expect(seen.size).toBe(TOTAL);
    // Each fetch that got records read its chunk once; a fetch finding nothing left reads nothing.
    // Before, the members that lost the race each read the same chunk again: about 3x the reads.
    expect(reads, `${reads} log reads for ${fetchesWithRecords} fetches that got records`).toBeLessThanOrEqual(fetchesWithRecords + 2);
  }, 60_000);
});

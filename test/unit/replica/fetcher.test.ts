/**
 * The follower side against a fake leader (no sockets): what a fetch response does to a follower's
 * log (src/replica/fetcher-partition.ts: append with the leader's offsets, high watermark =
 * min(leader's, own end), diverging-epoch truncation as Kafka computes it, the empty-log repair,
 * OFFSET_OUT_OF_RANGE past the leader's end or behind its start, errors back off), and the fetcher
 * loop (src/replica/fetcher.ts: the request it sends, waiting for its appends, backing off after a
 * failed connection, ignoring answers for partitions removed meanwhile, refusing leaders below
 * Fetch v12).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { type FetchRequest, type FetchResponse, type FetchResponsePartition, newFetchResponsePartition } from '../../../protocol/generated/index.js';
import { silentLogger } from '../../../src/logger.js';
import { ReplicaFetcher, type LeaderConnection } from '../../../src/replica/fetcher.js';
import { applyFetchedPartition, truncationOffset, type LeaderOffsets } from '../../../src/replica/fetcher-partition.js';
import { Partition } from '../../../src/replica/partition.js';
import type { ReplicationContext } from '../../../src/replica/replication-context.js';
import { PartitionLog } from '../../../storage/partition-log.js';
import { leaderBatch, makeBatch, tempDir } from '../storage/helpers.js';
import { testLogConfig } from './helpers.js';
import { until } from './static-cluster.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const ctx: ReplicationContext = { isrWriter: null, replicaLagTimeMaxMs: 30_000, metrics: null, logger: silentLogger(), now: Date.now };

/** A follower of broker 2 at leader epoch `epoch`, on broker 1. */
async function follower(epoch = 1, context = ctx) {
  const t = tempDir('runnel-follower-');
  const log = await PartitionLog.open({ topic: 't', partition: 0, dir: t.dir, config: testLogConfig, replicated: true });
  cleanups.push(t.cleanup, () => log.close());
  const p = new Partition(log, Buffer.alloc(16, 1), 1, context);
  p.makeFollower({ leaderEpoch: epoch, partitionEpoch: epoch, replicas: [2, 1], isr: [2, 1] }, 2);
  return { p, r: p.replication!, log };
}

const answer = (over: Partial<FetchResponsePartition>): FetchResponsePartition => newFetchResponsePartition({ partitionIndex: 0, errorCode: 0, highWatermark: 0, lastStableOffset: 0, logStartOffset: 0, records: null, ...over });
const noOffsets: LeaderOffsets = { latest: () => Promise.reject(new Error('not asked')), earliest: () => Promise.reject(new Error('not asked')) };
const epochs = (log: PartitionLog) => log.leaderEpochs.entries().map((e) => [e.epoch, e.startOffset]);

describe('a fetch response applied to the follower', () => {
  it("appends the leader's batches as they are; the high watermark is min(leader's, own end)", async () => {
    const { r, log } = await follower();
    const records = Buffer.concat([leaderBatch(0, 3, 0), leaderBatch(3, 2, 1)]);
    const out = await applyFetchedPartition(r, answer({ records, highWatermark: 9 }), noOffsets);
    expect(out.kind).toBe('appended');
    await (out as { written: Promise<void> }).written;
    expect([log.logEndOffset, log.highWatermark, r.fetchOffset, r.lastFetchedEpoch]).toEqual([5, 5, 5, 1]);
    expect(epochs(log)).toEqual([[0, 0], [1, 3]]);
    await applyFetchedPartition(r, answer({ records: null, highWatermark: 4 }), noOffsets);
    expect(log.highWatermark).toBe(5); // never back
  });

  it('diverging epoch: truncates to the smaller of the two ends of that epoch', async () => {
    const { r, log } = await follower(2);
    await (await applyFetchedPartition(r, answer({ records: Buffer.concat([leaderBatch(0, 3, 0), leaderBatch(3, 4, 1)]) }), noOffsets) as { written: Promise<void> }).written;
    // The leader's epoch 1 ended at 5; ours runs to 7.
    expect(truncationOffset(r, 1, 5)).toBe(5);
    const out = await applyFetchedPartition(r, answer({ divergingEpoch: { epoch: 1, endOffset: 5 } }), noOffsets);
    expect(out.kind).toBe('truncated');
    // A batch holding offset 5 (3..6) goes whole: the end is its base.
    expect([log.logEndOffset, epochs(log)]).toEqual([3, [[0, 0]]]);
  });

  it('truncationOffset follows Kafka: an epoch we lack cuts to our end of the largest epoch below it', async () => {
    const { r } = await follower(5);
    await (await applyFetchedPartition(r, answer({ records: Buffer.concat([leaderBatch(0, 2, 0), leaderBatch(2, 2, 2), leaderBatch(4, 2, 4)]) }), noOffsets) as { written: Promise<void> }).written;
    expect(truncationOffset(r, 3, 9)).toBe(4); // we have 0, 2, 4: our epoch ≤ 3 is 2, ending at 4
    expect(truncationOffset(r, 2, 3)).toBe(3); // both have 2: min(ours 4, leader's 3)
    expect(truncationOffset(r, -1, 1)).toBe(1); // no epoch: the leader's end
    expect(truncationOffset(r, 4, 100)).toBe(6); // never past our end
  });

  it('a former leader: an epoch recorded at the log end with no batch goes, then the fetch moves on', async () => {
    const { p, r, log } = await follower(1);
    await (await applyFetchedPartition(r, answer({ records: leaderBatch(0, 2, 0) }), noOffsets) as { written: Promise<void> }).written;
    log.leaderEpochs.assign(1, 2); // as makeLeader at epoch 1 would have, before losing it
    expect(r.lastFetchedEpoch).toBe(1);
    const out = await applyFetchedPartition(r, answer({ divergingEpoch: { epoch: 0, endOffset: 2 } }), noOffsets);
    expect(out.kind).toBe('truncated');
    expect([p.logEndOffset, r.lastFetchedEpoch]).toEqual([2, 0]);
    // The same answer again changes nothing: back off rather than spin.
    const again = await applyFetchedPartition(r, answer({ divergingEpoch: { epoch: 0, endOffset: 2 } }), noOffsets);
    expect(again.kind).toBe('backoff');
  });

  it("an empty log restarts at the first batch when the leader's log start lies inside it", async () => {
    const { r, log } = await follower();
    await log.truncateFullyAndStartAt(5);
    const out = await applyFetchedPartition(r, answer({ records: leaderBatch(3, 4, 0), highWatermark: 7 }), noOffsets);
    await (out as { written: Promise<void> }).written;
    expect([log.logStartOffset, log.logEndOffset]).toEqual([3, 7]);
  });

  it('OFFSET_OUT_OF_RANGE: behind the leader start, starts over there; past its end, truncates to it', async () => {
    const { r, log } = await follower();
    await (await applyFetchedPartition(r, answer({ records: leaderBatch(0, 4, 0) }), noOffsets) as { written: Promise<void> }).written;
    const behind = await applyFetchedPartition(r, answer({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }), { latest: async () => 20, earliest: async () => 10 });
    expect(behind.kind).toBe('truncated');
    expect([log.logStartOffset, log.logEndOffset]).toEqual([10, 10]);
    await (await applyFetchedPartition(r, answer({ records: leaderBatch(10, 5, 0) }), noOffsets) as { written: Promise<void> }).written;
    const past = await applyFetchedPartition(r, answer({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }), { latest: async () => 12, earliest: async () => 10 });
    expect(past.kind).toBe('truncated');
    expect(log.logEndOffset).toBe(10); // the batch 10..14 held offset 12: it went whole
  });

  it('records the partition as transactional (durably) before appending its first transactional batch, once', async () => {
    const recorded = new Set<string>();
    const adds: string[] = [];
    let release = (): void => undefined;
    const transactionalPartitions = {
      has: (topic: string, p: number) => recorded.has(`${topic}-${p}`),
      add: (parts: ReadonlyArray<readonly [string, number]>) => {
        adds.push(...parts.map(([topic, p]) => `${topic}-${p}`));
        return new Promise<void>((resolve) => {
          release = () => {
            for (const [topic, p] of parts) recorded.add(`${topic}-${p}`);
            resolve();
          };
        });
      },
    };
    const { r, log } = await follower(0, { ...ctx, transactionalPartitions });
    const txn = (base: number) => makeBatch([{ value: `t${base}` }], { baseOffset: base, leaderEpoch: 0, transactional: true, producerId: 7, producerEpoch: 0, baseSequence: base });
    await (await applyFetchedPartition(r, answer({ records: leaderBatch(0, 2, 0) }), noOffsets) as { written: Promise<void> }).written;
    expect(adds).toEqual([]);
    const applying = applyFetchedPartition(r, answer({ records: Buffer.concat([leaderBatch(2, 1, 0), txn(3)]) }), noOffsets);
    await until(() => adds.length === 1);
    expect(log.logEndOffset).toBe(2); // nothing appended before the record is durable
    release();
    await ((await applying) as { written: Promise<void> }).written;
    expect(log.logEndOffset).toBe(4);
    await (await applyFetchedPartition(r, answer({ records: txn(4) }), noOffsets) as { written: Promise<void> }).written;
    expect([adds, log.logEndOffset]).toEqual([['t-0'], 5]);
  });

  it('errors back off (the metadata image brings the new leader or epoch)', async () => {
    const { r } = await follower();
    for (const code of [ErrorCode.FENCED_LEADER_EPOCH, ErrorCode.UNKNOWN_LEADER_EPOCH, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.KAFKA_STORAGE_ERROR]) {
      expect((await applyFetchedPartition(r, answer({ errorCode: code }), noOffsets)).kind).toBe('backoff');
    }
    // A corrupt batch appends nothing and backs off.
    const bad = leaderBatch(0, 2, 0);
    bad[bad.length - 1] ^= 0xff;
    expect((await applyFetchedPartition(r, answer({ records: bad }), noOffsets)).kind).toBe('backoff');
  });
});

/** Requests a FakeLeader keeps for the assertions (it counts all). */
const KEPT_REQUESTS = 100;
/** How long a FakeLeader holds an answer without records, as a leader's long poll (max_wait_ms) would. */
const EMPTY_ANSWER_DELAY_MS = 20;

/**
 * A fake leader connection: records the first requests, counts all, answers with `serve`. An
 * answer without records is held EMPTY_ANSWER_DELAY_MS, as a real leader's long poll holds it:
 * answered at once, the fetcher loop goes round ~150,000 times a second, and keeping every
 * request grew the heap by ~100 MB a second (a vitest worker ran out of memory in a loaded run).
 */
class FakeLeader implements LeaderConnection {
  readonly requests: FetchRequest[] = [];
  count = 0;
  closed = false;
  constructor(
    private readonly serve: (req: FetchRequest, n: number) => Promise<FetchResponse>,
    private readonly version = 12,
  ) {}
  versionFor(): number {
    return this.version;
  }
  async send<T extends object>(apiKey: number, body: object): Promise<T> {
    if (this.closed) throw new Error('closed');
    const req = body as FetchRequest;
    if (this.requests.length < KEPT_REQUESTS) this.requests.push(req);
    const res = await this.serve(req, ++this.count);
    if (res.responses.every((t) => t.partitions.every((p) => p.records === null && p.errorCode === 0))) await new Promise((r) => setTimeout(r, EMPTY_ANSWER_DELAY_MS));
    return res as unknown as T;
  }
  close(): void {
    this.closed = true;
  }
}

const settings = { brokerId: 1, maxWaitMs: 500, minBytes: 1, maxBytes: 1 << 20, responseMaxBytes: 10 << 20, backoffMs: 50 };
const response = (parts: FetchResponsePartition[]): FetchResponse => ({ throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: [{ topic: 't', topicId: Buffer.alloc(16), partitions: parts }], nodeEndpoints: [] });

describe('the fetcher loop', () => {
  it('fetches from its durable end with its epochs and replica id, appending each answer before the next fetch', async () => {
    const { p, log } = await follower(3);
    const leader = new FakeLeader(async (req, n) => {
      const at = req.topics[0]!.partitions[0]!.fetchOffset;
      if (n <= 3) return response([answer({ records: leaderBatch(at, 2, 3), highWatermark: at + 2 })]);
      return response([answer({ highWatermark: at })]);
    });
    const f = new ReplicaFetcher(2, settings, async () => leader, silentLogger(), null);
    cleanups.push(() => f.stop());
    f.add(p);
    await until(() => log.logEndOffset === 6 && leader.requests.length >= 4, 5000, 'three rounds');
    const sent = leader.requests.map((r) => [r.replicaId, r.maxWaitMs, r.minBytes, r.maxBytes, r.isolationLevel, r.topics[0]!.partitions[0]!.fetchOffset, r.topics[0]!.partitions[0]!.currentLeaderEpoch, r.topics[0]!.partitions[0]!.lastFetchedEpoch, r.topics[0]!.partitions[0]!.partitionMaxBytes]);
    expect(sent.slice(0, 4)).toEqual([
      [1, 500, 1, 10 << 20, 0, 0, 3, -1, 1 << 20],
      [1, 500, 1, 10 << 20, 0, 2, 3, 3, 1 << 20],
      [1, 500, 1, 10 << 20, 0, 4, 3, 3, 1 << 20],
      [1, 500, 1, 10 << 20, 0, 6, 3, 3, 1 << 20],
    ]);
    expect(log.durableEndOffset).toBe(6);
    expect(log.highWatermark).toBe(6);
  });

  it('backs off after a failed connection, then reconnects', async () => {
    const { p, log } = await follower();
    let connects = 0;
    const times: number[] = [];
    const leaders: FakeLeader[] = [];
    const f = new ReplicaFetcher(
      2,
      settings,
      async () => {
        times.push(Date.now());
        if (++connects === 1) throw new Error('refused');
        const leader = new FakeLeader(async (req) => response([answer({ records: req.topics[0]!.partitions[0]!.fetchOffset === 0 ? leaderBatch(0, 1, 0) : null, highWatermark: 1 })]));
        leaders.push(leader);
        return leader;
      },
      silentLogger(),
      null,
    );
    cleanups.push(() => f.stop());
    f.add(p);
    await until(() => log.logEndOffset === 1, 5000, 'fetched after reconnecting');
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(45);
    // Caught up, the loop goes at the leader's long-poll pace, not as fast as it can.
    const leader = leaders[0]!;
    const before = leader.count;
    await new Promise((r) => setTimeout(r, 200));
    expect(leader.count - before).toBeLessThanOrEqual(200 / EMPTY_ANSWER_DELAY_MS + 2);
  });

  it('refuses a leader below Fetch v12 and ignores answers for a partition removed meanwhile', async () => {
    const old = await follower();
    const f1 = new ReplicaFetcher(2, settings, async () => new FakeLeader(async () => response([]), 11), silentLogger(), null);
    cleanups.push(() => f1.stop());
    f1.add(old.p);
    await new Promise((r) => setTimeout(r, 30));
    expect(old.log.logEndOffset).toBe(0);

    const { p, log } = await follower();
    let f2!: ReplicaFetcher;
    const leader = new FakeLeader(async () => {
      f2.remove(p); // removed while the fetch is out
      return response([answer({ records: leaderBatch(0, 2, 0), highWatermark: 2 })]);
    });
    f2 = new ReplicaFetcher(2, settings, async () => leader, silentLogger(), null);
    cleanups.push(() => f2.stop());
    f2.add(p);
    await until(() => leader.count === 1, 2000, 'one fetch');
    await new Promise((r) => setTimeout(r, 30));
    expect(log.logEndOffset).toBe(0);
  });
});

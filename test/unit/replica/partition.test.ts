/**
 * Partition (src/replica/partition.ts) over a real PartitionLog in a temp dir: becoming leader
 * records the epoch in the leader-epoch cache and stamps appends; the current-leader-epoch check
 * (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH / NOT_LEADER_OR_FOLLOWER) as Kafka's Partition does
 * it; the produce, fetch, ListOffsets, DeleteRecords and OffsetsForLeaderEpoch answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, errorName } from '../../../protocol/errors.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, MAX_TIMESTAMP, Partition, type PartitionState } from '../../../src/replica/partition.js';
import { FaultyFs } from '../../../storage/fs.js';
import { PartitionLog } from '../../../storage/partition-log.js';
import { makeBatch, sizedBatch, tempDir } from '../storage/helpers.js';
import { BROKER_ID, testLogConfig } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const TOPIC_ID = Buffer.alloc(16, 7);
const state = (leaderEpoch: number, partitionEpoch = leaderEpoch, isr: number[] = [BROKER_ID]): PartitionState => ({ leaderEpoch, partitionEpoch, replicas: [BROKER_ID], isr });

async function partition(opts: { leaderEpoch?: number | null; fs?: FaultyFs } = {}): Promise<Partition> {
  const t = tempDir('runnel-partition-');
  const log = await PartitionLog.open({ topic: 't', partition: 0, dir: t.dir, config: testLogConfig, cleanShutdown: true, fs: opts.fs });
  cleanups.push(t.cleanup, () => log.close());
  const p = new Partition(log, TOPIC_ID, BROKER_ID);
  if (opts.leaderEpoch !== null) p.makeLeader(state(opts.leaderEpoch ?? 0));
  return p;
}

/** Appends `n` one-record batches with timestamps 1000, 1001 ... and waits for them. */
async function fill(p: Partition, n: number, firstTs = 1000): Promise<void> {
  for (let i = 0; i < n; i++) await p.append(makeBatch([{ value: `v${i}`, timestamp: firstTs + i }]), 1, 1).written;
}

const pairs = (p: Partition) => p.log.leaderEpochs.entries().map((e) => [e.epoch, e.startOffset]);
const codeOf = async (f: () => unknown): Promise<string> => {
  try {
    await f();
    return 'NONE';
  } catch (e) {
    return errorName((e as { code: number }).code);
  }
};

describe('Partition: becoming leader', () => {
  it('records each new leader epoch at the log end offset and stamps appends with it', async () => {
    const p = await partition({ leaderEpoch: null });
    expect([p.isLeader, p.leaderId, p.leaderEpoch]).toEqual([false, -1, -1]);
    expect(p.makeLeader(state(0))).toBe(true);
    expect([p.isLeader, p.leaderId, p.leaderEpoch, p.partitionEpoch, p.replicas, p.isr, p.offlineReplicas]).toEqual([true, BROKER_ID, 0, 0, [BROKER_ID], [BROKER_ID], []]);
    expect(pairs(p)).toEqual([[0, 0]]);
    await fill(p, 3);
    expect(p.makeLeader(state(0))).toBe(false); // already leader at this epoch: nothing changes
    expect(p.makeLeader(state(2))).toBe(false);
    expect([p.leaderEpoch, p.leaderEpochStartOffset]).toEqual([2, 3]);
    expect(pairs(p)).toEqual([[0, 0], [2, 3]]);
    await fill(p, 2);
    const epochs = (await p.log.readBatches(0, 1 << 20)).map((b) => b.readInt32BE(12));
    expect(epochs).toEqual([0, 0, 0, 2, 2]);
  });

  it('ignores a state older than the one it holds (lower partition epoch)', async () => {
    const p = await partition({ leaderEpoch: 3 });
    p.makeLeader(state(3, 5));
    p.makeLeader(state(4, 4));
    expect([p.leaderEpoch, p.partitionEpoch]).toEqual([3, 5]);
    p.makeLeader(state(3, 6, [BROKER_ID, 2]));
    expect([p.leaderEpoch, p.partitionEpoch, p.isr]).toEqual([3, 6, [BROKER_ID, 2]]);
  });
});

describe('Partition: the current leader epoch of a request', () => {
  it.each([
    { current: -1, want: 'NONE' },
    { current: 3, want: 'NONE' },
    { current: 2, want: 'FENCED_LEADER_EPOCH' },
    { current: -2, want: 'FENCED_LEADER_EPOCH' },
    { current: 4, want: 'UNKNOWN_LEADER_EPOCH' },
  ])('current $current against leader epoch 3: $want (fetch, ListOffsets, OffsetsForLeaderEpoch)', async ({ current, want }) => {
    const p = await partition({ leaderEpoch: 3 });
    await fill(p, 2);
    expect(errorName(p.checkLeaderEpoch(current))).toBe(want);
    expect(await codeOf(() => p.read(0, 1000, { currentLeaderEpoch: current }))).toBe(want);
    expect(await codeOf(() => p.fetchOffsetForTimestamp(LATEST_TIMESTAMP, current, p.highWatermark))).toBe(want);
    expect(errorName(p.lastOffsetForLeaderEpoch(current, 3, true).errorCode)).toBe(want);
  });

  it('a partition this broker does not lead answers NOT_LEADER_OR_FOLLOWER', async () => {
    const p = await partition({ leaderEpoch: null });
    expect(await codeOf(() => p.append(sizedBatch(1, 10), 1, 1))).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(await codeOf(() => p.read(0, 1000))).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(await codeOf(() => p.fetchOffsetForTimestamp(EARLIEST_TIMESTAMP, -1, 0))).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(await codeOf(() => p.deleteRecordsBefore(0))).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(errorName(p.lastOffsetForLeaderEpoch(-1, 0, true).errorCode)).toBe('NOT_LEADER_OR_FOLLOWER');
  });
});

describe('Partition: produce', () => {
  it('acks=-1 with fewer in-sync replicas than min.insync.replicas: NOT_ENOUGH_REPLICAS and nothing appended', async () => {
    const p = await partition();
    expect(await codeOf(() => p.append(sizedBatch(1, 10), -1, 2))).toBe('NOT_ENOUGH_REPLICAS');
    expect(p.logEndOffset).toBe(0);
    // acks=1 is not held to min.insync.replicas (Kafka's rule).
    const r = p.append(sizedBatch(2, 10), 1, 2);
    expect([r.baseOffset, r.lastOffset]).toEqual([0, 1]);
    expect(p.acknowledgement(r, 0)).toBeNull();
    expect(p.acknowledgement(r, 1)).toBe(r.written);
    expect(p.acknowledgement(r, -1)).toBe(r.written);
    await r.written;
    expect(p.highWatermark).toBe(2);
  });

  it('a failed write rejects the acknowledgement with KAFKA_STORAGE_ERROR', async () => {
    const fs = new FaultyFs();
    const p = await partition({ fs });
    fs.failNextWrite('EIO', '.log');
    const r = p.append(sizedBatch(1, 10), -1, 1);
    expect(await codeOf(() => p.acknowledgement(r, -1))).toBe('KAFKA_STORAGE_ERROR');
  });
});

describe('Partition: fetch', () => {
  it('reads bounded by the high watermark and maxOffset, as the log does', async () => {
    const p = await partition();
    await fill(p, 4);
    const all = await p.read(0, 1 << 20, { currentLeaderEpoch: 0 });
    expect([all.highWatermark, all.logStartOffset, all.slices.length]).toEqual([4, 0, 1]);
    const sizeAll = all.size;
    all.slices.forEach((s) => s.release?.());
    const bounded = await p.read(0, 1 << 20, { maxOffset: 2 });
    expect(bounded.size).toBeLessThan(sizeAll);
    bounded.slices.forEach((s) => s.release?.());
    expect(await codeOf(() => p.read(5, 1000))).toBe('OFFSET_OUT_OF_RANGE');
  });

  it('last fetched epoch (Fetch v12+): diverging epoch, or read on', async () => {
    const p = await partition();
    await fill(p, 3); // epoch 0: 0..2
    p.makeLeader(state(2));
    await fill(p, 3); // epoch 2: 3..5
    // A follower that has epoch-0 data up to 4 diverges at 3, where epoch 2 began here.
    expect(p.divergingEpoch(5, 0, 2)).toEqual({ epoch: 0, endOffset: 3 });
    // Epoch 1 was never ours: the answer is the epoch before it, ending at 3.
    expect(p.divergingEpoch(4, 1, -1)).toEqual({ epoch: 0, endOffset: 3 });
    expect(p.divergingEpoch(3, 0, -1)).toBeNull();
    expect(p.divergingEpoch(6, 2, 2)).toBeNull();
    expect(await codeOf(() => p.divergingEpoch(6, 5, -1))).toBe('OFFSET_OUT_OF_RANGE'); // newer than any epoch
    expect(await codeOf(() => p.divergingEpoch(6, 2, 1))).toBe('FENCED_LEADER_EPOCH');
    await p.deleteRecordsBefore(4);
    expect(await codeOf(() => p.divergingEpoch(2, 0, -1))).toBe('OFFSET_OUT_OF_RANGE'); // below the log start
  });
});

describe('Partition: ListOffsets', () => {
  it('latest, earliest, max timestamp and by timestamp, each with its epoch', async () => {
    const p = await partition();
    await fill(p, 3, 1000); // epoch 0: offsets 0..2, timestamps 1000..1002
    p.makeLeader(state(1));
    await fill(p, 3, 2000); // epoch 1: offsets 3..5, timestamps 2000..2002
    const hw = p.highWatermark;
    expect(await p.fetchOffsetForTimestamp(LATEST_TIMESTAMP, -1, hw)).toEqual({ offset: 6, timestamp: -1, leaderEpoch: 1 });
    expect(await p.fetchOffsetForTimestamp(LATEST_TIMESTAMP, 1, 4)).toEqual({ offset: 4, timestamp: -1, leaderEpoch: 1 }); // read_committed: the LSO
    expect(await p.fetchOffsetForTimestamp(LATEST_TIMESTAMP, -1, null)).toEqual({ offset: 6, timestamp: -1, leaderEpoch: 1 }); // a replica: the LEO
    expect(await p.fetchOffsetForTimestamp(EARLIEST_TIMESTAMP, -1, hw)).toEqual({ offset: 0, timestamp: -1, leaderEpoch: 0 });
    expect(await p.fetchOffsetForTimestamp(MAX_TIMESTAMP, -1, hw)).toEqual({ offset: 5, timestamp: 2002, leaderEpoch: 1 });
    expect(await p.fetchOffsetForTimestamp(1001, -1, hw)).toEqual({ offset: 1, timestamp: 1001, leaderEpoch: 0 });
    expect(await p.fetchOffsetForTimestamp(1500, -1, hw)).toEqual({ offset: 3, timestamp: 2000, leaderEpoch: 1 });
    expect(await p.fetchOffsetForTimestamp(9999, -1, hw)).toBeNull();
    // Found at or after the last fetchable offset (read_committed below an open transaction): none.
    expect(await p.fetchOffsetForTimestamp(2001, -1, 4)).toBeNull();
    await p.deleteRecordsBefore(4);
    expect(await p.fetchOffsetForTimestamp(EARLIEST_TIMESTAMP, -1, hw)).toEqual({ offset: 4, timestamp: -1, leaderEpoch: 1 });
  });

  it('OFFSET_NOT_AVAILABLE while the high watermark is below the start of the current epoch (a new leader catching up)', async () => {
    const p = await partition();
    await fill(p, 2);
    const inFlight = p.append(sizedBatch(1, 10), 1, 1); // offset 2, not yet visible
    p.makeLeader(state(1)); // epoch 1 begins at 3 > high watermark 2
    expect(p.leaderEpochStartOffset).toBe(3);
    expect(await codeOf(() => p.fetchOffsetForTimestamp(LATEST_TIMESTAMP, -1, p.highWatermark))).toBe('OFFSET_NOT_AVAILABLE');
    expect(await codeOf(() => p.fetchOffsetForTimestamp(LATEST_TIMESTAMP, -1, null))).toBe('NONE'); // replicas are not held back
    await inFlight.written;
    expect(await p.fetchOffsetForTimestamp(LATEST_TIMESTAMP, -1, p.highWatermark)).toEqual({ offset: 3, timestamp: -1, leaderEpoch: 1 });
  });
});

describe('Partition: DeleteRecords and OffsetsForLeaderEpoch', () => {
  it('DeleteRecords moves the log start and the first epoch with it; -1 means the high watermark', async () => {
    const p = await partition();
    await fill(p, 5);
    expect(await p.deleteRecordsBefore(2)).toBe(2);
    expect(pairs(p)).toEqual([[0, 2]]);
    expect(await codeOf(() => p.deleteRecordsBefore(9))).toBe('OFFSET_OUT_OF_RANGE');
    expect(await p.deleteRecordsBefore(-1)).toBe(5);
    expect(p.logStartOffset).toBe(5);
  });

  it('answers the end of each epoch from the leader-epoch cache', async () => {
    const p = await partition();
    await fill(p, 3);
    p.makeLeader(state(2));
    await fill(p, 4);
    const answer = (epoch: number) => {
      const a = p.lastOffsetForLeaderEpoch(-1, epoch, true);
      return [errorName(a.errorCode), a.leaderEpoch, a.endOffset];
    };
    expect(answer(2)).toEqual(['NONE', 2, 7]); // current epoch: the log end offset
    expect(answer(0)).toEqual(['NONE', 0, 3]);
    expect(answer(1)).toEqual(['NONE', 0, 3]); // never ours: the epoch before it
    expect(answer(3)).toEqual(['NONE', -1, -1]);
    expect(answer(-1)).toEqual(['NONE', -1, -1]);
    expect(answer(-5)).toEqual(['NONE', -5, 0]);
    expect(p.lastOffsetForLeaderEpoch(2, 2, true).errorCode).toBe(ErrorCode.NONE);
  });
});

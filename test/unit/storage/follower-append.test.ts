/**
 * PartitionLog.appendAsFollower: a follower appends its leader's batches as they are — offsets and
 * partitionLeaderEpochs untouched, CRC-checked, never overlapping the log (holes, as compaction
 * leaves them, are fine), a cut trailing batch dropped — through the same writer, flush policy and
 * promises as a leader's append, and the leader-epoch cache learns each new epoch.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { FaultyFs, type StorageFs, realFs } from '../../../storage/fs.js';
import { logConfig } from '../../../storage/log-config.js';
import { PartitionLog, UnexpectedAppendOffsetError } from '../../../storage/partition-log.js';
import { batchCrcOk, batchInfo, leaderBatch, readAllBatches, tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

async function openLog(overrides: object = {}, fs: StorageFs = realFs, dir?: string, more: object = {}) {
  if (!dir) {
    const t = tempDir();
    cleanups.push(t.cleanup);
    dir = join(t.dir, 'orders-0');
  }
  const log = await PartitionLog.open({ topic: 'orders', partition: 0, dir, config: logConfig(overrides), fs, ...more });
  return { log, dir };
}

const infos = async (log: PartitionLog) => (await readAllBatches(log)).map(batchInfo);

describe('appendAsFollower', () => {
  it('appends several batches with the leader offsets and epochs, byte for byte', async () => {
    const { log, dir } = await openLog();
    const a = leaderBatch(0, 3, 4);
    const b = leaderBatch(3, 2, 4);
    const c = leaderBatch(5, 1, 6);
    const r = log.appendAsFollower(Buffer.concat([a, b, c]));
    expect(r).toMatchObject({ baseOffset: 0, lastOffset: 5, logAppendTime: -1 });
    expect(log.logEndOffset).toBe(6);
    await r.durable;
    expect(log.durableEndOffset).toBe(6);
    expect(log.highWatermark).toBe(6); // single-node mode: the log moves it itself
    const stored = await readAllBatches(log);
    expect(stored).toEqual([a, b, c]);
    expect(stored.every(batchCrcOk)).toBe(true);
    expect(readFileSync(join(dir, '00000000000000000000.log'))).toEqual(Buffer.concat([a, b, c]));
    // each new epoch starts at its first batch's base offset
    expect(log.leaderEpochs.entries()).toEqual([
      { epoch: 4, startOffset: 0 },
      { epoch: 6, startOffset: 5 },
    ]);
    await log.close();
  });

  it('drops a cut trailing batch (a fetch response cut at max_bytes) and appends the rest', async () => {
    const { log } = await openLog();
    const a = leaderBatch(0, 2, 1);
    const b = leaderBatch(2, 2, 1);
    for (const cut of [1, 11, 12, 40, b.length - 1]) {
      const r = log.appendAsFollower(Buffer.concat([a, b.subarray(0, cut)]));
      expect(r).toMatchObject({ baseOffset: 0, lastOffset: 1 });
      await r.durable;
      expect(log.logEndOffset).toBe(2);
      await log.truncateTo(0);
    }
    // nothing but a cut batch: nothing appended, promises already settled
    const none = log.appendAsFollower(b.subarray(0, 30));
    expect(none).toMatchObject({ baseOffset: -1, lastOffset: -1 });
    await none.durable;
    expect(log.logEndOffset).toBe(0);
    const empty = log.appendAsFollower(Buffer.alloc(0));
    expect(empty.baseOffset).toBe(-1);
    await log.close();
  });

  it('accepts offsets jumping forward (a compacted leader) and keeps them', async () => {
    const { log } = await openLog();
    await log.appendAsFollower(leaderBatch(0, 2, 0)).durable;
    await log.appendAsFollower(Buffer.concat([leaderBatch(7, 2, 0), leaderBatch(20, 1, 0)])).durable;
    expect(log.logEndOffset).toBe(21);
    expect((await infos(log)).map((i) => [i.base, i.last])).toEqual([
      [0, 1],
      [7, 8],
      [20, 20],
    ]);
    // a read inside a hole starts at the next batch
    const r = await log.readBatches(3, 1 << 20);
    expect(batchInfo(r[0]!).base).toBe(7);
    await log.close();
  });

  it('refuses a first batch below the log end offset, appending nothing', async () => {
    const { log } = await openLog();
    await log.appendAsFollower(leaderBatch(0, 5, 0)).durable;
    const overlap = Buffer.concat([leaderBatch(3, 4, 0), leaderBatch(7, 1, 0)]);
    let err: unknown;
    try {
      log.appendAsFollower(overlap);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnexpectedAppendOffsetError);
    expect(err).toMatchObject({ code: ErrorCode.UNKNOWN_SERVER_ERROR, firstOffset: 3, lastOffset: 6, logEndOffset: 5 });
    expect(log.logEndOffset).toBe(5);
    expect(() => log.appendAsFollower(leaderBatch(0, 1, 0))).toThrow(UnexpectedAppendOffsetError);
    // the right batch still goes in
    await log.appendAsFollower(leaderBatch(5, 1, 0)).durable;
    expect(log.logEndOffset).toBe(6);
    await log.close();
  });

  it('refuses batches whose offsets go backwards or overlap inside one append, appending nothing', async () => {
    const { log } = await openLog();
    const bad = Buffer.concat([leaderBatch(0, 3, 0), leaderBatch(2, 3, 0)]);
    expect(() => log.appendAsFollower(bad)).toThrow(expect.objectContaining({ code: ErrorCode.UNKNOWN_SERVER_ERROR }));
    expect(log.logEndOffset).toBe(0);
    expect(log.size).toBe(0);
    await log.close();
  });

  it('refuses a corrupt batch anywhere with CORRUPT_MESSAGE, appending nothing', async () => {
    const { log } = await openLog();
    const good = leaderBatch(0, 2, 0);
    const flipped = leaderBatch(2, 2, 0);
    flipped[flipped.length - 3] ^= 0xff; // a record byte: the CRC no longer matches
    const badMagic = leaderBatch(2, 2, 0);
    badMagic.writeInt8(1, 16);
    const shortLength = leaderBatch(2, 2, 0);
    shortLength.writeInt32BE(20, 8);
    const negativeDelta = leaderBatch(2, 2, 0);
    negativeDelta.writeInt32BE(-1, 23);
    for (const bad of [flipped, badMagic, shortLength, negativeDelta]) {
      expect(() => log.appendAsFollower(Buffer.concat([good, bad]))).toThrow(expect.objectContaining({ code: ErrorCode.CORRUPT_MESSAGE }));
      expect(log.logEndOffset).toBe(0);
    }
    await log.close();
    expect((await readAllBatchesAfterReopen(log.dir)).length).toBe(0);
  });

  it('rolls segments by size as a leader append does, at the batch base offset', async () => {
    const { log } = await openLog({ segmentBytes: 600 });
    let base = 0;
    const all: Buffer[] = [];
    for (let i = 0; i < 12; i++) {
      const b = leaderBatch(base, 3, 2, 30, `r${i}`);
      all.push(b);
      base += 3 + (i % 3 === 0 ? 4 : 0); // some holes
    }
    const r = log.appendAsFollower(Buffer.concat(all));
    await r.durable;
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(2);
    for (const s of log.segmentBaseOffsets()) expect(all.some((b) => batchInfo(b).base === s)).toBe(true);
    expect(await readAllBatches(log)).toEqual(all);
    await log.close();
  });

  it('under a relaxed flush policy: visible once written, durable at the next sync', async () => {
    const { log } = await openLog({ flushMessages: 1000 });
    const r = log.appendAsFollower(Buffer.concat([leaderBatch(0, 2, 0), leaderBatch(2, 2, 0)]));
    await r.written;
    expect(log.highWatermark).toBe(4);
    expect(log.durableEndOffset).toBe(0);
    const durable = r.durable;
    await log.flush();
    await durable;
    expect(log.durableEndOffset).toBe(4);
    await log.close();
  });

  it('a failed write rejects the append and rewinds the log end and the epochs', async () => {
    const fs = new FaultyFs();
    const { log } = await openLog({}, fs);
    await log.appendAsFollower(leaderBatch(0, 2, 1)).durable;
    fs.failNextWrite('EIO', '.log');
    const r = log.appendAsFollower(Buffer.concat([leaderBatch(2, 2, 3), leaderBatch(4, 1, 3)]));
    await expect(r.durable).rejects.toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR });
    expect(log.logEndOffset).toBe(2);
    expect(log.leaderEpochs.latestEpoch).toBe(1);
    await log.appendAsFollower(leaderBatch(2, 1, 3)).durable;
    expect(log.leaderEpochs.entries()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 2 },
    ]);
    await log.close();
  });

  it('what a follower appended survives a clean and an unclean reopen, epochs included', async () => {
    const { log, dir } = await openLog({ segmentBytes: 500 });
    const all = [leaderBatch(0, 3, 1, 40), leaderBatch(3, 3, 1, 40), leaderBatch(6, 3, 2, 40), leaderBatch(9, 3, 5, 40), leaderBatch(12, 3, 5, 40)];
    await log.appendAsFollower(Buffer.concat(all)).durable;
    await log.close();
    for (const clean of [true, false]) {
      const { log: again } = await openLog({ segmentBytes: 500 }, realFs, dir, { cleanShutdown: clean });
      expect(await readAllBatches(again)).toEqual(all);
      expect(again.leaderEpochs.entries()).toEqual([
        { epoch: 1, startOffset: 0 },
        { epoch: 2, startOffset: 6 },
        { epoch: 5, startOffset: 9 },
      ]);
      await again.close();
    }
  });
});

async function readAllBatchesAfterReopen(dir: string): Promise<Buffer[]> {
  const log = await PartitionLog.open({ topic: 'orders', partition: 0, dir, config: logConfig() });
  const out = await readAllBatches(log);
  await log.close();
  return out;
}

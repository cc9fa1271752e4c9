/**
 * Replicated mode: the high watermark belongs to the replication layer. Appends move the log's
 * visible end (and the owner hears of every written/durable move) but not the high watermark;
 * updateHighWatermark moves it, never past the visible end (= the durable end under the default
 * flush policy) and never back; consumers' reads, waiters and timestamp lookups stop at it while
 * followers read and wait up to the visible end. Single-node mode is unchanged.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { FaultyFs, type StorageFs, realFs } from '../../../storage/fs.js';
import { logConfig } from '../../../storage/log-config.js';
import { PartitionLog } from '../../../storage/partition-log.js';
import { batchInfo, leaderBatch, readAllBatches, sizedBatch, sliceBytes, tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

async function openLog(overrides: object = {}, more: object = {}, fs: StorageFs = realFs) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return PartitionLog.open({ topic: 'orders', partition: 0, dir: join(t.dir, 'orders-0'), config: logConfig(overrides), fs, replicated: true, ...more });
}

const tick = () => new Promise((r) => setImmediate(r));

/** Offsets of the batches a read returns (whole batches). */
async function readBases(log: PartitionLog, offset: number, opts = {}): Promise<number[]> {
  const r = await log.read(offset, 1 << 20, opts);
  const out: number[] = [];
  for (const s of r.slices) {
    const bytes = await sliceBytes(s);
    s.release?.();
    for (let at = 0; at + 61 <= bytes.length; at += bytes.readInt32BE(at + 8) + 12) out.push(batchInfo(bytes.subarray(at)).base);
  }
  return out;
}

describe('replicated mode: the high watermark under outside control', () => {
  it('appends move the visible end, not the high watermark; updateHighWatermark moves it', async () => {
    const log = await openLog();
    expect(log.isReplicated).toBe(true);
    await log.append(sizedBatch(3, 10)).durable;
    await log.appendAsFollower(leaderBatch(3, 2, 0)).durable;
    expect(log.visibleEndOffset).toBe(5);
    expect(log.durableEndOffset).toBe(5);
    expect(log.highWatermark).toBe(0);
    expect(log.updateHighWatermark(3)).toBe(3);
    expect(log.highWatermark).toBe(3);
    await log.close();
  });

  it('never past the visible end (the durable end by default), never back, NaN ignored', async () => {
    const log = await openLog();
    await log.append(sizedBatch(4, 10)).durable;
    expect(log.updateHighWatermark(1e9)).toBe(4);
    expect(log.updateHighWatermark(2)).toBe(4);
    expect(log.updateHighWatermark(Number.NaN)).toBe(4);
    // appended but not yet durable: the bound is still the durable end
    const r = log.append(sizedBatch(2, 10));
    expect(log.logEndOffset).toBe(6);
    expect(log.updateHighWatermark(6)).toBe(4);
    await r.durable;
    expect(log.updateHighWatermark(6)).toBe(6);
    await log.close();
  });

  it('under a relaxed flush policy the bound is the written end', async () => {
    const log = await openLog({ flushMessages: 1000 });
    await log.append(sizedBatch(4, 10)).written;
    expect(log.durableEndOffset).toBe(0);
    expect(log.updateHighWatermark(10)).toBe(4);
    await log.close();
  });

  it('tells the owner of every written and durable move, synchronously', async () => {
    const fs = new FaultyFs();
    const log = await openLog({ flushMessages: 2 }, {}, fs);
    const seen: Array<[number, number, number]> = [];
    log.setReplicated(true, () => seen.push([log.writtenEndOffset, log.durableEndOffset, log.visibleEndOffset]));
    await log.append(sizedBatch(1, 10)).written; // written, not synced (1 < flush.messages)
    await log.append(sizedBatch(1, 10)).durable; // the second one triggers the sync
    expect(seen).toContainEqual([1, 0, 1]);
    expect(seen[seen.length - 1]).toEqual([2, 2, 2]);
    // a leader computing min(ISR) from the callback: its own durable end only here
    log.setReplicated(true, () => log.updateHighWatermark(log.durableEndOffset));
    await log.append(sizedBatch(1, 10)).written;
    expect(log.highWatermark).toBe(2);
    await log.flush();
    expect(log.highWatermark).toBe(3);
    await log.close();
  });

  it('consumers read only below the high watermark; followers up to the visible end', async () => {
    const log = await openLog();
    const batches = [leaderBatch(0, 2, 0), leaderBatch(2, 2, 0), leaderBatch(4, 2, 0)];
    await log.appendAsFollower(Buffer.concat(batches)).durable;
    log.updateHighWatermark(4);
    expect(await readBases(log, 0)).toEqual([0, 2]);
    expect(await readBases(log, 0, { upToLogEnd: true })).toEqual([0, 2, 4]);
    expect(await readBases(log, 4, { upToLogEnd: true })).toEqual([4]);
    expect((await readAllBatches(log)).map((b) => batchInfo(b).base)).toEqual([0, 2]);
    // between the high watermark and the log end a consumer gets nothing (not out of range)
    expect(await readBases(log, 4)).toEqual([]);
    expect(await readBases(log, 6)).toEqual([]);
    const r = await log.read(0, 1 << 20);
    expect(r.highWatermark).toBe(4);
    r.slices.forEach((s) => s.release?.());
    // past the log end it is out of range
    await expect(log.read(7, 100)).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
    await expect(log.read(7, 100, { upToLogEnd: true })).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
    await log.close();
  });

  it('timestamp lookups answer nothing at or past the high watermark', async () => {
    const log = await openLog();
    await log.append(sizedBatch(2, 10, 1000)).durable;
    await log.append(sizedBatch(2, 10, 5000)).durable;
    log.updateHighWatermark(2);
    expect(await log.offsetForTimestamp(4000)).toBeNull();
    expect(await log.offsetForTimestamp(500)).toMatchObject({ offset: 0 });
    expect(await log.maxTimestampOffset()).toBeNull();
    log.updateHighWatermark(4);
    expect(await log.offsetForTimestamp(4000)).toMatchObject({ offset: 2, timestamp: 5000 });
    await log.close();
  });

  it('consumer waiters fire on high-watermark moves, follower waiters on visible-end moves', async () => {
    const log = await openLog();
    let data = 0;
    let end = 0;
    log.waitForData(0, () => data++);
    log.waitForEnd(0, () => end++);
    await log.append(sizedBatch(2, 10)).durable;
    await tick();
    expect(end).toBe(1);
    expect(data).toBe(0);
    log.updateHighWatermark(1);
    expect(data).toBe(1);
    // already past: on the next microtask
    let late = 0;
    log.waitForEnd(1, () => late++);
    await tick();
    expect(late).toBe(1);
    const cancel = log.waitForEnd(2, () => late++);
    cancel();
    await log.append(sizedBatch(1, 10)).durable;
    expect(late).toBe(1);
    await log.close();
  });

  it('opens at min(checkpointed high watermark, log end), not below the log start', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const dir = join(t.dir, 'orders-0');
    const first = await PartitionLog.open({ topic: 'orders', partition: 0, dir, config: logConfig() });
    for (let i = 0; i < 5; i++) await first.append(sizedBatch(2, 10)).durable;
    await first.close();
    const open = (hw: number | undefined, logStartOffset = 0) => PartitionLog.open({ topic: 'orders', partition: 0, dir, config: logConfig(), replicated: true, highWatermark: hw, cleanShutdown: true, logStartOffset });
    for (const [hw, start, want] of [
      [4, 0, 4],
      [99, 0, 10],
      [undefined, 0, 0],
      [2, 6, 6],
    ] as const) {
      const log = await open(hw, start);
      expect(log.highWatermark).toBe(want);
      await log.close();
    }
  });

  it('switching replicated mode off gives the high watermark back to the log, waiters included', async () => {
    const log = await openLog();
    await log.append(sizedBatch(2, 10)).durable;
    let data = 0;
    let end = 0;
    log.waitForData(0, () => data++);
    log.waitForEnd(2, () => end++);
    log.setReplicated(false);
    expect(log.isReplicated).toBe(false);
    expect(log.highWatermark).toBe(2);
    expect(data).toBe(1);
    expect(() => log.updateHighWatermark(2)).toThrow(/not replicated/);
    await log.append(sizedBatch(1, 10)).durable;
    expect(end).toBe(1); // the follower's waiter moved over and fired with the visible end
    // on again: the high watermark stays where readers have seen it
    log.setReplicated(true);
    expect(log.highWatermark).toBe(3);
    await log.close();
  });
});

describe('single-node mode is unchanged', () => {
  it('the high watermark is the visible end, waitForEnd is waitForData, no callbacks', async () => {
    const log = await openLog({}, { replicated: false });
    expect(log.isReplicated).toBe(false);
    let end = 0;
    log.waitForEnd(0, () => end++);
    const r = log.append(sizedBatch(2, 10));
    expect(log.highWatermark).toBe(0);
    await r.durable;
    expect(log.highWatermark).toBe(2);
    expect(log.visibleEndOffset).toBe(2);
    expect(end).toBe(1);
    expect(await readBases(log, 0, { upToLogEnd: true })).toEqual([0]);
    await expect(log.read(3, 10)).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
    await log.close();
  });
});

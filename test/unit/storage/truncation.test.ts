/**
 * PartitionLog.truncateTo / truncateFullyAndStartAt: a follower cuts its log back to where it
 * diverged from its new leader's, or empties it to start at the leader's log start. Files,
 * indexes, every end, the high watermark, the leader-epoch cache and its checkpoint move back;
 * appends go on at the new end; reopening (clean or not) finds the same log; appends during a
 * truncation are refused; a failed file operation takes the log offline.
 */
import { cpSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { FaultyFs, type StorageFs, realFs } from '../../../storage/fs.js';
import { logConfig } from '../../../storage/log-config.js';
import { PartitionLog } from '../../../storage/partition-log.js';
import { batchCrcOk, batchInfo, leaderBatch, readAllBatches, sizedBatch, tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const CFG = { segmentBytes: 700, indexIntervalBytes: 100, fileDeleteDelayMs: 0 };

async function openLog(dir?: string, more: object = {}, fs: StorageFs = realFs, overrides: object = CFG) {
  if (!dir) {
    const t = tempDir();
    cleanups.push(t.cleanup);
    dir = join(t.dir, 'orders-0');
  }
  const log = await PartitionLog.open({ topic: 'orders', partition: 0, dir, config: logConfig(overrides), fs, ...more });
  return { log, dir };
}

/** 10 batches of 3 records (offsets 0..29): epochs 1 (0-8), 2 (9-20), 4 (21-29); ~5 segments. */
function history(): Buffer[] {
  return Array.from({ length: 10 }, (_, i) => leaderBatch(i * 3, 3, i < 3 ? 1 : i < 7 ? 2 : 4, 40, `h${i}`));
}

async function filled(dir?: string, more: object = {}, fs: StorageFs = realFs) {
  const o = await openLog(dir, more, fs);
  const all = history();
  await o.log.appendAsFollower(Buffer.concat(all)).durable;
  return { ...o, all };
}

const bases = async (log: PartitionLog) => (await readAllBatches(log)).map((b) => batchInfo(b).base);

/** Every batch can be found through the indexes, from every offset it holds. */
async function lookupsWork(log: PartitionLog, batches: Buffer[]): Promise<void> {
  for (const b of batches) {
    const { base, last } = batchInfo(b);
    for (let o = base; o <= last; o++) {
      const got = await log.readBatches(o, 1);
      expect(got[0]).toEqual(b);
    }
  }
}

function epochFile(dir: string): string {
  return readFileSync(join(dir, 'leader-epoch-checkpoint'), 'utf8');
}

describe('truncateTo', () => {
  it('cuts in the middle of a segment: file, indexes, ends, epochs and its checkpoint', async () => {
    const { log, dir, all } = await filled();
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(3);
    await log.flushLeaderEpochs();
    expect(epochFile(dir)).toBe('0\n3\n1 0\n2 9\n4 21\n');
    const segsBefore = log.segmentBaseOffsets();
    // offset 12 = the start of a batch inside some segment
    const end = await log.truncateTo(12);
    expect(end).toBe(12);
    for (const o of [log.logEndOffset, log.writtenEndOffset, log.durableEndOffset, log.visibleEndOffset, log.highWatermark, log.recoveryPoint]) expect(o).toBe(12);
    expect(await bases(log)).toEqual([0, 3, 6, 9]);
    expect(log.segmentBaseOffsets()).toEqual(segsBefore.filter((b) => b <= 12));
    await lookupsWork(log, all.slice(0, 4));
    expect(log.leaderEpochs.entries()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 9 },
    ]);
    expect(epochFile(dir)).toBe('0\n2\n1 0\n2 9\n'); // written before truncateTo resolved
    // the later segments' files are gone (renamed .deleted, then removed)
    await log.settleDeletions();
    const names = readdirSync(dir).filter((n) => n.endsWith('.log'));
    expect(names.length).toBe(log.segmentBaseOffsets().length);
    const lastSeg = join(dir, `${String(log.segmentBaseOffsets().at(-1)).padStart(20, '0')}.log`);
    expect(statSync(lastSeg).size).toBe(all.filter((b) => batchInfo(b).base >= log.segmentBaseOffsets().at(-1)! && batchInfo(b).base < 12).reduce((n, b) => n + b.length, 0));
    await log.close();
  });

  it('a cut inside a batch removes the whole batch: the end is its base offset', async () => {
    const { log } = await filled();
    expect(await log.truncateTo(13)).toBe(12);
    expect(log.logEndOffset).toBe(12);
    expect(await bases(log)).toEqual([0, 3, 6, 9]);
    await log.close();
  });

  it('cuts at a segment boundary, and appends go on in the segment before it', async () => {
    const { log, all } = await filled();
    const boundary = log.segmentBaseOffsets()[2]!;
    const before = log.segmentBaseOffsets().slice(0, 2);
    expect(await log.truncateTo(boundary)).toBe(boundary);
    expect(log.segmentBaseOffsets()).toEqual([...before, boundary]);
    expect(await bases(log)).toEqual(all.map((b) => batchInfo(b).base).filter((b) => b < boundary));
    const next = leaderBatch(boundary, 2, 7, 40, 'new');
    await log.appendAsFollower(next).durable;
    expect((await readAllBatches(log)).at(-1)).toEqual(next);
    await log.close();
  });

  it('then appending again: the new epoch, the indexes, and a clean and an unclean reopen agree', async () => {
    const { log, dir, all } = await filled();
    await log.truncateTo(15);
    // the new leader's history after 15
    const fresh = [leaderBatch(15, 3, 6, 40, 'n0'), leaderBatch(18, 3, 6, 40, 'n1'), leaderBatch(21, 3, 6, 40, 'n2'), leaderBatch(24, 3, 6, 40, 'n3')];
    await log.appendAsFollower(Buffer.concat(fresh)).durable;
    const expected = [...all.slice(0, 5), ...fresh];
    const epochs = [
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 9 },
      { epoch: 6, startOffset: 15 },
    ];
    expect(await readAllBatches(log)).toEqual(expected);
    expect(log.leaderEpochs.entries()).toEqual(epochs);
    await lookupsWork(log, expected);
    // a leader append after it: offsets go on
    const mine = log.append(sizedBatch(1, 10), 6);
    expect(mine.baseOffset).toBe(27);
    await mine.durable;
    await log.close();
    for (const cleanShutdown of [true, false]) {
      const { log: again } = await openLog(dir, { cleanShutdown });
      const got = await readAllBatches(again);
      expect(got.slice(0, expected.length)).toEqual(expected);
      expect(got.every(batchCrcOk)).toBe(true);
      expect(again.logEndOffset).toBe(28);
      expect(again.leaderEpochs.entries()).toEqual(epochs);
      await lookupsWork(again, expected);
      expect(await again.offsetForTimestamp(0)).toMatchObject({ offset: 0 });
      await again.close();
    }
  });

  it('the max timestamp of the cut segment comes from what is left', async () => {
    const { log } = await openLog();
    await log.append(sizedBatch(1, 10, 1000)).durable;
    await log.append(sizedBatch(1, 10, 9000)).durable;
    await log.append(sizedBatch(1, 10, 2000)).durable;
    expect(await log.maxTimestampOffset()).toMatchObject({ offset: 1, timestamp: 9000 });
    await log.truncateTo(1);
    expect(await log.maxTimestampOffset()).toMatchObject({ offset: 0, timestamp: 1000 });
    expect(await log.offsetForTimestamp(5000)).toBeNull();
    await log.close();
  });

  it('moves a replicated high watermark to at most the new end, and tells the owner', async () => {
    const { log } = await filled(undefined, { replicated: true });
    log.updateHighWatermark(24);
    let told = 0;
    log.setReplicated(true, () => told++);
    await log.truncateTo(18);
    expect(log.highWatermark).toBe(18);
    expect(told).toBe(1);
    expect(await log.truncateTo(27)).toBe(18); // past the end now: nothing changes, nobody is told
    expect(log.highWatermark).toBe(18);
    expect(told).toBe(1);
    await log.close();
  });

  it('nothing to do at or past the log end; below the log start it starts afresh', async () => {
    const { log } = await filled();
    expect(await log.truncateTo(30)).toBe(30);
    expect(await log.truncateTo(99)).toBe(30);
    expect(log.logEndOffset).toBe(30);
    await log.deleteRecordsBefore(9);
    await log.applyRetention();
    expect(await log.truncateTo(5)).toBe(5);
    expect(log.logStartOffset).toBe(5);
    expect(log.logEndOffset).toBe(5);
    expect(await bases(log)).toEqual([]);
    await expect(log.truncateTo(-1)).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
    await expect(log.truncateTo(Number.NaN)).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
    await log.close();
  });

  it('waits for queued appends (they complete), refuses appends meanwhile', async () => {
    const { log } = await filled();
    const queued = [log.append(sizedBatch(2, 10)), log.append(sizedBatch(2, 10))];
    const t = log.truncateTo(12);
    // not started yet (the maintenance chain runs it on a later tick): appends still go in
    await new Promise((r) => setImmediate(r));
    expect(() => log.append(sizedBatch(1, 10))).toThrow(expect.objectContaining({ code: ErrorCode.NOT_LEADER_OR_FOLLOWER }));
    expect(() => log.appendAsFollower(leaderBatch(34, 1, 9))).toThrow(expect.objectContaining({ code: ErrorCode.NOT_LEADER_OR_FOLLOWER }));
    await Promise.all(queued.map((q) => q.durable));
    await log.flush(); // waits for the truncation
    expect(await t).toBe(12);
    expect(log.logEndOffset).toBe(12);
    expect(log.append(sizedBatch(1, 10)).baseOffset).toBe(12);
    await log.close();
  });

  it('a failed file operation takes the log offline; the files are a valid log at the next open', async () => {
    const fs = new FaultyFs();
    const { log, dir, all } = await filled(undefined, {}, fs);
    fs.inject({ op: 'ftruncate', code: 'EIO' });
    await expect(log.truncateTo(13)).rejects.toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR });
    expect(log.isOffline).toBe(true);
    expect(() => log.append(sizedBatch(1, 10))).toThrow(expect.objectContaining({ code: ErrorCode.KAFKA_STORAGE_ERROR }));
    await log.close();
    const { log: again } = await openLog(dir);
    // a prefix of the old log: the later segments went first, the cut did not happen
    const got = await readAllBatches(again);
    expect(got).toEqual(all.slice(0, got.length));
    expect(got.length).toBeGreaterThanOrEqual(5);
    await again.close();
  });
});

describe('truncateTo and crashes', () => {
  it('deletes later segments newest first: a failure part-way leaves a prefix, never a hole', async () => {
    const fs = new FaultyFs();
    const { log, dir, all } = await filled(undefined, {}, fs);
    const segs = log.segmentBaseOffsets();
    expect(segs.length).toBeGreaterThanOrEqual(4);
    // cut inside the first segment: every later one goes; the rename of the middle one fails
    const middle = segs[Math.floor(segs.length / 2)]!;
    fs.inject({ op: 'rename', pathIncludes: `${String(middle).padStart(20, '0')}.log` });
    await expect(log.truncateTo(1)).rejects.toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR });
    expect(log.isOffline).toBe(true);
    await log.close();
    const { log: again } = await openLog(dir);
    const got = await readAllBatches(again);
    expect(got).toEqual(all.slice(0, got.length));
    expect(again.logEndOffset).toBe(segs[segs.indexOf(middle) + 1]); // up to the end of the one whose rename failed
    await again.close();
  });

  it('a crash right after the cut: the stale index past the new file end is not used', async () => {
    const { log, dir, all } = await filled();
    const segs = log.segmentBaseOffsets();
    const inner = segs[1]!; // an inactive segment, its indexes on disk
    const cut = batchInfo(all.find((b) => batchInfo(b).base > inner)!).base;
    const indexFile = join(dir, `${String(inner).padStart(20, '0')}.index`);
    const indexBefore = readFileSync(indexFile);
    expect(indexBefore.length).toBeGreaterThan(0);
    await log.truncateTo(cut);
    // kill -9 now: copy what is on disk
    const t = tempDir();
    cleanups.push(t.cleanup);
    const crashed = join(t.dir, 'orders-0');
    cpSync(dir, crashed, { recursive: true });
    expect(readFileSync(join(crashed, `${String(inner).padStart(20, '0')}.index`))).toEqual(indexBefore); // stale
    const { log: again } = await openLog(crashed, { cleanShutdown: false, recoveryPoint: 30 });
    const kept = all.filter((b) => batchInfo(b).base < cut);
    expect(await readAllBatches(again)).toEqual(kept);
    await lookupsWork(again, kept);
    await again.appendAsFollower(leaderBatch(cut, 2, 8)).durable;
    await again.close();
    await log.close();
  });
});

describe('truncateFullyAndStartAt', () => {
  it('empties the log and starts it at an offset past its end', async () => {
    const { log, dir } = await filled(undefined, { replicated: true });
    log.updateHighWatermark(20);
    await log.flushLeaderEpochs();
    expect(await log.truncateFullyAndStartAt(100)).toBe(100);
    for (const o of [log.logStartOffset, log.logEndOffset, log.durableEndOffset, log.highWatermark]) expect(o).toBe(100);
    expect(log.leaderEpochs.isEmpty).toBe(true);
    expect(log.segmentBaseOffsets()).toEqual([100]);
    await log.settleDeletions();
    expect(readdirSync(dir).filter((n) => n.endsWith('.log'))).toEqual(['00000000000000000100.log']);
    expect(epochFile(dir)).toBe('0\n0\n');
    await log.appendAsFollower(leaderBatch(100, 2, 9)).durable;
    expect(log.leaderEpochs.entries()).toEqual([{ epoch: 9, startOffset: 100 }]);
    await log.close();
    // the log start comes back from the segment name even without a log-start checkpoint
    const { log: again } = await openLog(dir, { cleanShutdown: false, logStartOffset: 0 });
    expect(again.logStartOffset).toBe(100);
    expect(await bases(again)).toEqual([100]);
    await again.close();
  });

  it('and at an offset inside (or before) what it had', async () => {
    const { log, dir } = await filled();
    await log.truncateFullyAndStartAt(0);
    expect(log.logEndOffset).toBe(0);
    expect(await bases(log)).toEqual([]);
    await log.appendAsFollower(leaderBatch(0, 1, 3)).durable;
    await log.close();
    await new Promise((r) => setTimeout(r, 10));
    expect(existsSync(join(dir, '00000000000000000000.log'))).toBe(true);
    const { log: again } = await openLog(dir);
    expect(await bases(again)).toEqual([0]);
    await again.close();
  });
});

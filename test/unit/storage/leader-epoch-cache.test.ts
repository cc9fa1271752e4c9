/**
 * The leader-epoch cache (storage/leader-epoch-cache.ts) and its checkpoint file: Kafka's
 * LeaderEpochFileCacheTest cases, rewritten as tables (assign, endOffsetFor, truncations,
 * epochForOffset); the file format byte for byte; writes that fail or tear leave the old file or
 * the new one, never a mix; and the log keeping the cache in step (open, rebuild from the batch
 * headers, appends, failed writes, log start moves, recovery after a crash).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/logger.js';
import { FaultyFs, realFs } from '../../../storage/fs.js';
import { LEADER_EPOCH_CHECKPOINT } from '../../../storage/file-names.js';
import { type EpochEntry, LeaderEpochCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from '../../../storage/leader-epoch-cache.js';
import { LeaderEpochCheckpointFile, decodeLeaderEpochCheckpoint, encodeLeaderEpochCheckpoint } from '../../../storage/leader-epoch-checkpoint.js';
import { logConfig } from '../../../storage/log-config.js';
import { LogManager } from '../../../storage/log-manager.js';
import { PartitionLog } from '../../../storage/partition-log.js';
import { makeBatch, readAllBatches, sizedBatch, tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function dir(): string {
  const t = tempDir('runnel-epochs-');
  cleanups.push(t.cleanup);
  return t.dir;
}

/** A log end offset beyond every entry: the cache writes all of them. */
const NO_END = { logEndOffset: Number.MAX_SAFE_INTEGER };

/** A cache whose file lives in a fresh temp dir. */
function cacheIn(d = dir(), entries: EpochEntry[] = []) {
  const file = new LeaderEpochCheckpointFile(realFs, d);
  return { cache: new LeaderEpochCache(file, silentLogger, NO_END, entries, null), file, dir: d };
}

function cacheOf(...pairs: Array<[number, number]>): LeaderEpochCache {
  const { cache } = cacheIn();
  for (const [e, o] of pairs) cache.assign(e, o);
  return cache;
}

const asPairs = (c: LeaderEpochCache) => c.entries().map((e) => [e.epoch, e.startOffset]);
const end = (c: LeaderEpochCache, epoch: number, leo: number) => {
  const r = c.endOffsetFor(epoch, leo);
  return [r.epoch, r.endOffset];
};

describe('LeaderEpochCache: assign (Kafka LeaderEpochFileCacheTest)', () => {
  it.each([
    { name: 'adds the first entry', assigns: [[2, 10]], want: [[2, 10]] },
    { name: 'never moves an epoch start later', assigns: [[2, 9], [2, 10]], want: [[2, 9]] },
    { name: 'same offset, newer epoch replaces', assigns: [[2, 9], [3, 9]], want: [[3, 9]] },
    { name: 'newer epoch at a lower offset replaces (offsets monotonic)', assigns: [[2, 6], [3, 5]], want: [[3, 5]] },
    { name: 'older epoch replaces itself and the newer ones (epochs monotonic)', assigns: [[1, 5], [2, 6], [1, 7]], want: [[1, 7]] },
    { name: 'same epoch, earlier start truncates and moves it', assigns: [[5, 11], [6, 12], [7, 13], [7, 12]], want: [[5, 11], [7, 12]] },
    { name: 'leaders changing many times', assigns: [[0, 0], [1, 0], [2, 5]], want: [[1, 0], [2, 5]] },
    { name: 'a follower receiving many batches', assigns: [[0, 0], [0, 1], [0, 2], [1, 3], [1, 4], [1, 5], [2, 6], [2, 7], [2, 8]], want: [[0, 0], [1, 3], [2, 6]] },
  ])('$name', ({ assigns, want }) => {
    const c = cacheOf(...(assigns as Array<[number, number]>));
    expect(asPairs(c)).toEqual(want);
    expect(c.latestEpoch).toBe(want[want.length - 1]![0]);
  });

  it('refuses negative epochs and offsets', () => {
    const { cache } = cacheIn();
    expect(() => cache.assign(-1, 0)).toThrow(RangeError);
    expect(() => cache.assign(0, -1)).toThrow(RangeError);
    expect(cache.isEmpty).toBe(true);
    expect(cache.latestEpoch).toBe(UNDEFINED_EPOCH);
  });

  it('assignFromLog follows the recovery rule: newer epochs, or the newest one starting earlier', () => {
    const c = cacheOf([2, 10]);
    c.assignFromLog(-1, 0); // batch without an epoch
    c.assignFromLog(1, 11); // older epoch
    c.assignFromLog(2, 12); // same epoch, later
    expect(asPairs(c)).toEqual([[2, 10]]);
    c.assignFromLog(2, 8);
    expect(asPairs(c)).toEqual([[2, 8]]);
    c.assignFromLog(3, 20);
    expect(asPairs(c)).toEqual([[2, 8], [3, 20]]);
  });
});

describe('LeaderEpochCache: endOffsetFor (Kafka LeaderEpochFileCacheTest)', () => {
  it.each([
    { name: 'latest epoch → log end offset', cache: [[2, 10]], epoch: 2, leo: 11, want: [2, 11] },
    { name: 'latest epoch assigned twice → log end offset', cache: [[2, 11], [2, 12]], epoch: 2, leo: 14, want: [2, 14] },
    { name: 'undefined epoch requested', cache: [[2, 11], [3, 12]], epoch: UNDEFINED_EPOCH, leo: 0, want: [UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET] },
    { name: 'empty cache', cache: [], epoch: 0, leo: 0, want: [UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET] },
    { name: 'empty cache, undefined epoch', cache: [], epoch: UNDEFINED_EPOCH, leo: 73, want: [UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET] },
    { name: 'empty cache, any epoch', cache: [], epoch: 7, leo: 0, want: [UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET] },
    { name: 'below the first epoch → that epoch, start of the first', cache: [[5, 11], [6, 12], [7, 13]], epoch: 4, leo: 0, want: [4, 11] },
    { name: 'older epoch → start of the next', cache: [[1, 11], [2, 13], [3, 15]], epoch: 2, leo: 17, want: [2, 15] },
    { name: 'between epochs → previous epoch, start of the next', cache: [[0, 10], [2, 13], [4, 17]], epoch: 1, leo: 0, want: [0, 13] },
    { name: 'known epoch not the latest', cache: [[0, 10], [2, 13], [4, 17]], epoch: 2, leo: 0, want: [2, 17] },
    { name: 'between epochs, later', cache: [[0, 10], [2, 13], [4, 17]], epoch: 3, leo: 0, want: [2, 17] },
    { name: 'newer than any epoch', cache: [[2, 100]], epoch: 3, leo: 100, want: [UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET] },
    { name: 'epochs need not start at 0', cache: [[2, 6]], epoch: 2, leo: 7, want: [2, 7] },
    { name: 'an epoch with no data yet ends where the next begins', cache: [[0, 0], [1, 0]], epoch: 0, leo: 5, want: [0, 0] },
    { name: 'requested below -1 on a single-node log', cache: [[0, 0]], epoch: -2, leo: 9, want: [-2, 0] },
  ])('$name', ({ cache, epoch, leo, want }) => {
    expect(end(cacheOf(...(cache as Array<[number, number]>)), epoch, leo)).toEqual(want);
  });

  it('tracks epochs as the leader changes (shouldIncreaseAndTrackEpochsAsLeadersChangeManyTimes)', () => {
    const c = cacheOf([0, 0], [1, 0]);
    expect(end(c, 1, 0)).toEqual([1, 0]);
    expect(end(c, 0, 0)).toEqual([0, 0]);
    expect(end(c, 1, 5)).toEqual([1, 5]);
    c.assign(2, 5);
    expect(end(c, 2, 10)).toEqual([2, 10]);
    expect(end(c, 1, 10)).toEqual([1, 5]);
    expect(end(c, 0, 10)).toEqual([0, 0]);
  });

  it('after an older epoch truncated the newer ones (shouldEnforceMonotonicallyIncreasingEpochs)', () => {
    const c = cacheOf([1, 5], [2, 6], [1, 7]);
    expect(c.latestEpoch).toBe(1);
    expect(end(c, 1, 8)).toEqual([1, 8]);
    expect(end(c, 2, 8)).toEqual([UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET]);
  });
});

describe('LeaderEpochCache: truncations and lookups (Kafka LeaderEpochFileCacheTest)', () => {
  const three: Array<[number, number]> = [
    [2, 6],
    [3, 8],
    [4, 11],
  ];
  it.each([
    { name: 'from end on an epoch boundary removes it and later ones', op: 'end', offset: 8, want: [[2, 6]] },
    { name: 'from end between boundaries keeps the epoch in progress', op: 'end', offset: 9, want: [[2, 6], [3, 8]] },
    { name: 'from end past the last start changes nothing', op: 'end', offset: 12, want: three },
    { name: 'from end with -1 changes nothing', op: 'end', offset: UNDEFINED_EPOCH_OFFSET, want: three },
    { name: 'from start on a boundary keeps that entry', op: 'start', offset: 8, want: [[3, 8], [4, 11]] },
    { name: 'from start between boundaries moves the epoch start', op: 'start', offset: 9, want: [[3, 9], [4, 11]] },
    { name: 'from start before the first changes nothing', op: 'start', offset: 1, want: three },
    { name: 'from start on the first changes nothing', op: 'start', offset: 6, want: three },
    { name: 'from start on the last keeps only it', op: 'start', offset: 11, want: [[4, 11]] },
    { name: 'from start past the last moves it', op: 'start', offset: 15, want: [[4, 15]] },
    { name: 'from start with -1 changes nothing', op: 'start', offset: UNDEFINED_EPOCH_OFFSET, want: three },
  ])('$name', ({ op, offset, want }) => {
    const c = cacheOf(...three);
    if (op === 'end') c.truncateFromEnd(offset);
    else c.truncateFromStart(offset);
    expect(asPairs(c)).toEqual(want);
  });

  it('truncating from start inside the first epoch (shouldUpdateOffsetBetweenEpochBoundariesOnClearEarliest2)', () => {
    const c = cacheOf([0, 0], [1, 7], [2, 10]);
    c.truncateFromStart(5);
    expect(asPairs(c)).toEqual([[0, 5], [1, 7], [2, 10]]);
  });

  it('truncations of an empty cache do nothing', () => {
    const { cache } = cacheIn();
    cache.truncateFromStart(7);
    cache.truncateFromEnd(7);
    expect(cache.isEmpty).toBe(true);
  });

  it('epochForOffset (shouldFetchEpochForGivenOffset)', () => {
    const c = cacheOf([0, 10], [1, 20], [5, 30]);
    expect([25, 20, 30, 50, 5].map((o) => c.epochForOffset(o))).toEqual([1, 1, 5, 5, UNDEFINED_EPOCH]);
  });

  it('previousEpoch (testFindPreviousEpoch)', () => {
    const c = cacheOf([2, 10], [4, 15], [10, 20]);
    expect([c.previousEpoch(2), c.previousEpoch(4), c.previousEpoch(10)]).toEqual([UNDEFINED_EPOCH, 2, 4]);
    c.truncateFromEnd(18);
    expect(c.previousEpoch(c.latestEpoch)).toBe(2);
  });

  it('clear empties it', () => {
    const c = cacheOf(...three);
    c.clear();
    expect(c.isEmpty).toBe(true);
  });
});

describe('leader-epoch-checkpoint file', () => {
  it("encodes Kafka's format byte for byte and reads it back", () => {
    expect(encodeLeaderEpochCheckpoint([])).toBe('0\n0\n');
    const entries = [
      { epoch: 0, startOffset: 0 },
      { epoch: 3, startOffset: 1200 },
      { epoch: 2147483647, startOffset: 9007199254740991 },
    ];
    const text = encodeLeaderEpochCheckpoint(entries);
    expect(text).toBe('0\n3\n0 0\n3 1200\n2147483647 9007199254740991\n');
    expect(decodeLeaderEpochCheckpoint(text)).toEqual(entries);
    // Kafka splits entries on any whitespace run.
    expect(decodeLeaderEpochCheckpoint('0\n1\n4  \t 17\n')).toEqual([{ epoch: 4, startOffset: 17 }]);
  });

  it.each([
    ['empty file', ''],
    ['version 1', '1\n0\n'],
    ['no count', '0\n'],
    ['count too high', '0\n2\n0 0\n'],
    ['count too low', '0\n1\n0 0\n1 5\n'],
    ['three fields', '0\n1\n0 0 0\n'],
    ['negative epoch', '0\n1\n-1 0\n'],
    ['epoch beyond int32', '0\n1\n2147483648 0\n'],
    ['offset not a number', '0\n1\n0 x\n'],
  ])('refuses a malformed file: %s', (_name, text) => {
    expect(() => decodeLeaderEpochCheckpoint(text)).toThrow();
  });

  it('flush writes only when the entries differ from the file', async () => {
    const fs = new FaultyFs();
    const d = dir();
    const cache = new LeaderEpochCache(new LeaderEpochCheckpointFile(fs, d), silentLogger, NO_END);
    expect(cache.isDirty).toBe(false); // no file, nothing to say: an empty cache needs none
    cache.assign(0, 0);
    expect(cache.isDirty).toBe(true);
    await cache.flush();
    expect(readFileSync(join(d, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n1\n0 0\n');
    const opens = fs.calls.open;
    await cache.flush();
    expect(fs.calls.open).toBe(opens);
    // Changed and changed back: nothing to write.
    cache.truncateFromEnd(0);
    cache.assign(0, 0);
    expect(cache.isDirty).toBe(false);
    // Several flushes during a write: one more write at most.
    cache.assign(1, 5);
    await Promise.all([cache.flush(), cache.flush(), cache.flush()]);
    expect(fs.calls.open - opens).toBe(1); // the tmp file of one write
    expect(readFileSync(join(d, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n2\n0 0\n1 5\n');
  });

  it('leaves out entries starting at the log end: an epoch without batches, which a load would drop', async () => {
    const d = dir();
    let logEnd = 0;
    const cache = new LeaderEpochCache(new LeaderEpochCheckpointFile(realFs, d), silentLogger, { get logEndOffset() { return logEnd; } });
    cache.assign(0, 0); // a new, empty partition becomes leader
    expect(cache.isDirty).toBe(false);
    await cache.flush();
    expect(existsSync(join(d, LEADER_EPOCH_CHECKPOINT))).toBe(false);
    logEnd = 3; // data appended at epoch 0
    cache.assign(1, 3); // a new epoch at the log end
    expect(cache.isDirty).toBe(true);
    await cache.flush();
    expect(readFileSync(join(d, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n1\n0 0\n');
    logEnd = 4;
    await cache.flush();
    expect(readFileSync(join(d, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n2\n0 0\n1 3\n');
  });

  it.each([
    { name: 'torn write of the tmp file', fault: { op: 'write' as const, partialBytes: 3, pathIncludes: LEADER_EPOCH_CHECKPOINT } },
    { name: 'failed fsync of the tmp file', fault: { op: 'fsync' as const, pathIncludes: LEADER_EPOCH_CHECKPOINT } },
    { name: 'failed rename', fault: { op: 'rename' as const, pathIncludes: LEADER_EPOCH_CHECKPOINT } },
  ])('a crash during a write leaves the old file whole: $name', async ({ fault }) => {
    const fs = new FaultyFs();
    const d = dir();
    const file = new LeaderEpochCheckpointFile(fs, d);
    await file.write([{ epoch: 0, startOffset: 0 }]);
    fs.inject(fault);
    await expect(file.write([{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 50 }])).rejects.toThrow(/injected/);
    // What a crash right now would leave: the old contents, whole.
    expect(readFileSync(join(d, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n1\n0 0\n');
    expect(await file.read()).toEqual({ kind: 'found', entries: [{ epoch: 0, startOffset: 0 }] });
    // And the next write replaces it whole.
    await file.write([{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 50 }]);
    expect(await file.read()).toEqual({ kind: 'found', entries: [{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 50 }] });
  });

  it('a cache whose write failed removes the file, so a later load rebuilds it instead of trusting it', async () => {
    const fs = new FaultyFs();
    const d = dir();
    const cache = new LeaderEpochCache(new LeaderEpochCheckpointFile(fs, d), silentLogger, NO_END);
    cache.assign(0, 0);
    await cache.flush();
    cache.assign(1, 10);
    fs.inject({ op: 'rename', pathIncludes: LEADER_EPOCH_CHECKPOINT });
    await expect(cache.flush()).rejects.toThrow(/injected/);
    expect(cache.lastWriteFailed).toBe(true);
    expect(existsSync(join(d, LEADER_EPOCH_CHECKPOINT))).toBe(false);
    await cache.flush();
    expect(cache.lastWriteFailed).toBe(false);
    expect(readFileSync(join(d, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n2\n0 0\n1 10\n');
  });

  it('reading: missing, found, corrupt; a file out of order is repaired as Kafka loads it', async () => {
    const d = dir();
    const file = new LeaderEpochCheckpointFile(realFs, d);
    expect(await file.read()).toEqual({ kind: 'missing' });
    writeFileSync(join(d, LEADER_EPOCH_CHECKPOINT), '0\n2\n0 0\n');
    expect((await file.read()).kind).toBe('corrupt');
    writeFileSync(join(d, LEADER_EPOCH_CHECKPOINT), '0\n3\n1 10\n2 5\n3 20\n');
    const read = await file.read();
    if (read.kind !== 'found') throw new Error('expected found');
    const cache = new LeaderEpochCache(file, silentLogger, NO_END, read.entries, read.entries);
    expect(asPairs(cache)).toEqual([[2, 5], [3, 20]]);
    expect(cache.isDirty).toBe(true);
  });

  it('writes nothing once closed (the directory is about to be renamed for deletion)', async () => {
    const { cache, dir: d } = cacheIn();
    cache.assign(0, 0);
    await cache.close();
    await cache.flush();
    expect(existsSync(join(d, LEADER_EPOCH_CHECKPOINT))).toBe(false);
  });
});

describe('PartitionLog keeps its leader-epoch cache in step', () => {
  const cfg = logConfig({ segmentBytes: 1500 });
  const open = (d: string, extra: Partial<Parameters<typeof PartitionLog.open>[0]> = {}) =>
    PartitionLog.open({ topic: 't', partition: 0, dir: d, config: cfg, cleanShutdown: true, ...extra });
  const fileOf = (d: string) => readFileSync(join(d, LEADER_EPOCH_CHECKPOINT), 'utf8');

  it('assigns each new epoch at the first offset appended in it and stamps the batches', async () => {
    const d = dir();
    const log = await open(d);
    expect(log.leaderEpochs.isEmpty).toBe(true);
    await log.append(sizedBatch(3, 10)).written; // default epoch: 0 on an empty log
    await log.append(sizedBatch(2, 10), 4).written;
    await log.append(sizedBatch(1, 10)).written; // default: the newest epoch
    expect(asPairs(log.leaderEpochs)).toEqual([[0, 0], [4, 3]]);
    const epochs = (await readAllBatches(log)).map((b) => b.readInt32BE(12));
    expect(epochs).toEqual([0, 4, 4]);
    await log.close();
    expect(fileOf(d)).toBe('0\n2\n0 0\n4 3\n');
    const again = await open(d);
    expect(asPairs(again.leaderEpochs)).toEqual([[0, 0], [4, 3]]);
    expect(again.leaderEpochs.isDirty).toBe(false);
    await again.close();
  });

  it('rebuilds a missing or corrupt checkpoint from the batch headers', async () => {
    const d = dir();
    const log = await open(d);
    const epochAt = [0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 5, 5, 5, 5, 5, 5, 5, 5, 5];
    for (const e of epochAt) await log.append(sizedBatch(2, 100), e).written;
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(4);
    const want = asPairs(log.leaderEpochs);
    expect(want).toEqual([[0, 0], [2, 14], [5, 32]]);
    await log.close();
    for (const damage of ['missing', 'corrupt']) {
      if (damage === 'missing') (await import('node:fs')).rmSync(join(d, LEADER_EPOCH_CHECKPOINT));
      else writeFileSync(join(d, LEADER_EPOCH_CHECKPOINT), '0\n9\n');
      const fs = new FaultyFs();
      const reopened = await open(d, { fs });
      expect(asPairs(reopened.leaderEpochs), damage).toEqual(want);
      expect(reopened.leaderEpochs.isDirty).toBe(true); // written at the next checkpoint or close
      await reopened.close();
      expect(fileOf(d)).toBe('0\n3\n0 0\n2 14\n5 32\n');
    }
  });

  it('a missing checkpoint of a single-epoch log costs a header read per segment, no walk', async () => {
    const { rebuildLeaderEpochs } = await import('../../../storage/leader-epoch-load.js');
    const d = dir();
    const log = await open(d);
    for (let i = 0; i < 20; i++) await log.append(sizedBatch(2, 100)).written;
    const segments = log.segmentList();
    expect(segments.length).toBeGreaterThan(3);
    const { cache } = cacheIn();
    const walked = await rebuildLeaderEpochs({ segments, fs: log.storageFs, fdCache: log.fds, intervalBytes: cfg.indexIntervalBytes }, log.logEndOffset, cache);
    expect(walked).toBe(0);
    expect(asPairs(cache)).toEqual([[0, 0]]);
    await log.close();
  });

  it('moves the first epoch start with the log start (DeleteRecords, retention)', async () => {
    const d = dir();
    const log = await open(d);
    for (let i = 0; i < 6; i++) await log.append(sizedBatch(2, 100), i < 3 ? 0 : 1).written;
    expect(asPairs(log.leaderEpochs)).toEqual([[0, 0], [1, 6]]);
    await log.deleteRecordsBefore(3);
    expect(asPairs(log.leaderEpochs)).toEqual([[0, 3], [1, 6]]);
    await log.deleteRecordsBefore(8);
    expect(asPairs(log.leaderEpochs)).toEqual([[1, 8]]);
    await log.close();
    // Reopened with the log start it had (the manager's log-start checkpoint).
    const again = await open(d, { logStartOffset: 8 });
    expect(asPairs(again.leaderEpochs)).toEqual([[1, 8]]);
    await again.close();
  });

  it('a failed write takes back the epoch that began among the void offsets; the next append starts it again', async () => {
    const fs = new FaultyFs();
    const d = dir();
    const log = await open(d, { fs });
    await log.append(sizedBatch(2, 10), 0).written;
    fs.failNextWrite('EIO', '.log');
    const failed = log.append(sizedBatch(2, 10), 3);
    expect(asPairs(log.leaderEpochs)).toEqual([[0, 0], [3, 2]]);
    await expect(failed.written).rejects.toThrow();
    expect(log.logEndOffset).toBe(2);
    expect(asPairs(log.leaderEpochs)).toEqual([[0, 0]]);
    const ok = log.append(sizedBatch(1, 10), 3);
    await ok.written;
    expect(asPairs(log.leaderEpochs)).toEqual([[0, 0], [3, 2]]);
    await log.close();
  });

  it('after a crash: epochs of batches above the recovery point come from recovery, the end is cut back', async () => {
    const d = dir();
    const log = await open(d);
    await log.append(sizedBatch(2, 10), 0).written;
    await log.flushLeaderEpochs(); // the file says [(0, 0)]
    await log.append(sizedBatch(2, 10), 1).written;
    await log.append(sizedBatch(2, 10), 2).written;
    // A "crash": the file is older than the log (the entries for 1 and 2 never written).
    expect(fileOf(d)).toBe('0\n1\n0 0\n');
    await log.abandon();
    await log.closeFds();
    const recovered = await open(d, { cleanShutdown: false, recoveryPoint: 2 });
    expect(asPairs(recovered.leaderEpochs)).toEqual([[0, 0], [1, 2], [2, 4]]);
    await recovered.close();
    // A file ahead of a log whose tail was lost: cut back to the log end.
    writeFileSync(join(d, LEADER_EPOCH_CHECKPOINT), '0\n4\n0 0\n1 2\n2 4\n7 6\n');
    const cut = await open(d, { cleanShutdown: false, recoveryPoint: 6 });
    expect(asPairs(cut.leaderEpochs)).toEqual([[0, 0], [1, 2], [2, 4]]);
    await cut.close();
  });
});

describe('LogManager and the leader-epoch-checkpoint', () => {
  const cfg = logConfig({ segmentBytes: 2000, fileDeleteDelayMs: 0 });
  const openManager = (d: string, extra = {}) => LogManager.open({ dataDir: d, logger: silentLogger(), defaults: cfg, retentionCheckIntervalMs: 0, cleanerBackoffMs: 0, ...extra });

  it('writes lagging epoch checkpoints with the recovery points, loads them at open, deletes them with the topic', async () => {
    const d = dir();
    const m = await openManager(d);
    const log = await m.create('ep', 0, cfg);
    await log.append(makeBatch([{ value: 'a' }]), 0).written;
    await log.append(makeBatch([{ value: 'b' }]), 6).written;
    const file = join(log.dir, LEADER_EPOCH_CHECKPOINT);
    expect(existsSync(file)).toBe(false);
    await m.writeCheckpoints();
    expect(readFileSync(file, 'utf8')).toBe('0\n2\n0 0\n6 1\n');
    await m.close();
    const m2 = await openManager(d);
    expect(asPairs(m2.get('ep', 0)!.leaderEpochs)).toEqual([[0, 0], [6, 1]]);
    const dirOf = m2.get('ep', 0)!.dir;
    await m2.deleteTopic('ep');
    await m2.settle();
    expect(existsSync(dirOf)).toBe(false);
    await m2.close();
  });

  it('a partition whose epoch checkpoint cannot be written is checkpointed to be recovered from its start', async () => {
    const d = dir();
    const fs = new FaultyFs();
    const m = await openManager(d, { fs });
    const log = await m.create('ep', 0, cfg);
    for (let i = 0; i < 5; i++) await log.append(makeBatch([{ value: `v${i}` }]), 0).written;
    fs.inject({ op: 'rename', pathIncludes: LEADER_EPOCH_CHECKPOINT });
    await m.writeCheckpoints();
    expect(log.leaderEpochs.lastWriteFailed).toBe(true);
    expect(readFileSync(join(d, 'recovery-point-offset-checkpoint'), 'utf8')).toBe('0\n1\nep 0 0\n');
    await m.writeCheckpoints();
    expect(readFileSync(join(d, 'recovery-point-offset-checkpoint'), 'utf8')).toBe('0\n1\nep 0 5\n');
    await m.close();
  });
});

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { silentLogger } from '../../../src/logger.js';
import { logConfig } from '../../../storage/log-config.js';
import { FaultyFs } from '../../../storage/fs.js';
import { LogManager } from '../../../storage/log-manager.js';
import { selectRetention } from '../../../storage/retention.js';
import { decodeBatch, readAllBatches, sizedBatch, sliceBytes, tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

async function setup(overrides = {}) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const cfg = logConfig({ segmentBytes: 1000, fileDeleteDelayMs: 0, ...overrides });
  const m = await LogManager.open({ dataDir: t.dir, logger: silentLogger(), defaults: cfg, retentionCheckIntervalMs: 0, cleanerBackoffMs: 0 });
  const log = await m.create('events', 0, cfg);
  return { m, log, dataDir: t.dir };
}

async function fill(log: Awaited<ReturnType<typeof setup>>['log'], n: number, ts?: (i: number) => number) {
  const rs = [];
  for (let i = 0; i < n; i++) rs.push(log.append(sizedBatch(1, 200, ts?.(i))));
  await Promise.all(rs.map((r) => r.durable));
}

const segFiles = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.log'));

/** DeleteRecords as the handler does it: move the log start, checkpoint it, then the segments below go. */
async function deleteRecords(m: LogManager, log: Awaited<ReturnType<typeof setup>>['log'], offset: number): Promise<number> {
  const low = await log.deleteRecordsBefore(offset);
  await m.persistLogStartOffsets();
  await log.maintenance(async () => {});
  return low;
}

describe('retention', () => {
  it('deletes segments older than retention.ms and advances/checkpoints the log start', async () => {
    const { m, log, dataDir } = await setup({ retentionMs: 1000 });
    const now = Date.now();
    await fill(log, 20, (i) => (i < 12 ? now - 10_000 : now));
    const before = log.segmentBaseOffsets();
    expect(before.length).toBeGreaterThan(4);
    await m.runRetentionNow(now);
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(log.logStartOffset).toBeLessThanOrEqual(12);
    // everything at or after the first young record survives
    const remaining = (await readAllBatches(log)).flatMap((b) => decodeBatch(b).map((r) => r.offset));
    expect(remaining[0]).toBe(log.logStartOffset);
    expect(remaining.at(-1)).toBe(19);
    await m.settle();
    expect(segFiles(log.dir).length).toBe(log.segmentBaseOffsets().length);
    expect(readFileSync(join(dataDir, 'log-start-offset-checkpoint'), 'utf8')).toBe(`0\n1\nevents 0 ${log.logStartOffset}\n`);
    await expect(log.read(0, 100)).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
    await m.close();
  });

  it('rolls and deletes an expired active segment', async () => {
    const { m, log } = await setup({ retentionMs: 1000, segmentBytes: 1 << 20 });
    await fill(log, 5, () => Date.now() - 60_000);
    await m.runRetentionNow();
    expect(log.logStartOffset).toBe(5);
    expect(log.highWatermark).toBe(5);
    expect((await log.read(5, 100)).size).toBe(0); // at log start == HW: empty, not out of range
    expect(log.append(sizedBatch(1, 1)).baseOffset).toBe(5);
    await m.close();
  });

  it('deletes oldest segments beyond retention.bytes', async () => {
    const { m, log } = await setup({ retentionBytes: 3000, retentionMs: -1 });
    await fill(log, 40);
    const sizeBefore = log.size;
    expect(sizeBefore).toBeGreaterThan(6000);
    await m.runRetentionNow();
    expect(log.size).toBeLessThanOrEqual(3000 + 1000);
    expect(log.size).toBeGreaterThan(3000 - 1000);
    await m.close();
  });

  it('DeleteRecords: moves the log start (-1 = HW), deletes whole segments below it', async () => {
    const { m, log } = await setup();
    await fill(log, 30);
    expect(await deleteRecords(m, log, 7)).toBe(7);
    expect(log.logStartOffset).toBe(7);
    const first = (await log.readBatches(7, 1))[0]!;
    expect(decodeBatch(first)[0]!.offset).toBe(7);
    await expect(log.read(6, 100)).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
    expect(log.segmentBaseOffsets()[0]).toBeLessThanOrEqual(7);
    await expect(log.deleteRecordsBefore(31)).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
    expect(await deleteRecords(m, log, -1)).toBe(30);
    expect(log.segmentBaseOffsets().length).toBe(1);
    expect((await log.read(30, 100)).size).toBe(0);
    await m.close();
    // the log start survives a restart through the checkpoint
    const m2 = await LogManager.open({ dataDir: join(log.dir, '..'), logger: silentLogger(), defaults: log.config, retentionCheckIntervalMs: 0, cleanerBackoffMs: 0 });
    expect(m2.get('events', 0)!.logStartOffset).toBe(30);
    await m2.close();
  });

  it('DeleteRecords deletes no segment before its log start offset is checkpointed, not even through retention', async () => {
    const fs = new FaultyFs();
    const t = tempDir();
    cleanups.push(t.cleanup);
    const cfg = logConfig({ segmentBytes: 1000, fileDeleteDelayMs: 0 });
    const m = await LogManager.open({ dataDir: t.dir, fs, logger: silentLogger(), defaults: cfg, retentionCheckIntervalMs: 0, cleanerBackoffMs: 0 });
    const log = await m.create('events', 0, cfg);
    await fill(log, 30);
    const files = segFiles(log.dir);
    expect(files.length).toBeGreaterThan(4);
    fs.inject({ op: 'write', code: 'ENOSPC', pathIncludes: 'log-start-offset-checkpoint', times: Infinity });
    expect(await log.deleteRecordsBefore(20)).toBe(20);
    await expect(m.persistLogStartOffsets()).rejects.toThrow(/ENOSPC/);
    await expect(m.runRetentionNow()).rejects.toThrow(/ENOSPC/); // its checkpoint write fails too
    await log.maintenance(async () => {});
    // A crash now finds the old log start (0) with every record: the segments are all there.
    expect(segFiles(log.dir)).toEqual(files);
    fs.clearFaults();
    await m.persistLogStartOffsets();
    await log.maintenance(async () => {});
    expect(segFiles(log.dir).length).toBeLessThan(files.length);
    expect(log.segmentBaseOffsets()[0]).toBeLessThanOrEqual(20);
    expect(log.segmentBaseOffsets()[1]).toBeGreaterThan(20);
    await m.close();
  });

  it('keeps .deleted files while a reader holds a slice, removes them after release', async () => {
    const { m, log } = await setup();
    await fill(log, 20);
    const slice = (await log.read(0, 100)).slices[0]!;
    await deleteRecords(m, log, 15);
    const dir = log.dir;
    const deleted = () => readdirSync(dir).filter((n) => n.endsWith('.log.deleted'));
    await new Promise((r) => setTimeout(r, 30));
    expect(deleted().length).toBeGreaterThan(0);
    expect(deleted()).toContain('00000000000000000000.log.deleted');
    // the reader can still read its bytes
    const bytes = await sliceBytes(slice);
    expect(decodeBatch(bytes)[0]!.offset).toBe(0);
    slice.release!();
    await log.settleDeletions();
    expect(deleted()).toEqual([]);
    expect(existsSync(join(dir, '00000000000000000000.log'))).toBe(false);
    await m.close();
  });

  it('waits file.delete.delay.ms before removing .deleted files', async () => {
    const { m, log } = await setup({ fileDeleteDelayMs: 150 });
    await fill(log, 20);
    await deleteRecords(m, log, 15);
    await new Promise((r) => setTimeout(r, 40));
    expect(readdirSync(log.dir).some((n) => n.endsWith('.deleted'))).toBe(true);
    await log.settleDeletions();
    expect(readdirSync(log.dir).some((n) => n.endsWith('.deleted'))).toBe(false);
    await m.close();
  });

  it('deletes a topic: renames the dir to <topic>-<p>.<uuid>-delete and removes it after readers finish', async () => {
    const { m, log, dataDir } = await setup();
    await m.create('events', 1, log.config);
    await fill(log, 5);
    const slice = (await log.read(0, 100)).slices[0]!;
    await m.deleteTopic('events');
    expect(m.get('events', 0)).toBeUndefined();
    expect(() => log.append(sizedBatch(1, 1))).toThrow();
    const dirs = () => readdirSync(dataDir).filter((n) => n.startsWith('events-'));
    expect(dirs().every((n) => /^events-\d\.[0-9a-f]{32}-delete$/.test(n))).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    expect(dirs().length).toBe(1); // partition 0 waits for its reader; partition 1 is gone
    expect((await sliceBytes(slice)).length).toBe(slice.length);
    slice.release!();
    await m.settle();
    expect(dirs()).toEqual([]);
    await m.close();
  });
});

describe('selectRetention', () => {
  const cfg = logConfig({ retentionMs: 100, retentionBytes: -1 });
  const seg = (base: number, next: number | null, maxTs: number, size = 10) => ({ baseOffset: base, size, maxTimestamp: maxTs, nextBaseOffset: next, endOffset: next ?? base + 5 });
  it('never deletes segments at or above the high watermark', () => {
    const segs = [seg(0, 10, 0), seg(10, 20, 0), seg(20, null, 0)];
    expect(selectRetention(segs, cfg, 1000, 0, 15).count).toBe(1);
    expect(selectRetention(segs, cfg, 1000, 0, 25)).toMatchObject({ count: 2, rollActive: true });
  });
  it('stops time retention at the first young segment', () => {
    const segs = [seg(0, 10, 0), seg(10, 20, 950), seg(20, 30, 0), seg(30, null, 0)];
    expect(selectRetention(segs, cfg, 1000, 0, 100).count).toBe(1);
  });
});

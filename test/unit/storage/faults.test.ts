import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { silentLogger } from '../../../src/logger.js';
import { FaultyFs } from '../../../storage/fs.js';
import { logConfig } from '../../../storage/log-config.js';
import { LogManager } from '../../../storage/log-manager.js';
import { decodeBatch, readAllBatches, sizedBatch, tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

async function setup(overrides = {}) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const fs = new FaultyFs();
  const cfg = logConfig({ segmentBytes: 1 << 20, ...overrides });
  const m = await LogManager.open({ dataDir: t.dir, fs, logger: silentLogger(), defaults: cfg, retentionCheckIntervalMs: 0, cleanerBackoffMs: 0 });
  const log = await m.create('t', 0, cfg);
  const segFile = join(log.dir, '00000000000000000000.log');
  return { m, log, fs, dataDir: t.dir, segFile };
}

const storageError = { code: ErrorCode.KAFKA_STORAGE_ERROR };

async function offsets(log: Parameters<typeof readAllBatches>[0]) {
  return (await readAllBatches(log)).flatMap((b) => decodeBatch(b).map((r) => r.offset));
}

describe('fault injection', () => {
  for (const code of ['ENOSPC', 'EIO'] as const) {
    it(`${code} on write: appends rejected, file truncated, nothing unacknowledged visible, log keeps working`, async () => {
      const { m, log, fs, segFile } = await setup();
      await log.append(sizedBatch(2, 50)).durable;
      const good = statSync(segFile).size;
      fs.failNextWrite(code, '.log');
      const a = log.append(sizedBatch(2, 50));
      const b = log.append(sizedBatch(2, 50));
      await expect(a.durable).rejects.toMatchObject(storageError);
      await expect(a.written).rejects.toMatchObject(storageError);
      await expect(b.durable).rejects.toMatchObject(storageError);
      expect(log.highWatermark).toBe(2);
      expect(log.logEndOffset).toBe(2);
      expect(statSync(segFile).size).toBe(good);
      expect(await offsets(log)).toEqual([0, 1]);
      // still online: the next append reuses the offsets of the failed ones
      const c = log.append(sizedBatch(1, 50));
      expect(c.baseOffset).toBe(2);
      await c.durable;
      expect(await offsets(log)).toEqual([0, 1, 2]);
      await m.close();
    });
  }

  it('torn write: the partial bytes are cut off and never visible', async () => {
    const { m, log, fs, segFile } = await setup();
    await log.append(sizedBatch(2, 50)).durable;
    const good = statSync(segFile).size;
    fs.tearNextWrite(30, 'EIO', '.log');
    const a = log.append(sizedBatch(2, 500));
    await expect(a.durable).rejects.toMatchObject(storageError);
    expect(statSync(segFile).size).toBe(good);
    expect(log.highWatermark).toBe(2);
    await log.append(sizedBatch(1, 5)).durable;
    expect(await offsets(log)).toEqual([0, 1, 2]);
    await m.close();
  });

  it('torn write whose truncate also fails: the partition goes offline, reads still served', async () => {
    const { m, log, fs } = await setup();
    await log.append(sizedBatch(2, 50)).durable;
    fs.tearNextWrite(30, 'EIO', '.log');
    fs.inject({ op: 'ftruncate', code: 'EIO' });
    await expect(log.append(sizedBatch(2, 500)).durable).rejects.toMatchObject(storageError);
    expect(log.isOffline).toBe(true);
    expect(() => log.append(sizedBatch(1, 5))).toThrow(expect.objectContaining(storageError));
    expect(await offsets(log)).toEqual([0, 1]);
    await m.close();
  });

  for (const code of ['EIO', 'ENOSPC'] as const) {
    it(`${code} on fsync: appends rejected, the partition goes offline for writes, reads still served`, async () => {
      const { m, log, fs, segFile, dataDir } = await setup();
      await log.append(sizedBatch(2, 50)).durable;
      const good = statSync(segFile).size;
      fs.failNextFsync(code, '.log');
      const a = log.append(sizedBatch(2, 50));
      const b = log.append(sizedBatch(2, 50));
      await expect(a.durable).rejects.toMatchObject(storageError);
      await expect(b.durable).rejects.toMatchObject(storageError);
      expect(log.isOffline).toBe(true);
      expect(log.highWatermark).toBe(2);
      expect(statSync(segFile).size).toBe(good);
      expect(() => log.append(sizedBatch(1, 5))).toThrow(expect.objectContaining(storageError));
      await expect(log.flush()).rejects.toMatchObject(storageError);
      expect(await offsets(log)).toEqual([0, 1]);
      await m.close();
      // an offline log means no clean-shutdown marker: the next start recovers
      expect(() => readFileSync(join(dataDir, '.kafka_cleanshutdown'))).toThrow();
    });
  }

  it('with a relaxed flush policy a failed fsync rejects `durable` but keeps visible data', async () => {
    const { m, log, fs } = await setup({ flushMessages: 100 });
    const a = log.append(sizedBatch(2, 50));
    await a.written;
    expect(log.highWatermark).toBe(2);
    fs.failNextFsync('EIO', '.log');
    await expect(log.flush()).rejects.toMatchObject(storageError);
    await expect(a.durable).rejects.toMatchObject(storageError);
    expect(log.isOffline).toBe(true);
    expect(await offsets(log)).toEqual([0, 1]);
    await m.close();
  });

  it('a failure while creating a rolled segment rejects appends and keeps the old segment', async () => {
    const { m, log, fs } = await setup({ segmentBytes: 300 });
    await log.append(sizedBatch(1, 200)).durable;
    fs.inject({ op: 'open', code: 'ENOSPC' });
    const a = log.append(sizedBatch(1, 200));
    await expect(a.durable).rejects.toMatchObject(storageError);
    expect(log.segmentBaseOffsets()).toEqual([0]);
    expect(log.logEndOffset).toBe(1);
    const b = log.append(sizedBatch(1, 200));
    expect(b.baseOffset).toBe(1);
    await b.durable;
    expect(log.segmentBaseOffsets()).toEqual([0, 1]);
    expect(await offsets(log)).toEqual([0, 1]);
    await m.close();
  });
});

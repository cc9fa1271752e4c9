/**
 * Under a relaxed flush policy an append's `durable` promise is made on first access
 * (pending-appends.ts durableOf): appends nobody asks about must not pile up until the next fsync,
 * and one asked about late must still resolve with the sync that covers it.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { FaultyFs, type StorageFs, realFs } from '../../../storage/fs.js';
import { logConfig } from '../../../storage/log-config.js';
import { PartitionLog } from '../../../storage/partition-log.js';
import { sizedBatch, tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

async function openLog(overrides: object, fs: StorageFs = realFs) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return PartitionLog.open({ topic: 'orders', partition: 0, dir: join(t.dir, 'orders-0'), config: logConfig(overrides), fs });
}

/** What the writer keeps per append until the next fsync. */
const pending = (log: PartitionLog) => (log as unknown as { pending: { awaitingDurable: unknown[] } }).pending.awaitingDurable.length;

describe('durable promises under a relaxed flush policy', () => {
  it('appends whose durability nobody asks about are not kept until the next fsync', async () => {
    const log = await openLog({ flushMessages: Number.MAX_SAFE_INTEGER });
    for (let i = 0; i < 200; i++) await log.append(sizedBatch(1, 20)).written;
    expect(log.highWatermark).toBe(200);
    expect(pending(log)).toBe(0);
    await log.close();
  });

  it('durable asked for before the write resolves at the next fsync, not before', async () => {
    const log = await openLog({ flushMessages: 3 });
    const a = log.append(sizedBatch(1, 20));
    let done = false;
    void a.durable.then(() => (done = true));
    await a.written;
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    await log.append(sizedBatch(2, 20)).written; // the third record triggers the fsync
    await a.durable;
    expect(done).toBe(true);
    await log.close();
  });

  it('durable asked for after the write resolves with the fsync that covers it', async () => {
    const log = await openLog({ flushMessages: Number.MAX_SAFE_INTEGER });
    const a = log.append(sizedBatch(1, 20));
    await a.written;
    const late = a.durable;
    let done = false;
    void late.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    await log.flush();
    await late;
    // after the sync, asking again answers at once
    await a.durable;
    await log.close();
  });

  it('durable asked for while an fsync is in flight resolves with that fsync', async () => {
    const log = await openLog({ flushMessages: Number.MAX_SAFE_INTEGER });
    const a = log.append(sizedBatch(1, 20));
    await a.written;
    const flushing = log.flush(); // takes the unsynced appends now
    const late = a.durable; // asked while that fsync runs (or just after)
    await flushing;
    await expect(Promise.race([late.then(() => 'durable'), new Promise((r) => setTimeout(() => r('hung'), 2000))])).resolves.toBe('durable');
    await log.close();
  });

  it('a failed fsync rejects durable promises asked for before and after it', async () => {
    const fs = new FaultyFs();
    const log = await openLog({ flushMessages: Number.MAX_SAFE_INTEGER }, fs);
    const a = log.append(sizedBatch(1, 20));
    const b = log.append(sizedBatch(1, 20));
    const early = a.durable;
    await b.written;
    fs.failNextFsync('EIO', '.log');
    await expect(log.flush()).rejects.toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR });
    await expect(early).rejects.toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR });
    await expect(b.durable).rejects.toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR });
    await log.close();
  });
});

/**
 * The writer's O_DSYNC path (log-writer.ts writeNext): with flush.messages=1 each group is
 * written through an O_DSYNC descriptor instead of write + fdatasync. These tests watch the
 * system calls through a recording StorageFs and check the durability contract did not change.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FdCache } from '../../../storage/fd-cache.js';
import { type OpenMode, type StorageFs, realFs } from '../../../storage/fs.js';
import { logConfig } from '../../../storage/log-config.js';
import { PartitionLog } from '../../../storage/partition-log.js';
import { decodeBatch, readAllBatches, sizedBatch, tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

/** realFs, recording opens (with their mode), closes, writes and fdatasyncs per fd. */
function recordingFs() {
  const modes = new Map<number, OpenMode>();
  const rec = { opens: [] as OpenMode[], open: new Set<number>(), writesByMode: { dsync: 0, other: 0 }, fdatasyncs: 0 };
  const fs: StorageFs = {
    ...realFs,
    async open(path, mode) {
      const fd = await realFs.open(path, mode);
      if (path.endsWith('.log')) {
        rec.opens.push(mode);
        modes.set(fd, mode);
        rec.open.add(fd);
      }
      return fd;
    },
    async close(fd) {
      rec.open.delete(fd);
      modes.delete(fd);
      return realFs.close(fd);
    },
    async writev(fd, bufs, position) {
      const m = modes.get(fd);
      if (m !== undefined) rec.writesByMode[m === 'dsync' ? 'dsync' : 'other']++;
      return realFs.writev(fd, bufs, position);
    },
    async fdatasync(fd) {
      if (modes.has(fd)) rec.fdatasyncs++;
      return realFs.fdatasync(fd);
    },
  };
  return { fs, rec };
}

async function openLog(fs: StorageFs, overrides = {}, fdCache?: FdCache, name = 'orders-0') {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const dir = join(t.dir, name);
  return PartitionLog.open({ topic: name.split('-')[0]!, partition: 0, dir, config: logConfig(overrides), fs, fdCache });
}

describe('O_DSYNC appends', () => {
  it('with flush.messages=1 (the default) appends go through an O_DSYNC descriptor and need no fdatasync', async () => {
    const { fs, rec } = recordingFs();
    const log = await openLog(fs);
    for (let i = 0; i < 5; i++) await log.append(sizedBatch(2, 50)).durable;
    expect(rec.opens).toContain('dsync');
    expect(rec.writesByMode.dsync).toBe(5);
    expect(rec.writesByMode.other).toBe(0);
    expect(rec.fdatasyncs).toBe(0);
    expect(log.highWatermark).toBe(10);
    expect((await readAllBatches(log)).flatMap((b) => decodeBatch(b).map((r) => r.offset))).toEqual([...Array(10).keys()]);
    await log.close();
  });

  it('concurrent appends still share one write-and-sync (group commit)', async () => {
    const { fs, rec } = recordingFs();
    const log = await openLog(fs);
    await Promise.all(Array.from({ length: 64 }, () => log.append(sizedBatch(1, 100)).durable));
    expect(log.highWatermark).toBe(64);
    expect(rec.writesByMode.dsync).toBeLessThan(10);
    await log.close();
  });

  it('with a relaxed flush policy the writer uses plain writes and fdatasync, as before', async () => {
    const { fs, rec } = recordingFs();
    const log = await openLog(fs, { flushMessages: 3 });
    const durable: Promise<void>[] = [];
    for (let i = 0; i < 3; i++) {
      const r = log.append(sizedBatch(1, 50));
      durable.push(r.durable);
      await r.written;
    }
    await Promise.all(durable);
    expect(rec.opens).not.toContain('dsync');
    expect(rec.writesByMode.other).toBe(3);
    expect(rec.fdatasyncs).toBe(1);
    await log.close();
  });

  it('closing the log and evicting a segment from the fd cache close the O_DSYNC descriptor too', async () => {
    const { fs, rec } = recordingFs();
    const cache = new FdCache(fs, 1);
    const a = await openLog(fs, {}, cache, 'a-0');
    const b = await openLog(fs, {}, cache, 'b-0');
    await a.append(sizedBatch(1, 50)).durable;
    await b.append(sizedBatch(1, 50)).durable; // evicts a's fds
    await a.append(sizedBatch(1, 50)).durable; // evicts b's, reopens a's
    expect(rec.open.size).toBeLessThanOrEqual(2); // one segment's plain + O_DSYNC fds
    await a.close();
    await b.close();
    expect(rec.open.size).toBe(0);
    expect(a.highWatermark).toBe(2);
  });
});

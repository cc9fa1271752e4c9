import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/logger.js';
import { FaultyFs, type OpenMode } from '../../../storage/fs.js';
import { parsePartitionDirName } from '../../../storage/file-names.js';
import { logConfig } from '../../../storage/log-config.js';
import { LogManager } from '../../../storage/log-manager.js';
import { decodeBatch, makeBatch, readAllBatches, sizedBatch, tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function dataDir() {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

const cfg = logConfig({ segmentBytes: 2000 });
const open = (dir: string, extra = {}) => LogManager.open({ dataDir: dir, logger: silentLogger(), defaults: cfg, retentionCheckIntervalMs: 0, cleanerBackoffMs: 0, ...extra });

describe('LogManager', () => {
  it('parses <topic>-<partition> from the last dash', () => {
    expect(parsePartitionDirName('my.topic-with-dashes_x-12')).toEqual({ topic: 'my.topic-with-dashes_x', partition: 12 });
    expect(parsePartitionDirName('recovery-point-offset-checkpoint')).toBeNull();
    expect(parsePartitionDirName('t-0.0123abc-delete')).toBeNull();
  });

  it('discovers partition directories at startup and ignores other files', async () => {
    const dir = dataDir();
    const m = await open(dir);
    const a = await m.create('a.b-c_d', 0, cfg);
    const b = await m.create('a.b-c_d', 1, cfg);
    expect(await m.create('a.b-c_d', 0, cfg)).toBe(a);
    await a.append(sizedBatch(3, 10)).durable;
    await b.append(sizedBatch(1, 10)).durable;
    await m.close();
    writeFileSync(join(dir, 'meta.properties'), 'x');
    mkdirSync(join(dir, 'not-a-partition-dir'));
    const m2 = await open(dir);
    expect([...m2.partitions()].map((l) => `${l.topic}/${l.partition}`).sort()).toEqual(['a.b-c_d/0', 'a.b-c_d/1']);
    expect(m2.get('a.b-c_d', 0)!.highWatermark).toBe(3);
    expect(m2.get('a.b-c_d', 1)!.highWatermark).toBe(1);
    await m2.close();
  });

  it('keeps open segment fds within maxOpenFiles while reading many partitions', async () => {
    const dir = dataDir();
    const fs = new FaultyFs();
    const m = await open(dir, { fs, maxOpenFiles: 8 });
    const logs = [];
    for (let p = 0; p < 40; p++) {
      const log = await m.create('many', p, cfg);
      await log.append(sizedBatch(1, 10)).durable;
      logs.push(log);
    }
    expect(m.openFiles).toBeLessThanOrEqual(8);
    for (const log of logs) {
      const r = await log.read(0, 100);
      expect(r.size).toBeGreaterThan(0);
      r.slices.forEach((s) => s.release?.());
      expect(m.openFiles).toBeLessThanOrEqual(8);
    }
    // an evicted active segment is reopened transparently for the next append
    for (const log of logs) await log.append(sizedBatch(1, 10)).durable;
    for (const log of logs) expect((await readAllBatches(log)).flatMap((b) => decodeBatch(b).map((r) => r.offset))).toEqual([0, 1]);
    expect(m.openFiles).toBeLessThanOrEqual(8);
    await m.close();
  });

  it('lets fds exceed the bound only while slices pin them', async () => {
    const dir = dataDir();
    const m = await open(dir, { maxOpenFiles: 2 });
    const slices = [];
    for (let p = 0; p < 5; p++) {
      const log = await m.create('pinned', p, cfg);
      await log.append(sizedBatch(1, 10)).durable;
      slices.push(...(await log.read(0, 100)).slices);
    }
    expect(m.openFiles).toBe(5);
    slices.forEach((s) => s.release?.());
    expect(m.openFiles).toBeLessThanOrEqual(2);
    await m.close();
  });

  it('removes leftover -delete directories at startup', async () => {
    const dir = dataDir();
    mkdirSync(join(dir, 'gone-0.0123456789abcdef0123456789abcdef-delete'));
    writeFileSync(join(dir, 'gone-0.0123456789abcdef0123456789abcdef-delete', '00000000000000000000.log'), 'x');
    const m = await open(dir);
    await m.settle();
    expect(readdirSync(dir).filter((n) => n.endsWith('-delete'))).toEqual([]);
    expect([...m.partitions()]).toEqual([]);
    await m.close();
  });

  /** Records the paths opened and listed (createFresh must touch nothing in the directories it just made). */
  class RecordingFs extends FaultyFs {
    readonly touched: string[] = [];
    override open(path: string, mode: OpenMode): Promise<number> {
      this.touched.push(`open ${path}`);
      return super.open(path, mode);
    }
    override readdir(path: string): Promise<string[]> {
      this.touched.push(`readdir ${path}`);
      return super.readdir(path);
    }
  }

  it('createFresh opens and lists nothing in the new partition directories', async () => {
    // A just-made directory holds no segment and no leader-epoch-checkpoint: reading them cost a
    // failed open (a thrown ENOENT) and a listing per partition, ~40% of creating 10,000 partitions.
    const dir = dataDir();
    const fs = new RecordingFs();
    const m = await open(dir, { fs });
    fs.touched.length = 0;
    await m.createFresh(Array.from({ length: 20 }, (_, partition) => ({ topic: 'fresh', partition, config: cfg })));
    expect(fs.touched.filter((t) => t.includes(`${dir}/fresh-`))).toEqual([]);
    // The logs work as any: appends, leader epochs written by the checkpoint and read back.
    const log = m.get('fresh', 3)!;
    expect(log.logEndOffset).toBe(0);
    expect(log.leaderEpochs.entries()).toEqual([]);
    log.leaderEpochs.assign(0, 0);
    await log.append(makeBatch([{ value: 'a' }, { value: 'b' }], { leaderEpoch: 0 })).durable;
    await m.writeCheckpoints();
    await m.close();
    expect(existsSync(join(dir, 'fresh-3', 'leader-epoch-checkpoint'))).toBe(true);
    const m2 = await open(dir);
    expect(m2.get('fresh', 3)!.logEndOffset).toBe(2);
    expect(m2.get('fresh', 3)!.leaderEpochs.entries()).toEqual([{ epoch: 0, startOffset: 0 }]);
    expect(m2.get('fresh', 4)!.logEndOffset).toBe(0);
    await m2.close();
  });

  it('createFresh over a stale directory of the same name starts the partition empty', async () => {
    const dir = dataDir();
    const m = await open(dir);
    // Left behind under the new partition's name (another install, a deletion that failed half-way).
    mkdirSync(join(dir, 'stale-0'));
    writeFileSync(join(dir, 'stale-0', '00000000000000000000.log'), sizedBatch(3, 10));
    writeFileSync(join(dir, 'stale-0', 'leader-epoch-checkpoint'), '0\n1\n7 0\n');
    await m.createFresh([{ topic: 'stale', partition: 0, config: cfg }]);
    const log = m.get('stale', 0)!;
    expect(log.logEndOffset).toBe(0);
    expect(log.leaderEpochs.entries()).toEqual([]);
    await m.close();
    const m2 = await open(dir);
    expect(m2.get('stale', 0)!.logEndOffset).toBe(0);
    expect(m2.get('stale', 0)!.leaderEpochs.entries()).toEqual([]);
    await m2.close();
  });
});

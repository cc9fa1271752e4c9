import { appendFileSync, existsSync, openSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/logger.js';
import { readCheckpoint, encodeCheckpoint, decodeCheckpoint } from '../../../storage/checkpoints.js';
import { logConfig } from '../../../storage/log-config.js';
import { LogManager } from '../../../storage/log-manager.js';
import { batchCrcOk, decodeBatch, makeBatch, readAllBatches, sizedBatch, tempDir } from './helpers.js';
import { realFs } from '../../../storage/fs.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function newDataDir() {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

const cfg = logConfig({ segmentBytes: 4000, indexIntervalBytes: 300 });
const open = (dataDir: string) => LogManager.open({ dataDir, logger: silentLogger(), defaults: cfg, retentionCheckIntervalMs: 0, cleanerBackoffMs: 0 });

/** Writes n batches, closes cleanly or "crashes" (no close: no marker, indexes of the active segment not written). */
async function populate(dataDir: string, n: number, crash: boolean) {
  const m = await open(dataDir);
  const log = await m.create('my.topic-x', 3, cfg);
  const rs = [];
  for (let i = 0; i < n; i++) rs.push(log.append(sizedBatch(2, 150)));
  await Promise.all(rs.map((r) => r.durable));
  const batches = await readAllBatches(log);
  if (!crash) await m.close();
  return { batches, dir: log.dir, m };
}

function lastLogFile(dir: string): string {
  const logs = readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
  return join(dir, logs[logs.length - 1]!);
}

describe('clean shutdown and restart', () => {
  it('writes the marker and checkpoints on close, deletes the marker on start', async () => {
    const dataDir = newDataDir();
    const { batches } = await populate(dataDir, 30, false);
    expect(existsSync(join(dataDir, '.kafka_cleanshutdown'))).toBe(true);
    const rp = readFileSync(join(dataDir, 'recovery-point-offset-checkpoint'), 'utf8');
    expect(rp).toBe('0\n1\nmy.topic-x 3 60\n');
    expect(readFileSync(join(dataDir, 'log-start-offset-checkpoint'), 'utf8')).toBe('0\n1\nmy.topic-x 3 0\n');
    const m = await open(dataDir);
    expect(existsSync(join(dataDir, '.kafka_cleanshutdown'))).toBe(false);
    expect(m.stats.uncleanShutdown).toBe(false);
    expect(m.stats.recoveredBytes).toBe(0);
    const log = m.get('my.topic-x', 3)!;
    expect(log.highWatermark).toBe(60);
    expect(await readAllBatches(log)).toEqual(batches);
    await m.close();
  });

  it('rebuilds a corrupt index of the active segment even after a clean shutdown', async () => {
    const dataDir = newDataDir();
    const { batches, dir } = await populate(dataDir, 30, false);
    const idx = lastLogFile(dir).replace(/\.log$/, '.index');
    writeFileSync(idx, Buffer.from([0, 0, 0, 9, 0xff, 0xff, 0xff, 0xf0])); // position past the file
    const m = await open(dataDir);
    const log = m.get('my.topic-x', 3)!;
    expect(log.highWatermark).toBe(60);
    expect(await readAllBatches(log)).toEqual(batches);
    await m.close();
  });
});

describe('unclean recovery', () => {
  it('recovers without the marker: rebuilds indexes and keeps every batch', async () => {
    const dataDir = newDataDir();
    const { batches, dir } = await populate(dataDir, 30, true);
    // remove all index files: the log is the truth
    for (const f of readdirSync(dir).filter((n) => n.endsWith('index'))) truncateSync(join(dir, f), 0);
    const m = await open(dataDir);
    expect(m.stats.uncleanShutdown).toBe(true);
    expect(m.stats.recoveredBytes).toBeGreaterThan(0);
    const log = m.get('my.topic-x', 3)!;
    expect(log.highWatermark).toBe(60);
    expect(await readAllBatches(log)).toEqual(batches);
    for (const target of [0, 17, 33, 59]) {
      const [b] = await log.readBatches(target, 1);
      expect(decodeBatch(b!).some((r) => r.offset === target)).toBe(true);
    }
    await m.close();
  });

  it('truncates garbage appended to the last segment', async () => {
    const dataDir = newDataDir();
    const { batches, dir } = await populate(dataDir, 10, true);
    const file = lastLogFile(dir);
    const size = statSync(file).size;
    appendFileSync(file, Buffer.from('this is not a record batch, just garbage bytes at the tail'));
    const m = await open(dataDir);
    const log = m.get('my.topic-x', 3)!;
    expect(statSync(file).size).toBe(size);
    expect(m.stats.truncatedBytes).toBeGreaterThan(0);
    expect(log.highWatermark).toBe(20);
    expect(await readAllBatches(log)).toEqual(batches);
    // appends continue right after the last valid batch
    const r = log.append(sizedBatch(1, 10));
    expect(r.baseOffset).toBe(20);
    await r.durable;
    await m.close();
  });

  it('truncates a half-written batch at the tail', async () => {
    const dataDir = newDataDir();
    const { batches, dir } = await populate(dataDir, 10, true);
    const file = lastLogFile(dir);
    const size = statSync(file).size;
    const half = makeBatch([{ value: 'half written' }], { baseOffset: 20 });
    appendFileSync(file, half.subarray(0, half.length - 7));
    const m = await open(dataDir);
    const log = m.get('my.topic-x', 3)!;
    expect(statSync(file).size).toBe(size);
    expect(await readAllBatches(log)).toEqual(batches);
    await m.close();
  });

  it('truncates at a corrupt CRC in the middle and drops later segments', async () => {
    const dataDir = newDataDir();
    const { batches, dir } = await populate(dataDir, 40, true);
    const logs = readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
    expect(logs.length).toBeGreaterThan(2);
    // corrupt the 3rd batch of the first segment (flip a byte in its records)
    const first = join(dir, logs[0]!);
    const bytes = readFileSync(first);
    const size = batches[0]!.length;
    const pos = size * 2 + 100;
    const fd = openSync(first, 'r+');
    writeSync(fd, Buffer.from([bytes[pos]! ^ 0xff]), 0, 1, pos);
    closeSync(fd);
    // make the recovery point say "nothing known flushed": scan from the start
    writeFileSync(join(dataDir, 'recovery-point-offset-checkpoint'), '0\n0\n');
    const m = await open(dataDir);
    const log = m.get('my.topic-x', 3)!;
    expect(log.highWatermark).toBe(4);
    expect(log.segmentBaseOffsets()).toEqual([0]);
    expect(readdirSync(dir).filter((n) => n.endsWith('.log'))).toEqual([logs[0]]);
    const after = await readAllBatches(log);
    expect(after).toEqual(batches.slice(0, 2));
    expect(after.every(batchCrcOk)).toBe(true);
    expect(log.append(sizedBatch(1, 1)).baseOffset).toBe(4);
    await m.close();
  });

  it('only scans from the recovery point', async () => {
    const dataDir = newDataDir();
    const m0 = await open(dataDir);
    const log0 = await m0.create('t', 0, cfg);
    const rs = [];
    for (let i = 0; i < 60; i++) rs.push(log0.append(sizedBatch(2, 150)));
    await Promise.all(rs.map((r) => r.durable));
    await m0.writeCheckpoints(); // recovery point = LEO
    const total = log0.size;
    // crash (no close)
    const m = await open(dataDir);
    expect(m.stats.uncleanShutdown).toBe(true);
    expect(m.stats.recoveredBytes).toBeLessThan(total / 2);
    expect(m.get('t', 0)!.highWatermark).toBe(120);
    await m.close();
  });

  it('finishes interrupted compaction swaps and removes stale .cleaned/.deleted files', async () => {
    const dataDir = newDataDir();
    const { dir } = await populate(dataDir, 5, false);
    writeFileSync(join(dir, '00000000000000000000.log.cleaned'), 'partial');
    writeFileSync(join(dir, '00000000000000000099.log.deleted'), 'old');
    const m = await open(dataDir);
    expect(readdirSync(dir).some((n) => n.endsWith('.cleaned') || n.endsWith('.deleted'))).toBe(false);
    expect(m.get('my.topic-x', 3)!.highWatermark).toBe(10);
    await m.close();
  });
});

describe('checkpoint files', () => {
  it('round-trip Kafka\'s text format with topic names containing dots, dashes and underscores', async () => {
    const text = encodeCheckpoint([
      { topic: 'a.b-c_d', partition: 12, offset: 42 },
      { topic: 'x', partition: 0, offset: 0 },
    ]).toString();
    expect(text).toBe('0\n2\na.b-c_d 12 42\nx 0 0\n');
    const back = decodeCheckpoint(text);
    expect([...back.values()]).toEqual([42, 0]);
    expect(() => decodeCheckpoint('1\n0\n')).toThrow();
    expect(() => decodeCheckpoint('0\n2\nx 0 1\n')).toThrow();
    expect((await readCheckpoint(realFs, newDataDir(), 'missing')).size).toBe(0);
  });
});
